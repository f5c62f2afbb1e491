//! "Absent" versus "null" in a partial update: with
//! `#[serde(default, deserialize_with = "crate::input::patch::nullable")]`
//! an absent field is `None` and an explicit `null` is `Some(None)`, so a
//! PATCH can clear a nullable column without touching the others.

use serde::{Deserialize, Deserializer};

pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    de: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "super::nullable")]
        a: Option<Option<String>>,
        #[serde(default, deserialize_with = "super::nullable")]
        b: Option<Option<String>>,
        #[serde(default, deserialize_with = "super::nullable")]
        c: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        let p: Patch = serde_json::from_str(r#"{"a": null, "b": "x"}"#).unwrap();
        assert_eq!(p.a, Some(None));
        assert_eq!(p.b, Some(Some("x".into())));
        assert_eq!(p.c, None);
    }
}
