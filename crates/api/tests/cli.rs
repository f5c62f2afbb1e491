//! The binary's start-up contract: a missing or malformed setting stops it
//! with one clear line naming the setting; secrets never print.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn api() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_echosenseix-api"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command.current_dir(std::env::temp_dir());
    command
}

#[test]
fn missing_database_url_names_the_setting() {
    let output = api().arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--database-url"), "{stderr}");
}

#[test]
fn malformed_encryption_key_names_the_setting_without_echoing_it() {
    let output = api()
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )
        .env("REDIS_URL", "redis://127.0.0.1:6379")
        .env("ENCRYPTION_KEY", "s3cr3t-not-hex")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("encryption"), "{stderr}");
    assert!(stderr.contains("64 hexadecimal characters"), "{stderr}");
}

#[test]
fn migrate_twice_is_fine() {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("esx_cli_{}", std::process::id());
    let url = url_for(&admin, "postgres");
    let psql = |sql: &str| {
        Command::new("psql")
            .args([url.as_str(), "-qAtc", sql])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    assert!(
        psql(&format!("DROP DATABASE IF EXISTS {name}"))
            && psql(&format!("CREATE DATABASE {name}"))
    );
    let target = url_for(&admin, &name);
    for _ in 0..2 {
        let output = api()
            .arg("migrate")
            .env("DATABASE_URL", &target)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let _ = Command::new("psql")
        .args([
            url.as_str(),
            "-qAtc",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .status();
}

fn url_for(admin: &str, database: &str) -> String {
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => admin.to_owned(),
    }
}
