//! Outbound webhook endpoints: list, create (the signing secret is shown
//! once, then kept only encrypted for the delivery worker) and delete. All
//! owner or admin: endpoint URLs often embed tokens of their own.

mod deliveries;
mod dto;
mod status;

use actix_web::{HttpResponse, delete, get, post, web};
use crypto::generate_token;
use serde_json::json;
use storage::models::webhooks::{self, NewWebhook};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audited::{AdminWrite, Change, audited};
use crate::auth::AuthUser;
use crate::error::Reply;
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;

use dto::{CreateWebhook, CreatedWebhook, WebhookResponse};

/// The organization's endpoints, newest first.
#[utoipa::path(tag = "webhooks", params(PageQuery),
    description = "Owner or admin only; members get 403. The signing secret is never listed.",
    responses((status = 200, body = PageResponse<WebhookResponse>), (status = 403)))]
#[get("")]
pub async fn list(state: State, auth: AuthUser, Paging(page): Paging) -> Reply {
    auth.require_admin()?;
    let mut conn = state.db.read(auth.organization_id).await?;
    let rows = webhooks::list(&mut conn, auth.organization_id, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, WebhookResponse::from)))
}

/// Adds an endpoint and answers its signing secret, shown only here.
#[utoipa::path(tag = "webhooks", request_body = CreateWebhook,
    description = "Owner or admin only; members get 403.",
    responses((status = 201, body = CreatedWebhook), (status = 403)))]
#[post("")]
pub async fn create(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<CreateWebhook>,
) -> Reply {
    let (url, events) = body.into_inner().parse()?;
    let secret = generate_token("whsec");
    let new = NewWebhook {
        organization_id: auth.organization_id,
        url,
        encrypted_secret: state.encryption.encrypt(secret.as_bytes()),
        events,
        created_by: auth.user_id,
    };
    let row = audited(&state, &auth, &meta, &[], |c| {
        Box::pin(async move {
            let row = webhooks::insert(c, &new).await?;
            let changes = json!({ "url": row.url, "events": row.events });
            let id = row.id;
            Ok(Change::new(row, "webhook.created", Some(id), changes))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(CreatedWebhook {
        webhook: row.into(),
        secret,
    }))
}

/// Removes an endpoint and its delivery history.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 204), (status = 403), (status = 404)))]
#[delete("/{id}")]
pub async fn delete(AdminWrite { state, auth, meta }: AdminWrite, id: web::Path<Uuid>) -> Reply {
    let (org, id) = (auth.organization_id, id.into_inner());
    audited(&state, &auth, &meta, &[], move |c| {
        Box::pin(async move {
            let found = webhooks::delete(c, org, id).await?;
            Change::deleted(found, "webhook.deleted", id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(delete)
        .service(status::update)
        .service(deliveries::deliveries)
        .service(deliveries::test);
}
