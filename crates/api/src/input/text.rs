//! Free text from the wire: trimmed, bounded in characters, and free of NUL
//! and other control characters (Postgres `text` cannot hold NUL, and a
//! control character in a name or a filter is never meant). Multi-line fields
//! keep line feeds and tabs; a CRLF becomes a LF.

/// What one field accepts. `line(200)` is a name; `multiline(5000)` a
/// description; `.blank_ok()` lets an all-space value through (as "").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    max_chars: usize,
    multiline: bool,
    blank_ok: bool,
}

/// Why a text was refused; `reason()` is the sentence a 422 names the field with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Blank,
    TooLong(usize),
    Control,
}

impl TextError {
    pub fn reason(self) -> String {
        match self {
            Self::Blank => "must not be blank".to_owned(),
            Self::TooLong(max) => format!("must be at most {max} characters"),
            Self::Control => "must not contain NUL or other control characters".to_owned(),
        }
    }
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl TextRule {
    /// One line: no control character at all (tabs and line feeds included).
    pub const fn line(max_chars: usize) -> Self {
        Self {
            max_chars,
            multiline: false,
            blank_ok: false,
        }
    }

    /// Several lines: `\n` and `\t` allowed, `\r\n` read as `\n`.
    pub const fn multiline(max_chars: usize) -> Self {
        Self {
            max_chars,
            multiline: true,
            blank_ok: false,
        }
    }

    /// An empty (or all-space) value is accepted, as "".
    pub const fn blank_ok(self) -> Self {
        Self {
            blank_ok: true,
            ..self
        }
    }

    pub const fn max_chars(self) -> usize {
        self.max_chars
    }

    /// The trimmed text, or why it is refused.
    pub fn parse(self, raw: &str) -> Result<String, TextError> {
        let text = raw.trim();
        let text = if self.multiline && text.contains('\r') {
            text.replace("\r\n", "\n")
        } else {
            text.to_owned()
        };
        let allowed = |c: char| self.multiline && matches!(c, '\n' | '\t');
        if text.chars().any(|c| c.is_control() && !allowed(c)) {
            return Err(TextError::Control);
        }
        if text.is_empty() && !self.blank_ok {
            return Err(TextError::Blank);
        }
        if text.chars().count() > self.max_chars {
            return Err(TextError::TooLong(self.max_chars));
        }
        Ok(text)
    }
}

/// Whether `raw` is free of NUL and every other control character (a value
/// looked up as given, such as a login address).
pub fn is_clean(raw: &str) -> bool {
    !raw.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_bounded_and_free_of_controls() {
        let rule = TextRule::line(5);
        assert_eq!(rule.parse("  Ada  "), Ok("Ada".to_owned()));
        assert_eq!(rule.parse("   "), Err(TextError::Blank));
        assert_eq!(rule.parse("abcdef"), Err(TextError::TooLong(5)));
        for bad in ["a\0b", "a\nb", "a\tb", "a\u{7f}b", "a\u{85}b", "a\u{1b}b"] {
            assert_eq!(rule.parse(bad), Err(TextError::Control), "{bad:?}");
        }
        // Characters, not bytes, count against the bound.
        assert_eq!(rule.parse("éééé"), Ok("éééé".to_owned()));
    }

    #[test]
    fn multiline_keeps_line_feeds_and_tabs_only() {
        let rule = TextRule::multiline(100).blank_ok();
        assert_eq!(rule.parse("a\r\n\tb\n"), Ok("a\n\tb".to_owned()));
        assert_eq!(rule.parse(""), Ok(String::new()));
        assert_eq!(rule.parse("a\0b"), Err(TextError::Control));
        assert_eq!(rule.parse("a\rb"), Err(TextError::Control));
        assert_eq!(rule.parse("a\u{8}b"), Err(TextError::Control));
    }
}
