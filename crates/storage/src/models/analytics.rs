//! `analytics_daily`: the per organization, agent and day rollup of call
//! logs, its idempotent refresh, and the dashboard overview that reads it
//! (closed days from the rollup, today live from `call_logs`).

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::agents;

/// Days covered by the overview, today included.
pub const OVERVIEW_DAYS: u64 = 30;

/// The columns every refresh computes from `call_logs`; `$day` rows are
/// grouped by the UTC calendar day of `started_at`.
const ROLLUP_SELECT: &str = "\
    count(*)::int, \
    (count(*) FILTER (WHERE status = 'completed'))::int, \
    (count(*) FILTER (WHERE status IN ('failed', 'no_answer', 'busy')))::int, \
    coalesce(sum(duration_seconds), 0)::bigint, \
    coalesce(sum(cost_micros), 0)::bigint";

fn day_start(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Rebuilds the rollup of one organization and UTC day from its call logs.
/// Idempotent, and safe to run concurrently (the API after an inbound call,
/// the aggregation job): an advisory lock serialises refreshes of the same
/// organization and day, so delete-then-insert never collides.
pub async fn refresh_day(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    day: NaiveDate,
) -> QueryResult<usize> {
    let from = day_start(day);
    let to = day_start(day + Days::new(1));
    conn.transaction(async move |c| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text || $2::text, 0)) IS NULL")
                .bind::<diesel::sql_types::Uuid, _>(org)
                .bind::<Date, _>(day)
                .execute(c)
                .await?;
            diesel::sql_query("DELETE FROM analytics_daily WHERE organization_id = $1 AND day = $2")
                .bind::<diesel::sql_types::Uuid, _>(org)
                .bind::<Date, _>(day)
                .execute(c)
                .await?;
            diesel::sql_query(format!(
                "INSERT INTO analytics_daily \
                     (organization_id, agent_id, day, calls, completed_calls, failed_calls, duration_seconds, cost_micros) \
                 SELECT organization_id, agent_id, $2, {ROLLUP_SELECT} \
                 FROM call_logs \
                 WHERE organization_id = $1 AND started_at >= $3 AND started_at < $4 \
                 GROUP BY organization_id, agent_id"
            ))
            .bind::<diesel::sql_types::Uuid, _>(org)
            .bind::<Date, _>(day)
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .execute(c)
            .await
        })
    .await
}

/// Rebuilds the whole rollup of several organizations in two set-based
/// statements (seeding and backfills), instead of one refresh per day.
pub async fn refresh_organizations(
    conn: &mut AsyncPgConnection,
    orgs: &[Uuid],
) -> QueryResult<usize> {
    let orgs = orgs.to_vec();
    conn.transaction(async move |c| {
            diesel::sql_query("DELETE FROM analytics_daily WHERE organization_id = ANY($1)")
                .bind::<Array<diesel::sql_types::Uuid>, _>(&orgs)
                .execute(c)
                .await?;
            diesel::sql_query(format!(
                "INSERT INTO analytics_daily \
                     (organization_id, agent_id, day, calls, completed_calls, failed_calls, duration_seconds, cost_micros) \
                 SELECT organization_id, agent_id, (started_at AT TIME ZONE 'UTC')::date, {ROLLUP_SELECT} \
                 FROM call_logs \
                 WHERE organization_id = ANY($1) \
                 GROUP BY organization_id, agent_id, (started_at AT TIME ZONE 'UTC')::date"
            ))
            .bind::<Array<diesel::sql_types::Uuid>, _>(&orgs)
            .execute(c)
            .await
        })
    .await
}

/// One day of the overview chart.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub calls: i64,
    pub duration_seconds: i64,
    pub cost_micros: i64,
}

/// One agent of the top-agents list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AgentFigures {
    pub agent_id: Uuid,
    pub name: String,
    pub calls: i64,
    pub duration_seconds: i64,
}

/// The dashboard overview over the last `OVERVIEW_DAYS` days, today included.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Overview {
    pub total_calls: i64,
    pub total_duration_seconds: i64,
    pub total_cost_micros: i64,
    pub active_agents: i64,
    /// Oldest first, one entry per day, zero-filled.
    pub days: Vec<DayFigures>,
    /// Most calls first, at most five.
    pub top_agents: Vec<AgentFigures>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    agent_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    calls: i64,
    #[diesel(sql_type = BigInt)]
    duration_seconds: i64,
    #[diesel(sql_type = BigInt)]
    cost_micros: i64,
}

/// Closed days from the rollup (index `(organization_id, day)`), today from
/// the call logs themselves (index `(organization_id, started_at)`), in one
/// round trip; so a call is on the dashboard the moment it is stored.
pub fn overview_query(
    org: Uuid,
    today: NaiveDate,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    let first = today - Days::new(OVERVIEW_DAYS - 1);
    diesel::sql_query(
        "SELECT day, agent_id, calls::bigint AS calls, duration_seconds, cost_micros \
         FROM analytics_daily WHERE organization_id = $1 AND day >= $2 AND day < $3 \
         UNION ALL \
         SELECT $3, agent_id, count(*) AS calls, \
                coalesce(sum(duration_seconds), 0)::bigint AS duration_seconds, \
                coalesce(sum(cost_micros), 0)::bigint AS cost_micros \
         FROM call_logs WHERE organization_id = $1 AND started_at >= $4 AND started_at < $5 \
         GROUP BY agent_id",
    )
    .into_boxed()
    .bind::<diesel::sql_types::Uuid, _>(org)
    .bind::<Date, _>(first)
    .bind::<Date, _>(today)
    .bind::<Timestamptz, _>(day_start(today))
    .bind::<Timestamptz, _>(day_start(today + Days::new(1)))
}

pub async fn overview(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    today: NaiveDate,
) -> QueryResult<Overview> {
    let rows: Vec<Row> = overview_query(org, today).load(conn).await?;
    let first = today - Days::new(OVERVIEW_DAYS - 1);
    let mut days: Vec<DayFigures> = (0..OVERVIEW_DAYS)
        .map(|i| DayFigures {
            date: first + Days::new(i),
            calls: 0,
            duration_seconds: 0,
            cost_micros: 0,
        })
        .collect();
    let mut per_agent: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for row in &rows {
        let index = (row.day - first).num_days();
        if let Some(day) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) {
            day.calls += row.calls;
            day.duration_seconds += row.duration_seconds;
            day.cost_micros += row.cost_micros;
        }
        if let Some(agent) = row.agent_id {
            let entry = per_agent.entry(agent).or_default();
            entry.0 += row.calls;
            entry.1 += row.duration_seconds;
        }
    }
    let mut ranked: Vec<(Uuid, i64, i64)> = per_agent
        .into_iter()
        .map(|(id, (c, d))| (id, c, d))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    ranked.truncate(5);
    let ids: Vec<Uuid> = ranked.iter().map(|r| r.0).collect();
    let names: HashMap<Uuid, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        agents::table
            .filter(agents::organization_id.eq(org).and(agents::id.eq_any(&ids)))
            .select((agents::id, agents::name))
            .load::<(Uuid, String)>(conn)
            .await?
            .into_iter()
            .collect()
    };
    let top_agents = ranked
        .into_iter()
        .filter_map(|(id, calls, duration_seconds)| {
            names.get(&id).map(|name| AgentFigures {
                agent_id: id,
                name: name.clone(),
                calls,
                duration_seconds,
            })
        })
        .collect();
    let active_agents = super::agents::count_active(conn, org).await?;
    Ok(Overview {
        total_calls: days.iter().map(|d| d.calls).sum(),
        total_duration_seconds: days.iter().map(|d| d.duration_seconds).sum(),
        total_cost_micros: days.iter().map(|d| d.cost_micros).sum(),
        active_agents,
        days,
        top_agents,
    })
}

/// Text form of a day for log lines and cache keys.
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}
