//! JSON: every scalar as a `path: value` line (`customer.name: Ann`); arrays of scalars on one
//! line; the elements of an array of objects separated by a blank line, one record per paragraph.

use serde_json::Value;

use crate::ExtractError;
use crate::budget::Budget;

pub(crate) fn extract(bytes: &[u8], budget: &mut Budget) -> Result<String, ExtractError> {
    let source = super::text::decode(bytes)?;
    let value: Value = serde_json::from_str(&source)
        .map_err(|e| ExtractError::corrupt(format!("invalid JSON: {e}")))?;
    let mut out = String::new();
    flatten(&value, "", &mut out, budget)?;
    Ok(out)
}

// serde_json refuses input nested deeper than 128 levels, which bounds this recursion. Each line
// repeats its whole key path, so lines are charged to the budget before they are written.
fn flatten(
    value: &Value,
    path: &str,
    out: &mut String,
    budget: &mut Budget,
) -> Result<(), ExtractError> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(child, &child_path, out, budget)?;
            }
        }
        Value::Array(items) if items.iter().all(is_scalar) => {
            let values: Vec<String> = items.iter().filter_map(scalar).collect();
            line(path, &values.join(", "), out, budget)?;
        }
        Value::Array(items) => {
            for item in items {
                paragraph_break(out);
                flatten(item, path, out, budget)?;
            }
            paragraph_break(out);
        }
        scalar_value => {
            if let Some(text) = scalar(scalar_value) {
                line(path, &text, out, budget)?;
            }
        }
    }
    Ok(())
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn paragraph_break(out: &mut String) {
    while !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn line(
    path: &str,
    value: &str,
    out: &mut String,
    budget: &mut Budget,
) -> Result<(), ExtractError> {
    if value.trim().is_empty() {
        return Ok(());
    }
    // At most two separator bytes, the path, ": " and the value.
    budget.charge(2 + path.len() + 2 + value.len())?;
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !path.is_empty() {
        out.push_str(path);
        out.push_str(": ");
    }
    out.push_str(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::extract as extract_with;
    use crate::budget::Budget;
    use crate::formats::text::tidy;
    use crate::{ExtractError, Limits};

    fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
        extract_with(bytes, &mut Budget::new(&Limits::default()))
    }

    #[test]
    fn long_key_paths_stop_at_the_budget() {
        let key = "k".repeat(1_000);
        let json = format!(
            "{{\"{key}\": [{}{{}}]}}",
            format!("{{\"{key}\": 1}},").repeat(200)
        );
        let limits = Limits {
            max_output_bytes: 100_000,
            ..Limits::default()
        };
        assert_eq!(
            extract_with(json.as_bytes(), &mut Budget::new(&limits)).map(|_| ()),
            Err(ExtractError::OutputTooLarge {
                limit_bytes: 100_000
            })
        );
    }

    #[test]
    fn nested_objects_and_arrays() {
        // Keys in sorted order: the output follows the input's order or a sorted one, depending
        // on serde_json's `preserve_order` feature somewhere in the build.
        let json = r#"{"company": {"fax": null, "founded": 1999, "name": "Acme", "open": true},
            "plans": [{"name": "Free", "price": 0}, {"name": "Pro", "price": 10.5}],
            "tags": ["b2b", "saas"]}"#;
        let text = extract(json.as_bytes()).map(|t| tidy(&t));
        assert_eq!(
            text.as_deref(),
            Ok(
                "company.founded: 1999\ncompany.name: Acme\ncompany.open: true\n\nplans.name: Free\nplans.price: 0\n\nplans.name: Pro\nplans.price: 10.5\n\ntags: b2b, saas"
            )
        );
    }

    #[test]
    fn top_level_string_and_invalid_json() {
        assert_eq!(extract(br#""just text""#).as_deref(), Ok("just text"));
        assert_eq!(
            extract(b"{\"a\": ").map_err(|e| e.code()),
            Err("corrupt_file")
        );
    }
}
