//! The document formats we read, and how an upload's format is told from its content type and name.
//!
//! The content type decides when it names one of our formats; otherwise the file extension does.
//! Browsers and HTTP clients often send a generic type (`application/octet-stream`, an empty
//! string) or `text/plain` for any text file, so `text/plain` is refined by a text extension
//! (`notes.md` is markdown) but never turns into a binary format (`fake.pdf` stays text).
//! Windows labels CSV files `application/vnd.ms-excel`, which counts as CSV only with a `.csv` name.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Txt,
    Markdown,
    Html,
    Pdf,
    Docx,
    Csv,
    Json,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Txt,
        Format::Markdown,
        Format::Html,
        Format::Pdf,
        Format::Docx,
        Format::Csv,
        Format::Json,
    ];

    /// Short lowercase name, stable for logs, metrics and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// The content type to store or send for this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Txt => "text/plain",
            Format::Markdown => "text/markdown",
            Format::Html => "text/html",
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Csv => "text/csv",
            Format::Json => "application/json",
        }
    }

    /// Whether the format is plain text underneath (so `text/plain` may stand for it).
    fn is_text(self) -> bool {
        !matches!(self, Format::Pdf | Format::Docx)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The format of an upload, or `None` when we cannot read it (the API answers 415).
pub fn detect_format(content_type: &str, file_name: &str) -> Option<Format> {
    let mime = essence(content_type);
    let by_name = from_extension(file_name);
    match mime.as_str() {
        ""
        | "application/octet-stream"
        | "binary/octet-stream"
        | "application/x-download"
        | "application/force-download"
        | "application/unknown" => by_name,
        "text/plain" => Some(by_name.filter(|f| f.is_text()).unwrap_or(Format::Txt)),
        "application/vnd.ms-excel" => by_name.filter(|f| *f == Format::Csv),
        _ => from_mime(&mime).or(by_name),
    }
}

/// `Text/HTML; charset=utf-8` -> `text/html`.
fn essence(content_type: &str) -> String {
    let base = content_type.split(';').next().unwrap_or_default();
    base.trim().to_ascii_lowercase()
}

fn from_mime(mime: &str) -> Option<Format> {
    let format = match mime {
        "text/markdown" | "text/x-markdown" => Format::Markdown,
        "text/html" | "application/xhtml+xml" => Format::Html,
        "application/pdf" | "application/x-pdf" => Format::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Format::Docx,
        "text/csv" | "application/csv" | "text/comma-separated-values" => Format::Csv,
        "application/json" | "text/json" => Format::Json,
        m if m.ends_with("+json") => Format::Json,
        _ => return None,
    };
    Some(format)
}

fn from_extension(file_name: &str) -> Option<Format> {
    let (_, extension) = file_name.rsplit_once('.')?;
    let format = match extension.to_ascii_lowercase().as_str() {
        "txt" | "text" => Format::Txt,
        "md" | "markdown" => Format::Markdown,
        "html" | "htm" | "xhtml" => Format::Html,
        "pdf" => Format::Pdf,
        "docx" => Format::Docx,
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => return None,
    };
    Some(format)
}

#[cfg(test)]
mod tests {
    use super::{Format, detect_format};

    #[test]
    fn content_type_decides_when_specific() {
        assert_eq!(
            detect_format("application/pdf", "notes.txt"),
            Some(Format::Pdf)
        );
        assert_eq!(
            detect_format("Text/HTML; charset=UTF-8", "x"),
            Some(Format::Html)
        );
        assert_eq!(
            detect_format("application/ld+json", "x"),
            Some(Format::Json)
        );
        assert_eq!(
            detect_format(Format::Docx.content_type(), "report"),
            Some(Format::Docx)
        );
    }

    #[test]
    fn extension_decides_for_generic_types() {
        assert_eq!(
            detect_format("application/octet-stream", "a.DOCX"),
            Some(Format::Docx)
        );
        assert_eq!(detect_format("", "readme.md"), Some(Format::Markdown));
        assert_eq!(detect_format("text/plain", "data.csv"), Some(Format::Csv));
        assert_eq!(detect_format("text/plain", "fake.pdf"), Some(Format::Txt));
        assert_eq!(
            detect_format("text/plain", "no_extension"),
            Some(Format::Txt)
        );
        assert_eq!(
            detect_format("application/vnd.ms-excel", "a.csv"),
            Some(Format::Csv)
        );
        assert_eq!(detect_format("image/jpeg", "scan.pdf"), Some(Format::Pdf));
    }

    #[test]
    fn unsupported_is_none() {
        assert_eq!(detect_format("image/png", "photo.png"), None);
        assert_eq!(detect_format("application/msword", "old.doc"), None);
        assert_eq!(detect_format("application/vnd.ms-excel", "sheet.xls"), None);
        assert_eq!(detect_format("", "archive.tar.gz"), None);
        assert_eq!(detect_format("", "no_extension"), None);
    }

    #[test]
    fn names_round_trip() {
        for format in Format::ALL {
            assert_eq!(detect_format(format.content_type(), ""), Some(format));
            let name = format!("file.{}", format.as_str());
            assert_eq!(detect_format("", &name), Some(format));
        }
    }
}
