//! The seeder (binary `echosenseix-seed`, alias `echosenseix-api seed`):
//! fills a database with realistic data for load tests (organizations, users
//! including test1..3@example.com, agents, call logs, knowledge-base entries,
//! the analytics rollup) through COPY streams, with progress bars. Skips when test1@example.com exists, unless `--force`,
//! which first removes every organization an earlier seed created.

mod calls;
pub mod command;
pub mod copy;
mod knowledge;
pub mod load_users;
pub mod tenants;
pub mod text;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use tokio_postgres::{Client, NoTls};

pub use tenants::{TEST_EMAILS, TEST_PASSWORD};

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Organizations to create (the first three belong to test1..3).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(3..=100_000))]
    pub organizations: u64,
    /// Call logs, spread over the last 90 days.
    #[arg(long = "call-logs", default_value_t = 1_000_000)]
    pub call_logs: u64,
    /// Knowledge-base entries.
    #[arg(long = "kb-entries", default_value_t = 100_000)]
    pub kb_entries: u64,
    #[arg(long = "agents-per-org", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=500))]
    pub agents_per_org: u64,
    /// Concurrent COPY streams for call logs (about one per Postgres core).
    #[arg(long, default_value_t = 2)]
    pub streams: usize,
    /// Accounts loadtest-1..N@example.com (password123), one per load-test
    /// virtual user (load-tests/mix.json), in the three test organizations.
    #[arg(long = "load-test-users", default_value_t = 100)]
    pub load_test_users: u64,
    /// Remove the data of an earlier seed and seed again.
    #[arg(long)]
    pub force: bool,
    /// No progress bars (CI logs).
    #[arg(long)]
    pub quiet: bool,
}

impl SeedArgs {
    /// Small counts for tests.
    pub fn small(organizations: u64, call_logs: u64, kb_entries: u64) -> Self {
        Self {
            organizations,
            call_logs,
            kb_entries,
            agents_per_org: 3,
            load_test_users: 3,
            streams: 2,
            force: false,
            quiet: true,
        }
    }
}

/// What a run did, with the time of each phase.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub skipped: bool,
    pub organizations: usize,
    pub call_logs: u64,
    pub kb_entries: u64,
    pub analytics_rows: usize,
    pub phases: Vec<(&'static str, Duration)>,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.skipped {
            return write!(
                f,
                "already seeded (test1@example.com exists); use --force to seed again"
            );
        }
        write!(
            f,
            "seeded {} organizations, {} call logs, {} knowledge-base entries, {} analytics rows;",
            self.organizations, self.call_logs, self.kb_entries, self.analytics_rows
        )?;
        for (phase, took) in &self.phases {
            write!(f, " {phase} {:.1}s", took.as_secs_f64())?;
        }
        Ok(())
    }
}

pub(crate) fn rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::from_entropy()
}

/// A tokio-postgres client (COPY needs it) with its connection driven by a
/// background task.
pub(crate) async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("connecting to DATABASE_URL")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "seed connection failed");
        }
    });
    // Bulk load: losing the last commits on a crash only means seeding again.
    client.batch_execute("SET synchronous_commit = off").await?;
    Ok(client)
}

fn bar(args: &SeedArgs, len: u64, label: &'static str) -> ProgressBar {
    if args.quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_prefix(label);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>16} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Argon2id of the shared seed password, computed once for every user.
async fn password_hash() -> anyhow::Result<String> {
    tokio::task::spawn_blocking(|| {
        use argon2::{Argon2, PasswordHash, PasswordHasher};
        // A fresh random salt (the crate's getrandom feature).
        PasswordHasher::<PasswordHash>::hash_password(&Argon2::default(), TEST_PASSWORD.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing the seed password: {e}"))
    })
    .await?
}

pub async fn run(args: &SeedArgs, url: &str) -> anyhow::Result<SeedReport> {
    let mut report = SeedReport::default();
    let client = connect(url).await?;
    let existing = client
        .query_opt(
            "SELECT 1 FROM users WHERE lower(email) = $1",
            &[&TEST_EMAILS[0]],
        )
        .await
        .context("checking for an earlier seed (is the database migrated?)")?;
    if existing.is_some() && !args.force {
        report.skipped = true;
        return Ok(report);
    }
    let mut clock = Instant::now();
    let mut lap = |report: &mut SeedReport, phase: &'static str| {
        report.phases.push((phase, clock.elapsed()));
        clock = Instant::now();
    };
    if existing.is_some() {
        let spinner = bar(args, 1, "removing old seed");
        let removed = client
            .execute(
                "DELETE FROM organizations WHERE settings @> '{\"seed\": true}'::jsonb",
                &[],
            )
            .await
            .context("removing the earlier seed")?;
        spinner.finish_and_clear();
        tracing::info!(organizations = removed, "earlier seed removed");
        lap(&mut report, "cleanup");
    }

    let hash = password_hash().await?;
    let orgs = tenants::seed(
        &client,
        args.organizations as usize,
        args.agents_per_org as usize,
        &hash,
    )
    .await
    .context(
        "seeding organizations, users and agents (test users taken by a non-seed organization?)",
    )?;
    load_users::seed(&client, &orgs, args.load_test_users, &hash)
        .await
        .context("seeding the load-test users (loadtest-N@example.com taken by a non-seed organization?)")?;
    report.organizations = orgs.len();
    lap(&mut report, "tenants");

    let calls_bar = bar(args, args.call_logs, "call logs");
    report.call_logs = calls::seed(url, &orgs, args.call_logs, args.streams, &calls_bar)
        .await
        .context("seeding call logs")?;
    calls_bar.finish();
    lap(&mut report, "call_logs");

    let kb_bar = bar(args, args.kb_entries, "knowledge base");
    report.kb_entries = knowledge::seed(url, &orgs, args.kb_entries, &kb_bar)
        .await
        .context("seeding the knowledge base")?;
    kb_bar.finish();
    lap(&mut report, "knowledge_base");

    let spinner = bar(args, 1, "analytics");
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("connecting to DATABASE_URL")?;
    let ids: Vec<uuid::Uuid> = orgs.iter().map(|o| o.id).collect();
    report.analytics_rows =
        storage::models::analytics::refresh_organizations(&mut conn, &ids).await?;
    spinner.finish_and_clear();
    lap(&mut report, "analytics");

    // VACUUM as well as ANALYZE: freshly copied rows are not yet marked
    // all-visible, and without that the count(*) of every list page reads
    // the heap instead of answering from the index alone.
    client
        .batch_execute(
            "VACUUM (ANALYZE) organizations, users, agents, call_logs, knowledge_base_entries, analytics_daily",
        )
        .await?;
    lap(&mut report, "vacuum_analyze");
    Ok(report)
}
