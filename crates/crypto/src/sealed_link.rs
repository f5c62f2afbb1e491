//! The link of an outbox e-mail that carries a bearer token (a password reset, an invitation),
//! kept out of `email_outbox.data` in the clear: the API seals it with the ENCRYPTION_KEY under
//! `sealedLink`, and the worker opens it into `link` just before rendering. A database reader
//! (a backup, a support query, a replica) sees ciphertext, not a usable token; the row stays
//! JSON so the templates and the retry machinery are unchanged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::{CryptoError, EncryptionKey};

/// The key of the sealed link in the outbox row's data.
pub const SEALED: &str = "sealedLink";
/// The key the templates read the opened link from.
pub const OPENED: &str = "link";

/// `data` (a JSON object) with `link` sealed under [`SEALED`].
pub fn seal(mut data: Value, key: &EncryptionKey, link: &str) -> Value {
    if let Value::Object(map) = &mut data {
        let sealed = STANDARD.encode(key.encrypt(link.as_bytes()));
        map.insert(SEALED.to_owned(), Value::String(sealed));
    }
    data
}

/// `data` with its sealed link, if any, opened into [`OPENED`]; the sealed copy is dropped so the
/// rendering never sees ciphertext. Data without a sealed link is returned as it is.
pub fn open(data: &Value, key: &EncryptionKey) -> Result<Value, CryptoError> {
    let mut data = data.clone();
    let Value::Object(map) = &mut data else {
        return Ok(data);
    };
    let Some(sealed) = map.remove(SEALED) else {
        return Ok(data);
    };
    let link = open_value(&sealed, key)?;
    map.insert(OPENED.to_owned(), Value::String(link));
    Ok(data)
}

/// The sealed link of `data` re-sealed under `new` (key rotation); `None` when `data` holds no
/// sealed link.
pub fn reseal(
    data: &Value,
    old: &EncryptionKey,
    new: &EncryptionKey,
) -> Result<Option<Value>, CryptoError> {
    let Some(sealed) = data.get(SEALED) else {
        return Ok(None);
    };
    let link = open_value(sealed, old)?;
    let mut data = data.clone();
    if let Value::Object(map) = &mut data {
        map.remove(SEALED);
    }
    Ok(Some(seal(data, new, &link)))
}

fn open_value(sealed: &Value, key: &EncryptionKey) -> Result<String, CryptoError> {
    let bytes = sealed
        .as_str()
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or(CryptoError::Decrypt)?;
    String::from_utf8(key.decrypt(&bytes)?).map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sealed_links_open_only_under_their_key() {
        let key = EncryptionKey::generate();
        let link = "https://app.test/reset-password?token=esx_reset_secret";
        let data = seal(json!({"name": "Ada"}), &key, link);
        assert!(!data.to_string().contains("esx_reset_secret"));
        let opened = open(&data, &key).unwrap();
        assert_eq!(opened, json!({"name": "Ada", "link": link}));
        assert!(open(&data, &EncryptionKey::generate()).is_err());
        // Rows without a sealed link (a welcome mail) pass through.
        assert_eq!(open(&json!({"a": 1}), &key).unwrap(), json!({"a": 1}));
    }

    #[test]
    fn reseal_moves_a_link_to_the_new_key() {
        let (old, new) = (EncryptionKey::generate(), EncryptionKey::generate());
        let data = seal(json!({"role": "member"}), &old, "https://x.test/?token=t");
        let moved = reseal(&data, &old, &new).unwrap().unwrap();
        assert!(open(&moved, &old).is_err());
        assert_eq!(
            open(&moved, &new).unwrap()["link"],
            "https://x.test/?token=t"
        );
        assert_eq!(reseal(&json!({}), &old, &new).unwrap(), None);
        assert!(reseal(&moved, &old, &new).is_err());
    }
}
