//! Settings of the API server, read from the environment or flags.

use clap::Args;
use secrecy::SecretString;
use settings::{DatabaseConfig, EncryptionConfig, LogConfig, RedisConfig};

/// Everything `echosenseix-api serve` needs.
#[derive(Debug, Clone, Args)]
pub struct ApiConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub redis: RedisConfig,
    #[command(flatten)]
    pub encryption: EncryptionConfig,
    #[command(flatten)]
    pub log: LogConfig,
    #[command(flatten)]
    pub server: ServerConfig,
}

#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    #[arg(long, env = "PORT", default_value_t = 5000)]
    pub port: u16,
    /// HTTP worker threads; 0 means one per core.
    #[arg(long, env = "HTTP_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Origins (`https://app.example.com`) whose browser pages may call the
    /// API, comma-separated. Empty (the default) allows no other origin.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_allowed_origins: Vec<String>,
    /// Largest JSON body accepted, in bytes.
    #[arg(long, env = "JSON_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub json_limit: usize,
    /// Largest uploaded document, in bytes.
    #[arg(long, env = "UPLOAD_MAX_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub upload_max_bytes: usize,
    /// Documents an organization may hold, unless its row says otherwise.
    #[arg(long, env = "ORG_MAX_DOCUMENTS", default_value_t = 1000)]
    pub org_max_documents: i64,
    /// Bytes of uploaded documents an organization may hold (default 2 GiB).
    #[arg(long, env = "ORG_MAX_DOCUMENT_BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    pub org_max_document_bytes: i64,
    /// Bytes of knowledge-base text an organization may hold (default 256 MiB).
    #[arg(long, env = "ORG_MAX_KNOWLEDGE_BASE_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub org_max_knowledge_base_bytes: i64,
    /// Session lifetime in hours.
    #[arg(long, env = "SESSION_TTL_HOURS", default_value_t = 24)]
    pub session_ttl_hours: i64,
    /// Seconds between SIGTERM and the listener closing, while /health/ready
    /// answers 503 so load balancers stop routing here.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 5)]
    pub drain_secs: u64,
    /// Accepted clock skew of inbound platform webhook signatures, seconds.
    #[arg(long, env = "WEBHOOK_TOLERANCE_SECS", default_value_t = 1800)]
    pub webhook_tolerance_secs: i64,
    /// Failed logins per account per window before 429.
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Failed logins per client address per window before 429.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_IP", default_value_t = 20)]
    pub login_max_failures_per_ip: u32,
    #[arg(long, env = "LOGIN_WINDOW_SECS", default_value_t = 900)]
    pub login_window_secs: u64,
    /// Requests per token per minute before 429 (shared by every instance).
    #[arg(long, env = "API_RATE_LIMIT_PER_MINUTE", default_value_t = 100_000)]
    pub rate_limit_per_minute: u32,
    /// Base URL of the ElevenLabs API (tests point it at a local server).
    #[arg(
        long,
        env = "ELEVENLABS_BASE_URL",
        default_value = "https://api.elevenlabs.io"
    )]
    pub elevenlabs_base_url: String,
    /// Let provider connection tests reach private, loopback and link-local
    /// addresses (a self-hosted model server on the private network).
    #[arg(long, env = "PROVIDER_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub provider_allow_private: bool,
    /// Timeout of provider connection tests, milliseconds.
    #[arg(long, env = "PROVIDER_TEST_TIMEOUT_MS", default_value_t = 5000)]
    pub provider_test_timeout_ms: u64,
    /// Base URL that links in e-mails point to.
    #[arg(long, env = "PUBLIC_APP_URL", default_value = "http://localhost:3000")]
    pub public_app_url: String,
    /// Trust `X-Forwarded-For` / `Forwarded` for the client address (only
    /// behind a proxy that overwrites them, like the bundled nginx).
    #[arg(long, env = "TRUST_PROXY_HEADERS", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy_headers: bool,
    /// Bearer token Prometheus sends to scrape `/metrics`; unset, `/metrics`
    /// answers 404 (no one outside reads pool sizes and route latencies).
    #[arg(long, env = "METRICS_TOKEN", value_parser = parse_secret)]
    pub metrics_token: Option<SecretString>,
    /// Platform operator token for /api/admin routes; unset disables them.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true, value_parser = parse_secret)]
    pub admin_token: Option<SecretString>,
    /// Where uploads are stored: a directory path or an object-store URL.
    #[arg(
        long,
        env = "STORAGE_URL",
        hide_env_values = true,
        default_value = "./data/uploads"
    )]
    pub storage_url: String,
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.len() < 16 {
        return Err("must be at least 16 characters".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

/// An origin as browsers send it: scheme, host and optional port, nothing
/// more (no path, no trailing slash, no wildcard).
fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or("an origin starts with https:// or http://")?;
    let valid = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid {
        return Err(format!("{value:?} is not an origin (scheme://host[:port])"));
    }
    Ok(value.to_owned())
}

impl ServerConfig {
    /// Defaults for tests: port 0 (any free port), two workers.
    pub fn for_tests() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            workers: 2,
            cors_allowed_origins: Vec::new(),
            json_limit: 1024 * 1024,
            upload_max_bytes: 25 * 1024 * 1024,
            org_max_documents: 1000,
            org_max_document_bytes: 2 * 1024 * 1024 * 1024,
            org_max_knowledge_base_bytes: 256 * 1024 * 1024,
            session_ttl_hours: 24,
            drain_secs: 0,
            webhook_tolerance_secs: 1800,
            login_max_failures: 5,
            login_max_failures_per_ip: 20,
            login_window_secs: 900,
            rate_limit_per_minute: 100_000,
            elevenlabs_base_url: "http://127.0.0.1:9".into(),
            provider_test_timeout_ms: 2000,
            // Tests run their fake providers on 127.0.0.1.
            provider_allow_private: true,
            public_app_url: "http://localhost:3000".into(),
            trust_proxy_headers: false,
            admin_token: None,
            metrics_token: None,
            storage_url: std::env::temp_dir()
                .join("esx-test-uploads")
                .to_string_lossy()
                .into_owned(),
        }
    }
}
