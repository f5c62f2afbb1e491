//! Pending invitations: listed and withdrawn by owners and admins; a
//! withdrawn invitation's link stops working and its seat is free again.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, TEST_PASSWORD, spawn_app, token_from_link};

#[tokio::test]
async fn invitations_are_listed_and_revoked() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let invite = app
        .authed(Method::POST, "/api/users/invite", &owner)
        .json(&json!({"email": "new.hire@example.com", "role": "member"}))
        .sent()
        .await;
    assert_eq!(invite.status(), 201);
    let invitation: Value = invite.json().await.unwrap();
    let id = invitation["id"].as_str().unwrap();

    let list = app
        .authed(Method::GET, "/api/invitations", &owner)
        .sent()
        .await;
    assert_eq!(list.status(), 200);
    let text = list.text().await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["email"], "new.hire@example.com");
    assert_eq!(list["data"][0]["status"], "pending");
    let link = app
        .outbox_data("new.hire@example.com", "invitation")
        .await
        .unwrap()["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = token_from_link(&link);
    assert!(!text.contains(&token), "the list never shows a token");

    // Members may not, other organizations get 404.
    let member = app.add_user(&owner.organization_id, "member", "inv").await;
    let path = format!("/api/invitations/{id}");
    assert_eq!(
        app.authed(Method::GET, "/api/invitations", &member)
            .sent()
            .await
            .status(),
        403
    );
    assert_eq!(
        app.authed(Method::DELETE, &path, &member)
            .sent()
            .await
            .status(),
        403
    );
    let stranger = app.register().await;
    assert_eq!(
        app.authed(Method::DELETE, &path, &stranger)
            .sent()
            .await
            .status(),
        404
    );

    assert_eq!(
        app.authed(Method::DELETE, &path, &owner)
            .sent()
            .await
            .status(),
        204
    );
    assert_eq!(
        app.authed(Method::DELETE, &path, &owner)
            .sent()
            .await
            .status(),
        404
    );
    let list: Value = app
        .authed(Method::GET, "/api/invitations", &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    let accept = app
        .post_json(
            "/api/auth/accept-invite",
            &json!({"token": token, "name": "New Hire", "password": TEST_PASSWORD}),
        )
        .await;
    assert!(
        accept.status().is_client_error(),
        "a revoked invitation cannot be accepted"
    );
    assert!(
        app.audit_actions(owner.organization_id)
            .await
            .contains(&"invitation.revoked".to_owned())
    );
}
