//! Seeded knowledge-base entries: articles written from per-category word
//! lists, spread across tenants by size, so full-text search has meaningful
//! terms ("refund", "firmware", "deductible") to rank.

use chrono::{Duration, Utc};
use indicatif::ProgressBar;
use rand::Rng;
use rand::distributions::{Distribution, WeightedIndex};
use serde_json::json;
use uuid::Uuid;

use super::copy::CopyIn;
use super::tenants::SeededOrg;
use super::{connect, text};

const COLUMNS: &str = "id, organization_id, title, content, category, tags, metadata, created_by, created_at, updated_at";

pub async fn seed(
    url: &str,
    orgs: &[SeededOrg],
    total: u64,
    bar: &ProgressBar,
) -> anyhow::Result<u64> {
    if total == 0 {
        return Ok(0);
    }
    let org_dist = WeightedIndex::new(orgs.iter().map(|o| o.weight))?;
    let client = connect(url).await?;
    let mut copy = CopyIn::start(&client, "knowledge_base_entries", COLUMNS).await?;
    let mut rng = super::rng();
    let now = Utc::now();
    for i in 0..total {
        let org = &orgs[org_dist.sample(&mut rng)];
        let (title, content, category, tags) = text::kb_article(&mut rng);
        let created = now - Duration::minutes(rng.gen_range(0..60 * 24 * 180));
        copy.rows
            .uuid(Uuid::new_v4())
            .uuid(org.id)
            .text(&title)
            .text(&content)
            .text(category)
            .words(&tags)
            .json(&json!({ "source": "seed", "author": "support-team" }))
            .uuid(org.owner)
            .time(created)
            .time(created);
        copy.rows.end_row();
        if (i + 1) % 1000 == 0 {
            bar.inc(1000);
        }
        copy.flush_if_full().await?;
    }
    let written = copy.finish().await?;
    bar.inc(total % 1000);
    Ok(written)
}
