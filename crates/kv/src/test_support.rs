//! Test harness (feature `test-support`): each test gets its own Redis key
//! prefix on the shared server, removed on drop; tests that stop a server get
//! a private one (`PrivateRedis`) or a Sentinel group (`sentinel`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod sentinel;

use settings::RedisConfig;

mod private_redis;
pub use private_redis::{PrivateRedis, free_port};

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis key prefix of one test; its keys are deleted on drop.
pub struct TestRedis {
    prefix: String,
}

impl TestRedis {
    pub fn new() -> Self {
        Self {
            prefix: format!("test:{}", uuid::Uuid::new_v4().simple()),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn config(&self) -> RedisConfig {
        RedisConfig::new(&redis_url(), &self.prefix)
    }
}

impl Default for TestRedis {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let pattern = format!("{}:*", self.prefix);
        let _ = std::thread::spawn(move || {
            let Ok(client) = redis::Client::open(redis_url()) else {
                return;
            };
            let Ok(mut conn) = client.get_connection() else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query(&mut conn)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut conn);
            }
        })
        .join();
    }
}
