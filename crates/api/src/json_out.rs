//! `JsonOut`: JSON assembled field by field for hot list pages. Scalars go
//! through serde_json (so they print exactly as a derived `Serialize`
//! would); JSON text that is already valid (jsonb read as `RawJson`) is
//! copied verbatim instead of being parsed into a tree and printed again.

use serde::Serialize;

pub struct JsonOut {
    buf: Vec<u8>,
    /// Whether the next member of the current object or array needs a comma.
    comma: bool,
}

impl JsonOut {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            comma: false,
        }
    }

    fn separate(&mut self) {
        if self.comma {
            self.buf.push(b',');
        }
        self.comma = true;
    }

    fn key(&mut self, name: &str) {
        self.separate();
        // Field names are our own camelCase identifiers: nothing to escape.
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// `{`, as a value of the current array or at the top.
    pub fn begin_object(&mut self) {
        self.separate();
        self.buf.push(b'{');
        self.comma = false;
    }

    pub fn end_object(&mut self) {
        self.buf.push(b'}');
        self.comma = true;
    }

    /// `"name":[`.
    pub fn begin_array(&mut self, name: &str) {
        self.key(name);
        self.buf.push(b'[');
        self.comma = false;
    }

    pub fn end_array(&mut self) {
        self.buf.push(b']');
        self.comma = true;
    }

    /// `"name":value`, printed by serde_json.
    pub fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        self.key(name);
        // Into a Vec this cannot fail: every field type here has string
        // keys only, and writing to memory has no I/O error.
        let _ = serde_json::to_writer(&mut self.buf, value);
    }

    /// `"name":json`, where `json` is valid JSON text (or `null` if absent).
    pub fn raw_field(&mut self, name: &str, json: Option<&str>) {
        self.key(name);
        self.buf
            .extend_from_slice(json.unwrap_or("null").as_bytes());
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_objects_in_arrays_with_commas() {
        let mut out = JsonOut::with_capacity(64);
        out.begin_object();
        out.begin_array("data");
        for i in 0..2 {
            out.begin_object();
            out.field("n", &i);
            out.raw_field("raw", Some(r#"{"b":1,"a":[true]}"#));
            out.field("s", "quote \" here");
            out.end_object();
        }
        out.end_array();
        out.raw_field("none", None);
        out.field("total", &2);
        out.end_object();
        let text = String::from_utf8(out.into_bytes()).unwrap();
        assert_eq!(
            text,
            r#"{"data":[{"n":0,"raw":{"b":1,"a":[true]},"s":"quote \" here"},{"n":1,"raw":{"b":1,"a":[true]},"s":"quote \" here"}],"none":null,"total":2}"#
        );
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
    }
}
