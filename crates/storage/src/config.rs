//! Settings shared by both binaries, read from the environment (a `.env` file
//! in development) and overridable by flags. Secrets are `SecretString`s so
//! they never print, not even through `Debug`; their arguments carry
//! `hide_env_values` so `--help` does not show them either, and
//! [`exit_redacted`] reports a rejected value without echoing it.

use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

/// Postgres settings.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Primary database URL.
    #[arg(id = "database_url", long = "database-url", env = "DATABASE_URL", hide_env_values = true, value_parser = parse_secret)]
    pub url: SecretString,
    /// Optional read replica for read-only queries.
    #[arg(id = "database_replica_url", long = "database-replica-url", env = "DATABASE_REPLICA_URL", hide_env_values = true, value_parser = parse_secret)]
    pub replica_url: Option<SecretString>,
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
            max_connections,
            min_idle: max_connections.min(2),
            acquire_timeout_ms: 3000,
        }
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
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
}

impl RedisConfig {
    pub fn new(url: &str, prefix: &str) -> Self {
        Self {
            url: SecretString::from(url.to_owned()),
            prefix: prefix.to_owned(),
            timeout_ms: 250,
            max_connections: 8,
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
    pub key: crate::crypto::EncryptionKey,
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
pub fn parse_encryption_key(value: &str) -> Result<crate::crypto::EncryptionKey, String> {
    crate::crypto::EncryptionKey::from_hex(value).map_err(|e| e.to_string())
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
