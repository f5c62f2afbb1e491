//! Settings shared by both binaries, read from the environment (a `.env` file
//! in development) and overridable by flags. Secrets are `SecretString`s so
//! they never print, not even through `Debug`; their arguments carry
//! `hide_env_values` so `--help` does not show them either, and
//! [`exit_redacted`] reports a rejected value without echoing it.
//!
//! The tracing set-up lives here too (`telemetry`): like the settings, it is
//! what a binary does before it opens any connection, and its only input is
//! [`LogConfig`].

pub mod telemetry;

use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

/// Postgres settings.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Primary database URL.
    #[arg(id = "database_url", long = "database-url", env = "DATABASE_URL", hide_env_values = true, value_parser = parse_secret)]
    pub url: SecretString,
    /// One read replica (the older single setting; joins the list below).
    #[arg(id = "database_replica_url", long = "database-replica-url", env = "DATABASE_REPLICA_URL", hide_env_values = true, value_parser = parse_secret)]
    pub replica_url: Option<SecretString>,
    /// Streaming read replicas, comma-separated: replica-tolerant reads are
    /// spread over the healthy ones, the primary answers when none is fit.
    #[arg(id = "database_replica_urls", long = "database-replica-urls", env = "DATABASE_REPLICA_URLS",
          hide_env_values = true, value_delimiter = ',', value_parser = parse_secret)]
    pub replica_urls: Vec<SecretString>,
    /// A replica whose replay lags more than this is skipped until it catches up.
    #[arg(id = "database_replica_max_lag_ms", long = "database-replica-max-lag-ms", env = "DATABASE_REPLICA_MAX_LAG_MS",
          default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub replica_max_lag_ms: u64,
    /// How often each replica's reachability and lag are measured.
    #[arg(id = "database_replica_check_ms", long = "database-replica-check-ms", env = "DATABASE_REPLICA_CHECK_MS",
          default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub replica_check_ms: u64,
    /// Largest number of pooled connections of this process.
    #[arg(id = "database_max_connections", long = "database-max-connections", env = "DATABASE_MAX_CONNECTIONS", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_connections: u32,
    /// Idle connections kept open and warm.
    #[arg(
        id = "database_min_idle",
        long = "database-min-idle",
        env = "DATABASE_MIN_IDLE",
        default_value_t = 5
    )]
    pub min_idle: u32,
    /// How long a request waits for a pooled connection before answering 503.
    #[arg(
        id = "database_acquire_timeout_ms",
        long = "database-acquire-timeout-ms",
        env = "DATABASE_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3000
    )]
    pub acquire_timeout_ms: u64,
}

impl DatabaseConfig {
    /// A configuration for `url` with the defaults of every other setting.
    pub fn new(url: &str, max_connections: u32) -> Self {
        Self {
            url: SecretString::from(url.to_owned()),
            replica_url: None,
            replica_urls: Vec::new(),
            replica_max_lag_ms: 1000,
            replica_check_ms: 250,
            max_connections,
            min_idle: max_connections.min(2),
            acquire_timeout_ms: 3000,
        }
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }

    /// Every configured replica: the list, then the older single setting
    /// unless it repeats an entry of the list.
    pub fn all_replica_urls(&self) -> Vec<SecretString> {
        let mut urls = self.replica_urls.clone();
        if let Some(single) = &self.replica_url
            && !urls
                .iter()
                .any(|u| u.expose_secret() == single.expose_secret())
        {
            urls.push(single.clone());
        }
        urls
    }

    /// How long an organization's reads stay on the primary after it wrote:
    /// longer than the largest lag a replica may have while still chosen,
    /// plus the age its lag figure may have (three check periods, see
    /// `replicas`), plus a margin for the pin's own round trip.
    pub fn read_your_writes_window(&self) -> Duration {
        Duration::from_millis(self.replica_max_lag_ms + 3 * self.replica_check_ms + 250)
    }
}

/// Redis settings.
#[derive(Debug, Clone, Args)]
pub struct RedisConfig {
    #[arg(id = "redis_url", long = "redis-url", env = "REDIS_URL", hide_env_values = true, value_parser = parse_secret)]
    pub url: SecretString,
    /// Prefix of every key this deployment writes, so that several
    /// deployments (or parallel tests) can share one Redis.
    #[arg(
        id = "redis_prefix",
        long = "redis-prefix",
        env = "REDIS_PREFIX",
        default_value = "esx"
    )]
    pub prefix: String,
    /// How long a Redis call may take before the caller falls back.
    #[arg(
        id = "redis_timeout_ms",
        long = "redis-timeout-ms",
        env = "REDIS_TIMEOUT_MS",
        default_value_t = 250
    )]
    pub timeout_ms: u64,
    #[arg(
        id = "redis_max_connections",
        long = "redis-max-connections",
        env = "REDIS_MAX_CONNECTIONS",
        default_value_t = 32
    )]
    pub max_connections: u32,
    /// Redis Sentinel addresses (`host:port`, comma-separated). When set,
    /// connections go to the primary the sentinels name, and follow a
    /// failover; `REDIS_URL` then only gives the scheme (`rediss` for TLS),
    /// credentials and database number of the data nodes.
    #[arg(
        id = "redis_sentinels",
        long = "redis-sentinels",
        env = "REDIS_SENTINELS",
        value_delimiter = ','
    )]
    pub sentinels: Vec<String>,
    /// The Sentinel name of the monitored primary.
    #[arg(
        id = "redis_sentinel_master",
        long = "redis-sentinel-master",
        env = "REDIS_SENTINEL_MASTER",
        default_value = "mymaster"
    )]
    pub sentinel_master: String,
    /// A PEM file of the certificate authorities a `rediss://` server's
    /// certificate must chain to (default: the system's trust store).
    #[arg(
        id = "redis_tls_ca_file",
        long = "redis-tls-ca-file",
        env = "REDIS_TLS_CA_FILE"
    )]
    pub tls_ca_file: Option<std::path::PathBuf>,
}

impl RedisConfig {
    pub fn new(url: &str, prefix: &str) -> Self {
        Self {
            url: SecretString::from(url.to_owned()),
            prefix: prefix.to_owned(),
            timeout_ms: 250,
            max_connections: 8,
            sentinels: Vec::new(),
            sentinel_master: "mymaster".into(),
            tls_ca_file: None,
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// The key that encrypts provider credentials and webhook secrets at rest.
#[derive(Clone, Args)]
pub struct EncryptionConfig {
    /// 32 bytes as 64 hexadecimal characters.
    #[arg(id = "encryption_key", long = "encryption-key", env = "ENCRYPTION_KEY", hide_env_values = true, value_parser = parse_encryption_key)]
    pub key: crypto::EncryptionKey,
}

impl std::fmt::Debug for EncryptionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionConfig { key: [REDACTED] }")
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    #[arg(
        id = "log_format",
        long = "log-format",
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub format: LogFormat,
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.trim().is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

/// A 64-hex-digit key; the error never contains the value.
pub fn parse_encryption_key(value: &str) -> Result<crypto::EncryptionKey, String> {
    crypto::EncryptionKey::from_hex(value).map_err(|e| e.to_string())
}

/// The URL with its password hidden, for log lines.
pub fn redact_url(url: &SecretString) -> String {
    match url::Url::parse(url.expose_secret()) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

/// Parses the command line as `clap::Command::get_matches_from` does, except that a rejected value
/// is reported without the value itself: it may be a secret (a mistyped ENCRYPTION_KEY), and
/// clap's own message would echo it to the terminal and the logs.
pub fn matches_or_exit(
    command: clap::Command,
    args: impl IntoIterator<Item = String>,
) -> clap::ArgMatches {
    command
        .try_get_matches_from(args)
        .unwrap_or_else(|e| exit_redacted(e))
}

/// Exits like `clap::Error::exit`, with the offending value left out of a validation error.
pub fn exit_redacted(error: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        error.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        error.exit()
    }
    let argument = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(name)) => name.clone(),
        _ => "an argument".to_owned(),
    };
    let reason = std::error::Error::source(&error)
        .map(|cause| format!(": {cause}"))
        .unwrap_or_default();
    clap::Error::raw(
        error.kind(),
        format!("error: invalid value for '{argument}' (value not shown){reason}\n"),
    )
    .exit()
}
