//! Word (.docx): the paragraphs of `word/document.xml`, read from the zip with a size cap.
//!
//! Only `t` elements hold text. Property blocks (whose `tab` elements are tab stops, not tabs),
//! deleted text, field codes and the fallback copy of drawings (`mc:Fallback` repeats the text
//! of `mc:Choice`) are skipped.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::text::{Gap, TextSink};
use crate::{ExtractError, Limits};

const DOCUMENT_PART: &str = "word/document.xml";

pub(crate) fn extract(bytes: &[u8], limits: &Limits) -> Result<String, ExtractError> {
    let xml = read_document_part(bytes, limits.max_unpacked_bytes)?;
    let xml = super::text::decode(&xml)?;
    paragraphs(&xml)
}

fn read_document_part(bytes: &[u8], limit: u64) -> Result<Vec<u8>, ExtractError> {
    let too_large = ExtractError::Unpacked { limit_bytes: limit };
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::corrupt(format!("not a docx (zip) archive: {e}")))?;
    let part = archive
        .by_name(DOCUMENT_PART)
        .map_err(|e| ExtractError::corrupt(format!("no {DOCUMENT_PART} in the archive: {e}")))?;
    if part.size() > limit {
        return Err(too_large);
    }
    // The declared size can lie (a zip bomb): cap what is actually inflated too.
    let mut xml = Vec::new();
    part.take(limit.saturating_add(1))
        .read_to_end(&mut xml)
        .map_err(|e| ExtractError::corrupt(format!("cannot inflate {DOCUMENT_PART}: {e}")))?;
    if xml.len() as u64 > limit {
        return Err(too_large);
    }
    Ok(xml)
}

fn paragraphs(xml: &str) -> Result<String, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut sink = TextSink::new();
    let mut skipped = 0usize;
    let mut in_text = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::corrupt(format!("malformed {DOCUMENT_PART}: {e}")))?;
        match event {
            Event::Start(element) => {
                let name = element.local_name().into_inner();
                if skipped > 0 || is_skipped(name) {
                    skipped += 1;
                } else {
                    in_text = name == "t";
                }
            }
            Event::End(element) => {
                let name = element.local_name().into_inner();
                if skipped > 0 {
                    skipped -= 1;
                } else {
                    in_text = false;
                    match name {
                        "p" => sink.gap(Gap::Paragraph),
                        "tc" => sink.raw("\t"),
                        "tr" => sink.gap(Gap::Line),
                        _ => {}
                    }
                }
            }
            Event::Empty(element) if skipped == 0 => match element.local_name().into_inner() {
                "tab" => sink.raw("\t"),
                "br" | "cr" => sink.gap(Gap::Line),
                _ => {}
            },
            Event::Text(text) if in_text && skipped == 0 => sink.raw(&text.xml10_content()),
            Event::CData(text) if in_text && skipped == 0 => {
                sink.raw(&text.xml10_content());
            }
            Event::GeneralRef(reference) if in_text && skipped == 0 => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => resolve_xml_entity(&reference)
                        .unwrap_or_default()
                        .to_owned(),
                    Err(e) => return Err(ExtractError::corrupt(format!("bad reference: {e}"))),
                };
                sink.raw(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(sink.finish())
}

fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "pPr"
            | "rPr"
            | "sectPr"
            | "tblPr"
            | "tblGrid"
            | "trPr"
            | "tcPr"
            | "Fallback"
            | "delText"
            | "instrText"
    )
}

#[cfg(test)]
mod tests {
    use super::paragraphs;
    use crate::formats::text::tidy;

    #[test]
    fn paragraphs_runs_tabs_and_skipped_parts() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">
<w:body>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>Hello</w:t></w:r><w:r><w:t xml:space="preserve"> big </w:t></w:r><w:r><w:t>world &amp; co&#33;</w:t></w:r></w:p>
<w:p><w:r><w:t>Name</w:t><w:tab/><w:t>Value</w:t><w:br/><w:t>next line</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>
<w:p><mc:AlternateContent><mc:Choice><w:t>Box</w:t></mc:Choice><mc:Fallback><w:t>Box</w:t></mc:Fallback></mc:AlternateContent></w:p>
<w:sectPr><w:pgSz w:w="12240"/></w:sectPr>
</w:body></w:document>"#;
        let text = paragraphs(xml).map(|t| tidy(&t));
        assert_eq!(
            text.as_deref(),
            Ok("Hello big world & co!\n\nName\tValue\nnext line\n\nBox")
        );
    }

    #[test]
    fn malformed_xml_is_corrupt() {
        let result = paragraphs("<w:document><w:p><w:t>x</w:p>");
        assert_eq!(result.map_err(|e| e.code()), Err("corrupt_file"));
    }
}
