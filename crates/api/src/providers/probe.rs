//! The connection test itself: one authenticated GET with a timeout. A 2xx
//! answer means the key works; anything else is an error with a message that
//! never contains the key or the provider's response body.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::catalog::{AuthScheme, Endpoint};

/// What a test found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub success: bool,
    pub latency_ms: u64,
    pub message: String,
}

fn header(auth: AuthScheme, key: &str) -> Option<(HeaderName, HeaderValue)> {
    let (name, value) = match auth {
        AuthScheme::XiApiKey => (HeaderName::from_static("xi-api-key"), key.to_owned()),
        AuthScheme::Anthropic => (HeaderName::from_static("x-api-key"), key.to_owned()),
        AuthScheme::Bearer => (AUTHORIZATION, format!("Bearer {key}")),
        AuthScheme::Token => (AUTHORIZATION, format!("Token {key}")),
    };
    let mut value = HeaderValue::from_str(&value).ok()?;
    // Keeps the key out of reqwest's Debug output and HPACK tables.
    value.set_sensitive(true);
    Some((name, value))
}

pub async fn probe(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    key: &str,
    timeout: Duration,
) -> Outcome {
    let started = Instant::now();
    let Some((name, value)) = header(endpoint.auth, key) else {
        return Outcome {
            success: false,
            latency_ms: 0,
            message: "the API key cannot be sent in a header".into(),
        };
    };
    let mut request = client
        .get(endpoint.url.clone())
        .timeout(timeout)
        .header(name, value);
    if endpoint.auth == AuthScheme::Anthropic {
        request = request.header("anthropic-version", "2023-06-01");
    }
    let result = request.send().await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (success, message) = match result {
        Ok(response) if response.status().is_success() => (
            true,
            format!(
                "connected: the provider answered HTTP {}",
                response.status().as_u16()
            ),
        ),
        Ok(response) => {
            let status = response.status();
            let hint = match status.as_u16() {
                401 | 403 => " (the API key was rejected)",
                _ => "",
            };
            (
                false,
                format!("the provider answered HTTP {}{hint}", status.as_u16()),
            )
        }
        Err(e) if e.is_timeout() => (
            false,
            format!("no answer within {} ms", timeout.as_millis()),
        ),
        Err(e) if e.is_connect() => (false, format!("could not connect to {}", host(endpoint))),
        Err(_) => (false, format!("the request to {} failed", host(endpoint))),
    };
    Outcome {
        success,
        latency_ms,
        message,
    }
}

fn host(endpoint: &Endpoint) -> String {
    match (endpoint.url.host_str(), endpoint.url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => "the provider".to_owned(),
    }
}
