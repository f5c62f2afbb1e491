//! document-processing: read the upload, extract its text, store the chunks
//! as knowledge-base entries and mark the document completed in one
//! transaction, then notify subscribers (document.processed / .failed).

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use jobs::events::event;
use jobs::{DocumentJob, Queue, publish_event};
use kv::cache::Namespace;
use kv::events::Event as LiveEvent;
use serde_json::json;
use storage::models::documents::{self, Document};
use storage::models::knowledge_base::{self, NewKnowledgeBaseEntry};
use uuid::Uuid;

use storage::models::leases::LeasedTable;

use super::after;
use crate::app::App;
use crate::extraction;
use crate::lease::{self, LeaseKeeper};
use crate::outcome::{JobError, JobResult, after_failure};

#[tracing::instrument(skip_all, fields(document.id = %job.document_id))]
pub async fn handle(app: std::sync::Arc<App>, job: DocumentJob) -> JobResult {
    let app = &*app;
    let id = job.document_id;
    let mut conn = app.db.get().await?;
    let Some(doc) = documents::claim(&mut conn, id, Utc::now(), after(app.config.lease())).await?
    else {
        return lease::refused(app, LeasedTable::Documents, id).await;
    };
    drop(conn);
    if let Some(message) = lease::exhausted(app, Queue::DocumentProcessing, doc.attempts) {
        return fail(app, &doc, &message).await;
    }
    let keeper = LeaseKeeper::start(
        app,
        LeasedTable::Documents,
        id,
        doc.lease_until.unwrap_or_else(Utc::now),
    );
    match process(app, &doc, &keeper).await {
        Ok(chunks) => Ok(json!({"chunks": chunks})),
        Err(Failure::Permanent(message)) => fail(app, &doc, &message).await,
        Err(Failure::Transient(message)) => {
            match after_failure(app, Queue::DocumentProcessing, doc.attempts as u32) {
                Some(delay) => {
                    let mut conn = app.db.get().await?;
                    documents::schedule_retry(&mut conn, id, &message, after(delay)).await?;
                    Err(JobError::Retry {
                        error: message,
                        after: delay,
                    })
                }
                None => {
                    fail(
                        app,
                        &doc,
                        &format!("gave up after {} attempts: {message}", doc.attempts),
                    )
                    .await
                }
            }
        }
    }
}

enum Failure {
    Permanent(String),
    Transient(String),
}

async fn process(app: &App, doc: &Document, keeper: &LeaseKeeper) -> Result<usize, Failure> {
    let path = object_store::path::Path::from(doc.storage_key.as_str());
    let bytes = match app.files.get(&path).await {
        Ok(result) => result
            .bytes()
            .await
            .map_err(|e| Failure::Transient(format!("reading the upload: {e}")))?,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(Failure::Permanent("the uploaded file is missing".into()));
        }
        Err(e) => return Err(Failure::Transient(format!("reading the upload: {e}"))),
    };
    progress(app, doc.id, 20, None, 0).await;

    let (content_type, name) = (doc.content_type.clone(), doc.original_name.clone());
    let pages =
        tokio::task::spawn_blocking(move || extraction::pages(&bytes, &content_type, &name))
            .await
            .map_err(|e| Failure::Transient(format!("extraction task: {e}")))?
            .map_err(|e| Failure::Permanent(format!("{}: {}", e.code, e.message)))?;
    let total = pages.len() as i32;
    progress(app, doc.id, 50, Some(total), 0).await;

    let mut entries = Vec::new();
    let mut last_reported = 50;
    for (page_no, page) in pages.iter().enumerate() {
        for content in extraction::chunks(page) {
            let index = entries.len() as i32;
            entries.push(NewKnowledgeBaseEntry {
                organization_id: doc.organization_id,
                document_id: Some(doc.id),
                chunk_index: Some(index),
                title: format!("{} (part {})", doc.original_name, index + 1),
                content,
                category: Some("document".into()),
                tags: Vec::new(),
                metadata: json!({"source": "document", "documentId": doc.id, "page": page_no + 1, "fileName": doc.original_name}),
                created_by: doc.uploaded_by,
            });
        }
        let pct = 50 + (40 * (page_no as i32 + 1) / total.max(1)) as i16;
        if pct - last_reported >= 10 {
            progress(app, doc.id, pct, Some(total), page_no as i32 + 1).await;
            last_reported = pct;
        }
    }
    if entries.is_empty() {
        return Err(Failure::Permanent(
            "empty_document: the document contains no text".into(),
        ));
    }
    let count = entries.len();
    let chunk_bytes: i64 = entries.iter().map(|e| e.content.len() as i64).sum();
    let quota = app.config.org_max_knowledge_base_bytes;
    // Held through the commit: no renewal moves the lease meanwhile.
    let held = keeper.hold().await;
    let lease = *held;
    let (org, id, name) = (doc.organization_id, doc.id, doc.original_name.clone());
    let mut conn = app
        .db
        .get()
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    let deliveries = conn
        .transaction::<_, diesel::result::Error, _>(async move |c| {
            // Only the holder of the lease writes: a worker whose lease ran
            // out (and was taken over) must not add a second set of chunks.
            if !documents::lock_if_leased(c, id, lease).await? {
                return Ok(None);
            }
            if let Some(message) = over_quota(c, org, id, chunk_bytes, quota).await? {
                return Ok(Some(Err(message)));
            }
            knowledge_base::replace_document_chunks(c, org, id, &entries).await?;
            documents::set_progress(c, id, 100, Some(total), total).await?;
            documents::mark_completed(c, id, count as i32).await?;
            let data = json!({"documentId": id, "fileName": name, "chunks": count, "pages": total});
            Ok(Some(Ok(publish_event(
                c,
                org,
                event::DOCUMENT_PROCESSED,
                data,
            )
            .await?)))
        })
        .await
        .map_err(|e| Failure::Transient(format!("storing the chunks: {e}")))?;
    drop(held);
    match deliveries {
        Some(Err(quota)) => Err(Failure::Permanent(quota)),
        Some(Ok(ids)) => {
            app.queues.enqueue_webhook_deliveries(&ids).await;
            // New chunks change search answers and stats; the document's
            // status changed too.
            for ns in [Namespace::Kb, Namespace::Document] {
                app.cache.invalidate(ns, org).await;
            }
            let data = json!({"documentId": id, "chunks": count, "pages": total});
            app.events
                .publish_or_log(&LiveEvent::new(event::DOCUMENT_PROCESSED, org, data))
                .await;
            tracing::info!(document.id = %id, chunks = count, pages = total, "document processed");
            Ok(count)
        }
        None => {
            tracing::warn!(document.id = %id, "lease lost before commit; result discarded");
            Ok(0)
        }
    }
}

async fn progress(app: &App, id: Uuid, pct: i16, total: Option<i32>, done: i32) {
    if let Ok(mut conn) = app.db.get().await {
        // Progress is advisory: a failed update must not fail the job.
        let _ = documents::set_progress(&mut conn, id, pct, total, done).await;
    }
}

async fn fail(app: &App, doc: &Document, message: &str) -> JobResult {
    let mut conn = app.db.get().await?;
    let (org, id, name, message_owned) = (
        doc.organization_id,
        doc.id,
        doc.original_name.clone(),
        message.to_owned(),
    );
    let ids = mark_failed(&mut conn, org, id, name, message_owned).await?;
    drop(conn);
    app.queues.enqueue_webhook_deliveries(&ids).await;
    app.cache.invalidate(Namespace::Document, org).await;
    let data = json!({"documentId": id, "error": message});
    app.events
        .publish_or_log(&LiveEvent::new(event::DOCUMENT_FAILED, org, data))
        .await;
    Err(JobError::Dead(message.to_owned()))
}

async fn mark_failed(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    name: String,
    message: String,
) -> diesel::QueryResult<Vec<Uuid>> {
    conn.transaction(async move |c| {
        documents::mark_failed(c, id, &message).await?;
        let data = json!({"documentId": id, "fileName": name, "error": message});
        publish_event(c, org, event::DOCUMENT_FAILED, data).await
    })
    .await
}

/// Inside the transaction that stores the chunks: the quota error when
/// `bytes` of new chunks would pass the organization's knowledge-base quota.
/// Locks the organization row, as the API's checks do, so parallel writes
/// cannot together overshoot.
async fn over_quota(
    c: &mut AsyncPgConnection,
    org: Uuid,
    document: Uuid,
    bytes: i64,
    default_limit: i64,
) -> diesel::QueryResult<Option<String>> {
    let limit = storage::models::organizations::find_for_update(c, org)
        .await?
        .max_knowledge_base_bytes
        .unwrap_or(default_limit);
    let stored =
        storage::models::usage::knowledge_base_bytes_without_document(c, org, document).await?;
    Ok((stored.saturating_add(bytes) > limit).then(|| {
        format!(
            "quota_exceeded: the document's {bytes} bytes of text would pass the organization's knowledge-base quota ({stored} of {limit} bytes used)"
        )
    }))
}
