//! `/api/analytics/overview`: the dashboard figures of the last 30 days,
//! closed days from the `analytics_daily` rollup and today live from the
//! call logs, so a call shows up the moment it is stored. Any role.

use crate::cached::cached_json;
use actix_web::get;
use chrono::{NaiveDate, Utc};
use kv::cache::Namespace;
use serde::Serialize;
use storage::models::analytics;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::Reply;
use crate::routes::call_logs::micros_to_dollars;
use crate::state::State;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(overview);
}

/// Totals over the last 30 days (UTC), today included.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewResponse {
    pub total_calls: i64,
    pub total_minutes: f64,
    /// US dollars.
    pub estimated_cost: f64,
    pub active_agents: i64,
    /// 30 entries, oldest first, today last.
    pub calls_per_day: Vec<DayPoint>,
    /// At most five agents, most calls first.
    pub top_agents: Vec<TopAgent>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayPoint {
    pub date: NaiveDate,
    pub calls: i64,
    pub minutes: f64,
    /// US dollars.
    pub cost: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopAgent {
    pub agent_id: Uuid,
    pub name: String,
    pub calls: i64,
    pub minutes: f64,
}

/// Minutes with one decimal, as a dashboard shows them.
fn minutes(seconds: i64) -> f64 {
    (seconds as f64 / 6.0).round() / 10.0
}

impl From<analytics::Overview> for OverviewResponse {
    fn from(o: analytics::Overview) -> Self {
        Self {
            total_calls: o.total_calls,
            total_minutes: minutes(o.total_duration_seconds),
            estimated_cost: micros_to_dollars(o.total_cost_micros),
            active_agents: o.active_agents,
            calls_per_day: o
                .days
                .into_iter()
                .map(|d| DayPoint {
                    date: d.date,
                    calls: d.calls,
                    minutes: minutes(d.duration_seconds),
                    cost: micros_to_dollars(d.cost_micros),
                })
                .collect(),
            top_agents: o
                .top_agents
                .into_iter()
                .map(|a| TopAgent {
                    agent_id: a.agent_id,
                    name: a.name,
                    calls: a.calls,
                    minutes: minutes(a.duration_seconds),
                })
                .collect(),
        }
    }
}

#[utoipa::path(tag = "analytics",
    description = "Dashboard overview of the last 30 days (UTC), today included and live. Any role.",
    responses((status = 200, body = OverviewResponse)))]
#[get("/overview")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn overview(state: State, auth: AuthUser) -> Reply {
    let today = Utc::now().date_naive();
    // Every inbound call and every rollup invalidates this namespace, so
    // "right after an inbound call" holds through the cache too.
    cached_json(
        &state,
        Namespace::Analytics,
        auth.organization_id,
        &format!("overview:{today}"),
        || async {
            // The primary, not a replica: a replica may lag behind the call.
            let mut conn = state.db.get().await?;
            let overview = analytics::overview(&mut conn, auth.organization_id, today).await?;
            Ok(OverviewResponse::from(overview))
        },
    )
    .await
}
