//! The `echosenseix-worker` binary's command line: `--help` shows no secret taken from the
//! environment, and a rejected secret is not echoed back.

use storage::test_cli::{SECRETS, output_without_secrets};

const BINARY: &str = env!("CARGO_BIN_EXE_echosenseix-worker");

#[test]
fn help_hides_secret_values() {
    let text = output_without_secrets(BINARY, &["--help"], SECRETS);
    for name in ["DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEY", "SMTP_URL"] {
        assert!(text.contains(&format!("[env: {name}]")), "{name}: {text}");
    }
}

#[test]
fn a_rejected_secret_is_not_echoed() {
    let mut env: Vec<(&str, &str)> = SECRETS
        .iter()
        .copied()
        .filter(|(name, _)| *name != "ENCRYPTION_KEY")
        .collect();
    env.push(("ENCRYPTION_KEY", "not-a-key-but-a-secret-4f9e"));
    let text = output_without_secrets(BINARY, &[], &env);
    assert!(text.contains("--encryption-key"), "{text}");
}
