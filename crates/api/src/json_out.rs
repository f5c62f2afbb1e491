//! `JsonOut`: JSON assembled field by field for hot list pages. Scalars go
//! through serde_json (so they print exactly as a derived `Serialize`
//! would); JSON text that is already valid (jsonb read as `RawJson`) is
//! copied verbatim instead of being parsed into a tree and printed again.
//! Timestamps and ids, a third of a call-log row, take a direct path (see
//! `field`).

use std::any::Any;
use std::io::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

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

    /// `"name":value`, printed as serde_json prints it. Timestamps and ids
    /// are written directly: chrono's `Serialize` goes through
    /// `collect_str`, which hands serde_json's string escaper one character
    /// at a time (profiled: 9 % of a call-log page's CPU), and neither can
    /// contain a character that needs escaping.
    pub fn field<T: Serialize + Any>(&mut self, name: &str, value: &T) {
        self.key(name);
        let any: &dyn Any = value;
        if let Some(at) = any.downcast_ref::<DateTime<Utc>>() {
            return self.timestamp(at);
        }
        if let Some(at) = any.downcast_ref::<Option<DateTime<Utc>>>() {
            return match at {
                Some(at) => self.timestamp(at),
                None => self.buf.extend_from_slice(b"null"),
            };
        }
        if let Some(id) = any.downcast_ref::<Uuid>() {
            return self.uuid(id);
        }
        if let Some(id) = any.downcast_ref::<Option<Uuid>>() {
            return match id {
                Some(id) => self.uuid(id),
                None => self.buf.extend_from_slice(b"null"),
            };
        }
        // Into a Vec this cannot fail: every field type here has string
        // keys only, and writing to memory has no I/O error.
        let _ = serde_json::to_writer(&mut self.buf, value);
    }

    /// What chrono's `Serialize` prints (RFC 3339, `Z`, 0/3/6/9 fraction
    /// digits): its `Debug` of the naive UTC time, then the offset.
    fn timestamp(&mut self, at: &DateTime<Utc>) {
        let _ = write!(self.buf, "\"{:?}Z\"", at.naive_utc());
    }

    fn uuid(&mut self, id: &Uuid) {
        self.buf.push(b'"');
        self.buf.extend_from_slice(
            id.hyphenated()
                .encode_lower(&mut Uuid::encode_buffer())
                .as_bytes(),
        );
        self.buf.push(b'"');
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
            out.field("s", &"quote \" here");
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

    /// The direct paths print exactly what serde_json prints.
    #[test]
    fn timestamps_and_ids_print_as_serde_json_prints_them() {
        use chrono::TimeZone;
        let base = Utc.with_ymd_and_hms(2026, 12, 1, 14, 2, 28).unwrap();
        let mut times: Vec<DateTime<Utc>> = [
            0,
            1,
            999,
            1_000,
            120_000,
            992_981_000,
            5_000_000,
            999_999_999,
        ]
        .iter()
        .map(|nanos| base + chrono::Duration::nanoseconds(*nanos))
        .collect();
        times.push(Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap());
        times.push(Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap());
        times.push(Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap());
        times.push(Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap());
        // A leap second (chrono keeps it in the nanoseconds).
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .unwrap();
        times.push(leap.and_utc());
        for at in times {
            let mut out = JsonOut::with_capacity(64);
            out.begin_object();
            out.field("a", &at);
            out.field("b", &Some(at));
            out.end_object();
            let expected = serde_json::json!({"a": at, "b": Some(at)}).to_string();
            assert_eq!(String::from_utf8(out.into_bytes()).unwrap(), expected);
        }
        let id = Uuid::new_v4();
        let mut out = JsonOut::with_capacity(64);
        out.begin_object();
        // serde_json's map sorts keys: written in that order here.
        out.field("id", &id);
        out.field("never", &None::<DateTime<Utc>>);
        out.field("none", &None::<Uuid>);
        out.field("some", &Some(id));
        out.end_object();
        let expected = serde_json::json!({"id": id, "some": Some(id), "none": null, "never": null});
        assert_eq!(
            String::from_utf8(out.into_bytes()).unwrap(),
            expected.to_string()
        );
    }
}
