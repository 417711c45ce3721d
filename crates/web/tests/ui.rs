//! The reading UI over HTTP: every page renders for a signed-in user with
//! seeded data, the read/star forms and "mark all as read" change the
//! store, and bad input gets its message next to the field.

mod common;
mod ui_support;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use tributary_store::EntryQuery;
use tributary_web::WebConfig;
use ui_support::{entry, feed_with_entries, link_to, states, unescape};

#[tokio::test]
async fn every_page_renders_for_a_signed_in_user() {
    let server = common::Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    let now = Utc::now();
    let feed = feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Ann's <blog>",
        &["Blogs"],
        vec![
            entry("a1", "First post", now - Duration::hours(2)),
            entry("a2", "Second post about rust", now - Duration::hours(1)),
        ],
    )
    .await;
    let category = server.store.categories(ann.id).await.unwrap()[0].id;
    let entry_id = states(&server.store, ann.id).await[0].0;
    let client = server.login("ann", "correct horse").await;

    let pages = [
        ("/".to_owned(), "Second post about rust"),
        ("/all".to_owned(), "First post"),
        ("/starred".to_owned(), "No starred entries"),
        ("/history".to_owned(), "You have not read anything yet"),
        (format!("/category/{}", category.0), "First post"),
        (format!("/feed/{}", feed.0), "Ann&#x27;s &lt;blog&gt;"),
        (
            format!("/entry/{}", entry_id.0),
            "<p>Body of Second post about rust</p>",
        ),
        ("/search?q=rust".to_owned(), "1 entry matches."),
        ("/subscriptions".to_owned(), "<svg class=\"chart\""),
        ("/subscriptions/add".to_owned(), "id=\"add-feed\""),
        ("/subscriptions/import".to_owned(), "id=\"import\""),
        (format!("/feed/{}/settings", feed.0), "id=\"feed-settings\""),
        (format!("/feed/{}/delete", feed.0), "id=\"delete-feed\""),
        ("/categories".to_owned(), "Blogs"),
        // The account pages share the layout.
        (
            "/settings/account".to_owned(),
            "Signed in as <strong>ann</strong>",
        ),
    ];
    for (path, expected) in pages {
        let response = client.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let csp = response
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("GET {path} has no CSP"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "GET {path} lacks {expected:?}");
        assert!(html.contains("<meta name=\"csrf-token\""), "GET {path}");
    }

    let export = client
        .get(server.url("/subscriptions/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert!(export.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("opml"));
    assert!(export
        .text()
        .await
        .unwrap()
        .contains("https://blog.example/feed"));

    // Without a session, pages are not shown.
    let anonymous = server.client().get(server.url("/")).send().await.unwrap();
    assert!(anonymous.status().is_redirection() || anonymous.status() == StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn opening_an_entry_marks_it_read_unless_kept_unread() {
    let server = common::Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Blog",
        &[],
        vec![entry("a1", "One", Utc::now() - Duration::hours(1))],
    )
    .await;
    let id = states(&server.store, ann.id).await[0].0;
    let client = server.login("ann", "correct horse").await;

    let html = client
        .get(server.url(&format!("/entry/{}?keep_unread=1", id.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Marked as read because you opened it"));
    assert!(!states(&server.store, ann.id).await[0].1, "kept unread");

    let html = client
        .get(server.url(&format!("/entry/{}", id.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Marked as read because you opened it"));
    assert!(html.contains("<audio controls"));
    assert!(
        states(&server.store, ann.id).await[0].1,
        "read after opening"
    );
}

#[tokio::test]
async fn the_read_and_star_forms_change_the_store_and_answer_json_to_scripts() {
    let server = common::Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Blog",
        &[],
        vec![entry("a1", "One", Utc::now() - Duration::hours(1))],
    )
    .await;
    let id = states(&server.store, ann.id).await[0].0;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;

    // A plain form: 303 back to where it came from.
    let response = client
        .post(server.url(&format!("/entry/{}/read", id.0)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("read", "1"),
            ("back", "/all?after=1-2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/all?after=1-2");
    assert_eq!(states(&server.store, ann.id).await[0], (id, true, false));

    // Never a redirect off the site.
    let response = client
        .post(server.url(&format!("/entry/{}/star", id.0)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("starred", "1"),
            ("back", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
    assert_eq!(states(&server.store, ann.id).await[0], (id, true, true));

    // The script: the token in a header, JSON back.
    let response = client
        .post(server.url(&format!("/entry/{}/read", id.0)))
        .header("accept", "application/json")
        .header("x-csrf-token", &csrf)
        .form(&[("read", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["read"], false);
    assert_eq!(json["starred"], true);
    assert_eq!(states(&server.store, ann.id).await[0], (id, false, true));

    // A wrong token changes nothing.
    let response = client
        .post(server.url(&format!("/entry/{}/star", id.0)))
        .form(&[("csrf", "forged"), ("starred", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(states(&server.store, ann.id).await[0], (id, false, true));

    // A value other than 1 or 0 is refused with a reason.
    let response = client
        .post(server.url(&format!("/entry/{}/star", id.0)))
        .form(&[("csrf", csrf.as_str()), ("starred", "yes please")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("starred=1 or starred=0"));

    // The star shows on the starred page.
    let html = client
        .get(server.url("/starred"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        "data-entry-id=\"{}\" data-read=\"0\" data-starred=\"1\"",
        id.0
    )));
}

#[tokio::test]
async fn mark_all_read_asks_first_and_spares_entries_newer_than_the_page() {
    let server = common::Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    let now = Utc::now();
    feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Blog",
        &[],
        vec![
            entry("old", "Old", now - Duration::hours(3)),
            entry("mid", "Mid", now - Duration::hours(2)),
        ],
    )
    .await;
    let client = server.login("ann", "correct horse").await;
    let river = client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let older_than = common::input_value(&river, "older_than").expect("mark-all form");

    // An entry arrives after the page was shown.
    feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Blog",
        &[],
        vec![entry("new", "New", now - Duration::hours(1))],
    )
    .await;
    let csrf = server.csrf(&client).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("scope", "all"),
        ("id", "0"),
        ("older_than", older_than.as_str()),
        ("back", "/"),
    ];
    let confirm = client
        .post(server.url("/mark-all-read"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), StatusCode::OK);
    assert!(confirm.text().await.unwrap().contains("Mark all as read?"));
    assert!(
        states(&server.store, ann.id).await.iter().all(|s| !s.1),
        "nothing marked yet"
    );

    let mut confirmed = form.to_vec();
    confirmed.push(("confirmed", "1"));
    let done = client
        .post(server.url("/mark-all-read"))
        .form(&confirmed)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/?done=marked&n=2");
    let unread: Vec<String> = server
        .store
        .entries(ann.id, &EntryQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.entry.title)
        .collect();
    assert_eq!(unread, vec!["New"]);
    let page = client
        .get(server.url("/?done=marked&n=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<p class=\"flash\" role=\"status\">Marked 2 entries as read.</p>"));
}

#[tokio::test]
async fn older_entries_are_reached_by_keyset_links() {
    let server = common::Server::start_with(WebConfig {
        page_size: 2,
        ..WebConfig::default()
    })
    .await;
    let ann = server.user("ann", "correct horse", false).await;
    let now = Utc::now();
    feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Blog",
        &[],
        (1..=5)
            .map(|i| {
                entry(
                    &format!("e{i}"),
                    &format!("Entry {i}"),
                    now - Duration::hours(i),
                )
            })
            .collect(),
    )
    .await;
    let client = server.login("ann", "correct horse").await;
    let mut path = "/all".to_owned();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let html = client
            .get(server.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for i in 1..=5 {
            if html.contains(&format!(">Entry {i}</a>")) {
                seen.push(i);
            }
        }
        match link_to(&html, "Older entries") {
            Some(next) => {
                assert!(next.starts_with("/all?after="), "{next}");
                path = next;
            }
            None => break,
        }
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);

    let bad = client
        .get(server.url("/all?after=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_input_gets_its_message_next_to_the_field() {
    let server = common::Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    let feed = feed_with_entries(
        &server.store,
        ann.id,
        "https://blog.example/feed",
        "Blog",
        &[],
        vec![entry("a1", "One", Utc::now() - Duration::hours(1))],
    )
    .await;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;

    // Feed settings: the longest wait below the shortest.
    let response = client
        .post(server.url(&format!("/feed/{}/settings", feed.0)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "Mine"),
            ("min_interval", "60"),
            ("max_interval", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("name=\"max_interval\" min=\"1\" inputmode=\"numeric\" value=\"30\" aria-invalid=\"true\" aria-describedby=\"e-max_interval\">\n<p class=\"field-error\" id=\"e-max_interval\">The longest wait must be at least the shortest one.</p>"), "{html}");
    let view = server
        .store
        .subscription_view(ann.id, feed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.settings.title_override, None, "nothing saved");

    // Not a number.
    let response = client
        .post(server.url(&format!("/feed/{}/settings", feed.0)))
        .form(&[("csrf", csrf.as_str()), ("min_interval", "ten")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(unescape(&response.text().await.unwrap())
        .contains("<p class=\"field-error\" id=\"e-min_interval\">“ten” is not a whole number of minutes.</p>"));

    // Good settings are saved, the feed moved to a category.
    let blogs = server.store.create_category(ann.id, "Blogs").await.unwrap();
    let blogs_id = blogs.id.0.to_string();
    let response = client
        .post(server.url(&format!("/feed/{}/settings", feed.0)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "Mine"),
            ("min_interval", "30"),
            ("max_interval", "600"),
            ("paused", "1"),
            ("category", blogs_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let view = server
        .store
        .subscription_view(ann.id, feed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.settings.title_override.as_deref(), Some("Mine"));
    assert_eq!(view.settings.min_interval_secs, Some(1800));
    assert_eq!(view.settings.max_interval_secs, Some(36_000));
    assert!(view.settings.paused);
    assert_eq!(view.settings.category, Some(blogs.id));
    let html = client
        .get(server.url("/subscriptions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h2 id=\"g1\">Blogs</h2>"));
    assert!(html.contains("Paused by you"));

    // Search: a date that is not one.
    let response = client
        .get(server.url("/search?q=one&since=31.12.2024"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("aria-describedby=\"e-since\">\n<p class=\"field-error\" id=\"e-since\">“31.12.2024” is not a date; write it as YYYY-MM-DD"));
    assert!(
        html.contains("id=\"q\" name=\"q\" value=\"one\""),
        "the form keeps what was typed"
    );

    // Add: not a web address.
    let response = client
        .post(server.url("/subscriptions/add"))
        .form(&[("csrf", csrf.as_str()), ("url", "ftp://files.example/feed")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("<p class=\"field-error\" id=\"e-url\">“ftp://files.example/feed” has an unsupported URL scheme (ftp): only http and https addresses can be followed.</p>"));

    // Categories: an empty name.
    let response = client
        .post(server.url("/categories"))
        .form(&[("csrf", csrf.as_str()), ("name", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<p class=\"field-error\" id=\"e-name\">Give the category a name.</p>"));

    // And a good one, renamed, then deleted.
    let response = client
        .post(server.url("/categories"))
        .form(&[("csrf", csrf.as_str()), ("name", "Net/Vendors")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cats = server.store.categories(ann.id).await.unwrap();
    let vendors = cats
        .iter()
        .find(|c| c.path == "Net/Vendors")
        .expect("created")
        .id;
    let response = client
        .post(server.url(&format!("/categories/{}/rename", vendors.0)))
        .form(&[("csrf", csrf.as_str()), ("name", "Makers")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cats = server.store.categories(ann.id).await.unwrap();
    assert!(cats.iter().any(|c| c.path == "Net/Makers"));
    let response = client
        .post(server.url(&format!("/categories/{}/delete", vendors.0)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!server
        .store
        .categories(ann.id)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == vendors));

    // Unknown ids are 404 pages, not crashes.
    for path in [
        "/feed/abc",
        "/entry/99999",
        "/category/-1",
        "/feed/99999/settings",
    ] {
        let response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
    }
}

#[tokio::test]
async fn refresh_without_a_fetcher_says_so() {
    let server = common::Server::start().await;
    server.user("ann", "correct horse", false).await;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;
    let response = client
        .post(server.url("/refresh"))
        .form(&[("csrf", csrf.as_str()), ("back", "/all")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, "/all?done=no-refresher");
    let html = client
        .get(server.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("does not fetch feeds itself"));
}
