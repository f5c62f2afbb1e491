//! The seed command line, shared by `echosenseix-seed` and its alias
//! `echosenseix-api seed` (named in docs and the peers' READMEs), so the two
//! can never take different flags.

use clap::Args;
use secrecy::ExposeSecret;
use settings::{DatabaseConfig, LogConfig};

use crate::SeedArgs;

#[derive(Debug, Clone, Args)]
pub struct SeedCommand {
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub log: LogConfig,
    #[command(flatten)]
    pub seed: SeedArgs,
}

impl SeedCommand {
    /// Migrates first: a fresh database (compose, CI) is seeded in one step.
    pub async fn run(&self) -> anyhow::Result<()> {
        settings::telemetry::init(self.log.format, "info");
        let url = self.database.url.expose_secret();
        storage::migrations::run_pending(url).await?;
        let report = crate::run(&self.seed, url).await?;
        tracing::info!("{report}");
        Ok(())
    }
}
