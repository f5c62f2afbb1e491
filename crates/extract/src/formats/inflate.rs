//! The decompression cap of PDF: how many bytes the deflated streams of a file inflate to, all
//! streams together, measured without keeping the output.
//!
//! lopdf inflates object and cross-reference streams while it loads a file, and pdf-extract
//! inflates content streams and fonts page by page, all without a cap. So the raw bytes are
//! scanned first: every `stream` keyword is followed by an attempt to inflate what comes after it
//! (zlib, then raw deflate from the third byte, the fallback lopdf uses), counting the output in a
//! fixed buffer. The attempt reads on until the deflate data ends, not to the next `endstream`,
//! which deflated bytes may contain. Inflation work is bounded by the cap itself: counting stops
//! once the total passes it.

use flate2::{Decompress, FlushDecompress, Status};

use crate::ExtractError;

const KEYWORD: &[u8] = b"stream";

/// Fails with [`ExtractError::Unpacked`] when the deflated streams in `bytes` inflate to more
/// than `limit` bytes together.
pub(crate) fn check_streams(bytes: &[u8], limit: u64) -> Result<(), ExtractError> {
    let mut total = 0u64;
    let mut from = 0;
    while let Some(found) = find(&bytes[from..], KEYWORD) {
        let keyword_at = from + found;
        from = keyword_at + KEYWORD.len();
        if bytes[..keyword_at].ends_with(b"end") {
            continue;
        }
        let data = skip_eol(&bytes[from..]);
        total = total.saturating_add(inflated_len(data, limit - total.min(limit)));
        if total > limit {
            return Err(ExtractError::Unpacked { limit_bytes: limit });
        }
    }
    Ok(())
}

/// Fails when one already-isolated stream (a decrypted one) inflates to more than `limit` bytes.
pub(crate) fn check_stream(data: &[u8], limit: u64) -> Result<u64, ExtractError> {
    let len = inflated_len(data, limit);
    if len > limit {
        return Err(ExtractError::Unpacked { limit_bytes: limit });
    }
    Ok(len)
}

/// The PDF keyword is followed by CRLF or LF (some writers send a lone CR).
fn skip_eol(data: &[u8]) -> &[u8] {
    let data = data.strip_prefix(b"\r").unwrap_or(data);
    data.strip_prefix(b"\n").unwrap_or(data)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// What `data` inflates to, counted up to just past `limit`; 0 when it is not deflate data.
fn inflated_len(data: &[u8], limit: u64) -> u64 {
    let zlib = count(data, true, limit);
    if zlib > 0 || data.len() <= 2 {
        return zlib;
    }
    count(&data[2..], false, limit)
}

fn count(data: &[u8], zlib_header: bool, limit: u64) -> u64 {
    let mut inflater = Decompress::new(zlib_header);
    let mut sink = vec![0u8; 64 * 1024];
    loop {
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(data.len());
        let (read_before, written_before) = (inflater.total_in(), inflater.total_out());
        let input = data.get(consumed..).unwrap_or_default();
        match inflater.decompress(input, &mut sink, FlushDecompress::None) {
            Ok(Status::StreamEnd) | Err(_) => break,
            Ok(Status::Ok | Status::BufError) => {}
        }
        let stalled = inflater.total_in() == read_before && inflater.total_out() == written_before;
        if stalled || inflater.total_out() > limit {
            break;
        }
    }
    inflater.total_out()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::check_streams;
    use crate::ExtractError;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn pdf_with_streams(streams: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n".to_vec();
        for data in streams {
            out.extend_from_slice(b"1 0 obj\n<< /Filter /FlateDecode >>\nstream\r\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        }
        out
    }

    #[test]
    fn streams_count_together_against_the_cap() {
        let stream = zlib(&vec![b' '; 40_000]);
        let pdf = pdf_with_streams(&[stream.clone(), stream.clone()]);
        assert_eq!(check_streams(&pdf, 80_000), Ok(()));
        let pdf = pdf_with_streams(&[stream.clone(), stream.clone(), stream]);
        assert_eq!(
            check_streams(&pdf, 80_000),
            Err(ExtractError::Unpacked {
                limit_bytes: 80_000
            })
        );
    }

    #[test]
    fn raw_deflate_and_an_endstream_inside_the_data_are_counted() {
        // A bad zlib header: lopdf falls back to raw deflate from the third byte.
        let mut bad_header = zlib(&vec![b'x'; 50_000]);
        bad_header[0] = 0;
        assert!(check_streams(&pdf_with_streams(&[bad_header]), 40_000).is_err());
        // `endstream` inside the deflated bytes does not end the count (a stored block).
        let mut stored = vec![0x78, 0x01, 0x01];
        let payload = b"endstream".repeat(5_000);
        let len = u16::try_from(payload.len()).unwrap();
        stored.extend_from_slice(&len.to_le_bytes());
        stored.extend_from_slice(&(!len).to_le_bytes());
        stored.extend_from_slice(&payload);
        assert!(check_streams(&pdf_with_streams(&[stored]), 40_000).is_err());
    }

    #[test]
    fn plain_streams_and_text_count_nothing() {
        let pdf = pdf_with_streams(&[b"BT (stream) Tj ET".to_vec()]);
        assert_eq!(check_streams(&pdf, 1), Ok(()));
    }
}
