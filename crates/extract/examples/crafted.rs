//! The crafted hostile uploads of docs/SECURITY.md, for measuring what they cost under the
//! default limits: `cargo run --release -p echosenseix-extract --features test-support --example
//! crafted -- csv|json|pdf` under `/usr/bin/time -v` (peak memory is "Maximum resident set size").

use std::time::Instant;

use extract::{extract_text, test_support};

const MIB: usize = 1024 * 1024;

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let (bytes, content_type, name) = match kind.as_str() {
        // The CSV: 25 MB whose header is 1 MB; every row would repeat the header.
        "csv" => {
            let mut csv = "h".repeat(MIB).into_bytes();
            csv.push(b'\n');
            while csv.len() < 25 * MIB {
                csv.extend_from_slice(b"value\n");
            }
            (csv, "text/csv", "wide.csv")
        }
        // A 1 MB key over 1M records: every record's line repeats the key.
        "json" => {
            let key = "k".repeat(MIB);
            let json = format!(
                "{{\"{key}\": [{}{{\"v\": 2}}]}}",
                "{\"v\": 1},".repeat(1_000_000)
            );
            (json.into_bytes(), "application/json", "deep.json")
        }
        // 64 pages of 64 MiB of deflated spaces: 4 GiB inflated from a few MB.
        "pdf" => (
            test_support::pdf_bomb(64, 64 * MIB),
            "application/pdf",
            "bomb.pdf",
        ),
        _ => {
            eprintln!("usage: crafted csv|json|pdf");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let outcome = extract_text(&bytes, content_type, name);
    let elapsed = started.elapsed();
    match outcome {
        Ok(text) => println!(
            "{kind}: {} input bytes -> {} bytes of text in {elapsed:?}",
            bytes.len(),
            text.pages.iter().map(String::len).sum::<usize>()
        ),
        Err(e) => println!(
            "{kind}: {} input bytes -> {} ({e}) in {elapsed:?}",
            bytes.len(),
            e.code()
        ),
    }
}
