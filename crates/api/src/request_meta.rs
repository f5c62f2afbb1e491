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
        // realip_remote_addr honours Forwarded / X-Forwarded-For, which nginx
        // sets in front of the API.
        let info = req.connection_info();
        Self {
            ip: info.realip_remote_addr().map(str::to_owned),
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
