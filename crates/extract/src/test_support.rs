//! Builders of small, valid sample documents, for this crate's tests and the worker's end-to-end
//! tests (feature `test-support`). The committed copies live in `tests/fixtures/`.
//!
//! Test-only code: a failure here is a bug in a test, so it may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::path::PathBuf;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// `crates/extract/tests/fixtures`, which holds one `sample.*` file per format.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// A sample upload: its name, the content type a browser would send, its bytes, and phrases that
/// its extracted text must contain.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub file_name: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub expected: &'static [&'static str],
}

/// One sample per format, each about the same made-up return policy.
pub fn fixtures() -> Vec<Fixture> {
    vec![
        Fixture {
            file_name: "sample.txt",
            content_type: "text/plain",
            bytes: b"Return policy\n\nRefunds are issued within 14 days of the return.\nCall support on weekdays.\n".to_vec(),
            expected: &["Refunds are issued within 14 days", "Call support on weekdays."],
        },
        Fixture {
            file_name: "sample.md",
            content_type: "text/markdown",
            bytes: b"# Return policy\n\nRefunds are issued **within 14 days** of the return.\n\n- Keep the receipt\n- Use the [portal](https://example.test)\n".to_vec(),
            expected: &["Return policy", "Refunds are issued within 14 days", "Use the portal"],
        },
        Fixture {
            file_name: "sample.html",
            content_type: "text/html",
            bytes: b"<!doctype html><html><head><title>Return policy</title><style>p{color:red}</style></head><body><h1>Returns</h1><p>Refunds are issued <em>within 14 days</em> of the return.</p><script>track()</script></body></html>\n".to_vec(),
            expected: &["Return policy", "Refunds are issued within 14 days of the return."],
        },
        Fixture {
            file_name: "sample.pdf",
            content_type: "application/pdf",
            bytes: pdf(&[
                "Return policy\nRefunds are issued within 14 days.",
                "Page two: call support on weekdays.",
            ]),
            expected: &["Refunds are issued within 14 days", "call support on weekdays"],
        },
        Fixture {
            file_name: "sample.docx",
            content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            bytes: docx(&["Return policy", "Refunds are issued within 14 days of the return."]),
            expected: &["Return policy", "Refunds are issued within 14 days of the return."],
        },
        Fixture {
            file_name: "sample.csv",
            content_type: "text/csv",
            bytes: b"question,answer\nHow long do refunds take?,Refunds are issued within 14 days.\nWhen is support open?,\"Weekdays, 9 to 5.\"\n".to_vec(),
            expected: &["question: How long do refunds take?", "answer: Refunds are issued within 14 days.", "answer: Weekdays, 9 to 5."],
        },
        Fixture {
            file_name: "sample.json",
            content_type: "application/json",
            bytes: br#"{"policy": {"title": "Return policy", "refund_days": 14}, "faq": [{"q": "How long do refunds take?", "a": "Refunds are issued within 14 days."}]}"#.to_vec(),
            expected: &["policy.title: Return policy", "faq.a: Refunds are issued within 14 days."],
        },
    ]
}

/// A minimal valid .docx with one paragraph per item.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
                xml_escape(p)
            )
        })
        .collect();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    zip_of(&[
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("word/document.xml", document.as_bytes()),
    ])
}

/// A zip archive of the given files, deflated, with fixed timestamps so the bytes are stable.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    for (name, bytes) in files {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A minimal valid PDF, one page per item, each line of a page drawn in Helvetica. Characters
/// outside printable ASCII become `?` (the standard font's encoding is not Unicode).
pub fn pdf(pages: &[&str]) -> Vec<u8> {
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .map(|page| {
            let mut content = String::from("BT /F1 12 Tf 14 TL 72 720 Td\n");
            for line in page.lines() {
                content.push_str(&format!("({}) Tj T*\n", pdf_escape(line)));
            }
            content.push_str("ET");
            content.into_bytes()
        })
        .collect();
    pdf_of(&contents, "")
}

/// A deflate bomb: a PDF of `pages` pages whose content streams are each `inflated_per_page`
/// spaces, deflated (about a thousand to one), so the file stays small.
pub fn pdf_bomb(pages: usize, inflated_per_page: usize) -> Vec<u8> {
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    let block = vec![b' '; 1024 * 1024];
    let mut left = inflated_per_page;
    while left > 0 {
        let n = left.min(block.len());
        encoder.write_all(&block[..n]).unwrap();
        left -= n;
    }
    let stream = encoder.finish().unwrap();
    pdf_of(&vec![stream; pages], "/Filter /FlateDecode ")
}

/// A PDF with one page per content stream, the streams written as given under `filter`.
fn pdf_of(contents: &[Vec<u8>], filter: &str) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        Vec::new(), // the page tree, once the page ids are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    let mut kids = Vec::new();
    for content in contents {
        let page_id = objects.len() + 1;
        kids.push(format!("{page_id} 0 R"));
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            page_id + 1
        ).into_bytes());
        let mut object = format!("<< {filter}/Length {} >>\nstream\n", content.len()).into_bytes();
        object.extend_from_slice(content);
        object.extend_from_slice(b"\nendstream");
        objects.push(object);
    }
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        contents.len()
    )
    .into_bytes();
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_offset = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        xref.push_str(&format!("{offset:010} 00000 n \n"));
    }
    xref.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_offset}\n%%EOF\n",
        objects.len() + 1
    ));
    out.extend_from_slice(xref.as_bytes());
    out
}

fn pdf_escape(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '(' | ')' | '\\' => format!("\\{c}"),
            ' '..='~' => c.to_string(),
            _ => "?".to_owned(),
        })
        .collect()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
