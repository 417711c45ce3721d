//! The Fever API over real HTTP: the api_key (md5 of `user:API password`)
//! and what a wrong one gets, groups and feeds, item paging both ways,
//! id lists, every mark, bad parameters, and that one user never reaches
//! another's data.

mod common;

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use common::{seed, Server};
use reqwest::StatusCode;
use serde_json::Value;
use tributary_store::User;
use tributary_web::auth::api_keys;

const PW: &str = "correct horse battery";

fn newest() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// An API password of `user` and its Fever key.
async fn key(server: &Server, user: &User) -> (String, i64) {
    let new = api_keys::create(&server.store, user, "fever test")
        .await
        .unwrap();
    (
        api_keys::fever_key(&user.username, &new.secret),
        new.token.id,
    )
}

/// POST `/api/fever/?api&QUERY` with `api_key` (and `form`) in the body.
async fn fever(
    server: &Server,
    key: &str,
    query: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut body = vec![("api_key", key)];
    body.extend_from_slice(form);
    let response = server
        .client()
        .post(server.url(&format!("/api/fever/?api&{query}")))
        .form(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{query}"
    );
    (status, response.json().await.unwrap())
}

fn id_set(list: &Value) -> HashSet<i64> {
    list.as_str()
        .unwrap()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_wrong_key_gets_auth_0_and_a_right_one_auth_1() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let (good, token) = key(&server, &ann).await;

    for bad in ["", "nothex", "00000000000000000000000000000000"] {
        let (status, body) = fever(&server, bad, "", &[]).await;
        assert_eq!(status, StatusCode::OK, "{bad:?}");
        assert_eq!(
            body,
            serde_json::json!({"api_version": 3, "auth": 0}),
            "{bad:?}"
        );
    }
    // The login password is not an API password.
    let (_, body) = fever(&server, &api_keys::fever_key("ann", PW), "", &[]).await;
    assert_eq!(body["auth"], 0);

    let (status, body) = fever(&server, &good, "", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["auth"], 1);
    assert_eq!(body["api_version"], 3);
    assert_eq!(body["last_refreshed_on_time"], 0, "nothing fetched yet");
    // Clients send the key in either case, and some in the query string.
    let (_, body) = fever(&server, &good.to_uppercase(), "", &[]).await;
    assert_eq!(body["auth"], 1);
    let response = server
        .client()
        .get(server.url(&format!("/api/fever.php?api&api_key={good}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["auth"], 1);

    // Revoked: refused at once.
    server.store.revoke_api_token(ann.id, token).await.unwrap();
    let (_, body) = fever(&server, &good, "", &[]).await;
    assert_eq!(body["auth"], 0);
}

#[tokio::test]
async fn guessing_keys_is_throttled() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let (good, _) = key(&server, &ann).await;
    let mut throttled = None;
    for i in 0..10 {
        let (status, body) = fever(&server, &format!("{i:032x}"), "", &[]).await;
        assert_eq!(body["auth"], 0);
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(i);
            break;
        }
    }
    let i = throttled.expect("the sixth wrong key from one address waits");
    assert!(i >= 5, "five free failures, throttled at {i}");
    // Even the right key waits now, from that address.
    let (status, _) = fever(&server, &good, "", &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn groups_feeds_and_feeds_groups() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let (k, _) = key(&server, &ann).await;
    let vendors = seed(
        &server.store,
        ann.id,
        "http://v.example/feed",
        Some("Net/Vendors"),
        2,
        newest(),
    )
    .await;
    let blog = seed(
        &server.store,
        ann.id,
        "http://b.example/feed",
        None,
        2,
        newest(),
    )
    .await;
    let (_, body) = fever(&server, &k, "groups&feeds&favicons&links", &[]).await;
    let groups = body["groups"].as_array().unwrap();
    let titles: Vec<&str> = groups
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Net", "Net/Vendors"]);
    let vendors_group = groups[1]["id"].as_i64().unwrap();
    assert_eq!(
        body["feeds_groups"],
        serde_json::json!([{"group_id": vendors_group, "feed_ids": vendors.0.to_string()}])
    );
    let feeds = body["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 2);
    let b = feeds.iter().find(|f| f["id"] == blog.0).unwrap();
    assert_eq!(b["url"], "http://b.example/feed");
    assert_eq!(b["title"], "Feed http://b.example/feed");
    assert_eq!(b["is_spark"], 0);
    assert_eq!(b["last_updated_on_time"], newest().timestamp());
    assert_eq!(body["last_refreshed_on_time"], newest().timestamp());
    assert_eq!(body["favicons"], serde_json::json!([]));
    assert_eq!(body["links"], serde_json::json!([]));
}

#[tokio::test]
async fn items_page_up_with_since_id_and_down_with_max_id() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let (k, _) = key(&server, &ann).await;
    seed(
        &server.store,
        ann.id,
        "http://a.example/feed",
        None,
        120,
        newest(),
    )
    .await;

    let mut seen = Vec::new();
    let mut since = 0;
    loop {
        let (_, body) = fever(&server, &k, &format!("items&since_id={since}"), &[]).await;
        assert_eq!(body["total_items"], 120);
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        assert!(items.len() <= 50);
        for item in items {
            let id = item["id"].as_i64().unwrap();
            assert!(id > since, "ascending above since_id");
            since = id;
            seen.push(id);
        }
    }
    assert_eq!(seen.len(), 120);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 120, "each once");

    let mut down = Vec::new();
    let mut max = 0;
    loop {
        let (_, body) = fever(&server, &k, &format!("items&max_id={max}"), &[]).await;
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        for item in items {
            let id = item["id"].as_i64().unwrap();
            assert!(max == 0 || id < max, "descending below max_id");
            max = id;
            down.push(id);
        }
    }
    down.reverse();
    assert_eq!(down, seen);

    let (_, body) = fever(
        &server,
        &k,
        &format!("items&with_ids={},{}", seen[3], seen[7]),
        &[],
    )
    .await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let item = &items[0];
    assert_eq!(item["id"], seen[3]);
    assert_eq!(item["is_read"], 0);
    assert_eq!(item["is_saved"], 0);
    assert_eq!(item["author"], "Ann");
    assert!(item["html"].as_str().unwrap().starts_with("<p>Entry "));
    assert!(item["url"]
        .as_str()
        .unwrap()
        .starts_with("http://a.example/feed/entry/"));
    assert!(item["created_on_time"].as_i64().unwrap() <= newest().timestamp());
}

#[tokio::test]
async fn bad_parameters_are_400_with_a_reason() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let (k, _) = key(&server, &ann).await;
    let too_many: Vec<String> = (1..=51).map(|i| i.to_string()).collect();
    let too_many = too_many.join(",");
    let cases = [
        ("items&since_id=abc", "since_id"),
        ("items&max_id=1.5", "max_id"),
        ("items&with_ids=1,x", "with_ids"),
        (&format!("items&with_ids={too_many}")[..], "at most 50"),
        ("mark=item&as=read", "needs an id"),
        ("mark=item&as=burnt&id=1", "cannot mark"),
        ("mark=feed&as=unread&id=1", "cannot mark"),
        ("mark=feed&as=read&id=1&before=x", "before"),
    ];
    for (query, reason) in cases {
        let (status, body) = fever(&server, &k, query, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["auth"], 1, "{query}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(reason), "{query}: {error}");
    }
}

#[tokio::test]
async fn marks_change_state_and_answer_the_new_id_lists() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let (k, _) = key(&server, &ann).await;
    let net = seed(
        &server.store,
        ann.id,
        "http://n.example/feed",
        Some("Net"),
        3,
        newest(),
    )
    .await;
    let blog = seed(
        &server.store,
        ann.id,
        "http://b.example/feed",
        None,
        3,
        newest(),
    )
    .await;
    let (_, body) = fever(&server, &k, "unread_item_ids&saved_item_ids", &[]).await;
    let unread = id_set(&body["unread_item_ids"]);
    assert_eq!(unread.len(), 6);
    assert_eq!(body["saved_item_ids"], "");
    let one = *unread.iter().min().unwrap();
    let one_s = one.to_string();

    let (_, body) = fever(
        &server,
        &k,
        "",
        &[("mark", "item"), ("as", "read"), ("id", &one_s)],
    )
    .await;
    assert!(!id_set(&body["unread_item_ids"]).contains(&one));
    assert!(
        server
            .store
            .entry_for_user(ann.id, tributary_model::EntryId(one))
            .await
            .unwrap()
            .unwrap()
            .read
    );
    let (_, body) = fever(
        &server,
        &k,
        "",
        &[("mark", "item"), ("as", "unread"), ("id", &one_s)],
    )
    .await;
    assert!(id_set(&body["unread_item_ids"]).contains(&one));
    let (_, body) = fever(
        &server,
        &k,
        "",
        &[("mark", "item"), ("as", "saved"), ("id", &one_s)],
    )
    .await;
    assert_eq!(id_set(&body["saved_item_ids"]), HashSet::from([one]));
    let (_, body) = fever(
        &server,
        &k,
        "",
        &[("mark", "item"), ("as", "unsaved"), ("id", &one_s)],
    )
    .await;
    assert_eq!(body["saved_item_ids"], "");

    // A feed read before a time: entries published after it stay unread.
    let cut = (newest() - chrono::Duration::seconds(90))
        .timestamp()
        .to_string();
    let (_, body) = fever(
        &server,
        &k,
        "",
        &[
            ("mark", "feed"),
            ("as", "read"),
            ("id", &blog.0.to_string()),
            ("before", &cut),
        ],
    )
    .await;
    assert_eq!(
        id_set(&body["unread_item_ids"]).len(),
        3 + 2,
        "two of blog's three are older than the cut"
    );

    // A group (category) read, then everything (group 0).
    let (_, body) = fever(&server, &k, "groups", &[]).await;
    let group = body["groups"][0]["id"].as_i64().unwrap().to_string();
    let (_, body) = fever(
        &server,
        &k,
        "",
        &[("mark", "group"), ("as", "read"), ("id", &group)],
    )
    .await;
    assert_eq!(
        id_set(&body["unread_item_ids"]).len(),
        2,
        "net's three are read"
    );
    let (_, body) = fever(
        &server,
        &k,
        "",
        &[("mark", "group"), ("as", "read"), ("id", "0")],
    )
    .await;
    assert_eq!(body["unread_item_ids"], "");
    let _ = net;

    // unread_recently_read brings back what was read in the last hour.
    let (_, body) = fever(&server, &k, "unread_recently_read=1&unread_item_ids", &[]).await;
    assert_eq!(id_set(&body["unread_item_ids"]).len(), 6);
}

#[tokio::test]
async fn one_user_never_reaches_anothers_items() {
    let server = Server::start().await;
    let ann = server.user("ann", PW, false).await;
    let bob = server.user("bob", PW, false).await;
    let (ka, _) = key(&server, &ann).await;
    let (kb, _) = key(&server, &bob).await;
    seed(
        &server.store,
        ann.id,
        "http://a.example/feed",
        None,
        3,
        newest(),
    )
    .await;
    let bobs_feed = seed(
        &server.store,
        bob.id,
        "http://b.example/feed",
        Some("Bob"),
        3,
        newest(),
    )
    .await;
    let (_, body) = fever(&server, &kb, "unread_item_ids&groups", &[]).await;
    let bobs = id_set(&body["unread_item_ids"]);
    let bobs_group = body["groups"][0]["id"].as_i64().unwrap();
    assert_eq!(bobs.len(), 3);

    let (_, body) = fever(&server, &ka, "items&groups&feeds&unread_item_ids", &[]).await;
    let anns = id_set(&body["unread_item_ids"]);
    assert!(anns.is_disjoint(&bobs));
    assert!(body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| !bobs.contains(&i["id"].as_i64().unwrap())));
    assert_eq!(body["groups"], serde_json::json!([]));
    assert_eq!(body["feeds"].as_array().unwrap().len(), 1);
    let list: Vec<String> = bobs.iter().map(|i| i.to_string()).collect();
    let (_, body) = fever(
        &server,
        &ka,
        &format!("items&with_ids={}", list.join(",")),
        &[],
    )
    .await;
    assert_eq!(body["items"], serde_json::json!([]));

    for id in &bobs {
        let id = id.to_string();
        fever(
            &server,
            &ka,
            "",
            &[("mark", "item"), ("as", "read"), ("id", &id)],
        )
        .await;
        fever(
            &server,
            &ka,
            "",
            &[("mark", "item"), ("as", "saved"), ("id", &id)],
        )
        .await;
    }
    let (status, _) = fever(
        &server,
        &ka,
        "",
        &[
            ("mark", "feed"),
            ("as", "read"),
            ("id", &bobs_feed.0.to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = fever(
        &server,
        &ka,
        "",
        &[
            ("mark", "group"),
            ("as", "read"),
            ("id", &bobs_group.to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, body) = fever(&server, &kb, "unread_item_ids&saved_item_ids", &[]).await;
    assert_eq!(
        id_set(&body["unread_item_ids"]),
        bobs,
        "nothing of Bob's was read"
    );
    assert_eq!(body["saved_item_ids"], "");
}
