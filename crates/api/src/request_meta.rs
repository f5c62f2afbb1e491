//! `RequestMeta`: the client address, user agent and request id of a request,
//! for audit rows, sessions and per-address rate limits.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use tracing_actix_web::RequestId;

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestMeta {
    pub fn from_request(req: &HttpRequest) -> Self {
        // Forwarded headers are the client's to write unless a proxy in
        // front overwrites them; trusting them blindly would let a client
        // pick its own address and dodge per-address limits.
        let trust_proxy = req
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .is_some_and(|state| state.config.trust_proxy_headers);
        let ip = if trust_proxy {
            req.connection_info()
                .realip_remote_addr()
                .map(str::to_owned)
        } else {
            req.peer_addr().map(|addr| addr.ip().to_string())
        };
        Self {
            ip,
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            request_id: req.extensions().get::<RequestId>().map(ToString::to_string),
        }
    }
}

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::from_request(req)))
    }
}
