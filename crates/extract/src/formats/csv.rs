//! CSV: each row as `header: value` lines, rows separated by a blank line so a chunk keeps a row
//! whole. The delimiter (comma, semicolon or tab) is guessed from the header line.

use csv::ReaderBuilder;

use crate::ExtractError;

pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let source = super::text::decode(bytes)?;
    let mut reader = ReaderBuilder::new()
        .delimiter(sniff_delimiter(&source))
        .flexible(true)
        .from_reader(source.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ExtractError::corrupt(format!("unreadable CSV header: {e}")))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ExtractError::corrupt(format!("unreadable CSV: {e}")))?;
        let lines: Vec<String> = record
            .iter()
            .enumerate()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(i, value)| format!("{}: {}", header_name(&headers, i), value.trim()))
            .collect();
        if !lines.is_empty() {
            rows.push(lines.join("\n"));
        }
    }
    Ok(rows.join("\n\n"))
}

fn header_name(headers: &csv::StringRecord, index: usize) -> String {
    match headers.get(index).map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => format!("column {}", index + 1),
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

    #[test]
    fn semicolons_quotes_and_ragged_rows() {
        let csv =
            "name;\"note; with semicolon\";\n\"Ann\";\"likes \"\"tea\"\"\";x;extra\n;;\nBob;;\n";
        assert_eq!(
            extract(csv.as_bytes()).as_deref(),
            Ok(
                "name: Ann\nnote; with semicolon: likes \"tea\"\ncolumn 3: x\ncolumn 4: extra\n\nname: Bob"
            )
        );
    }
}
