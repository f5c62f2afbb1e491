//! `/api/admin/queues`: platform operators inspect the job queues and retry
//! dead jobs. Guarded by the platform `ADMIN_TOKEN` alone (compared in
//! constant time), never by an organization role: no tenant's owner may see
//! or touch another tenant's jobs. Without ADMIN_TOKEN the routes answer 404.

use std::future::{Ready, ready};
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use jobs::{JobsError, Queue};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::principal::bearer_token;
use crate::error::{ApiError, ApiResult, Reply};
use crate::state::{AppState, State};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(queues).service(retry).service(retry_dead);
}

/// A request carrying the platform operator token.
pub struct Operator;

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check(req))
    }
}

fn check(req: &HttpRequest) -> ApiResult<Operator> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState not registered")))?;
    let Some(expected) = &state.config.admin_token else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "admin_disabled",
            "operator routes are disabled (no ADMIN_TOKEN configured)",
        ));
    };
    let given =
        bearer_token(req).ok_or_else(|| ApiError::unauthorized("missing operator token"))?;
    if crate::auth::secret::matches(given, expected) {
        Ok(Operator)
    } else {
        Err(ApiError::unauthorized("invalid operator token"))
    }
}

/// Jobs of one queue by state.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatsResponse {
    /// document-processing, email, webhook-delivery, analytics-aggregation or sweeper.
    queue: String,
    /// Ready to run.
    pending: u64,
    /// Taken by a worker, not finished.
    running: u64,
    /// Not due yet: retries and delayed first runs.
    scheduled: u64,
    /// Finished (until retention removes them).
    done: u64,
    /// Of `scheduled`, the ones that failed an attempt and wait for their retry.
    failed: u64,
    /// Out of attempts: retry them here.
    dead: u64,
    /// Worker processes registered on the queue.
    workers: u64,
    /// Seconds the oldest waiting job has waited; null when none waits.
    oldest_waiting_secs: Option<u64>,
    /// Paused from the console: workers take nothing from it.
    paused: bool,
}

impl From<jobs::QueueStats> for QueueStatsResponse {
    fn from(s: jobs::QueueStats) -> Self {
        Self {
            queue: s.queue.as_str().into(),
            pending: s.pending,
            running: s.running,
            scheduled: s.scheduled,
            done: s.done,
            failed: s.failed,
            dead: s.dead,
            workers: s.workers,
            oldest_waiting_secs: s.oldest_waiting_secs,
            paused: s.paused,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuesResponse {
    queues: Vec<QueueStatsResponse>,
    /// Enqueues this API instance could not make since it started (their
    /// rows are picked up by the sweeper).
    enqueue_failures: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Retried {
    /// The job that will run.
    job_id: String,
    /// The row (document, mail, delivery) reset for the retry, if any.
    row_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetriedAll {
    queue: String,
    /// Dead jobs moved back to the queue.
    retried: usize,
}

fn parse_queue(name: &str) -> ApiResult<Queue> {
    name.parse().map_err(|_| ApiError::not_found("queue"))
}

fn jobs_error(e: JobsError) -> ApiError {
    match e {
        JobsError::NotFound(_) => ApiError::not_found("job"),
        JobsError::Database(e) => e.into(),
        JobsError::Json(e) => ApiError::internal(e),
        other @ (JobsError::Redis(_) | JobsError::Command(_) | JobsError::Backend(_)) => {
            ApiError::unavailable("redis", other)
        }
    }
}

#[utoipa::path(tag = "admin",
    description = "Per queue: pending, running, scheduled, failed (waiting for a retry), done and dead \
                   jobs, the oldest waiting job's age and whether the queue is paused (what autoscalers \
                   and alerts read; the worker's /metrics has the same as gauges). \
                   `Authorization: Bearer <ADMIN_TOKEN>`; 401 without it, 404 `admin_disabled` when no \
                   ADMIN_TOKEN is configured.", responses((status = 200, body = QueuesResponse),
    (status = 404), (status = 503)))]
#[get("/queues")]
#[tracing::instrument(skip_all)]
pub async fn queues(state: State, _: Operator) -> Reply {
    let stats = state.jobs.stats().await.map_err(jobs_error)?;
    Ok(HttpResponse::Ok().json(QueuesResponse {
        queues: stats.into_iter().map(QueueStatsResponse::from).collect(),
        enqueue_failures: state.jobs.enqueue_failures(),
    }))
}

#[utoipa::path(tag = "admin",
    description = "Retries one dead job (`id` is the job id) or, on document-processing, email and \
                   webhook-delivery, one failed row (`id` is the document, mail or delivery id): the row \
                   gets a fresh attempt budget and the job runs again. Unknown queue or job: 404.",
    params(("queue" = String, Path), ("id" = String, Path)),
    responses((status = 202, body = Retried), (status = 404), (status = 503)))]
#[post("/queues/{queue}/jobs/{id}/retry")]
#[tracing::instrument(skip_all)]
pub async fn retry(state: State, _: Operator, path: web::Path<(String, String)>) -> Reply {
    let (queue, id) = path.into_inner();
    let queue = parse_queue(&queue)?;
    let mut conn = state.db.get().await?;
    let retried = state
        .jobs
        .retry(&mut conn, queue, &id)
        .await
        .map_err(jobs_error)?;
    Ok(HttpResponse::Accepted().json(Retried {
        job_id: retried.job_id,
        row_id: retried.row_id,
    }))
}

#[utoipa::path(tag = "admin",
    description = "Retries every dead job of a queue; answers how many. Unknown queue: 404.",
    params(("queue" = String, Path)), responses((status = 202, body = RetriedAll), (status = 404),
    (status = 503)))]
#[post("/queues/{queue}/dead/retry")]
#[tracing::instrument(skip_all)]
pub async fn retry_dead(state: State, _: Operator, queue: web::Path<String>) -> Reply {
    let queue = parse_queue(&queue)?;
    let mut conn = state.db.get().await?;
    let retried = state
        .jobs
        .retry_all_dead(&mut conn, queue)
        .await
        .map_err(jobs_error)?;
    tracing::info!(queue = %queue, retried, "dead jobs retried by operator");
    Ok(HttpResponse::Accepted().json(RetriedAll {
        queue: queue.as_str().into(),
        retried,
    }))
}
