//! `/api/documents`: uploads for the knowledge base. The upload is streamed
//! into file storage (never more than `UPLOAD_MAX_BYTES`), recorded as a
//! queued `documents` row and handed to the document-processing queue; the
//! worker extracts, chunks and indexes it. Any role may upload and read.

mod upload;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use storage::models::documents::{self, Document};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{OrNotFound, Reply};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload::upload).service(list).service(status);
}

/// `multipart/form-data` with one file field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// txt, md, html, pdf, docx, csv or json.
    #[schema(value_type = String, format = Binary)]
    document: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    document_id: Uuid,
    /// `queued` until a worker takes it.
    status: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentResponse {
    id: Uuid,
    original_name: String,
    content_type: String,
    size_bytes: i64,
    /// queued, processing, completed or failed.
    status: String,
    /// 0 to 100.
    progress: i16,
    total_pages: Option<i32>,
    processed_pages: i32,
    /// Knowledge-base entries cut from it.
    chunk_count: i32,
    error: Option<String>,
    processed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Document> for DocumentResponse {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            original_name: d.original_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            status: d.status,
            progress: d.progress,
            total_pages: d.total_pages,
            processed_pages: d.processed_pages,
            chunk_count: d.chunk_count,
            error: d.error_message,
            processed_at: d.processed_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentStatus {
    id: Uuid,
    status: String,
    progress: i16,
    total_pages: Option<i32>,
    processed_pages: i32,
    chunk_count: i32,
    /// Why processing failed, when it did.
    error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Document> for DocumentStatus {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            status: d.status,
            progress: d.progress,
            total_pages: d.total_pages,
            processed_pages: d.processed_pages,
            chunk_count: d.chunk_count,
            error: d.error_message,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[utoipa::path(tag = "documents",
    description = "The organization's uploads, newest first, with their processing state. Any role.",
    params(PageQuery), responses((status = 200, body = PageResponse<DocumentResponse>)))]
#[get("")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn list(state: State, auth: AuthUser, Paging(page): Paging) -> Reply {
    // Not cached, and read from the primary: the worker changes these rows
    // while clients poll them.
    let mut conn = state.db.get().await?;
    let rows = documents::list(&mut conn, auth.organization_id, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, DocumentResponse::from)))
}

#[utoipa::path(tag = "documents",
    description = "Processing state of one upload. Any role. Unknown, malformed and other organizations' \
                   ids answer 404.", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentStatus), (status = 404)))]
#[get("/{id}/status")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn status(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
    let mut conn = state.db.get().await?;
    let doc = documents::find(&mut conn, auth.organization_id, id.into_inner())
        .await
        .or_not_found("document")?;
    Ok(HttpResponse::Ok().json(DocumentStatus::from(doc)))
}
