//! `webhooks`: outbound endpoints of an organization, with their encrypted
//! signing secret and the failure count that disables them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::webhooks;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = webhooks, check_for_backend(diesel::pg::Pg))]
pub struct Webhook {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    #[serde(skip)]
    pub encrypted_secret: Vec<u8>,
    pub events: Vec<String>,
    pub is_active: bool,
    pub failure_count: i32,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook {
    pub organization_id: Uuid,
    pub url: String,
    pub encrypted_secret: Vec<u8>,
    pub events: Vec<String>,
    pub created_by: Option<Uuid>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewWebhook) -> QueryResult<Webhook> {
    diesel::insert_into(webhooks::table)
        .values(new)
        .returning(Webhook::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<Webhook> {
    webhooks::table
        .filter(webhooks::organization_id.eq(org).and(webhooks::id.eq(id)))
        .select(Webhook::as_select())
        .first(conn)
        .await
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<Webhook>> {
    let rows = webhooks::table
        .filter(webhooks::organization_id.eq(org))
        .order((webhooks::created_at.desc(), webhooks::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(Webhook::as_select())
        .load(conn)
        .await?;
    let total = webhooks::table
        .filter(webhooks::organization_id.eq(org))
        .count()
        .get_result(conn)
        .await?;
    Ok(Page::new(rows, total, page))
}

pub async fn delete(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(
        webhooks::table.filter(webhooks::organization_id.eq(org).and(webhooks::id.eq(id))),
    )
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Active endpoints of `org` subscribed to `event`: the fan-out of one event.
pub async fn subscribers(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    event: &str,
) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::organization_id.eq(org))
        .filter(webhooks::is_active.eq(true))
        .filter(webhooks::events.contains(vec![event.to_owned()]))
        .select(Webhook::as_select())
        .load(conn)
        .await
}

/// An endpoint by id alone, for the worker whose job carries only ids.
pub async fn find_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Webhook>> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
        .await
        .optional()
}

/// Counts a failed delivery; disables the endpoint once `disable_after`
/// consecutive failures are reached. Returns the updated row.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    disable_after: i32,
) -> QueryResult<Webhook> {
    let now = Utc::now();
    let row: Webhook = diesel::update(webhooks::table.find(id))
        .set((
            webhooks::failure_count.eq(webhooks::failure_count + 1),
            webhooks::last_failure_at.eq(Some(now)),
        ))
        .returning(Webhook::as_returning())
        .get_result(conn)
        .await?;
    if row.is_active && row.failure_count >= disable_after {
        return diesel::update(webhooks::table.find(id))
            .set((
                webhooks::is_active.eq(false),
                webhooks::disabled_at.eq(Some(now)),
            ))
            .returning(Webhook::as_returning())
            .get_result(conn)
            .await;
    }
    Ok(row)
}

/// Enables or disables one endpoint of `org`. Enabling starts a fresh
/// failure count. `None` when no such endpoint.
pub async fn set_active(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    active: bool,
) -> QueryResult<Option<Webhook>> {
    let target = webhooks::table
        .filter(webhooks::organization_id.eq(org))
        .filter(webhooks::id.eq(id));
    let updated = if active {
        diesel::update(target)
            .set((
                webhooks::is_active.eq(true),
                webhooks::failure_count.eq(0),
                webhooks::disabled_at.eq(None::<chrono::DateTime<Utc>>),
            ))
            .returning(Webhook::as_returning())
            .get_result(conn)
            .await
    } else {
        diesel::update(target)
            .set((
                webhooks::is_active.eq(false),
                webhooks::disabled_at.eq(Some(Utc::now())),
            ))
            .returning(Webhook::as_returning())
            .get_result(conn)
            .await
    };
    updated.optional()
}

/// A successful delivery resets the consecutive-failure count.
pub async fn record_success(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(
        webhooks::table
            .find(id)
            .filter(webhooks::failure_count.gt(0)),
    )
    .set(webhooks::failure_count.eq(0))
    .execute(conn)
    .await
    .map(drop)
}
