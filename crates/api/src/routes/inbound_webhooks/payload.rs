//! The ElevenLabs post-call payload and its checked conversion into a call log.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use storage::models::call_logs::NewCallLog;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::input::{FieldErrors, TextRule, json};

use super::PLATFORM;

#[derive(Debug, Deserialize)]
pub(super) struct Event {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) data: EventData,
}

#[derive(Debug, Deserialize)]
pub(super) struct EventData {
    pub(super) conversation_id: String,
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) transcript: Option<Value>,
    #[serde(default)]
    pub(super) metadata: Metadata,
    #[serde(default)]
    pub(super) analysis: Analysis,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Metadata {
    pub(super) start_time_unix_secs: Option<i64>,
    pub(super) call_duration_secs: Option<f64>,
    /// Dollars.
    pub(super) cost: Option<f64>,
    pub(super) termination_reason: Option<String>,
    pub(super) phone_call: Option<PhoneCall>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PhoneCall {
    pub(super) direction: Option<String>,
    pub(super) external_number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Analysis {
    pub(super) transcript_summary: Option<String>,
    pub(super) call_successful: Option<String>,
}

pub(super) const CONVERSATION_ID: TextRule = TextRule::line(200);
pub(super) const PHONE: TextRule = TextRule::line(64).blank_ok();
pub(super) const SUMMARY: TextRule = TextRule::multiline(100_000).blank_ok();

/// ElevenLabs' conversation status in our vocabulary.
pub(super) fn map_status(status: Option<&str>) -> &'static str {
    match status {
        Some("initiated") => "initiated",
        Some("in-progress" | "in_progress" | "processing") => "in_progress",
        Some("failed") => "failed",
        Some("no_answer" | "no-answer") => "no_answer",
        Some("busy") => "busy",
        // "done", absent, or a status newer than this code: the call ended.
        _ => "completed",
    }
}

impl EventData {
    pub(super) fn into_call(self, org: Uuid, agent: Uuid) -> ApiResult<NewCallLog> {
        // What the platform sends is input like any other: no NUL reaches
        // a text or jsonb column.
        let mut f = FieldErrors::default();
        let conversation_id = f.required_text(
            "data.conversation_id",
            Some(self.conversation_id),
            CONVERSATION_ID,
        );
        let summary = f.text(
            "data.analysis.transcript_summary",
            self.analysis.transcript_summary,
            SUMMARY,
        );
        let transcript = self.transcript.filter(|t| !t.is_null());
        if transcript.as_ref().is_some_and(json::has_nul) {
            f.fail("data.transcript", "must not contain NUL characters");
        }
        let m = self.metadata;
        let duration = m.call_duration_secs.unwrap_or(0.0);
        if !(0.0..=i32::MAX as f64).contains(&duration) {
            return Err(ApiError::invalid_field(
                "data.metadata.call_duration_secs",
                "must be 0 or more",
            ));
        }
        let cost = m.cost.unwrap_or(0.0);
        if !(0.0..=1e9).contains(&cost) {
            return Err(ApiError::invalid_field(
                "data.metadata.cost",
                "must be 0 or more",
            ));
        }
        let started_at = match m.start_time_unix_secs {
            Some(secs) => DateTime::from_timestamp(secs, 0).ok_or_else(|| {
                ApiError::invalid_field("data.metadata.start_time_unix_secs", "out of range")
            })?,
            None => Utc::now(),
        };
        let duration_seconds = duration.round() as i32;
        let (direction, phone_number) = match m.phone_call {
            Some(p) => (
                if p.direction.as_deref() == Some("outbound") {
                    "outbound"
                } else {
                    "inbound"
                },
                f.text(
                    "data.metadata.phone_call.external_number",
                    p.external_number,
                    PHONE,
                ),
            ),
            None => ("web", None),
        };
        let metadata = json!({
            "platformStatus": self.status,
            "callSuccessful": self.analysis.call_successful,
            "terminationReason": m.termination_reason,
        });
        if json::has_nul(&metadata) {
            f.fail("data.metadata", "must not contain NUL characters");
        }
        f.done(NewCallLog {
            organization_id: org,
            agent_id: Some(agent),
            platform: PLATFORM.into(),
            conversation_id: conversation_id.unwrap_or_default(),
            phone_number,
            direction: direction.into(),
            status: map_status(self.status.as_deref()).into(),
            duration_seconds,
            cost_micros: (cost * 1_000_000.0).round() as i64,
            transcript: transcript.unwrap_or_else(|| json!([])),
            summary,
            metadata,
            started_at,
            ended_at: Some(started_at + chrono::Duration::seconds(i64::from(duration_seconds))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn statuses_map_to_ours() {
        assert_eq!(map_status(Some("done")), "completed");
        assert_eq!(map_status(Some("in-progress")), "in_progress");
        assert_eq!(map_status(Some("failed")), "failed");
        assert_eq!(map_status(None), "completed");
    }
}
