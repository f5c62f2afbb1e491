//! Dispatch to one reader per format, behind a panic guard and the extraction's [`Budget`].

mod csv;
mod docx;
mod html;
mod inflate;
mod json;
mod markdown;
mod pdf;
pub(crate) mod text;
mod txt;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::budget::Budget;
use crate::{ExtractError, Format, Limits};

/// The tidied pages of a document (a single page except for PDF).
pub(crate) fn extract(
    format: Format,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<String>, ExtractError> {
    let mut budget = Budget::new(limits);
    // Third-party parsers (pdf-extract above all) panic on some malformed files; one bad upload
    // must fail its own document, not the worker.
    let read = catch_unwind(AssertUnwindSafe(|| match format {
        Format::Txt => txt::extract(bytes).map(one_page),
        Format::Markdown => markdown::extract(bytes).map(one_page),
        Format::Html => html::extract(bytes).map(one_page),
        Format::Pdf => pdf::extract(bytes, &mut budget),
        Format::Docx => docx::extract(bytes, limits).map(one_page),
        Format::Csv => csv::extract(bytes, &mut budget).map(one_page),
        Format::Json => json::extract(bytes, &mut budget).map(one_page),
    }));
    let pages = read.unwrap_or_else(|_| {
        Err(ExtractError::Corrupt(format!(
            "the {format} reader could not parse this file"
        )))
    })?;
    // The readers that cannot outgrow their input charge nothing on the way: hold every reader's
    // result to the same limits at the end.
    let total: usize = pages.iter().map(String::len).sum();
    if total as u64 > limits.max_output_bytes {
        return Err(ExtractError::OutputTooLarge {
            limit_bytes: limits.max_output_bytes,
        });
    }
    budget.check_pages(pages.len())?;
    budget.check_time()?;
    Ok(pages)
}

fn one_page(text: String) -> Vec<String> {
    vec![text::tidy(&text)]
}
