//! Domain types for credentials parsed at the edge: a handler turns wire
//! strings into these, and code past the edge never sees an unchecked one.

use secrecy::SecretString;

use crate::input::{TextError, TextRule};

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
const EMAIL_MAX_LEN: usize = 254;
const NAME_MAX_CHARS: usize = 200;

/// A syntactically valid e-mail address, trimmed and lower-cased (addresses
/// are unique case-insensitively, so one spelling is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required");
        }
        if email.len() > EMAIL_MAX_LEN {
            return Err("must be at most 254 characters");
        }
        let (local, domain) = email.split_once('@').ok_or("must be an e-mail address")?;
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '@' | '<' | '>' | '"' | ',' | ';')
            });
        if !local_ok || !domain.contains('.') || !labels_ok {
            return Err("must be an e-mail address");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new password of acceptable length; never printed.
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, &'static str> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err("must be at least 8 characters");
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err("must be at most 128 characters");
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

/// A person's or organization's display name: one line, trimmed, 1 to 200
/// characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Self::parse_within(raw, NAME_MAX_CHARS)
    }

    /// A display name of at most `max_chars` (API key names are shorter).
    pub fn parse_within(raw: &str, max_chars: usize) -> Result<Self, TextError> {
        TextRule::line(max_chars).parse(raw).map(Self)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@-x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_names_have_bounds() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("x".repeat(129)).is_err());
        let ok = NewPassword::parse("long enough".into()).unwrap();
        assert_eq!(format!("{ok:?}"), "NewPassword([REDACTED])");
        assert!(DisplayName::parse("   ").is_err());
        assert_eq!(DisplayName::parse(" Ada ").unwrap().into_string(), "Ada");
        assert!(DisplayName::parse("A\u{0}da").is_err());
    }
}
