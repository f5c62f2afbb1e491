//! `agents`: an organization's voice agents.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::agents;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = agents, check_for_backend(diesel::pg::Pg))]
pub struct Agent {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub platform: String,
    pub external_agent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub first_message: Option<String>,
    pub system_prompt: Option<String>,
    pub language: String,
    pub voice_id: Option<String>,
    pub voice_settings: serde_json::Value,
    pub llm_settings: serde_json::Value,
    pub tools: serde_json::Value,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agents)]
pub struct NewAgent {
    pub organization_id: Uuid,
    pub platform: String,
    pub external_agent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub first_message: Option<String>,
    pub system_prompt: Option<String>,
    pub language: String,
    pub voice_id: Option<String>,
    pub voice_settings: serde_json::Value,
    pub llm_settings: serde_json::Value,
    pub tools: serde_json::Value,
    pub is_active: bool,
}

/// A partial update: `None` leaves a column alone, `Some(None)` sets NULL.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = agents)]
pub struct AgentUpdate {
    pub external_agent_id: Option<Option<String>>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub first_message: Option<Option<String>>,
    pub system_prompt: Option<Option<String>>,
    pub language: Option<String>,
    pub voice_id: Option<Option<String>>,
    pub voice_settings: Option<serde_json::Value>,
    pub llm_settings: Option<serde_json::Value>,
    pub tools: Option<serde_json::Value>,
    pub is_active: Option<bool>,
}

impl AgentUpdate {
    pub fn is_empty(&self) -> bool {
        self.external_agent_id.is_none()
            && self.name.is_none()
            && self.description.is_none()
            && self.first_message.is_none()
            && self.system_prompt.is_none()
            && self.language.is_none()
            && self.voice_id.is_none()
            && self.voice_settings.is_none()
            && self.llm_settings.is_none()
            && self.tools.is_none()
            && self.is_active.is_none()
    }
}

/// The query behind `GET /api/agents`, newest first; public so that the
/// EXPLAIN test checks exactly the SQL the API runs.
pub fn list_query(org: Uuid, page: PageRequest) -> agents::BoxedQuery<'static, diesel::pg::Pg> {
    agents::table
        .filter(agents::organization_id.eq(org))
        .order((agents::created_at.desc(), agents::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .into_boxed()
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<Agent>> {
    let rows = list_query(org, page)
        .select(Agent::as_select())
        .load(conn)
        .await?;
    let total = count(conn, org).await?;
    Ok(Page::new(rows, total, page))
}

pub async fn count(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<i64> {
    agents::table
        .filter(agents::organization_id.eq(org))
        .count()
        .get_result(conn)
        .await
}

pub async fn count_active(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<i64> {
    agents::table
        .filter(
            agents::organization_id
                .eq(org)
                .and(agents::is_active.eq(true)),
        )
        .count()
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<Agent> {
    agents::table
        .filter(agents::organization_id.eq(org).and(agents::id.eq(id)))
        .select(Agent::as_select())
        .first(conn)
        .await
}

/// The agent behind an inbound platform webhook, within the organization the webhook's URL
/// names: platform agent ids are unique per organization only.
pub async fn find_by_external_id(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    platform: &str,
    external_agent_id: &str,
) -> QueryResult<Option<Agent>> {
    agents::table
        .filter(
            agents::organization_id
                .eq(org)
                .and(agents::platform.eq(platform))
                .and(agents::external_agent_id.eq(external_agent_id)),
        )
        .select(Agent::as_select())
        .first(conn)
        .await
        .optional()
}

/// The agent behind a legacy inbound webhook, whose URL names no organization: found only when
/// exactly one organization uses the platform id, so no tenant can claim another's calls by
/// taking the same id (two owners answer `None`, and each must use its own URL).
pub async fn find_unique_by_external_id(
    conn: &mut AsyncPgConnection,
    platform: &str,
    external_agent_id: &str,
) -> QueryResult<Option<Agent>> {
    let mut found: Vec<Agent> = agents::table
        .filter(
            agents::platform
                .eq(platform)
                .and(agents::external_agent_id.eq(external_agent_id)),
        )
        .select(Agent::as_select())
        .limit(2)
        .load(conn)
        .await?;
    Ok(if found.len() == 1 { found.pop() } else { None })
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewAgent) -> QueryResult<Agent> {
    diesel::insert_into(agents::table)
        .values(new)
        .returning(Agent::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    changes: &AgentUpdate,
) -> QueryResult<Agent> {
    if changes.is_empty() {
        return find(conn, org, id).await;
    }
    diesel::update(agents::table.filter(agents::organization_id.eq(org).and(agents::id.eq(id))))
        .set(changes)
        .returning(Agent::as_returning())
        .get_result(conn)
        .await
}

/// Deletes one agent; false when it does not exist in this organization.
pub async fn delete(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(
        agents::table.filter(agents::organization_id.eq(org).and(agents::id.eq(id))),
    )
    .execute(conn)
    .await?;
    Ok(n == 1)
}
