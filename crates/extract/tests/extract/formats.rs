//! Each format end to end through `extract_text`, with real files built in the test.

use extract::{ExtractError, Format, Limits, extract_text, extract_text_with_limits, test_support};

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn txt_keeps_text_and_tidies_line_ends() {
    let got = extract_text(
        b"Hello\r\nworld\r\n\r\n\r\nBye  \r\n",
        "text/plain",
        "a.txt",
    )
    .unwrap();
    assert_eq!(got.format, Format::Txt);
    assert_eq!(got.pages, vec!["Hello\nworld\n\nBye".to_owned()]);
}

#[test]
fn txt_in_utf16_and_latin1() {
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("Grüße 東京".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        extract_text(&utf16, "text/plain", "a.txt").unwrap().text(),
        "Grüße 東京"
    );
    let latin1 = b"Caf\xE9 cr\xE8me";
    assert_eq!(
        extract_text(latin1, "", "a.txt").unwrap().text(),
        "Café crème"
    );
}

#[test]
fn markdown_to_plain_text() {
    let md = "# Title\n\nSome *emphasis* and `code`.\n\n> quoted\n";
    let got = extract_text(md.as_bytes(), "text/markdown", "a.md").unwrap();
    assert_eq!(got.format, Format::Markdown);
    assert_eq!(got.text(), "Title\n\nSome emphasis and code.\n\nquoted");
}

#[test]
fn html_without_tags_scripts_or_styles() {
    let html = "<html><body><p>Visible <a href='#'>link</a></p><script>secret()</script><style>.x{}</style></body></html>";
    let got = extract_text(html.as_bytes(), "text/html; charset=utf-8", "page").unwrap();
    assert_eq!(got.format, Format::Html);
    assert_eq!(got.text(), "Visible link");
}

#[test]
fn pdf_one_string_per_page() {
    let bytes = test_support::pdf(&["First page text.", "Second (page) text.\nAnother line."]);
    let got = extract_text(&bytes, "application/pdf", "doc.pdf").unwrap();
    assert_eq!(got.format, Format::Pdf);
    assert_eq!(got.pages.len(), 2);
    assert!(got.pages[0].contains("First page text."), "{:?}", got.pages);
    assert!(
        got.pages[1].contains("Second (page) text."),
        "{:?}",
        got.pages
    );
    assert!(got.pages[1].contains("Another line."), "{:?}", got.pages);
    assert!(!got.pages[0].contains("Second"));
}

/// Removes the first page's MediaBox, keeping every byte offset: pdf-extract panics on such a page.
fn without_first_media_box(pdf: &[u8]) -> Vec<u8> {
    let needle = b"/MediaBox [0 0 612 792]";
    let at = pdf.windows(needle.len()).position(|w| w == needle).unwrap();
    let mut out = pdf.to_vec();
    out[at..at + needle.len()].copy_from_slice(b"/Rotate 0              ");
    out
}

#[test]
fn pdf_page_that_panics_the_parser_is_contained() {
    let two_pages = without_first_media_box(&test_support::pdf(&["Broken page.", "Good page."]));
    let got = extract_text(&two_pages, "application/pdf", "a.pdf").unwrap();
    assert_eq!(got.pages.len(), 2);
    assert_eq!(got.pages[0], "");
    assert!(got.pages[1].contains("Good page."), "{:?}", got.pages);

    let one_page = without_first_media_box(&test_support::pdf(&["Broken page."]));
    let err = extract_text(&one_page, "application/pdf", "a.pdf").unwrap_err();
    assert_eq!(err.code(), "corrupt_file", "{err}");
}

#[test]
fn pdf_without_text_is_empty() {
    let bytes = test_support::pdf(&[""]);
    assert_eq!(
        extract_text(&bytes, "application/pdf", "scan.pdf"),
        Err(ExtractError::Empty)
    );
}

#[test]
fn docx_paragraphs() {
    let bytes = test_support::docx(&[
        "Heading & intro",
        "Second paragraph <with> symbols — ünïcode",
    ]);
    let got = extract_text(&bytes, DOCX, "report.docx").unwrap();
    assert_eq!(got.format, Format::Docx);
    assert_eq!(
        got.text(),
        "Heading & intro\n\nSecond paragraph <with> symbols — ünïcode"
    );
}

#[test]
fn docx_without_document_part_is_corrupt() {
    let bytes = test_support::zip_of(&[("word/other.xml", b"<x/>")]);
    let err = extract_text(&bytes, DOCX, "a.docx").unwrap_err();
    assert_eq!(err.code(), "corrupt_file", "{err}");
}

#[test]
fn docx_zip_bomb_is_too_large() {
    let bytes = test_support::docx(&[&"a".repeat(100_000)]);
    let limits = Limits {
        max_unpacked_bytes: 10_000,
        ..Limits::default()
    };
    assert_eq!(
        extract_text_with_limits(&bytes, DOCX, "a.docx", &limits),
        Err(ExtractError::Unpacked {
            limit_bytes: 10_000
        })
    );
}

#[test]
fn csv_rows_as_header_value_lines() {
    let csv = "name,city\nAnn,Paris\nBob,\"Oslo, Norway\"\n";
    let got = extract_text(csv.as_bytes(), "text/csv", "people.csv").unwrap();
    assert_eq!(got.format, Format::Csv);
    assert_eq!(
        got.text(),
        "name: Ann\ncity: Paris\n\nname: Bob\ncity: Oslo, Norway"
    );
}

#[test]
fn json_keys_and_values_flattened() {
    let json = br#"{"agent": {"greeting": "Hello there"}}"#;
    let got = extract_text(json, "application/json", "a.json").unwrap();
    assert_eq!(got.format, Format::Json);
    assert_eq!(got.text(), "agent.greeting: Hello there");
}

#[test]
fn corrupt_binaries_are_corrupt_never_a_panic() {
    let cases = [("application/pdf", "x.pdf"), (DOCX, "x.docx")];
    for (content_type, name) in cases {
        for seed in 1..=40u64 {
            let len = 1 + (seed as usize * 97) % 4096;
            let err = extract_text(&noise(len, seed), content_type, name).unwrap_err();
            assert_eq!(err.code(), "corrupt_file", "{name} seed {seed}: {err}");
        }
    }
}

#[test]
fn damaged_real_files_never_panic() {
    // Truncated and bit-flipped copies of valid files reach deeper into the parsers than noise.
    let pdf = test_support::pdf(&["Some text on a page.", "More text."]);
    let docx = test_support::docx(&["A paragraph."]);
    for (bytes, content_type) in [(pdf, "application/pdf"), (docx, DOCX)] {
        for cut in (1..bytes.len()).step_by(7) {
            let _ = extract_text(&bytes[..cut], content_type, "");
        }
        for (i, flip) in noise(200, 7).iter().enumerate() {
            let mut damaged = bytes.clone();
            let at = (i * 31) % damaged.len();
            damaged[at] ^= flip | 1;
            let _ = extract_text(&damaged, content_type, "");
        }
    }
}

#[test]
fn text_formats_reject_binary_noise() {
    let bytes = noise(512, 3);
    for (content_type, name) in [
        ("text/csv", "a.csv"),
        ("application/json", "a.json"),
        ("text/plain", "a.txt"),
    ] {
        let err = extract_text(&bytes, content_type, name).unwrap_err();
        assert_eq!(err.code(), "corrupt_file", "{name}: {err}");
    }
}

#[test]
fn empty_inputs_are_empty() {
    for format in Format::ALL {
        let name = format!("empty.{}", format.as_str());
        assert_eq!(
            extract_text(b"", format.content_type(), &name),
            Err(ExtractError::Empty)
        );
    }
    let blank_cases: [(&[u8], &str); 5] = [
        (b"  \n\t\n", "text/plain"),
        (
            b"<html><body><script>x()</script></body></html>",
            "text/html",
        ),
        (b"name,city\n", "text/csv"),
        (b"{\"a\": null, \"b\": []}", "application/json"),
        (b"\n\n---\n", "text/markdown"),
    ];
    for (bytes, content_type) in blank_cases {
        assert_eq!(
            extract_text(bytes, content_type, ""),
            Err(ExtractError::Empty),
            "{content_type}"
        );
    }
    assert_eq!(
        extract_text(&test_support::docx(&[]), DOCX, ""),
        Err(ExtractError::Empty)
    );
}

#[test]
fn unsupported_and_too_large() {
    let err = extract_text(b"GIF89a", "image/gif", "cat.gif").unwrap_err();
    assert_eq!(err.code(), "unsupported_type");
    let limits = Limits {
        max_input_bytes: 4,
        ..Limits::default()
    };
    let err = extract_text_with_limits(b"hello", "text/plain", "a.txt", &limits).unwrap_err();
    assert_eq!(err, ExtractError::TooLarge { limit_bytes: 4 });
    assert_eq!(err.code(), "file_too_large");
}
