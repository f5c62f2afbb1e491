//! The one error type of text extraction, with a stable machine-readable code per kind.

/// Why a document yielded no text. Every kind is permanent: retrying the same bytes gives the same
/// answer, so the worker should fail the document at once instead of retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Neither the content type nor the file name names a format we read.
    #[error("unsupported document type (content type {content_type:?}, file name {file_name:?})")]
    Unsupported {
        content_type: String,
        file_name: String,
    },
    /// The bytes are not a readable file of the detected format.
    #[error("the file is corrupt or unreadable: {0}")]
    Corrupt(String),
    /// The file was read but holds no text (an empty file, a scanned PDF without a text layer).
    #[error("the document contains no text")]
    Empty,
    /// The file, or what it unpacks to, is larger than the configured limit.
    #[error("the document is larger than the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    /// What the file's compressed parts inflate to (docx zip entries, PDF streams) passes the
    /// decompression cap: a zip or deflate bomb.
    #[error("the document unpacks to more than the limit of {limit_bytes} bytes")]
    Unpacked { limit_bytes: u64 },
    /// The extracted text passes the output budget (a CSV repeating a huge header on every row,
    /// JSON repeating long key paths).
    #[error("the document's text is larger than the limit of {limit_bytes} bytes")]
    OutputTooLarge { limit_bytes: u64 },
    /// The document has more pages than the page limit.
    #[error("the document has more than {limit} pages")]
    TooManyPages { limit: u32 },
    /// Reading the document took longer than the time limit.
    #[error("reading the document took longer than {limit_secs} s")]
    TimedOut { limit_secs: u64 },
}

impl ExtractError {
    /// A stable code for API answers, the `documents.error_message` column and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsupported { .. } => "unsupported_type",
            Self::Corrupt(_) => "corrupt_file",
            Self::Empty => "empty_document",
            Self::TooLarge { .. } => "file_too_large",
            Self::Unpacked { .. } => "decompression_limit",
            Self::OutputTooLarge { .. } => "output_too_large",
            Self::TooManyPages { .. } => "too_many_pages",
            Self::TimedOut { .. } => "extraction_timeout",
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::ExtractError;

    #[test]
    fn codes_are_stable() {
        let unsupported = ExtractError::Unsupported {
            content_type: "image/png".into(),
            file_name: "a.png".into(),
        };
        assert_eq!(unsupported.code(), "unsupported_type");
        assert_eq!(ExtractError::Corrupt("x".into()).code(), "corrupt_file");
        assert_eq!(ExtractError::Empty.code(), "empty_document");
        assert_eq!(
            ExtractError::TooLarge { limit_bytes: 1 }.code(),
            "file_too_large"
        );
        let budgets = [
            (
                ExtractError::Unpacked { limit_bytes: 1 },
                "decompression_limit",
            ),
            (
                ExtractError::OutputTooLarge { limit_bytes: 1 },
                "output_too_large",
            ),
            (ExtractError::TooManyPages { limit: 1 }, "too_many_pages"),
            (
                ExtractError::TimedOut { limit_secs: 1 },
                "extraction_timeout",
            ),
        ];
        for (error, code) in budgets {
            assert_eq!(error.code(), code);
        }
    }
}
