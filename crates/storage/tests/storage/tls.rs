//! TLS to the data tier against real servers with a certificate for
//! `localhost` from a throwaway CA: a private Postgres that refuses plain connections, and a
//! `redis-server` listening on a TLS port only.

use std::process::{Command, Stdio};

use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;
use kv::RedisPool;
use kv::test_support::TestRedis;
use settings::{DatabaseConfig, RedisConfig};
use storage::test_support::certs;
use storage::test_support::pg_cluster::{PgCluster, free_port};
use storage::{Database, pg_tls};

#[derive(diesel::QueryableByName)]
struct Ssl {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_verify_as_sslmode_asks() {
    // Migrating it already went over TLS (`sslmode=require`).
    let cluster = PgCluster::start_tls().await;
    let port = cluster.primary.port;
    let ca = cluster.tls_ca().unwrap().display().to_string();
    let on = |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/esx?{query}");

    let plain = pg_tls::establish(&on("localhost", "application_name=plain")).await;
    assert!(plain.is_err(), "the server takes TLS only");

    let url = on(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let db = Database::connect_lazy(&DatabaseConfig::new(&url, 2));
    let mut conn = db.get().await.expect("verify-full against its CA");
    let row: Ssl = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(&mut *conn)
        .await
        .unwrap();
    assert!(row.ssl);

    // The certificate names localhost, not 127.0.0.1.
    let wrong_host = on(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    assert!(pg_tls::establish(&wrong_host).await.is_err());
    let chain_only = on("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"));
    assert!(pg_tls::establish(&chain_only).await.is_ok());
    // The throwaway CA is not in the system's trust store.
    assert!(
        pg_tls::establish(&on("localhost", "sslmode=verify-full"))
            .await
            .is_err()
    );
    // `require` encrypts without checking the certificate, as libpq does.
    assert!(
        pg_tls::establish(&on("127.0.0.1", "sslmode=require"))
            .await
            .is_ok()
    );
    assert!(
        pg_tls::establish(&on("localhost", "sslmode=bogus"))
            .await
            .is_err()
    );
}

/// Kills the TLS redis-server when the test ends, also on failure.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_over_tls_checks_the_server_certificate() {
    let dir = std::env::temp_dir().join(format!("esx-redis-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let certs::ServerCert { ca, cert, key } = certs::server_cert(&dir, "redis");
    let port = free_port();
    let _server = Server(
        Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--tls-auth-clients",
                "no",
            ])
            .args(["--tls-port", &port.to_string()])
            .arg("--tls-cert-file")
            .arg(cert)
            .arg("--tls-key-file")
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server"),
    );
    let prefix = TestRedis::new();
    let mut config = RedisConfig::new(&format!("rediss://localhost:{port}"), prefix.prefix());
    config.tls_ca_file = Some(ca);
    config.timeout_ms = 2000;
    let pool = RedisPool::connect_lazy(&config).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !pool.ping().await {
        assert!(
            std::time::Instant::now() < deadline,
            "no TLS answer from redis-server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Without the CA (the system's trust store) the handshake fails.
    let untrusted = RedisPool::connect_lazy(&RedisConfig::new(
        &format!("rediss://localhost:{port}"),
        "x",
    ))
    .unwrap();
    assert!(!untrusted.ping().await);
    let _ = std::fs::remove_dir_all(&dir);
}
