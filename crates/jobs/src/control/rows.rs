//! The Postgres rows behind listed jobs: which organization each belongs to,
//! what it is (document name, mail template, webhook event) and its status,
//! read in one query per page so a listing never scans a table.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use storage::schema::{documents, email_outbox, webhook_deliveries};
use uuid::Uuid;

use crate::Queue;

/// The row a job works on.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RowInfo {
    /// `document`, `mail` or `delivery`.
    pub kind: &'static str,
    pub id: Uuid,
    /// None for platform mail (password resets before sign-up, ...).
    pub organization_id: Option<Uuid>,
    /// The file name, the template or the event.
    pub label: String,
    pub status: String,
}

/// What the rows of `queue` are called.
pub fn kind_of(queue: Queue) -> &'static str {
    match queue {
        Queue::DocumentProcessing => "document",
        Queue::Email => "mail",
        Queue::WebhookDelivery => "delivery",
        Queue::AnalyticsAggregation | Queue::Sweeper => "none",
    }
}

/// Rows of `queue` among `ids` (missing ones were deleted or never existed).
pub async fn lookup(
    conn: &mut AsyncPgConnection,
    queue: Queue,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, RowInfo>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Option<Uuid>, String, String)> = match queue {
        Queue::DocumentProcessing => {
            documents::table
                .filter(documents::id.eq_any(ids))
                .select((
                    documents::id,
                    documents::organization_id.nullable(),
                    documents::original_name,
                    documents::status,
                ))
                .load(conn)
                .await?
        }
        Queue::Email => {
            email_outbox::table
                .filter(email_outbox::id.eq_any(ids))
                .select((
                    email_outbox::id,
                    email_outbox::organization_id,
                    email_outbox::template,
                    email_outbox::status,
                ))
                .load(conn)
                .await?
        }
        Queue::WebhookDelivery => {
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq_any(ids))
                .select((
                    webhook_deliveries::id,
                    webhook_deliveries::organization_id.nullable(),
                    webhook_deliveries::event,
                    webhook_deliveries::status,
                ))
                .load(conn)
                .await?
        }
        Queue::AnalyticsAggregation | Queue::Sweeper => Vec::new(),
    };
    Ok(rows
        .into_iter()
        .map(|(id, organization_id, label, status)| {
            (
                id,
                RowInfo {
                    kind: kind_of(queue),
                    id,
                    organization_id,
                    label,
                    status,
                },
            )
        })
        .collect())
}
