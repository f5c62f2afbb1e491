//! Schemathesis (PyPI) against the running server with a registered user's
//! token: generated requests for every operation, every check (with the
//! narrow allowances of `schemathesis.toml`); the server's answers must
//! match the document. Installed with pip when missing.

use crate::helpers::spawn_app;

/// Per-operation settings, beside this file.
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schemathesis.toml");

fn st() -> &'static str {
    let found = std::process::Command::new("st")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("schemathesis not found: installing it with pip");
        let installed = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "schemathesis"])
            .status()
            .expect("python3 -m pip runs");
        assert!(installed.success(), "pip install schemathesis failed");
    }
    "st"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_mismatch() {
    let app = spawn_app().await;
    // The run creates webhooks and documents at made-up addresses and of
    // made-up contents; no worker runs here to deliver or process them.
    app.leaves_jobs(
        jobs::Queue::WebhookDelivery,
        "deliveries to generated URLs; no delivery worker runs",
    );
    app.leaves_jobs(
        jobs::Queue::DocumentProcessing,
        "generated uploads; no document worker runs",
    );
    let owner = app.register().await;
    let schema = app.url("/api/openapi.json");
    let auth = format!("Authorization: Bearer {}", owner.token);
    let examples = std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| "25".into());
    // A HAR of every request and answer, to see which operations answered 2xx.
    let report = match std::env::var("SCHEMATHESIS_REPORT_DIR") {
        Ok(dir) => vec![
            "--report".to_owned(),
            "har,ndjson".to_owned(),
            "--report-dir".to_owned(),
            dir,
        ],
        Err(_) => Vec::new(),
    };
    let output = tokio::task::spawn_blocking(move || {
        // Schemathesis keeps a cache of its findings in the working directory:
        // a temporary one, so the run leaves nothing in the tree.
        let dir = std::env::temp_dir().join(format!("esx-schemathesis-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let output = std::process::Command::new(st())
            .current_dir(&dir)
            // The few operations that refuse a schema-valid request by design.
            .args([
                "--config-file",
                CONFIG,
                "run",
                &schema,
                "--checks",
                "all",
                "--header",
                &auth,
            ])
            .args(["--max-examples", &examples, "--no-color", "--seed", "1"])
            // Operator routes answer only with their own tokens (ADMIN_TOKEN,
            // METRICS_TOKEN), which the test server does not configure.
            .args(["--exclude-path-regex", "^/(api/admin|metrics)"])
            // Logout would revoke the token every later request of the run
            // carries, leaving the rest of the run to answer 401; the auth
            // tests cover it.
            .args(["--exclude-name", "POST /api/auth/logout"])
            .args(report)
            .output()
            .expect("schemathesis runs");
        let _ = std::fs::remove_dir_all(&dir);
        output
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The per-operation statistics, for `--success-output immediate`.
    println!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis found mismatches (its report is above):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
