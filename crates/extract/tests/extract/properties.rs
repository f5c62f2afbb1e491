//! Property tests: whatever the bytes, every reader answers (text or a coded error) without a
//! panic, within its output budget and time limit, and the chunker terminates with bounded output.

use std::time::Duration;

use extract::{ChunkOptions, ExtractError, Format, Limits, chunk_ranges, extract_text_with_limits};
use proptest::prelude::*;

/// Small budgets, so that a case that would blow them up does so in a few kilobytes.
const LIMITS: Limits = Limits {
    max_input_bytes: 64 * 1024,
    max_unpacked_bytes: 256 * 1024,
    max_output_bytes: 16 * 1024,
    max_pages: 50,
    max_duration: Duration::from_secs(5),
};

fn check(bytes: &[u8], format: Format) {
    let name = format!("upload.{}", format.as_str());
    match extract_text_with_limits(bytes, format.content_type(), &name, &LIMITS) {
        Ok(text) => {
            let total: usize = text.pages.iter().map(String::len).sum();
            assert!(total as u64 <= LIMITS.max_output_bytes, "{total} bytes");
            assert!(text.pages.len() as u64 <= u64::from(LIMITS.max_pages));
        }
        // Every error carries a stable code; a timeout would mean a reader looped.
        Err(e) => assert_ne!(e, ExtractError::TimedOut { limit_secs: 5 }, "{e}"),
    }
}

/// CSV with a few long headers and many short rows: the repetition the budget exists for.
fn csv() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec("[a-z;,\" ]{0,300}", 1..6),
        prop::collection::vec("[a-z0-9;,\"\n ]{0,20}", 0..300),
    )
        .prop_map(|(headers, rows)| {
            format!("{}\n{}", headers.join(","), rows.join("\n")).into_bytes()
        })
}

/// JSON nesting long keys over arrays of records.
fn json() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z ]{0,20}".prop_map(|s| format!("{s:?}")),
        Just("null".to_owned()),
    ];
    leaf.prop_recursive(6, 200, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..40)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(("[a-z]{0,200}", inner), 0..6).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{k:?}: {v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
    .prop_map(String::into_bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_any_format(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        for format in Format::ALL {
            check(&bytes, format);
        }
    }

    #[test]
    fn csv_stays_within_budget(bytes in csv()) {
        check(&bytes, Format::Csv);
    }

    #[test]
    fn json_stays_within_budget(bytes in json()) {
        check(&bytes, Format::Json);
    }

    #[test]
    fn chunker_terminates_with_bounded_output(
        text in "\\PC{0,2000}",
        target in 1usize..300,
        overlap in 0usize..300,
    ) {
        let ranges = chunk_ranges(&text, &ChunkOptions { target_chars: target, overlap_chars: overlap });
        let non_space = text.chars().filter(|c| !c.is_whitespace()).count();
        prop_assert!(ranges.len() <= non_space.max(1));
        for pair in ranges.windows(2) {
            prop_assert!(pair[0].start < pair[1].start);
        }
        for range in &ranges {
            prop_assert!(!text[range.clone()].trim().is_empty());
        }
    }

    #[test]
    fn ascii_chunks_are_at_most_the_target(
        text in "[a-z .\n]{0,3000}",
        target in 1usize..300,
        overlap in 0usize..300,
    ) {
        let options = ChunkOptions { target_chars: target, overlap_chars: overlap };
        for range in chunk_ranges(&text, &options) {
            prop_assert!(range.len() <= target, "{} > {target}", range.len());
        }
    }
}
