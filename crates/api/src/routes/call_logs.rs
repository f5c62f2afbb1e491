//! `/api/call-logs`: the organization's call history, newest first, with
//! filters, offset pages and keyset (`cursor`) pages for deep reads. Any role.
//! List rows carry the summary; the whole transcript is at `/{id}`, or in
//! the list with `?include=transcript`.

mod page;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use kv::cache::Namespace;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storage::models::call_logs::{self, CallLog, CallLogFilter, Cursor};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiResult, OrNotFound, Reply};
use crate::input::{FieldErrors, PageQuery, PageResponse, Paging};
use crate::state::State;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(get);
}

pub const STATUSES: [&str; 6] = [
    "initiated",
    "in_progress",
    "completed",
    "failed",
    "no_answer",
    "busy",
];

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallLogResponse {
    pub id: Uuid,
    pub agent_id: Option<Uuid>,
    pub platform: String,
    pub conversation_id: String,
    pub phone_number: Option<String>,
    /// inbound, outbound or web.
    pub direction: String,
    /// initiated, in_progress, completed, failed, no_answer or busy.
    pub status: String,
    pub duration_seconds: i32,
    /// US dollars.
    pub cost: f64,
    /// As the platform sent it: usually `[{role, message, time_in_call_secs}]`.
    pub transcript: Value,
    pub summary: Option<String>,
    pub metadata: Value,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<CallLog> for CallLogResponse {
    fn from(c: CallLog) -> Self {
        Self {
            id: c.id,
            agent_id: c.agent_id,
            platform: c.platform,
            conversation_id: c.conversation_id,
            phone_number: c.phone_number,
            direction: c.direction,
            status: c.status,
            duration_seconds: c.duration_seconds,
            cost: micros_to_dollars(c.cost_micros),
            transcript: c.transcript,
            summary: c.summary,
            metadata: c.metadata,
            started_at: c.started_at,
            ended_at: c.ended_at,
            created_at: c.created_at,
        }
    }
}

/// Exact micros shown as dollars; f64 holds every cent up to 2^53 micros.
pub fn micros_to_dollars(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// A row of the list: the call without its transcript, unless the request
/// said `include=transcript`. (Written by `page.rs`; this type documents it.)
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallLogListItem {
    id: Uuid,
    agent_id: Option<Uuid>,
    platform: String,
    conversation_id: String,
    phone_number: Option<String>,
    direction: String,
    status: String,
    duration_seconds: i32,
    /// US dollars.
    cost: f64,
    /// Only with `include=transcript`: as the platform sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<Value>,
    summary: Option<String>,
    metadata: Value,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

crate::wire_rule!(
    /// A call's status.
    CallStatus,
    crate::input::schema::one_of(STATUSES)
);
crate::wire_rule!(
    /// What a row may carry besides the summary.
    CallLogInclude,
    crate::input::schema::one_of(["", "transcript"])
);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CallLogQuery {
    /// Only calls of this agent.
    #[param(value_type = Option<Uuid>)]
    pub agent_id: Option<String>,
    /// Only calls with this status.
    #[param(value_type = Option<CallStatus>, inline)]
    pub status: Option<String>,
    /// Calls started at or after this RFC 3339 time.
    #[param(value_type = Option<DateTime<Utc>>, inline)]
    pub from: Option<String>,
    /// Calls started before this RFC 3339 time.
    #[param(value_type = Option<DateTime<Utc>>, inline)]
    pub to: Option<String>,
    /// The `nextCursor` of the previous page (keyset paging).
    pub cursor: Option<String>,
    /// `transcript`: rows carry their whole transcript (large pages).
    #[param(value_type = Option<CallLogInclude>, inline)]
    pub include: Option<String>,
}

impl CallLogQuery {
    /// The filter, cursor and whether rows carry transcripts, or one 422
    /// naming every invalid parameter.
    fn parse(self) -> ApiResult<(CallLogFilter, Option<Cursor>, bool)> {
        let mut errors = FieldErrors::default();
        let mut fail = |field: &str, reason: &str| errors.fail(field, reason);
        let agent_id = self.agent_id.as_deref().and_then(|v| {
            let parsed = Uuid::parse_str(v).ok();
            if parsed.is_none() {
                fail("agentId", "must be a UUID");
            }
            parsed
        });
        if let Some(status) = &self.status
            && !STATUSES.contains(&status.as_str())
        {
            fail(
                "status",
                "must be one of initiated, in_progress, completed, failed, no_answer, busy",
            );
        }
        let mut time = |field: &str, value: Option<&str>| {
            value.and_then(|v| {
                let parsed = DateTime::parse_from_rfc3339(v)
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
                if parsed.is_none() {
                    fail(
                        field,
                        "must be an RFC 3339 time such as 2026-01-31T00:00:00Z",
                    );
                }
                parsed
            })
        };
        let from = time("from", self.from.as_deref());
        let to = time("to", self.to.as_deref());
        let cursor = self.cursor.as_deref().and_then(|v| {
            let parsed = Cursor::decode(v);
            if parsed.is_none() {
                fail("cursor", "is not a cursor this API returned");
            }
            parsed
        });
        let transcripts = match self.include.as_deref() {
            None | Some("") => false,
            Some("transcript") => true,
            Some(_) => {
                fail("include", "must be transcript");
                false
            }
        };
        errors.done((
            CallLogFilter {
                agent_id,
                status: self.status,
                from,
                to,
            },
            cursor,
            transcripts,
        ))
    }
}

/// The cache key of a filter's total.
fn total_key(filter: &CallLogFilter) -> String {
    let micros = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.timestamp_micros().to_string())
            .unwrap_or_default()
    };
    format!(
        "total:{}:{}:{}:{}",
        filter
            .agent_id
            .map(|a| a.simple().to_string())
            .unwrap_or_default(),
        filter.status.as_deref().unwrap_or_default(),
        micros(filter.from),
        micros(filter.to),
    )
}

#[utoipa::path(tag = "call-logs",
    description = "The organization's calls, newest first. Any role. Offset pages with `page`, or keyset \
                   pages with `cursor` (constant cost however deep). Rows carry the summary, not the \
                   transcript (that is at `/api/call-logs/{id}`), unless `include=transcript`. `total` is \
                   cached per filter for up to 5 minutes (calls arriving through the webhook refresh it at once).",
    params(PageQuery, CallLogQuery), responses((status = 200, body = PageResponse<CallLogListItem>)))]
#[get("")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn list(
    state: State,
    auth: AuthUser,
    Paging(page): Paging,
    query: web::Query<CallLogQuery>,
) -> Reply {
    let (filter, cursor, transcripts) = query.into_inner().parse()?;
    let org = auth.organization_id;
    let mut conn = state.db.read(auth.organization_id).await?;
    let rows = call_logs::page_list(&mut conn, org, &filter, page, cursor, transcripts).await?;
    // Counting a large history costs far more than the page itself, so the
    // total is cached per filter; inbound calls invalidate the namespace.
    let (total, cache) = state
        .cache
        .wrap(Namespace::Call, org, &total_key(&filter), || {
            call_logs::count(&mut conn, org, &filter)
        })
        .await?;
    drop(conn);
    let facts = page::PageFacts {
        total,
        page,
        next_cursor: call_logs::next_cursor(rows.len(), rows.last().map(|(r, _)| r), page),
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(("x-cache", cache.as_str()))
        .body(page::write(&rows, &facts, transcripts)))
}

#[utoipa::path(tag = "call-logs",
    description = "One call with its transcript. Any role. Unknown, malformed and other organizations' ids answer 404.",
    params(("id" = Uuid, Path)), responses((status = 200, body = CallLogResponse), (status = 404)))]
#[get("/{id}")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn get(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
    let mut conn = state.db.read(auth.organization_id).await?;
    let log = call_logs::find(&mut conn, auth.organization_id, id.into_inner())
        .await
        .or_not_found("call log")?;
    Ok(HttpResponse::Ok().json(CallLogResponse::from(log)))
}
