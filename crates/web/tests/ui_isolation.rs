//! Isolation in the UI: another user's feed, entry and category pages are
//! 404, and their forms change nothing.

mod common;
mod ui_support;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use ui_support::{entry, feed_with_entries, states};

#[tokio::test]
async fn another_users_feeds_entries_and_categories_are_not_found_and_stay_unchanged() {
    let server = common::Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    let bob = server.user("bob", "battery staple", false).await;
    let feed = feed_with_entries(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        "Ann's secret feed",
        &["Private"],
        vec![entry("s1", "Secret entry", Utc::now() - Duration::hours(1))],
    )
    .await;
    let category = server.store.categories(ann.id).await.unwrap()[0].id;
    let entry_id = states(&server.store, ann.id).await[0].0;
    let before = states(&server.store, ann.id).await;
    let settings_before = server.store.subscription_view(ann.id, feed).await.unwrap();

    let client = server.login("bob", "battery staple").await;
    let csrf = server.csrf(&client).await;

    for path in [
        format!("/feed/{}", feed.0),
        format!("/feed/{}/settings", feed.0),
        format!("/feed/{}/delete", feed.0),
        format!("/entry/{}", entry_id.0),
        format!("/category/{}", category.0),
    ] {
        let response = client.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("Secret") && !body.contains("secret"),
            "GET {path} leaks"
        );
    }

    let posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            format!("/entry/{}/read", entry_id.0),
            vec![("read", "1".into())],
        ),
        (
            format!("/entry/{}/star", entry_id.0),
            vec![("starred", "1".into())],
        ),
        (
            format!("/feed/{}/settings", feed.0),
            vec![("title", "Bob was here".into()), ("paused", "1".into())],
        ),
        (format!("/feed/{}/delete", feed.0), vec![]),
        (
            "/mark-all-read".into(),
            vec![
                ("scope", "feed".into()),
                ("id", feed.0.to_string()),
                ("older_than", (Utc::now().timestamp_micros()).to_string()),
                ("confirmed", "1".into()),
            ],
        ),
        (
            "/mark-all-read".into(),
            vec![
                ("scope", "category".into()),
                ("id", category.0.to_string()),
                ("older_than", (Utc::now().timestamp_micros()).to_string()),
                ("confirmed", "1".into()),
            ],
        ),
        (
            format!("/categories/{}/rename", category.0),
            vec![("name", "Bob's".into())],
        ),
        (format!("/categories/{}/delete", category.0), vec![]),
    ];
    for (path, fields) in posts {
        let mut form: Vec<(&str, String)> = vec![("csrf", csrf.clone())];
        form.extend(fields);
        let response = client
            .post(server.url(&path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "POST {path}");
    }

    // Bob's own "mark all read" does not reach Ann's entries.
    let response = client
        .post(server.url("/mark-all-read"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("scope", "all"),
            ("older_than", &Utc::now().timestamp_micros().to_string()),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // Search does not find Ann's entries for Bob.
    let html = client
        .get(server.url("/search?q=secret"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("No entries match."));
    assert!(!html.contains("Secret entry"));

    assert_eq!(states(&server.store, ann.id).await, before);
    assert_eq!(
        server.store.subscription_view(ann.id, feed).await.unwrap(),
        settings_before
    );
    let cats = server.store.categories(ann.id).await.unwrap();
    assert_eq!(cats.len(), 1);
    assert_eq!(cats[0].name, "Private");
    assert!(server.store.subscriptions(bob.id).await.unwrap().is_empty());
}
