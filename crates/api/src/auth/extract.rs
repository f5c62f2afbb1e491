//! The `AuthUser` extractor: a handler argument that resolves the request's
//! bearer token (or takes what the scope middleware already resolved) and
//! answers 401 for a missing, unknown, expired or revoked token. Apart from
//! `principal` (the types) so that `resolve` can build on those types
//! without the two modules importing each other.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures::future::LocalBoxFuture;

use super::principal::{AuthUser, bearer_token};
use super::resolve::resolve;
use crate::error::ApiError;
use crate::state::AppState;

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Middleware or an earlier extractor may already have resolved it.
        if let Some(user) = req.extensions().get::<AuthUser>() {
            let user = user.clone();
            return Box::pin(async move { Ok(user) });
        }
        let token = bearer_token(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
            let state = state
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState not registered")))?;
            let user = resolve(&state, &token).await?;
            req.extensions_mut().insert(user.clone());
            Ok(user)
        })
    }
}
