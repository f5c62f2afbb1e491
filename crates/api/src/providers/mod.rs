//! Connection tests of provider credentials: where each provider is reached
//! and how it authenticates (`catalog`), and the one authenticated request
//! that proves a key works (`probe`), over one HTTP client built once.

pub mod catalog;
pub mod probe;

use std::sync::OnceLock;
use std::time::Duration;

use crate::error::{ApiError, ApiResult};

/// Keys shorter than this would be shown whole by `apiKeyLast4`.
pub const MIN_API_KEY: usize = 8;
pub const MAX_API_KEY: usize = 4096;

static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
static CLIENT_ALLOWING_PRIVATE: OnceLock<reqwest::Client> = OnceLock::new();

/// The process-wide client (its connection pool is reused across tests of
/// one provider). Redirects are not followed, so a key is only ever sent to
/// the configured host; unless `allow_private`, private, loopback and
/// link-local addresses are refused at connect time (an admin-chosen
/// `config.baseUrl` must not reach our own network).
pub fn client(allow_private: bool) -> ApiResult<&'static reqwest::Client> {
    let cell = if allow_private {
        &CLIENT_ALLOWING_PRIVATE
    } else {
        &CLIENT
    };
    if let Some(client) = cell.get() {
        return Ok(client);
    }
    let client =
        outbound::client(Duration::from_secs(30), allow_private).map_err(ApiError::internal)?;
    Ok(cell.get_or_init(|| client))
}

/// A stored key is bound to the origin (scheme, host, port) it was entered
/// for: a change of `baseUrl` or provider that would send it elsewhere needs
/// the key again (422 `credential_host_changed`), so `/test` never hands
/// the stored key to a host the person who entered it did not choose.
pub fn require_same_origin(
    stored_for: Result<catalog::Endpoint, &'static str>,
    new: Result<catalog::Endpoint, &'static str>,
) -> ApiResult<()> {
    let same = match (stored_for, new) {
        (Ok(a), Ok(b)) => a.url.origin() == b.url.origin(),
        // An unusable new config is refused by validation; an unusable old
        // one has no origin to protect.
        _ => true,
    };
    if same {
        return Ok(());
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "credential_host_changed",
        "the new base URL points to another host: send credentials.apiKey again",
    )
    .with_details(serde_json::json!({ "credentials.apiKey": "is required when the host changes" })))
}

crate::wire_rule!(
    /// An API key as `check_api_key` takes it: after trimming, 8 to 4096
    /// printable ASCII characters without spaces.
    ApiKeyText,
    crate::input::schema::trimmed(&format!("[!-~]{{{MIN_API_KEY},{MAX_API_KEY}}}"))
);

/// Checks an API key from a request body; the reason names no part of it.
pub fn check_api_key(key: &str) -> Result<String, &'static str> {
    let key = key.trim();
    if key.chars().count() < MIN_API_KEY {
        return Err("must be at least 8 characters");
    }
    if key.len() > MAX_API_KEY {
        return Err("must be at most 4096 characters");
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces");
    }
    Ok(key.to_owned())
}

/// The outcome of a connection test (integrations and providers).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTestResult {
    pub success: bool,
    /// The status recorded: active or error.
    pub status: String,
    pub latency_ms: u64,
    pub message: String,
}

/// Tests a stored key against its endpoint. `api_key` is `None` when the
/// stored credentials cannot be read; `endpoint` is an error when
/// `config.baseUrl` is unusable. Neither failure reaches the network.
/// A connection test under this deployment's timeout and address policy.
pub async fn test_configured(
    state: &crate::state::AppState,
    api_key: Option<&str>,
    endpoint: Result<catalog::Endpoint, &'static str>,
) -> ApiResult<ConnectionTestResult> {
    let timeout = Duration::from_millis(state.config.provider_test_timeout_ms);
    test_connection(
        api_key,
        endpoint,
        timeout,
        state.config.provider_allow_private,
    )
    .await
}

pub async fn test_connection(
    api_key: Option<&str>,
    endpoint: Result<catalog::Endpoint, &'static str>,
    timeout: Duration,
    allow_private: bool,
) -> ApiResult<ConnectionTestResult> {
    let failed = |message: String| probe::Outcome {
        success: false,
        latency_ms: 0,
        message,
    };
    let outcome = match (api_key, endpoint) {
        (None, _) => failed("the stored credentials cannot be read; save them again".into()),
        (_, Err(reason)) => failed(format!("config.baseUrl {reason}")),
        (Some(key), Ok(endpoint)) => {
            match outbound::check_url(endpoint.url.as_str(), allow_private) {
                // An IP-literal host never reaches the resolver that guards names.
                Err(refused) => failed(refused),
                Ok(_) => probe::probe(client(allow_private)?, &endpoint, key, timeout).await,
            }
        }
    };
    use storage::models::integrations::status;
    let status = if outcome.success {
        status::ACTIVE
    } else {
        status::ERROR
    };
    Ok(ConnectionTestResult {
        success: outcome.success,
        status: status.to_owned(),
        latency_ms: outcome.latency_ms,
        message: outcome.message,
    })
}
