//! `call_logs`: the call history of an organization, listed newest first by
//! offset or keyset pages, and upserted by conversation id from the platform.

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Jsonb, Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::raw_json::RawJson;
use crate::schema::call_logs;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = call_logs, check_for_backend(diesel::pg::Pg))]
pub struct CallLog {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub platform: String,
    pub conversation_id: String,
    pub phone_number: Option<String>,
    pub direction: String,
    pub status: String,
    pub duration_seconds: i32,
    pub cost_micros: i64,
    pub transcript: serde_json::Value,
    pub summary: Option<String>,
    pub metadata: serde_json::Value,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of the call-log list, its jsonb read as raw text to pass through;
/// the transcript only when the caller asked for it. The short text columns
/// are `CompactString`s, held inline up to 24 bytes: up to five fewer allocations
/// a row, most of what building a page's rows cost beyond decoding.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = call_logs, check_for_backend(diesel::pg::Pg))]
pub struct ListRow {
    pub id: Uuid,
    pub agent_id: Option<Uuid>,
    pub platform: CompactString,
    pub conversation_id: CompactString,
    pub phone_number: Option<CompactString>,
    pub direction: CompactString,
    pub status: CompactString,
    pub duration_seconds: i32,
    pub cost_micros: i64,
    pub summary: Option<String>,
    pub metadata: RawJson,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = call_logs)]
pub struct NewCallLog {
    pub organization_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub platform: String,
    pub conversation_id: String,
    pub phone_number: Option<String>,
    pub direction: String,
    pub status: String,
    pub duration_seconds: i32,
    pub cost_micros: i64,
    pub transcript: serde_json::Value,
    pub summary: Option<String>,
    pub metadata: serde_json::Value,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Filters of `GET /api/call-logs`.
#[derive(Debug, Clone, Default)]
pub struct CallLogFilter {
    pub agent_id: Option<Uuid>,
    pub status: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The position after the last row of a keyset page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub started_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// Opaque text form: `"{micros}.{uuid}"` in URL-safe characters.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.started_at.timestamp_micros(),
            self.id.simple()
        )
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('.')?;
        Some(Self {
            started_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

fn filtered(org: Uuid, filter: &CallLogFilter) -> call_logs::BoxedQuery<'static, Pg> {
    let mut query = call_logs::table
        .filter(call_logs::organization_id.eq(org))
        .into_boxed();
    if let Some(agent) = filter.agent_id {
        query = query.filter(call_logs::agent_id.eq(agent));
    }
    if let Some(status) = &filter.status {
        query = query.filter(call_logs::status.eq(status.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(call_logs::started_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(call_logs::started_at.lt(to));
    }
    query
}

/// One page newest first: by offset, or after `cursor` (keyset, constant
/// cost however deep the page).
pub fn page_query(
    org: Uuid,
    filter: &CallLogFilter,
    page: PageRequest,
    cursor: Option<Cursor>,
) -> call_logs::BoxedQuery<'static, Pg> {
    let query = filtered(org, filter)
        .order((call_logs::started_at.desc(), call_logs::id.desc()))
        .limit(page.limit());
    match cursor {
        Some(c) => query.filter(StartedBefore(c)),
        None => query.offset(page.offset()),
    }
}

/// `(started_at, id) < ($1, $2)`: a row comparison, so Postgres seeks the
/// composite index directly. diesel has no DSL for it, and its `sql()`
/// literal marks a statement unsafe to cache, which made every page
/// prepare its statement again (a round trip, and a parse and plan in
/// Postgres); this fragment's SQL is fixed, so the statement is cached.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct StartedBefore(Cursor);

impl Expression for StartedBefore {
    type SqlType = Bool;
}

impl diesel::query_builder::QueryFragment<Pg> for StartedBefore {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        out.push_sql("(call_logs.started_at, call_logs.id) < (");
        out.push_bind_param::<Timestamptz, _>(&self.0.started_at)?;
        out.push_sql(", ");
        out.push_bind_param::<diesel::sql_types::Uuid, _>(&self.0.id)?;
        out.push_sql(")");
        Ok(())
    }
}

impl AppearsOnTable<call_logs::table> for StartedBefore {}

impl diesel::expression::ValidGrouping<()> for StartedBefore {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &CallLogFilter,
    page: PageRequest,
    cursor: Option<Cursor>,
) -> QueryResult<Page<CallLog>> {
    let rows = page_rows(conn, org, filter, page, cursor).await?;
    let total = count(conn, org, filter).await?;
    Ok(into_page(rows, total, page))
}

/// The rows of one page, without the total (which callers may cache).
pub async fn page_rows(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &CallLogFilter,
    page: PageRequest,
    cursor: Option<Cursor>,
) -> QueryResult<Vec<CallLog>> {
    page_query(org, filter, page, cursor)
        .select(CallLog::as_select())
        .load(conn)
        .await
}

/// The list rows of one page, with each transcript when `transcripts`.
pub async fn page_list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &CallLogFilter,
    page: PageRequest,
    cursor: Option<Cursor>,
    transcripts: bool,
) -> QueryResult<Vec<(ListRow, Option<RawJson>)>> {
    let query = page_query(org, filter, page, cursor);
    if transcripts {
        query
            .select((ListRow::as_select(), call_logs::transcript.nullable()))
            .load(conn)
            .await
    } else {
        query
            // A NULL bind rather than an `sql("NULL")` literal, which would
            // make the statement uncacheable (see `StartedBefore`).
            .select((
                ListRow::as_select(),
                None::<serde_json::Value>.into_sql::<Nullable<Jsonb>>(),
            ))
            .load(conn)
            .await
    }
}

/// The keyset cursor after `row` when the page was full.
pub fn next_cursor(rows: usize, last: Option<&ListRow>, page: PageRequest) -> Option<String> {
    (rows as i64 == page.limit())
        .then(|| {
            last.map(|r| {
                Cursor {
                    started_at: r.started_at,
                    id: r.id,
                }
                .encode()
            })
        })
        .flatten()
}

/// Calls matching `filter`: an index-only scan, but one that grows with the
/// organization's history (tens of milliseconds at 100k calls).
pub async fn count(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &CallLogFilter,
) -> QueryResult<i64> {
    filtered(org, filter).count().get_result(conn).await
}

/// The page envelope, with `next_cursor` when the page is full.
pub fn into_page(rows: Vec<CallLog>, total: i64, page: PageRequest) -> Page<CallLog> {
    let next_cursor = (rows.len() as i64 == page.limit())
        .then(|| {
            rows.last().map(|r| {
                Cursor {
                    started_at: r.started_at,
                    id: r.id,
                }
                .encode()
            })
        })
        .flatten();
    let mut result = Page::new(rows, total, page);
    result.next_cursor = next_cursor;
    result
}

pub async fn find(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<CallLog> {
    call_logs::table
        .filter(call_logs::organization_id.eq(org).and(call_logs::id.eq(id)))
        .select(CallLog::as_select())
        .first(conn)
        .await
}

/// Inserts or refreshes the call of `(organization, conversation id)`:
/// replaying the same webhook leaves one row with the same values.
pub async fn upsert(conn: &mut AsyncPgConnection, call: &NewCallLog) -> QueryResult<CallLog> {
    diesel::insert_into(call_logs::table)
        .values(call)
        .on_conflict((call_logs::organization_id, call_logs::conversation_id))
        .do_update()
        .set(call)
        .returning(CallLog::as_returning())
        .get_result(conn)
        .await
}

/// Whether the call of `(organization, conversation id)` is stored already
/// (a replayed webhook must not announce the call twice).
pub async fn exists(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    conversation_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        call_logs::table
            .filter(call_logs::organization_id.eq(org))
            .filter(call_logs::conversation_id.eq(conversation_id)),
    ))
    .get_result(conn)
    .await
}

/// Batched insert for the seeder; duplicates are skipped.
pub async fn insert_batch(
    conn: &mut AsyncPgConnection,
    calls: &[NewCallLog],
) -> QueryResult<usize> {
    diesel::insert_into(call_logs::table)
        .values(calls)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            started_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("garbage"), None);
    }
}
