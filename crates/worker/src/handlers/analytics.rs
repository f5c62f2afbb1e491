//! analytics-aggregation: roll call logs into `analytics_daily`, for one
//! organization and day on demand, or for every organization over
//! yesterday and today on schedule. Idempotent: each (org, day) is
//! recomputed from scratch.

use chrono::{Duration, Utc};
use jobs::AnalyticsJob;
use kv::cache::Namespace;
use serde_json::json;
use storage::models::{analytics, organizations};

use crate::app::App;
use crate::outcome::JobResult;

#[tracing::instrument(skip_all, fields(organization.id = ?job.organization_id, day = ?job.day))]
pub async fn handle(app: std::sync::Arc<App>, job: AnalyticsJob) -> JobResult {
    let app = &*app;
    let mut conn = app.db.get().await?;
    let orgs = match job.organization_id {
        Some(org) => vec![org],
        None => organizations::all_ids(&mut conn).await?,
    };
    let today = Utc::now().date_naive();
    let days = match job.day {
        Some(day) => vec![day],
        // Yesterday too: calls of late evening arrive after midnight.
        None => vec![today - Duration::days(1), today],
    };
    let mut rows = 0;
    for org in &orgs {
        for day in &days {
            rows += analytics::refresh_day(&mut conn, *org, *day).await?;
        }
        app.cache.invalidate(Namespace::Analytics, *org).await;
    }
    tracing::info!(
        organizations = orgs.len(),
        days = days.len(),
        rows,
        "analytics aggregated"
    );
    Ok(json!({"organizations": orgs.len(), "rows": rows}))
}
