//! Middleware on `/api` that holds API keys to their scopes: the key is
//! resolved here (the handler's `AuthUser` extractor reuses it), the route's
//! family and access are looked up by path, and a key without that scope is
//! refused with 403 `insufficient_scope` before any handler runs. Sessions
//! pass untouched.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use super::principal::{API_KEY_PREFIX, bearer_token};
use super::resolve::resolve;
use super::scope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let is_key = bearer_token(req.request())
        .and_then(|t| t.split_once('_'))
        .is_some_and(|(prefix, _)| prefix == API_KEY_PREFIX);
    if is_key && let Err(e) = check(&req).await {
        return Ok(req.into_response(e.error_response()).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

async fn check(req: &ServiceRequest) -> ApiResult<()> {
    let needed = match scope::required(req.method(), req.path()) {
        scope::Needed::Scope(needed) => needed,
        scope::Needed::Nothing => return Ok(()),
        scope::Needed::Closed => {
            return Err(ApiError::forbidden(
                "insufficient_scope",
                "API keys cannot call this route",
            ));
        }
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState not registered")))?;
    let token = bearer_token(req.request()).unwrap_or_default();
    let user = resolve(state, token).await?;
    scope::require(&user, needed)?;
    req.extensions_mut().insert(user);
    Ok(())
}
