//! TLS to Postgres with rustls, chosen by libpq's URL parameters:
//! `sslmode=require` (encrypted, the certificate is not checked, as libpq
//! does), `verify-ca` (it must chain to a trusted root), `verify-full`
//! (and name the host); `sslrootcert=<file>` gives the roots (default: the
//! system's). `disable`, `prefer` or no `sslmode` connect in plain text as
//! before. tokio-postgres knows neither `verify-*` nor `sslrootcert`, so they
//! are taken off the URL before it sees it.

use std::sync::Arc;

use diesel::ConnectionError;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Require,
    VerifyCa,
    VerifyFull,
}

/// The URL for tokio-postgres and the TLS configuration, `None` for plain.
fn split(url: &str) -> Result<(String, Option<ClientConfig>), String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let mut mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("sslmode", "require") => mode = Some(Mode::Require),
            ("sslmode", "verify-ca") => mode = Some(Mode::VerifyCa),
            ("sslmode", "verify-full") => mode = Some(Mode::VerifyFull),
            ("sslmode", "disable" | "prefer" | "allow") => mode = None,
            ("sslmode", other) => return Err(format!("DATABASE_URL: unknown sslmode `{other}`")),
            ("sslrootcert", file) => root_cert = Some(file.to_owned()),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    let Some(mode) = mode else {
        return Ok((url.to_owned(), None));
    };
    kept.push(("sslmode".into(), "require".into()));
    parsed.query_pairs_mut().clear().extend_pairs(kept);
    Ok((
        parsed.to_string(),
        Some(client_config(mode, root_cert.as_deref())?),
    ))
}

fn roots(root_cert: Option<&str>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(file) => {
            for cert in CertificateDer::pem_file_iter(file)
                .map_err(|e| format!("sslrootcert {file}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("sslrootcert {file}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {file}: {e}"))?;
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    Ok(roots)
}

fn client_config(mode: Mode, root_cert: Option<&str>) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder();
    if mode == Mode::VerifyFull {
        return Ok(builder
            .with_root_certificates(roots(root_cert)?)
            .with_no_client_auth());
    }
    let chain = match mode {
        Mode::VerifyCa => Some(
            WebPkiServerVerifier::builder(Arc::new(roots(root_cert)?))
                .build()
                .map_err(|e| format!("sslrootcert: {e}"))?,
        ),
        _ => None,
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { chain }))
        .with_no_client_auth())
}

/// `require`: no check of the certificate (libpq's meaning); `verify-ca`:
/// the chain must verify, whatever name the certificate carries.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Opens a connection as the URL's TLS parameters ask.
pub async fn establish(url: &str) -> diesel::ConnectionResult<AsyncPgConnection> {
    let (url, tls) = split(url).map_err(ConnectionError::BadConnection)?;
    let Some(config) = tls else {
        return AsyncPgConnection::establish(&url).await;
    };
    let connector = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) = tokio_postgres::connect(&url, connector)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// True when the URL asks for TLS (the pool then connects through `establish`).
pub fn wanted(url: &str) -> bool {
    matches!(split(url), Ok((_, Some(_))) | Err(_))
}
