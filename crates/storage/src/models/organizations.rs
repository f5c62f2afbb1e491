//! `organizations`: the tenants, with their plan limits.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::organizations;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = organizations, check_for_backend(diesel::pg::Pg))]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub subdomain: Option<String>,
    pub plan: String,
    pub max_agents: i32,
    pub max_users: i32,
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Storage quotas of this organization; `None`: the deployment default.
    pub max_documents: Option<i32>,
    pub max_document_bytes: Option<i64>,
    pub max_knowledge_base_bytes: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization {
    pub name: String,
    pub subdomain: Option<String>,
    pub plan: String,
    pub max_agents: i32,
    pub max_users: i32,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = organizations)]
pub struct OrganizationUpdate {
    pub name: Option<String>,
    pub plan: Option<String>,
    pub max_agents: Option<i32>,
    pub max_users: Option<i32>,
    pub settings: Option<serde_json::Value>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewOrganization,
) -> QueryResult<Organization> {
    diesel::insert_into(organizations::table)
        .values(new)
        .returning(Organization::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .await
}

/// Locks the organization row until the transaction ends, so that plan-limit
/// checks (count, then insert) cannot race each other.
pub async fn find_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .for_update()
        .select(Organization::as_select())
        .first(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &OrganizationUpdate,
) -> QueryResult<Organization> {
    diesel::update(organizations::table.find(id))
        .set(changes)
        .returning(Organization::as_returning())
        .get_result(conn)
        .await
}

/// Every organization id, for jobs that visit each tenant (aggregation).
pub async fn all_ids(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Uuid>> {
    organizations::table
        .select(organizations::id)
        .order(organizations::id)
        .load(conn)
        .await
}
