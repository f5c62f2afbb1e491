//! Team: listing, inviting (and accepting), role changes and removals.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, TEST_PASSWORD, TestApp, TestUser, spawn_app, token_from_link};

async fn invite(app: &TestApp, by: &TestUser, email: &str, role: &str) -> reqwest::Response {
    app.authed(Method::POST, "/api/users/invite", by)
        .json(&json!({"email": email, "role": role}))
        .sent()
        .await
}

async fn code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn list_users_is_paginated_and_scoped_to_the_organization() {
    let app = spawn_app().await;
    let owner = app.register().await;
    app.add_user(&owner.organization_id, "member", "a").await;
    app.add_user(&owner.organization_id, "admin", "b").await;
    app.register().await; // another organization

    let response = app
        .authed(Method::GET, "/api/users?page=1&limit=2", &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total"], 3);
    assert_eq!(body["pageSize"], 2);
    assert_eq!(body["totalPages"], 2);
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(body["data"][0]["organizationId"] == owner.organization_id.to_string());

    let bad = app
        .authed(Method::GET, "/api/users?limit=0", &owner)
        .sent()
        .await;
    assert_eq!(bad.status(), 422);
    let bad = app
        .authed(Method::GET, "/api/users?page=0", &owner)
        .sent()
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(app.get("/api/users").await.status(), 401);
}

#[tokio::test]
async fn an_invitation_is_mailed_accepted_once_and_audited() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let response = invite(&app, &owner, "New.Person@Example.com", "admin").await;
    assert_eq!(response.status(), 201);
    let invitation: Value = response.json().await.unwrap();
    assert_eq!(invitation["email"], "new.person@example.com");
    assert_eq!(invitation["role"], "admin");
    assert!(invitation.get("token").is_none());

    let mail = app
        .outbox_data("new.person@example.com", "invitation")
        .await
        .expect("invitation mail");
    let link = mail["link"].as_str().unwrap();
    assert!(link.starts_with("http://localhost:3000/accept-invite?token=esi_"));
    let token = token_from_link(link);

    let bad = app
        .post_json("/api/auth/accept-invite", &json!({"token": token}))
        .await;
    assert_eq!(bad.status(), 422);
    let response = app
        .post_json(
            "/api/auth/accept-invite",
            &json!({"token": token, "name": "New Person", "password": "password123"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["user"]["role"], "admin");
    assert_eq!(
        accepted["user"]["organizationId"],
        owner.organization_id.to_string()
    );
    let joined = app
        .client
        .get(app.url("/api/user/profile"))
        .bearer_auth(accepted["token"].as_str().unwrap())
        .send()
        .await;
    assert_eq!(joined.unwrap().status(), 200);
    assert_eq!(
        app.login("new.person@example.com", "password123")
            .await
            .status(),
        200
    );

    let again = app
        .post_json(
            "/api/auth/accept-invite",
            &json!({"token": token, "name": "Again", "password": "password123"}),
        )
        .await;
    assert_eq!(again.status(), 400);
    assert_eq!(code(again).await, "invalid_token");

    let actions = app.audit_actions(owner.organization_id).await;
    assert!(
        actions.contains(&"invitation.created".to_owned())
            && actions.contains(&"user.joined".to_owned())
    );
}

#[tokio::test]
async fn invitations_conflict_with_members_and_pending_invitations() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    let response = invite(&app, &owner, &member.email.to_uppercase(), "member").await;
    assert_eq!(response.status(), 409);
    assert_eq!(code(response).await, "already_member");

    assert_eq!(
        invite(&app, &owner, "twice@example.com", "member")
            .await
            .status(),
        201
    );
    let response = invite(&app, &owner, "TWICE@example.com", "admin").await;
    assert_eq!(response.status(), 409);
    assert_eq!(code(response).await, "already_invited");

    // Once expired, the address can be invited again.
    app.execute_sql("UPDATE invitations SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        invite(&app, &owner, "twice@example.com", "member")
            .await
            .status(),
        201
    );

    let response = invite(&app, &owner, "x@example.com", "owner").await;
    assert_eq!(response.status(), 422);
    let response = invite(&app, &owner, "not-an-email", "member").await;
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["details"]["fields"]["email"].is_string());
}

#[tokio::test]
async fn invitations_stop_at_the_plan_user_limit() {
    let app = spawn_app().await;
    let owner = app.register().await;
    app.execute_sql(&format!(
        "UPDATE organizations SET max_users = 3 WHERE id = '{}'",
        owner.organization_id
    ))
    .await;
    app.add_user(&owner.organization_id, "member", "m").await;
    assert_eq!(
        invite(&app, &owner, "one@example.com", "member")
            .await
            .status(),
        201
    );
    // Two users and one pending invitation fill three seats.
    let response = invite(&app, &owner, "two@example.com", "member").await;
    assert_eq!(response.status(), 403);
    assert_eq!(code(response).await, "plan_limit_reached");
}

#[tokio::test]
async fn members_cannot_manage_the_team() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    assert_eq!(
        invite(&app, &member, "x@example.com", "member")
            .await
            .status(),
        403
    );
    let path = format!("/api/users/{}", owner.user_id);
    let patch = app
        .authed(Method::PATCH, &path, &member)
        .json(&json!({"role": "member"}))
        .sent()
        .await;
    assert_eq!(patch.status(), 403);
    assert_eq!(
        app.authed(Method::DELETE, &path, &member)
            .sent()
            .await
            .status(),
        403
    );
    // Listing the team is open to members.
    assert_eq!(
        app.authed(Method::GET, "/api/users", &member)
            .sent()
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_role_change_applies_at_once_and_is_audited() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    let path = format!("/api/users/{}", member.user_id);
    let response = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({"role": "admin"}))
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["role"], "admin");
    // The old session carried the old role: it is gone.
    assert_eq!(
        app.authed(Method::GET, "/api/user/profile", &member)
            .sent()
            .await
            .status(),
        401
    );
    assert!(
        app.audit_actions(owner.organization_id)
            .await
            .contains(&"user.role_changed".to_owned())
    );

    let bad = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({"role": "boss"}))
        .sent()
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_and_admins_cannot_touch_owners() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let own_path = format!("/api/users/{}", owner.user_id);
    let response = app
        .authed(Method::PATCH, &own_path, &owner)
        .json(&json!({"role": "admin"}))
        .sent()
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(code(response).await, "last_owner");

    let admin = app.add_user(&owner.organization_id, "admin", "a").await;
    let response = app
        .authed(Method::PATCH, &own_path, &admin)
        .json(&json!({"role": "member"}))
        .sent()
        .await;
    assert_eq!(response.status(), 403);
    let admin_path = format!("/api/users/{}", admin.user_id);
    let response = app
        .authed(Method::PATCH, &admin_path, &admin)
        .json(&json!({"role": "owner"}))
        .sent()
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        app.authed(Method::DELETE, &own_path, &admin)
            .sent()
            .await
            .status(),
        403
    );

    // With a second owner, the first may step down.
    let response = app
        .authed(Method::PATCH, &admin_path, &owner)
        .json(&json!({"role": "owner"}))
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .authed(Method::PATCH, &own_path, &owner)
        .json(&json!({"role": "member"}))
        .sent()
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn removing_users() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    app.set_password(member.user_id, TEST_PASSWORD).await;

    let own = format!("/api/users/{}", owner.user_id);
    let response = app.authed(Method::DELETE, &own, &owner).sent().await;
    assert_eq!(response.status(), 409);
    assert_eq!(code(response).await, "cannot_remove_self");

    let path = format!("/api/users/{}", member.user_id);
    assert_eq!(
        app.authed(Method::DELETE, &path, &owner)
            .sent()
            .await
            .status(),
        204
    );
    assert_eq!(
        app.authed(Method::GET, "/api/user/profile", &member)
            .sent()
            .await
            .status(),
        401
    );
    assert_eq!(app.login(&member.email, TEST_PASSWORD).await.status(), 401);
    assert_eq!(
        app.authed(Method::DELETE, &path, &owner)
            .sent()
            .await
            .status(),
        404
    );
    assert!(
        app.audit_actions(owner.organization_id)
            .await
            .contains(&"user.deleted".to_owned())
    );
}

#[tokio::test]
async fn another_organizations_users_are_404() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let path = format!("/api/users/{}", stranger.user_id);
    let patch = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({"role": "member"}))
        .sent()
        .await;
    assert_eq!(patch.status(), 404);
    assert_eq!(
        app.authed(Method::DELETE, &path, &owner)
            .sent()
            .await
            .status(),
        404
    );
    let malformed = app
        .authed(Method::DELETE, "/api/users/not-a-uuid", &owner)
        .sent()
        .await;
    assert_eq!(malformed.status(), 404);
    // The stranger is untouched.
    assert_eq!(
        app.authed(Method::GET, "/api/user/profile", &stranger)
            .sent()
            .await
            .status(),
        200
    );
    // Inviting someone who belongs elsewhere does not reveal it; accepting does.
    assert_eq!(
        invite(&app, &owner, &stranger.email, "member")
            .await
            .status(),
        201
    );
    let mail = app
        .outbox_data(&stranger.email, "invitation")
        .await
        .unwrap();
    let token = token_from_link(mail["link"].as_str().unwrap());
    let response = app
        .post_json(
            "/api/auth/accept-invite",
            &json!({"token": token, "name": "S", "password": "password123"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(code(response).await, "email_taken");
}
