//! Shared text plumbing for the readers: byte decoding, a whitespace-aware text builder, tidying.

use std::borrow::Cow;

use encoding_rs::{Encoding, WINDOWS_1252};

use crate::ExtractError;

/// Decodes a text file: a BOM (UTF-8 or UTF-16) wins, then UTF-8, then Windows-1252, which is what
/// legacy text files and unlabelled HTML mostly are. Bytes with NULs and no BOM are binary.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ExtractError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(text);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    if bytes.contains(&0) {
        return Err(ExtractError::corrupt("binary data where text was expected"));
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
    Ok(text)
}

/// Line ends to `\n`, control characters dropped, trailing spaces trimmed, runs of blank lines
/// collapsed into one, no leading or trailing blank lines.
pub(crate) fn tidy(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0usize;
    for line in text.split('\n') {
        let line: String = line
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// The separator owed before the next piece of text; a stronger one absorbs a weaker one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Gap {
    None,
    Space,
    Line,
    Paragraph,
}

/// Builds plain text from a stream of markup events: inline text has its whitespace collapsed,
/// block boundaries become line or paragraph breaks, and no separator is written twice.
#[derive(Debug)]
pub(crate) struct TextSink {
    out: String,
    pending: Gap,
}

impl TextSink {
    pub(crate) fn new() -> Self {
        Self {
            out: String::new(),
            pending: Gap::None,
        }
    }

    pub(crate) fn gap(&mut self, gap: Gap) {
        self.pending = self.pending.max(gap);
    }

    /// Inline text: whitespace runs, newlines included, become one space.
    pub(crate) fn text(&mut self, text: &str) {
        if text.starts_with(char::is_whitespace) {
            self.gap(Gap::Space);
        }
        for (i, word) in text.split_whitespace().enumerate() {
            if i > 0 {
                self.gap(Gap::Space);
            }
            self.raw(word);
        }
        if text.ends_with(char::is_whitespace) {
            self.gap(Gap::Space);
        }
    }

    /// Text kept as written (preformatted blocks, docx runs).
    pub(crate) fn raw(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if !self.out.is_empty() {
            match self.pending {
                Gap::None => {}
                Gap::Space => self.out.push(' '),
                Gap::Line => self.out.push('\n'),
                Gap::Paragraph => self.out.push_str("\n\n"),
            }
        }
        self.pending = Gap::None;
        self.out.push_str(text);
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::{Gap, TextSink, decode, tidy};

    #[test]
    fn decode_handles_boms_and_legacy_bytes() {
        assert_eq!(decode(b"\xEF\xBB\xBFhi").ok().as_deref(), Some("hi"));
        assert_eq!(decode(b"\xFF\xFEh\0i\0").ok().as_deref(), Some("hi"));
        assert_eq!(decode(b"caf\xE9").ok().as_deref(), Some("café"));
        assert!(decode(b"\x00\xFF\x00\xFE").is_err());
    }

    #[test]
    fn tidy_collapses_blank_lines_and_trims() {
        let text = "\r\n  \ntitle  \r\n\r\n\r\n body\x07 line\n\n";
        assert_eq!(tidy(text), "title\n\n body line");
    }

    #[test]
    fn sink_writes_one_separator() {
        let mut sink = TextSink::new();
        sink.gap(Gap::Paragraph);
        sink.text("  Hello\n  world ");
        sink.gap(Gap::Line);
        sink.gap(Gap::Paragraph);
        sink.text("next");
        sink.raw("!");
        assert_eq!(sink.finish(), "Hello world\n\nnext!");
    }
}
