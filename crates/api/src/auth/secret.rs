//! Comparing a presented platform secret (operator or metrics token) with
//! the configured one without leaking its length or a common prefix.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Digests first, then a constant-time comparison of equal-length values.
pub fn matches(given: &str, expected: &SecretString) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.expose_secret().as_bytes());
    bool::from(a.as_slice().ct_eq(b.as_slice()))
}
