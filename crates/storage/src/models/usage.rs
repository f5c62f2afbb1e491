//! What an organization has stored, for its quotas: documents (count and
//! bytes) and knowledge-base content (bytes). Both are sums over the
//! organization's own rows through their `organization_id` indexes;
//! `octet_length` of a text reads its stored size without detoasting it.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{documents, knowledge_base_entries as kb};

/// Uploaded documents of the organization: how many, and their bytes.
pub async fn documents(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<(i64, i64)> {
    documents::table
        .filter(documents::organization_id.eq(org))
        .select((
            diesel::dsl::count_star(),
            sql::<BigInt>("coalesce(sum(size_bytes), 0)::bigint"),
        ))
        .get_result(conn)
        .await
}

/// Bytes of knowledge-base content of the organization, leaving out one
/// entry (the one being replaced) when given.
pub async fn knowledge_base_bytes(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    except: Option<Uuid>,
) -> QueryResult<i64> {
    let mut query = kb::table
        .filter(kb::organization_id.eq(org))
        .select(sql::<BigInt>(
            "coalesce(sum(octet_length(content)), 0)::bigint",
        ))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(kb::id.ne(id));
    }
    query.get_result(conn).await
}

/// Bytes of knowledge-base text of `org` apart from the chunks of document
/// `document` (which a re-processing replaces).
pub async fn knowledge_base_bytes_without_document(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    document: Uuid,
) -> QueryResult<i64> {
    kb::table
        .filter(kb::organization_id.eq(org))
        .filter(kb::document_id.is_distinct_from(Some(document)))
        .select(sql::<BigInt>(
            "coalesce(sum(octet_length(content)), 0)::bigint",
        ))
        .get_result(conn)
        .await
}
