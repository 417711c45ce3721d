//! The SSRF table (tests/ssrf/targets.rs) through every door of the web
//! server, over real HTTP on loopback with a real fetcher and database:
//! the UI's add form (an address, and a feed "chosen" on the choice page),
//! the UI's OPML upload, the Google Reader API (`subscription/quickadd`,
//! `subscription/edit ac=subscribe`, `subscription/import`) and the
//! Miniflux-compatible API (`POST /v1/feeds`, `/v1/discover`, `/v1/import`).
//!
//! With the default fetch settings every target is refused, the answer
//! names the reason, nothing is stored and the trap listeners on
//! 127.0.0.1/127.0.0.2/[::1] see no request. With a site allowed through
//! `fetch.allowed_networks`, its redirects to private addresses and its
//! pages' feed links to them are refused the same way, while its own feed
//! can be added; `allow_private_networks` opens everything.

mod common;

#[path = "../../../tests/ssrf/targets.rs"]
mod targets;

use common::{unescape, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};
use targets::{Row, Site, Trap};
use tributary_fetch::FetchConfig;
use tributary_store::{FeedSelector, User};
use tributary_web::WebConfig;

const PW: &str = "correct horse battery";
const GR_API: &str = "/api/greader/reader/api/0";

/// A server with a fetcher of `fetch`, and one user signed in three ways.
struct Doors {
    server: Server,
    user: User,
    /// The UI: a signed-in client and its CSRF token.
    ui: reqwest::Client,
    csrf: String,
    /// The Miniflux API: the user's API password.
    key: String,
    /// The Google Reader API: `Auth` and the write token `T`.
    gr_auth: String,
    gr_t: String,
}

impl Doors {
    async fn start(fetch: FetchConfig) -> Doors {
        let server = Server::start_configured(|_| WebConfig::default(), Some(fetch)).await;
        let user = server.user("ann", PW, false).await;
        let ui = server.login("ann", PW).await;
        let csrf = server.csrf(&ui).await;
        let key = tributary_web::auth::api_keys::create(&server.store, &user, "ssrf")
            .await
            .expect("api password")
            .secret;
        let gr_auth = server.greader_auth("ann", &key).await;
        let gr_t = server
            .client()
            .get(server.url(&format!("{GR_API}/token")))
            .header("Authorization", format!("GoogleLogin auth={gr_auth}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .trim()
            .to_owned();
        Doors {
            server,
            user,
            ui,
            csrf,
            key,
            gr_auth,
            gr_t,
        }
    }

    /// `POST /subscriptions/add` with `field=value`: status and page text.
    async fn ui_add(&self, field: &str, value: &str) -> (StatusCode, String) {
        let r = self
            .ui
            .post(self.server.url("/subscriptions/add"))
            .form(&[("csrf", self.csrf.as_str()), (field, value)])
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (
            status,
            format!("{location}\n{}", unescape(&r.text().await.unwrap())),
        )
    }

    /// The UI's OPML upload of one outline.
    async fn ui_import(&self, url: &str) -> (StatusCode, String) {
        let boundary = "----ssrf-boundary-3f9a";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"opml\"; filename=\"s.opml\"\r\n\
             Content-Type: text/x-opml\r\n\r\n{}\r\n--{boundary}--\r\n",
            self.csrf,
            opml(url)
        );
        let r = self
            .ui
            .post(self.server.url("/subscriptions/import"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status(), unescape(&r.text().await.unwrap()))
    }

    /// A Google Reader POST (form, `T` added; or a raw body with `T` in the query).
    async fn gr(
        &self,
        path: &str,
        form: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, String) {
        let auth = format!("GoogleLogin auth={}", self.gr_auth);
        let url = self.server.url(&format!("{GR_API}/{path}?T={}", self.gr_t));
        let rb = self.server.client().post(url).header("Authorization", auth);
        let rb = match body {
            Some(b) => rb.body(b),
            None => rb.form(form),
        };
        let r = rb.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// A Miniflux API POST with a JSON (or OPML) body.
    async fn v1(&self, path: &str, body: String) -> (StatusCode, String) {
        let r = self
            .server
            .client()
            .post(self.server.url(path))
            .header("X-Auth-Token", &self.key)
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn subscriptions(&self) -> Vec<String> {
        self.server
            .store
            .subscriptions(self.user.id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.feed.url)
            .collect()
    }

    /// Every door that subscribes to (or discovers) `url` right away, for
    /// one row: each must refuse with the reason and store nothing.
    async fn refuse_everywhere(&self, row: &Row, url: &str, doors: &[Door]) {
        for door in doors {
            let (status, text) = self.knock(*door, url).await;
            let what = format!("{door:?}");
            match door {
                // An import answers 200/201 and lists the outline as refused.
                // (`knock` checked that the outline is the one refused.)
                Door::UiImport | Door::GrImport | Door::V1Import => {
                    assert!(status.is_success(), "{what} {url}: {status}\n{text}")
                }
                _ => assert!(
                    status.is_client_error(),
                    "{what}, target {} ({url}): answered {status}\n{text}",
                    row.name
                ),
            }
            targets::assert_reason(row, &what, &text);
            assert_eq!(
                self.subscriptions().await,
                Vec::<String>::new(),
                "{what}, target {} ({url}): something was stored",
                row.name
            );
        }
    }

    /// Use `door` with `url`: status and the text the user is shown.
    async fn knock(&self, door: Door, url: &str) -> (StatusCode, String) {
        match door {
            Door::UiAdd => self.ui_add("url", url).await,
            Door::UiChosen => self.ui_add("feed", url).await,
            Door::UiImport => {
                let (status, html) = self.ui_import(url).await;
                assert!(
                    html.contains("0 added, 0 already followed, 1 refused."),
                    "UI import of {url}: {html}"
                );
                (status, html)
            }
            Door::GrQuickadd => {
                self.gr("subscription/quickadd", &[("quickadd", url)], None)
                    .await
            }
            Door::GrEdit => {
                let stream = format!("feed/{url}");
                self.gr(
                    "subscription/edit",
                    &[("ac", "subscribe"), ("s", stream.as_str())],
                    None,
                )
                .await
            }
            Door::GrImport => {
                let (status, text) = self.gr("subscription/import", &[], Some(opml(url))).await;
                assert!(
                    text.starts_with("OK: 0\n"),
                    "GReader import of {url}: {text}"
                );
                let line = text
                    .lines()
                    .find(|l| l.starts_with("refused "))
                    .unwrap_or_else(|| panic!("GReader import of {url} refused nothing: {text}"))
                    .to_owned();
                (status, line)
            }
            Door::V1Feeds => {
                self.v1("/v1/feeds", json!({ "feed_url": url }).to_string())
                    .await
            }
            Door::V1Discover => {
                self.v1("/v1/discover", json!({ "url": url }).to_string())
                    .await
            }
            Door::V1Import => {
                let (status, text) = self.v1("/v1/import", opml(url)).await;
                let answer: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(answer["tributary_added"], json!([]), "{text}");
                let refused = &answer["tributary_refused"][0];
                assert_eq!(refused["url"].as_str(), Some(url), "{text}");
                (status, refused["reason"].as_str().unwrap_or("").to_owned())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    UiAdd,
    UiChosen,
    UiImport,
    GrQuickadd,
    GrEdit,
    GrImport,
    V1Feeds,
    V1Discover,
    V1Import,
}

const ALL_DOORS: &[Door] = &[
    Door::UiAdd,
    Door::UiChosen,
    Door::UiImport,
    Door::GrQuickadd,
    Door::GrEdit,
    Door::GrImport,
    Door::V1Feeds,
    Door::V1Discover,
    Door::V1Import,
];

/// The doors that fetch what they are given before answering (so they see
/// a redirect's target and a page's links).
const FETCHING_DOORS: &[Door] = &[
    Door::UiAdd,
    Door::GrQuickadd,
    Door::V1Feeds,
    Door::V1Discover,
];

/// An OPML list of one feed.
fn opml(url: &str) -> String {
    let url = url.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><head><title>t</title></head><body>\
         <outline type=\"rss\" text=\"Target\" xmlUrl=\"{url}\"/></body></opml>"
    )
}

fn allowing_site() -> FetchConfig {
    FetchConfig {
        allowed_networks: vec![targets::SITE_NETWORK.parse().unwrap()],
        ..FetchConfig::default()
    }
}

#[tokio::test]
async fn every_target_is_refused_by_default_at_every_door_with_its_reason() {
    let trap = Trap::start();
    let doors = Doors::start(FetchConfig::default()).await;
    let rows = targets::rows(trap.port);
    for row in &rows {
        doors.refuse_everywhere(row, &row.url, ALL_DOORS).await;
    }
    assert_eq!(trap.hits(), 0, "a refused target reached a trap listener");
    let feeds = doors
        .server
        .store
        .feeds_to_fetch(&FeedSelector::All)
        .await
        .unwrap();
    assert!(feeds.is_empty(), "feeds were stored: {feeds:?}");
}

#[tokio::test]
async fn an_allowed_site_that_redirects_or_links_to_private_addresses_is_refused() {
    let trap = Trap::start();
    let rows = targets::rows(trap.port);
    let redirects = targets::redirects(trap.port);
    let site = Site::start(rows.clone(), redirects.clone());
    let doors = Doors::start(allowing_site()).await;

    // The site itself is reachable: what is refused below is the hop, not the site.
    for (i, row) in redirects.iter().enumerate() {
        let before = site.hits();
        doors
            .refuse_everywhere(row, &site.url(&format!("/redirect/{i}")), FETCHING_DOORS)
            .await;
        assert!(
            site.hits() > before,
            "{}: the site was never asked",
            row.name
        );
    }
    // Discovery: a page whose only feed link is a private address.
    for (i, row) in rows.iter().enumerate() {
        doors
            .refuse_everywhere(row, &site.url(&format!("/page/{i}")), FETCHING_DOORS)
            .await;
    }
    assert_eq!(
        trap.hits(),
        0,
        "a redirect or a feed link reached a trap listener"
    );

    // The doors that store without fetching (imports, GReader's edit) keep
    // the allowed site's URL — where it redirects is known only by
    // fetching — and its first fetch refuses the hop, naming the reason
    // on the feed.
    let row = &redirects[1];
    let url = site.url("/redirect/1");
    let (status, text) = doors.knock(Door::GrEdit, &url).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let mut error = None;
    for _ in 0..100 {
        let feed = doors
            .server
            .store
            .feeds_to_fetch(&FeedSelector::Urls(vec![url.clone()]))
            .await
            .unwrap()
            .remove(0);
        if let Some(e) = feed.last_error {
            error = Some(e);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let error = error.expect("the background fetch recorded an error");
    targets::assert_reason(row, "GReader edit, then the fetch", &error);
    assert_eq!(trap.hits(), 0);

    // The escape hatch: the allowed site's own feed is added at every door that fetches.
    let (status, text) = doors.ui_add("url", &site.url("/feed.xml")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    assert!(doors.subscriptions().await.contains(&site.url("/feed.xml")));
}

#[tokio::test]
async fn allow_private_networks_opens_the_guard() {
    let trap = Trap::start();
    let doors = Doors::start(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })
    .await;
    let (status, text) = doors
        .v1(
            "/v1/feeds",
            json!({ "feed_url": trap.url("/feed.xml") }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert!(trap.hits() > 0, "the feed was not fetched");
    assert_eq!(doors.subscriptions().await, vec![trap.url("/feed.xml")]);
    // Schemes stay refused whatever the network policy.
    let (status, text) = doors
        .v1(
            "/v1/feeds",
            json!({ "feed_url": "file:///etc/passwd" }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains(targets::SCHEME), "{text}");
}
