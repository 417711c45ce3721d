//! Full article content over HTTP: the full-content mode on a feed's
//! settings page (saved, refused when not one of the modes, and only with
//! the CSRF token), the entry page's "Fetch original" button (CSRF-checked;
//! fetches the generated article page from a loopback site, then shows the
//! article with a way back to the feed's own content, or why it failed),
//! and the Miniflux-compatible `GET /v1/entries/{id}/fetch-content` and the
//! entry's `content` following the mode.

mod common;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::{input_value, seed, Server};
use reqwest::StatusCode;
use tributary_extract::samples::{self, SamplePage};
use tributary_fetch::FetchConfig;
use tributary_store::FullContent;
use tributary_web::WebConfig;

const PW: &str = "correct horse battery";

async fn page(State(pages): State<Arc<Vec<SamplePage>>>, Path(i): Path<usize>) -> Response {
    match pages.get(i) {
        Some(p) => ([(header::CONTENT_TYPE, "text/html")], p.html.clone()).into_response(),
        None => AxumStatus::NOT_FOUND.into_response(),
    }
}

/// A loopback blog: entry `i` of the seeded feed links to `/blog/entry/{i}`,
/// which serves generated page `i` (engine pages only; past them, 404).
async fn blog() -> (String, Arc<Vec<SamplePage>>) {
    let pages: Arc<Vec<SamplePage>> = Arc::new(
        samples::pages()
            .into_iter()
            .filter(|p| p.content_selector.is_none())
            .collect(),
    );
    let app = Router::new()
        .route("/blog/entry/{i}", get(page))
        .with_state(pages.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/blog"), pages)
}

async fn server() -> Server {
    Server::start_configured(
        |_| WebConfig::default(),
        Some(FetchConfig {
            allowed_networks: vec!["127.0.0.1/32".parse().unwrap()],
            ..FetchConfig::default()
        }),
    )
    .await
}

#[tokio::test]
async fn the_settings_page_sets_the_full_content_mode() {
    let s = server().await;
    let ann = s.user("ann", PW, false).await;
    let feed = seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        None,
        1,
        chrono::Utc::now(),
    )
    .await;
    let client = s.login("ann", PW).await;
    let url = s.url(&format!("/feed/{}/settings", feed.0));
    let form = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("id=\"f-full-content\""), "{form}");
    assert!(
        form.contains("<option value=\"\" selected>Default of this server"),
        "{form}"
    );
    assert!(form.contains("the default here: auto"));
    let csrf = input_value(&form, "csrf").unwrap();

    let post = |mode: &'static str, csrf: String| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(&url)
                .form(&[("csrf", csrf.as_str()), ("full_content", mode)])
                .send()
                .await
                .unwrap()
        }
    };
    let saved = post("on", csrf.clone()).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "back to the form");
    assert_eq!(
        s.store.full_content(ann.id, feed).await.unwrap(),
        Some(FullContent::On)
    );
    let again = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("<option value=\"on\" selected>"), "{again}");

    let bad = post("sometimes", csrf.clone()).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("Choose one of the offered modes."));
    let forged = post("off", "not-the-token".into()).await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    assert_eq!(
        s.store.full_content(ann.id, feed).await.unwrap(),
        Some(FullContent::On),
        "neither changed it"
    );
    post("", csrf).await;
    assert_eq!(s.store.full_content(ann.id, feed).await.unwrap(), None);
}

#[tokio::test]
async fn fetch_original_shows_the_article_and_the_feed_content_on_request() {
    let (blog, pages) = blog().await;
    let s = server().await;
    let ann = s.user("ann", PW, false).await;
    let bob = s.user("bob", PW, false).await;
    let count = pages.len() + 1;
    seed(&s.store, ann.id, &blog, None, count, chrono::Utc::now()).await;
    let river = s.store.river(ann.id, &Default::default()).await.unwrap();
    let id_of = |i: usize| {
        river
            .iter()
            .find(|r| r.entry.url.as_deref() == Some(&format!("{blog}/entry/{i}")))
            .unwrap()
            .entry
            .id
            .0
    };
    let client = s.login("ann", PW).await;
    let entry_url = s.url(&format!("/entry/{}", id_of(0)));
    let html = client
        .get(&entry_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("action=\"/entry/{}/fetch-original\"", id_of(0))));
    assert!(html.contains(">Fetch original</button>"));
    let csrf = input_value(&html, "csrf").unwrap();

    // Without the token nothing is fetched.
    let forged = client
        .post(s.url(&format!("/entry/{}/fetch-original", id_of(0))))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_client_error());
    assert!(s
        .store
        .entry_article(tributary_model::EntryId(id_of(0)))
        .await
        .unwrap()
        .is_none());
    // Someone else's entry is not found.
    let bobs = s.login("bob", PW).await;
    let bob_html = bobs
        .get(s.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let bob_csrf = common::meta_content(&bob_html, "csrf-token").unwrap();
    let other = bobs
        .post(s.url(&format!("/entry/{}/fetch-original", id_of(0))))
        .form(&[("csrf", bob_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let _ = bob;

    let shown = client
        .post(s.url(&format!("/entry/{}/fetch-original", id_of(0))))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::SEE_OTHER);
    let back = shown.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(back, format!("/entry/{}?keep_unread=1", id_of(0)));
    let shown = client
        .get(s.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let text = common::unescape(&shown);
    for p in &pages[0].paragraphs {
        assert!(text.contains(p.as_str()), "article paragraph missing: {p}");
    }
    assert!(!text.contains("Comment 0 by reader"));
    assert!(shown.contains("Show the feed's own content"));
    let feed_view = client
        .get(format!("{entry_url}?keep_unread=1&view=feed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed_view.contains("<p>Entry 0 of"),
        "the feed's own content"
    );
    assert!(!common::unescape(&feed_view).contains(pages[0].paragraphs[0].as_str()));
    assert!(feed_view.contains("Show the full article"));

    // A page that is not there: the entry page says why.
    let missing = id_of(count - 1);
    let page = client
        .get(s.url(&format!("/entry/{missing}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input_value(&page, "csrf").unwrap();
    let failed = client
        .post(s.url(&format!("/entry/{missing}/fetch-original")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::SEE_OTHER);
    let failed = client
        .get(s.url(&format!("/entry/{missing}?keep_unread=1")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(failed.contains("id=\"article-error\""), "{failed}");
    assert!(failed.contains("404"), "{failed}");
}

#[tokio::test]
async fn miniflux_fetch_content_and_entries_follow_the_mode() {
    let (blog, pages) = blog().await;
    let s = server().await;
    let ann = s.user("ann", PW, false).await;
    let feed = seed(&s.store, ann.id, &blog, None, 2, chrono::Utc::now()).await;
    let key = tributary_web::auth::api_keys::create(&s.store, &ann, "test")
        .await
        .unwrap()
        .secret;
    let river = s.store.river(ann.id, &Default::default()).await.unwrap();
    let first = river
        .iter()
        .find(|r| r.entry.url.as_deref() == Some(&format!("{blog}/entry/0")))
        .unwrap()
        .entry
        .id
        .0;
    let api = |path: String| {
        let key = key.clone();
        let url = s.url(&path);
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("X-Auth-Token", key)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = api(format!("/v1/entries/{first}/fetch-content")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let content = body["content"].as_str().unwrap();
    assert!(
        content.contains(pages[0].paragraphs[1].as_str()),
        "{content}"
    );
    assert!(body["reading_time"].as_u64().unwrap() >= 1);

    // The default (auto) serves the stored article as the entry's content.
    let (_, entry) = api(format!("/v1/entries/{first}")).await;
    assert_eq!(entry["content"].as_str().unwrap(), content);
    // Off serves the feed's own content; on serves the article again.
    s.store
        .set_full_content(ann.id, feed, Some(FullContent::Off))
        .await
        .unwrap();
    let (_, entry) = api(format!("/v1/entries/{first}")).await;
    assert!(
        entry["content"]
            .as_str()
            .unwrap()
            .starts_with("<p>Entry 0 of"),
        "{entry}"
    );
    s.store
        .set_full_content(ann.id, feed, Some(FullContent::On))
        .await
        .unwrap();
    let (_, list) = api("/v1/entries".into()).await;
    let listed = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"].as_i64() == Some(first))
        .unwrap();
    assert_eq!(listed["content"].as_str().unwrap(), content);

    // An entry of another user's feed is 404; a page that fails is 400 with why.
    let (status, _) = api("/v1/entries/999999/fetch-content".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
