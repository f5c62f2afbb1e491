//! `echosenseix-seed`: migrate, then fill the database with load-test data.

use clap::{CommandFactory, FromArgMatches, Parser};
use seed::command::SeedCommand;

#[derive(Parser)]
#[command(
    name = "echosenseix-seed",
    version,
    about = "Fill an EchoSenseiX database with load-test data"
)]
struct Cli {
    #[command(flatten)]
    command: SeedCommand,
}

fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    // A rejected value is reported without itself: it may be a secret.
    let matches = settings::matches_or_exit(Cli::command(), std::env::args());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| settings::exit_redacted(e));
    // Multi-thread runtime: diesel's migration harness blocks in place.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli.command.run())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
