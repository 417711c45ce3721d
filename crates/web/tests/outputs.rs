//! The live outputs over real HTTP: private (token) and public (planet),
//! formats, categories, ETag and 304, RFC 5005 paging, and WebSub.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use common::{seed, Server};
use reqwest::StatusCode;
use tributary_web::{outputs, WebConfig};

const PW: &str = "correct horse battery";

fn newest() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

async fn get(server: &Server, path: &str) -> reqwest::Response {
    server.client().get(server.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn each_output_for_a_token_user_and_the_planet() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let bob = server.user("bob", PW, false).await;
    seed(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        Some("Net"),
        3,
        newest(),
    )
    .await;
    seed(
        &server.store,
        bob.id,
        "https://bob.example/feed",
        None,
        2,
        newest(),
    )
    .await;
    let token = server.store.output_token(ann.id).await.unwrap();

    // Without a planet, outputs without a token do not exist.
    for path in ["/river", "/feeds/all.atom", "/opml"] {
        assert_eq!(
            get(&server, path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // An unknown token is a 404 too, not a 401.
    assert_eq!(
        get(&server, "/feeds/all.atom?token=nope").await.status(),
        StatusCode::NOT_FOUND
    );

    let cases = [
        ("/river", "text/html", "<html"),
        ("/feeds/all.atom", "application/atom+xml", "<feed"),
        ("/feeds/all.rss", "application/rss+xml", "<rss"),
        ("/feeds/all.json", "application/feed+json", "\"version\""),
        ("/opml", "text/x-opml", "<opml"),
    ];
    for (path, media, marker) in cases {
        let r = get(&server, &format!("{path}?token={token}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(media), "{path}: {ct}");
        assert_eq!(r.headers()["cache-control"], "private, max-age=60");
        let body = r.text().await.unwrap();
        assert!(body.contains(marker), "{path}: {body}");
        assert!(body.contains("ann.example"), "{path} shows ann's feed");
        assert!(!body.contains("bob.example"), "{path} hides bob's feed");
    }

    // Bob as the planet: the same paths without a token show bob's.
    server
        .store
        .set_setting("planet.user", Some("bob"))
        .await
        .unwrap();
    server
        .store
        .set_setting("planet.title", Some("Bob's planet"))
        .await
        .unwrap();
    for (path, media, marker) in cases {
        let r = get(&server, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(media));
        assert_eq!(r.headers()["cache-control"], "public, max-age=60");
        let body = r.text().await.unwrap();
        assert!(body.contains(marker), "{path}");
        assert!(body.contains("bob.example"), "{path}");
        assert!(!body.contains("ann.example"), "{path}");
        assert!(
            body.contains("Bob&#39;s planet")
                || body.contains("Bob's planet")
                || body.contains("Bob&apos;s planet"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn category_outputs_include_sub_categories() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    seed(
        &server.store,
        ann.id,
        "https://top.example/feed",
        Some("Net"),
        2,
        newest(),
    )
    .await;
    seed(
        &server.store,
        ann.id,
        "https://sub.example/feed",
        Some("Net/Vendors"),
        2,
        newest(),
    )
    .await;
    seed(
        &server.store,
        ann.id,
        "https://other.example/feed",
        Some("Food"),
        2,
        newest(),
    )
    .await;
    let token = server.store.output_token(ann.id).await.unwrap();

    let body = get(&server, &format!("/feeds/category/Net.atom?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("top.example") && body.contains("sub.example"),
        "{body}"
    );
    assert!(!body.contains("other.example"));

    for path in ["Net%2FVendors.rss", "Net/Vendors.rss"] {
        let r = get(&server, &format!("/feeds/category/{path}?token={token}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("sub.example"), "{path}");
        assert!(!body.contains("top.example"), "{path}");
    }
    let json = get(&server, &format!("/feeds/category/Food.json?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);

    for path in ["Nope.atom", "Net.html", "Net", ".atom"] {
        let r = get(&server, &format!("/feeds/category/{path}?token={token}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        get(&server, &format!("/feeds/everything.atom?token={token}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn etag_and_304() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    seed(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        None,
        3,
        newest(),
    )
    .await;
    let token = server.store.output_token(ann.id).await.unwrap();
    for path in [
        "/river",
        "/feeds/all.atom",
        "/feeds/all.rss",
        "/feeds/all.json",
        "/opml",
    ] {
        let url = server.url(&format!("{path}?token={token}"));
        let first = server.client().get(&url).send().await.unwrap();
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "{path}: {etag}"
        );
        // The same content gives the same tag.
        let again = server.client().get(&url).send().await.unwrap();
        assert_eq!(again.headers()["etag"], etag.as_str(), "{path}");

        for inm in [etag.clone(), format!("\"other\", {etag}"), "*".to_owned()] {
            let r = server
                .client()
                .get(&url)
                .header("If-None-Match", &inm)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path} {inm}");
            assert_eq!(r.headers()["etag"], etag.as_str());
            assert!(r.bytes().await.unwrap().is_empty());
        }
        let r = server
            .client()
            .get(&url)
            .header("If-None-Match", "\"stale\"")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }

    // New entries change the tag.
    let url = server.url(&format!("/feeds/all.atom?token={token}"));
    let before = server.client().get(&url).send().await.unwrap().headers()["etag"].clone();
    seed(
        &server.store,
        ann.id,
        "https://new.example/feed",
        None,
        1,
        newest() + chrono::Duration::hours(1),
    )
    .await;
    let r = server
        .client()
        .get(&url)
        .header("If-None-Match", before.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()["etag"], before);
}

/// The `href` of `<link rel="REL" … href="…">` in an Atom feed.
fn atom_link(xml: &str, rel: &str) -> Option<String> {
    xml.split("<link").skip(1).find_map(|tag| {
        let tag = &tag[..tag.find('>')?];
        if !tag.contains(&format!("rel=\"{rel}\"")) {
            return None;
        }
        let start = tag.find("href=\"")? + 6;
        let end = start + tag[start..].find('"')?;
        Some(tag[start..end].replace("&amp;", "&"))
    })
}

#[tokio::test]
async fn paging_walks_every_entry_exactly_once() {
    let server = Server::start_with(WebConfig {
        page_size: 50,
        ..WebConfig::default()
    })
    .await;
    let ann = server.user("ann", PW, false).await;
    seed(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        None,
        120,
        newest(),
    )
    .await;
    let token = server.store.output_token(ann.id).await.unwrap();

    let first_url = server.url(&format!("/feeds/all.atom?token={token}"));
    let mut url = Some(first_url.clone());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        pages += 1;
        assert!(pages <= 5, "paging does not end");
        let xml = server
            .client()
            .get(&u)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(atom_link(&xml, "self").as_deref(), Some(u.as_str()));
        assert_eq!(
            atom_link(&xml, "first").as_deref(),
            Some(first_url.as_str())
        );
        if pages > 1 {
            assert_eq!(
                atom_link(&xml, "previous").as_deref(),
                Some(first_url.as_str())
            );
        } else {
            assert_eq!(atom_link(&xml, "previous"), None);
        }
        let titles: Vec<String> = xml
            .split("<entry")
            .skip(1)
            .filter_map(|e| {
                let start = e.find("<id>")? + 4;
                let end = start + e[start..].find("</id>")?;
                Some(e[start..end].to_owned())
            })
            .collect();
        assert!(titles.len() <= 50);
        seen.extend(titles);
        url = atom_link(&xml, "next");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120, "{seen:?}");
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 120);

    // The same walk through JSON Feed's next_url.
    let mut url = Some(server.url(&format!("/feeds/all.json?token={token}")));
    let mut count = 0;
    while let Some(u) = url {
        let v: serde_json::Value = server
            .client()
            .get(&u)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        count += v["items"].as_array().unwrap().len();
        url = v["next_url"].as_str().map(str::to_owned);
    }
    assert_eq!(count, 120);

    // A malformed position says what is wrong.
    let r = get(
        &server,
        &format!("/feeds/all.atom?token={token}&after=yesterday"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("not a page position"));
}

#[tokio::test]
async fn absolute_urls_come_from_public_url() {
    let server = Server::start_with(WebConfig {
        public_url: Some("https://news.example.org/".parse().unwrap()),
        ..WebConfig::default()
    })
    .await;
    let ann = server.user("ann", PW, false).await;
    seed(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        None,
        1,
        newest(),
    )
    .await;
    server
        .store
        .set_setting("planet.user", Some("ann"))
        .await
        .unwrap();
    let xml = get(&server, "/feeds/all.atom").await.text().await.unwrap();
    assert_eq!(
        atom_link(&xml, "self").as_deref(),
        Some("https://news.example.org/feeds/all.atom")
    );
}

/// A loopback WebSub hub that records the form bodies it receives.
async fn hub() -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::routing::post;
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hub",
        post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hub"), got)
}

#[tokio::test]
async fn the_hub_is_advertised_and_pinged() {
    let (hub_url, got) = hub().await;
    let hub_for_config = hub_url.clone();
    let server = Server::start_configured(
        move |addr| WebConfig {
            public_url: Some(format!("http://{addr}/").parse().unwrap()),
            hub_url: Some(hub_for_config.parse().unwrap()),
            ..WebConfig::default()
        },
        Some(tributary_fetch::FetchConfig {
            allow_private_networks: true,
            ..Default::default()
        }),
    )
    .await;
    let ann = server.user("ann", PW, false).await;
    seed(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        Some("Net"),
        2,
        newest(),
    )
    .await;
    server
        .store
        .set_setting("planet.user", Some("ann"))
        .await
        .unwrap();

    let r = get(&server, "/feeds/all.atom").await;
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(
        link,
        format!(
            "<{hub_url}>; rel=\"hub\", <{}>; rel=\"self\"",
            server.url("/feeds/all.atom")
        )
    );
    let xml = r.text().await.unwrap();
    assert_eq!(atom_link(&xml, "hub").as_deref(), Some(hub_url.as_str()));

    outputs::notify_hub(&server.state).await;
    let bodies = got.lock().unwrap().clone();
    let announced: HashSet<String> = bodies
        .iter()
        .map(|b| {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(b).unwrap();
            assert!(
                pairs.contains(&("hub.mode".to_owned(), "publish".to_owned())),
                "{b}"
            );
            pairs
                .into_iter()
                .find(|(k, _)| k == "hub.url")
                .map(|(_, v)| v)
                .unwrap()
        })
        .collect();
    for path in [
        "/river",
        "/feeds/all.atom",
        "/feeds/all.rss",
        "/feeds/all.json",
        "/opml",
        "/feeds/category/Net.atom",
    ] {
        assert!(
            announced.contains(&server.url(path)),
            "{path} in {announced:?}"
        );
    }
}

#[tokio::test]
async fn no_hub_no_link_header_and_pinging_a_dead_hub_does_not_fail() {
    let server = Server::start_configured(
        |_| WebConfig {
            public_url: Some("http://127.0.0.1:9/".parse().unwrap()),
            hub_url: Some("http://127.0.0.1:9/hub".parse().unwrap()),
            ..WebConfig::default()
        },
        Some(tributary_fetch::FetchConfig {
            allow_private_networks: true,
            ..Default::default()
        }),
    )
    .await;
    let ann = server.user("ann", PW, false).await;
    server
        .store
        .set_setting("planet.user", Some("ann"))
        .await
        .unwrap();
    // Nothing listens on port 9: logged, not panicked.
    outputs::notify_hub(&server.state).await;
    let _ = ann;

    let plain = Server::start().await;
    let bob = plain.user("bob", PW, false).await;
    let token = plain.store.output_token(bob.id).await.unwrap();
    let r = get(&plain, &format!("/feeds/all.atom?token={token}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("link").is_none());
}
