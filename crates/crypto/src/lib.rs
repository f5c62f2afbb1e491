//! Secrets at rest and bearer tokens: AES-256-GCM for credentials that must be
//! read back (provider keys, webhook signing secrets) and SHA-256 digests for
//! tokens that only need to be recognised (sessions, API keys, invitations).

pub mod sealed_link;

use aes_gcm::aead::{Aead, KeyInit, OsRng, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("ENCRYPTION_KEY must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    #[error("ciphertext is malformed or was encrypted under another key")]
    Decrypt,
}

/// A 256-bit key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct EncryptionKey(Aes256Gcm);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey([REDACTED])")
    }
}

impl EncryptionKey {
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        Aes256Gcm::new_from_slice(bytes)
            .map(Self)
            .map_err(|_| CryptoError::BadKey)
    }

    /// A fresh random key (tests and `make dev` bootstrap).
    pub fn generate() -> Self {
        Self(Aes256Gcm::new(&Aes256Gcm::generate_key(OsRng)))
    }

    /// `nonce || ciphertext+tag`, with a random 96-bit nonce per message.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and in-memory buffer cannot fail.
        if let Ok(ciphertext) = self.0.encrypt(Nonce::from_slice(&nonce), plaintext) {
            out.extend_from_slice(&ciphertext);
        }
        out
    }

    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.0
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// SHA-256 of a token: what the database stores instead of the token.
pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random bearer token `"{prefix}_{43 url-safe chars}"` (256 bits).
pub fn generate_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!("{prefix}_{body}")
}

/// The last four characters of a credential, the only part ever shown again.
pub fn last4(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_round_trips_and_detects_tampering() {
        let key = EncryptionKey::generate();
        let sealed = key.encrypt(b"sk_live_secret");
        assert_eq!(key.decrypt(&sealed).unwrap(), b"sk_live_secret");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(matches!(key.decrypt(&tampered), Err(CryptoError::Decrypt)));
        let other = EncryptionKey::generate();
        assert!(other.decrypt(&sealed).is_err());
    }

    #[test]
    fn key_parsing_rejects_wrong_lengths_and_debug_hides_it() {
        assert!(EncryptionKey::from_hex("abcd").is_err());
        let key = EncryptionKey::from_hex(&"11".repeat(32)).unwrap();
        assert_eq!(format!("{key:?}"), "EncryptionKey([REDACTED])");
    }

    #[test]
    fn tokens_are_unique_and_digests_fixed_size() {
        let a = generate_token("esx");
        let b = generate_token("esx");
        assert_ne!(a, b);
        assert!(a.starts_with("esx_"));
        assert_eq!(token_digest(&a).len(), 32);
        assert_eq!(last4("abcdef"), "cdef");
        assert_eq!(last4("ab"), "ab");
    }
}
