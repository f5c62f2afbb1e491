//! Knowledge base: stats, entries CRUD with roles and tenant isolation, and
//! the ranked full-text search with web-search syntax and odd input.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test on purpose")]

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, TestApp, TestUser, spawn_app};

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let response = app
        .authed(Method::POST, "/api/knowledge-base/entries", user)
        .json(&body)
        .sent()
        .await;
    assert_eq!(response.status(), 201, "{body}");
    response.json().await.unwrap()
}

async fn search(app: &TestApp, user: &TestUser, body: Value) -> (u16, Value) {
    let response = app
        .authed(Method::POST, "/api/knowledge-base/search", user)
        .json(&body)
        .sent()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn titles(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect()
}

/// A small corpus: refunds, shipping, a phrase, categories and tags.
async fn corpus(app: &TestApp, user: &TestUser) {
    let entries = [
        json!({"title": "Refund policy", "content": "Customers may request a refund within 30 days. Refunds are paid to the original card.", "category": "billing", "tags": ["policy", "money"]}),
        json!({"title": "Shipping times", "content": "Orders ship within two business days. Express shipping arrives next day.", "category": "logistics", "tags": ["shipping"]}),
        json!({"title": "Card payments", "content": "We accept credit card payments and refunding is automatic for cancelled orders.", "category": "billing", "tags": ["money"]}),
        json!({"title": "Opening hours", "content": "The support team answers calls from nine to five on weekdays.", "tags": ["support"]}),
        json!({"title": "Phrase order", "content": "The policy refund text puts words in another order than the phrase.", "category": "misc"}),
    ];
    for entry in entries {
        create(app, user, entry).await;
    }
}

#[tokio::test]
async fn search_finds_stemmed_words_ranks_and_highlights() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    corpus(&app, &user).await;

    // "refunds" stems to "refund": it finds "refund", "Refunds" and "refunding".
    let (status, body) = search(&app, &user, json!({"query": "refunds"})).await;
    assert_eq!(status, 200, "{body}");
    let found = titles(&body);
    assert!(found.contains(&"Refund policy".to_owned()), "{body}");
    assert!(found.contains(&"Card payments".to_owned()), "{body}");
    assert!(!found.contains(&"Shipping times".to_owned()));
    // The title match (weight A) ranks first.
    assert_eq!(found[0], "Refund policy");
    assert_eq!(body["total"], found.len());
    assert_eq!(body["query"], "refunds");
    let first = &body["results"][0];
    assert!(
        first["snippet"].as_str().unwrap().contains("<mark>"),
        "{first}"
    );
    assert!(first["rank"].as_f64().unwrap() > 0.0);
    assert_eq!(first["category"], "billing");
    assert_eq!(first["tags"], json!(["policy", "money"]));
    assert!(first["documentId"].is_null());
    assert!(first["id"].is_string());
}

#[tokio::test]
async fn search_supports_phrases_exclusion_or_and_filters() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    corpus(&app, &user).await;

    // A quoted phrase needs the words adjacent and in order.
    let (_, body) = search(&app, &user, json!({"query": "\"refund policy\""})).await;
    assert_eq!(titles(&body), vec!["Refund policy"], "{body}");
    let (_, body) = search(&app, &user, json!({"query": "policy refund"})).await;
    assert_eq!(
        titles(&body).len(),
        2,
        "unquoted words match in any order: {body}"
    );

    // -word excludes.
    let (_, body) = search(&app, &user, json!({"query": "refund -card"})).await;
    assert_eq!(titles(&body), vec!["Phrase order"], "{body}");

    // or.
    let (_, body) = search(&app, &user, json!({"query": "shipping or weekdays"})).await;
    let mut found = titles(&body);
    found.sort();
    assert_eq!(found, vec!["Opening hours", "Shipping times"], "{body}");

    // Category and tags filter (tags: any of them).
    let (_, body) = search(&app, &user, json!({"query": "refund", "category": "misc"})).await;
    assert_eq!(titles(&body), vec!["Phrase order"]);
    let (_, body) = search(&app, &user, json!({"query": "refund", "tags": ["policy"]})).await;
    assert_eq!(titles(&body), vec!["Refund policy"]);
    let (_, body) = search(
        &app,
        &user,
        json!({"query": "refund", "tags": ["support", "money"]}),
    )
    .await;
    assert_eq!(titles(&body).len(), 2);
    let (_, body) = search(&app, &user, json!({"query": "refund", "maxResults": 1})).await;
    assert_eq!(titles(&body).len(), 1);
}

#[tokio::test]
async fn search_rejects_blank_queries_and_never_fails_on_odd_input() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    corpus(&app, &user).await;

    for body in [json!({"query": ""}), json!({"query": "   \n\t"}), json!({})] {
        let (status, answer) = search(&app, &user, body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["error"]["details"]["fields"]["query"].is_string(),
            "{answer}"
        );
    }
    for max in [json!(0), json!(51), json!(-1), json!(1.5), json!(1e300)] {
        let (status, answer) =
            search(&app, &user, json!({"query": "refund", "maxResults": max})).await;
        assert_eq!(status, 422, "{max}");
        assert!(answer["error"]["details"]["fields"]["maxResults"].is_string());
    }
    // A JSON number: 2.0 is the integer 2, as JSON Schema reads it.
    let (status, body) = search(&app, &user, json!({"query": "refund", "maxResults": 2.0})).await;
    assert_eq!(status, 200, "{body}");
    // Stop words only: nothing to search for, and no error.
    let (status, body) = search(&app, &user, json!({"query": "the and of"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"], json!([]));
    assert_eq!(body["total"], 0);

    let odd = [
        "\"",
        "\"\"\"",
        "'",
        "-",
        "--",
        "- -",
        "or",
        "-refund",
        "!",
        "&|!():*",
        "refund:* & !",
        "\\",
        "\u{0}",
        "<mark>",
        "'; DROP TABLE knowledge_base_entries; --",
        "😀 émoji",
        "refund\"",
        "\"refund",
    ];
    for query in odd {
        let (status, body) = search(&app, &user, json!({"query": query})).await;
        assert!(
            status == 200 || status == 422,
            "query {query:?} answered {status}: {body}"
        );
    }
    let long = "refund ".repeat(1_500);
    let (status, body) = search(&app, &user, json!({"query": long})).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = search(&app, &user, json!({"query": "x".repeat(10_000)})).await;
    assert_eq!(status, 422);
    let (status, _) = search(&app, &user, json!({"query": "refund ".repeat(140)})).await;
    assert_eq!(status, 200);
    let (status, _) = search(&app, &user, json!({"query": "x".repeat(999)})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn search_and_stats_see_only_the_callers_organization() {
    let app = spawn_app().await;
    let alice = app.new_org_user("owner").await;
    let bob = app.new_org_user("owner").await;
    corpus(&app, &alice).await;

    let (_, body) = search(&app, &bob, json!({"query": "refund"})).await;
    assert_eq!(body["results"], json!([]));
    let stats: Value = app
        .authed(Method::GET, "/api/knowledge-base/stats", &bob)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["totalEntries"], 0);
    assert!(stats["lastUpdated"].is_null());
    assert_eq!(stats["categories"], json!([]));
}

#[tokio::test]
async fn stats_count_entries_categories_documents_and_agents() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    corpus(&app, &user).await;
    let response = app
        .authed(Method::GET, "/api/knowledge-base/stats", &user)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let stats: Value = response.json().await.unwrap();
    assert_eq!(stats["totalEntries"], 5);
    assert_eq!(stats["totalDocuments"], 0);
    assert_eq!(stats["activeAgents"], 0);
    assert!(stats["lastUpdated"].is_string());
    let categories = stats["categories"].as_array().unwrap();
    assert_eq!(categories[0], json!({"category": "billing", "count": 2}));
    assert_eq!(categories.len(), 4);
    assert!(categories.contains(&json!({"category": null, "count": 1})));
    assert_eq!(app.get("/api/knowledge-base/stats").await.status(), 401);
}

#[tokio::test]
async fn entries_crud_with_roles() {
    let app = spawn_app().await;
    let member = app.new_org_user("member").await;
    let admin = app.add_user(&member.organization_id, "admin", "kb").await;

    let entry = create(
        &app,
        &member,
        json!({"title": "  Returns  ", "content": "Return items within 14 days.", "category": "billing", "tags": ["a", "a", " b "], "metadata": {"source": "manual"}}),
    )
    .await;
    assert_eq!(entry["title"], "Returns");
    assert_eq!(entry["tags"], json!(["a", "b"]));
    assert_eq!(entry["metadata"], json!({"source": "manual"}));
    assert_eq!(entry["createdBy"], json!(member.user_id));
    let id = entry["id"].as_str().unwrap().to_owned();
    let path = format!("/api/knowledge-base/entries/{id}");

    let got: Value = app
        .authed(Method::GET, &path, &member)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["content"], "Return items within 14 days.");

    let list = app
        .authed(
            Method::GET,
            "/api/knowledge-base/entries?page=1&limit=10",
            &member,
        )
        .sent()
        .await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["pageSize"], 10);
    assert_eq!(list["totalPages"], 1);
    assert_eq!(list["data"][0]["id"], json!(id));
    for bad in ["?page=0", "?limit=0", "?limit=101", "?page=x"] {
        let r = app
            .authed(
                Method::GET,
                &format!("/api/knowledge-base/entries{bad}"),
                &member,
            )
            .sent()
            .await;
        assert_eq!(r.status(), 422, "{bad}");
    }

    // PATCH: given fields change, category null clears, others stay.
    let patched = app
        .authed(Method::PATCH, &path, &member)
        .json(&json!({"content": "Return items within 30 days.", "category": null}))
        .sent()
        .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["content"], "Return items within 30 days.");
    assert!(patched["category"].is_null());
    assert_eq!(patched["title"], "Returns");
    let (_, found) = search(&app, &member, json!({"query": "30 days"})).await;
    assert_eq!(
        titles(&found),
        vec!["Returns"],
        "the search vector follows updates"
    );

    let empty = app
        .authed(Method::PATCH, &path, &member)
        .json(&json!({}))
        .sent()
        .await;
    assert_eq!(empty.status(), 422);
    // Only `category` is cleared by null; elsewhere null is refused, as the
    // schema says (it used to read as "absent").
    for field in ["title", "content", "tags", "metadata"] {
        let r = app
            .authed(Method::PATCH, &path, &member)
            .json(&json!({ field: null }))
            .sent()
            .await;
        assert_eq!(r.status(), 422, "{field}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["error"]["details"]["fields"][field],
            "must not be null"
        );
    }

    // Members may not delete; admins may.
    let r = app.authed(Method::DELETE, &path, &member).sent().await;
    assert_eq!(r.status(), 403);
    let r = app.authed(Method::DELETE, &path, &admin).sent().await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.authed(Method::GET, &path, &member)
            .sent()
            .await
            .status(),
        404
    );
    assert_eq!(
        app.authed(Method::DELETE, &path, &admin)
            .sent()
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn entry_validation_and_body_errors() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let url = "/api/knowledge-base/entries";

    let r = app
        .authed(Method::POST, url, &user)
        .json(&json!({}))
        .sent()
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let fields = &body["error"]["details"]["fields"];
    assert!(
        fields["title"].is_string() && fields["content"].is_string(),
        "{body}"
    );

    let r = app
        .authed(Method::POST, url, &user)
        .json(&json!({"title": " ", "content": "x", "category": "", "tags": [""], "metadata": [1]}))
        .sent()
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let fields = &body["error"]["details"]["fields"];
    for field in ["title", "category", "tags", "metadata"] {
        assert!(fields[field].is_string(), "{field}: {body}");
    }
    let r = app
        .authed(Method::POST, url, &user)
        .json(&json!({"title": "t".repeat(501), "content": "x"}))
        .sent()
        .await;
    assert_eq!(r.status(), 422);

    let r = app
        .authed(Method::POST, url, &user)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .sent()
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .authed(Method::POST, url, &user)
        .header("content-type", "text/plain")
        .body("hi")
        .sent()
        .await;
    assert_eq!(r.status(), 415);
    let r = app
        .authed(Method::POST, "/api/knowledge-base/search", &user)
        .body("query=x")
        .sent()
        .await;
    assert_eq!(r.status(), 415);
    let r = app
        .client
        .post(app.url(url))
        .json(&json!({"title": "a", "content": "b"}))
        .sent()
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/api/knowledge-base/search"))
        .json(&json!({"query": "a"}))
        .sent()
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn another_organizations_entry_and_malformed_ids_are_404() {
    let app = spawn_app().await;
    let alice = app.new_org_user("owner").await;
    let bob = app.new_org_user("owner").await;
    let entry = create(
        &app,
        &alice,
        json!({"title": "Secret", "content": "Alice only"}),
    )
    .await;
    let path = format!(
        "/api/knowledge-base/entries/{}",
        entry["id"].as_str().unwrap()
    );

    for p in [
        path.as_str(),
        "/api/knowledge-base/entries/not-a-uuid",
        "/api/knowledge-base/entries/00000000-0000-0000-0000-000000000000",
    ] {
        let r = app.authed(Method::GET, p, &bob).sent().await;
        assert_eq!(r.status(), 404, "{p}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        let r = app
            .authed(Method::PATCH, p, &bob)
            .json(&json!({"title": "mine"}))
            .sent()
            .await;
        assert_eq!(r.status(), 404, "{p}");
        let r = app.authed(Method::DELETE, p, &bob).sent().await;
        assert_eq!(r.status(), 404, "{p}");
    }
    let still: Value = app
        .authed(Method::GET, &path, &alice)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["title"], "Secret");
}
