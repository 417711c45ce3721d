//! The Miniflux-compatible API at `/v1/` over real HTTP on loopback, a real
//! SQLite file and (where feeds are added) a real fetcher against a
//! loopback feed server: every endpoint, auth failures, malformed input
//! (always a JSON 400, never a 500), paging over 1,000 entries, and
//! isolation between users.

mod common;

use std::collections::BTreeSet;

use chrono::{Duration, TimeZone, Utc};
use common::{seed, Server};
use reqwest::Method;
use serde_json::{json, Value};
use tributary_model::{EntryId, FeedId};
use tributary_store::{ApiEntryQuery, User};

const PW: &str = "correct horse battery";

/// An answer: status and body (JSON when it is JSON, else a string).
struct Answer {
    status: u16,
    body: Value,
    content_type: String,
    retry_after: Option<String>,
}

impl Answer {
    /// The JSON error message; panics unless this is a JSON error.
    fn error(&self) -> &str {
        assert!(
            self.content_type.starts_with("application/json"),
            "error answer is {} not JSON",
            self.content_type
        );
        self.body["error_message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error_message in {}", self.body))
    }
}

async fn send(
    s: &Server,
    auth: Auth<'_>,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut rb = client.request(method, s.url(path));
    rb = match auth {
        Auth::None => rb,
        Auth::Token(t) => rb.header("X-Auth-Token", t),
        Auth::Basic(u, p) => rb.basic_auth(u, Some(p)),
    };
    if let Some(b) = body {
        rb = rb.body(b.to_owned());
    }
    let response = rb.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    assert!(status < 500, "{path} answered {status}: {body}");
    Answer {
        status,
        body,
        content_type,
        retry_after,
    }
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Token(&'a str),
    Basic(&'a str, &'a str),
}

/// A user with an API password.
async fn api_user(s: &Server, name: &str, admin: bool) -> (User, String) {
    let user = s.user(name, PW, admin).await;
    let key = tributary_web::auth::api_keys::create(&s.store, &user, "test")
        .await
        .expect("api password");
    (user, key.secret)
}

async fn get(s: &Server, t: &str, path: &str) -> Answer {
    send(s, Auth::Token(t), Method::GET, path, None).await
}

async fn put(s: &Server, t: &str, path: &str, body: Option<&str>) -> Answer {
    send(s, Auth::Token(t), Method::PUT, path, body).await
}

async fn post(s: &Server, t: &str, path: &str, body: &str) -> Answer {
    send(s, Auth::Token(t), Method::POST, path, Some(body)).await
}

async fn delete(s: &Server, t: &str, path: &str) -> Answer {
    send(s, Auth::Token(t), Method::DELETE, path, None).await
}

fn ids(page: &Value) -> Vec<i64> {
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

async fn is_read(s: &Server, user: &User, id: i64) -> bool {
    s.store
        .entry_for_user(user.id, EntryId(id))
        .await
        .unwrap()
        .expect("entry")
        .read
}

#[tokio::test]
async fn credentials_are_an_api_password_as_token_or_basic_and_failures_are_401_json() {
    let s = Server::start().await;
    let (ann, secret) = api_user(&s, "ann", false).await;

    let me = get(&s, &secret, "/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "ann");
    assert_eq!(me.body["id"], ann.id.0);
    let basic = send(&s, Auth::Basic("ann", &secret), Method::GET, "/v1/me", None).await;
    assert_eq!(
        (basic.status, basic.body["username"].clone()),
        (200, json!("ann"))
    );

    for (what, auth) in [
        ("no credentials", Auth::None),
        ("a wrong token", Auth::Token("nope")),
        ("an empty token", Auth::Token("")),
        ("a wrong Basic password", Auth::Basic("ann", "wrong")),
        ("the login password over Basic", Auth::Basic("ann", PW)),
        (
            "another user's name with the secret",
            Auth::Basic("bob", &secret),
        ),
    ] {
        let a = send(&s, auth, Method::GET, "/v1/feeds", None).await;
        assert_eq!(a.status, 401, "{what}");
        assert_eq!(a.error(), "Access Unauthorized", "{what}");
    }

    // Five failures from one address: the next attempt waits, even with a
    // good secret (429 with Retry-After, still a JSON error).
    let throttled = get(&s, &secret, "/v1/me").await;
    assert_eq!(throttled.status, 429);
    assert!(throttled.retry_after.is_some(), "429 without Retry-After");
    assert!(throttled.error().contains("try again"));
}

#[tokio::test]
async fn api_keys_are_made_listed_and_revoked_per_user() {
    let s = Server::start().await;
    let (_ann, secret) = api_user(&s, "ann", false).await;
    let (_bob, bob_secret) = api_user(&s, "bob", false).await;
    let made = post(&s, &secret, "/v1/api-keys", r#"{"description":"phone"}"#).await;
    assert_eq!(made.status, 201);
    let token = made.body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(get(&s, &token, "/v1/me").await.body["username"], "ann");
    assert_eq!(
        get(&s, &secret, "/v1/api-keys")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        post(&s, &secret, "/v1/api-keys", r#"{"description":" "}"#)
            .await
            .status,
        400
    );
    // Bob cannot revoke Ann's key.
    let id = made.body["id"].as_i64().unwrap();
    assert_eq!(
        delete(&s, &bob_secret, &format!("/v1/api-keys/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(get(&s, &token, "/v1/me").await.status, 200);
    assert_eq!(
        delete(&s, &secret, &format!("/v1/api-keys/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(get(&s, &token, "/v1/me").await.status, 401);
}

#[tokio::test]
async fn users_are_managed_by_admins_and_others_get_403() {
    let s = Server::start().await;
    let (admin, root) = api_user(&s, "root", true).await;
    let (ann, secret) = api_user(&s, "ann", false).await;

    for (method, path, body) in [
        (Method::GET, "/v1/users".to_owned(), None),
        (
            Method::POST,
            "/v1/users".to_owned(),
            Some(r#"{"username":"x","password":"longenough"}"#),
        ),
        (Method::GET, format!("/v1/users/{}", admin.id), None),
        (Method::GET, "/v1/users/root".to_owned(), None),
        (Method::DELETE, format!("/v1/users/{}", admin.id), None),
        (Method::PUT, format!("/v1/users/{}", admin.id), Some("{}")),
        (
            Method::PUT,
            format!("/v1/users/{}/mark-all-as-read", admin.id),
            None,
        ),
    ] {
        let a = send(&s, Auth::Token(&secret), method.clone(), &path, body).await;
        assert_eq!(a.status, 403, "{method} {path}");
        assert_eq!(a.error(), "Access Forbidden");
    }
    // A user may not make themselves admin.
    let a = put(
        &s,
        &secret,
        &format!("/v1/users/{}", ann.id),
        Some(r#"{"is_admin":true}"#),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(!s.store.user(ann.id).await.unwrap().unwrap().is_admin);

    let list = get(&s, &root, "/v1/users").await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann", "root"]);

    let made = post(
        &s,
        &root,
        "/v1/users",
        r#"{"username":"cat","password":"longenough","is_admin":false}"#,
    )
    .await;
    assert_eq!(made.status, 201);
    assert_eq!(made.body["username"], "cat");
    assert_eq!(made.body["is_admin"], false);
    let cat_id = made.body["id"].as_i64().unwrap();
    assert_eq!(
        post(
            &s,
            &root,
            "/v1/users",
            r#"{"username":"cat","password":"longenough"}"#
        )
        .await
        .error(),
        "This user already exists."
    );
    assert_eq!(
        post(
            &s,
            &root,
            "/v1/users",
            r#"{"username":"dog","password":"short"}"#
        )
        .await
        .status,
        400
    );
    assert_eq!(
        post(&s, &root, "/v1/users", r#"{"password":"longenough"}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        get(&s, &root, &format!("/v1/users/{cat_id}")).await.body["username"],
        "cat"
    );
    assert_eq!(get(&s, &root, "/v1/users/cat").await.body["id"], cat_id);
    assert_eq!(get(&s, &root, "/v1/users/nobody").await.status, 404);
    assert_eq!(get(&s, &root, "/v1/users/999999").await.status, 404);

    // Password and admin rights change; a rename is refused.
    let before = s
        .store
        .password_hash(tributary_model::UserId(cat_id))
        .await
        .unwrap();
    let changed = put(
        &s,
        &root,
        &format!("/v1/users/{cat_id}"),
        Some(r#"{"password":"another password","is_admin":true,"theme":"dark_serif"}"#),
    )
    .await;
    assert_eq!(changed.status, 201);
    assert_eq!(changed.body["is_admin"], true);
    assert_ne!(
        s.store
            .password_hash(tributary_model::UserId(cat_id))
            .await
            .unwrap(),
        before
    );
    assert_eq!(
        put(
            &s,
            &root,
            &format!("/v1/users/{cat_id}"),
            Some(r#"{"username":"dog"}"#)
        )
        .await
        .status,
        400
    );
    // Oneself: the password may change, mark-all-as-read works.
    assert_eq!(
        put(
            &s,
            &secret,
            &format!("/v1/users/{}", ann.id),
            Some(r#"{"password":"a new password"}"#)
        )
        .await
        .status,
        201
    );
    assert_eq!(
        put(
            &s,
            &secret,
            &format!("/v1/users/{}/mark-all-as-read", ann.id),
            None
        )
        .await
        .status,
        204
    );

    assert_eq!(
        delete(&s, &root, &format!("/v1/users/{}", admin.id))
            .await
            .error(),
        "you cannot remove yourself"
    );
    assert_eq!(
        delete(&s, &root, &format!("/v1/users/{cat_id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        get(&s, &root, &format!("/v1/users/{cat_id}")).await.status,
        404
    );
    assert_eq!(
        delete(&s, &root, &format!("/v1/users/{cat_id}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn categories_are_created_listed_with_counts_renamed_and_deleted() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    let now = Utc::now();
    let f1 = seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        Some("Net"),
        3,
        now,
    )
    .await;
    seed(&s.store, ann.id, "https://b.example/feed", None, 2, now).await;

    let made = post(&s, &t, "/v1/categories", r#"{"title":"Blogs"}"#).await;
    assert_eq!(made.status, 201);
    assert_eq!(made.body["title"], "Blogs");
    assert_eq!(made.body["user_id"], ann.id.0);
    let blogs = made.body["id"].as_i64().unwrap();
    assert_eq!(
        post(&s, &t, "/v1/categories", r#"{"title":"blogs"}"#)
            .await
            .error(),
        "This category already exists."
    );
    assert_eq!(
        post(&s, &t, "/v1/categories", r#"{"title":"  "}"#)
            .await
            .error(),
        "The title is mandatory."
    );
    let nested = post(&s, &t, "/v1/categories", r#"{"title":"Net/Vendors"}"#).await;
    assert_eq!(
        (
            nested.body["title"].clone(),
            nested.body["tributary_path"].clone()
        ),
        (json!("Vendors"), json!("Net/Vendors"))
    );

    let plain = get(&s, &t, "/v1/categories").await;
    assert!(
        plain.body[0].get("feed_count").is_none(),
        "counts only when asked"
    );
    let counted = get(&s, &t, "/v1/categories?counts=true").await;
    let net = counted
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Net")
        .unwrap()
        .clone();
    assert_eq!(
        (net["feed_count"].clone(), net["total_unread"].clone()),
        (json!(1), json!(3))
    );
    let net_id = net["id"].as_i64().unwrap();

    let feeds = get(&s, &t, &format!("/v1/categories/{net_id}/feeds")).await;
    assert_eq!(feeds.body.as_array().unwrap().len(), 1);
    assert_eq!(feeds.body[0]["id"], f1.0);
    let entries = get(&s, &t, &format!("/v1/categories/{net_id}/entries")).await;
    assert_eq!(entries.body["total"], 3);
    let one = ids(&entries.body)[0];
    assert_eq!(
        get(&s, &t, &format!("/v1/categories/{net_id}/entries/{one}"))
            .await
            .body["id"],
        one
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/categories/{blogs}/entries/{one}"))
            .await
            .status,
        404
    );

    let renamed = put(
        &s,
        &t,
        &format!("/v1/categories/{blogs}"),
        Some(r#"{"id":1,"title":"Weblogs"}"#),
    )
    .await;
    assert_eq!(
        (renamed.status, renamed.body["title"].clone()),
        (201, json!("Weblogs"))
    );
    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/categories/{blogs}"),
            Some(r#"{"title":"Net"}"#)
        )
        .await
        .status,
        400
    );
    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/categories/{blogs}"),
            Some(r#"{"title":"a/b"}"#)
        )
        .await
        .status,
        400
    );

    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/categories/{net_id}/mark-all-as-read"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        get(
            &s,
            &t,
            &format!("/v1/categories/{net_id}/entries?status=unread")
        )
        .await
        .body["total"],
        0
    );
    assert_eq!(
        get(&s, &t, "/v1/entries?status=unread").await.body["total"],
        2,
        "other feeds untouched"
    );
    // Refresh needs a fetcher: this server has none, and says so.
    assert_eq!(
        put(&s, &t, &format!("/v1/categories/{net_id}/refresh"), None)
            .await
            .status,
        400
    );

    assert_eq!(
        delete(&s, &t, &format!("/v1/categories/{net_id}"))
            .await
            .status,
        204
    );
    let feed = get(&s, &t, &format!("/v1/feeds/{}", f1.0)).await;
    assert_eq!(feed.body["category"]["id"], 0, "its feed is uncategorized");
    assert_eq!(
        delete(&s, &t, &format!("/v1/categories/{net_id}"))
            .await
            .status,
        404
    );
}

/// Every field a Miniflux feed object has.
const FEED_FIELDS: &[&str] = &[
    "id",
    "user_id",
    "feed_url",
    "site_url",
    "title",
    "checked_at",
    "next_check_at",
    "etag_header",
    "last_modified_header",
    "parsing_error_message",
    "parsing_error_count",
    "scraper_rules",
    "rewrite_rules",
    "crawler",
    "blocklist_rules",
    "keeplist_rules",
    "urlrewrite_rules",
    "user_agent",
    "cookie",
    "username",
    "password",
    "disabled",
    "no_media_player",
    "ignore_http_cache",
    "allow_self_signed_certificates",
    "fetch_via_proxy",
    "category",
    "icon",
    "hide_globally",
    "apprise_service_urls",
];
/// Every field a Miniflux entry object has.
const ENTRY_FIELDS: &[&str] = &[
    "id",
    "user_id",
    "feed_id",
    "status",
    "hash",
    "title",
    "url",
    "comments_url",
    "published_at",
    "created_at",
    "changed_at",
    "content",
    "author",
    "share_code",
    "starred",
    "reading_time",
    "enclosures",
    "feed",
    "tags",
];

#[tokio::test]
async fn feeds_are_listed_changed_counted_marked_and_removed() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    let now = Utc::now();
    let f1 = seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        Some("Net"),
        4,
        now,
    )
    .await;
    let f2 = seed(&s.store, ann.id, "https://b.example/feed", None, 2, now).await;

    let list = get(&s, &t, "/v1/feeds").await;
    assert_eq!(list.status, 200);
    let feeds = list.body.as_array().unwrap();
    assert_eq!(feeds.len(), 2);
    for f in feeds {
        for field in FEED_FIELDS {
            assert!(f.get(*field).is_some(), "feed has no {field}: {f}");
        }
        assert!(f["icon"].is_null());
    }
    let one = get(&s, &t, &format!("/v1/feeds/{}", f1.0)).await;
    assert_eq!(one.body["feed_url"], "https://a.example/feed");
    assert_eq!(one.body["category"]["title"], "Net");
    assert_eq!(one.body["title"], "Feed https://a.example/feed");

    // Title, category and pause change; the URL cannot.
    let net = one.body["category"]["id"].as_i64().unwrap();
    let changed = put(
        &s,
        &t,
        &format!("/v1/feeds/{}", f2.0),
        Some(&json!({"title":"Bee","category_id":net,"disabled":true,"crawler":true}).to_string()),
    )
    .await;
    assert_eq!(changed.status, 201);
    assert_eq!(
        (
            changed.body["title"].clone(),
            changed.body["category"]["id"].clone(),
            changed.body["disabled"].clone()
        ),
        (json!("Bee"), json!(net), json!(true))
    );
    let view = s
        .store
        .subscription_view(ann.id, f2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.settings.title_override.as_deref(), Some("Bee"));
    assert!(view.settings.paused);
    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/feeds/{}", f2.0),
            Some(r#"{"feed_url":"https://elsewhere.example/"}"#)
        )
        .await
        .status,
        400
    );
    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/feeds/{}", f2.0),
            Some(r#"{"category_id":999999}"#)
        )
        .await
        .status,
        400
    );

    // Counters follow reading.
    let first = ids(
        &get(&s, &t, &format!("/v1/feeds/{}/entries?order=id", f1.0))
            .await
            .body,
    );
    assert_eq!(
        put(
            &s,
            &t,
            "/v1/entries",
            Some(&json!({"entry_ids": [first[0]], "status":"read"}).to_string())
        )
        .await
        .status,
        204
    );
    let counters = get(&s, &t, "/v1/feeds/counters").await;
    assert_eq!(counters.body["unreads"][f1.0.to_string()], 3);
    assert_eq!(counters.body["reads"][f1.0.to_string()], 1);
    assert_eq!(counters.body["unreads"][f2.0.to_string()], 2);

    let entry = get(&s, &t, &format!("/v1/feeds/{}/entries/{}", f1.0, first[1])).await;
    assert_eq!(entry.body["id"], first[1]);
    assert_eq!(
        get(&s, &t, &format!("/v1/feeds/{}/entries/{}", f2.0, first[1]))
            .await
            .status,
        404
    );
    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/feeds/{}/mark-all-as-read", f1.0),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/feeds/{}/entries?status=unread", f1.0))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/feeds/{}/entries?status=unread", f2.0))
            .await
            .body["total"],
        2
    );
    // No fetcher on this server: refreshing says so.
    assert_eq!(
        put(&s, &t, &format!("/v1/feeds/{}/refresh", f1.0), None)
            .await
            .status,
        400
    );

    assert_eq!(
        delete(&s, &t, &format!("/v1/feeds/{}", f1.0)).await.status,
        204
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/feeds/{}", f1.0)).await.status,
        404
    );
    assert_eq!(
        delete(&s, &t, &format!("/v1/feeds/{}", f1.0)).await.status,
        404
    );
    assert_eq!(
        get(&s, &t, "/v1/feeds")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Loop feed</title>
<link>http://example.org/</link><description>d</description>
<item><title>One</title><guid>g1</guid><link>http://example.org/1</link><pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate><description>first</description></item>
<item><title>Two</title><guid>g2</guid><link>http://example.org/2</link><pubDate>Mon, 01 Jan 2024 11:00:00 GMT</pubDate><description>second</description><enclosure url="http://example.org/a.mp3" type="audio/mpeg" length="1234"/></item>
</channel></rss>"#;

/// A loopback site: `/feed.xml`, `/page.html` (links the feed), `/plain.html` (links nothing).
async fn feed_site() -> String {
    use axum::http::header;
    use axum::routing::get as route_get;
    let app = axum::Router::new()
        .route("/feed.xml", route_get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], RSS) }))
        .route("/page.html", route_get(|| async {
            ([(header::CONTENT_TYPE, "text/html")],
             r#"<html><head><link rel="alternate" type="application/rss+xml" title="Loop" href="/feed.xml"></head><body>hi</body></html>"#)
        }))
        .route("/plain.html", route_get(|| async {
            ([(header::CONTENT_TYPE, "text/html")], "<html><head><title>x</title></head><body>none</body></html>")
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn fetching_server() -> Server {
    Server::start_configured(
        |_| tributary_web::WebConfig::default(),
        Some(tributary_fetch::FetchConfig {
            allow_private_networks: true,
            ..Default::default()
        }),
    )
    .await
}

#[tokio::test]
async fn a_new_feed_is_fetched_before_the_answer_and_discovery_finds_feeds() {
    let site = feed_site().await;
    let s = fetching_server().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    let cat = post(&s, &t, "/v1/categories", r#"{"title":"Loop"}"#)
        .await
        .body["id"]
        .as_i64()
        .unwrap();

    let made = post(
        &s,
        &t,
        "/v1/feeds",
        &json!({"feed_url": format!("{site}/feed.xml"), "category_id": cat}).to_string(),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let feed_id = made.body["feed_id"].as_i64().unwrap();
    let feed = get(&s, &t, &format!("/v1/feeds/{feed_id}")).await;
    assert_eq!(
        (
            feed.body["title"].clone(),
            feed.body["category"]["id"].clone()
        ),
        (json!("Loop feed"), json!(cat))
    );
    assert_ne!(
        feed.body["checked_at"], "0001-01-01T00:00:00Z",
        "it was fetched"
    );
    let entries = get(
        &s,
        &t,
        &format!("/v1/feeds/{feed_id}/entries?order=published_at&direction=desc"),
    )
    .await;
    assert_eq!(entries.body["total"], 2);
    let newest = &entries.body["entries"][0];
    for field in ENTRY_FIELDS {
        assert!(
            newest.get(*field).is_some(),
            "entry has no {field}: {newest}"
        );
    }
    assert_eq!(newest["title"], "Two");
    assert_eq!(newest["published_at"], "2024-01-01T11:00:00Z");
    assert_eq!(newest["status"], "unread");
    assert_eq!(newest["feed"]["id"], feed_id);
    assert_eq!(newest["enclosures"][0]["url"], "http://example.org/a.mp3");
    assert_eq!(newest["enclosures"][0]["size"], 1234);
    assert_eq!(newest["user_id"], ann.id.0);

    let again = post(
        &s,
        &t,
        "/v1/feeds",
        &json!({"feed_url": format!("{site}/feed.xml")}).to_string(),
    )
    .await;
    assert_eq!(again.error(), "This feed already exists.");
    assert_eq!(
        post(
            &s,
            &t,
            "/v1/feeds",
            &json!({"feed_url": format!("{site}/feed.xml"), "category_id": 999}).to_string()
        )
        .await
        .status,
        400
    );
    assert_eq!(
        post(&s, &t, "/v1/feeds", r#"{"feed_url":"ftp://x/"}"#)
            .await
            .status,
        400
    );
    assert_eq!(
        post(
            &s,
            &t,
            "/v1/feeds",
            &json!({"feed_url": format!("{site}/plain.html")}).to_string()
        )
        .await
        .status,
        400
    );
    assert_eq!(
        post(&s, &t, "/v1/feeds", r#"{}"#).await.error(),
        "The feed URL is required."
    );

    let found = post(
        &s,
        &t,
        "/v1/discover",
        &json!({"url": format!("{site}/page.html")}).to_string(),
    )
    .await;
    assert_eq!(found.status, 200);
    assert_eq!(
        found.body,
        json!([{"url": format!("{site}/feed.xml"), "title": "Loop feed", "type": "feed"}])
    );
    assert_eq!(
        post(
            &s,
            &t,
            "/v1/discover",
            &json!({"url": format!("{site}/plain.html")}).to_string()
        )
        .await
        .status,
        404
    );
    assert_eq!(
        post(&s, &t, "/v1/discover", r#"{"url":"not a url"}"#)
            .await
            .status,
        400
    );

    // Refreshing with a fetcher: 204, and the feed is fetched again.
    assert_eq!(
        put(&s, &t, &format!("/v1/feeds/{feed_id}/refresh"), None)
            .await
            .status,
        204
    );
    assert_eq!(put(&s, &t, "/v1/feeds/refresh", None).await.status, 204);
    assert_eq!(
        put(&s, &t, &format!("/v1/categories/{cat}/refresh"), None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn entries_are_filtered_ordered_and_counted_like_miniflux() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    let newest = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
    let fa = seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        Some("Net"),
        5,
        newest,
    )
    .await;
    let fb = seed(
        &s.store,
        ann.id,
        "https://b.example/feed",
        None,
        5,
        newest - Duration::hours(1),
    )
    .await;

    let all = get(&s, &t, "/v1/entries").await;
    assert_eq!(all.body["total"], 10);
    let published: Vec<String> = all.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["published_at"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = published.clone();
    sorted.sort();
    assert_eq!(published, sorted, "default order: published_at ascending");

    let desc = get(
        &s,
        &t,
        "/v1/entries?order=published_at&direction=desc&limit=3",
    )
    .await;
    assert_eq!(
        desc.body["total"], 10,
        "total counts every match, not the page"
    );
    assert_eq!(desc.body["entries"].as_array().unwrap().len(), 3);
    assert_eq!(
        desc.body["entries"][0]["published_at"],
        "2024-03-01T12:00:00Z"
    );

    let by_id = ids(&get(&s, &t, "/v1/entries?order=id&direction=asc&limit=100")
        .await
        .body);
    assert_eq!(by_id.len(), 10);
    assert!(by_id.windows(2).all(|w| w[0] < w[1]));

    assert_eq!(
        get(&s, &t, &format!("/v1/entries?feed_id={}", fb.0))
            .await
            .body["total"],
        5
    );
    let net = get(&s, &t, "/v1/categories").await.body[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?category_id={net}"))
            .await
            .body["total"],
        5
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/feeds/{}/entries", fa.0))
            .await
            .body["total"],
        5
    );

    // Status, repeated; starred; search.
    s.store
        .set_read_many(ann.id, &[EntryId(by_id[0]), EntryId(by_id[1])], true)
        .await
        .unwrap();
    s.store
        .set_starred_many(ann.id, &[EntryId(by_id[2])], true)
        .await
        .unwrap();
    assert_eq!(
        get(&s, &t, "/v1/entries?status=read").await.body["total"],
        2
    );
    assert_eq!(
        get(&s, &t, "/v1/entries?status=unread").await.body["total"],
        8
    );
    assert_eq!(
        get(&s, &t, "/v1/entries?status=read&status=unread")
            .await
            .body["total"],
        10
    );
    assert_eq!(
        get(&s, &t, "/v1/entries?status=removed").await.body["total"],
        0
    );
    assert_eq!(
        ids(&get(&s, &t, "/v1/entries?starred=true").await.body),
        vec![by_id[2]]
    );
    assert_eq!(
        get(&s, &t, "/v1/entries?starred=false").await.body["total"],
        9
    );
    assert_eq!(
        get(&s, &t, "/v1/entries?search=b.example").await.body["total"],
        5
    );
    let st = get(&s, &t, "/v1/entries?order=status&direction=asc").await;
    assert_eq!(
        st.body["entries"][0]["status"], "read",
        "as Miniflux: \"read\" < \"unread\""
    );
    let st = get(&s, &t, "/v1/entries?order=status&direction=desc").await;
    assert_eq!(st.body["entries"][0]["status"], "unread");

    // Time bounds (exclusive, unix seconds) and id bounds.
    let at = newest.timestamp();
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?after={}", at - 150))
            .await
            .body["total"],
        3,
        "12:00, 11:59 and 11:58 of feed a"
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?published_after={}", at - 150))
            .await
            .body["total"],
        3
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?before={}", at - 3600))
            .await
            .body["total"],
        4,
        "feed b's older four"
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?after_entry_id={}", by_id[7]))
            .await
            .body["total"],
        2
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?before_entry_id={}", by_id[2]))
            .await
            .body["total"],
        2
    );
    assert_eq!(
        get(
            &s,
            &t,
            &format!(
                "/v1/entries?changed_after={}",
                Utc::now().timestamp() + 3600
            )
        )
        .await
        .body["total"],
        0
    );

    let one = get(&s, &t, &format!("/v1/entries/{}", by_id[0])).await;
    assert_eq!(
        (one.body["status"].clone(), one.body["title"].clone()),
        (json!("read"), json!("Entry 0 of https://a.example/feed"))
    );
    assert_eq!(
        one.body["content"],
        "<p>Entry 0 of https://a.example/feed</p>"
    );
    assert_eq!(one.body["feed"]["category"]["title"], "Net");
    assert_eq!(one.body["reading_time"], 1);
}

#[tokio::test]
async fn paging_over_1000_entries_by_offset_or_after_entry_id_yields_each_once() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    let now = Utc::now();
    seed(&s.store, ann.id, "https://a.example/feed", None, 600, now).await;
    seed(
        &s.store,
        ann.id,
        "https://b.example/feed",
        None,
        450,
        now - Duration::seconds(30),
    )
    .await;

    let mut by_offset = Vec::new();
    let mut offset = 0;
    loop {
        let page = get(
            &s,
            &t,
            &format!("/v1/entries?order=published_at&direction=desc&limit=100&offset={offset}"),
        )
        .await;
        assert_eq!(page.body["total"], 1050);
        let got = ids(&page.body);
        if got.is_empty() {
            break;
        }
        by_offset.extend(got);
        offset += 100;
    }
    assert_eq!(by_offset.len(), 1050);
    let unique: BTreeSet<i64> = by_offset.iter().copied().collect();
    assert_eq!(unique.len(), 1050, "an entry came twice");

    let mut by_cursor = Vec::new();
    let mut after = 0;
    loop {
        let page = get(
            &s,
            &t,
            &format!("/v1/entries?order=id&direction=asc&limit=250&after_entry_id={after}"),
        )
        .await;
        let got = ids(&page.body);
        if got.is_empty() {
            break;
        }
        after = *got.last().unwrap();
        by_cursor.extend(got);
    }
    assert_eq!(by_cursor.len(), 1050);
    assert!(by_cursor.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(by_cursor.iter().copied().collect::<BTreeSet<_>>(), unique);

    // limit=0 (as Miniflux: no limit) gets them all in one page.
    assert_eq!(
        ids(&get(&s, &t, "/v1/entries?limit=0").await.body).len(),
        1050
    );
}

#[tokio::test]
async fn reading_state_and_bookmarks_change_and_bad_bodies_are_400() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        None,
        3,
        Utc::now(),
    )
    .await;
    let all = ids(&get(&s, &t, "/v1/entries?order=id").await.body);

    let body = json!({"entry_ids": [all[0], all[1]], "status": "read"}).to_string();
    assert_eq!(put(&s, &t, "/v1/entries", Some(&body)).await.status, 204);
    assert!(is_read(&s, &ann, all[0]).await && is_read(&s, &ann, all[1]).await);
    assert!(!is_read(&s, &ann, all[2]).await);
    let body = json!({"entry_ids": [all[0]], "status": "unread"}).to_string();
    assert_eq!(put(&s, &t, "/v1/entries", Some(&body)).await.status, 204);
    assert!(!is_read(&s, &ann, all[0]).await);

    for bad in [
        "",
        "not json",
        "[]",
        r#"{"status":"read"}"#,
        r#"{"entry_ids":[],"status":"read"}"#,
        r#"{"entry_ids":["1"],"status":"read"}"#,
        r#"{"entry_ids":[-4],"status":"read"}"#,
        r#"{"entry_ids":[1]}"#,
        r#"{"entry_ids":[1],"status":"removed"}"#,
        r#"{"entry_ids":[1],"status":"bogus"}"#,
        r#"{"entry_ids":[99999999999999999999],"status":"read"}"#,
    ] {
        let a = put(&s, &t, "/v1/entries", Some(bad)).await;
        assert_eq!(a.status, 400, "body {bad:?}");
        a.error();
    }

    let target = all[2];
    assert_eq!(
        put(&s, &t, &format!("/v1/entries/{target}/bookmark"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries/{target}")).await.body["starred"],
        true
    );
    assert_eq!(
        put(&s, &t, &format!("/v1/entries/{target}/star"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries/{target}")).await.body["starred"],
        false
    );
    assert_eq!(
        put(&s, &t, "/v1/entries/999999/bookmark", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn malformed_ids_and_parameters_are_400_with_a_reason_never_500() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", true).await;
    let feed = seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        Some("Net"),
        2,
        Utc::now(),
    )
    .await;
    let f = feed.0;
    for (method, path, body) in [
        (Method::GET, "/v1/feeds/abc".to_owned(), None),
        (Method::GET, "/v1/feeds/0".to_owned(), None),
        (Method::GET, "/v1/feeds/-3".to_owned(), None),
        (
            Method::GET,
            "/v1/feeds/99999999999999999999".to_owned(),
            None,
        ),
        (Method::PUT, "/v1/feeds/x".to_owned(), Some("{}")),
        (Method::DELETE, "/v1/feeds/1.5".to_owned(), None),
        (Method::GET, "/v1/entries/abc".to_owned(), None),
        (Method::GET, format!("/v1/feeds/{f}/entries/abc"), None),
        (Method::GET, "/v1/categories/abc/entries".to_owned(), None),
        (
            Method::PUT,
            "/v1/categories/abc".to_owned(),
            Some(r#"{"title":"x"}"#),
        ),
        (Method::PUT, "/v1/entries/abc/bookmark".to_owned(), None),
        (Method::DELETE, "/v1/api-keys/abc".to_owned(), None),
        (Method::PUT, "/v1/users/abc".to_owned(), Some("{}")),
        (Method::GET, "/v1/users/0".to_owned(), None),
        (Method::GET, "/v1/icons/abc".to_owned(), None),
        (Method::GET, "/v1/entries?limit=ten".to_owned(), None),
        (Method::GET, "/v1/entries?limit=-1".to_owned(), None),
        (Method::GET, "/v1/entries?offset=-1".to_owned(), None),
        (
            Method::GET,
            "/v1/entries?offset=99999999999".to_owned(),
            None,
        ),
        (Method::GET, "/v1/entries?order=title".to_owned(), None),
        (Method::GET, "/v1/entries?direction=up".to_owned(), None),
        (Method::GET, "/v1/entries?status=new".to_owned(), None),
        (Method::GET, "/v1/entries?starred=maybe".to_owned(), None),
        (Method::GET, "/v1/entries?before=yesterday".to_owned(), None),
        (
            Method::GET,
            "/v1/entries?after=99999999999999999".to_owned(),
            None,
        ),
        (Method::GET, "/v1/entries?after_entry_id=x".to_owned(), None),
        (Method::GET, "/v1/entries?feed_id=x".to_owned(), None),
        (Method::GET, "/v1/entries?feed_id=999999".to_owned(), None),
        (
            Method::GET,
            "/v1/entries?category_id=999999".to_owned(),
            None,
        ),
        (Method::GET, "/v1/entries?search=%22%22".to_owned(), None),
        (Method::GET, "/v1/entries?tags=x".to_owned(), None),
        (
            Method::GET,
            "/v1/categories?counts=sometimes".to_owned(),
            None,
        ),
        (Method::POST, "/v1/categories".to_owned(), Some("not json")),
        (
            Method::POST,
            "/v1/categories".to_owned(),
            Some(r#"{"title":5}"#),
        ),
        (Method::POST, "/v1/categories".to_owned(), None),
        (
            Method::POST,
            "/v1/feeds".to_owned(),
            Some(r#"{"feed_url":["x"]}"#),
        ),
        (
            Method::POST,
            "/v1/feeds".to_owned(),
            Some(r#"{"feed_url":"https://x.example/","category_id":"one"}"#),
        ),
        (
            Method::PUT,
            format!("/v1/feeds/{f}"),
            Some(r#"{"disabled":"yes"}"#),
        ),
        (Method::PUT, format!("/v1/feeds/{f}"), Some("{")),
        (
            Method::POST,
            "/v1/users".to_owned(),
            Some(r#"{"username":"x","password":"longenough","is_admin":"no"}"#),
        ),
        (
            Method::POST,
            "/v1/api-keys".to_owned(),
            Some(r#"{"description":null}"#),
        ),
        (
            Method::POST,
            "/v1/discover".to_owned(),
            Some(r#"{"url":42}"#),
        ),
        (
            Method::POST,
            "/v1/import".to_owned(),
            Some("<html>not opml</html>"),
        ),
        (Method::POST, "/v1/import".to_owned(), Some("")),
    ] {
        let a = send(&s, Auth::Token(&t), method.clone(), &path, body).await;
        assert_eq!(a.status, 400, "{method} {path} {body:?}: {}", a.body);
        assert!(!a.error().is_empty());
    }
    // The feed was not changed by the bad requests.
    let view = s
        .store
        .subscription_view(ann.id, feed)
        .await
        .unwrap()
        .unwrap();
    assert!(!view.settings.paused);
}

#[tokio::test]
async fn another_users_feeds_entries_categories_and_keys_are_404_and_never_change() {
    let s = Server::start().await;
    let (_ann, t) = api_user(&s, "ann", false).await;
    let (bob, bob_t) = api_user(&s, "bob", false).await;
    let bf = seed(
        &s.store,
        bob.id,
        "https://bob.example/feed",
        Some("Bobs"),
        3,
        Utc::now(),
    )
    .await
    .0;
    let bob_entries = ids(&get(&s, &bob_t, "/v1/entries?order=id").await.body);
    let be = bob_entries[0];
    let bc = get(&s, &bob_t, "/v1/categories").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let bk = get(&s, &bob_t, "/v1/api-keys").await.body[0]["id"]
        .as_i64()
        .unwrap();

    for (method, path, body) in [
        (Method::GET, format!("/v1/feeds/{bf}"), None),
        (
            Method::PUT,
            format!("/v1/feeds/{bf}"),
            Some(r#"{"title":"mine now","disabled":true}"#),
        ),
        (Method::DELETE, format!("/v1/feeds/{bf}"), None),
        (Method::GET, format!("/v1/feeds/{bf}/entries"), None),
        (Method::GET, format!("/v1/feeds/{bf}/entries/{be}"), None),
        (Method::GET, format!("/v1/feeds/{bf}/icon"), None),
        (
            Method::PUT,
            format!("/v1/feeds/{bf}/mark-all-as-read"),
            None,
        ),
        (Method::PUT, format!("/v1/feeds/{bf}/refresh"), None),
        (Method::GET, format!("/v1/entries/{be}"), None),
        (Method::PUT, format!("/v1/entries/{be}/bookmark"), None),
        (
            Method::PUT,
            format!("/v1/entries/{be}"),
            Some(r#"{"title":"x"}"#),
        ),
        (Method::GET, format!("/v1/entries/{be}/fetch-content"), None),
        (Method::POST, format!("/v1/entries/{be}/save"), None),
        (
            Method::PUT,
            format!("/v1/categories/{bc}"),
            Some(r#"{"title":"Taken"}"#),
        ),
        (Method::DELETE, format!("/v1/categories/{bc}"), None),
        (Method::GET, format!("/v1/categories/{bc}/feeds"), None),
        (Method::GET, format!("/v1/categories/{bc}/entries"), None),
        (
            Method::GET,
            format!("/v1/categories/{bc}/entries/{be}"),
            None,
        ),
        (
            Method::PUT,
            format!("/v1/categories/{bc}/mark-all-as-read"),
            None,
        ),
        (Method::PUT, format!("/v1/categories/{bc}/refresh"), None),
        (Method::DELETE, format!("/v1/api-keys/{bk}"), None),
    ] {
        let a = send(&s, Auth::Token(&t), method.clone(), &path, body).await;
        assert_eq!(a.status, 404, "{method} {path}: {}", a.body);
        a.error();
    }
    // As filters they are 400 (as in Miniflux), and Ann's lists never show them.
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?feed_id={bf}"))
            .await
            .status,
        400
    );
    assert_eq!(
        get(&s, &t, &format!("/v1/entries?category_id={bc}"))
            .await
            .status,
        400
    );
    assert_eq!(get(&s, &t, "/v1/entries").await.body["total"], 0);
    assert_eq!(get(&s, &t, "/v1/feeds").await.body, json!([]));
    assert_eq!(get(&s, &t, "/v1/categories").await.body, json!([]));
    // Marking Bob's ids read or starring them through Ann changes nothing.
    let body = json!({"entry_ids": bob_entries, "status": "read"}).to_string();
    assert_eq!(put(&s, &t, "/v1/entries", Some(&body)).await.status, 204);
    assert_eq!(
        put(
            &s,
            &t,
            &format!("/v1/users/{}/mark-all-as-read", bob.id),
            None
        )
        .await
        .status,
        403
    );

    let bob_page = s
        .store
        .api_entries(bob.id, &ApiEntryQuery::default())
        .await
        .unwrap();
    assert_eq!(bob_page.items.len(), 3);
    assert!(bob_page
        .items
        .iter()
        .all(|i| !i.item.read && !i.item.starred));
    let view = s
        .store
        .subscription_view(bob.id, FeedId(bf))
        .await
        .unwrap()
        .unwrap();
    assert!(view.settings.title_override.is_none() && !view.settings.paused);
    assert_eq!(s.store.categories(bob.id).await.unwrap()[0].name, "Bobs");
    assert_eq!(
        get(&s, &bob_t, "/v1/me").await.status,
        200,
        "Bob's key still works"
    );
}

#[tokio::test]
async fn opml_is_exported_and_imported() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        Some("Net"),
        1,
        Utc::now(),
    )
    .await;
    let export = get(&s, &t, "/v1/export").await;
    assert_eq!(export.status, 200);
    assert!(export.content_type.starts_with("text/xml"));
    let text = export.body.as_str().unwrap();
    assert!(
        text.contains("<opml") && text.contains("https://a.example/feed") && text.contains("Net")
    );

    let opml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
      <outline text="Tech"><outline type="rss" text="C" xmlUrl="https://c.example/feed"/></outline>
      <outline type="rss" text="A again" xmlUrl="https://a.example/feed"/>
      <outline type="rss" text="Bad" xmlUrl="ftp://d.example/feed"/>
    </body></opml>"#;
    let imported = post(&s, &t, "/v1/import", opml).await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    assert_eq!(imported.body["message"], "Feeds imported successfully");
    assert_eq!(
        imported.body["tributary_added"],
        json!(["https://c.example/feed"])
    );
    assert_eq!(
        imported.body["tributary_skipped"],
        json!(["https://a.example/feed"])
    );
    assert_eq!(
        imported.body["tributary_refused"][0]["url"],
        "ftp://d.example/feed"
    );
    let feeds = get(&s, &t, "/v1/feeds").await;
    let c = feeds
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed_url"] == "https://c.example/feed")
        .unwrap()
        .clone();
    assert_eq!(c["category"]["title"], "Tech");
}

#[tokio::test]
async fn icons_are_404_and_unsupported_operations_are_400_with_a_reason() {
    let s = Server::start().await;
    let (ann, t) = api_user(&s, "ann", false).await;
    let f = seed(
        &s.store,
        ann.id,
        "https://a.example/feed",
        None,
        1,
        Utc::now(),
    )
    .await
    .0;
    let e = ids(&get(&s, &t, "/v1/entries").await.body)[0];
    let icon = get(&s, &t, &format!("/v1/feeds/{f}/icon")).await;
    assert_eq!(icon.status, 404);
    assert!(icon.error().contains("no favicons"));
    assert_eq!(get(&s, &t, "/v1/icons/1").await.status, 404);
    for (method, path) in [
        (Method::GET, format!("/v1/entries/{e}/fetch-content")),
        (Method::POST, format!("/v1/entries/{e}/save")),
        (Method::PUT, format!("/v1/entries/{e}")),
        (Method::PUT, "/v1/flush-history".to_owned()),
        (Method::DELETE, "/v1/flush-history".to_owned()),
    ] {
        let a = send(
            &s,
            Auth::Token(&t),
            method.clone(),
            &path,
            Some(r#"{"title":"x"}"#),
        )
        .await;
        assert_eq!(a.status, 400, "{method} {path}");
        a.error();
    }
    assert_eq!(
        get(&s, &t, "/v1/integrations/status").await.body,
        json!({"has_integrations": false})
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_unknown_paths_are_json_404() {
    let s = Server::start().await;
    let (_ann, t) = api_user(&s, "ann", false).await;
    // The document needs no credentials and is OpenAPI 3.0.
    let doc = send(&s, Auth::None, Method::GET, "/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.0"));
    let paths = doc.body["paths"].as_object().unwrap();
    assert!(paths.len() >= 35);
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path
                .replace("{userID}", "999999")
                .replace("{apiKeyID}", "999999")
                .replace("{categoryID}", "999999")
                .replace("{feedID}", "999999")
                .replace("{entryID}", "999999")
                .replace("{iconID}", "999999");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = send(&s, Auth::Token(&t), m, &concrete, Some("{}")).await;
            assert_ne!(a.status, 405, "{method} {path} is not routed");
            if a.status == 404 {
                a.error();
            }
        }
    }
    let version = get(&s, &t, "/v1/version").await;
    assert_eq!(version.body["version"], env!("CARGO_PKG_VERSION"));
    let unknown = get(&s, &t, "/v1/nothing/here").await;
    assert_eq!(unknown.status, 404);
    unknown.error();
    let health = send(&s, Auth::None, Method::GET, "/healthcheck", None).await;
    assert_eq!((health.status, health.body.clone()), (200, json!("OK")));
    // A base URL with a trailing slash (newsboat) is redirected, method kept.
    let slash = get(&s, &t, "//v1/me?x=1").await;
    assert_eq!(slash.status, 308);
    let preflight = send(&s, Auth::None, Method::OPTIONS, "/v1/feeds", None).await;
    assert_eq!(
        preflight.status, 200,
        "a CORS preflight needs no credentials"
    );
}
