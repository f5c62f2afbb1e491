//! The `echosenseix-api` binary's command line: `--help` of every command shows no secret taken
//! from the environment, and a rejected secret is not echoed back.

use storage::test_cli::{SECRETS, output_without_secrets};

const BINARY: &str = env!("CARGO_BIN_EXE_echosenseix-api");

#[test]
fn help_of_every_command_hides_secret_values() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["seed", "--help"],
    ] {
        let text = output_without_secrets(BINARY, args, SECRETS);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
    let serve = output_without_secrets(BINARY, &["serve", "--help"], SECRETS);
    for name in ["DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEY", "ADMIN_TOKEN"] {
        assert!(serve.contains(&format!("[env: {name}]")), "{name}: {serve}");
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
    let text = output_without_secrets(BINARY, &["serve"], &env);
    assert!(text.contains("--encryption-key"), "{text}");
    assert!(text.contains("64 hexadecimal characters"), "{text}");
    // A too-short ADMIN_TOKEN is refused without being shown either.
    let mut env: Vec<(&str, &str)> = SECRETS
        .iter()
        .copied()
        .filter(|(name, _)| *name != "ADMIN_TOKEN")
        .collect();
    env.push(("ADMIN_TOKEN", "short-4f9e"));
    let text = output_without_secrets(BINARY, &["serve"], &env);
    assert!(text.contains("at least 16 characters"), "{text}");
}
