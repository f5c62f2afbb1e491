//! The one place the worker calls text extraction (`crates/extract`), with
//! its failures as stable codes.

/// Why a document yielded no chunks. Always permanent: the same bytes give
/// the same answer.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExtractFailure {
    pub code: &'static str,
    pub message: String,
}

/// Pages of text of an upload.
pub fn pages(
    bytes: &[u8],
    content_type: &str,
    file_name: &str,
) -> Result<Vec<String>, ExtractFailure> {
    extract::extract_text(bytes, content_type, file_name)
        .map(|e| e.pages)
        .map_err(|e| ExtractFailure {
            code: e.code(),
            message: e.to_string(),
        })
}

/// Knowledge-base chunks of one page.
pub fn chunks(text: &str) -> Vec<String> {
    extract::chunk(text, &extract::ChunkOptions::default())
}
