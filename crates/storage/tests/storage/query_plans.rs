//! EXPLAIN of the hot queries, as the storage functions emit them (with their
//! real bind values), on tables holding tens of thousands of rows over 120
//! organizations: each must use its index, never a sequential scan.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use storage::models::{agents, call_logs, documents, knowledge_base, webhook_deliveries};
use storage::pagination::PageRequest;
use storage::test_support::{TestDatabase, explain};
use uuid::Uuid;

/// Fills the hot tables set-based, then ANALYZEs so the planner sees them.
const FILL: &str = r#"
INSERT INTO organizations (name) SELECT 'Org ' || g FROM generate_series(1, 120) g;
INSERT INTO agents (organization_id, name, external_agent_id, is_active)
  SELECT o.id, 'Agent ' || g, o.id::text || '-' || g, g % 5 <> 0
  FROM organizations o, generate_series(1, 30) g;
INSERT INTO call_logs (organization_id, agent_id, conversation_id, status, duration_seconds, cost_micros, summary, started_at)
  SELECT a.organization_id, a.id, a.id::text || '-' || g,
         (ARRAY['completed','failed','no_answer','busy','in_progress'])[1 + g % 5],
         g % 600, g * 1000, 'caller asked about billing and refund policy ' || g,
         now() - (g || ' minutes')::interval
  FROM agents a, generate_series(1, 20) g;
INSERT INTO knowledge_base_entries (organization_id, title, content, category, tags)
  SELECT o.id, 'Article ' || g,
         (ARRAY['refund policy for annual plans','voice cloning setup guide','billing cycle and invoices',
                'webhook retries and signatures','latency tuning for agents'])[1 + g % 5] || ' part ' || g,
         (ARRAY['billing','voice','integrations'])[1 + g % 3], ARRAY['t' || (g % 7)]
  FROM organizations o, generate_series(1, 250) g;
INSERT INTO documents (organization_id, original_name, content_type, size_bytes, storage_key, status, updated_at)
  SELECT o.id, 'doc' || g || '.pdf', 'application/pdf', 1000, o.id::text || '/' || g,
         CASE WHEN g % 97 = 0 THEN 'queued' WHEN g % 89 = 0 THEN 'processing' ELSE 'completed' END,
         now() - (g || ' seconds')::interval
  FROM organizations o, generate_series(1, 200) g;
INSERT INTO webhooks (organization_id, url, encrypted_secret, events)
  SELECT id, 'https://example.com/hook', '\x00', ARRAY['call.completed'] FROM organizations;
INSERT INTO webhook_deliveries (organization_id, webhook_id, event, payload, status, next_attempt_at)
  SELECT w.organization_id, w.id, 'call.completed', '{}',
         CASE WHEN g % 101 = 0 THEN 'pending' WHEN g % 103 = 0 THEN 'failed' ELSE 'succeeded' END,
         now() - (g || ' seconds')::interval
  FROM webhooks w, generate_series(1, 250) g;
ANALYZE;
"#;

struct Fixture {
    _db: TestDatabase,
    conn: AsyncPgConnection,
    org: Uuid,
    agent: Uuid,
}

async fn fixture() -> Fixture {
    let db = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    conn.batch_execute(FILL).await.unwrap();
    let (org, agent): (Uuid, Uuid) = storage::schema::agents::table
        .select((
            storage::schema::agents::organization_id,
            storage::schema::agents::id,
        ))
        .order(storage::schema::agents::id)
        .first(&mut conn)
        .await
        .unwrap();
    Fixture {
        _db: db,
        conn,
        org,
        agent,
    }
}

/// The plan uses `index` and scans no table sequentially.
fn assert_uses(plan: &str, index: &str) {
    assert!(
        plan.contains(index),
        "expected index {index} in plan:\n{plan}"
    );
    assert!(
        !plan.contains("Seq Scan"),
        "sequential scan in plan:\n{plan}"
    );
}

#[tokio::test]
async fn hot_queries_use_their_indexes() {
    let mut f = fixture().await;
    let page = PageRequest::new(1, 20).unwrap();
    let deep = PageRequest::new(20, 20).unwrap();

    let q = agents::list_query(f.org, page).select(agents::Agent::as_select());
    println!("{}", diesel::debug_query::<diesel::pg::Pg, _>(&q));
    assert_uses(&explain(&mut f.conn, q).await, "agents_org_created_idx");

    let none = call_logs::CallLogFilter::default();
    let q = call_logs::page_query(f.org, &none, page, None).select(call_logs::CallLog::as_select());
    println!("{}", diesel::debug_query::<diesel::pg::Pg, _>(&q));
    assert_uses(&explain(&mut f.conn, q).await, "call_logs_org_started_idx");

    let q = call_logs::page_query(f.org, &none, deep, None).select(call_logs::CallLog::as_select());
    assert_uses(&explain(&mut f.conn, q).await, "call_logs_org_started_idx");

    let cursor = call_logs::Cursor {
        started_at: Utc::now() - Duration::minutes(10),
        id: Uuid::max(),
    };
    let q = call_logs::page_query(f.org, &none, page, Some(cursor))
        .select(call_logs::CallLog::as_select());
    assert_uses(&explain(&mut f.conn, q).await, "call_logs_org_started_idx");

    let by_agent = call_logs::CallLogFilter {
        agent_id: Some(f.agent),
        ..Default::default()
    };
    let q =
        call_logs::page_query(f.org, &by_agent, page, None).select(call_logs::CallLog::as_select());
    assert_uses(
        &explain(&mut f.conn, q).await,
        "call_logs_org_agent_started_idx",
    );

    let by_status = call_logs::CallLogFilter {
        status: Some("failed".into()),
        ..Default::default()
    };
    let q = call_logs::page_query(f.org, &by_status, page, None)
        .select(call_logs::CallLog::as_select());
    assert_uses(
        &explain(&mut f.conn, q).await,
        "call_logs_org_status_started_idx",
    );

    let search = knowledge_base::Search {
        query: "refund policy".into(),
        category: None,
        tags: None,
        limit: 10,
    };
    let q = knowledge_base::search_query(f.org, &search);
    println!("{}", diesel::debug_query::<diesel::pg::Pg, _>(&q));
    let plan = explain(&mut f.conn, q).await;
    assert!(
        plan.contains("knowledge_base_org_search_idx")
            || plan.contains("knowledge_base_org_created_idx"),
        "search must use an index:\n{plan}"
    );
    assert!(
        !plan.contains("Seq Scan"),
        "sequential scan in plan:\n{plan}"
    );

    let now = Utc::now();
    let q = documents::stalled_query(now, now - Duration::seconds(60), 100)
        .select(storage::schema::documents::id);
    assert_uses(&explain(&mut f.conn, q).await, "documents_pending_idx");

    let q = webhook_deliveries::due_query(now, 100).select(storage::schema::webhook_deliveries::id);
    assert_uses(&explain(&mut f.conn, q).await, "webhook_deliveries_due_idx");
}

#[tokio::test]
async fn hot_queries_return_only_the_callers_organization() {
    let mut f = fixture().await;
    let page = PageRequest::new(1, 100).unwrap();
    let agents = agents::list(&mut f.conn, f.org, page).await.unwrap();
    assert_eq!(agents.total, 30);
    assert!(agents.data.iter().all(|a| a.organization_id == f.org));
    let calls = call_logs::list(&mut f.conn, f.org, &Default::default(), page, None)
        .await
        .unwrap();
    assert_eq!(calls.total, 600);
    assert!(calls.data.iter().all(|c| c.organization_id == f.org));
    assert!(
        calls
            .data
            .windows(2)
            .all(|w| w[0].started_at >= w[1].started_at),
        "newest first"
    );
    let search = knowledge_base::Search {
        query: "\"refund policy\" -billing".into(),
        category: None,
        tags: None,
        limit: 5,
    };
    let hits = knowledge_base::search(&mut f.conn, f.org, &search)
        .await
        .unwrap();
    assert_eq!(hits.len(), 5);
    assert!(
        hits.iter().all(|h| h.snippet.contains("<mark>")),
        "snippets are highlighted"
    );
    let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
    let owners: Vec<Uuid> = storage::schema::knowledge_base_entries::table
        .filter(storage::schema::knowledge_base_entries::id.eq_any(&ids))
        .select(storage::schema::knowledge_base_entries::organization_id)
        .load(&mut f.conn)
        .await
        .unwrap();
    assert!(owners.iter().all(|o| *o == f.org));
}
