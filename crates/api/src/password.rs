//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes),
//! always on tokio's blocking pool so a hash never stalls the async
//! executor, and at most a few at once so a burst of logins cannot take
//! 19 MiB per request without bound.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// Concurrent hashes: two per core keeps every core busy without queueing
/// unbounded memory behind them.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()) * 2)
});

/// A hash of a random password, verified against when the e-mail is unknown
/// so that a failed login costs the same either way.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let random = crypto::generate_token("dummy");
    hash_now(&random).ok()
});

fn hash_now(password: &str) -> anyhow::Result<String> {
    // A fresh random salt per hash (the crate's getrandom feature).
    PasswordHasher::<PasswordHash>::hash_password(&Argon2::default(), password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
}

fn verify_now(password: &str, hash: &str) -> bool {
    // The hash's own parameters apply, so older hashes keep verifying after a
    // change of the defaults.
    PasswordVerifier::<str>::verify_password(&Argon2::default(), password.as_bytes(), hash).is_ok()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let _permit = HASHING
        .acquire()
        .await
        .context("password hashing pool closed")?;
    tokio::task::spawn_blocking(f)
        .await
        .context("password hashing task failed")
}

/// The PHC string (`$argon2id$v=19$...`) of a new password.
pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    blocking(move || hash_now(password.expose_secret())).await?
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub async fn verify(password: SecretString, hash: String) -> anyhow::Result<bool> {
    blocking(move || verify_now(password.expose_secret(), &hash)).await
}

/// Spends the time of a verification without a user, and answers `false`.
pub async fn verify_dummy(password: SecretString) -> anyhow::Result<bool> {
    blocking(move || {
        if let Some(hash) = DUMMY_HASH.as_deref() {
            let _ = verify_now(password.expose_secret(), hash);
        }
        false
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let a = hash(SecretString::from("correct horse")).await.unwrap();
        let b = hash(SecretString::from("correct horse")).await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(
            verify(SecretString::from("correct horse"), a.clone())
                .await
                .unwrap()
        );
        assert!(!verify(SecretString::from("wrong horse"), a).await.unwrap());
        assert!(
            !verify(SecretString::from("x"), "not-a-hash".into())
                .await
                .unwrap()
        );
        assert!(!verify_dummy(SecretString::from("x")).await.unwrap());
    }
}
