//! Rows in Postgres' COPY text format, streamed to `COPY ... FROM STDIN`:
//! the fastest way to load millions of rows without bind-parameter limits.

use anyhow::Context;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::SinkExt;
use tokio_postgres::{Client, CopyInSink};
use uuid::Uuid;

/// About this many bytes are buffered before a chunk goes to the server.
const CHUNK_BYTES: usize = 1 << 20;

/// A COPY text-format buffer: fields separated by tabs, rows by newlines,
/// `\N` for NULL, and backslash escapes for tab, newline and backslash.
#[derive(Default)]
pub struct CopyBuf {
    buf: Vec<u8>,
    row_started: bool,
}

impl CopyBuf {
    fn sep(&mut self) {
        if self.row_started {
            self.buf.push(b'\t');
        }
        self.row_started = true;
    }

    pub fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        for &b in value.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self
    }

    pub fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    /// Values whose text form needs no escaping (numbers, UUIDs, booleans).
    pub fn raw(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::io::Write;
        self.sep();
        let _ = write!(self.buf, "{value}");
        self
    }

    pub fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.raw(id.hyphenated())
    }

    pub fn opt_uuid(&mut self, id: Option<Uuid>) -> &mut Self {
        match id {
            Some(id) => self.uuid(id),
            None => self.null(),
        }
    }

    pub fn time(&mut self, t: DateTime<Utc>) -> &mut Self {
        self.raw(t.format("%Y-%m-%d %H:%M:%S%.6f+00"))
    }

    pub fn json(&mut self, value: &impl serde::Serialize) -> &mut Self {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        self.text(&text)
    }

    /// A `text[]` of plain words (no quoting needed).
    pub fn words(&mut self, words: &[&str]) -> &mut Self {
        self.text(&format!("{{{}}}", words.join(",")))
    }

    pub fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.row_started = false;
    }

    pub fn is_full(&self) -> bool {
        self.buf.len() >= CHUNK_BYTES
    }

    pub fn take(&mut self) -> Bytes {
        Bytes::from(std::mem::take(&mut self.buf))
    }
}

/// One running `COPY table (columns) FROM STDIN`.
pub struct CopyIn {
    sink: std::pin::Pin<Box<CopyInSink<Bytes>>>,
    pub rows: CopyBuf,
}

impl CopyIn {
    pub async fn start(client: &Client, table: &str, columns: &str) -> anyhow::Result<Self> {
        let sink = client
            .copy_in(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await
            .with_context(|| format!("starting COPY into {table}"))?;
        Ok(Self {
            sink: Box::pin(sink),
            rows: CopyBuf::default(),
        })
    }

    /// Sends the buffer when it is big enough; call after each row.
    pub async fn flush_if_full(&mut self) -> anyhow::Result<()> {
        if self.rows.is_full() {
            let chunk = self.rows.take();
            self.sink.send(chunk).await.context("streaming COPY data")?;
        }
        Ok(())
    }

    /// Sends the rest and commits the COPY; returns the rows written.
    pub async fn finish(mut self) -> anyhow::Result<u64> {
        let chunk = self.rows.take();
        if !chunk.is_empty() {
            self.sink.send(chunk).await.context("streaming COPY data")?;
        }
        self.sink.as_mut().finish().await.context("finishing COPY")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nulls() {
        let mut b = CopyBuf::default();
        b.text("a\tb\\c\nd").null().raw(42).words(&["x", "y"]);
        b.end_row();
        assert_eq!(
            String::from_utf8(b.take().to_vec()).unwrap(),
            "a\\tb\\\\c\\nd\t\\N\t42\t{x,y}\n"
        );
    }
}
