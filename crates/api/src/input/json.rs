//! JSON values stored as `jsonb` (settings, config, metadata): Postgres
//! refuses `\u0000` in jsonb text, so a NUL anywhere, key or string, is a
//! field error here instead of a 500 there.

use serde_json::Value;

/// The shape a JSON field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    Object,
    Array,
}

/// Whether any key or string in `value` holds a NUL.
pub fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// `value` checked against `shape`, or why it is refused.
pub fn check(value: Value, shape: JsonShape) -> Result<Value, &'static str> {
    match (&value, shape) {
        (Value::Object(_), JsonShape::Object) | (Value::Array(_), JsonShape::Array) => {}
        (_, JsonShape::Object) => return Err("must be a JSON object"),
        (_, JsonShape::Array) => return Err("must be a JSON array"),
    }
    if has_nul(&value) {
        return Err("must not contain NUL characters");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_found_at_any_depth_and_in_keys() {
        assert!(!has_nul(
            &json!({"a": ["b", {"c": 1}], "d": "\\u0000 as text"})
        ));
        assert!(has_nul(&json!({"a": [{"c": "x\u{0}"}]})));
        assert!(has_nul(&json!({"k\u{0}": 1})));
        assert_eq!(
            check(json!([]), JsonShape::Object),
            Err("must be a JSON object")
        );
        assert_eq!(
            check(json!({}), JsonShape::Array),
            Err("must be a JSON array")
        );
        assert!(check(json!({"a": 1}), JsonShape::Object).is_ok());
    }
}
