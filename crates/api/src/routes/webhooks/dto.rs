//! The wire shapes of outgoing webhooks and the parsing of a new endpoint (URL, events).

use chrono::{DateTime, Utc};
use jobs::EventKind;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use storage::models::webhooks::Webhook;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::input::text::is_clean;
use crate::input::{FieldErrors, schema};

pub(super) const MAX_URL: usize = 2048;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    pub(super) id: Uuid,
    pub(super) url: String,
    pub(super) events: Vec<String>,
    /// False once disabled after repeated delivery failures.
    pub(super) is_active: bool,
    pub(super) failure_count: i32,
    pub(super) last_failure_at: Option<DateTime<Utc>>,
    pub(super) disabled_at: Option<DateTime<Utc>>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events,
            is_active: w.is_active,
            failure_count: w.failure_count,
            last_failure_at: w.last_failure_at,
            disabled_at: w.disabled_at,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// The new endpoint with its signing secret: shown this once only.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub(super) webhook: WebhookResponse,
    /// `whsec_...`: verify the HMAC-SHA256 signature of each delivery with it.
    pub(super) secret: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateWebhook {
    #[schema(value_type = WebhookUrl, required)]
    pub(super) url: Option<String>,
    /// Duplicates are dropped.
    #[schema(value_type = Vec<WebhookEvent>, required, min_items = 1)]
    pub(super) events: Option<Vec<String>>,
}

crate::wire_rule!(
    /// An absolute http(s) URL (`parse_url`). The parser takes any URL the
    /// WHATWG rules read with an http(s) scheme and a host; the pattern
    /// states a plain subset that normalises to itself (or one "/" more, so
    /// the bound is one short of `MAX_URL`), so a client reading it sends
    /// one the parser takes.
    WebhookUrl,
    schema::text(
        Some(r"^https?://[a-z][a-z0-9]*(?:\.[a-z][a-z0-9]*)*(?::[1-9][0-9]{0,3})?(?:/[A-Za-z0-9._~-]*)*$".into()),
        None,
        MAX_URL - 1,
    )
);
crate::wire_rule!(
    /// An event a webhook may subscribe to.
    WebhookEvent,
    schema::one_of(EventKind::subscribable_names())
);

pub(super) fn parse_url(url: Option<String>) -> Result<String, &'static str> {
    let text = url.ok_or("is required")?.trim().to_owned();
    if text.len() > MAX_URL {
        return Err("must be at most 2048 characters");
    }
    // The URL parser would quietly drop or escape a control character; the
    // caller meant something else, so it is refused.
    if !is_clean(&text) {
        return Err("must not contain NUL or other control characters");
    }
    let parsed = Url::parse(&text).map_err(|_| "must be an absolute http(s) URL")?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("must be an absolute http(s) URL");
    }
    // What is stored is the normalised URL, which may be longer ("/" added,
    // characters escaped); the table holds at most MAX_URL.
    let normalised = parsed.to_string();
    if normalised.len() > MAX_URL {
        return Err("must be at most 2048 characters once normalised");
    }
    Ok(normalised)
}

pub(super) fn parse_events(events: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let events = events.ok_or("is required")?;
    if events.is_empty() {
        return Err("must name at least one event".into());
    }
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for event in events {
        let event = event.trim();
        if !EventKind::subscribable_names().any(|known| known == event) {
            let known: Vec<_> = EventKind::subscribable_names().collect();
            return Err(format!("unknown event; known: {}", known.join(", ")));
        }
        if !out.iter().any(|e| e == event) {
            out.push(event.to_owned());
        }
    }
    Ok(out)
}

impl CreateWebhook {
    pub(super) fn parse(self) -> ApiResult<(String, Vec<String>)> {
        let mut errors = FieldErrors::default();
        let url = errors.check("url", parse_url(self.url));
        let events = errors.check("events", parse_events(self.events));
        match (url, events) {
            (Some(url), Some(events)) => Ok((url, events)),
            _ => Err(errors.into_error()),
        }
    }
}
