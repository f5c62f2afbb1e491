//! The one place the worker calls text extraction: `crates/extract` when
//! the `extract` feature is on (the default), otherwise plain text and
//! markdown only, so the worker builds without it.

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
    imp::pages(bytes, content_type, file_name)
}

/// Knowledge-base chunks of one page.
pub fn chunks(text: &str) -> Vec<String> {
    imp::chunks(text)
}

#[cfg(feature = "extract")]
mod imp {
    use super::ExtractFailure;

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

    pub fn chunks(text: &str) -> Vec<String> {
        extract::chunk(text, &extract::ChunkOptions::default())
    }
}

#[cfg(not(feature = "extract"))]
mod imp {
    use super::ExtractFailure;

    const TARGET: usize = 1_500;

    pub fn pages(
        bytes: &[u8],
        content_type: &str,
        file_name: &str,
    ) -> Result<Vec<String>, ExtractFailure> {
        let lower = file_name.to_ascii_lowercase();
        let textual = content_type.starts_with("text/plain")
            || content_type.starts_with("text/markdown")
            || lower.ends_with(".txt")
            || lower.ends_with(".md");
        if !textual {
            return Err(ExtractFailure {
                code: "unsupported_type",
                message: format!(
                    "unsupported document type {content_type:?} (this build reads txt and md only)"
                ),
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| ExtractFailure {
            code: "corrupt_file",
            message: "the file is not valid UTF-8 text".into(),
        })?;
        if text.trim().is_empty() {
            return Err(ExtractFailure {
                code: "empty_document",
                message: "the document contains no text".into(),
            });
        }
        Ok(vec![text.replace("\r\n", "\n")])
    }

    /// Paragraphs packed up to about TARGET characters.
    pub fn chunks(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = String::new();
        for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            if !current.is_empty() && current.len() + para.len() > TARGET {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push_str("\n\n");
            }
            current.push_str(para);
        }
        if !current.is_empty() {
            out.push(current);
        }
        out
    }
}
