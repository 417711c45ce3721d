//! Adding feeds (discovery against real loopback servers) and OPML import.

mod common;
mod ui_support;

use std::net::SocketAddr;

use axum::http::header;
use axum::routing::get;
use axum::Router;
use reqwest::StatusCode;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_refresh::{RefreshConfig, Refresher};
use tributary_store::Store;
use tributary_web::{router, AppState, WebConfig};
use ui_support::unescape;

const PAGE: &str = r#"<!doctype html><html><head><title>Site</title>
<link rel="alternate" type="application/rss+xml" title="Posts" href="/posts.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.atom">
<link rel="alternate" type="application/rss+xml" title="Broken" href="/missing.xml">
</head><body>Hello</body></html>"#;

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Site posts</title>
<link>http://site/</link><item><guid>p1</guid><title>Post one</title><link>http://site/p1</link>
<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate><description>Hi</description></item></channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Site comments</title><id>urn:c</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:c1</id><title>Comment one</title><updated>2024-01-01T00:00:00Z</updated></entry></feed>"#;

/// A site on loopback: a page linking to two working feeds and a broken one.
async fn site() -> SocketAddr {
    let app = Router::new()
        .route(
            "/",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], PAGE) }),
        )
        .route(
            "/posts.xml",
            get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], RSS) }),
        )
        .route(
            "/comments.atom",
            get(|| async { ([(header::CONTENT_TYPE, "application/atom+xml")], ATOM) }),
        )
        .route(
            "/lonely",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html><head><title>No feeds</title></head><body>x</body></html>",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A web server with a refresher that may fetch from loopback.
struct Fetching {
    addr: SocketAddr,
    store: Store,
    _db: tributary_store::testing::Scratch,
}

impl Fetching {
    async fn start() -> Fetching {
        let db = tributary_store::testing::scratch().await.unwrap();
        let store = db.open().await.unwrap();
        let fetcher = Fetcher::new(FetchConfig {
            allow_private_networks: true,
            ..FetchConfig::default()
        })
        .unwrap();
        let refresher = Refresher::new(store.clone(), fetcher, RefreshConfig::default());
        let state = AppState::new(store.clone(), Some(refresher), WebConfig::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(state);
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap()
        });
        Fetching {
            addr,
            store,
            _db: db,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn user(&self, name: &str, password: &str) -> tributary_store::User {
        let hash = tributary_web::auth::hash_password(password).unwrap();
        self.store.create_user(name, &hash, false).await.unwrap()
    }

    /// Signed in as `name`, with the session's CSRF token.
    async fn login(&self, name: &str, password: &str) -> (reqwest::Client, String) {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::input_value(&page, "csrf").expect("login form has csrf");
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("username", name),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "login answered {}",
            response.status()
        );
        let page = client
            .get(self.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = common::meta_content(&page, "csrf-token").expect("csrf-token meta tag");
        (client, token)
    }
}

#[tokio::test]
async fn a_page_with_two_feeds_offers_a_choice_and_the_choice_is_subscribed_and_fetched() {
    let site = site().await;
    let server = Fetching::start().await;
    let ann = server.user("ann", "correct horse").await;
    let (client, csrf) = server.login("ann", "correct horse").await;

    let page_url = format!("http://{site}/");
    let response = client
        .post(server.url("/subscriptions/add"))
        .form(&[("csrf", csrf.as_str()), ("url", page_url.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = unescape(&response.text().await.unwrap());
    assert_eq!(html.matches("name=\"feed\"").count(), 2, "{html}");
    assert!(html.contains(&format!("value=\"http://{site}/posts.xml\"")));
    assert!(html.contains(&format!("value=\"http://{site}/comments.atom\"")));
    assert!(html.contains("Site posts") && html.contains("Site comments"));
    assert!(
        !html.contains("missing.xml"),
        "a link that is no feed is not offered"
    );
    assert!(server.store.subscriptions(ann.id).await.unwrap().is_empty());

    let chosen = format!("http://{site}/comments.atom");
    let response = client
        .post(server.url("/subscriptions/add"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", page_url.as_str()),
            ("feed", chosen.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/subscriptions?added="), "{to}");
    let subs = server.store.subscriptions(ann.id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].feed.url, chosen);
    assert_eq!(subs[0].entry_count, 1, "fetched right away");
    let html = client
        .get(server.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Subscribed to “Site comments”."), "{html}");
}

#[tokio::test]
async fn a_feed_url_is_subscribed_directly_and_a_page_without_feeds_is_explained() {
    let site = site().await;
    let server = Fetching::start().await;
    let ann = server.user("ann", "correct horse").await;
    let (client, csrf) = server.login("ann", "correct horse").await;

    let feed_url = format!("http://{site}/posts.xml");
    let response = client
        .post(server.url("/subscriptions/add"))
        .form(&[("csrf", csrf.as_str()), ("url", feed_url.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let subs = server.store.subscriptions(ann.id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].feed.title.as_deref(), Some("Site posts"));

    let lonely = format!("http://{site}/lonely");
    let response = client
        .post(server.url("/subscriptions/add"))
        .form(&[("csrf", csrf.as_str()), ("url", lonely.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains(&format!(
        "<p class=\"field-error\" id=\"e-url\">{lonely} is a web page, but it links to no feed that works.</p>"
    )), "{html}");
    assert_eq!(server.store.subscriptions(ann.id).await.unwrap().len(), 1);
}

const OPML: &str = r#"<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
<outline text="Tech"><outline type="rss" text="A" xmlUrl="https://a.example/feed"/>
<outline type="rss" text="B" xmlUrl="https://b.example/feed"/></outline>
<outline type="rss" text="Bad" xmlUrl="ftp://c.example/feed"/>
</body></opml>"#;

/// A `multipart/form-data` body with the `csrf` field and the `opml` file.
fn opml_form(csrf: &str, file: Vec<u8>) -> (String, Vec<u8>) {
    let boundary = "----tributary-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"opml\"; filename=\"subs.opml\"\r\n\
             Content-Type: text/x-opml\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POST an OPML upload.
async fn upload(
    client: &reqwest::Client,
    url: String,
    csrf: &str,
    file: Vec<u8>,
) -> reqwest::Response {
    let (content_type, body) = opml_form(csrf, file);
    client
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn opml_import_adds_skips_and_refuses_and_an_oversized_file_is_413() {
    let server = common::Server::start_with(WebConfig {
        max_upload_bytes: 2048,
        ..WebConfig::default()
    })
    .await;
    let ann = server.user("ann", "correct horse", false).await;
    let client = server.login("ann", "correct horse").await;
    let csrf = server.csrf(&client).await;

    let response = upload(
        &client,
        server.url("/subscriptions/import"),
        &csrf,
        OPML.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = unescape(&response.text().await.unwrap());
    assert!(
        html.contains("2 added, 0 already followed, 1 refused."),
        "{html}"
    );
    assert!(html.contains("ftp://c.example/feed: "));
    let subs = server.store.subscriptions(ann.id).await.unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|s| s.category.as_deref() == Some("Tech")));

    // Again: both already followed.
    let response = upload(
        &client,
        server.url("/subscriptions/import"),
        &csrf,
        OPML.as_bytes().to_vec(),
    )
    .await;
    assert!(unescape(&response.text().await.unwrap()).contains("0 added, 2 already followed"));

    // Over the limit.
    let mut big = OPML.as_bytes().to_vec();
    big.extend(std::iter::repeat_n(b' ', 4096));
    let response = upload(&client, server.url("/subscriptions/import"), &csrf, big).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("The file is too large: this server accepts OPML files of up to 2.0 KB."));
    assert!(html.contains("id=\"import\""), "the form is shown again");

    // Not OPML.
    let response = upload(
        &client,
        server.url("/subscriptions/import"),
        &csrf,
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("This file cannot be imported"));

    // A forged token imports nothing.
    let other = OPML
        .replace("a.example", "z.example")
        .replace("b.example", "y.example");
    let response = upload(
        &client,
        server.url("/subscriptions/import"),
        "forged",
        other.into_bytes(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(server.store.subscriptions(ann.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn refresh_fetches_the_users_feeds_in_the_background() {
    let site = site().await;
    let server = Fetching::start().await;
    let ann = server.user("ann", "correct horse").await;
    let (client, csrf) = server.login("ann", "correct horse").await;
    // Subscribed but never fetched.
    server
        .store
        .subscribe(
            ann.id,
            &[tributary_store::NewSubscription {
                url: format!("http://{site}/posts.xml"),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let response = client
        .post(server.url("/refresh"))
        .header("accept", "application/json")
        .header("x-csrf-token", &csrf)
        .form(&[("back", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["refreshing"], true);
    assert_eq!(json["feeds"], 1);
    let mut fetched = false;
    for _ in 0..100 {
        if server.store.subscriptions(ann.id).await.unwrap()[0].entry_count == 1 {
            fetched = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fetched, "the feed was fetched after POST /refresh");

    // The form without JavaScript goes back with a message.
    let response = client
        .post(server.url("/refresh"))
        .form(&[("csrf", csrf.as_str()), ("back", "/starred")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/starred?done=refreshing");
}
