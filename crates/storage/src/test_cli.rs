//! Test harness for the binaries' command lines (feature `test-support`): run a real binary with
//! secret values in its environment and check that none of them reaches its output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// Secret-looking values for every secret setting, each distinctive enough to grep for.
pub const SECRETS: &[(&str, &str)] = &[
    (
        "DATABASE_URL",
        "postgres://app:pg-pass-7f3a91@127.0.0.1:1/db",
    ),
    (
        "DATABASE_REPLICA_URL",
        "postgres://app:replica-pass-5c2e@127.0.0.1:1/db",
    ),
    ("REDIS_URL", "redis://:redis-pass-b81d44@127.0.0.1:1"),
    (
        "ENCRYPTION_KEY",
        "5ec2e7000000000000000000000000000000000000000000000000000000c0de",
    ),
    ("ADMIN_TOKEN", "admin-token-e4d1a2b3c4d5e6f7"),
    ("SMTP_URL", "smtps://mailer:smtp-pass-91ab@127.0.0.1:1"),
    ("STORAGE_URL", "file:///srv/storage-secret-3be1"),
];

/// Runs `binary` with `args` and `env` (in a scratch directory, so no `.env` file is read), and
/// returns its standard output and error together, after asserting that no value of `env`
/// appears in them (nor the password part of a URL).
pub fn output_without_secrets(binary: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = std::env::temp_dir();
    let output = Command::new(binary)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for (name, value) in env {
        assert!(
            !text.contains(value),
            "{binary} {args:?} printed the value of {name}:\n{text}"
        );
        if let Some(password) = url_password(value) {
            assert!(
                !text.contains(&password),
                "{binary} {args:?} printed the password of {name}:\n{text}"
            );
        }
    }
    text
}

fn url_password(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    url.password().map(str::to_owned)
}
