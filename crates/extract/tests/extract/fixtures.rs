//! The committed sample files in `tests/fixtures/` match their builders and extract as expected.
//! `EXTRACT_WRITE_FIXTURES=1 cargo test -p echosenseix-extract fixtures` rewrites them.

use extract::{detect_format, extract_text, test_support};

#[test]
fn committed_fixtures_are_current_and_extract() {
    let dir = test_support::fixtures_dir();
    let rewrite = std::env::var_os("EXTRACT_WRITE_FIXTURES").is_some();
    for fixture in test_support::fixtures() {
        let path = dir.join(fixture.file_name);
        if rewrite {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &fixture.bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == fixture.bytes,
            "{} is stale: rerun with EXTRACT_WRITE_FIXTURES=1",
            path.display()
        );

        assert!(detect_format(fixture.content_type, fixture.file_name).is_some());
        // Uploads often arrive with a generic content type: the name alone must do too.
        for content_type in [fixture.content_type, "application/octet-stream"] {
            let text = extract_text(&committed, content_type, fixture.file_name)
                .unwrap_or_else(|e| panic!("{}: {e}", fixture.file_name))
                .text();
            for phrase in fixture.expected {
                assert!(
                    text.contains(phrase),
                    "{}: {phrase:?} missing from {text:?}",
                    fixture.file_name
                );
            }
        }
    }
}
