//! `spawn_app()`: the real server on port 0, its own database (cloned from
//! the migrated template) and Redis prefix, and a reqwest client.

use api::config::{ApiConfig, ServerConfig};
use api::startup::Application;
use api::state::AppState;
use storage::config::{EncryptionConfig, LogConfig, LogFormat};
use storage::crypto::EncryptionKey;
use storage::test_support::{TestDatabase, TestRedis};

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: TestDatabase,
    pub redis: TestRedis,
}

pub struct Options {
    pub redis_url: Option<String>,
    pub database_url: Option<String>,
    pub server: ServerConfig,
}

impl Default for Options {
    fn default() -> Self {
        Self { redis_url: None, database_url: None, server: ServerConfig::for_tests() }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    storage::telemetry::init(LogFormat::Text, "warn");
    let db = TestDatabase::new().await;
    let redis = TestRedis::new();
    let mut database = db.config(4);
    if let Some(url) = &options.database_url {
        database = storage::config::DatabaseConfig::new(url, 4);
    }
    database.acquire_timeout_ms = 1000;
    let mut redis_config = redis.config();
    if let Some(url) = &options.redis_url {
        redis_config = storage::config::RedisConfig::new(url, redis.prefix());
    }
    let config = ApiConfig {
        database,
        redis: redis_config,
        encryption: EncryptionConfig { key: EncryptionKey::generate() },
        log: LogConfig { format: LogFormat::Text },
        server: options.server,
    };
    let app = Application::build(config).await.expect("build the app");
    let (port, state) = app.spawn();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        state,
        db,
        redis,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }
}
