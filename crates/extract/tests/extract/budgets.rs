//! Crafted hostile uploads fail with their budget's error code under the default limits, instead
//! of growing the worker's memory without bound.

use extract::{ExtractError, Limits, extract_text, test_support};

const MIB: usize = 1024 * 1024;

#[test]
fn csv_with_a_one_megabyte_header_stops_at_the_output_budget() {
    // Every row repeats the 1 MB header: 200 rows would be 200 MB of text from a 1.2 MB file.
    let mut csv = "h".repeat(MIB).into_bytes();
    csv.extend_from_slice(b"\n");
    csv.extend_from_slice(&b"value\n".repeat(200));
    let err = extract_text(&csv, "text/csv", "wide.csv").unwrap_err();
    assert_eq!(
        err,
        ExtractError::OutputTooLarge {
            limit_bytes: Limits::default().max_output_bytes
        }
    );
    assert_eq!(err.code(), "output_too_large");
}

#[test]
fn json_repeating_a_long_key_path_stops_at_the_output_budget() {
    // One 1 MB key over 200 records: each record's line repeats it.
    let key = "k".repeat(MIB);
    let records = "{\"v\": 1},".repeat(200);
    let json = format!("{{\"{key}\": [{records}{{\"v\": 2}}]}}");
    let err = extract_text(json.as_bytes(), "application/json", "deep.json").unwrap_err();
    assert_eq!(err.code(), "output_too_large", "{err}");
}

#[test]
fn pdf_deflate_bomb_stops_at_the_decompression_cap() {
    // 20 pages of 16 MB each inflate to 320 MB, past the 256 MB cap, from a file of about 300 KB.
    let bomb = test_support::pdf_bomb(20, 16 * MIB);
    assert!(bomb.len() < MIB, "the bomb is {} bytes", bomb.len());
    let err = extract_text(&bomb, "application/pdf", "bomb.pdf").unwrap_err();
    assert_eq!(
        err,
        ExtractError::Unpacked {
            limit_bytes: Limits::default().max_unpacked_bytes
        }
    );
    assert_eq!(err.code(), "decompression_limit");
}

#[test]
fn pdf_under_the_cap_still_reads() {
    let pdf = test_support::pdf_bomb(2, MIB);
    // Only spaces: a readable file with no text.
    assert_eq!(
        extract_text(&pdf, "application/pdf", "blank.pdf").unwrap_err(),
        ExtractError::Empty
    );
}

#[test]
fn pdf_past_the_page_limit_is_refused() {
    let limit = Limits::default().max_pages;
    let pages = vec!["x"; limit as usize + 1];
    let pdf = test_support::pdf(&pages);
    let err = extract_text(&pdf, "application/pdf", "long.pdf").unwrap_err();
    assert_eq!(err, ExtractError::TooManyPages { limit });
    assert_eq!(err.code(), "too_many_pages");
}
