//! `JsonOut`: JSON assembled field by field for hot list pages. Scalars go
//! through serde_json (so they print exactly as a derived `Serialize`
//! would); JSON text that is already valid (jsonb read as `RawJson`) is
//! copied verbatim instead of being parsed into a tree and printed again.
//! Timestamps and ids, a third of a call-log row, take a direct path (see
//! `field`).

use std::any::Any;
use std::io::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};
use compact_str::CompactString;
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
            return self.or_null(at.as_ref(), Self::timestamp);
        }
        if let Some(id) = any.downcast_ref::<Uuid>() {
            return self.uuid(id);
        }
        if let Some(id) = any.downcast_ref::<Option<Uuid>>() {
            return self.or_null(id.as_ref(), Self::uuid);
        }
        if let Some(text) = any.downcast_ref::<CompactString>() {
            return self.string(text);
        }
        if let Some(text) = any.downcast_ref::<Option<CompactString>>() {
            return self.or_null(text.as_deref(), Self::string);
        }
        if let Some(text) = any.downcast_ref::<Option<String>>() {
            return self.or_null(text.as_deref(), Self::string);
        }
        // Into a Vec this cannot fail: every field type here has string
        // keys only, and writing to memory has no I/O error.
        let _ = serde_json::to_writer(&mut self.buf, value);
    }

    /// `value` written by `write`, or `null`.
    fn or_null<V: ?Sized>(&mut self, value: Option<&V>, write: fn(&mut Self, &V)) {
        match value {
            Some(value) => write(self, value),
            None => self.buf.extend_from_slice(b"null"),
        }
    }

    /// A JSON string. Most text needs no escape, and finding that out a
    /// chunk at a time (see `needs_escape`) then copying it whole is several
    /// times cheaper than serde_json's byte-by-byte escaper, which was a
    /// tenth of a call-log page's instructions. Text that needs an escape
    /// still goes through serde_json.
    fn string(&mut self, text: &str) {
        if needs_escape(text.as_bytes()) {
            let _ = serde_json::to_writer(&mut self.buf, text);
            return;
        }
        self.buf.reserve(text.len() + 2);
        self.buf.push(b'"');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.push(b'"');
    }

    /// What chrono's `Serialize` prints (RFC 3339, `Z`, 0/3/6/9 fraction
    /// digits), with the digits placed directly: going through
    /// `core::fmt` for chrono's `Debug` was 8 % of a call-log page's CPU
    /// (three timestamps a row). Years outside 0..=9999 and leap seconds,
    /// which chrono prints specially, still take its `Debug`.
    fn timestamp(&mut self, at: &DateTime<Utc>) {
        let naive = at.naive_utc();
        let nanos = naive.nanosecond();
        if !(0..=9999).contains(&naive.year()) || nanos >= 1_000_000_000 {
            let _ = write!(self.buf, "\"{naive:?}Z\"");
            return;
        }
        let mut text = *b"\"0000-00-00T00:00:00";
        put_digits(&mut text[1..5], naive.year() as u32);
        put_digits(&mut text[6..8], naive.month());
        put_digits(&mut text[9..11], naive.day());
        put_digits(&mut text[12..14], naive.hour());
        put_digits(&mut text[15..17], naive.minute());
        put_digits(&mut text[18..20], naive.second());
        self.buf.extend_from_slice(&text);
        let (fraction, digits) = match nanos {
            0 => (0, 0),
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        if digits > 0 {
            let mut text = [b'.'; 10];
            put_digits(&mut text[1..=digits], fraction);
            self.buf.extend_from_slice(&text[..=digits]);
        }
        self.buf.extend_from_slice(b"Z\"");
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

/// Whether JSON must escape any of `bytes`: a control character, `"` or
/// `\` (what serde_json escapes). No early exit inside a 16-byte chunk,
/// so the compiler checks each chunk with vector instructions.
fn needs_escape(bytes: &[u8]) -> bool {
    let escaped = |b: u8| u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(0, |any, &b| any | escaped(b)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| escaped(b) != 0)
}

/// `value`'s last decimal digits, zero-padded to fill `out`.
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
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

    /// Text prints as serde_json prints it, escapes and all.
    #[test]
    fn strings_print_as_serde_json_prints_them() {
        let samples = [
            "",
            "completed",
            "a quote \" and a backslash \\ in a sentence longer than sixteen bytes",
            "tab\tnew line\ncarriage\r and \u{1} \u{1f} \u{7f}",
            "accents é, 日本語, and an emoji 🎧 beyond the first chunk of sixteen",
            "sixteen bytes ok",
            "sixteen bytes \"x",
            "exactly sixteen!\\",
        ];
        for text in samples {
            let owned = String::from(text);
            let compact = CompactString::from(text);
            let mut out = JsonOut::with_capacity(64);
            out.begin_object();
            out.field("a", &Some(owned.clone()));
            out.field("b", &compact);
            out.field("c", &Some(compact.clone()));
            out.field("d", &None::<CompactString>);
            out.end_object();
            let expected = format!(
                r#"{{"a":{a},"b":{a},"c":{a},"d":null}}"#,
                a = serde_json::to_string(text).unwrap()
            );
            assert_eq!(String::from_utf8(out.into_bytes()).unwrap(), expected);
        }
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
        // And a spread of instants over years 0 to 9999 at every precision.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..2000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let secs = (seed >> 11) as i64 % 315_537_897_600 - 62_167_219_200;
            let nanos = [0, 1_000_000, 1_000, 1][i % 4] * ((seed >> 3) as u32 % 999 + 1);
            times.push(DateTime::from_timestamp(secs, nanos % 1_000_000_000).unwrap());
        }
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
