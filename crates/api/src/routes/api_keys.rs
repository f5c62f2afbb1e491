//! API keys for programmatic consumers: created by an owner or admin (the
//! key is shown once), listed by prefix, revoked at once.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use crypto::{generate_token, token_digest};
use serde::{Deserialize, Serialize};
use serde_json::json;
use storage::models::api_keys::{self, ApiKey, NewApiKey};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audited::{AdminWrite, Change, audited};
use crate::auth::input::DisplayName;
use crate::auth::principal::API_KEY_PREFIX;
use crate::auth::scope;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, Reply};
use crate::input::FieldErrors;
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;

/// Characters of a key kept for display: `esk_` and 8 more.
const DISPLAY_PREFIX_LEN: usize = 12;
const NAME_MAX_CHARS: usize = 100;

crate::wire_rule!(
    /// An API key's name: one line, 1 to 100 characters.
    KeyName,
    crate::input::schema::line(NAME_MAX_CHARS)
);
crate::wire_rule!(
    /// The roles a key may be given.
    KeyRole,
    crate::input::schema::one_of(["admin", "member"])
);

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_api_keys)
        .service(create_api_key)
        .service(revoke_api_key);
}

/// A key as listed: never the key or its digest.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyResponse {
    id: Uuid,
    name: String,
    /// The key's first characters, to recognise it.
    prefix: String,
    /// admin or member: what the key may do (at most its creator's role).
    role: String,
    /// Resource families and access the key may use (`agents:read`, ...).
    scopes: Vec<String>,
    created_by: Option<Uuid>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            role: k.role,
            scopes: k.scopes,
            created_by: k.created_by,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            created_at: k.created_at,
        }
    }
}

/// The organization's active keys, newest first (owner/admin).
#[utoipa::path(tag = "auth", params(PageQuery),
    responses((status = 200, body = PageResponse<ApiKeyResponse>), (status = 403)))]
#[get("")]
pub async fn list_api_keys(state: State, auth: AuthUser, Paging(page): Paging) -> Reply {
    auth.require_admin()?;
    let keys = api_keys::list_active(
        &mut *state.db.read(auth.organization_id).await?,
        auth.organization_id,
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(keys, ApiKeyResponse::from)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateApiKeyRequest {
    /// 1 to 100 characters.
    #[schema(value_type = KeyName, required)]
    name: String,
    /// admin or member (default member).
    #[schema(value_type = Option<KeyRole>)]
    role: Option<String>,
    /// Scopes the key may use, e.g. `["agents:read", "calls:read"]` (see
    /// docs/API.md); every scope when absent. Write includes read.
    #[schema(value_type = Option<Vec<crate::auth::scope::ScopeName>>, min_items = 1)]
    scopes: Option<Vec<String>>,
    /// When the key stops working; never when absent.
    expires_at: Option<DateTime<Utc>>,
}

/// A new key: `key` appears in this answer only.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKeyResponse {
    key: String,
    #[serde(flatten)]
    api_key: ApiKeyResponse,
}

/// Creates a key (owner/admin, from a user session: a key cannot mint keys).
#[utoipa::path(tag = "auth", request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKeyResponse),
    (status = 403, description = "not owner/admin, or called with an API key")))]
#[post("")]
pub async fn create_api_key(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<CreateApiKeyRequest>,
) -> Reply {
    let creator = auth.require_user()?;
    let mut body = body.into_inner();
    let mut errors = FieldErrors::default();
    let name = errors.check(
        "name",
        DisplayName::parse_within(&body.name, NAME_MAX_CHARS),
    );
    let role = errors.check(
        "role",
        match body.role.as_deref().map(str::trim) {
            None => Ok(Role::Member),
            Some(raw) => match Role::parse(raw) {
                Some(role @ (Role::Admin | Role::Member)) => Ok(role),
                _ => Err("must be admin or member"),
            },
        },
    );
    let expires_ok = errors.check(
        "expiresAt",
        match body.expires_at {
            Some(at) if at <= Utc::now() => Err("must be in the future"),
            _ => Ok(()),
        },
    );
    let scopes = errors.check("scopes", scope::parse_list(body.scopes.take()));
    let (Some(name), Some(role), Some(()), Some(scopes)) = (name, role, expires_ok, scopes) else {
        return Err(errors.into_error());
    };

    let key = generate_token(API_KEY_PREFIX);
    let prefix: String = key.chars().take(DISPLAY_PREFIX_LEN).collect();
    let key_hash = token_digest(&key);
    let new = NewApiKey {
        organization_id: auth.organization_id,
        created_by: Some(creator),
        name: name.into_string(),
        prefix,
        key_hash,
        role: role.as_str().into(),
        scopes,
        expires_at: body.expires_at,
    };
    let created = audited(&state, &auth, &meta, &[], |c| {
        Box::pin(async move {
            let created = api_keys::insert(c, &new).await?;
            let changes = json!({
                "name": created.name, "role": created.role, "scopes": created.scopes, "prefix": created.prefix,
            });
            let id = created.id;
            Ok(Change::new(created, "api_key.created", Some(id), changes))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyResponse {
        key,
        api_key: created.into(),
    }))
}

/// Revokes a key at once (owner/admin).
#[utoipa::path(tag = "auth", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
#[delete("/{id}")]
pub async fn revoke_api_key(
    AdminWrite { state, auth, meta }: AdminWrite,
    path: web::Path<Uuid>,
) -> Reply {
    let id = path.into_inner();
    let org = auth.organization_id;
    let digest = audited(&state, &auth, &meta, &[], move |c| {
        Box::pin(async move {
            let revoked = api_keys::revoke(c, org, id)
                .await?
                .ok_or_else(|| ApiError::not_found("api key"))?;
            let changes = json!({ "name": revoked.name, "prefix": revoked.prefix });
            Ok(Change::new(
                revoked.key_hash,
                "api_key.revoked",
                Some(id),
                changes,
            ))
        })
    })
    .await?;
    crate::auth::resolve::forget_tokens(&state, org, &[digest]).await;
    Ok(HttpResponse::NoContent().finish())
}
