//! A private Redis group for failover tests: a primary, a replica and three
//! sentinels (quorum 2) from the installed `redis-server`, on free ports, in
//! a temporary folder. Every process is killed when the value is dropped,
//! also when a test panics.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// The Sentinel name of the group's primary.
pub const MASTER: &str = "mymaster";

pub struct RedisNode {
    pub port: u16,
    child: Option<Child>,
}

pub struct RedisGroup {
    root: PathBuf,
    pub primary: RedisNode,
    pub replica: RedisNode,
    pub sentinels: Vec<RedisNode>,
}

fn spawn(args: &[String]) -> Child {
    Command::new("redis-server")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server (apt-get install redis-server)")
}

fn query(port: u16, cmd: &redis::Cmd) -> redis::RedisResult<redis::Value> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    let mut conn = client.get_connection_with_timeout(Duration::from_millis(500))?;
    cmd.query(&mut conn)
}

/// Polls `ready` every 50 ms until it holds; panics with `what` after a
/// minute (a setup step that never completes, not a timing assertion).
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "redis group: {what} never happened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn info_field(port: u16, section: &str, field: &str) -> Option<String> {
    let text: String =
        redis::from_redis_value(query(port, redis::cmd("INFO").arg(section)).ok()?).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_owned())
}

impl RedisGroup {
    fn node_args(&self, port: u16) -> Vec<String> {
        [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--dir",
            &self.root.to_string_lossy(),
            "--dbfilename",
            &format!("{port}.rdb"),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    /// Starts the group and waits until the replica is in sync and every
    /// sentinel knows the replica and the other sentinels (else a failover
    /// could not reach a quorum).
    pub fn start() -> Self {
        let root =
            std::env::temp_dir().join(format!("esx-redis-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("create the redis group folder");
        let mut group = Self {
            root,
            primary: RedisNode {
                port: free_port(),
                child: None,
            },
            replica: RedisNode {
                port: free_port(),
                child: None,
            },
            sentinels: (0..3)
                .map(|_| RedisNode {
                    port: free_port(),
                    child: None,
                })
                .collect(),
        };
        let primary = group.primary.port;
        group.primary.child = Some(spawn(&group.node_args(primary)));
        let mut replica_args = group.node_args(group.replica.port);
        replica_args.extend([
            "--replicaof".into(),
            "127.0.0.1".into(),
            primary.to_string(),
        ]);
        group.replica.child = Some(spawn(&replica_args));
        for index in 0..group.sentinels.len() {
            let port = group.sentinels[index].port;
            let conf = group.root.join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {}\n\
                     sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n\
                     sentinel down-after-milliseconds {MASTER} 1000\n\
                     sentinel failover-timeout {MASTER} 10000\n",
                    group.root.display()
                ),
            )
            .expect("write the sentinel configuration");
            group.sentinels[index].child = Some(spawn(&[
                conf.to_string_lossy().into_owned(),
                "--sentinel".into(),
            ]));
        }
        let replica = group.replica.port;
        wait_until("replica in sync", || {
            info_field(replica, "replication", "master_link_status").as_deref() == Some("up")
        });
        for sentinel in group.sentinels.iter().map(|s| s.port) {
            wait_until("sentinels discover each other", || {
                group.sentinel_knows_all(sentinel)
            });
        }
        group
    }

    fn sentinel_knows_all(&self, sentinel: u16) -> bool {
        let Ok(value) = query(sentinel, redis::cmd("SENTINEL").arg("MASTER").arg(MASTER)) else {
            return false;
        };
        let Ok(fields) =
            redis::from_redis_value::<std::collections::HashMap<String, String>>(value)
        else {
            return false;
        };
        fields.get("num-slaves").map(String::as_str) == Some("1")
            && fields.get("num-other-sentinels").map(String::as_str) == Some("2")
    }

    /// `host:port` of each sentinel, for `REDIS_SENTINELS`.
    pub fn sentinel_addrs(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect()
    }

    /// A Redis configuration that finds the primary through the sentinels.
    pub fn config(&self, prefix: &str) -> settings::RedisConfig {
        let mut config = settings::RedisConfig::new("redis://127.0.0.1", prefix);
        config.sentinels = self.sentinel_addrs();
        config.sentinel_master = MASTER.into();
        config
    }

    /// The port the sentinels currently name as the primary.
    pub fn current_primary(&self) -> Option<u16> {
        let value = query(
            self.sentinels[0].port,
            redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(MASTER),
        )
        .ok()?;
        let (_, port): (String, u16) = redis::from_redis_value(value).ok()?;
        Some(port)
    }

    /// Kills the primary with SIGKILL, as a crash would.
    pub fn kill_primary(&mut self) {
        if let Some(mut child) = self.primary.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until the sentinels promoted the replica.
    pub fn wait_for_failover(&self) {
        let replica = self.replica.port;
        wait_until("failover to the replica", || {
            self.current_primary() == Some(replica)
        });
    }
}

impl Drop for RedisGroup {
    fn drop(&mut self) {
        let nodes = std::iter::once(&mut self.primary)
            .chain(std::iter::once(&mut self.replica))
            .chain(self.sentinels.iter_mut());
        for node in nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
