//! PDF: the text layer of each page, through pdf-extract (pure Rust, on lopdf).
//!
//! pdf-extract unwraps freely on malformed files, so each page is read behind its own panic guard:
//! a bad page becomes an empty page and the others are kept. Only a file with no readable page at
//! all is corrupt. Encrypted files are tried with the empty password, as viewers do.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{Document, PlainTextOutput, output_doc_page};

use super::text::tidy;
use crate::ExtractError;

pub(crate) fn extract(bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    let mut document = Document::load_mem(bytes)
        .map_err(|e| ExtractError::corrupt(format!("unreadable PDF: {e}")))?;
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(ExtractError::corrupt("the PDF is password-protected"));
    }
    let page_numbers: Vec<u32> = document.get_pages().into_keys().collect();
    let mut pages = Vec::with_capacity(page_numbers.len());
    let mut first_failure = None;
    for number in page_numbers {
        match read_page(&document, number) {
            Ok(text) => pages.push(tidy(&text)),
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
