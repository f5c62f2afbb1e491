//! Where Redis is: one fixed server (`REDIS_URL`), or the current primary of
//! a Sentinel-monitored group (`REDIS_SENTINELS`), asked again on every new
//! connection so that reconnects follow a failover. Every Redis connection of
//! both binaries (pool, pub/sub, queues) opens through here.

use std::sync::Arc;

use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Client, ConnectionAddr, IntoConnectionInfo, RedisResult, TlsMode};
use secrecy::ExposeSecret;

use settings::RedisConfig;

#[derive(Clone)]
pub enum RedisTarget {
    /// Boxed: the client is much larger than the sentinel handle.
    Direct(Box<Client>),
    /// The sentinel client caches its connections to the sentinels, hence
    /// the lock: one lookup at a time per process.
    Sentinel(Arc<tokio::sync::Mutex<SentinelClient>>),
}

impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Direct(_) => "RedisTarget::Direct",
            Self::Sentinel(_) => "RedisTarget::Sentinel",
        })
    }
}

/// `host:port` of one sentinel (the Sentinel default port when omitted).
fn sentinel_addr(entry: &str) -> RedisResult<ConnectionAddr> {
    let entry = entry.trim();
    let (host, port) = match entry.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>().map_err(|_| {
                redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "REDIS_SENTINELS: a port is not a number",
                    entry.to_owned(),
                ))
            })?,
        ),
        None => (entry, 26379),
    };
    Ok(ConnectionAddr::Tcp(host.to_owned(), port))
}

impl RedisTarget {
    /// Reads `REDIS_URL` and, when set, `REDIS_SENTINELS`: then the URL's
    /// host is not used, only its scheme (`rediss` for TLS to the data
    /// nodes), credentials and database number.
    pub fn from_config(config: &RedisConfig) -> RedisResult<Self> {
        let url = config.url.expose_secret();
        let ca = crate::redis_tls::certificates(config)?;
        if config.sentinels.is_empty() {
            let client = match ca {
                Some(certs) => Client::build_with_tls(url, certs)?,
                None => Client::open(url)?,
            };
            return Ok(Self::Direct(Box::new(client)));
        }
        let info = url.into_connection_info()?;
        let sentinels = config
            .sentinels
            .iter()
            .map(|s| sentinel_addr(s))
            .collect::<RedisResult<Vec<_>>>()?;
        let mut builder = SentinelClientBuilder::new(
            sentinels,
            &config.sentinel_master,
            SentinelServerType::Master,
        )?
        .set_client_to_redis_db(info.redis_settings().db());
        if let Some(user) = info.redis_settings().username() {
            builder = builder.set_client_to_redis_username(user);
        }
        if let Some(password) = info.redis_settings().password() {
            builder = builder.set_client_to_redis_password(password);
        }
        if matches!(info.addr(), ConnectionAddr::TcpTls { .. }) {
            builder = builder.set_client_to_redis_tls_mode(TlsMode::Secure);
            if let Some(certs) = ca {
                builder = builder.set_client_to_redis_certificates(certs);
            }
        }
        Ok(Self::Sentinel(Arc::new(tokio::sync::Mutex::new(
            builder.build()?,
        ))))
    }

    /// A client for the current primary. With Sentinel this asks the
    /// sentinels and checks with `ROLE` that the node is a primary.
    pub async fn client(&self) -> RedisResult<Client> {
        match self {
            Self::Direct(client) => Ok((**client).clone()),
            Self::Sentinel(sentinel) => sentinel.lock().await.async_get_client().await,
        }
    }

    /// A multiplexed connection to the current primary.
    pub async fn connect(&self) -> RedisResult<redis::aio::MultiplexedConnection> {
        self.client()
            .await?
            .get_multiplexed_async_connection()
            .await
    }

    pub fn is_sentinel(&self) -> bool {
        matches!(self, Self::Sentinel(_))
    }
}

/// Whether an error means "this connection no longer reaches a usable
/// primary": its socket failed, or the node was demoted to a replica by a
/// failover (`READONLY`), so the connection must be replaced.
pub fn needs_new_connection(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
        || error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
}
