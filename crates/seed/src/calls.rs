//! Seeded call logs: spread over the last 90 days (busier lately and in
//! business hours), across tenants by size and agents by popularity, with
//! realistic statuses, durations, costs, transcripts and summaries. Several
//! COPY streams run at once so Postgres works on every core.

use chrono::{DateTime, Duration, Timelike, Utc};
use indicatif::ProgressBar;
use rand::Rng;
use rand::distributions::{Distribution, WeightedIndex};
use serde_json::json;
use uuid::Uuid;

use super::copy::CopyIn;
use super::tenants::SeededOrg;
use super::{connect, text};

const COLUMNS: &str = "id, organization_id, agent_id, platform, conversation_id, phone_number, direction, status, \
                       duration_seconds, cost_micros, transcript, summary, metadata, started_at, ended_at, \
                       created_at, updated_at";
pub const HISTORY_DAYS: i64 = 90;

/// Inserts `total` call logs over `streams` concurrent connections.
pub async fn seed(
    url: &str,
    orgs: &[SeededOrg],
    total: u64,
    streams: usize,
    bar: &ProgressBar,
) -> anyhow::Result<u64> {
    let streams = streams.clamp(1, 8) as u64;
    let org_dist = WeightedIndex::new(orgs.iter().map(|o| o.weight))?;
    let agent_dists: Vec<Option<WeightedIndex<f64>>> = orgs
        .iter()
        .map(|o| WeightedIndex::new((0..o.agents.len()).map(|k| 1.0 / (k as f64 + 1.0))).ok())
        .collect();
    let now = Utc::now();
    let work = (0..streams).map(|s| {
        let count = total / streams + u64::from(s < total % streams);
        let (org_dist, agent_dists) = (&org_dist, &agent_dists);
        async move {
            let client = connect(url).await?;
            let mut copy = CopyIn::start(&client, "call_logs", COLUMNS).await?;
            let mut rng = super::rng();
            for i in 0..count {
                let oi = org_dist.sample(&mut rng);
                let agent = agent_dists[oi]
                    .as_ref()
                    .map(|d| &orgs[oi].agents[d.sample(&mut rng)]);
                write_call(&mut copy, &mut rng, &orgs[oi], agent, now);
                if (i + 1) % 1000 == 0 {
                    bar.inc(1000);
                }
                copy.flush_if_full().await?;
            }
            let written = copy.finish().await?;
            bar.inc(count % 1000);
            anyhow::Ok(written)
        }
    });
    let written = futures::future::try_join_all(work).await?;
    Ok(written.into_iter().sum())
}

/// A start time in the last 90 days: recent days weigh more (growth), and
/// most calls fall in business hours.
fn started_at(rng: &mut impl Rng, now: DateTime<Utc>) -> DateTime<Utc> {
    let days_ago = (HISTORY_DAYS as f64 * rng.gen_range(0.0f64..1.0).powf(1.3)) as i64;
    let hour = if rng.gen_bool(0.8) {
        rng.gen_range(8..19)
    } else {
        rng.gen_range(0..24)
    };
    let day = now - Duration::days(days_ago);
    let t = day
        .with_hour(hour)
        .and_then(|t| t.with_minute(rng.gen_range(0..60)))
        .and_then(|t| t.with_second(rng.gen_range(0..60)))
        .unwrap_or(day)
        - Duration::microseconds(rng.gen_range(0..1_000_000));
    if t > now { t - Duration::days(1) } else { t }
}

/// Log-normal call length around two and a half minutes.
fn completed_duration(rng: &mut impl Rng) -> i32 {
    let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen_range(0.0..1.0));
    let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (5.0 + 0.7 * normal).exp().clamp(15.0, 1800.0) as i32
}

fn write_call(
    copy: &mut CopyIn,
    rng: &mut impl Rng,
    org: &SeededOrg,
    agent: Option<&super::tenants::SeededAgent>,
    now: DateTime<Utc>,
) {
    let status = match rng.gen_range(0..100) {
        0..=80 => "completed",
        81..=88 => "no_answer",
        89..=94 => "failed",
        _ => "busy",
    };
    let direction = match rng.gen_range(0..10) {
        0..=5 => "inbound",
        6..=8 => "outbound",
        _ => "web",
    };
    let (duration, turns) = match status {
        "completed" => {
            let d = completed_duration(rng);
            (d, (d / 25).clamp(4, 16) as usize)
        }
        "failed" => (rng.gen_range(2..40), rng.gen_range(1..3)),
        _ => (0, 0),
    };
    // About $0.08 to $0.11 a minute, in micros per second.
    let cost_micros = i64::from(duration) * rng.gen_range(1300..1850);
    let agent_name = agent.map_or("Assistant", |a| a.name.as_str());
    let (transcript, summary) = text::conversation(rng, &org.name, agent_name, turns, duration);
    let started = started_at(rng, now);
    let ended = started + Duration::seconds(i64::from(duration));
    let phone = (direction != "web").then(|| {
        format!(
            "+1{}{:07}",
            rng.gen_range(201..990),
            rng.gen_range(0..10_000_000)
        )
    });
    let metadata = match status {
        "completed" => {
            json!({ "callSuccessful": if rng.gen_bool(0.9) { "success" } else { "failure" }, "terminationReason": "end_call tool was called" })
        }
        "failed" => json!({ "callSuccessful": "failure", "terminationReason": "connection lost" }),
        _ => json!({ "terminationReason": status }),
    };
    let id = Uuid::new_v4();
    copy.rows
        .uuid(id)
        .uuid(org.id)
        .opt_uuid(agent.map(|a| a.id))
        .text("elevenlabs")
        .text(&format!("conv_{}", id.simple()))
        .opt_text(phone.as_deref())
        .text(direction)
        .text(status)
        .raw(duration)
        .raw(cost_micros)
        .json(&transcript)
        .opt_text(summary.as_deref())
        .json(&metadata)
        .time(started)
        .time(ended)
        .time(ended)
        .time(ended);
    copy.rows.end_row();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_stay_in_the_window() {
        let mut rng = rand::thread_rng();
        let now = Utc::now();
        for _ in 0..10_000 {
            let t = started_at(&mut rng, now);
            assert!(t <= now && t > now - Duration::days(HISTORY_DAYS + 1));
        }
        for _ in 0..1000 {
            assert!((15..=1800).contains(&completed_duration(&mut rng)));
        }
    }
}
