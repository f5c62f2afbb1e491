//! The console's pages: the overview (every queue with its counts, the last
//! hour per minute, pause state and actions; live and recently dead worker
//! processes; recent operator actions), one queue's dead or scheduled jobs
//! page by page, and one job looked up by id.

use actix_web::{HttpResponse, get, routes, web};
use jobs::Queue;
use jobs::control::{JobSet, MinuteCount};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::page_error::PageError;
use super::render;
use super::session::Console;
use crate::state::AppState;

const PAGE_SIZE: u64 = 25;
const SPARK_HEIGHT: f64 = 22.0;

/// What every signed-in page shows around its content.
async fn frame(state: &AppState, console: &Console) -> Value {
    let names: Vec<&str> = Queue::ALL.iter().map(|q| q.as_str()).collect();
    context! {
        csrf => console.csrf,
        actor => console.actor,
        queue_names => names,
        notice => console.take_flash(state).await,
        now => chrono::Utc::now().timestamp().max(0) as u64,
    }
}

pub fn parse_queue(name: &str) -> Result<Queue, PageError> {
    name.parse().map_err(|_| PageError::not_found("queue"))
}

#[derive(Serialize)]
struct Bar {
    x: f64,
    done: f64,
    failed: f64,
}

/// One SVG bar pair per minute, scaled to the busiest minute.
fn bars(minutes: &[MinuteCount]) -> Vec<Bar> {
    let peak = minutes
        .iter()
        .map(|m| m.done + m.failed)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = |n: u64| {
        if n == 0 {
            0.0
        } else {
            (n as f64 / peak * SPARK_HEIGHT).max(1.0).round()
        }
    };
    minutes
        .iter()
        .enumerate()
        .map(|(i, m)| Bar {
            x: i as f64 * 2.0,
            done: height(m.done + m.failed),
            failed: height(m.failed),
        })
        .collect()
}

#[routes]
#[get("/admin")]
#[get("/admin/")]
pub async fn overview(
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, PageError> {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let mut queues = Vec::with_capacity(Queue::ALL.len());
    for stats in state.jobs.stats().await? {
        let minutes = state.jobs.throughput(stats.queue, now, 60).await?;
        queues.push(context! {
            name => stats.queue.as_str(),
            paused => stats.paused,
            done_hour => minutes.iter().map(|m| m.done).sum::<u64>(),
            failed_hour => minutes.iter().map(|m| m.failed).sum::<u64>(),
            bars => bars(&minutes),
            stats => stats,
        });
    }
    let workers = state.jobs.workers().await?;
    let ignores_pause: Vec<&str> = workers
        .live
        .iter()
        .filter(|w| !w.honours_pause)
        .map(|w| w.name.as_str())
        .collect();
    let audit = state.jobs.audit_recent(15).await?;
    let ctx = context! {
        ..frame(&state, &console).await,
        ..context! { queues, workers, ignores_pause, audit }
    };
    Ok(render::ok("overview.html", ctx))
}

#[derive(Deserialize)]
pub struct ListQuery {
    set: Option<String>,
    page: Option<u64>,
}

#[get("/admin/queues/{queue}")]
pub async fn queue_page(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let queue = parse_queue(&path)?;
    let set = match query.set.as_deref().unwrap_or("dead") {
        "dead" => JobSet::Dead,
        "scheduled" => JobSet::Scheduled,
        _ => {
            return Err(PageError::bad_request(
                "invalid_set",
                "set is dead or scheduled.",
            ));
        }
    };
    let page = query.page.unwrap_or(0).min(1_000_000);
    let stats = state.jobs.queue_stats(queue).await?;
    let mut conn = state.db.get().await?;
    let list = state
        .jobs
        .list_jobs(&mut conn, queue, set, page * PAGE_SIZE, PAGE_SIZE)
        .await?;
    let pages = list.total.div_ceil(PAGE_SIZE).max(1);
    let set_name = match set {
        JobSet::Dead => "dead",
        JobSet::Scheduled => "scheduled",
    };
    let ctx = context! {
        ..frame(&state, &console).await,
        ..context! {
            queue => queue.as_str(),
            back => format!("/admin/queues/{queue}"),
            set => set_name,
            stats, list, page, pages,
            prev => page.checked_sub(1),
            next => (page + 1 < pages).then_some(page + 1),
        }
    };
    Ok(render::ok("queue.html", ctx))
}

#[derive(Deserialize)]
pub struct FindQuery {
    queue: String,
    id: String,
}

#[get("/admin/jobs")]
pub async fn job(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, PageError> {
    let queue = parse_queue(&query.queue)?;
    let id = query.id.trim();
    if id.is_empty() || id.len() > 64 {
        return Err(PageError::bad_request(
            "invalid_id",
            "A job id is 1 to 64 characters.",
        ));
    }
    let mut conn = state.db.get().await?;
    let job = state
        .jobs
        .find_job(&mut conn, queue, id)
        .await?
        .ok_or_else(|| PageError::not_found("job in this queue"))?;
    let ctx = context! { ..frame(&state, &console).await, ..context! { job } };
    Ok(render::ok("job.html", ctx))
}
