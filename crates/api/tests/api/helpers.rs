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

/// A user with a live session, created straight in the database so tests of
/// any resource can authenticate without going through the auth routes.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub token: String,
    pub user_id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub email: String,
}

impl TestApp {
    /// A new organization with one user of `role` ("owner", "admin" or
    /// "member") and a bearer token for that user.
    pub async fn new_org_user(&self, role: &str) -> TestUser {
        use storage::models::organizations;
        let mut conn = self.state.db.get().await.unwrap();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let org = organizations::insert(
            &mut conn,
            &organizations::NewOrganization {
                name: format!("Org {suffix}"),
                subdomain: None,
                plan: "pro".into(),
                max_agents: 50,
                max_users: 50,
            },
        )
        .await
        .unwrap();
        self.add_user(&org.id, role, &suffix).await
    }

    /// Another user of `role` in an existing organization.
    pub async fn add_user(&self, org: &uuid::Uuid, role: &str, suffix: &str) -> TestUser {
        use storage::models::{sessions, users};
        let mut conn = self.state.db.get().await.unwrap();
        let email = format!("{role}-{suffix}-{}@example.com", uuid::Uuid::new_v4().simple());
        let user = users::insert(
            &mut conn,
            &users::NewUser {
                organization_id: *org,
                email: email.clone(),
                password_hash: "not-a-usable-hash".into(),
                name: format!("Test {role}"),
                role: role.into(),
            },
        )
        .await
        .unwrap();
        let token = storage::crypto::generate_token("esx");
        sessions::insert(
            &mut conn,
            &sessions::NewSession {
                user_id: user.id,
                organization_id: *org,
                token_hash: storage::crypto::token_digest(&token),
                expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                user_agent: None,
                ip: None,
            },
        )
        .await
        .unwrap();
        TestUser { token, user_id: user.id, organization_id: *org, email }
    }

    pub fn authed(&self, method: reqwest::Method, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(&user.token)
    }
}
