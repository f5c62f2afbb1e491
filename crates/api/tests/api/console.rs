//! The operator console at `/admin`: sign-in with the operator token only,
//! the session cookie's attributes, CSRF on every action, the audit of each
//! action, and pages that show the new state.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use storage::models::email_outbox;

use crate::admin::{TOKEN, dead_mail, operator_app};
use crate::helpers::{TestApp, spawn_app};

/// Signs in; the session cookie (`name=value`) and the page's CSRF token.
async fn sign_in(app: &TestApp) -> (String, String) {
    let response = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/admin");
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let page = page(app, "/admin", &cookie).await;
    (cookie, csrf_of(&page))
}

fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

async fn page(app: &TestApp, path: &str, cookie: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn act(app: &TestApp, path: &str, cookie: &str, csrf: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(COOKIE, cookie)
        .form(&[("csrf", csrf), ("back", "/admin")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_in_sets_a_strict_session_cookie_and_opens_the_console() {
    let app = operator_app().await;
    let anonymous = app.get("/admin").await;
    assert_eq!(anonymous.status(), 401);
    let body = anonymous.text().await.unwrap();
    assert!(body.contains(r#"name="token""#), "the sign-in form");
    assert!(
        !body.contains("document-processing"),
        "no data without a session"
    );

    let response = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Max-Age=28800",
    ] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let behind_tls = app
        .client
        .post(app.url("/admin/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert!(
        behind_tls.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Secure")
    );

    let cookie = set.split(';').next().unwrap();
    let response = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("https:"),
        "{csp}"
    );
    let body = response.text().await.unwrap();
    for queue in jobs::Queue::ALL {
        assert!(
            body.contains(&format!(r#"data-queue="{queue}""#)),
            "{queue}"
        );
    }
    assert!(body.contains("No live worker process"));
    let css = app.get("/admin/assets/console.css").await;
    assert_eq!(css.status(), 200);
}

#[tokio::test]
async fn wrong_tokens_and_organization_tokens_get_the_sign_in_page() {
    let app = operator_app().await;
    let owner = app.new_org_user("owner").await;
    for token in ["wrong-token-0123456789abcdef", "", &owner.token] {
        let response = app
            .client
            .post(app.url("/admin/login"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{token}");
        assert!(response.headers().get(SET_COOKIE).is_none());
        assert!(response.text().await.unwrap().contains(r#"name="token""#));
    }
    // A bearer token (an organization's, or even the operator's) is no session.
    for bearer in [&owner.token[..], TOKEN] {
        let response = app
            .client
            .get(app.url("/admin"))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert!(!response.text().await.unwrap().contains("data-queue"));
    }
    let forged = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, "esx_console=esc_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let without_admin = spawn_app().await;
    assert_eq!(without_admin.get("/admin").await.status(), 404);
    assert_eq!(without_admin.get("/admin/login").await.status(), 404);
}

#[tokio::test]
async fn actions_without_the_sessions_csrf_token_are_refused() {
    let app = operator_app().await;
    let (cookie, csrf) = sign_in(&app).await;
    let response = act(&app, "/admin/queues/email/pause", &cookie, "csrf_wrong").await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("csrf_failed"));
    let other = operator_app().await;
    let (_, other_csrf) = sign_in(&other).await;
    assert_eq!(
        act(&app, "/admin/queues/email/pause", &cookie, &other_csrf)
            .await
            .status(),
        403
    );
    let no_session = app
        .client
        .post(app.url("/admin/queues/email/pause"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(no_session.status(), 401);
    assert!(
        !app.state
            .jobs
            .queue_stats(jobs::Queue::Email)
            .await
            .unwrap()
            .paused
    );
    assert_eq!(
        act(&app, "/admin/queues/nope/pause", &cookie, &csrf)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn each_action_is_audited_and_the_page_shows_the_new_state() {
    let app = operator_app().await;
    app.leaves_jobs(
        jobs::Queue::Email,
        "the console retries a dead mail job; it waits for a worker this test does not run",
    );
    let (row, job) = dead_mail(&app).await;
    let (cookie, csrf) = sign_in(&app).await;

    let listed = page(&app, "/admin/queues/email?set=dead", &cookie).await;
    assert!(
        listed.contains(&format!(r#"data-job="{job}""#)),
        "the dead job is listed"
    );
    assert!(listed.contains("smtp said no") && listed.contains(&row.to_string()));
    let found = page(&app, &format!("/admin/jobs?queue=email&id={job}"), &cookie).await;
    assert!(found.contains(r#"data-state="dead""#));

    let response = act(&app, "/admin/queues/email/pause", &cookie, &csrf).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/admin");
    let overview = page(&app, "/admin", &cookie).await;
    assert!(overview.contains("Paused email"), "the action's message");
    assert!(
        app.state
            .jobs
            .queue_stats(jobs::Queue::Email)
            .await
            .unwrap()
            .paused
    );
    assert!(
        !page(&app, "/admin", &cookie).await.contains("Paused email"),
        "shown once"
    );

    let retry = format!("/admin/queues/email/jobs/{job}/retry");
    assert_eq!(act(&app, &retry, &cookie, &csrf).await.status(), 303);
    let stats = app
        .state
        .jobs
        .queue_stats(jobs::Queue::Email)
        .await
        .unwrap();
    assert_eq!((stats.dead, stats.pending), (0, 1));
    let mut conn = app.state.db.get().await.unwrap();
    let mail = email_outbox::find_by_id(&mut conn, row)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mail.status, "queued", "the row got a fresh attempt budget");
    act(&app, &retry, &cookie, &csrf).await;
    assert!(page(&app, "/admin", &cookie).await.contains("is not dead"));

    let (_, second) = dead_mail(&app).await;
    let discard = format!("/admin/queues/email/jobs/{second}/discard");
    assert_eq!(act(&app, &discard, &cookie, &csrf).await.status(), 303);
    assert_eq!(
        app.state
            .jobs
            .queue_stats(jobs::Queue::Email)
            .await
            .unwrap()
            .dead,
        0
    );
    act(&app, "/admin/queues/email/dead/retry", &cookie, &csrf).await;
    act(&app, "/admin/queues/email/resume", &cookie, &csrf).await;

    let audit = app.state.jobs.audit_recent(20).await.unwrap();
    let trail: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        .map(|a| (a.action.as_str(), a.outcome.as_str()))
        .collect();
    assert_eq!(
        trail,
        [
            ("console.sign_in", "signed_in"),
            ("queue.pause", "paused"),
            ("job.retry", "retried"),
            ("job.retry", "not_found"),
            ("job.discard", "discarded"),
            ("queue.retry_dead", "retried"),
            ("queue.resume", "resumed"),
        ]
    );
    let actor = &audit[0].actor;
    assert!(actor.starts_with("console-") && audit.iter().all(|a| &a.actor == actor));
    assert_eq!(audit[0].queue.as_deref(), Some("email"));
    assert!(audit.iter().all(|a| a.ip.is_some()));
    let overview = page(&app, "/admin", &cookie).await;
    assert!(
        overview.contains("job.discard"),
        "the page lists recent actions"
    );

    // Signing out ends the session for good.
    assert_eq!(
        act(&app, "/admin/logout", &cookie, &csrf).await.status(),
        303
    );
    let after = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}
