//! `spawn_app()`: the real server on port 0, its own database (cloned from
//! the migrated template) and Redis prefix, and a reqwest client.

use api::config::{ApiConfig, ServerConfig};
use api::startup::Application;
use api::state::AppState;
use crypto::EncryptionKey;
use kv::test_support::TestRedis;
use settings::{EncryptionConfig, LogConfig, LogFormat};
use storage::test_support::TestDatabase;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: TestDatabase,
    pub redis: TestRedis,
    /// What this instance was built with, for `spawn_peer`.
    config: ApiConfig,
    /// The ENCRYPTION_KEY of the server, for a worker started beside it.
    pub encryption_key_hex: String,
}

/// Another instance of the same deployment (same database, same Redis and
/// prefix), as a second server behind a load balancer.
pub struct Peer {
    pub address: String,
    pub client: reqwest::Client,
}

impl Peer {
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        user: &TestUser,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(&user.token)
    }
}

pub struct Options {
    pub redis_url: Option<String>,
    pub database_url: Option<String>,
    /// Streaming replicas of `database_url` (DATABASE_REPLICA_URLS).
    pub replica_urls: Vec<String>,
    pub server: ServerConfig,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            redis_url: None,
            database_url: None,
            replica_urls: Vec::new(),
            server: ServerConfig::for_tests(),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    crate::logs::init();
    let db = TestDatabase::new().await;
    let redis = TestRedis::new();
    let mut database = db.config(4);
    if let Some(url) = &options.database_url {
        database = settings::DatabaseConfig::new(url, 4);
    }
    database.replica_urls = options
        .replica_urls
        .iter()
        .map(|u| u.clone().into())
        .collect();
    // Generous: under a loaded CI machine a new connection can take seconds.
    database.acquire_timeout_ms = 5000;
    let mut redis_config = redis.config();
    if let Some(url) = &options.redis_url {
        redis_config = settings::RedisConfig::new(url, redis.prefix());
    }
    // Two random UUIDs in hex: 32 random bytes.
    let encryption_key_hex = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let config = ApiConfig {
        database,
        redis: redis_config,
        encryption: EncryptionConfig {
            key: EncryptionKey::from_hex(&encryption_key_hex).unwrap(),
        },
        log: LogConfig {
            format: LogFormat::Text,
        },
        server: options.server,
    };
    let app = Application::build(config.clone())
        .await
        .expect("build the app");
    let (port, state) = app.spawn();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        db,
        redis,
        config,
        encryption_key_hex,
    }
}

impl TestApp {
    pub async fn spawn_peer(&self) -> Peer {
        let app = Application::build(self.config.clone())
            .await
            .expect("build the peer");
        let (port, _) = app.spawn();
        Peer {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        }
    }

    /// The worker library in this process on the app's database, Redis prefix, ENCRYPTION_KEY
    /// and upload directory, serving `queues` (comma separated), writing mail to `outbox`.
    pub async fn start_worker(&self, queues: &str, outbox: &std::path::Path) -> worker::Running {
        let args = [
            "echosenseix-worker",
            "--database-url",
            self.db.url(),
            "--redis-url",
            &kv::test_support::redis_url(),
            "--redis-prefix",
            self.redis.prefix(),
            "--encryption-key",
            &self.encryption_key_hex,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--queues",
            queues,
            "--concurrency",
            "document-processing=4",
            "--storage-dir",
            &self.state.config.storage_url,
            "--email-outbox-dir",
            outbox.to_str().unwrap(),
            "--poll-interval-ms",
            "200",
            "--heartbeat-secs",
            "1",
            "--shutdown-grace-secs",
            "5",
            "--database-max-connections",
            "6",
            "--database-min-idle",
            "1",
        ];
        let config = <worker::Config as clap::Parser>::try_parse_from(args).unwrap();
        worker::start(config).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
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
        let email = format!(
            "{role}-{suffix}-{}@example.com",
            uuid::Uuid::new_v4().simple()
        );
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
        let token = crypto::generate_token("esx");
        sessions::insert(
            &mut conn,
            &sessions::NewSession {
                user_id: user.id,
                organization_id: *org,
                token_hash: crypto::token_digest(&token),
                expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                user_agent: None,
                ip: None,
            },
        )
        .await
        .unwrap();
        TestUser {
            token,
            user_id: user.id,
            organization_id: *org,
            email,
        }
    }

    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        user: &TestUser,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&user.token)
    }
}

/// The password of users made by `register`.
pub const TEST_PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A new organization through `POST /api/auth/register`, its owner
    /// logged in; the password is `TEST_PASSWORD`.
    pub async fn register(&self) -> TestUser {
        let email = format!("owner-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = self
            .post_json(
                "/api/auth/register",
                &serde_json::json!({
                    "email": email,
                    "password": TEST_PASSWORD,
                    "name": "Ada Owner",
                    "organizationName": "Acme Voice",
                }),
            )
            .await;
        assert_eq!(response.status(), 201, "register");
        let body: serde_json::Value = response.json().await.unwrap();
        TestUser {
            token: body["token"].as_str().unwrap().to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            organization_id: body["organization"]["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            email,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/auth/login",
            &serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Gives a user made by `add_user` a real password, so it can log in.
    pub async fn set_password(&self, user_id: uuid::Uuid, password: &str) {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use storage::schema::users;
        let hash = api::password::hash(secrecy::SecretString::from(password.to_owned()))
            .await
            .unwrap();
        let mut conn = self.state.db.get().await.unwrap();
        diesel::update(users::table.find(user_id))
            .set(users::password_hash.eq(hash))
            .execute(&mut conn)
            .await
            .unwrap();
    }

    /// Runs one SQL statement on the test database (to expire a session, or
    /// lower a plan limit, as time or an operator would).
    pub async fn execute_sql(&self, sql: &str) {
        use diesel_async::RunQueryDsl;
        let mut conn = self.state.db.get().await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }

    /// The `data` of the newest outbox mail of `template` to `to`, with its sealed link opened
    /// into `link` as the worker renders it (`outbox_raw_data` for the row as stored).
    pub async fn outbox_data(&self, to: &str, template: &str) -> Option<serde_json::Value> {
        let raw = self.outbox_raw_data(to, template).await?;
        Some(crypto::sealed_link::open(&raw, &self.state.encryption).unwrap())
    }

    /// The `data` of the newest outbox mail of `template` to `to`, as stored.
    pub async fn outbox_raw_data(&self, to: &str, template: &str) -> Option<serde_json::Value> {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use storage::schema::email_outbox;
        let mut conn = self.state.db.get().await.unwrap();
        email_outbox::table
            .filter(email_outbox::to_address.eq(to))
            .filter(email_outbox::template.eq(template))
            .order(email_outbox::created_at.desc())
            .select(email_outbox::data)
            .first(&mut conn)
            .await
            .optional()
            .unwrap()
    }

    /// Audit actions recorded for an organization, oldest first.
    pub async fn audit_actions(&self, org: uuid::Uuid) -> Vec<String> {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use storage::schema::audit_logs;
        let mut conn = self.state.db.get().await.unwrap();
        audit_logs::table
            .filter(audit_logs::organization_id.eq(org))
            .order(audit_logs::created_at.asc())
            .select(audit_logs::action)
            .load(&mut conn)
            .await
            .unwrap()
    }
}

/// The `token` query parameter of a link from an outbox mail.
pub fn token_from_link(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_owned()
}

/// Sends a request and reads the answer: (status, JSON body or `Null`).
/// The one place tests send from, so a failed send names itself.
pub async fn fetch(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body read");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// `.sent().await` in place of `.send().await.unwrap()`: one place that
/// says which request failed to go out.
pub trait RequestExt {
    fn sent(self) -> impl std::future::Future<Output = reqwest::Response> + Send;
}

impl RequestExt for reqwest::RequestBuilder {
    async fn sent(self) -> reqwest::Response {
        self.send().await.expect("request sent")
    }
}
