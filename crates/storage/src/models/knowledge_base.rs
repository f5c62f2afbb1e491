//! `knowledge_base_entries`: entries written by hand or cut from uploaded
//! documents, and their ranked full-text search.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Float4, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::knowledge_base_entries as kb;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = kb, check_for_backend(diesel::pg::Pg))]
pub struct KnowledgeBaseEntry {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub document_id: Option<Uuid>,
    pub chunk_index: Option<i32>,
    pub title: String,
    pub content: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub metadata: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = kb)]
pub struct NewKnowledgeBaseEntry {
    pub organization_id: Uuid,
    pub document_id: Option<Uuid>,
    pub chunk_index: Option<i32>,
    pub title: String,
    pub content: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub metadata: serde_json::Value,
    pub created_by: Option<Uuid>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = kb)]
pub struct KnowledgeBaseEntryUpdate {
    pub title: Option<String>,
    pub content: Option<String>,
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<serde_json::Value>,
}

/// A full-text search: `query` in web-search syntax ("quoted phrase",
/// -exclude, or), optional category and tags (any of them), at most `limit`.
#[derive(Debug, Clone)]
pub struct Search {
    pub query: String,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub limit: i64,
}

#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct SearchHit {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub tags: Vec<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub document_id: Option<Uuid>,
    #[diesel(sql_type = Float4)]
    pub rank: f32,
    /// The best fragments of the content with matches in `<mark>` tags.
    #[diesel(sql_type = Text)]
    pub snippet: String,
}

/// The ranked search, public so the EXPLAIN test checks this very SQL.
/// Ranking runs over the matches, but headlines (the costly part) only for
/// the rows returned.
pub fn search_query(
    org: Uuid,
    search: &Search,
) -> BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    diesel::sql_query(
        "SELECT e.id, e.title, e.category, e.tags, e.document_id, m.rank, \
                ts_headline('english', e.content, m.q, \
                    'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=30, MinWords=8') AS snippet \
         FROM (SELECT k.id, ts_rank_cd(k.search_vector, q.q) AS rank, q.q \
               FROM knowledge_base_entries k, websearch_to_tsquery('english', $1) AS q(q) \
               WHERE k.organization_id = $2 AND k.search_vector @@ q.q \
                 AND ($3::text IS NULL OR k.category = $3) \
                 AND ($4::text[] IS NULL OR k.tags && $4) \
               ORDER BY rank DESC, k.id \
               LIMIT $5) AS m \
         JOIN knowledge_base_entries e ON e.id = m.id \
         ORDER BY m.rank DESC, e.id",
    )
    .into_boxed()
    .bind::<Text, _>(search.query.clone())
    .bind::<diesel::sql_types::Uuid, _>(org)
    .bind::<Nullable<Text>, _>(search.category.clone())
    .bind::<Nullable<Array<Text>>, _>(search.tags.clone())
    .bind::<BigInt, _>(search.limit)
}

pub async fn search(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    search: &Search,
) -> QueryResult<Vec<SearchHit>> {
    search_query(org, search).load(conn).await
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<KnowledgeBaseEntry>> {
    let rows = kb::table
        .filter(kb::organization_id.eq(org))
        .order((kb::created_at.desc(), kb::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(KnowledgeBaseEntry::as_select())
        .load(conn)
        .await?;
    let total = count(conn, org).await?;
    Ok(Page::new(rows, total, page))
}

pub async fn count(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<i64> {
    kb::table
        .filter(kb::organization_id.eq(org))
        .count()
        .get_result(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> QueryResult<KnowledgeBaseEntry> {
    kb::table
        .filter(kb::organization_id.eq(org).and(kb::id.eq(id)))
        .select(KnowledgeBaseEntry::as_select())
        .first(conn)
        .await
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewKnowledgeBaseEntry,
) -> QueryResult<KnowledgeBaseEntry> {
    diesel::insert_into(kb::table)
        .values(new)
        .returning(KnowledgeBaseEntry::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_batch(
    conn: &mut AsyncPgConnection,
    entries: &[NewKnowledgeBaseEntry],
) -> QueryResult<usize> {
    diesel::insert_into(kb::table)
        .values(entries)
        .execute(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    changes: &KnowledgeBaseEntryUpdate,
) -> QueryResult<KnowledgeBaseEntry> {
    diesel::update(kb::table.filter(kb::organization_id.eq(org).and(kb::id.eq(id))))
        .set(changes)
        .returning(KnowledgeBaseEntry::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(kb::table.filter(kb::organization_id.eq(org).and(kb::id.eq(id))))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Replaces every chunk of a document with `chunks`; run it inside the
/// transaction that also marks the document completed, so a re-run never
/// leaves duplicates or a half-written set.
pub async fn replace_document_chunks(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    document_id: Uuid,
    chunks: &[NewKnowledgeBaseEntry],
) -> QueryResult<usize> {
    diesel::delete(
        kb::table.filter(
            kb::organization_id
                .eq(org)
                .and(kb::document_id.eq(document_id)),
        ),
    )
    .execute(conn)
    .await?;
    let mut written = 0;
    // Stay well under Postgres' 65,535 bind parameters per statement.
    for batch in chunks.chunks(500) {
        written += insert_batch(conn, batch).await?;
    }
    Ok(written)
}

/// When any entry of the organization last changed (knowledge-base stats).
pub async fn last_updated(
    conn: &mut AsyncPgConnection,
    org: Uuid,
) -> QueryResult<Option<DateTime<Utc>>> {
    kb::table
        .filter(kb::organization_id.eq(org))
        .select(diesel::dsl::max(kb::updated_at))
        .get_result(conn)
        .await
}

/// Per category: entries and the latest change, most common first. One scan
/// gives the stats' total, categories and last update together.
pub async fn category_stats(
    conn: &mut AsyncPgConnection,
    org: Uuid,
) -> QueryResult<Vec<(Option<String>, i64, Option<DateTime<Utc>>)>> {
    kb::table
        .filter(kb::organization_id.eq(org))
        .group_by(kb::category)
        .select((
            kb::category,
            diesel::dsl::count_star(),
            diesel::dsl::max(kb::updated_at),
        ))
        .order((diesel::dsl::count_star().desc(), kb::category.asc()))
        .load(conn)
        .await
}
