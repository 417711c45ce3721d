//! `/settings/webhooks` over HTTP: adding (URL checked, the SSRF guard,
//! CSRF required), the secret shown, "send test" reaching a receiver that
//! verifies the signature, the state of a failing webhook and its log,
//! enable/disable, delete, and another user's webhooks staying out of reach.

mod common;
mod ui_support;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use tributary_fetch::FetchConfig;
use tributary_web::WebConfig;
use tributary_webhooks::testing::Receiver;
use tributary_webhooks::{Deliverer, WebhookConfig};
use ui_support::{entry, feed_with_entries, unescape};

async fn open_server() -> common::Server {
    common::Server::start_configured(
        |_| WebConfig::default(),
        Some(FetchConfig {
            allow_private_networks: true,
            ..FetchConfig::default()
        }),
    )
    .await
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn add_show_test_disable_and_delete_a_webhook() {
    let server = open_server().await;
    let ann = server.user("ann", "correct horse", false).await;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;
    let receiver = Receiver::start("set below").await.unwrap();

    let page = client
        .get(server.url("/settings/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    common::assert_security_headers("webhooks page", &page);
    let html = page.text().await.unwrap();
    assert!(html.contains("No webhooks yet."));
    assert!(html.contains(r#"action="/settings/webhooks""#));
    assert!(html.contains(r#"name="csrf""#));
    let account = client
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains(r#"href="/settings/webhooks""#),
        "linked from every page"
    );

    // No CSRF token: refused, nothing added.
    let r = client
        .post(server.url("/settings/webhooks"))
        .form(&[("url", receiver.url())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(server.store.webhooks(ann.id).await.unwrap().is_empty());

    // A bad URL and an unknown category are named.
    let r = client
        .post(server.url("/settings/webhooks"))
        .form(&[("url", "ftp://x.example/"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = unescape(&r.text().await.unwrap());
    assert!(html.contains(r#"id="e-url""#), "{html}");
    assert!(html.contains("ftp://x.example/"), "the typed URL is kept");
    let r = client
        .post(server.url("/settings/webhooks"))
        .form(&[
            ("url", receiver.url().as_str()),
            ("category", "Nowhere"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Choose one of your categories."));

    let r = client
        .post(server.url("/settings/webhooks"))
        .form(&[("url", receiver.url().as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let hooks = server.store.webhooks(ann.id).await.unwrap();
    assert_eq!(hooks.len(), 1);
    let hook = hooks[0].clone();
    assert_eq!(
        location(&r),
        format!("/settings/webhooks/{}?done=added", hook.id)
    );
    receiver.set_secret(&hook.secret);

    let detail = client.get(server.url(&location(&r))).send().await.unwrap();
    common::assert_security_headers("webhook page", &detail);
    let html = unescape(&detail.text().await.unwrap());
    assert!(html.contains(&hook.secret), "the secret is shown");
    assert!(html.contains("nothing sent yet"));
    assert!(html.contains("Webhook added."));

    // Send test: a signed ping reaches the receiver and is logged.
    let r = client
        .post(server.url(&format!("/settings/webhooks/{}/test", hook.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).contains("done=ping-ok"), "{}", location(&r));
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].verified);
    assert_eq!(got[0].event, "ping");
    let html = client
        .get(server.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Test ping delivered."));
    assert!(
        html.contains(&got[0].delivery_id),
        "the log row names the delivery"
    );

    // Disable and enable.
    let r = client
        .post(server.url(&format!("/settings/webhooks/{}/disable", hook.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!server.store.webhook(ann.id, hook.id).await.unwrap().enabled);
    let list = client
        .get(server.url("/settings/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(r#"data-state="disabled""#), "{list}");
    client
        .post(server.url(&format!("/settings/webhooks/{}/enable", hook.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(server.store.webhook(ann.id, hook.id).await.unwrap().enabled);

    // Delete (CSRF required).
    let r = client
        .post(server.url(&format!("/settings/webhooks/{}/delete", hook.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client
        .post(server.url(&format!("/settings/webhooks/{}/delete", hook.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/settings/webhooks?done=deleted");
    assert!(server.store.webhooks(ann.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_webhook_shows_since_when_the_next_attempt_and_the_log() {
    let server = open_server().await;
    let ann = server.user("ann", "correct horse", false).await;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;
    let receiver = Receiver::start("x").await.unwrap();
    let r = client
        .post(server.url("/settings/webhooks"))
        .form(&[("url", receiver.url().as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let hook = server.store.webhooks(ann.id).await.unwrap()[0].clone();
    receiver.set_secret(&hook.secret);
    receiver.fail_next(1, 503, Some(600));
    feed_with_entries(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        "Ann's feed",
        &[],
        vec![entry("e1", "One", Utc::now() - Duration::hours(1))],
    )
    .await;
    let deliverer = Deliverer::new(
        server.store.clone(),
        server.state.refresher.as_ref().unwrap().fetcher().clone(),
        WebhookConfig {
            settle: std::time::Duration::ZERO,
            ..WebhookConfig::default()
        },
    );
    let report = deliverer.pass(Utc::now(), false).await;
    assert_eq!(report.failures, 1);

    let list = client
        .get(server.url("/settings/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(r#"data-state="failing""#), "{list}");
    assert!(list.contains("failing since"));
    let html = client
        .get(server.url(&format!("/settings/webhooks/{}", hook.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Next attempt"), "{html}");
    assert!(html.contains("HTTP 503"), "the error is in the log");
    assert!(html.contains("a batch of 1 entries"));
    assert!(html.contains(r#"class="failed""#));
}

#[tokio::test]
async fn private_addresses_are_refused_when_the_guard_is_closed() {
    let server =
        common::Server::start_configured(|_| WebConfig::default(), Some(FetchConfig::default()))
            .await;
    let ann = server.user("ann", "correct horse", false).await;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.7/hook",
        "http://localhost:9/",
    ] {
        let r = client
            .post(server.url("/settings/webhooks"))
            .form(&[("url", url), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{url}");
        let html = r.text().await.unwrap();
        assert!(html.contains(r#"id="e-url""#), "{url}: {html}");
    }
    assert!(server.store.webhooks(ann.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn another_users_webhooks_are_not_found_and_stay_unchanged() {
    let server = open_server().await;
    let ann = server.user("ann", "correct horse", false).await;
    server.user("bob", "battery staple", false).await;
    let hook = server
        .store
        .webhook_create(
            ann.id,
            &tributary_store::NewWebhook {
                url: "https://ann.example/hook".into(),
                secret: "s".repeat(40),
                category: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let bob = server.login("bob", "battery staple").await;
    let csrf = server.csrf(&bob).await;
    let r = bob
        .get(server.url(&format!("/settings/webhooks/{}", hook.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list = bob
        .get(server.url("/settings/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("ann.example"));
    for action in ["disable", "delete", "test"] {
        let r = bob
            .post(server.url(&format!("/settings/webhooks/{}/{action}", hook.id)))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let still = server.store.webhook(ann.id, hook.id).await.unwrap();
    assert!(still.enabled);
    let r = bob
        .get(server.url("/settings/webhooks/not-a-number"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Signed out: to the login page.
    let r = server
        .client()
        .get(server.url("/settings/webhooks"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
}
