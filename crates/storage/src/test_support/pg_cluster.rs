//! A private Postgres primary with streaming replicas, for replica tests and
//! `make replicas`: `initdb` in a temporary folder (as the `postgres` user
//! when run as root: initdb refuses root), replication allowed from
//! 127.0.0.1, replicas made with `pg_basebackup -R`, every server on a free
//! port. Everything stops and the folder goes when the value is dropped,
//! also when a test panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel_async::RunQueryDsl;

use settings::DatabaseConfig;

/// The database the cluster's tests use (migrated before the replicas are
/// copied, so they start with the schema).
pub const DATABASE: &str = "esx";

pub struct PgServer {
    pub data: PathBuf,
    pub port: u16,
    running: bool,
}

pub struct PgCluster {
    root: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    /// The CA of the server certificate when the primary takes TLS only.
    tls_ca: Option<PathBuf>,
    pub primary: PgServer,
    pub replicas: Vec<PgServer>,
}

/// A port nobody listens on now (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// The newest installed Postgres' binaries (Debian layout), else PATH.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|p| p.join("initdb").exists());
    versions.sort();
    versions.pop().unwrap_or_default()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    fn run(&self, program: &str, args: &[&str]) {
        if let Err(e) = self.try_run(program, args) {
            panic!("{e}");
        }
    }

    fn try_run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run {program}: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }

    fn append(path: &Path, lines: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .expect("open postgresql.conf");
        file.write_all(lines.as_bytes())
            .expect("write postgresql.conf");
    }

    fn launch(&self, server: &PgServer) {
        let data = server.data.to_string_lossy().into_owned();
        let log = self.root.join(format!("{}.log", server.port));
        let log = log.to_string_lossy().into_owned();
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-t", "60", "start"],
        );
    }

    /// Starts a primary (migrated) and `replicas` streaming replicas.
    pub async fn start(replicas: usize) -> Self {
        Self::start_with(replicas, false).await
    }

    /// A primary that accepts TLS connections only (`ssl = on` with a
    /// self-signed certificate for `localhost`, plain connections rejected).
    pub async fn start_tls() -> Self {
        Self::start_with(0, true).await
    }

    /// The CA that signed a `start_tls` primary's certificate.
    pub fn tls_ca(&self) -> Option<&Path> {
        self.tls_ca.as_deref()
    }

    fn enable_tls(&mut self) {
        let super::certs::ServerCert { ca, cert, key } =
            super::certs::server_cert(&self.primary.data, "server");
        if self.as_postgres {
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&cert)
                .arg(&key)
                .status()
                .expect("chown the certificate");
            assert!(status.success(), "chown the certificate");
        }
        Self::append(
            &self.primary.data.join("postgresql.conf"),
            &format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                cert.display(),
                key.display()
            ),
        );
        // First match wins: plain TCP is refused, TLS is trusted.
        let hba = self.primary.data.join("pg_hba.conf");
        let rest = std::fs::read_to_string(&hba).expect("read pg_hba.conf");
        std::fs::write(
            &hba,
            format!(
                "hostnossl all all 127.0.0.1/32 reject\nhostssl all all 127.0.0.1/32 trust\n{rest}"
            ),
        )
        .expect("write pg_hba.conf");
        self.tls_ca = Some(ca);
    }

    async fn start_with(replicas: usize, tls: bool) -> Self {
        let root = std::env::temp_dir().join(format!("esx-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("create the cluster folder");
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&root)
                .status()
                .expect("chown the cluster folder");
            assert!(status.success(), "chown the cluster folder");
        }
        let mut cluster = Self {
            bin: postgres_bin(),
            as_postgres,
            primary: PgServer {
                data: root.join("primary"),
                port: free_port(),
                running: false,
            },
            replicas: Vec::new(),
            tls_ca: None,
            root,
        };
        let data = cluster.primary.data.to_string_lossy().into_owned();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        // initdb's pg_hba.conf with `-A trust` already lets 127.0.0.1
        // replicate; speed over durability: these servers are thrown away.
        Self::append(
            &cluster.primary.data.join("postgresql.conf"),
            &format!(
                "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
                 wal_level = replica\nmax_wal_senders = 10\nhot_standby = on\nfsync = off\n\
                 full_page_writes = off\nshared_buffers = 16MB\nmax_connections = 100\n",
                cluster.primary.port,
                cluster.root.display()
            ),
        );
        if tls {
            cluster.enable_tls();
        }
        cluster.launch(&cluster.primary);
        cluster.primary.running = true;
        cluster.create_database().await;
        for index in 0..replicas {
            cluster.add_replica(index);
        }
        cluster
    }

    async fn create_database(&self) {
        let admin = self.url_on(self.primary.port, "postgres");
        let mut conn = crate::pg_tls::establish(&admin)
            .await
            .expect("connect to the private primary");
        diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
            .execute(&mut conn)
            .await
            .expect("create the database");
        crate::migrations::run_pending(&self.primary_url())
            .await
            .expect("migrate the private primary");
    }

    fn add_replica(&mut self, index: usize) {
        let server = PgServer {
            data: self.root.join(format!("replica{index}")),
            port: free_port(),
            running: false,
        };
        let data = server.data.to_string_lossy().into_owned();
        let port = self.primary.port.to_string();
        self.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &data,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
        );
        Self::append(
            &server.data.join("postgresql.conf"),
            &format!("\nport = {}\n", server.port),
        );
        self.launch(&server);
        self.replicas.push(PgServer {
            running: true,
            ..server
        });
    }

    fn url_on(&self, port: u16, database: &str) -> String {
        let tls = if self.tls_ca.is_some() {
            "?sslmode=require"
        } else {
            ""
        };
        format!("postgres://postgres@127.0.0.1:{port}/{database}{tls}")
    }

    pub fn primary_url(&self) -> String {
        self.url_on(self.primary.port, DATABASE)
    }

    pub fn replica_url(&self, index: usize) -> String {
        self.url_on(self.replicas[index].port, DATABASE)
    }

    /// The primary and every replica, with small pools.
    pub fn config(&self, max_connections: u32) -> DatabaseConfig {
        let mut config = DatabaseConfig::new(&self.primary_url(), max_connections);
        config.replica_urls = (0..self.replicas.len())
            .map(|i| secrecy::SecretString::from(self.replica_url(i)))
            .collect();
        config
    }

    /// Stops one replica at once (as a crash would).
    pub fn stop_replica(&mut self, index: usize) {
        let data = self.replicas[index].data.to_string_lossy().into_owned();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        self.replicas[index].running = false;
    }

    fn stop_all(&mut self) {
        let servers = self
            .replicas
            .iter()
            .chain(std::iter::once(&self.primary))
            .filter(|s| s.running)
            .map(|s| s.data.to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        for data in servers {
            // Best effort: a failing stop must not hide the test's own panic.
            let _ = self.try_run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop_all();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
