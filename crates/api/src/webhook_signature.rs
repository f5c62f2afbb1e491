//! The `ElevenLabs-Signature` header: `t=<unix seconds>,v0=<hex HMAC-SHA256 of "t.body">`, with
//! several `v0` candidates while a secret is rotated. Bounded work for an unauthenticated caller:
//! the header is capped in length and in candidates before anything is computed, and the MAC over
//! the body is computed once, then compared with every candidate in constant time.

use actix_web::http::StatusCode;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use crate::error::ApiError;

/// Most `v0=` candidates accepted: ElevenLabs sends one, two while a secret is rotated.
pub const MAX_CANDIDATES: usize = 4;
/// Longest header accepted, in bytes: a timestamp and `MAX_CANDIDATES` SHA-256 tags fit in 300.
pub const MAX_HEADER_BYTES: usize = 512;

const TAG_LEN: usize = 32;
type Tag = [u8; TAG_LEN];

/// Why a header was refused before any MAC was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// Absent, without a timestamp or a candidate, or a candidate that is not a hex SHA-256 tag.
    Invalid,
    /// Longer than [`MAX_HEADER_BYTES`].
    TooLong,
    /// More than [`MAX_CANDIDATES`] `v0=` candidates.
    TooManyCandidates,
}

impl From<SignatureError> for ApiError {
    fn from(error: SignatureError) -> Self {
        match error {
            SignatureError::Invalid => invalid_signature(),
            SignatureError::TooLong => ApiError::new(
                StatusCode::BAD_REQUEST,
                "signature_header_too_long",
                format!("the signature header is longer than {MAX_HEADER_BYTES} bytes"),
            ),
            SignatureError::TooManyCandidates => ApiError::new(
                StatusCode::BAD_REQUEST,
                "too_many_signatures",
                format!("the signature header carries more than {MAX_CANDIDATES} signatures"),
            ),
        }
    }
}

/// Every authentication failure answers the same, so a caller learns nothing about which agents,
/// organizations or secrets exist.
pub fn invalid_signature() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
        "missing or invalid webhook signature",
    )
}

/// A parsed header: its timestamp and at most [`MAX_CANDIDATES`] tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub timestamp: i64,
    candidates: Vec<Tag>,
}

impl Signature {
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        if header.len() > MAX_HEADER_BYTES {
            return Err(SignatureError::TooLong);
        }
        let mut timestamp = None;
        let mut candidates = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", t)) => timestamp = t.parse().ok(),
                Some(("v0", hex_tag)) => {
                    if candidates.len() == MAX_CANDIDATES {
                        return Err(SignatureError::TooManyCandidates);
                    }
                    let mut tag = [0u8; TAG_LEN];
                    hex::decode_to_slice(hex_tag, &mut tag).map_err(|_| SignatureError::Invalid)?;
                    candidates.push(tag);
                }
                _ => {}
            }
        }
        match timestamp {
            Some(timestamp) if !candidates.is_empty() => Ok(Self {
                timestamp,
                candidates,
            }),
            _ => Err(SignatureError::Invalid),
        }
    }

    /// Whether a candidate is HMAC-SHA256(secret, "{t}.{body}").
    pub fn verify(&self, secret: &[u8], body: &[u8]) -> bool {
        self.verify_with(|timestamp| tag(secret, timestamp, body))
    }

    /// Whether a candidate equals the tag `compute` gives for the timestamp. `compute` is called
    /// once, whatever the number of candidates (`FnOnce` holds it to that), and every candidate
    /// is compared without an early exit, so the time taken says nothing about which one matched.
    pub fn verify_with(&self, compute: impl FnOnce(i64) -> Option<Tag>) -> bool {
        let Some(expected) = compute(self.timestamp) else {
            return false;
        };
        let matched = self
            .candidates
            .iter()
            .fold(Choice::from(0), |any, candidate| {
                any | candidate[..].ct_eq(&expected[..])
            });
        matched.into()
    }
}

/// HMAC-SHA256(secret, "{timestamp}.{body}"); `None` only for a key HMAC refuses (none is).
fn tag(secret: &[u8], timestamp: i64, body: &[u8]) -> Option<Tag> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac.finalize().into_bytes().into())
}

/// The header value ElevenLabs would send for `body` (tests, tooling).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    match tag(secret, timestamp, body) {
        Some(tag) => format!("t={timestamp},v0={}", hex::encode(tag)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn signatures_round_trip_and_reject_tampering() {
        let header = sign(b"whsec", 1_700_000_000, b"{}");
        let sig = Signature::parse(&header).unwrap();
        assert!(sig.verify(b"whsec", b"{}"));
        assert!(!sig.verify(b"other", b"{}"));
        assert!(!sig.verify(b"whsec", b"{ }"));
        assert_eq!(Signature::parse("t=1"), Err(SignatureError::Invalid));
        assert_eq!(Signature::parse("v0=00"), Err(SignatureError::Invalid));
        assert_eq!(Signature::parse("t=1,v0=zz"), Err(SignatureError::Invalid));
        // An empty or short candidate is refused at parse time, before any MAC.
        assert_eq!(Signature::parse("t=1,v0="), Err(SignatureError::Invalid));
        assert_eq!(Signature::parse("t=1,v0=00"), Err(SignatureError::Invalid));
    }

    #[test]
    fn rotation_candidates_are_checked_with_one_mac_computation() {
        let good = sign(b"new", 7, b"body");
        let old = sign(b"old", 7, b"body");
        let (_, good_tag) = good.split_once(",v0=").unwrap();
        let (_, old_tag) = old.split_once(",v0=").unwrap();
        let fake = "ab".repeat(TAG_LEN);
        let header = format!("t=7,v0={fake},v0={old_tag},v0={fake},v0={good_tag}");
        let sig = Signature::parse(&header).unwrap();
        let computations = Cell::new(0);
        let matched = sig.verify_with(|t| {
            computations.set(computations.get() + 1);
            tag(b"new", t, b"body")
        });
        assert!(matched);
        assert_eq!(computations.get(), 1);
        let computations = Cell::new(0);
        let matched = sig.verify_with(|t| {
            computations.set(computations.get() + 1);
            tag(b"neither", t, b"body")
        });
        assert!(!matched);
        assert_eq!(computations.get(), 1);
    }

    #[test]
    fn oversize_headers_are_refused_before_any_work() {
        let fake = "ab".repeat(TAG_LEN);
        let five = format!("t=1{}", format!(",v0={fake}").repeat(MAX_CANDIDATES + 1));
        assert!(five.len() <= MAX_HEADER_BYTES);
        assert_eq!(
            Signature::parse(&five),
            Err(SignatureError::TooManyCandidates)
        );
        // The attack: 1,900 empty candidates.
        let empties = format!("t=1{}", ",v0=".repeat(1_900));
        assert_eq!(Signature::parse(&empties), Err(SignatureError::TooLong));
        let padded = format!("t=1,v0={fake},{}", " ".repeat(MAX_HEADER_BYTES));
        assert_eq!(Signature::parse(&padded), Err(SignatureError::TooLong));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Whatever the header: no panic, at most MAX_CANDIDATES kept, oversize refused, and
        /// one MAC computation per verification.
        #[test]
        fn any_header_is_bounded(header in "(t=-?[0-9]{0,12}|v0=[0-9a-f]{0,70}|[a-z0-9=, ]{0,12})(,(t=[0-9]{0,11}|v0=[0-9a-f]{64}|v0=[0-9a-z]{0,3}|[ ,=a-z]{0,5})){0,12}") {
            match Signature::parse(&header) {
                Ok(sig) => {
                    proptest::prop_assert!(header.len() <= MAX_HEADER_BYTES);
                    proptest::prop_assert!(!sig.candidates.is_empty());
                    proptest::prop_assert!(sig.candidates.len() <= MAX_CANDIDATES);
                    let computations = Cell::new(0);
                    sig.verify_with(|t| {
                        computations.set(computations.get() + 1);
                        tag(b"k", t, b"body")
                    });
                    proptest::prop_assert_eq!(computations.get(), 1);
                }
                Err(SignatureError::TooLong) => {
                    proptest::prop_assert!(header.len() > MAX_HEADER_BYTES);
                }
                Err(_) => {}
            }
        }
    }
}
