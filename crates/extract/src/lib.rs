//! Text extraction from uploaded documents and chunking for the knowledge base.
//!
//! Pure functions over bytes: no files, no network, no global state. The document-processing
//! worker calls [`extract_text`] on an upload, then [`chunk`] on each page or on
//! [`Extracted::text`]; the API calls [`detect_format`] to refuse unsupported uploads (415)
//! before storing them.

mod budget;
mod chunk;
mod error;
mod format;
mod formats;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

pub use chunk::{ChunkOptions, chunk, chunk_ranges};
pub use error::ExtractError;
pub use format::{Format, detect_format};

use std::time::Duration;

/// The text of a document: one string per page for PDF, a single page for the other formats.
/// Pages are tidied: `\n` line ends, no trailing spaces, at most one blank line in a row, which
/// [`chunk`] reads as a paragraph break. A PDF page whose text could not be read is an empty
/// string, so page numbers stay aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub pages: Vec<String>,
    pub format: Format,
}

impl Extracted {
    /// All pages joined by a blank line.
    pub fn text(&self) -> String {
        let pages: Vec<&str> = self
            .pages
            .iter()
            .map(|page| page.as_str())
            .filter(|page| !page.is_empty())
            .collect();
        pages.join("\n\n")
    }
}

/// Budgets that bound the memory and time one upload can cost the worker, whatever its bytes.
/// docs/SECURITY.md lists the defaults and what each one stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest upload accepted, in bytes.
    pub max_input_bytes: u64,
    /// Most bytes the compressed parts of a file may inflate to, all parts together: the docx's
    /// `word/document.xml`, every deflated stream of a PDF.
    pub max_unpacked_bytes: u64,
    /// Most bytes of extracted text, all pages together. At least `max_input_bytes`, so a plain
    /// text file at the size limit still fits.
    pub max_output_bytes: u64,
    /// Most pages of a PDF.
    pub max_pages: u32,
    /// Longest time one extraction may run; checked between rows, records and pages, so one slow
    /// page of a third-party parser can overrun it by that page's time.
    pub max_duration: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 64 * 1024 * 1024,
            max_unpacked_bytes: 256 * 1024 * 1024,
            max_output_bytes: 64 * 1024 * 1024,
            max_pages: 5_000,
            max_duration: Duration::from_secs(60),
        }
    }
}

/// Extracts the text of a document with the default [`Limits`].
pub fn extract_text(
    bytes: &[u8],
    content_type: &str,
    file_name: &str,
) -> Result<Extracted, ExtractError> {
    extract_text_with_limits(bytes, content_type, file_name, &Limits::default())
}

/// Extracts the text of a document. Never panics on bad input: a parser panic is reported as
/// [`ExtractError::Corrupt`].
pub fn extract_text_with_limits(
    bytes: &[u8],
    content_type: &str,
    file_name: &str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let format =
        detect_format(content_type, file_name).ok_or_else(|| ExtractError::Unsupported {
            content_type: content_type.to_owned(),
            file_name: file_name.to_owned(),
        })?;
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(ExtractError::TooLarge {
            limit_bytes: limits.max_input_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    let pages = formats::extract(format, bytes, limits)?;
    if pages.iter().all(|page| page.trim().is_empty()) {
        return Err(ExtractError::Empty);
    }
    Ok(Extracted { pages, format })
}
