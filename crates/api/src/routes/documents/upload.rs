//! `POST /api/documents/upload`: the multipart file streamed into storage within a byte budget and the quotas, then queued for processing.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, post};
use diesel_async::AsyncConnection;
use futures::StreamExt;
use jobs::{EventKind, Raised};
use serde_json::json;
use storage::models::documents::{self, NewDocument};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::audited::effects;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Reply};
use crate::state::{AppState, State};
use storage::file_store::sanitize_name;

use super::{UploadForm, Uploaded};

/// The multipart field that carries the file.
pub(super) const FIELD: &str = "document";
/// Room for multipart boundaries and part headers on top of the file.
pub(super) const MULTIPART_OVERHEAD: usize = 64 * 1024;
pub(super) const MAX_NAME: usize = 255;

/// What was written to file storage.
pub(super) struct Stored {
    pub(super) original_name: String,
    pub(super) content_type: &'static str,
    pub(super) size: usize,
}

#[utoipa::path(tag = "documents",
    description = "Uploads a document (multipart field `document`) for the knowledge base and queues it \
                   for processing. Any role. 413 `payload_too_large` past UPLOAD_MAX_BYTES (25 MiB by \
                   default); 415 `unsupported_media_type` for a type other than txt, md, html, pdf, docx, \
                   csv or json (or a body that is not multipart); 422 when the field is missing or empty. \
                   Poll `/api/documents/{id}/status` until `completed` or `failed`.",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 202, body = Uploaded), (status = 503)))]
#[post("/upload")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id, document.id))]
pub async fn upload(
    state: State,
    auth: AuthUser,
    req: HttpRequest,
    mut payload: Multipart,
) -> Reply {
    let limit = state.config.upload_max_bytes;
    // A declared length far past the limit is refused before reading a byte.
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(too_large(limit));
    }

    let org = auth.organization_id;
    // A full quota is refused before a byte is stored; the exact check
    // (with the file's real size) runs again with the insert.
    crate::quota::check_upload(&mut *state.db.get().await?, &state.config, org, 0).await?;
    let id = Uuid::now_v7();
    tracing::Span::current().record("document.id", tracing::field::display(id));
    let mut key: Option<String> = None;
    let mut stored = None;
    let read = read_fields(&state, &mut payload, org, id, limit, &mut key, &mut stored).await;
    let (Some(stored), Some(key)) = (stored, key) else {
        read?;
        return Err(ApiError::invalid_field(
            FIELD,
            "is required (a file in multipart field `document`)",
        ));
    };
    // A field after the file may still fail the request (too large,
    // malformed): then the stored file goes too.
    if let Err(e) = read {
        state.files.delete(&key).await;
        return Err(e);
    }
    if stored.size == 0 {
        state.files.delete(&key).await;
        return Err(ApiError::invalid_field(FIELD, "is empty"));
    }

    let new = NewDocument {
        id,
        organization_id: org,
        uploaded_by: auth.user_id,
        original_name: stored.original_name,
        content_type: stored.content_type.into(),
        size_bytes: stored.size as i64,
        storage_key: key.clone(),
    };
    let inserted = match state.db.get().await {
        Ok(mut conn) => {
            let config = &state.config;
            conn.transaction::<_, ApiError, _>(async |c| {
                crate::quota::check_upload(c, config, org, new.size_bytes).await?;
                Ok(documents::insert(c, &new).await?)
            })
            .await
        }
        Err(e) => Err(e.into()),
    };
    let doc = match inserted {
        Ok(doc) => doc,
        Err(e) => {
            state.files.delete(&key).await;
            return Err(e);
        }
    };
    // After the row is committed; a lost enqueue is picked up by the sweeper.
    state.jobs.enqueue_document(doc.id).await;
    let data = json!({ "documentId": doc.id, "fileName": doc.original_name, "status": doc.status });
    Raised::live_only(org, EventKind::DocumentUploaded, data)
        .dispatch(effects(&state), &[])
        .await;
    tracing::info!(size = doc.size_bytes, content_type = %doc.content_type, "document uploaded");
    Ok(HttpResponse::Accepted().json(Uploaded {
        document_id: doc.id,
        status: doc.status,
    }))
}

/// Reads every field: the first `document` is streamed into storage (its
/// key and description set as soon as it is written), the others are
/// skipped, all within one byte budget.
pub(super) async fn read_fields(
    state: &AppState,
    payload: &mut Multipart,
    org: Uuid,
    id: Uuid,
    limit: usize,
    key: &mut Option<String>,
    stored: &mut Option<Stored>,
) -> ApiResult<()> {
    let mut budget = limit;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(multipart_error)?;
        if field.name() != Some(FIELD) || stored.is_some() {
            // Other fields count against the same budget, so a request
            // never makes the server read more than the limit.
            drain(&mut field, &mut budget, limit).await?;
            continue;
        }
        let (name, content_type) = describe(&field)?;
        let path = format!("{org}/{id}/{}", sanitize_name(&name));
        let size = write(state, &path, &mut field, &mut budget, limit).await?;
        *key = Some(path);
        *stored = Some(Stored {
            original_name: name,
            content_type,
            size,
        });
    }
    Ok(())
}

/// The file's name and the content type of its format; 415 when no
/// extractor reads it.
pub(super) fn describe(field: &Field) -> ApiResult<(String, &'static str)> {
    let name: String = field
        .content_disposition()
        .and_then(|cd| cd.get_filename())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let declared = field
        .content_type()
        .map(|m| m.to_string())
        .unwrap_or_default();
    let format = extract::detect_format(&declared, &name).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "unsupported document type; upload txt, md, html, pdf, docx, csv or json",
        )
        .with_details(json!({ "contentType": declared, "fileName": name }))
    })?;
    let name = if name.trim().is_empty() {
        format!("document.{}", format.as_str())
    } else {
        name
    };
    // The canonical type of the detected format, so the worker reads the
    // file exactly as it was accepted here.
    Ok((name, format.content_type()))
}

/// Streams one field into storage under `key`; nothing is left behind when
/// it fails or runs past the limit.
pub(super) async fn write(
    state: &AppState,
    key: &str,
    field: &mut Field,
    budget: &mut usize,
    limit: usize,
) -> ApiResult<usize> {
    let mut writer = state.files.writer(key);
    let mut size = 0;
    let streamed: ApiResult<()> = async {
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            take(budget, chunk.len(), limit)?;
            size += chunk.len();
            writer.put(chunk).await.map_err(storage_unavailable)?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = streamed {
        if let Err(abort) = writer.abort().await {
            tracing::warn!(error = %abort, "partial upload not aborted");
        }
        return Err(e);
    }
    if let Err(e) = writer.shutdown().await {
        state.files.delete(key).await;
        return Err(storage_unavailable(e));
    }
    Ok(size)
}

pub(super) async fn drain(field: &mut Field, budget: &mut usize, limit: usize) -> ApiResult<()> {
    while let Some(chunk) = field.next().await {
        take(budget, chunk.map_err(multipart_error)?.len(), limit)?;
    }
    Ok(())
}

pub(super) fn take(budget: &mut usize, n: usize, limit: usize) -> ApiResult<()> {
    *budget = budget.checked_sub(n).ok_or_else(|| too_large(limit))?;
    Ok(())
}

pub(super) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the document is larger than {limit} bytes"),
    )
    .with_details(json!({ "maxBytes": limit }))
}

pub(super) fn multipart_error(e: MultipartError) -> ApiError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a multipart/form-data body",
        ),
        other => ApiError::bad_request("malformed_multipart", other.to_string()),
    }
}

pub(super) fn storage_unavailable(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::unavailable("file storage", e)
}
