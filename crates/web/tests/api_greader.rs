//! The Google Reader API over real HTTP on loopback, on a real SQLite
//! file: sign-in and its failures, every endpoint, continuation paging
//! over more than 1,000 entries, the three item-id forms, order and
//! filters, bad input (400 with a reason), and that one user can never
//! see or change another's entries, feeds or labels.

mod common;

use std::collections::HashSet;

use chrono::{Duration, Utc};
use common::{seed, Server};
use reqwest::StatusCode;
use serde_json::Value;
use tributary_model::{EntryId, FeedId};
use tributary_store::{ApiEntryQuery, User};

const PW: &str = "correct horse battery";
const BASE: &str = "/api/greader";
const API: &str = "/api/greader/reader/api/0";

/// A signed-in Google Reader client: the `Auth` token and the write token.
struct Reader {
    auth: String,
    t: String,
    http: reqwest::Client,
}

/// A user with an API password.
async fn user_with_secret(server: &Server, name: &str) -> (User, String) {
    let user = server.user(name, PW, false).await;
    let secret = tributary_web::auth::api_keys::create(&server.store, &user, "test")
        .await
        .expect("api password")
        .secret;
    (user, secret)
}

/// ClientLogin: the status and the body.
async fn client_login(
    server: &Server,
    path: &str,
    email: &str,
    passwd: &str,
) -> (StatusCode, String) {
    let r = server
        .client()
        .post(server.url(path))
        .form(&[("Email", email), ("Passwd", passwd)])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The `Auth=` line of a ClientLogin answer.
fn auth_of(body: &str) -> String {
    body.lines()
        .find_map(|l| l.strip_prefix("Auth="))
        .expect("an Auth= line")
        .to_owned()
}

async fn sign_in(server: &Server, name: &str, secret: &str) -> Reader {
    let (status, body) = client_login(
        server,
        &format!("{BASE}/accounts/ClientLogin"),
        name,
        secret,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let auth = auth_of(&body);
    let http = server.client();
    let t = http
        .get(server.url(&format!("{API}/token")))
        .header("Authorization", format!("GoogleLogin auth={auth}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!t.is_empty());
    Reader { auth, t, http }
}

impl Reader {
    fn header(&self) -> String {
        format!("GoogleLogin auth={}", self.auth)
    }

    async fn get(&self, server: &Server, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(server.url(path))
            .header("Authorization", self.header())
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn json(&self, server: &Server, path: &str) -> Value {
        let (status, body) = self.get(server, path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// POST a form with `T` added.
    async fn post(
        &self,
        server: &Server,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("T", &self.t));
        self.post_raw(server, path, &fields).await
    }

    /// POST a form as is (no `T` added).
    async fn post_raw(
        &self,
        server: &Server,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let r = self
            .http
            .post(server.url(path))
            .header("Authorization", self.header())
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn post_ok(&self, server: &Server, path: &str, form: &[(&str, &str)]) {
        let (status, body) = self.post(server, path, form).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "OK"),
            "POST {path} {form:?}"
        );
    }
}

fn entry_ids(ids: &[i64]) -> Vec<EntryId> {
    ids.iter().map(|i| EntryId(*i)).collect()
}

/// Percent-encode a stream id for a path.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The entry ids of a user with these read/starred flags, ascending.
async fn ids_where(
    server: &Server,
    user: &User,
    read: Option<bool>,
    starred: Option<bool>,
) -> Vec<i64> {
    server
        .store
        .api_entry_refs(
            user.id,
            &ApiEntryQuery {
                read,
                starred,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id.0)
        .collect()
}

/// The ids (as numbers) of a stream/contents answer.
fn item_ids(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let id = i["id"].as_str().expect("id");
            let hex = id
                .strip_prefix("tag:google.com,2005:reader/item/")
                .expect("long id");
            assert_eq!(hex.len(), 16, "{id}");
            u64::from_str_radix(hex, 16).unwrap() as i64
        })
        .collect()
}

async fn feed_entry_ids(server: &Server, user: &User, feed: FeedId) -> Vec<i64> {
    server
        .store
        .api_entry_refs(
            user.id,
            &ApiEntryQuery {
                feed: Some(feed),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id.0)
        .collect()
}

#[tokio::test]
async fn client_login_answers_at_every_prefix_and_gives_a_working_auth() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    for path in [
        "/accounts/ClientLogin",
        "/api/greader/accounts/ClientLogin",
        "/api/greader//accounts/ClientLogin",
    ] {
        let (status, body) = client_login(&server, path, "ann", &secret).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let lines: Vec<&str> = body.lines().collect();
        assert!(lines[0].starts_with("SID="), "{body}");
        assert!(lines[1].starts_with("LSID="), "{body}");
        assert!(lines[2].starts_with("Auth="), "{body}");
    }
    // GET with the query works too (some clients log in that way).
    let r = server
        .client()
        .get(server.url(&format!("/accounts/ClientLogin?Email=ann&Passwd={secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let auth = auth_of(&r.text().await.unwrap());
    // The same token works under every prefix, by header and by query.
    let http = server.client();
    for path in [
        "/reader/api/0/user-info".to_owned(),
        format!("{API}/user-info"),
        "/api/greader//reader/api/0/user-info".to_owned(),
    ] {
        let r = http
            .get(server.url(&path))
            .header("Authorization", format!("GoogleLogin auth={auth}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["userName"], "ann");
        assert_eq!(v["userId"], user.id.0.to_string());
    }
    let r = http
        .get(server.url(&format!("{API}/user-info?auth={auth}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The write token is stable for the session and differs from Auth.
    let reader = sign_in(&server, "ann", &secret).await;
    let (_, t2) = reader.get(&server, &format!("{API}/token")).await;
    assert_eq!(reader.t, t2);
    assert_ne!(reader.t, reader.auth);
}

#[tokio::test]
async fn wrong_or_missing_auth_is_401_bad_authentication() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let (_bob, bob_secret) = user_with_secret(&server, "bob").await;
    let login = format!("{BASE}/accounts/ClientLogin");
    for (email, passwd, why) in [
        ("ann", "wrong", "a wrong API password"),
        ("ann", PW, "the login password instead of an API password"),
        ("nobody", secret.as_str(), "an unknown user"),
        ("ann", bob_secret.as_str(), "another user's API password"),
    ] {
        let (status, body) = client_login(&server, &login, email, passwd).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(body, "Error=BadAuthentication\n", "{why}");
    }
    let r = server
        .client()
        .post(server.url(&login))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no fields at all");

    let http = server.client();
    let path = server.url(&format!("{API}/subscription/list"));
    let r = http.get(&path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no header");
    assert_eq!(r.text().await.unwrap(), "Error=BadAuthentication\n");
    for header in [
        "GoogleLogin auth=not-a-token",
        "GoogleLogin auth=",
        "Bearer whatever",
    ] {
        let r = http
            .get(&path)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(r.text().await.unwrap(), "Error=BadAuthentication\n");
    }
    // The API password itself is not an Auth token.
    let r = http
        .get(&path)
        .header("Authorization", format!("GoogleLogin auth={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A valid session: writes need T.
    let reader = sign_in(&server, "ann", &secret).await;
    let feed = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        None,
        3,
        Utc::now(),
    )
    .await;
    let id = feed_entry_ids(&server, &user, feed).await[0].to_string();
    for form in [
        vec![("i", id.as_str()), ("a", "user/-/state/com.google/read")],
        vec![
            ("i", id.as_str()),
            ("a", "user/-/state/com.google/read"),
            ("T", "wrong"),
        ],
    ] {
        let r = reader
            .http
            .post(server.url(&format!("{API}/edit-tag")))
            .header("Authorization", reader.header())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{form:?}");
        assert_eq!(
            r.headers()
                .get("x-reader-google-bad-token")
                .map(|v| v.to_str().unwrap()),
            Some("true")
        );
    }
    assert!(
        ids_where(&server, &user, Some(true), None).await.is_empty(),
        "nothing was marked"
    );
    // T in the query string counts.
    let (status, _) = reader
        .post_raw(
            &server,
            &format!("{API}/edit-tag?T={}", reader.t),
            &[("i", &id), ("a", "user/-/state/com.google/read")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_where(&server, &user, Some(true), None).await.len(), 1);

    // An expired session is refused like a wrong one.
    let token_id = server.store.api_tokens(user.id).await.unwrap()[0].id;
    let stale = "0123456789abcdef".repeat(4);
    server
        .store
        .create_api_session(
            token_id,
            &tributary_web::auth::session::token_hash(&stale),
            "csrf",
            Utc::now() - Duration::seconds(1),
        )
        .await
        .unwrap();
    let r = http
        .get(&path)
        .header("Authorization", format!("GoogleLogin auth={stale}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "expired");
    assert_eq!(r.text().await.unwrap(), "Error=BadAuthentication\n");
    // The same kind of session, not expired, works.
    let fresh = "fedcba9876543210".repeat(4);
    server
        .store
        .create_api_session(
            token_id,
            &tributary_web::auth::session::token_hash(&fresh),
            "csrf",
            Utc::now() + Duration::hours(1),
        )
        .await
        .unwrap();
    let r = http
        .get(&path)
        .header("Authorization", format!("GoogleLogin auth={fresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "not expired");

    // Revoking the API password ends its sessions.
    let token = server.store.api_tokens(user.id).await.unwrap()[0].id;
    server.store.revoke_api_token(user.id, token).await.unwrap();
    let (status, body) = reader
        .get(&server, &format!("{API}/subscription/list"))
        .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::UNAUTHORIZED, "Error=BadAuthentication\n")
    );
    let (status, _) = client_login(&server, &login, "ann", &secret).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked password cannot log in"
    );
    // Five failures from one address: the next attempt must wait (429).
    let r = server
        .client()
        .post(server.url(&login))
        .form(&[("Email", "ann"), ("Passwd", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn subscriptions_labels_and_unread_counts() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let now = Utc::now();
    let net = seed(
        &server.store,
        user.id,
        "http://feeds.test/net.xml",
        Some("Net"),
        3,
        now,
    )
    .await;
    let vendors = seed(
        &server.store,
        user.id,
        "http://feeds.test/v.xml",
        Some("Net/Vendors"),
        4,
        now,
    )
    .await;
    let _plain = seed(
        &server.store,
        user.id,
        "http://feeds.test/plain.xml",
        None,
        2,
        now,
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;

    let v = reader
        .json(&server, &format!("{API}/subscription/list?output=json"))
        .await;
    let subs = v["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 3);
    let by_id = |id: &str| {
        subs.iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {v}"))
    };
    let s = by_id("feed/http://feeds.test/v.xml");
    assert_eq!(s["url"], "http://feeds.test/v.xml");
    assert_eq!(s["title"], "Feed http://feeds.test/v.xml");
    assert_eq!(s["categories"][0]["id"], "user/-/label/Net/Vendors");
    assert_eq!(s["categories"][0]["label"], "Net/Vendors");
    assert_eq!(
        by_id("feed/http://feeds.test/plain.xml")["categories"],
        serde_json::json!([])
    );

    let v = reader.json(&server, &format!("{API}/tag/list")).await;
    let tags: Vec<&str> = v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        [
            "user/-/state/com.google/starred",
            "user/-/label/Net",
            "user/-/label/Net/Vendors"
        ]
    );

    // Read one entry of Net/Vendors: the counts follow, Net includes Vendors.
    let first = feed_entry_ids(&server, &user, vendors).await[0];
    server
        .store
        .set_read_many(user.id, &[EntryId(first)], true)
        .await
        .unwrap();
    let v = reader
        .json(&server, &format!("{API}/unread-count?output=json"))
        .await;
    let count = |id: &str| {
        v["unreadcounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {v}"))["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count("feed/http://feeds.test/net.xml"), 3);
    assert_eq!(count("feed/http://feeds.test/v.xml"), 3);
    assert_eq!(count("feed/http://feeds.test/plain.xml"), 2);
    assert_eq!(count("user/-/label/Net/Vendors"), 3);
    assert_eq!(
        count("user/-/label/Net"),
        6,
        "a label counts its sub-categories"
    );
    assert_eq!(count("user/-/state/com.google/reading-list"), 8);
    assert_eq!(v["max"], 8);

    // The label stream covers the sub-category too; the sub-label only itself.
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/contents/user/-/label/Net?n=100"),
        )
        .await;
    assert_eq!(item_ids(&v).len(), 7);
    let v = reader
        .json(
            &server,
            &format!(
                "{API}/stream/contents/{}?n=100",
                enc("user/-/label/Net/Vendors")
            ),
        )
        .await;
    assert_eq!(item_ids(&v).len(), 4);
    let mut want = feed_entry_ids(&server, &user, net).await;
    want.sort_unstable_by(|a, b| b.cmp(a));
    let v = reader
        .json(
            &server,
            &format!(
                "{API}/stream/contents/{}",
                enc("feed/http://feeds.test/net.xml")
            ),
        )
        .await;
    assert_eq!(item_ids(&v), want, "a feed stream, newest first");
    assert_eq!(v["id"], "feed/http://feeds.test/net.xml");
    let item = &v["items"][0];
    assert_eq!(item["origin"]["streamId"], "feed/http://feeds.test/net.xml");
    assert!(item["categories"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("user/-/label/Net")));
    assert!(item["summary"]["content"]
        .as_str()
        .unwrap()
        .contains("<p>Entry"));
    assert!(item["alternate"][0]["href"]
        .as_str()
        .unwrap()
        .starts_with("http://feeds.test/net.xml/entry/"));
    assert!(item["timestampUsec"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .is_ok());
    // stream/contents?s=… is the same stream.
    let v2 = reader
        .json(
            &server,
            &format!(
                "{API}/stream/contents?s={}",
                enc("feed/http://feeds.test/net.xml")
            ),
        )
        .await;
    assert_eq!(item_ids(&v2), want);
    // Client quirks: feed/ID (FreshRSS and Miniflux clients) and the bare
    // `reading-list` (Fluent Reader) name the same streams.
    let v3 = reader
        .json(&server, &format!("{API}/stream/contents/feed/{}", net.0))
        .await;
    assert_eq!(item_ids(&v3), want);
    let v4 = reader
        .json(
            &server,
            &format!("{API}/stream/contents/reading-list?n=100"),
        )
        .await;
    assert_eq!(item_ids(&v4).len(), 9);
}

#[tokio::test]
async fn continuation_pages_over_1000_entries_give_every_id_once() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let now = Utc::now();
    seed(
        &server.store,
        user.id,
        "http://feeds.test/big.xml",
        None,
        1100,
        now,
    )
    .await;
    seed(
        &server.store,
        user.id,
        "http://feeds.test/small.xml",
        Some("Small"),
        30,
        now,
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let all: HashSet<i64> = ids_where(&server, &user, None, None)
        .await
        .into_iter()
        .collect();
    assert_eq!(all.len(), 1130);

    // stream/contents, newest first, 250 a page.
    for order in ["", "&r=o"] {
        let mut seen: Vec<i64> = Vec::new();
        let mut c: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path =
                format!("{API}/stream/contents/user/-/state/com.google/reading-list?n=250{order}");
            if let Some(c) = &c {
                path.push_str(&format!("&c={c}"));
            }
            let v = reader.json(&server, &path).await;
            let ids = item_ids(&v);
            assert!(ids.len() <= 250);
            seen.extend(ids);
            pages += 1;
            match v["continuation"].as_str() {
                Some(next) => c = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 20, "paging does not end");
        }
        assert_eq!(pages, 5, "1130 entries in pages of 250{order}");
        let unique: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(seen.len(), 1130, "every id once{order}");
        assert_eq!(unique, all);
        let mut sorted = seen.clone();
        if order.is_empty() {
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            assert_eq!(seen, sorted, "newest first by default");
        } else {
            sorted.sort_unstable();
            assert_eq!(seen, sorted, "r=o is oldest first");
        }
    }

    // stream/items/ids: up to 10,000 at once, or paged.
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/items/ids?s=user/-/state/com.google/reading-list&n=10000"),
        )
        .await;
    let refs = v["itemRefs"].as_array().unwrap();
    assert_eq!(refs.len(), 1130);
    assert!(v.get("continuation").is_none());
    let got: HashSet<i64> = refs
        .iter()
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(got, all, "decimal ids, every one");
    let mut seen = Vec::new();
    let mut c = String::new();
    loop {
        let v = reader
            .json(
                &server,
                &format!(
                    "{API}/stream/items/ids?s=user/-/state/com.google/reading-list&n=400&c={c}"
                ),
            )
            .await;
        seen.extend(
            v["itemRefs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().parse::<i64>().unwrap()),
        );
        match v["continuation"].as_str() {
            Some(next) => c = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 1130);
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), all);
    // n above the cap is capped, not refused.
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/contents/user/-/state/com.google/reading-list?n=5000"),
        )
        .await;
    assert_eq!(item_ids(&v).len(), 1000);
    assert!(v["continuation"].is_string());
    // Default page size.
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/contents/user/-/state/com.google/reading-list"),
        )
        .await;
    assert_eq!(item_ids(&v).len(), 20);
    // One edit-tag with all 1,130 ids (clients mark thousands at once).
    let strs: Vec<String> = all.iter().map(|i| i.to_string()).collect();
    let mut form: Vec<(&str, &str)> = strs.iter().map(|s| ("i", s.as_str())).collect();
    form.push(("a", "user/-/state/com.google/read"));
    reader
        .post_ok(&server, &format!("{API}/edit-tag"), &form)
        .await;
    assert_eq!(
        ids_where(&server, &user, Some(true), None).await.len(),
        1130
    );
    let v = reader.json(&server, &format!("{API}/unread-count")).await;
    assert_eq!(v["max"], 0);
}

#[tokio::test]
async fn item_ids_in_every_form_reach_the_same_entries() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let feed = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        None,
        5,
        Utc::now(),
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let ids = feed_entry_ids(&server, &user, feed).await;
    let forms = |id: i64| {
        [
            format!("tag:google.com,2005:reader/item/{:016x}", id as u64),
            format!("{:016x}", id as u64),
            id.to_string(),
        ]
    };
    // items/contents with each form, by POST and GET.
    for form in forms(ids[1]) {
        let (status, body) = reader
            .post(
                &server,
                &format!("{API}/stream/items/contents"),
                &[("i", &form)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{form}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(item_ids(&v), [ids[1]], "{form}");
        let v = reader
            .json(
                &server,
                &format!("{API}/stream/items/contents?i={}", enc(&form)),
            )
            .await;
        assert_eq!(item_ids(&v), [ids[1]], "GET {form}");
    }
    // Several at once come back in the order asked.
    let (a, b, c) = (
        forms(ids[3])[0].clone(),
        forms(ids[0])[1].clone(),
        forms(ids[2])[2].clone(),
    );
    let (status, body) = reader
        .post_raw(
            &server,
            &format!("{API}/stream/items/contents"),
            &[("i", &a), ("i", &b), ("i", &c)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "items/contents needs no T");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(item_ids(&v), [ids[3], ids[0], ids[2]]);
    // edit-tag with each form marks the right entry.
    for (n, form) in forms(ids[4]).iter().enumerate() {
        let read = n % 2 == 0;
        let (a, r) = if read { ("a", "r") } else { ("r", "a") };
        reader
            .post_ok(
                &server,
                &format!("{API}/edit-tag"),
                &[
                    ("i", form),
                    (a, "user/-/state/com.google/read"),
                    (r, "user/-/state/com.google/kept-unread"),
                ],
            )
            .await;
        assert_eq!(
            ids_where(&server, &user, Some(true), None).await,
            if read { vec![ids[4]] } else { vec![] },
            "{form}"
        );
    }
    // Malformed ids are 400 with the reason, nothing changes.
    for bad in [
        "tag:google.com,2005:reader/item/xyz",
        "12g",
        "0x10",
        "1.5",
        "",
    ] {
        let (status, body) = reader
            .post(
                &server,
                &format!("{API}/edit-tag"),
                &[("i", bad), ("a", "user/-/state/com.google/read")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(body.contains("not an item id"), "{bad:?}: {body}");
        let (status, body) = reader
            .post(
                &server,
                &format!("{API}/stream/items/contents"),
                &[("i", bad)],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
    }
    assert_eq!(
        ids_where(&server, &user, Some(true), None).await,
        [ids[4]],
        "bad ids changed nothing"
    );
}

#[tokio::test]
async fn edit_tag_reads_stars_and_keeps_unread() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let feed = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        None,
        6,
        Utc::now(),
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let ids = feed_entry_ids(&server, &user, feed).await;
    let (s0, s1, s2) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let edit = format!("{API}/edit-tag");
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("i", &s0),
                ("i", &s1),
                ("i", &s2),
                ("a", "user/-/state/com.google/read"),
            ],
        )
        .await;
    assert_eq!(
        ids_where(&server, &user, Some(true), None).await,
        [ids[0], ids[1], ids[2]]
    );
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("i", &s1),
                ("a", "user/-/state/com.google/kept-unread"),
                ("a", "user/-/state/com.google/tracking-kept-unread"),
            ],
        )
        .await;
    assert_eq!(
        ids_where(&server, &user, Some(true), None).await,
        [ids[0], ids[2]]
    );
    reader
        .post_ok(
            &server,
            &edit,
            &[("i", &s2), ("r", "user/-/state/com.google/read")],
        )
        .await;
    assert_eq!(ids_where(&server, &user, Some(true), None).await, [ids[0]]);
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("i", &s0),
                ("i", &s2),
                ("a", "user/-/state/com.google/starred"),
            ],
        )
        .await;
    assert_eq!(
        ids_where(&server, &user, None, Some(true)).await,
        [ids[0], ids[2]]
    );
    reader
        .post_ok(
            &server,
            &edit,
            &[("i", &s0), ("r", "user/-/state/com.google/starred")],
        )
        .await;
    assert_eq!(ids_where(&server, &user, None, Some(true)).await, [ids[2]]);
    // The starred and read streams show them, with their categories.
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/contents/user/-/state/com.google/starred"),
        )
        .await;
    assert_eq!(item_ids(&v), [ids[2]]);
    let cats = v["items"][0]["categories"].as_array().unwrap();
    assert!(cats.contains(&serde_json::json!("user/-/state/com.google/starred")));
    assert!(!cats.contains(&serde_json::json!("user/-/state/com.google/read")));
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/contents/user/-/state/com.google/read"),
        )
        .await;
    assert_eq!(item_ids(&v), [ids[0]]);
    assert!(v["items"][0]["categories"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("user/-/state/com.google/read")));
    // Unknown Google states and item labels are accepted and change nothing.
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("i", &s1),
                ("a", "user/-/state/com.google/broadcast"),
                ("a", "user/-/label/Later"),
            ],
        )
        .await;
    assert_eq!(ids_where(&server, &user, Some(true), None).await, [ids[0]]);
    // Without tags, without ids, or a feed as a tag: 400.
    for (form, why) in [
        (vec![("i", s1.as_str())], "a= or r="),
        (vec![("a", "user/-/state/com.google/read")], "i=ID"),
        (
            vec![("i", s1.as_str()), ("a", "feed/http://x/")],
            "not a tag",
        ),
        (
            vec![("i", s1.as_str()), ("a", "nonsense")],
            "not a stream id",
        ),
    ] {
        let (status, body) = reader.post(&server, &edit, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(body.contains(why), "{form:?}: {body}");
    }
}

#[tokio::test]
async fn filters_xt_it_ot_nt_and_order() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let feed = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        None,
        10,
        Utc::now(),
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let ids = feed_entry_ids(&server, &user, feed).await;
    server
        .store
        .set_read_many(user.id, &entry_ids(&ids[..4]), true)
        .await
        .unwrap();
    server
        .store
        .set_starred_many(user.id, &entry_ids(&ids[2..6]), true)
        .await
        .unwrap();
    let list = |q: &str| {
        format!("{API}/stream/contents/user/-/state/com.google/reading-list?n=100&r=o{q}")
    };
    let got = |v: Value| item_ids(&v);
    assert_eq!(got(reader.json(&server, &list("")).await), ids);
    assert_eq!(
        got(reader
            .json(&server, &list("&xt=user/-/state/com.google/read"))
            .await),
        ids[4..]
    );
    assert_eq!(
        got(reader
            .json(&server, &list("&it=user/-/state/com.google/starred"))
            .await),
        ids[2..6]
    );
    assert_eq!(
        got(reader
            .json(
                &server,
                &list("&it=user/-/state/com.google/starred&xt=user/-/state/com.google/read")
            )
            .await),
        ids[4..6]
    );
    assert_eq!(
        got(reader
            .json(&server, &list("&xt=user/-/state/com.google/starred"))
            .await),
        [&ids[..2], &ids[6..]].concat()
    );
    // ot / nt compare the time the entries were stored.
    let past = (Utc::now() - Duration::hours(1)).timestamp();
    let future = (Utc::now() + Duration::hours(1)).timestamp();
    assert_eq!(
        got(reader.json(&server, &list(&format!("&ot={past}"))).await),
        ids
    );
    assert!(got(reader.json(&server, &list(&format!("&ot={future}"))).await).is_empty());
    assert!(got(reader.json(&server, &list(&format!("&nt={past}"))).await).is_empty());
    assert_eq!(
        got(reader
            .json(&server, &list(&format!("&nt={future}&ot={past}")))
            .await),
        ids
    );
    // items/ids with the same filters.
    let v = reader
        .json(&server, &format!("{API}/stream/items/ids?s=user/-/state/com.google/reading-list&xt=user/-/state/com.google/read&n=100&r=o"))
        .await;
    let unread: Vec<i64> = v["itemRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(unread, ids[4..]);
    // Filters narrow the stream; a contradiction lists nothing.
    let stream = |s: &str, q: &str| {
        format!("{API}/stream/contents/user/-/state/com.google/{s}?n=100&r=o{q}")
    };
    assert_eq!(
        got(reader
            .json(
                &server,
                &stream("starred", "&xt=user/-/state/com.google/read")
            )
            .await),
        ids[4..6]
    );
    assert!(got(reader
        .json(&server, &stream("read", "&xt=user/-/state/com.google/read"))
        .await)
    .is_empty());
    assert!(got(reader
        .json(
            &server,
            &stream("read", "&it=user/-/state/com.google/kept-unread")
        )
        .await)
    .is_empty());
    assert_eq!(
        got(reader.json(&server, &stream("kept-unread", "")).await),
        ids[4..]
    );
    // Newest first is the reverse.
    let mut rev = ids.clone();
    rev.reverse();
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/contents/user/-/state/com.google/reading-list?n=100"),
        )
        .await;
    assert_eq!(item_ids(&v), rev);
}

#[tokio::test]
async fn mark_all_as_read_honours_the_stream_and_ts() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let now = Utc::now();
    let a = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        Some("Net"),
        4,
        now,
    )
    .await;
    let b = seed(
        &server.store,
        user.id,
        "http://feeds.test/b.xml",
        Some("Net/Sub"),
        3,
        now,
    )
    .await;
    let c = seed(
        &server.store,
        user.id,
        "http://feeds.test/c.xml",
        None,
        2,
        now,
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let mark = format!("{API}/mark-all-as-read");
    // ts before the entries were stored: nothing changes.
    let before = ((Utc::now() - Duration::hours(1)).timestamp_micros()).to_string();
    reader
        .post_ok(
            &server,
            &mark,
            &[("s", "feed/http://feeds.test/a.xml"), ("ts", &before)],
        )
        .await;
    assert!(ids_where(&server, &user, Some(true), None).await.is_empty());
    // ts after: the feed's entries only.
    let after = ((Utc::now() + Duration::seconds(5)).timestamp_micros()).to_string();
    reader
        .post_ok(
            &server,
            &mark,
            &[("s", "feed/http://feeds.test/a.xml"), ("ts", &after)],
        )
        .await;
    assert_eq!(
        ids_where(&server, &user, Some(true), None).await,
        feed_entry_ids(&server, &user, a).await
    );
    // A label covers its sub-categories (no ts: now).
    reader
        .post_ok(&server, &mark, &[("s", "user/-/label/Net")])
        .await;
    let mut want = [
        feed_entry_ids(&server, &user, a).await,
        feed_entry_ids(&server, &user, b).await,
    ]
    .concat();
    want.sort_unstable();
    assert_eq!(ids_where(&server, &user, Some(true), None).await, want);
    // The reading list: everything.
    reader
        .post_ok(
            &server,
            &mark,
            &[("s", "user/-/state/com.google/reading-list")],
        )
        .await;
    assert_eq!(
        ids_where(&server, &user, Some(false), None).await,
        Vec::<i64>::new()
    );
    let _ = c;
    // Bad input.
    for (form, why) in [
        (vec![("ts", "1")], "needs s="),
        (vec![("s", "bogus")], "not a stream id"),
        (
            vec![
                ("s", "user/-/state/com.google/reading-list"),
                ("ts", "soon"),
            ],
            "ts must be a whole number",
        ),
    ] {
        let (status, body) = reader.post(&server, &mark, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(body.contains(why), "{form:?}: {body}");
    }
    let (status, _) = reader
        .post(&server, &mark, &[("s", "feed/http://feeds.test/none.xml")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn atom_streams_carry_ids_states_and_a_continuation() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let feed = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml?x=1&y=<2>",
        Some("Net"),
        5,
        Utc::now(),
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let ids = feed_entry_ids(&server, &user, feed).await;
    server
        .store
        .set_read_many(user.id, &[EntryId(ids[4])], true)
        .await
        .unwrap();
    let stream = enc("feed/http://feeds.test/a.xml?x=1&y=<2>");
    for prefix in ["", BASE, "/api/greader/"] {
        let (status, body) = reader
            .get(&server, &format!("{prefix}/reader/atom/{stream}?n=3"))
            .await;
        assert_eq!(status, StatusCode::OK, "{prefix}: {body}");
        assert!(body.starts_with("<?xml"), "{body}");
        assert!(body.contains(r#"xmlns="http://www.w3.org/2005/Atom""#));
        assert!(body.contains(r#"xmlns:gr="http://www.google.com/schemas/reader/atom/""#));
        assert!(
            body.contains(&format!("<gr:continuation>{}</gr:continuation>", ids[2])),
            "{body}"
        );
        assert!(
            body.contains("Feed http://feeds.test/a.xml?x=1&amp;y=&lt;2&gt;"),
            "escaped title: {body}"
        );
        assert_eq!(body.matches("<entry ").count(), 3);
        assert!(
            body.contains(
                r#"<id gr:original-id="http://feeds.test/a.xml?x=1&amp;y=&lt;2&gt;/entry/"#
            ),
            "{body}"
        );
        assert!(
            body.contains(&format!(
                ">tag:google.com,2005:reader/item/{:016x}</id>",
                ids[4]
            )),
            "{body}"
        );
        assert!(body.contains(r#"term="user/-/state/com.google/read" scheme="http://www.google.com/reader/" label="read""#), "{body}");
        assert!(body.contains(r#"term="user/-/state/com.google/fresh""#));
        assert!(body.contains(r#"term="user/-/label/Net""#));
        assert!(body.contains("&lt;p&gt;Entry "), "content is escaped HTML");
    }
    // The continuation gives the rest.
    let (_, body) = reader
        .get(&server, &format!("/reader/atom/{stream}?n=3&c={}", ids[2]))
        .await;
    assert_eq!(body.matches("<entry ").count(), 2);
    assert!(!body.contains("gr:continuation"));
    // reader/atom alone is the reading list; xt works here too.
    let (status, body) = reader
        .get(&server, "/reader/atom?xt=user/-/state/com.google/read")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("<entry ").count(), 4);
    let (status, body) = reader
        .get(&server, "/reader/atom/user/-/state/com.google/reading-list")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("<entry ").count(), 5);
    // Without auth: the same 401 as everywhere.
    let r = server
        .client()
        .get(server.url(&format!("/reader/atom/{stream}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn subscription_edit_export_and_import() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let reader = sign_in(&server, "ann", &secret).await;
    let edit = format!("{API}/subscription/edit");
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("ac", "subscribe"),
                ("s", "feed/http://feeds.test/new.xml"),
                ("t", "New one"),
                ("a", "user/-/label/Tech/Web"),
            ],
        )
        .await;
    let subs = server.store.subscription_views(user.id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].subscription.feed.url, "http://feeds.test/new.xml");
    assert_eq!(subs[0].subscription.display_title(), "New one");
    assert_eq!(subs[0].subscription.category.as_deref(), Some("Tech/Web"));
    // Rename and move to another label.
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("ac", "edit"),
                ("s", "feed/http://feeds.test/new.xml"),
                ("t", "Renamed"),
                ("r", "user/-/label/Tech/Web"),
                ("a", "user/-/label/Other"),
            ],
        )
        .await;
    let v = reader
        .json(&server, &format!("{API}/subscription/list"))
        .await;
    assert_eq!(v["subscriptions"][0]["title"], "Renamed");
    assert_eq!(
        v["subscriptions"][0]["categories"][0]["id"],
        "user/-/label/Other"
    );
    // Remove the label.
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("ac", "edit"),
                ("s", "feed/http://feeds.test/new.xml"),
                ("r", "user/-/label/Other"),
            ],
        )
        .await;
    let subs = server.store.subscription_views(user.id).await.unwrap();
    assert_eq!(subs[0].subscription.category, None);
    // Export is OPML with the feed.
    let (status, opml) = reader
        .get(&server, &format!("{API}/subscription/export"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        opml.contains("<opml") && opml.contains(r#"xmlUrl="http://feeds.test/new.xml""#),
        "{opml}"
    );
    // Import an OPML body.
    let doc = r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
        <outline text="Science"><outline text="Sky" type="rss" xmlUrl="http://feeds.test/sky.xml"/></outline>
        <outline text="Again" type="rss" xmlUrl="http://feeds.test/new.xml"/>
        <outline text="Bad" type="rss" xmlUrl="ftp://feeds.test/x"/>
        </body></opml>"#;
    let r = reader
        .http
        .post(server.url(&format!("{API}/subscription/import?T={}", reader.t)))
        .header("Authorization", reader.header())
        .header("Content-Type", "text/x-opml")
        .body(doc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "OK: 1", "{text}");
    assert_eq!(lines[1], "added http://feeds.test/sky.xml", "{text}");
    assert_eq!(lines[2], "skipped http://feeds.test/new.xml", "{text}");
    assert!(
        lines[3].starts_with("refused ftp://feeds.test/x: "),
        "{text}"
    );
    assert_eq!(lines.len(), 4, "{text}");
    let subs = server.store.subscription_views(user.id).await.unwrap();
    assert!(subs
        .iter()
        .any(|s| s.subscription.category.as_deref() == Some("Science")));
    // A broken OPML body is a 400.
    let r = reader
        .http
        .post(server.url(&format!("{API}/subscription/import?T={}", reader.t)))
        .header("Authorization", reader.header())
        .header("Content-Type", "text/x-opml")
        .body("<opml><body><outline")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Quick add without a fetcher subscribes to the URL as given.
    let (status, body) = reader
        .post(
            &server,
            &format!("{API}/subscription/quickadd"),
            &[("quickadd", "http://feeds.test/quick.xml")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["streamId"], "feed/http://feeds.test/quick.xml");
    assert_eq!(v["numResults"], 1);
    // Unsubscribe.
    reader
        .post_ok(
            &server,
            &edit,
            &[
                ("ac", "unsubscribe"),
                ("s", "feed/http://feeds.test/quick.xml"),
            ],
        )
        .await;
    let subs = server.store.subscription_views(user.id).await.unwrap();
    assert!(!subs
        .iter()
        .any(|s| s.subscription.feed.url == "http://feeds.test/quick.xml"));
    // Bad input.
    for (path, form, why) in [
        (edit.as_str(), vec![("ac", "subscribe")], "needs s="),
        (
            edit.as_str(),
            vec![("ac", "explode"), ("s", "feed/http://feeds.test/new.xml")],
            "ac must be",
        ),
        (
            edit.as_str(),
            vec![("ac", "subscribe"), ("s", "feed/ftp://x/")],
            "cannot be followed",
        ),
        (
            edit.as_str(),
            vec![
                ("ac", "edit"),
                ("s", "feed/http://feeds.test/new.xml"),
                ("a", "starred"),
            ],
            "not a",
        ),
        (
            edit.as_str(),
            vec![("ac", "edit"), ("s", "user/-/label/X")],
            "is not a feed",
        ),
    ] {
        let (status, body) = reader.post(&server, path, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}: {body}");
        assert!(body.contains(why), "{form:?}: {body}");
    }
    let (status, _) = reader
        .post(&server, &format!("{API}/subscription/quickadd"), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = reader
        .post(
            &server,
            &edit,
            &[
                ("ac", "unsubscribe"),
                ("s", "feed/http://feeds.test/never.xml"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A loopback site with a feed and a page that links to it.
async fn feed_site() -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let rss = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback news</title><link>{base}/</link>
        <item><title>One</title><link>{base}/1</link><guid>{base}/1</guid></item></channel></rss>"#
    );
    let page = format!(
        r#"<html><head><link rel="alternate" type="application/rss+xml" href="{base}/feed.xml"></head><body>hi</body></html>"#
    );
    let app = axum::Router::new()
        .route(
            "/feed.xml",
            get(move || {
                let rss = rss.clone();
                async move { ([("content-type", "application/rss+xml")], rss) }
            }),
        )
        .route(
            "/page.html",
            get(move || {
                let page = page.clone();
                async move { ([("content-type", "text/html")], page) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn quickadd_discovers_the_feed_of_a_page() {
    let site = feed_site().await;
    let server = Server::start_configured(
        |_| tributary_web::WebConfig::default(),
        Some(tributary_fetch::FetchConfig {
            allow_private_networks: true,
            ..Default::default()
        }),
    )
    .await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let reader = sign_in(&server, "ann", &secret).await;
    let (status, body) = reader
        .post(
            &server,
            &format!("{API}/subscription/quickadd"),
            &[("quickadd", &format!("{site}/page.html"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["streamId"], format!("feed/{site}/feed.xml"));
    assert_eq!(v["streamName"], "Loopback news");
    let subs = server.store.subscription_views(user.id).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].subscription.feed.url, format!("{site}/feed.xml"));
    // A page without feeds: 400 with the reason.
    let (status, body) = reader
        .post(
            &server,
            &format!("{API}/subscription/quickadd"),
            &[("quickadd", &format!("{site}/missing"))],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("cannot be added"), "{body}");
}

#[tokio::test]
async fn rename_and_disable_tags() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let now = Utc::now();
    seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        Some("Net/Vendors"),
        1,
        now,
    )
    .await;
    seed(
        &server.store,
        user.id,
        "http://feeds.test/b.xml",
        Some("Net"),
        1,
        now,
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    reader
        .post_ok(
            &server,
            &format!("{API}/rename-tag"),
            &[
                ("s", "user/-/label/Net/Vendors"),
                ("dest", "user/-/label/Net/Makers"),
            ],
        )
        .await;
    let paths: Vec<String> = server
        .store
        .categories(user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(paths, ["Net", "Net/Makers"]);
    let (status, body) = reader
        .post(
            &server,
            &format!("{API}/rename-tag"),
            &[
                ("s", "user/-/label/Net/Makers"),
                ("dest", "user/-/label/Elsewhere/Makers"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not moved"), "{body}");
    let (status, _) = reader
        .post(
            &server,
            &format!("{API}/rename-tag"),
            &[("s", "user/-/label/Nope"), ("dest", "user/-/label/X")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // FeedHQ's t=NAME form.
    reader
        .post_ok(
            &server,
            &format!("{API}/disable-tag"),
            &[("t", "Net/Makers")],
        )
        .await;
    let paths: Vec<String> = server
        .store
        .categories(user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(paths, ["Net"]);
    let (status, body) = reader
        .post(&server, &format!("{API}/disable-tag"), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("give the label"), "{body}");
    reader
        .post_ok(
            &server,
            &format!("{API}/disable-tag"),
            &[("s", "user/-/label/Net")],
        )
        .await;
    assert!(server.store.categories(user.id).await.unwrap().is_empty());
    let subs = server.store.subscription_views(user.id).await.unwrap();
    assert_eq!(subs.len(), 2, "the feeds stay, unfiled");
    assert!(subs.iter().all(|s| s.subscription.category.is_none()));
}

#[tokio::test]
async fn bad_parameters_are_400_with_a_reason() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        None,
        3,
        Utc::now(),
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let rl = format!("{API}/stream/contents/user/-/state/com.google/reading-list");
    let cases = [
        (format!("{API}/stream/contents/bogus"), "not a stream id"),
        (format!("{API}/stream/contents/user/-/label/"), "names no label"),
        (format!("{rl}?n=ten"), "n must be a whole number"),
        (format!("{rl}?n=-3"), "n must be positive"),
        (format!("{rl}?c=abc"), "not a continuation"),
        (format!("{rl}?r=x"), "r must be"),
        (format!("{rl}?ot=yesterday"), "ot must be a whole number"),
        (format!("{rl}?nt=99999999999999999"), "not a time"),
        (format!("{rl}?output=xml"), "output="),
        (format!("{rl}?xt=user/-/label/Net"), "only states"),
        (format!("{rl}?it=nonsense"), "it:"),
        (format!("{API}/stream/items/ids"), "needs s="),
        (format!("{API}/stream/items/ids?s=feed/"), "names no feed"),
        (format!("{API}/stream/items/contents"), "i=ID"),
        (format!("{API}/stream/items/contents?i=zz-top"), "not an item id"),
        (format!("{rl}?n=1&c=1&r=o&xt=user/-/state/com.google/read&it=user/-/state/com.google/starred&ot=1&nt=x"), "nt must"),
    ];
    for (path, why) in cases {
        let (status, body) = reader.get(&server, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body.contains(why), "{path}: {body}");
    }
    // Over 1,000 ids in one items/contents.
    let many: Vec<(&str, String)> = (1..=1001).map(|i| ("i", i.to_string())).collect();
    let r = reader
        .http
        .post(server.url(&format!("{API}/stream/items/contents")))
        .header("Authorization", reader.header())
        .form(&many)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("at most 1000"));
    // Unknown feeds and labels are 404 with the reason.
    for path in [
        format!(
            "{API}/stream/contents/{}",
            enc("feed/http://feeds.test/none.xml")
        ),
        format!("{API}/stream/contents/user/-/label/Nowhere"),
    ] {
        let (status, body) = reader.get(&server, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(body.contains("not found"), "{body}");
    }
}

#[tokio::test]
async fn one_user_can_never_see_or_change_anothers_data() {
    let server = Server::start().await;
    let (ann, ann_secret) = user_with_secret(&server, "ann").await;
    let (bob, _bob_secret) = user_with_secret(&server, "bob").await;
    let now = Utc::now();
    let shared_ann = seed(
        &server.store,
        ann.id,
        "http://feeds.test/shared.xml",
        None,
        3,
        now,
    )
    .await;
    seed(
        &server.store,
        bob.id,
        "http://feeds.test/shared.xml",
        Some("BobLabel"),
        0,
        now,
    )
    .await;
    let bob_only = seed(
        &server.store,
        bob.id,
        "http://feeds.test/bob.xml",
        Some("BobLabel"),
        4,
        now,
    )
    .await;
    let reader = sign_in(&server, "ann", &ann_secret).await;
    let bob_ids = feed_entry_ids(&server, &bob, bob_only).await;
    assert_eq!(bob_ids.len(), 4);
    let _ = shared_ann;

    // Bob's entries by id: not shown, not changed.
    let bob_strs: Vec<String> = bob_ids.iter().map(|i| i.to_string()).collect();
    let form: Vec<(&str, &str)> = bob_strs.iter().map(|s| ("i", s.as_str())).collect();
    let (status, body) = reader
        .post(&server, &format!("{API}/stream/items/contents"), &form)
        .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(item_ids(&v).is_empty(), "bob's entries are invisible: {v}");
    let mut edit = form.clone();
    edit.push(("a", "user/-/state/com.google/read"));
    edit.push(("a", "user/-/state/com.google/starred"));
    reader
        .post_ok(&server, &format!("{API}/edit-tag"), &edit)
        .await;
    assert!(
        ids_where(&server, &bob, Some(true), None).await.is_empty(),
        "bob's entries stay unread"
    );
    assert!(
        ids_where(&server, &bob, None, Some(true)).await.is_empty(),
        "and unstarred"
    );

    // Bob's feed, label and user id as streams.
    let bob_feed = enc("feed/http://feeds.test/bob.xml");
    for path in [
        format!("{API}/stream/contents/{bob_feed}"),
        format!("{API}/stream/items/ids?s={bob_feed}"),
        format!("/reader/atom/{bob_feed}"),
        format!("{API}/stream/contents/user/-/label/BobLabel"),
    ] {
        let (status, body) = reader.get(&server, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, body) = reader
        .get(
            &server,
            &format!(
                "{API}/stream/contents/user/{}/state/com.google/reading-list",
                bob.id.0
            ),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("another user"), "{body}");
    // Ann's own numeric id works.
    let v = reader
        .json(
            &server,
            &format!(
                "{API}/stream/contents/user/{}/state/com.google/reading-list",
                ann.id.0
            ),
        )
        .await;
    assert_eq!(item_ids(&v).len(), 3);

    // Writes on bob's feed and label.
    for (path, form) in [
        (
            format!("{API}/mark-all-as-read"),
            vec![("s", "feed/http://feeds.test/bob.xml")],
        ),
        (
            format!("{API}/mark-all-as-read"),
            vec![("s", "user/-/label/BobLabel")],
        ),
        (
            format!("{API}/subscription/edit"),
            vec![
                ("ac", "unsubscribe"),
                ("s", "feed/http://feeds.test/bob.xml"),
            ],
        ),
        (
            format!("{API}/subscription/edit"),
            vec![
                ("ac", "edit"),
                ("s", "feed/http://feeds.test/bob.xml"),
                ("t", "Mine"),
            ],
        ),
        (
            format!("{API}/rename-tag"),
            vec![
                ("s", "user/-/label/BobLabel"),
                ("dest", "user/-/label/Stolen"),
            ],
        ),
        (
            format!("{API}/disable-tag"),
            vec![("s", "user/-/label/BobLabel")],
        ),
    ] {
        let (status, body) = reader.post(&server, &path, &form).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} {form:?}: {body}");
    }
    assert!(ids_where(&server, &bob, Some(true), None).await.is_empty());
    let bob_subs = server.store.subscription_views(bob.id).await.unwrap();
    assert_eq!(bob_subs.len(), 2);
    assert!(bob_subs
        .iter()
        .all(|s| s.subscription.title_override.is_none()));
    let bob_labels: Vec<String> = server
        .store
        .categories(bob.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(bob_labels, ["BobLabel"]);

    // Ann's lists show nothing of bob's.
    let v = reader
        .json(&server, &format!("{API}/subscription/list"))
        .await;
    assert_eq!(v["subscriptions"].as_array().unwrap().len(), 1);
    let v = reader.json(&server, &format!("{API}/tag/list")).await;
    assert_eq!(v["tags"].as_array().unwrap().len(), 1, "only starred: {v}");
    let v = reader.json(&server, &format!("{API}/unread-count")).await;
    assert_eq!(v["max"], 3);
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/items/ids?s=user/-/state/com.google/reading-list&n=100"),
        )
        .await;
    assert_eq!(v["itemRefs"].as_array().unwrap().len(), 3);
    // Marking all of ann's reading list read leaves bob's shared-feed state alone.
    reader
        .post_ok(
            &server,
            &format!("{API}/mark-all-as-read"),
            &[("s", "user/-/state/com.google/reading-list")],
        )
        .await;
    assert!(ids_where(&server, &bob, Some(true), None).await.is_empty());
    assert_eq!(ids_where(&server, &ann, Some(true), None).await.len(), 3);
}

#[tokio::test]
async fn feedhq_extras_subscribed_count_preferences_and_direct_stream_ids() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    let now = Utc::now();
    let feed = seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        Some("Net"),
        7,
        now,
    )
    .await;
    seed(
        &server.store,
        user.id,
        "http://feeds.test/b.xml",
        None,
        2,
        now,
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let ids = feed_entry_ids(&server, &user, feed).await;
    server
        .store
        .set_read_many(user.id, &entry_ids(&ids[..3]), true)
        .await
        .unwrap();

    for (s, want) in [
        ("feed/http://feeds.test/a.xml", "true"),
        ("feed/http://feeds.test/other.xml", "false"),
    ] {
        let (status, body) = reader
            .get(&server, &format!("{API}/subscribed?s={}", enc(s)))
            .await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, want), "{s}");
    }
    let count = |q: &str| format!("{API}/stream/items/count?s={q}");
    let (status, body) = reader
        .get(&server, &count("user/-/state/com.google/reading-list"))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "9"));
    let (_, body) = reader
        .get(
            &server,
            &count("user/-/label/Net&xt=user/-/state/com.google/read"),
        )
        .await;
    assert_eq!(body, "4");
    let (_, body) = reader
        .get(&server, &count("user/-/state/com.google/read&a=true"))
        .await;
    let (n, date) = body.split_once('#').expect("count#date");
    assert_eq!(n, "3");
    let newest = server
        .store
        .api_entry_refs(
            user.id,
            &ApiEntryQuery {
                read: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.created_at)
        .max()
        .unwrap();
    assert_eq!(date, newest.format("%B %-d, %Y").to_string());

    let v = reader
        .json(&server, &format!("{API}/preference/list"))
        .await;
    assert_eq!(v["prefs"][0]["id"], "lhn-prefs");
    let v = reader
        .json(&server, &format!("{API}/preference/stream/list"))
        .await;
    assert!(v["streamprefs"].is_object());

    let v = reader
        .json(
            &server,
            &format!(
                "{API}/stream/items/ids?s=user/-/state/com.google/reading-list&n=100&includeAllDirectStreamIds=true"
            ),
        )
        .await;
    let refs = v["itemRefs"].as_array().unwrap();
    assert_eq!(refs.len(), 9);
    let of = |id: i64| {
        refs.iter()
            .find(|r| r["id"].as_str().and_then(|s| s.parse::<i64>().ok()) == Some(id))
            .unwrap_or_else(|| panic!("{id}: {v}"))["directStreamIds"]
            .clone()
    };
    assert_eq!(
        of(ids[0]),
        serde_json::json!(["feed/http://feeds.test/a.xml", "user/-/label/Net"])
    );
    let v = reader
        .json(
            &server,
            &format!("{API}/stream/items/ids?s=feed/http://feeds.test/b.xml"),
        )
        .await;
    for r in v["itemRefs"].as_array().unwrap() {
        assert_eq!(
            r["directStreamIds"],
            serde_json::json!([]),
            "only when asked"
        );
    }
}

#[tokio::test]
async fn garbage_never_causes_a_server_error() {
    let server = Server::start().await;
    let (user, secret) = user_with_secret(&server, "ann").await;
    seed(
        &server.store,
        user.id,
        "http://feeds.test/a.xml",
        Some("Net"),
        3,
        Utc::now(),
    )
    .await;
    let reader = sign_in(&server, "ann", &secret).await;
    let paths = [
        "token",
        "user-info",
        "subscription/list",
        "subscription/edit",
        "subscription/quickadd",
        "subscription/export",
        "subscription/import",
        "subscribed",
        "preference/list",
        "tag/list",
        "rename-tag",
        "disable-tag",
        "unread-count",
        "stream/contents",
        "stream/contents/user/-/state/com.google/reading-list",
        "stream/contents/feed%2F%00",
        "stream/items/ids",
        "stream/items/count",
        "stream/items/contents",
        "edit-tag",
        "mark-all-as-read",
    ];
    let long = "x".repeat(5000);
    let garbage: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![
            ("s", "\u{0}"),
            ("i", "\u{0}"),
            ("n", "99999999999999999999"),
        ],
        vec![
            ("s", "user/-/label/a//b"),
            ("dest", "user/-/label/a//c"),
            ("t", "/"),
        ],
        vec![
            ("s", "feed/javascript:alert(1)"),
            ("ac", "subscribe"),
            ("quickadd", "javascript:alert(1)"),
        ],
        vec![
            ("c", "-1"),
            ("ot", "-99999999999"),
            ("nt", "9223372036854775807"),
            ("r", "o"),
        ],
        vec![
            ("ts", "9223372036854775807"),
            ("s", "user/-/state/com.google/reading-list"),
        ],
        vec![("ts", "-9223372036854775808"), ("s", "user/-/label/Net")],
        vec![
            ("i", "-9223372036854775808"),
            ("i", "18446744073709551615"),
            ("a", "user/-/state/com.google/starred"),
        ],
        vec![
            ("s", long.as_str()),
            ("i", long.as_str()),
            ("a", long.as_str()),
            ("t", long.as_str()),
        ],
        vec![("s", "user/99999999999999999999/state/com.google/read")],
        vec![
            ("xt", "user/-/state/com.google/read"),
            ("it", "user/-/state/com.google/read"),
            ("s", "user/-/state/com.google/starred"),
        ],
        vec![
            ("ac", "edit"),
            ("s", "feed/http://feeds.test/a.xml"),
            ("a", "user/-/label/"),
            ("r", "user/-/label/Net"),
        ],
    ];
    for path in paths {
        let url = format!("{API}/{path}");
        for form in &garbage {
            let (status, body) = reader.post(&server, &url, form).await;
            assert!(
                !status.is_server_error(),
                "POST {path} {form:?}: {status} {body}"
            );
            let query = serde_urlencoded::to_string(form).unwrap();
            let (status, body) = reader.get(&server, &format!("{url}?{query}")).await;
            assert!(
                !status.is_server_error(),
                "GET {path}?{query}: {status} {body}"
            );
        }
    }
    // Raw bytes that are not a form at all.
    for path in ["edit-tag", "subscription/import", "stream/items/contents"] {
        let r = reader
            .http
            .post(server.url(&format!("{API}/{path}?T={}", reader.t)))
            .header("Authorization", reader.header())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(vec![0xff, 0xfe, b'%', b'z', b'=', 0x80])
            .send()
            .await
            .unwrap();
        assert!(!r.status().is_server_error(), "{path}: {}", r.status());
    }
}
