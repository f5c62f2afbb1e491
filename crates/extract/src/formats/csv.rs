//! CSV: each row as `header: value` lines, rows separated by a blank line so a chunk keeps a row
//! whole. The delimiter (comma, semicolon or tab) is guessed from the header line. Every line is
//! charged to the budget before it is built: a huge header repeated on every row stops there.

use std::borrow::Cow;

use csv::ReaderBuilder;

use crate::ExtractError;
use crate::budget::Budget;

pub(crate) fn extract(bytes: &[u8], budget: &mut Budget) -> Result<String, ExtractError> {
    let source = super::text::decode(bytes)?;
    let mut reader = ReaderBuilder::new()
        .delimiter(sniff_delimiter(&source))
        .flexible(true)
        .from_reader(source.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ExtractError::corrupt(format!("unreadable CSV header: {e}")))?
        .clone();
    let mut out = String::new();
    for record in reader.records() {
        let record = record.map_err(|e| ExtractError::corrupt(format!("unreadable CSV: {e}")))?;
        budget.check_time()?;
        let mut first_line = true;
        for (i, value) in record.iter().enumerate() {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let name = header_name(&headers, i);
            // The separator, the name, ": " and the value.
            budget.charge(2 + name.len() + 2 + value.len())?;
            if !out.is_empty() {
                out.push_str(if first_line { "\n\n" } else { "\n" });
            }
            first_line = false;
            out.push_str(&name);
            out.push_str(": ");
            out.push_str(value);
        }
    }
    Ok(out)
}

fn header_name(headers: &csv::StringRecord, index: usize) -> Cow<'_, str> {
    match headers.get(index).map(str::trim) {
        Some(name) if !name.is_empty() => Cow::Borrowed(name),
        _ => Cow::Owned(format!("column {}", index + 1)),
    }
}

/// The most frequent of `,` `;` and tab on the first line, outside quotes; comma on a tie.
fn sniff_delimiter(source: &str) -> u8 {
    let first_line = source.lines().next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in first_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delimiters[best]
}

#[cfg(test)]
mod tests {
    use super::extract;
    use crate::budget::Budget;
    use crate::{ExtractError, Limits};

    fn extract_default(bytes: &[u8]) -> Result<String, ExtractError> {
        extract(bytes, &mut Budget::new(&Limits::default()))
    }

    #[test]
    fn a_header_repeated_on_every_row_stops_at_the_budget() {
        let header = "h".repeat(1_000);
        let csv = format!("{header}\n{}", "v\n".repeat(1_000));
        let limits = Limits {
            max_output_bytes: 100_000,
            ..Limits::default()
        };
        assert_eq!(
            extract(csv.as_bytes(), &mut Budget::new(&limits)),
            Err(ExtractError::OutputTooLarge {
                limit_bytes: 100_000
            })
        );
    }

    #[test]
    fn semicolons_quotes_and_ragged_rows() {
        let csv =
            "name;\"note; with semicolon\";\n\"Ann\";\"likes \"\"tea\"\"\";x;extra\n;;\nBob;;\n";
        assert_eq!(
            extract_default(csv.as_bytes()).as_deref(),
            Ok(
                "name: Ann\nnote; with semicolon: likes \"tea\"\ncolumn 3: x\ncolumn 4: extra\n\nname: Bob"
            )
        );
    }
}
