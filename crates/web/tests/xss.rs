//! XSS end to end: the filter-evasion list (defined once, in
//! `crates/normalize/tests/support/xss.rs`) goes into real feeds served on
//! loopback — as entry content, summaries, titles, authors, tags, links,
//! enclosure URLs, feed titles and site links, in a JSON Feed (every vector,
//! control characters included) and an Atom feed (every vector XML can
//! carry) — which a user adds through the UI, so the server fetches, parses,
//! normalizes and stores them itself. Then every page that shows them is
//! fetched and parsed with html5ever (`scraper`): no executable markup may
//! survive anywhere in the page ([`support::page_violations`]), titles and
//! names are plain text, and every HTML field of the three reader APIs
//! passes the sanitizer's own structural check ([`support::violations`]).
//! Error messages that echo what the user typed (a bad feed URL, a page
//! whose feed links are hostile, a search query, a category name) are
//! checked the same way.

#[path = "../../normalize/tests/support/xss.rs"]
mod support;

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use common::{meta_content, Server};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;
use support::{
    atom_feed, json_feed, marker, page_violations, violations, xml_safe, xml_text, FEEDS, VECTORS,
};
use tributary_web::WebConfig;

const PW: &str = "correct horse";

/// Documents served on loopback: path → (media type, body).
type Docs = Arc<HashMap<String, (&'static str, String)>>;

async fn serve_docs(docs: Docs) -> SocketAddr {
    let app = Router::new()
        .route(
            "/{*path}",
            get(
                |State(docs): State<Docs>, Path(path): Path<String>| async move {
                    match docs.get(&path) {
                        Some((media, body)) => {
                            ([(header::CONTENT_TYPE, *media)], body.clone()).into_response()
                        }
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        )
        .with_state(docs);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A web page whose feed links carry hostile titles (the discovery choice
/// page shows them) and a hostile href.
fn discovery_page() -> String {
    format!(
        r#"<!doctype html><html><head><title>{t}</title>
<link rel="alternate" type="application/feed+json" title="{t}" href="/j0.json">
<link rel="alternate" type="application/atom+xml" title="{t2}" href="/atom.xml">
<link rel="alternate" type="application/rss+xml" title="{t}" href="javascript:alert(1)">
</head><body>x</body></html>"#,
        t = xml_text(r#""><script>alert(1)</script><img src=x onerror=alert(1)>"#),
        t2 = xml_text("<svg onload=alert(1)>"),
    )
}

/// A failure report: what page, what survived, and a window of the page.
fn report(what: &str, page: &str, bad: &[String], failures: &mut Vec<String>) {
    if !bad.is_empty() {
        failures.push(format!("{what}: {bad:?}"));
    }
    if page.is_empty() {
        failures.push(format!("{what}: empty page"));
    }
}

/// GET `path` as `client`: status and body, with the page checked.
async fn check_page(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    allowed_styles: &[&str],
    failures: &mut Vec<String>,
) -> String {
    let r = client.get(server.url(path)).send().await.unwrap();
    let status = r.status();
    common::assert_security_headers(path, &r);
    let page = r.text().await.unwrap();
    if status != StatusCode::OK {
        failures.push(format!("GET {path}: {status}"));
    }
    report(
        &format!("GET {path}"),
        &page,
        &page_violations(&page, allowed_styles),
        failures,
    );
    page
}

/// The texts of the elements `selector` matches, each asserted to be text
/// only (no element inside: the title was escaped, not parsed).
fn text_only(page: &str, selector: &str, what: &str, failures: &mut Vec<String>) -> Vec<String> {
    let doc = Html::parse_document(page);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|el| {
            if el.children().any(|c| c.value().is_element()) {
                failures.push(format!("{what}: {selector} holds markup: {}", el.html()));
            }
            el.text().collect::<String>()
        })
        .collect()
}

/// Every string under a key that carries HTML in the reader APIs.
fn html_fields<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("content" | "html" | "content_html", Value::String(s)) => out.push(s),
                    _ => html_fields(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| html_fields(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_checker_catches_executable_markup_in_a_page() {
    for raw in [
        "<p>x</p><script>alert(1)</script>",
        r#"<script src="https://evil.example/x.js"></script>"#,
        r#"<script src="/static/app.js?v=1">alert(1)</script>"#,
        "<style>*{}</style>",
        r#"<img src="x" onerror="alert(1)">"#,
        r#"<a href=" jav&#x09;ascript:alert(1)">x</a>"#,
        r#"<a href="data:text/html,x">x</a>"#,
        r#"<audio src="javascript:alert(1)"></audio>"#,
        r#"<form action="https://evil.example/"></form>"#,
        r#"<iframe src="https://www.youtube.com/embed/x"></iframe>"#,
        r#"<meta http-equiv="refresh" content="0;url=javascript:alert(1)">"#,
        r#"<base href="https://evil.example/">"#,
        r#"<p style="background:url(javascript:alert(1))">p</p>"#,
        r#"<link rel="stylesheet" href="https://evil.example/x.css">"#,
    ] {
        assert!(
            !page_violations(raw, &[]).is_empty(),
            "the page checker missed {raw:?}"
        );
    }
    let fine = r#"<!doctype html><html><head><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css?v=0123"></head><body>
<form method="post" action="/logout"><input name="csrf"></form>
<a class="entry-title" href="/entry/1">t</a><a href="https://ok.example/">o</a>
<script src="/static/app.js?v=0123"></script></body></html>"#;
    assert_eq!(page_violations(fine, &[]), Vec::<String>::new());
}

#[tokio::test]
async fn no_vector_survives_on_any_page_or_api() {
    // --- the hostile site ---------------------------------------------------
    let mut docs = HashMap::new();
    for k in 0..FEEDS {
        docs.insert(
            format!("j{k}.json"),
            ("application/feed+json", json_feed(k)),
        );
    }
    docs.insert("atom.xml".into(), ("application/atom+xml", atom_feed()));
    docs.insert("page".into(), ("text/html", discovery_page()));
    let site = serve_docs(Arc::new(docs)).await;

    let server = Server::start_configured(
        |_| WebConfig::default(),
        Some(tributary_fetch::FetchConfig {
            allow_private_networks: true,
            ..tributary_fetch::FetchConfig::default()
        }),
    )
    .await;
    let ann = server.user("ann", PW, false).await;
    let client = server.login("ann", PW).await;
    let csrf = server.csrf(&client).await;
    let mut failures = Vec::new();

    // --- discovery: the choice page shows the hostile link titles ---------------
    let r = client
        .post(server.url("/subscriptions/add"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", &format!("http://{site}/page")),
        ])
        .send()
        .await
        .unwrap();
    common::assert_security_headers("discovery", &r);
    let page = r.text().await.unwrap();
    report(
        "discovery choice",
        &page,
        &page_violations(&page, &[]),
        &mut failures,
    );
    assert!(
        page.contains("name=\"feed\""),
        "a choice is offered: {page}"
    );

    // --- adding every feed through the UI: the server fetches them ----------------
    let mut feed_urls: Vec<String> = (0..FEEDS)
        .map(|k| format!("http://{site}/j{k}.json"))
        .collect();
    feed_urls.push(format!("http://{site}/atom.xml"));
    for url in &feed_urls {
        let r = client
            .post(server.url("/subscriptions/add"))
            .form(&[("csrf", csrf.as_str()), ("url", url.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "adding {url}");
    }
    let subs = server.store.subscriptions(ann.id).await.unwrap();
    assert_eq!(subs.len(), feed_urls.len());
    let stored: u64 = subs.iter().map(|s| s.entry_count as u64).sum();
    let atom_count = VECTORS.iter().filter(|(v, _)| xml_safe(v)).count();
    assert_eq!(
        stored as usize,
        VECTORS.len() + atom_count,
        "every vector was fetched and stored as an entry"
    );

    // --- hostile category names, created through the UI -----------------------------
    for name in [
        "<script>alert(1)</script>",
        r#""><img src=x onerror=alert(1)>"#,
        "javascript:alert(1)",
    ] {
        let r = client
            .post(server.url("/categories"))
            .form(&[("csrf", csrf.as_str()), ("name", name)])
            .send()
            .await
            .unwrap();
        common::assert_security_headers("POST /categories", &r);
        let status = r.status();
        let page = r.text().await.unwrap();
        if status.is_success() || status.is_client_error() {
            report(
                &format!("POST /categories {name:?}"),
                &page,
                &page_violations(&page, &[]),
                &mut failures,
            );
        }
    }

    // --- every page that shows them ----------------------------------------------------
    let mut pages: Vec<String> = [
        "/",
        "/all",
        "/starred",
        "/history",
        "/subscriptions",
        "/categories",
        "/subscriptions/add",
        "/subscriptions/import",
        "/settings/account",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for s in &subs {
        let f = s.feed.id.0;
        pages.extend([
            format!("/feed/{f}"),
            format!("/feed/{f}/settings"),
            format!("/feed/{f}/delete"),
        ]);
    }
    for term in [
        "alert",
        "script",
        "onerror",
        "javascript",
        "X1",
        "svg",
        "style",
    ] {
        pages.push(format!("/search?q={term}"));
    }
    let mut titles_seen = Vec::new();
    for path in &pages {
        let page = check_page(&server, &client, path, &[], &mut failures).await;
        titles_seen.extend(text_only(&page, "a.entry-title", path, &mut failures));
    }
    // Every entry is listed on its feed's page, under its marker, as text.
    for i in 0..VECTORS.len() {
        if !titles_seen.iter().any(|t| t.starts_with(&marker(i))) {
            failures.push(format!("entry {} not listed as text", marker(i)));
        }
    }

    // Every entry's own page.
    let entries = server
        .store
        .entries(
            ann.id,
            &tributary_store::EntryQuery {
                view: tributary_store::View::All,
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(entries.items.len(), stored as usize);
    for item in &entries.items {
        let path = format!("/entry/{}", item.entry.id.0);
        let page = check_page(&server, &client, &path, &[], &mut failures).await;
        text_only(&page, "h1 a.entry-title", &path, &mut failures);
        let doc = Html::parse_document(&page);
        let content = Selector::parse("div.content").unwrap();
        if doc.select(&content).next().is_none() {
            failures.push(format!("{path}: no content shown"));
        }
    }

    // Messages that echo what was typed.
    for url in [
        r#"http://127.0.0.1:9/"><script>alert(1)</script>"#,
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        r#"http://x.invalid/<img src=x onerror=alert(1)>"#,
        r#"<svg onload=alert(1)>"#,
        &format!("http://{site}/nothing-here\"><script>alert(1)</script>"),
    ] {
        let r = client
            .post(server.url("/subscriptions/add"))
            .form(&[("csrf", csrf.as_str()), ("url", url)])
            .send()
            .await
            .unwrap();
        common::assert_security_headers("POST /subscriptions/add", &r);
        let status = r.status();
        let page = r.text().await.unwrap();
        if status != StatusCode::BAD_REQUEST {
            failures.push(format!("adding {url:?}: {status}, not 400"));
        }
        report(
            &format!("adding {url:?}"),
            &page,
            &page_violations(&page, &[]),
            &mut failures,
        );
        let shown = text_only(&page, "p.field-error", url, &mut failures);
        if shown.is_empty() {
            failures.push(format!("adding {url:?}: no error next to the field"));
        }
    }
    for q in [
        "<script>alert(1)</script>",
        r#""><img src=x onerror=alert(1)>"#,
        "title:(",
    ] {
        let path = format!("/search?q={}", percent(q));
        let page = check_page(&server, &client, &path, &[], &mut failures).await;
        if !page.contains("&lt;") && q.contains('<') {
            failures.push(format!("{path}: the query is not shown escaped"));
        }
        if meta_content(&page, "csrf-token").is_none() {
            failures.push(format!("{path}: not the signed-in search page"));
        }
    }

    // --- the published outputs ---------------------------------------------------------
    let token = server.store.output_token(ann.id).await.unwrap();
    let river_style = tributary_publish::digest::html_style();
    let river = check_page(
        &server,
        &client,
        &format!("/river?token={token}"),
        &[river_style],
        &mut failures,
    )
    .await;
    text_only(&river, "article h2 a", "river", &mut failures);
    let articles = Html::parse_document(&river)
        .select(&Selector::parse("article").unwrap())
        .count();
    // 50 entries, fewer articles: entries sharing a link are collapsed.
    assert!(articles >= 20, "the river lists entries: {articles}");

    // --- the reader APIs' HTML fields ------------------------------------------------------
    let secret = tributary_web::auth::api_keys::create(&server.store, &ann, "xss")
        .await
        .unwrap()
        .secret;
    let api = server.client();
    let mut bodies: Vec<(String, Value)> = Vec::new();
    let v1 = api
        .get(server.url("/v1/entries?limit=10000"))
        .header("X-Auth-Token", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.status(), StatusCode::OK);
    bodies.push(("/v1/entries".into(), v1.json().await.unwrap()));
    let auth = server.greader_auth("ann", &secret).await;
    let gr = api
        .get(server.url(
            "/api/greader/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=1000&output=json",
        ))
        .header("Authorization", format!("GoogleLogin auth={auth}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gr.status(), StatusCode::OK);
    bodies.push(("greader stream/contents".into(), gr.json().await.unwrap()));
    let key = tributary_web::auth::api_keys::fever_key("ann", &secret);
    let mut since = 0i64;
    loop {
        let fever: Value = api
            .post(server.url(&format!("/api/fever/?api&items&since_id={since}")))
            .form(&[("api_key", key.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = fever["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        since = items.iter().filter_map(|i| i["id"].as_i64()).max().unwrap();
        bodies.push((format!("fever items since {since}"), fever));
    }
    let mut html_count = 0;
    for (what, body) in &bodies {
        let mut fields = Vec::new();
        html_fields(body, &mut fields);
        html_count += fields.len();
        for html in fields {
            let bad = violations(html);
            if !bad.is_empty() {
                failures.push(format!("{what}: {html:?}: {bad:?}"));
            }
        }
    }
    assert!(
        html_count >= 3 * VECTORS.len(),
        "the APIs gave {html_count} HTML fields for {stored} entries"
    );

    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `text` percent-encoded for a query string.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
