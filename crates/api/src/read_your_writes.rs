//! Read-your-writes for requests: after a write request of an organization
//! (any method but GET, HEAD and OPTIONS), its replica-tolerant reads go to
//! the primary for the window of `kv::write_pins`. The pin is set before
//! the response leaves, so the caller's next request already sees it, on
//! whichever instance it lands.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::auth::AuthUser;
use crate::state::AppState;

/// Whether a request of this method may have written.
fn may_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn pin_after_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = may_write(req.method());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if writes && let Some(pins) = state.as_ref().and_then(|s| s.db.write_pins()) {
        // The extractor stored the caller while the handler ran.
        let org = response
            .request()
            .extensions()
            .get::<AuthUser>()
            .map(|user| user.organization_id);
        if let Some(org) = org {
            pins.pin(org).await;
        }
    }
    Ok(response)
}
