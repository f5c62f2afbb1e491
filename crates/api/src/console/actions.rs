//! The console's actions, each a form POST carrying the session's CSRF
//! token: pause and resume a queue, retry one dead job, retry every dead
//! job of a queue, discard one dead job. Each is audited, leaves a message
//! saying what it did and redirects (303) to the page it came from, which
//! shows the new state.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, post, web};
use jobs::{JobsError, Queue};
use serde::Deserialize;

use super::audit::record;
use super::page_error::PageError;
use super::pages::parse_queue;
use super::session::Console;
use crate::request_meta::RequestMeta;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    /// The page to return to: the overview or a queue page, nothing else.
    back: Option<String>,
}

struct Done {
    action: &'static str,
    queue: Queue,
    target: Option<String>,
    outcome: &'static str,
    message: String,
}

/// The CSRF check, the audit, the message and the redirect every action shares.
async fn finish(
    state: &AppState,
    console: &Console,
    meta: &RequestMeta,
    form: &ActionForm,
    done: Done,
) -> HttpResponse {
    record(
        state,
        &console.actor,
        meta,
        done.action,
        Some(done.queue),
        done.target,
        done.outcome,
    )
    .await;
    console.flash(state, done.message).await;
    HttpResponse::SeeOther()
        .insert_header((LOCATION, back(form.back.as_deref())))
        .finish()
}

fn back(asked: Option<&str>) -> String {
    match asked {
        Some(path) if path == "/admin" => path.to_owned(),
        Some(path) => match path.strip_prefix("/admin/queues/") {
            Some(name) if name.parse::<Queue>().is_ok() => path.to_owned(),
            _ => "/admin".into(),
        },
        None => "/admin".into(),
    }
}

fn checked(console: &Console, form: &ActionForm) -> Result<(), PageError> {
    if console.csrf_ok(&form.csrf) {
        Ok(())
    } else {
        tracing::warn!(actor = %console.actor, "console action refused: bad CSRF token");
        Err(PageError::csrf())
    }
}

#[post("/admin/queues/{queue}/pause")]
pub async fn pause(
    state: web::Data<AppState>,
    console: Console,
    meta: RequestMeta,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    checked(&console, &form)?;
    let queue = parse_queue(&path)?;
    let changed = state.jobs.pause(queue).await?;
    let (outcome, message) = if changed {
        (
            "paused",
            format!("Paused {queue}: workers take no new jobs from it; new jobs wait."),
        )
    } else {
        ("already_paused", format!("{queue} was already paused."))
    };
    let done = Done {
        action: "queue.pause",
        queue,
        target: None,
        outcome,
        message,
    };
    Ok(finish(&state, &console, &meta, &form, done).await)
}

#[post("/admin/queues/{queue}/resume")]
pub async fn resume(
    state: web::Data<AppState>,
    console: Console,
    meta: RequestMeta,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    checked(&console, &form)?;
    let queue = parse_queue(&path)?;
    let changed = state.jobs.resume(queue).await?;
    let (outcome, message) = if changed {
        (
            "resumed",
            format!("Resumed {queue}: waiting jobs run again."),
        )
    } else {
        ("not_paused", format!("{queue} was not paused."))
    };
    let done = Done {
        action: "queue.resume",
        queue,
        target: None,
        outcome,
        message,
    };
    Ok(finish(&state, &console, &meta, &form, done).await)
}

#[post("/admin/queues/{queue}/jobs/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    console: Console,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    checked(&console, &form)?;
    let (queue, id) = path.into_inner();
    let queue = parse_queue(&queue)?;
    let mut conn = state.db.get().await?;
    let (outcome, message) = match state.jobs.retry(&mut conn, queue, &id).await {
        Ok(r) => (
            "retried",
            format!("Job {} of {queue} is queued again.", r.job_id),
        ),
        Err(JobsError::NotFound(_)) => ("not_found", format!("Job {id} is not dead (any more).")),
        Err(e) => return Err(e.into()),
    };
    let done = Done {
        action: "job.retry",
        queue,
        target: Some(id),
        outcome,
        message,
    };
    Ok(finish(&state, &console, &meta, &form, done).await)
}

#[post("/admin/queues/{queue}/dead/retry")]
pub async fn retry_dead(
    state: web::Data<AppState>,
    console: Console,
    meta: RequestMeta,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    checked(&console, &form)?;
    let queue = parse_queue(&path)?;
    let mut conn = state.db.get().await?;
    let retried = state.jobs.retry_all_dead(&mut conn, queue).await?;
    let done = Done {
        action: "queue.retry_dead",
        queue,
        target: Some(retried.to_string()),
        outcome: "retried",
        message: format!("{retried} dead jobs of {queue} are queued again."),
    };
    Ok(finish(&state, &console, &meta, &form, done).await)
}

#[post("/admin/queues/{queue}/jobs/{id}/discard")]
pub async fn discard(
    state: web::Data<AppState>,
    console: Console,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, PageError> {
    checked(&console, &form)?;
    let (queue, id) = path.into_inner();
    let queue = parse_queue(&queue)?;
    let (outcome, message) = match state.jobs.discard(queue, &id).await {
        Ok(()) => ("discarded", format!("Job {id} of {queue} is discarded.")),
        Err(JobsError::NotFound(_)) => ("not_found", format!("Job {id} is not dead (any more).")),
        Err(e) => return Err(e.into()),
    };
    let done = Done {
        action: "job.discard",
        queue,
        target: Some(id),
        outcome,
        message,
    };
    Ok(finish(&state, &console, &meta, &form, done).await)
}

#[cfg(test)]
mod tests {
    use super::back;

    #[test]
    fn only_console_pages_are_returned_to() {
        assert_eq!(back(Some("/admin")), "/admin");
        assert_eq!(back(Some("/admin/queues/email")), "/admin/queues/email");
        assert_eq!(back(Some("/admin/queues/nope")), "/admin");
        assert_eq!(back(Some("https://evil.example")), "/admin");
        assert_eq!(back(Some("//evil.example")), "/admin");
        assert_eq!(back(None), "/admin");
    }
}
