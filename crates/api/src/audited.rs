//! One audited write: the handler's queries, its audit row and the webhook
//! deliveries of its event run in one transaction; after the commit (never
//! before, so nobody sees a change that rolled back) the cached answers it
//! changes are dropped, the deliveries queued and the event published live.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures::future::LocalBoxFuture;
use kv::cache::Namespace;
use serde_json::Value;
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::cached::invalidate;
use crate::error::{ApiError, ApiResult};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

/// The transaction body: borrows the connection, owns everything else.
pub type TxFuture<'c, T> = Pin<Box<dyn Future<Output = ApiResult<Change<T>>> + Send + 'c>>;

/// What a transaction body produced: the value for the answer, its audit
/// record and, when it announces an event, that event.
pub struct Change<T> {
    value: T,
    audit: AuditEvent<'static>,
    event: Option<Announced>,
}

/// An event whose webhook deliveries were inserted in the transaction.
struct Announced {
    kind: &'static str,
    data: Value,
    deliveries: Vec<Uuid>,
}

impl Change<()> {
    /// The change of a delete of `id`: a 404 naming the entity (the first
    /// part of `action`) when nothing was deleted.
    pub fn deleted(found: bool, action: &'static str, id: Uuid) -> ApiResult<Self> {
        if !found {
            let entity = action.split_once('.').map_or(action, |(entity, _)| entity);
            return Err(ApiError::not_found(entity));
        }
        Ok(Self::new((), action, Some(id), serde_json::json!({})))
    }
}

impl<T> Change<T> {
    /// `action` is `"{entity}.{verb}"`; the entity type is its first part.
    pub fn new(value: T, action: &'static str, entity_id: Option<Uuid>, changes: Value) -> Self {
        let entity_type = action.split_once('.').map_or(action, |(entity, _)| entity);
        Self {
            value,
            audit: AuditEvent {
                action,
                entity_type,
                entity_id,
                changes,
            },
            event: None,
        }
    }

    /// Announces `kind` with `data` to the organization's webhooks (rows
    /// inserted now, in the transaction) and, after the commit, live.
    pub async fn announce(
        mut self,
        c: &mut AsyncPgConnection,
        org: Uuid,
        kind: &'static str,
        data: Value,
    ) -> ApiResult<Self> {
        let deliveries = jobs::publish_event(c, org, kind, data.clone()).await?;
        self.event = Some(Announced {
            kind,
            data,
            deliveries,
        });
        Ok(self)
    }
}

/// Runs `body` in a transaction with its audit row, then drops the cached
/// answers of `stale` and sends the announced event.
pub async fn audited<T: Send + 'static>(
    state: &AppState,
    auth: &AuthUser,
    meta: &RequestMeta,
    stale: &[Namespace],
    body: impl for<'c> FnOnce(&'c mut AsyncPgConnection) -> TxFuture<'c, T> + Send,
) -> ApiResult<T> {
    let mut conn = state.db.get().await?;
    let (value, event) = conn
        .transaction::<_, ApiError, _>(async move |c| {
            let Change {
                value,
                audit,
                event,
            } = body(c).await?;
            audit::record(c, auth, meta, audit).await?;
            Ok((value, event))
        })
        .await?;
    drop(conn);
    let org = auth.organization_id;
    if !stale.is_empty() {
        invalidate(state, org, stale).await;
    }
    if let Some(event) = event {
        state
            .jobs
            .enqueue_webhook_deliveries(&event.deliveries)
            .await;
        state
            .events
            .publish_or_log(&kv::events::Event::new(event.kind, org, event.data))
            .await;
    }
    Ok(value)
}

/// The arguments of an owner's or admin's write, taken at once: the state,
/// the caller (403 below admin, before the body is read) and the request
/// facts the audit row records.
pub struct AdminWrite {
    pub state: web::Data<AppState>,
    pub auth: AuthUser,
    pub meta: RequestMeta,
}

impl FromRequest for AdminWrite {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, ApiResult<Self>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = AuthUser::from_request(req, payload);
        let meta = RequestMeta::from_request(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let auth = auth.await?;
            auth.require_admin()?;
            let state = state
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState not registered")))?;
            Ok(Self { state, auth, meta })
        })
    }
}
