//! Every `error.code` the API answers with, named once (pict-rs'
//! `error_code.rs`). A client may match on these strings: they are the
//! contract, each listed in docs/API.md (a test holds both to it).

// 400
pub const MALFORMED_JSON: &str = "malformed_json";
pub const MALFORMED_MULTIPART: &str = "malformed_multipart";
pub const BAD_REQUEST: &str = "bad_request";
pub const WEBSOCKET_HANDSHAKE: &str = "websocket_handshake";
pub const TOO_MANY_SIGNATURES: &str = "too_many_signatures";
pub const SIGNATURE_HEADER_TOO_LONG: &str = "signature_header_too_long";
pub const INVALID_TOKEN: &str = "invalid_token";
// 401
pub const UNAUTHORIZED: &str = "unauthorized";
pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
pub const INVALID_SIGNATURE: &str = "invalid_signature";
// 403
pub const FORBIDDEN: &str = "forbidden";
pub const INSUFFICIENT_SCOPE: &str = "insufficient_scope";
pub const USER_SESSION_REQUIRED: &str = "user_session_required";
pub const PLAN_LIMIT_REACHED: &str = "plan_limit_reached";
pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
// 404
pub const NOT_FOUND: &str = "not_found";
pub const METRICS_DISABLED: &str = "metrics_disabled";
pub const ADMIN_DISABLED: &str = "admin_disabled";
// 405
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
// 409
pub const ALREADY_EXISTS: &str = "already_exists";
pub const EMAIL_TAKEN: &str = "email_taken";
pub const ALREADY_MEMBER: &str = "already_member";
pub const ALREADY_INVITED: &str = "already_invited";
pub const DUPLICATE_EXTERNAL_AGENT_ID: &str = "duplicate_external_agent_id";
pub const LAST_OWNER: &str = "last_owner";
pub const CANNOT_REMOVE_SELF: &str = "cannot_remove_self";
// 413, 415
pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
// 422
pub const VALIDATION_FAILED: &str = "validation_failed";
pub const INVALID_TEXT: &str = "invalid_text";
pub const CREDENTIAL_HOST_CHANGED: &str = "credential_host_changed";
// 429, 5xx
pub const RATE_LIMITED: &str = "rate_limited";
pub const SERVICE_UNAVAILABLE: &str = "service_unavailable";
pub const INTERNAL_ERROR: &str = "internal_error";

/// The catalogue, for the documentation test and for clients' code generators.
pub const ALL: &[&str] = &[
    MALFORMED_JSON,
    MALFORMED_MULTIPART,
    BAD_REQUEST,
    WEBSOCKET_HANDSHAKE,
    TOO_MANY_SIGNATURES,
    SIGNATURE_HEADER_TOO_LONG,
    UNAUTHORIZED,
    INVALID_CREDENTIALS,
    INVALID_SIGNATURE,
    INVALID_TOKEN,
    FORBIDDEN,
    INSUFFICIENT_SCOPE,
    USER_SESSION_REQUIRED,
    PLAN_LIMIT_REACHED,
    QUOTA_EXCEEDED,
    CANNOT_REMOVE_SELF,
    NOT_FOUND,
    METRICS_DISABLED,
    ADMIN_DISABLED,
    METHOD_NOT_ALLOWED,
    ALREADY_EXISTS,
    EMAIL_TAKEN,
    ALREADY_MEMBER,
    ALREADY_INVITED,
    DUPLICATE_EXTERNAL_AGENT_ID,
    LAST_OWNER,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_FAILED,
    INVALID_TEXT,
    CREDENTIAL_HOST_CHANGED,
    RATE_LIMITED,
    SERVICE_UNAVAILABLE,
    INTERNAL_ERROR,
];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The string literals that open an `ApiError` constructor's code argument.
    fn literal_codes(text: &str) -> Vec<String> {
        let mut codes = Vec::new();
        for opener in [
            "ApiError::bad_request(",
            "ApiError::forbidden(",
            "ApiError::conflict(",
            "ApiError::new(",
        ] {
            for (at, _) in text.match_indices(opener) {
                let args = &text[at + opener.len()..];
                let args = if opener == "ApiError::new(" {
                    args.split_once(',').map_or("", |(_, rest)| rest)
                } else {
                    args
                };
                let args = args.trim_start();
                if let Some(rest) = args.strip_prefix('"')
                    && let Some((code, _)) = rest.split_once('"')
                {
                    codes.push(code.to_owned());
                }
            }
        }
        codes
    }

    #[test]
    fn every_code_is_documented_in_api_md() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API.md");
        let doc = std::fs::read_to_string(root).unwrap();
        let missing: Vec<_> = super::ALL
            .iter()
            .filter(|code| !doc.contains(&format!("`{code}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "codes missing from docs/API.md: {missing:?}"
        );
    }

    #[test]
    fn every_code_written_in_the_source_is_in_the_catalogue() {
        let mut files = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut unknown = Vec::new();
        for file in files {
            if file.ends_with("error/code.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for code in literal_codes(&text) {
                if !super::ALL.contains(&code.as_str()) {
                    unknown.push(format!("{}: {code}", file.display()));
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "codes outside error/code.rs: {unknown:?}"
        );
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in super::ALL {
            assert!(seen.insert(code), "{code} twice");
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
    }
}
