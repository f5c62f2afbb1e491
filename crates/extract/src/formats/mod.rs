//! Dispatch to one reader per format, behind a panic guard.

mod csv;
mod docx;
mod html;
mod json;
mod markdown;
mod pdf;
pub(crate) mod text;
mod txt;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::{ExtractError, Format, Limits};

/// The tidied pages of a document (a single page except for PDF).
pub(crate) fn extract(
    format: Format,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<String>, ExtractError> {
    // Third-party parsers (pdf-extract above all) panic on some malformed files; one bad upload
    // must fail its own document, not the worker.
    let read = catch_unwind(AssertUnwindSafe(|| match format {
        Format::Txt => txt::extract(bytes).map(one_page),
        Format::Markdown => markdown::extract(bytes).map(one_page),
        Format::Html => html::extract(bytes).map(one_page),
        Format::Pdf => pdf::extract(bytes),
        Format::Docx => docx::extract(bytes, limits).map(one_page),
        Format::Csv => csv::extract(bytes).map(one_page),
        Format::Json => json::extract(bytes).map(one_page),
    }));
    read.unwrap_or_else(|_| {
        Err(ExtractError::Corrupt(format!(
            "the {format} reader could not parse this file"
        )))
    })
}

fn one_page(text: String) -> Vec<String> {
    vec![text::tidy(&text)]
}
