//! email: render the outbox row's template and send it (SMTP, or an .eml
//! file without SMTP), then record sent or failed in the row.

use chrono::Utc;
use jobs::{EmailJob, Queue};
use serde_json::json;
use storage::models::email_outbox;
use storage::models::leases::LeasedTable;

use super::after;
use crate::app::App;
use crate::lease::{self, LeaseKeeper};
use crate::mail::MailError;
use crate::outcome::{JobError, JobResult, after_failure};

#[tracing::instrument(skip_all, fields(email.id = %job.email_id))]
pub async fn handle(app: std::sync::Arc<App>, job: EmailJob) -> JobResult {
    let app = &*app;
    let id = job.email_id;
    let mut conn = app.db.get().await?;
    let Some(mail) =
        email_outbox::claim(&mut conn, id, Utc::now(), after(app.config.lease())).await?
    else {
        return lease::refused(app, LeasedTable::EmailOutbox, id).await;
    };
    drop(conn);
    if let Some(error) = lease::exhausted(app, Queue::Email, mail.attempts) {
        let mut conn = app.db.get().await?;
        email_outbox::mark_failed(&mut conn, id, &error).await?;
        return Err(JobError::Dead(error));
    }
    let _keeper = LeaseKeeper::start(
        app,
        LeasedTable::EmailOutbox,
        id,
        mail.lease_until.unwrap_or_else(Utc::now),
    );
    // A token-carrying link is sealed at rest; open it only to render.
    let rendered = crypto::sealed_link::open(&mail.data, &app.key)
        .map_err(|e| MailError::Permanent(format!("the sealed link: {e}")))
        .and_then(|data| {
            app.mailer
                .render(id, &mail.template, &mail.to_address, &data)
        });
    let sent = match rendered {
        Ok(message) => app.mailer.send(id, message).await,
        Err(e) => Err(e),
    };
    let mut conn = app.db.get().await?;
    match sent {
        Ok(()) => {
            email_outbox::mark_sent(&mut conn, id).await?;
            tracing::info!(email.id = %id, template = %mail.template, "e-mail sent");
            Ok(json!({"sent": true}))
        }
        Err(MailError::Permanent(error)) => {
            email_outbox::mark_failed(&mut conn, id, &error).await?;
            Err(JobError::Dead(error))
        }
        Err(MailError::Transient(error)) => {
            match after_failure(app, Queue::Email, mail.attempts as u32) {
                Some(delay) => {
                    email_outbox::schedule_retry(&mut conn, id, &error, after(delay)).await?;
                    Err(JobError::Retry {
                        error,
                        after: delay,
                    })
                }
                None => {
                    let error = format!("gave up after {} attempts: {error}", mail.attempts);
                    email_outbox::mark_failed(&mut conn, id, &error).await?;
                    Err(JobError::Dead(error))
                }
            }
        }
    }
}
