//! One account per load-test virtual user (`loadtest-{n}@example.com`, the
//! pattern of `load-tests/mix.json`), members of the three test organizations
//! in turn, so every virtual user logs in as itself and holds its own token.

use tokio_postgres::Client;
use uuid::Uuid;

use super::copy::CopyIn;
use super::tenants::SeededOrg;

/// The e-mail of load-test user `n` (1-based), as `load-tests/mix.json` names it.
pub fn email(n: u64) -> String {
    format!("loadtest-{n}@example.com")
}

/// Writes `count` users sharing the seed's password hash; the organizations
/// are the seeded ones, of which the first three belong to test1..3.
pub async fn seed(
    client: &Client,
    orgs: &[SeededOrg],
    count: u64,
    password_hash: &str,
) -> anyhow::Result<()> {
    let test_orgs = &orgs[..orgs.len().min(3)];
    if count == 0 || test_orgs.is_empty() {
        return Ok(());
    }
    let mut copy = CopyIn::start(
        client,
        "users",
        "id, organization_id, email, password_hash, name, role, status",
    )
    .await?;
    for n in 1..=count {
        let org = &test_orgs[(n as usize - 1) % test_orgs.len()];
        copy.rows
            .uuid(Uuid::new_v4())
            .uuid(org.id)
            .text(&email(n))
            .text(password_hash)
            .text(&format!("Load Test User {n}"))
            .text("member")
            .text("active");
        copy.rows.end_row();
    }
    copy.finish().await?;
    Ok(())
}
