//! Certificates for TLS tests, made with the openssl CLI: a throwaway CA
//! and a server certificate it signs for `localhost` only (no IP address),
//! so that a test can tell a host name check from a chain check.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Files of one server certificate.
pub struct ServerCert {
    /// The CA certificate to trust (`sslrootcert`, `REDIS_TLS_CA_FILE`).
    pub ca: PathBuf,
    pub cert: PathBuf,
    /// Mode 0600, as Postgres demands.
    pub key: PathBuf,
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl (apt-get install openssl)");
    assert!(status.success(), "openssl {args:?} failed");
}

/// Writes `{name}-ca.crt`, `{name}.crt` and `{name}.key` into `dir`.
pub fn server_cert(dir: &Path, name: &str) -> ServerCert {
    let path = |suffix: &str| dir.join(format!("{name}{suffix}"));
    let s = |p: &PathBuf| p.to_string_lossy().into_owned();
    let (ca, ca_key, cert, key, csr, ext) = (
        path("-ca.crt"),
        path("-ca.key"),
        path(".crt"),
        path(".key"),
        path(".csr"),
        path(".ext"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=esx test CA",
        "-keyout",
        &s(&ca_key),
        "-out",
        &s(&ca),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &s(&key),
        "-out",
        &s(&csr),
    ]);
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .expect("write the extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &s(&ext),
        "-out",
        &s(&cert),
    ]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod the key");
    ServerCert { ca, cert, key }
}
