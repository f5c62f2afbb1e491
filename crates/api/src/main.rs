//! `echosenseix-api`: `serve` (the default), `migrate`, `seed`, `rotate-encryption-key`.

use anyhow::Context;
use api::config::ApiConfig;
use api::startup::Application;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use crypto::EncryptionKey;
use secrecy::ExposeSecret;
use settings::{DatabaseConfig, EncryptionConfig, LogConfig};

/// mimalloc instead of glibc malloc: a quarter of the call-log page's CPU
/// was malloc and free (measured in docs/BENCHMARKS.md). The
/// `system-allocator` feature keeps glibc's, to compare the two.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "echosenseix-api", version, about = "EchoSenseiX API server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start; clap's flattened argument groups cannot be boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve HTTP on PORT (the default command).
    Serve(Box<ApiConfig>),
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        log: LogConfig,
    },
    /// Migrate, then fill the database with realistic load-test data.
    Seed {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        log: LogConfig,
        #[command(flatten)]
        seed: api::seed::SeedArgs,
    },
    /// Re-encrypt every stored secret from ENCRYPTION_KEY to NEW_ENCRYPTION_KEY in one
    /// transaction (idempotent), then restart every instance with the new key.
    RotateEncryptionKey {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        log: LogConfig,
        /// The current key, under which the secrets are stored now.
        #[command(flatten)]
        current: EncryptionConfig,
        /// The new key, 64 hexadecimal characters. Prefer the environment: a flag shows in `ps`.
        #[arg(long = "new-encryption-key", env = "NEW_ENCRYPTION_KEY", hide_env_values = true,
              value_parser = settings::parse_encryption_key)]
        new_key: EncryptionKey,
    },
}

/// `echosenseix-api` alone, or with only flags, means `serve`.
fn args_with_default_command() -> Vec<String> {
    let mut args: Vec<String> = std::env::args().collect();
    let first = args.get(1).map(String::as_str);
    let is_meta = matches!(first, Some("-h" | "--help" | "-V" | "--version" | "help"));
    if !is_meta && first.is_none_or(|a| a.starts_with('-')) {
        args.insert(1, "serve".into());
    }
    args
}

fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    // A rejected value is reported without itself: it may be a secret.
    let matches = settings::matches_or_exit(Cli::command(), args_with_default_command());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| settings::exit_redacted(e));
    // Multi-thread runtime: diesel's migration harness blocks in place.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(config) => serve(*config).await,
            Command::Migrate { database, log } => {
                settings::telemetry::init(log.format, "info");
                let applied =
                    storage::migrations::run_pending(database.url.expose_secret()).await?;
                if applied.is_empty() {
                    tracing::info!("schema is up to date");
                } else {
                    tracing::info!(migrations = ?applied, "migrations applied");
                }
                Ok(())
            }
            Command::Seed {
                database,
                log,
                seed,
            } => {
                settings::telemetry::init(log.format, "info");
                let url = database.url.expose_secret();
                storage::migrations::run_pending(url).await?;
                let report = api::seed::run(&seed, url).await?;
                tracing::info!("{report}");
                Ok(())
            }
            Command::RotateEncryptionKey {
                database,
                log,
                current,
                new_key,
            } => {
                settings::telemetry::init(log.format, "info");
                rotate_encryption_key(&database, &current.key, &new_key).await
            }
        }
    })
}

async fn rotate_encryption_key(
    database: &DatabaseConfig,
    current: &EncryptionKey,
    new_key: &EncryptionKey,
) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let mut conn = AsyncPgConnection::establish(database.url.expose_secret())
        .await
        .context("connecting to DATABASE_URL")?;
    let report = storage::key_rotation::rotate(&mut conn, current, new_key).await?;
    for (column, rotated, already) in &report.columns {
        tracing::info!(column = %column, rotated, already_rotated = already, "column rotated");
    }
    tracing::info!(
        rotated = report.rotated(),
        already_rotated = report.already_rotated(),
        "every stored secret is under the new key: restart every API and worker with it"
    );
    Ok(())
}

async fn serve(config: ApiConfig) -> anyhow::Result<()> {
    settings::telemetry::init(config.log.format, "info,actix_server=warn");
    let app = Application::build(config)
        .await
        .context("starting the API server")?;
    tracing::info!(port = app.port(), "API listening");
    app.run_until_stopped().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
