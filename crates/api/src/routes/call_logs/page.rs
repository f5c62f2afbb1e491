//! The JSON of one call-log list page, written straight from the rows:
//! jsonb columns pass through as Postgres printed them, and the page is one
//! buffer sized up front instead of a tree of values per row.

use storage::models::call_logs::ListRow;
use storage::pagination::PageRequest;
use storage::raw_json::RawJson;

use super::micros_to_dollars;
use crate::json_out::JsonOut;

/// Bytes a row takes without its transcript, and what a transcript adds,
/// roughly (a seeded page of 50 summary rows is 28 KB): the buffer then
/// rarely grows, and so is rarely copied, while it is written.
const ROW_BYTES: usize = 600;
const TRANSCRIPT_BYTES: usize = 800;

pub struct PageFacts {
    pub total: i64,
    pub page: PageRequest,
    pub next_cursor: Option<String>,
}

/// `{data, total, page, pageSize, totalPages, nextCursor}`, as
/// `CallLogPage` documents it.
pub fn write(rows: &[(ListRow, Option<RawJson>)], facts: &PageFacts, transcripts: bool) -> Vec<u8> {
    let per_row = ROW_BYTES + if transcripts { TRANSCRIPT_BYTES } else { 0 };
    let mut out = JsonOut::with_capacity(128 + rows.len() * per_row);
    out.begin_object();
    out.begin_array("data");
    for (row, transcript) in rows {
        write_row(&mut out, row, transcripts.then_some(transcript.as_ref()));
    }
    out.end_array();
    let limit = facts.page.limit();
    out.field("total", &facts.total);
    out.field("page", &facts.page.page());
    out.field("pageSize", &limit);
    out.field("totalPages", &((facts.total + limit - 1) / limit));
    out.field("nextCursor", &facts.next_cursor);
    out.end_object();
    out.into_bytes()
}

/// One row; `transcript` is `Some` when the caller asked for transcripts.
fn write_row(out: &mut JsonOut, row: &ListRow, transcript: Option<Option<&RawJson>>) {
    out.begin_object();
    out.field("id", &row.id);
    out.field("agentId", &row.agent_id);
    out.field("platform", &row.platform);
    out.field("conversationId", &row.conversation_id);
    out.field("phoneNumber", &row.phone_number);
    out.field("direction", &row.direction);
    out.field("status", &row.status);
    out.field("durationSeconds", &row.duration_seconds);
    out.field("cost", &micros_to_dollars(row.cost_micros));
    if let Some(transcript) = transcript {
        out.raw_field("transcript", transcript.map(RawJson::as_str));
    }
    out.field("summary", &row.summary);
    out.raw_field("metadata", Some(row.metadata.as_str()));
    out.field("startedAt", &row.started_at);
    out.field("endedAt", &row.ended_at);
    out.field("createdAt", &row.created_at);
    out.end_object();
}
