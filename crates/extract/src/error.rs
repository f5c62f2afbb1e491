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
}

impl ExtractError {
    /// A stable code for API answers, the `documents.error_message` column and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsupported { .. } => "unsupported_type",
            Self::Corrupt(_) => "corrupt_file",
            Self::Empty => "empty_document",
            Self::TooLarge { .. } => "file_too_large",
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
    }
}
