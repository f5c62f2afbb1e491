//! The console's actions, each a form POST carrying the session's CSRF
//! token: pause and resume a queue, retry one dead job, retry every dead
//! job of a queue, discard one dead job. Each is audited, leaves a message
//! saying what it did and redirects (303) to the page it came from, which
//! shows the new state.

use actix_web::dev::Payload;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, post, web};
use futures::future::LocalBoxFuture;
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

/// What an action answers: the redirect, or the error page.
type Page = Result<HttpResponse, PageError>;

/// What an action did to which queue (and job or count), for the audit.
struct Done {
    action: &'static str,
    queue: Queue,
    target: Option<String>,
}

impl Done {
    fn new(action: &'static str, queue: Queue, target: Option<String>) -> Self {
        Self {
            action,
            queue,
            target,
        }
    }
}

/// What every action takes: the state, the signed-in operator, the request
/// facts for the audit and the form, whose CSRF token is checked before the
/// handler runs.
pub struct Action {
    state: web::Data<AppState>,
    console: Console,
    meta: RequestMeta,
    form: ActionForm,
}

impl FromRequest for Action {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let console = Console::from_request(req, payload);
        let meta = RequestMeta::from_request(req);
        let form = web::Form::<ActionForm>::from_request(req, payload);
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::internal("AppState not registered"))?;
            let console = console.await?;
            let form = form.await?.into_inner();
            checked(&console, &form)?;
            Ok(Self {
                state,
                console,
                meta,
                form,
            })
        })
    }
}

impl Action {
    /// The audit, the message and the redirect every action ends with.
    /// `outcome` is the audit's word for the result, `message` the operator's.
    async fn finish(&self, done: Done, (outcome, message): (&'static str, String)) -> Page {
        let Self {
            state,
            console,
            meta,
            form,
        } = self;
        record(
            state,
            &console.actor,
            meta,
            done.action,
            Some(done.queue),
            done.target,
            outcome,
        )
        .await;
        console.flash(state, message).await;
        Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, back(form.back.as_deref())))
            .finish())
    }
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

/// A job that is not dead (any more) is a message, not an error: another
/// operator, or the job's retry, got there first.
fn on_dead_job<T>(
    result: Result<T, JobsError>,
    id: &str,
    done: impl FnOnce(T) -> (&'static str, String),
) -> Result<(&'static str, String), PageError> {
    match result {
        Ok(value) => Ok(done(value)),
        Err(JobsError::NotFound(_)) => {
            Ok(("not_found", format!("Job {id} is not dead (any more).")))
        }
        Err(e) => Err(e.into()),
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
pub async fn pause(action: Action, path: web::Path<String>) -> Page {
    set_paused(action, &path, true).await
}

#[post("/admin/queues/{queue}/resume")]
pub async fn resume(action: Action, path: web::Path<String>) -> Page {
    set_paused(action, &path, false).await
}

/// Pause and resume are one switch; only the words differ.
async fn set_paused(action: Action, queue: &str, paused: bool) -> Page {
    let queue = parse_queue(queue)?;
    let jobs = &action.state.jobs;
    let changed = if paused {
        jobs.pause(queue).await?
    } else {
        jobs.resume(queue).await?
    };
    let result = match (paused, changed) {
        (true, true) => (
            "paused",
            format!("Paused {queue}: workers take no new jobs from it; new jobs wait."),
        ),
        (true, false) => ("already_paused", format!("{queue} was already paused.")),
        (false, true) => (
            "resumed",
            format!("Resumed {queue}: waiting jobs run again."),
        ),
        (false, false) => ("not_paused", format!("{queue} was not paused.")),
    };
    let name = if paused {
        "queue.pause"
    } else {
        "queue.resume"
    };
    action.finish(Done::new(name, queue, None), result).await
}

#[post("/admin/queues/{queue}/jobs/{id}/retry")]
pub async fn retry(action: Action, path: web::Path<(String, String)>) -> Page {
    let state = &action.state;
    let (queue, id) = path.into_inner();
    let queue = parse_queue(&queue)?;
    let mut conn = state.db.get().await?;
    let result = on_dead_job(state.jobs.retry(&mut conn, queue, &id).await, &id, |r| {
        (
            "retried",
            format!("Job {} of {queue} is queued again.", r.job_id),
        )
    })?;
    action
        .finish(Done::new("job.retry", queue, Some(id)), result)
        .await
}

#[post("/admin/queues/{queue}/dead/retry")]
pub async fn retry_dead(action: Action, path: web::Path<String>) -> Page {
    let state = &action.state;
    let queue = parse_queue(&path)?;
    let mut conn = state.db.get().await?;
    let retried = state.jobs.retry_all_dead(&mut conn, queue).await?;
    let done = Done::new("queue.retry_dead", queue, Some(retried.to_string()));
    action
        .finish(
            done,
            (
                "retried",
                format!("{retried} dead jobs of {queue} are queued again."),
            ),
        )
        .await
}

#[post("/admin/queues/{queue}/jobs/{id}/discard")]
pub async fn discard(action: Action, path: web::Path<(String, String)>) -> Page {
    let state = &action.state;
    let (queue, id) = path.into_inner();
    let queue = parse_queue(&queue)?;
    let result = on_dead_job(state.jobs.discard(queue, &id).await, &id, |()| {
        ("discarded", format!("Job {id} of {queue} is discarded."))
    })?;
    action
        .finish(Done::new("job.discard", queue, Some(id)), result)
        .await
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
