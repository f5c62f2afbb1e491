//! PDF: the text layer of each page, through pdf-extract (pure Rust, on lopdf).
//!
//! pdf-extract unwraps freely on malformed files, so each page is read behind its own panic guard:
//! a bad page becomes an empty page and the others are kept. Only a file with no readable page at
//! all is corrupt. Encrypted files are tried with the empty password, as viewers do.
//!
//! Budgets: the deflated streams are measured against the decompression cap before lopdf sees
//! the file (and again once decrypted, for encrypted files), the page count against the page
//! limit before any page is read, and each page's text against the output budget and the clock.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{Document, Object, PlainTextOutput, output_doc_page};

use super::inflate;
use super::text::tidy;
use crate::ExtractError;
use crate::budget::Budget;

pub(crate) fn extract(bytes: &[u8], budget: &mut Budget) -> Result<Vec<String>, ExtractError> {
    inflate::check_streams(bytes, budget.max_unpacked_bytes())?;
    let mut document = Document::load_mem(bytes)
        .map_err(|e| ExtractError::corrupt(format!("unreadable PDF: {e}")))?;
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(ExtractError::corrupt("the PDF is password-protected"));
    }
    if document.was_encrypted() {
        // The raw scan saw ciphertext: measure the decrypted streams too.
        check_decrypted_streams(&document, budget.max_unpacked_bytes())?;
    }
    let page_numbers: Vec<u32> = document.get_pages().into_keys().collect();
    budget.check_pages(page_numbers.len())?;
    let mut pages = Vec::with_capacity(page_numbers.len());
    let mut first_failure = None;
    for number in page_numbers {
        budget.check_time()?;
        match read_page(&document, number) {
            Ok(text) => {
                budget.charge(text.len())?;
                pages.push(tidy(&text));
            }
            Err(reason) => {
                first_failure.get_or_insert(reason);
                pages.push(String::new());
            }
        }
    }
    match first_failure {
        Some(reason) if pages.iter().all(String::is_empty) => Err(ExtractError::Corrupt(reason)),
        _ => Ok(pages),
    }
}

fn check_decrypted_streams(document: &Document, limit: u64) -> Result<(), ExtractError> {
    let mut total = 0u64;
    for object in document.objects.values() {
        if let Object::Stream(stream) = object {
            total = total.saturating_add(inflate::check_stream(
                &stream.content,
                limit - total.min(limit),
            )?);
        }
    }
    Ok(())
}

fn read_page(document: &Document, number: u32) -> Result<String, String> {
    let read = catch_unwind(AssertUnwindSafe(|| {
        let mut text = String::new();
        output_doc_page(document, &mut PlainTextOutput::new(&mut text), number).map(|()| text)
    }));
    match read {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(format!("unreadable PDF page {number}: {e}")),
        Err(_) => Err(format!("unreadable PDF page {number}")),
    }
}
