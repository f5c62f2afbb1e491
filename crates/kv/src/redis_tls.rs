//! TLS to Redis (`rediss://`): the certificate authorities its server
//! must chain to.

use redis::{RedisResult, TlsCertificates};

use settings::RedisConfig;

/// The CA file of `REDIS_TLS_CA_FILE`, when set, for redis-rs' rustls
/// connector; `None` keeps the system's trust store.
pub fn certificates(config: &RedisConfig) -> RedisResult<Option<TlsCertificates>> {
    let Some(path) = &config.tls_ca_file else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| {
        redis::RedisError::from((
            redis::ErrorKind::InvalidClientConfig,
            "REDIS_TLS_CA_FILE cannot be read",
            format!("{}: {e}", path.display()),
        ))
    })?;
    Ok(Some(TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    }))
}
