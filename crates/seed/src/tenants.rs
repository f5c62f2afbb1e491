//! Seeded tenants: organizations (the first three owned by test1..3), their
//! users sharing one argon2id hash, and their agents with external ids.

use chrono::{Duration, Utc};
use rand::Rng;
use serde_json::json;
use tokio_postgres::Client;
use uuid::Uuid;

use super::copy::CopyIn;
use super::text;

/// The accounts the original load tests log in with.
pub const TEST_EMAILS: [&str; 3] = [
    "test1@example.com",
    "test2@example.com",
    "test3@example.com",
];
pub const TEST_PASSWORD: &str = "password123";

pub struct SeededAgent {
    pub id: Uuid,
    pub name: String,
}

pub struct SeededOrg {
    pub id: Uuid,
    pub name: String,
    pub owner: Uuid,
    /// Relative share of calls and knowledge-base entries.
    pub weight: f64,
    pub agents: Vec<SeededAgent>,
}

/// Tenant sizes follow a Zipf-like curve: a few large customers, a long tail.
/// The test organizations sit among the large ones (ranks 1, 3 and 10), so
/// load tests logged in as them read realistic volumes.
fn weight(index: usize, count: usize) -> f64 {
    const TEST_RANKS: [usize; 3] = [1, 3, 10];
    let rank = match index {
        0..=2 => TEST_RANKS[index].min(count),
        _ => index + 1,
    };
    1.0 / (rank as f64).powf(0.6)
}

fn plan(index: usize, rng: &mut impl Rng) -> (&'static str, i32, i32) {
    if index < 3 {
        return ("pro", 50, 50);
    }
    match rng.gen_range(0..10) {
        0..=3 => ("free", 10, 5),
        4..=6 => ("starter", 20, 10),
        7..=8 => ("pro", 50, 50),
        _ => ("enterprise", 500, 500),
    }
}

/// Writes organizations, users and agents in one transaction.
pub async fn seed(
    client: &Client,
    organizations: usize,
    agents_per_org: usize,
    password_hash: &str,
) -> anyhow::Result<Vec<SeededOrg>> {
    let mut rng = super::rng();
    let now = Utc::now();
    // One transaction: a failure leaves no half-seeded tenants behind.
    client.batch_execute("BEGIN").await?;
    let mut orgs_copy = CopyIn::start(
        client,
        "organizations",
        "id, name, subdomain, plan, max_agents, max_users, settings, created_at",
    )
    .await?;
    let mut seeded = Vec::with_capacity(organizations);
    let mut people = Vec::new();
    for index in 0..organizations {
        let id = Uuid::new_v4();
        let name = if index < 3 {
            format!("Test Organization {}", index + 1)
        } else {
            text::org_name(&mut rng)
        };
        let (plan, max_agents, max_users) = plan(index, &mut rng);
        let max_agents = max_agents.max(agents_per_org as i32);
        let created = now - Duration::days(rng.gen_range(120..720));
        orgs_copy
            .rows
            .uuid(id)
            .text(&name)
            .text(&format!(
                "seed-{}-{}",
                index + 1,
                &id.simple().to_string()[..6]
            ))
            .text(plan)
            .raw(max_agents)
            .raw(max_users.max(5))
            .json(&json!({ "seed": true, "timezone": "UTC" }))
            .time(created);
        orgs_copy.rows.end_row();
        let owner = Uuid::new_v4();
        people.push((id, owner, "owner", index, 0));
        for j in 1..=rng.gen_range(0..5usize) {
            let role = if j == 1 { "admin" } else { "member" };
            people.push((id, Uuid::new_v4(), role, index, j));
        }
        seeded.push(SeededOrg {
            id,
            name,
            owner,
            weight: weight(index, organizations),
            agents: Vec::new(),
        });
    }
    orgs_copy.finish().await?;

    let mut users_copy = CopyIn::start(
        client,
        "users",
        "id, organization_id, email, password_hash, name, role, status",
    )
    .await?;
    for &(org, id, role, index, j) in &people {
        let (first, last) = text::person(&mut rng);
        let email = match (index, j) {
            (0..=2, 0) => TEST_EMAILS[index].to_owned(),
            _ => format!(
                "{}.{}.{index}.{j}@seed.example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
        };
        users_copy
            .rows
            .uuid(id)
            .uuid(org)
            .text(&email)
            .text(password_hash)
            .text(&format!("{first} {last}"))
            .text(role)
            .text("active");
        users_copy.rows.end_row();
    }
    users_copy.finish().await?;

    let mut agents_copy = CopyIn::start(
        client,
        "agents",
        "id, organization_id, platform, external_agent_id, name, description, first_message, system_prompt, \
         language, voice_id, voice_settings, llm_settings, tools, is_active, created_at, updated_at",
    )
    .await?;
    for org in &mut seeded {
        for k in 0..agents_per_org {
            let id = Uuid::new_v4();
            let base =
                text::AGENT_NAMES[(k + org.id.as_bytes()[0] as usize) % text::AGENT_NAMES.len()];
            let name = if k < text::AGENT_NAMES.len() {
                base.to_owned()
            } else {
                format!("{base} {}", k + 1)
            };
            let created = now - Duration::days(rng.gen_range(91..120));
            agents_copy
                .rows
                .uuid(id)
                .uuid(org.id)
                .text("elevenlabs")
                .text(&format!("agent_{}", id.simple()))
                .text(&name)
                .text(&format!("{name} for {}: answers calls, books appointments and routes urgent requests.", org.name))
                .text(&format!("Hi, thanks for calling {}. This is {name}, how can I help?", org.name))
                .text(&text::system_prompt(&mut rng, &org.name, &name))
                .text(text::LANGUAGES[rng.gen_range(0..text::LANGUAGES.len())])
                .text(text::VOICE_IDS[rng.gen_range(0..text::VOICE_IDS.len())])
                .json(&json!({ "stability": rng.gen_range(30..80) as f64 / 100.0, "similarity_boost": 0.75 }))
                .json(&json!({ "model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 300 }))
                .json(&json!([]))
                .raw(rng.gen_bool(0.85) || k == 0)
                .time(created)
                .time(created);
            agents_copy.rows.end_row();
            org.agents.push(SeededAgent { id, name });
        }
    }
    agents_copy.finish().await?;
    client.batch_execute("COMMIT").await?;
    Ok(seeded)
}
