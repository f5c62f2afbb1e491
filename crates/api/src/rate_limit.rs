//! The per-token request budget: every bearer token may make
//! `API_RATE_LIMIT_PER_MINUTE` requests a minute, counted in Redis so all
//! instances share one budget (leased in batches, so most requests cost no
//! round trip). Past it: 429 with Retry-After. Without Redis the budget
//! fails open, like the login throttle.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use kv::rate_limit::Limit;
use std::time::Duration;

use crate::auth::principal::bearer_token;
use crate::error::ApiError;
use crate::state::AppState;

const SCOPE: &str = "api";

pub async fn per_token_budget(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token_id = bearer_token(req.request()).map(|token| {
        // A digest prefix names the token without putting it in Redis.
        hex::encode(&crypto::token_digest(token)[..12])
    });
    if let (Some(state), Some(token_id)) = (state, token_id) {
        let limit = Limit::new(state.config.rate_limit_per_minute, Duration::from_secs(60));
        let outcome = state.budget.hit(SCOPE, &token_id, limit).await;
        if let Some(retry_after) = outcome.retry_after_secs() {
            metrics::counter!("rate_limit_rejections_total", "scope" => SCOPE).increment(1);
            let response =
                actix_web::ResponseError::error_response(&ApiError::too_many_requests(retry_after));
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
