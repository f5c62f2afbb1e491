//! Field-error collection: a parser notes every invalid field and the
//! handler answers one 422 naming them all
//! (`{"code": "validation_failed", "details": {"fields": {"name": "..."}}}`).

use std::fmt::Display;

use serde_json::{Map, Value};

use super::json::{self, JsonShape};
use super::text::TextRule;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Default)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    /// Notes why `field` is invalid (the first reason noted for a field stays).
    pub fn fail(&mut self, field: &str, reason: impl Display) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| Value::String(reason.to_string()));
    }

    /// Whether `field` was noted.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parsed value, or `None` after noting why `field` is invalid.
    pub fn check<T, R: Display>(&mut self, field: &str, result: Result<T, R>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                self.fail(field, reason);
                None
            }
        }
    }

    /// Notes `field` as missing unless `present`.
    pub fn require(&mut self, field: &str, present: bool) {
        if !present {
            self.fail(field, "is required");
        }
    }

    /// An optional text field: absent stays absent; present is checked.
    pub fn text(&mut self, field: &str, value: Option<String>, rule: TextRule) -> Option<String> {
        let value = value?;
        self.check(field, rule.parse(&value))
    }

    /// A required text field: absent is noted as "is required".
    pub fn required_text(
        &mut self,
        field: &str,
        value: Option<String>,
        rule: TextRule,
    ) -> Option<String> {
        self.require(field, value.is_some());
        self.text(field, value, rule)
    }

    /// A PATCH text field with a NULL: absent stays absent, `null` clears,
    /// text is checked.
    pub fn patch_text(
        &mut self,
        field: &str,
        value: Option<Option<String>>,
        rule: TextRule,
    ) -> Option<Option<String>> {
        match value {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) => self.check(field, rule.parse(&text)).map(Some),
        }
    }

    /// A PATCH field without a NULL: `null` is an error, not "absent".
    pub fn not_null<T>(&mut self, field: &str, value: Option<Option<T>>) -> Option<T> {
        match value {
            Some(None) => {
                self.fail(field, "must not be null");
                None
            }
            other => other.flatten(),
        }
    }

    /// A JSON field of `shape` (NUL refused anywhere inside); absent or
    /// `null` stays `None`.
    pub fn json(&mut self, field: &str, value: Option<Value>, shape: JsonShape) -> Option<Value> {
        match value {
            None | Some(Value::Null) => None,
            Some(value) => self.check(field, json::check(value, shape)),
        }
    }

    /// Several short texts (tags and the like), each checked by `rule`,
    /// duplicates dropped, order kept, at most `max_items`.
    pub fn text_list(
        &mut self,
        field: &str,
        values: Vec<String>,
        rule: TextRule,
        max_items: usize,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(values.len().min(max_items));
        for value in values {
            match rule.parse(&value) {
                Ok(item) if !out.contains(&item) => out.push(item),
                Ok(_) => {}
                Err(e) => {
                    self.fail(field, format!("each item {e}"));
                    return out;
                }
            }
        }
        if out.len() > max_items {
            self.fail(field, format!("at most {max_items} items"));
        }
        out
    }

    /// 422 naming the fields noted so far, if any.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// `value` when no field was noted, else the 422.
    pub fn done<T>(self, value: T) -> ApiResult<T> {
        self.finish().map(|()| value)
    }

    /// The 422 naming every field noted so far.
    pub fn into_error(self) -> ApiError {
        ApiError::validation(Value::Object(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_names_every_field_with_its_first_reason() {
        let mut f = FieldErrors::default();
        let rule = TextRule::line(10);
        assert_eq!(f.required_text("name", None, rule), None);
        assert_eq!(f.text("nick", Some("a\0".into()), rule), None);
        assert_eq!(
            f.patch_text("bio", Some(None), rule),
            Some(None),
            "null clears"
        );
        assert_eq!(f.not_null::<String>("lang", Some(None)), None);
        let tags = f.text_list("tags", vec!["a".into(), " a ".into(), "b".into()], rule, 5);
        assert_eq!(tags, ["a", "b"]);
        let err = f.into_error();
        assert_eq!(err.code(), "validation_failed");
        let body = format!("{:?}", err);
        for field in ["name", "nick", "lang"] {
            assert!(body.contains(field), "{field} in {body}");
        }
        assert!(!body.contains("bio") && !body.contains("tags"), "{body}");
    }
}
