//! Pending invitations: listed and withdrawn by owners and admins. A
//! withdrawn invitation's token stops working at once and its seat is free.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use storage::models::invitations::{self, Invitation};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audited::{AdminWrite, Change, audited};
use crate::auth::AuthUser;
use crate::error::{ApiError, Reply};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::routes::users::InvitationResponse;
use crate::state::State;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_invitations).service(revoke_invitation);
}

/// An unaccepted invitation; never its token.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingInvitation {
    #[serde(flatten)]
    invitation: InvitationResponse,
    /// `pending`, or `expired` once `expiresAt` has passed.
    status: &'static str,
}

impl PendingInvitation {
    fn new(i: Invitation, now: DateTime<Utc>) -> Self {
        let status = if i.expires_at > now {
            "pending"
        } else {
            "expired"
        };
        Self {
            invitation: i.into(),
            status,
        }
    }
}

/// The organization's unaccepted invitations, newest first (owner/admin).
#[utoipa::path(tag = "team", params(PageQuery),
    responses((status = 200, body = PageResponse<PendingInvitation>), (status = 403)))]
#[get("")]
pub async fn list_invitations(state: State, auth: AuthUser, Paging(page): Paging) -> Reply {
    auth.require_admin()?;
    let rows = invitations::list_unaccepted(
        &mut *state.db.read(auth.organization_id).await?,
        auth.organization_id,
        page,
    )
    .await?;
    let now = Utc::now();
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, |i| PendingInvitation::new(i, now))))
}

/// Withdraws an unaccepted invitation (owner/admin): its link stops working.
#[utoipa::path(tag = "team", params(("id" = Uuid, Path)), responses((status = 204), (status = 403),
    (status = 404, description = "unknown, accepted, or another organization's")))]
#[delete("/{id}")]
pub async fn revoke_invitation(
    AdminWrite { state, auth, meta }: AdminWrite,
    path: web::Path<Uuid>,
) -> Reply {
    let id = path.into_inner();
    let org = auth.organization_id;
    audited(&state, &auth, &meta, &[], move |c| {
        Box::pin(async move {
            let revoked = invitations::revoke(c, org, id)
                .await?
                .ok_or_else(|| ApiError::not_found("invitation"))?;
            let changes = json!({ "email": revoked.email, "role": revoked.role });
            Ok(Change::new((), "invitation.revoked", Some(id), changes))
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
