//! Every console action is audited (who, when, from where, what, outcome)
//! in the operator audit stream; an audit write that fails is logged, and
//! the action's own answer is not held back by it.

use jobs::control::AuditEntry;

use crate::request_meta::RequestMeta;
use crate::state::AppState;

pub async fn record(
    state: &AppState,
    actor: &str,
    meta: &RequestMeta,
    action: &str,
    queue: Option<jobs::Queue>,
    target: Option<String>,
    outcome: &str,
) {
    let entry = AuditEntry {
        at: chrono::Utc::now().timestamp().max(0) as u64,
        actor: actor.to_owned(),
        ip: meta.ip.clone(),
        action: action.to_owned(),
        queue: queue.map(|q| q.as_str().to_owned()),
        target,
        outcome: outcome.to_owned(),
    };
    if let Err(error) = state.jobs.audit(&entry).await {
        tracing::error!(error = %error, action, actor, "operator action not written to the audit stream");
    }
}
