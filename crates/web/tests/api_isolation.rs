//! The cross-user walk over the three reader APIs: Bob, with his own API
//! password, sends every reading and every changing request of the Google
//! Reader, Fever and Miniflux APIs naming Ann's entries, feeds and
//! categories. None may show him any of Ann's data, none may answer 500,
//! and afterwards Ann's state is exactly what it was.

mod common;

use chrono::{TimeZone, Utc};
use common::{seed, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tributary_model::UserId;
use tributary_store::ApiEntryQuery;
use tributary_web::auth::api_keys;

const PW: &str = "correct horse battery";

fn newest() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// Everything of Ann's that Bob could try to reach.
struct Anns {
    feed: i64,
    feed_url: String,
    category: i64,
    entries: Vec<i64>,
}

/// Ann's state as a comparable value: subscriptions, categories, and each
/// entry's read and starred flags.
async fn state_of(server: &Server, user: UserId) -> Value {
    let subs: Vec<Value> = server
        .store
        .subscription_views(user)
        .await
        .unwrap()
        .into_iter()
        .map(|v| {
            json!([
                v.subscription.feed.url,
                v.subscription.display_title(),
                v.category_id.map(|c| c.0),
                v.settings.paused
            ])
        })
        .collect();
    let categories: Vec<Value> = server
        .store
        .categories(user)
        .await
        .unwrap()
        .into_iter()
        .map(|c| json!([c.id.0, c.path]))
        .collect();
    let entries: Vec<Value> = server
        .store
        .api_entries(
            user,
            &ApiEntryQuery {
                limit: Some(1000),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| json!([i.item.entry.id.0, i.item.read, i.item.starred]))
        .collect();
    json!({ "subs": subs, "categories": categories, "entries": entries })
}

/// An answer Bob got: never a 5xx; a success shows nothing of Ann's (her
/// feed's URL, her category, her entries' titles); a refusal is a 4xx and
/// shows no entry of hers (it may echo what Bob sent).
fn check(what: &str, status: StatusCode, text: &str, anns: &Anns) {
    assert!(!status.is_server_error(), "{what}: {status} {text}");
    assert!(
        !text.contains("Entry 0 of http://ann.example"),
        "{what}: {text}"
    );
    if status.is_success() {
        assert!(!text.contains(&anns.feed_url), "{what}: {text}");
        assert!(!text.contains("Secret"), "{what}: {text}");
    } else {
        assert!(
            matches!(status.as_u16(), 400 | 401 | 403 | 404),
            "{what}: {status} {text}"
        );
    }
}

#[tokio::test]
async fn no_api_lets_one_user_reach_anothers_data() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let bob = server.user("bob", PW, false).await;
    let ann_url = "http://ann.example/feed".to_owned();
    let feed = seed(&server.store, ann.id, &ann_url, Some("Secret"), 5, newest()).await;
    seed(
        &server.store,
        bob.id,
        "http://bob.example/feed",
        Some("Mine"),
        3,
        newest(),
    )
    .await;
    let category = server.store.categories(ann.id).await.unwrap()[0].id.0;
    let entries: Vec<i64> = server
        .store
        .api_entry_refs(ann.id, &ApiEntryQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id.0)
        .collect();
    let anns = Anns {
        feed: feed.0,
        feed_url: ann_url,
        category,
        entries,
    };
    let before = state_of(&server, ann.id).await;

    let secret = api_keys::create(&server.store, &bob, "walk")
        .await
        .unwrap()
        .secret;
    let client = server.client();
    let mut checked = 0;

    // --- Miniflux /v1/ -----------------------------------------------------
    let e = anns.entries[0];
    let (f, c) = (anns.feed, anns.category);
    let v1: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/entries/{e}"), None),
        (
            Method::PUT,
            format!("/v1/entries/{e}"),
            Some(json!({"title": "x"})),
        ),
        (Method::PUT, format!("/v1/entries/{e}/bookmark"), None),
        (
            Method::PUT,
            "/v1/entries".into(),
            Some(json!({"entry_ids": anns.entries, "status": "read"})),
        ),
        (Method::GET, format!("/v1/feeds/{f}"), None),
        (
            Method::PUT,
            format!("/v1/feeds/{f}"),
            Some(json!({"title": "mine now"})),
        ),
        (Method::DELETE, format!("/v1/feeds/{f}"), None),
        (Method::PUT, format!("/v1/feeds/{f}/refresh"), None),
        (Method::GET, format!("/v1/feeds/{f}/icon"), None),
        (Method::PUT, format!("/v1/feeds/{f}/mark-all-as-read"), None),
        (Method::GET, format!("/v1/feeds/{f}/entries"), None),
        (Method::GET, format!("/v1/feeds/{f}/entries/{e}"), None),
        (Method::GET, format!("/v1/categories/{c}/feeds"), None),
        (Method::GET, format!("/v1/categories/{c}/entries"), None),
        (Method::GET, format!("/v1/categories/{c}/entries/{e}"), None),
        (
            Method::PUT,
            format!("/v1/categories/{c}"),
            Some(json!({"title": "Taken"})),
        ),
        (
            Method::PUT,
            format!("/v1/categories/{c}/mark-all-as-read"),
            None,
        ),
        (Method::PUT, format!("/v1/categories/{c}/refresh"), None),
        (Method::DELETE, format!("/v1/categories/{c}"), None),
        (Method::GET, format!("/v1/users/{}", ann.id.0), None),
        (Method::GET, "/v1/users/ann".into(), None),
        (
            Method::PUT,
            format!("/v1/users/{}", ann.id.0),
            Some(json!({"username": "bob2"})),
        ),
        (
            Method::PUT,
            format!("/v1/users/{}/mark-all-as-read", ann.id.0),
            None,
        ),
        (Method::DELETE, format!("/v1/users/{}", ann.id.0), None),
        (Method::GET, format!("/v1/entries?feed_id={f}"), None),
        (Method::GET, format!("/v1/entries?category_id={c}"), None),
    ];
    for (method, path, body) in v1 {
        let mut request = client
            .request(method.clone(), server.url(&path))
            .header("X-Auth-Token", &secret);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        check(&format!("{method} {path}"), status, &text, &anns);
        for id in &anns.entries {
            assert!(
                !text.contains(&format!("\"id\":{id},\"user_id\":{}", ann.id.0)),
                "{method} {path}: {text}"
            );
        }
        checked += 1;
    }

    // --- Google Reader -----------------------------------------------------
    let auth = server.greader_auth("bob", &secret).await;
    let gr = format!("GoogleLogin auth={auth}");
    let t = client
        .get(server.url("/api/greader/reader/api/0/token"))
        .header("Authorization", &gr)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .trim()
        .to_owned();
    let feed_stream = format!("feed/{}", anns.feed_url);
    let ids: Vec<(&str, String)> = anns
        .entries
        .iter()
        .map(|id| ("i", id.to_string()))
        .collect();
    let mut gets: Vec<String> = vec![
        format!("stream/contents/{feed_stream}"),
        "stream/contents/user/-/label/Secret".to_owned(),
        format!("stream/items/ids?s={feed_stream}"),
        "stream/items/ids?s=user/-/label/Secret".to_owned(),
        format!("stream/items/contents?i={e}"),
    ];
    gets.push("stream/contents/user/-/state/com.google/reading-list?n=1000".to_owned());
    for path in gets {
        let url = server.url(&format!("/api/greader/reader/api/0/{path}"));
        let response = client
            .get(url)
            .header("Authorization", &gr)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        check(&format!("GET {path}"), status, &text, &anns);
        checked += 1;
    }
    let atom = client
        .get(server.url(&format!("/api/greader/reader/atom/{feed_stream}")))
        .header("Authorization", &gr)
        .send()
        .await
        .unwrap();
    assert!(!atom.status().is_server_error());
    assert!(!atom
        .text()
        .await
        .unwrap()
        .contains("Entry 0 of http://ann.example/feed"));
    let mut posts: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "edit-tag",
            [
                ids.clone(),
                vec![("a", "user/-/state/com.google/read".into())],
            ]
            .concat(),
        ),
        (
            "edit-tag",
            [
                ids.clone(),
                vec![("a", "user/-/state/com.google/starred".into())],
            ]
            .concat(),
        ),
        ("stream/items/contents", ids.clone()),
        ("mark-all-as-read", vec![("s", feed_stream.clone())]),
        (
            "mark-all-as-read",
            vec![("s", "user/-/label/Secret".into())],
        ),
        (
            "subscription/edit",
            vec![("ac", "unsubscribe".into()), ("s", feed_stream.clone())],
        ),
        (
            "subscription/edit",
            vec![
                ("ac", "edit".into()),
                ("s", feed_stream.clone()),
                ("t", "mine".into()),
            ],
        ),
        (
            "rename-tag",
            vec![
                ("s", "user/-/label/Secret".into()),
                ("dest", "user/-/label/Taken".into()),
            ],
        ),
        ("disable-tag", vec![("s", "user/-/label/Secret".into())]),
    ];
    for (path, form) in posts.iter_mut() {
        form.push(("T", t.clone()));
        let response = client
            .post(server.url(&format!("/api/greader/reader/api/0/{path}")))
            .header("Authorization", &gr)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        check(&format!("POST {path}"), status, &text, &anns);
        checked += 1;
    }

    // --- Fever ---------------------------------------------------------------
    let key = api_keys::fever_key("bob", &secret);
    for form in [
        vec![
            ("mark", "item".to_owned()),
            ("as", "read".into()),
            ("id", e.to_string()),
        ],
        vec![
            ("mark", "item".to_owned()),
            ("as", "saved".into()),
            ("id", e.to_string()),
        ],
        vec![
            ("mark", "feed".to_owned()),
            ("as", "read".into()),
            ("id", f.to_string()),
        ],
        vec![
            ("mark", "group".to_owned()),
            ("as", "read".into()),
            ("id", c.to_string()),
        ],
    ] {
        let mut form = form;
        form.push(("api_key", key.clone()));
        let response = client
            .post(server.url("/api/fever/?api&items&feeds&groups"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        check(&format!("fever {form:?}"), status, &text, &anns);
        checked += 1;
    }

    assert!(checked >= 40, "{checked} requests walked");
    assert_eq!(
        state_of(&server, ann.id).await,
        before,
        "Ann's data changed"
    );
}
