//! Rules in the web UI and what a hidden entry looks like from every side:
//! the /rules page (preview counts, bad expressions shown with the parser's
//! message, save, enable, disable, delete, CSRF), tags on entries and the
//! tag page, and a hidden entry gone from the UI pages and from the Google
//! Reader, Fever and Miniflux listings — of its user only.

mod common;

use chrono::Utc;
use common::{seed, Server};
use tributary_model::EntryId;
use tributary_store::{EntryQuery, RuleEffects, View};
use tributary_web::auth::api_keys;

async fn form(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let csrf = server.csrf(client).await;
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf", &csrf));
    let r = client
        .post(server.url(path))
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn the_rules_page_previews_saves_and_refuses_bad_expressions() {
    let server = Server::start().await;
    let ann = server.user("ann", "pw-ann-123456", false).await;
    // 30 entries "Entry 0 of …" … "Entry 29 of …"; 7, 17 and 27 make 3.
    seed(
        &server.store,
        ann.id,
        "https://a.example/feed",
        Some("Net"),
        30,
        Utc::now(),
    )
    .await;
    let client = server.login("ann", "pw-ann-123456").await;

    let page = client.get(server.url("/rules")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    common::assert_security_headers("/rules", &page);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("href=\"/rules\" aria-current=\"page\""),
        "nav link"
    );
    assert!(html.contains("No rules yet."));

    // Preview: counts, examples, nothing saved.
    let (status, html) = form(
        &client,
        &server,
        "/rules",
        &[
            ("expression", "title:/^Entry \\d*7 /"),
            ("action", "block"),
            ("scope", "all"),
            ("op", "preview"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let html = common::unescape(&html);
    assert!(
        html.contains("This rule would have hidden 3 of the last 30 entries."),
        "{html}"
    );
    assert!(
        html.contains("Entry 27 of") && html.contains("Entry 7 of"),
        "examples listed"
    );
    assert!(
        html.contains("value=\"title:/^Entry \\d*7 /\""),
        "the form keeps what was typed"
    );
    assert!(server.store.rules(ann.id).await.unwrap().is_empty());
    // Other actions say what they would do.
    let (_, html) = form(
        &client,
        &server,
        "/rules",
        &[
            ("expression", "entry"),
            ("action", "tag"),
            ("tag", "all"),
            ("scope", "all"),
            ("op", "preview"),
        ],
    )
    .await;
    assert!(
        common::unescape(&html).contains("would have tagged “all” 30 of the last 30"),
        "{html}"
    );

    // Bad input: the parser's message on the page, never a 500.
    let bad = [
        ("title:sponsored OR", "block", "", "at column 19"),
        ("titel:x", "block", "", "`titel:` is not a field"),
        ("/a{10000}{10000}/", "block", "", "too large once compiled"),
        ("/(a)\\1/", "block", "", "not valid"),
        ("x", "delete", "", "not an action"),
        ("x", "tag", "", "needs the tag"),
        ("x", "tag", "a/b", "not allowed"),
    ];
    for (expression, action, tag, message) in bad {
        for op in ["preview", "save"] {
            let (status, html) = form(
                &client,
                &server,
                "/rules",
                &[
                    ("expression", expression),
                    ("action", action),
                    ("tag", tag),
                    ("scope", "all"),
                    ("op", op),
                ],
            )
            .await;
            // A refused save is a 400; a preview's answer is the message.
            let want = if op == "save" { 400 } else { 200 };
            assert_eq!(status, want, "{expression} {op}");
            assert!(
                common::unescape(&html).contains(message),
                "{expression} {op}: {html}"
            );
        }
    }
    let (status, _) = form(
        &client,
        &server,
        "/rules",
        &[
            ("expression", "x"),
            ("action", "block"),
            ("scope", "feed:999999"),
            ("op", "save"),
        ],
    )
    .await;
    assert_eq!(status, 400, "a feed that is not hers");
    assert!(server.store.rules(ann.id).await.unwrap().is_empty());

    // Without the CSRF token: refused.
    let r = client
        .post(server.url("/rules"))
        .form(&[
            ("expression", "x"),
            ("action", "block"),
            ("scope", "all"),
            ("op", "save"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Save, then disable, enable, delete.
    let cat = server.store.categories(ann.id).await.unwrap()[0].id;
    let scope = format!("category:{}", cat.0);
    let (status, _) = form(
        &client,
        &server,
        "/rules",
        &[
            ("expression", "title:/7$/"),
            ("action", "star"),
            ("scope", &scope),
            ("op", "save"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let rules = server.store.rules(ann.id).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0].action.as_str(), rules[0].expression.as_str()),
        ("star", "title:/7$/")
    );
    let html = client
        .get(server.url("/rules"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Category: Net"), "{html}");
    let id = rules[0].id;
    let (status, _) = form(
        &client,
        &server,
        &format!("/rules/{id}/enable"),
        &[("enabled", "0")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(!server.store.rules(ann.id).await.unwrap()[0].enabled);
    let (status, _) = form(
        &client,
        &server,
        &format!("/rules/{id}/enable"),
        &[("enabled", "1")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(server.store.rules(ann.id).await.unwrap()[0].enabled);

    // Bob cannot touch Ann's rule.
    server.user("bob", "pw-bob-123456", false).await;
    let bob = server.login("bob", "pw-bob-123456").await;
    let (status, _) = form(&bob, &server, &format!("/rules/{id}/delete"), &[]).await;
    assert_eq!(status, 404);
    let (status, _) = form(&client, &server, &format!("/rules/{id}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert!(server.store.rules(ann.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn hidden_entries_are_gone_from_every_page_and_api_of_their_user() {
    let server = Server::start().await;
    let ann = server.user("ann", "pw-ann-123456", false).await;
    let bob = server.user("bob", "pw-bob-123456", false).await;
    let url = "https://shared.example/feed";
    let feed = seed(&server.store, ann.id, url, Some("Net"), 5, Utc::now()).await;
    seed(&server.store, bob.id, url, None, 5, Utc::now()).await;
    let all = server
        .store
        .entries(
            ann.id,
            &EntryQuery {
                view: View::All,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let hidden = all
        .items
        .iter()
        .find(|i| i.entry.title.starts_with("Entry 2 of"))
        .unwrap();
    let hidden_id: EntryId = hidden.entry.id;
    let tagged = all
        .items
        .iter()
        .find(|i| i.entry.title.starts_with("Entry 3 of"))
        .unwrap()
        .entry
        .id;
    let hidden_url = hidden.entry.url.clone().unwrap();
    server
        .store
        .apply_rule_effects(&[RuleEffects {
            user: ann.id,
            hide: vec![hidden_id],
            read: vec![],
            star: vec![hidden_id],
            tags: vec![(tagged, "net news".into()), (hidden_id, "net news".into())],
            acted: vec![],
        }])
        .await
        .unwrap();

    let ann_web = server.login("ann", "pw-ann-123456").await;
    let bob_web = server.login("bob", "pw-bob-123456").await;
    let cat = server.store.categories(ann.id).await.unwrap()[0].id;
    let pages = [
        "/".to_owned(),
        "/all".to_owned(),
        "/starred".to_owned(),
        "/history".to_owned(),
        format!("/category/{}", cat.0),
        format!("/feed/{}", feed.0),
        "/search?q=entry".to_owned(),
        "/tag/net%20news".to_owned(),
    ];
    for path in &pages {
        let r = ann_web.get(server.url(path)).send().await.unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {html}");
        assert!(
            !html.contains(">Entry 2 of"),
            "{path} shows the hidden entry"
        );
        assert!(
            !html.contains(&format!("/entry/{}\"", hidden_id.0)),
            "{path}"
        );
    }
    // The tag shows on the entry, links to the tag page, which lists it.
    let html = ann_web
        .get(server.url("/all"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let html = common::unescape(&html);
    assert!(
        html.contains("href=\"/tag/net%20news\">net news</a>"),
        "{html}"
    );
    let html = ann_web
        .get(server.url("/tag/net%20news"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(">Entry 3 of") && html.contains("Tag: net news"),
        "{html}"
    );
    let html = ann_web
        .get(server.url(&format!("/entry/{}", tagged.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        common::unescape(&html).contains("href=\"/tag/net%20news\""),
        "entry page shows tags"
    );
    // Bob sees it everywhere, untagged.
    let html = bob_web
        .get(server.url("/all"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(">Entry 2 of"));
    assert!(!common::unescape(&html).contains("/tag/"));

    // The reader APIs.
    let secret = api_keys::create(&server.store, &ann, "apps")
        .await
        .unwrap()
        .secret;
    let http = server.client();
    let v1 = [
        "/v1/entries",
        "/v1/entries?status=unread",
        "/v1/entries?status=read",
        "/v1/entries?starred=true",
        &format!("/v1/feeds/{}/entries", feed.0),
        &format!("/v1/categories/{}/entries", cat.0),
    ];
    for path in v1 {
        let r = http
            .get(server.url(path))
            .header("X-Auth-Token", &secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let json: serde_json::Value = r.json().await.unwrap();
        let ids: Vec<i64> = json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert!(!ids.contains(&hidden_id.0), "{path}: {ids:?}");
        // Totals agree with the lists (the hidden entry is not counted).
        assert_eq!(json["total"].as_i64().unwrap(), ids.len() as i64, "{path}");
    }
    let auth = format!(
        "GoogleLogin auth={}",
        server.greader_auth("ann", &secret).await
    );
    for path in [
        "stream/contents/user/-/state/com.google/reading-list?n=100",
        "stream/contents/user/-/state/com.google/starred",
        "stream/items/ids?s=user/-/state/com.google/reading-list&n=100",
        "stream/items/ids?s=user/-/state/com.google/starred",
        "stream/contents/user/-/label/Net",
    ] {
        let r = http
            .get(
                server.url(
                    &format!("/api/greader/reader/api/0/{path}&output=json")
                        .replace("?", "?")
                        .replacen(
                            "&output=json",
                            if path.contains('?') {
                                "&output=json"
                            } else {
                                "?output=json"
                            },
                            1,
                        ),
                ),
            )
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains(&hidden_url), "{path}: {text}");
        if path.starts_with("stream/contents/user/-/state/com.google/reading-list") {
            assert!(
                text.contains(&format!("{url}/entry/3")),
                "{path} lists the others: {text}"
            );
        }
        assert!(
            !text.contains(&format!("\"{}\"", hidden_id.0)),
            "{path}: {text}"
        );
        assert!(
            !text.contains(&format!("{:016x}", hidden_id.0)),
            "{path}: {text}"
        );
    }
    let key = api_keys::fever_key("ann", &secret);
    for query in ["items", "unread_item_ids", "saved_item_ids"] {
        let r = http
            .post(server.url(&format!("/api/fever/?api&{query}")))
            .form(&[("api_key", key.as_str())])
            .send()
            .await
            .unwrap();
        let json: serde_json::Value = r.json().await.unwrap();
        assert_eq!(json["auth"], 1, "{query}");
        let text = json.to_string();
        match query {
            "items" => {
                let ids: Vec<i64> = json["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_i64().unwrap())
                    .collect();
                assert_eq!(ids.len(), 4, "{text}");
                assert!(!ids.contains(&hidden_id.0));
                assert_eq!(json["total_items"], 4, "{text}");
            }
            other => {
                let list = json[other].as_str().unwrap_or("");
                assert!(
                    !list.split(',').any(|i| i == hidden_id.0.to_string()),
                    "{other}: {list}"
                );
            }
        }
    }
}
