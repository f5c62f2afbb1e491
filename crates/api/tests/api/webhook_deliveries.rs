//! `GET /api/webhooks/{id}/deliveries` and `POST /api/webhooks/{id}/test`:
//! owner/admin only, tenant isolation, the test delivery queued.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobs::Queue;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::pending;
use crate::enqueue::{queued_row_ids, subscribe};
use crate::helpers::{RequestExt, spawn_app};

#[tokio::test]
async fn a_test_delivery_is_queued_and_listed() {
    let app = spawn_app().await;
    app.leaves_jobs(
        jobs::Queue::WebhookDelivery,
        "the test delivery is asserted queued; no delivery worker runs",
    );
    let admin = app.new_org_user("admin").await;
    let hook = subscribe(&app, &admin, &["call.completed"]).await;

    let response = app
        .authed(Method::POST, &format!("/api/webhooks/{hook}/test"), &admin)
        .sent()
        .await;
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let delivery: Uuid = body["deliveryId"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        queued_row_ids(&app, Queue::WebhookDelivery).await,
        vec![delivery]
    );
    assert_eq!(pending(&app, Queue::WebhookDelivery).await, 1);

    // An agent event this endpoint does not subscribe to adds nothing.
    let response = app
        .authed(Method::POST, "/api/agents", &admin)
        .json(&json!({ "name": "Reception" }))
        .sent()
        .await;
    assert_eq!(response.status(), 201);

    let response = app
        .authed(
            Method::GET,
            &format!("/api/webhooks/{hook}/deliveries?page=1&limit=10"),
            &admin,
        )
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pageSize"], 10);
    let row = &page["data"][0];
    assert_eq!(row["id"], delivery.to_string());
    assert_eq!(row["webhookId"], hook.to_string());
    assert_eq!(row["event"], "webhook.test");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["attempts"], 0);
    assert_eq!(row["responseStatus"], Value::Null);
    assert_eq!(row["payload"]["event"], "webhook.test");
    assert_eq!(
        row["payload"]["organizationId"],
        admin.organization_id.to_string()
    );
    assert_eq!(row["payload"]["data"]["webhookId"], hook.to_string());
    assert!(row["nextAttemptAt"].is_string() && row["createdAt"].is_string());

    let bad = app
        .authed(
            Method::GET,
            &format!("/api/webhooks/{hook}/deliveries?limit=0"),
            &admin,
        )
        .sent()
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn members_get_403_and_other_organizations_404() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let hook = subscribe(&app, &owner, &["agent.created"]).await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    let stranger = app.new_org_user("owner").await;

    for (method, path) in [
        (Method::GET, format!("/api/webhooks/{hook}/deliveries")),
        (Method::POST, format!("/api/webhooks/{hook}/test")),
    ] {
        let as_member = app.authed(method.clone(), &path, &member).sent().await;
        assert_eq!(as_member.status(), 403, "{path}");
        let as_stranger = app.authed(method.clone(), &path, &stranger).sent().await;
        assert_eq!(as_stranger.status(), 404, "{path}");
        let anonymous = app
            .client
            .request(method.clone(), app.url(&path))
            .sent()
            .await;
        assert_eq!(anonymous.status(), 401, "{path}");
    }
    for path in [
        format!("/api/webhooks/{}/deliveries", Uuid::new_v4()),
        format!("/api/webhooks/{}/test", Uuid::new_v4()),
        "/api/webhooks/not-a-uuid/deliveries".into(),
    ] {
        let method = if path.ends_with("/test") {
            Method::POST
        } else {
            Method::GET
        };
        assert_eq!(
            app.authed(method, &path, &owner).sent().await.status(),
            404,
            "{path}"
        );
    }
    assert_eq!(pending(&app, Queue::WebhookDelivery).await, 0);
}
