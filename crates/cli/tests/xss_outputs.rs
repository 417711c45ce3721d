//! XSS in what the binary writes: the filter-evasion list (defined once, in
//! `crates/normalize/tests/support/xss.rs`) goes into real feeds served on
//! loopback — entry content, summaries, titles, authors, tags, links,
//! enclosures, feed titles and site links, in JSON Feeds (every vector,
//! control characters included) and an Atom feed (every vector XML can
//! carry), filed under hostile category names — which the real binary
//! subscribes to and fetches. Then `tributary publish DIR` writes the static
//! planet and `tributary digest` every format, and every output is read back:
//!
//! - each HTML page (the river, every category page, the HTML digest) is
//!   parsed with html5ever (`scraper`) and may hold no executable markup
//!   ([`xss::page_violations`]; the only `<style>` allowed is the built-in
//!   template's own) and entry titles are text, not markup;
//! - each XML document (atom.xml, rss.xml, opml.xml, every category's
//!   atom.xml, the Atom and RSS digests) is parsed with quick-xml: it is
//!   well-formed, holds only the elements of its format (entry HTML travels
//!   as escaped text, never as a `<script>` or `<iframe>` element of the
//!   tree), every escaped HTML payload passes the sanitizer's structural
//!   check ([`xss::violations`]) and every link attribute is http(s) or
//!   relative;
//! - feed.json and the JSON digest parse as JSON and every `content_html`
//!   passes the same check;
//! - the text digest carries no control character (no terminal escapes).

#[path = "../../normalize/tests/support/xss.rs"]
mod xss;

mod common;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use common::Env;
use quick_xml::events::{BytesStart, Event};
use scraper::{Html, Selector};
use xss::{atom_feed, json_feed, marker, page_violations, violations, xml_safe, FEEDS, VECTORS};

/// Category names the feeds are filed under (feed `k` under `k % len`).
const CATEGORIES: &[&str] = &[
    "<script>alert(1)</script>",
    r#""><img src=x onerror=alert(1)>"#,
    "javascript:alert(1)",
    "Plain",
];

/// Serve `docs` (path → (media type, body)) on 127.0.0.1 on its own thread.
fn serve_docs(docs: HashMap<String, (&'static str, String)>) -> SocketAddr {
    let docs = Arc::new(docs);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            let app = Router::new().fallback(move |uri: Uri| {
                let docs = docs.clone();
                async move {
                    match docs.get(uri.path()) {
                        Some((media, body)) => Response::builder()
                            .header(header::CONTENT_TYPE, *media)
                            .body(Body::from(body.clone()))
                            .unwrap(),
                        None => Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Body::empty())
                            .unwrap(),
                    }
                }
            });
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("docs address")
}

/// The `<style>` of the built-in `layout.html` (the only one a site page may hold).
fn site_style() -> &'static str {
    let layout = tributary_publish::site::BUILT_IN_TEMPLATES
        .iter()
        .find(|(n, _)| *n == "layout.html")
        .expect("layout.html is built in")
        .1;
    let start = layout.find("<style>").expect("layout has a style") + "<style>".len();
    let end = start + layout[start..].find("</style>").expect("style ends");
    &layout[start..end]
}

/// Every file under `dir`, relative.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// An HTML page: no executable markup, entry titles (`article h2`) hold no
/// element but the link around them. Returns the titles' texts.
fn check_html(what: &str, page: &str, style: &str, failures: &mut Vec<String>) -> Vec<String> {
    for bad in page_violations(page, &[style]) {
        failures.push(format!("{what}: {bad}"));
    }
    let doc = Html::parse_document(page);
    let sel = Selector::parse("article h2").unwrap();
    let mut titles = Vec::new();
    for h2 in doc.select(&sel) {
        let inner: Vec<_> = h2
            .descendants()
            .filter_map(|n| n.value().as_element().map(|e| e.name().to_owned()))
            .collect();
        // The h2 itself, then at most the link.
        if inner.len() > 2 || inner.iter().skip(1).any(|n| n != "a") {
            failures.push(format!("{what}: a title holds markup: {}", h2.html()));
        }
        titles.push(h2.text().collect::<String>());
    }
    titles
}

/// The elements each XML format may hold (local names).
fn vocabulary(root: &str) -> &'static [&'static str] {
    match root {
        "feed" => &[
            "feed",
            "title",
            "subtitle",
            "id",
            "updated",
            "published",
            "link",
            "generator",
            "icon",
            "logo",
            "rights",
            "author",
            "contributor",
            "name",
            "uri",
            "email",
            "entry",
            "summary",
            "content",
            "category",
            "source",
        ],
        "rss" => &[
            "rss",
            "channel",
            "title",
            "link",
            "description",
            "language",
            "lastBuildDate",
            "pubDate",
            "generator",
            "docs",
            "ttl",
            "item",
            "guid",
            "author",
            "creator",
            "category",
            "enclosure",
            "encoded",
            "source",
        ],
        "opml" => &[
            "opml",
            "head",
            "title",
            "dateCreated",
            "dateModified",
            "ownerName",
            "docs",
            "body",
            "outline",
        ],
        _ => &[],
    }
}

/// Attributes that carry a link a reader may follow.
const LINK_ATTRIBUTES: &[&str] = &["href", "url", "uri", "xmlUrl", "htmlUrl", "src"];

/// A well-formed XML document of a known format whose entry HTML is carried
/// as escaped text that passes the sanitizer's check, with no link that is
/// not http(s) or relative. Returns the number of HTML payloads checked.
fn check_xml(what: &str, text: &str, failures: &mut Vec<String>) -> usize {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<(String, bool)> = Vec::new(); // (local name, carries HTML)
    let mut root = String::new();
    let mut payloads = 0;
    let element = |e: &BytesStart<'_>, stack: &[(String, bool)], failures: &mut Vec<String>| {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let root_name = if stack.is_empty() {
            name.clone()
        } else {
            stack[0].0.clone()
        };
        if !vocabulary(&root_name).contains(&name.as_str()) {
            failures.push(format!(
                "{what}: element <{name}> in a <{root_name}> document"
            ));
        }
        let mut html = false;
        for attr in e.attributes() {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    failures.push(format!("{what}: bad attribute on <{name}>: {err}"));
                    continue;
                }
            };
            let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
            let value = match attr.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(err) => {
                    failures.push(format!("{what}: bad value of {name}@{key}: {err}"));
                    continue;
                }
            };
            if key == "type" && (value == "html" || value == "xhtml") {
                html = true;
                if value == "xhtml" {
                    failures.push(format!(
                        "{what}: <{name} type=\"xhtml\"> (markup in the tree)"
                    ));
                }
            }
            if LINK_ATTRIBUTES.contains(&key.as_str()) {
                let seen = xss::as_browser_reads(&value);
                let scheme = seen
                    .split_once(':')
                    .map(|(s, _)| s)
                    .filter(|s| !s.contains('/') && !s.contains('?') && !s.contains('#'));
                if scheme.is_some_and(|s| s != "http" && s != "https") {
                    failures.push(format!("{what}: link {name}@{key}={value:?}"));
                }
            }
        }
        // RSS carries entry HTML in description and content:encoded.
        if root_name == "rss" && (name == "description" || name == "encoded") {
            html = true;
        }
        (name, html)
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let (name, html) = element(&e, &stack, failures);
                if stack.is_empty() {
                    root = name.clone();
                }
                stack.push((name, html));
            }
            Ok(Event::Empty(e)) => {
                let (name, _) = element(&e, &stack, failures);
                if stack.is_empty() {
                    root = name;
                }
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let text = match t.unescape() {
                    Ok(s) => s.into_owned(),
                    Err(err) => {
                        failures.push(format!("{what}: bad text: {err}"));
                        continue;
                    }
                };
                html_payload(what, &stack, &text, &mut payloads, failures);
            }
            Ok(Event::CData(c)) => {
                let text = String::from_utf8_lossy(&c).into_owned();
                html_payload(what, &stack, &text, &mut payloads, failures);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => {
                failures.push(format!(
                    "{what}: not well-formed at byte {}: {err}",
                    reader.error_position()
                ));
                break;
            }
        }
    }
    if root.is_empty() || !stack.is_empty() {
        failures.push(format!("{what}: no complete root element"));
    }
    payloads
}

/// Escaped HTML inside an element that carries HTML: it must pass the
/// sanitizer's structural check once unescaped.
fn html_payload(
    what: &str,
    stack: &[(String, bool)],
    text: &str,
    payloads: &mut usize,
    failures: &mut Vec<String>,
) {
    let Some((name, true)) = stack.last() else {
        return;
    };
    if text.trim().is_empty() {
        return;
    }
    *payloads += 1;
    let bad = violations(text);
    if !bad.is_empty() {
        failures.push(format!("{what}: <{name}> carries {text:?}: {bad:?}"));
    }
}

/// A JSON Feed: it parses, and every `content_html` passes the sanitizer's
/// check. Returns the number of items.
fn check_json(what: &str, text: &str, failures: &mut Vec<String>) -> usize {
    let json: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(err) => {
            failures.push(format!("{what}: not JSON: {err}"));
            return 0;
        }
    };
    let items = json["items"].as_array().cloned().unwrap_or_default();
    for item in &items {
        if let Some(html) = item["content_html"].as_str() {
            let bad = violations(html);
            if !bad.is_empty() {
                failures.push(format!("{what}: content_html {html:?}: {bad:?}"));
            }
        }
        for key in ["url", "external_url"] {
            if let Some(url) = item[key].as_str() {
                if !xss::allowed_url(url) {
                    failures.push(format!("{what}: item {key} {url:?}"));
                }
            }
        }
    }
    items.len()
}

#[test]
fn the_checks_catch_what_they_look_for() {
    let mut failures = Vec::new();
    check_xml(
        "raw script",
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html"><script>alert(1)</script></content></entry></feed>"#,
        &mut failures,
    );
    assert!(
        failures.iter().any(|f| f.contains("<script>")),
        "{failures:?}"
    );
    failures.clear();
    check_xml(
        "escaped script",
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html">&lt;script&gt;alert(1)&lt;/script&gt;</content></entry></feed>"#,
        &mut failures,
    );
    assert!(
        failures.iter().any(|f| f.contains("carries")),
        "{failures:?}"
    );
    failures.clear();
    check_xml(
        "link",
        r#"<rss><channel><link>x</link><item><enclosure url="javascript:alert(1)"/></item></channel></rss>"#,
        &mut failures,
    );
    assert!(failures.iter().any(|f| f.contains("link")), "{failures:?}");
    failures.clear();
    check_xml("broken", "<rss><channel></rss>", &mut failures);
    assert!(!failures.is_empty());
    failures.clear();
    check_json(
        "json",
        r#"{"items":[{"content_html":"<img src=x onerror=alert(1)>"}]}"#,
        &mut failures,
    );
    assert!(!failures.is_empty());
    failures.clear();
    check_html(
        "page",
        "<article><h2><a href=\"https://ok.example/\">t<b>x</b></a></h2></article>",
        "",
        &mut failures,
    );
    assert!(!failures.is_empty());
    failures.clear();
    let fine = check_xml(
        "fine",
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><link href="index.html"/><entry><content type="html">&lt;p&gt;ok&lt;/p&gt;</content></entry></feed>"#,
        &mut failures,
    );
    assert_eq!((fine, failures), (1, Vec::<String>::new()));
}

#[test]
fn no_vector_survives_in_the_published_site_or_the_digests() {
    // --- the hostile site and the subscriptions, through the binary --------------
    let mut docs = HashMap::new();
    for k in 0..FEEDS {
        docs.insert(
            format!("/j{k}.json"),
            ("application/feed+json", json_feed(k)),
        );
    }
    docs.insert("/atom.xml".into(), ("application/atom+xml", atom_feed()));
    let site = serve_docs(docs);
    let env = Env::new();
    for k in 0..FEEDS {
        let url = format!("http://{site}/j{k}.json");
        env.ok(&["add", &url, "--category", CATEGORIES[k % CATEGORIES.len()]]);
    }
    env.ok(&[
        "add",
        &format!("http://{site}/atom.xml"),
        "--category",
        "Plain",
    ]);
    let atom_count = VECTORS.iter().filter(|(v, _)| xml_safe(v)).count();
    let stored: u64 = env
        .feeds_json()
        .iter()
        .map(|f| f["entry_count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        stored as usize,
        VECTORS.len() + atom_count,
        "every vector was fetched and stored: {:?}",
        env.feeds_json()
    );

    let mut failures = Vec::new();

    // --- tributary publish DIR ------------------------------------------------------
    let out_dir = env.path("site");
    let out = env.ok(&[
        "publish",
        out_dir.to_str().unwrap(),
        "--limit",
        "10000",
        "--title",
        "<script>alert(1)</script> planet",
    ]);
    let files = files_under(&out_dir);
    let names: BTreeSet<String> = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for must in ["index.html", "atom.xml", "rss.xml", "feed.json", "opml.xml"] {
        assert!(
            names.contains(must),
            "{must} not written: {names:?} ({out})"
        );
    }
    let category_pages = names
        .iter()
        .filter(|n| n.starts_with("category/") && n.ends_with("index.html"))
        .count();
    // At least one page per category ("/" in a name makes a sub-category).
    assert!(
        category_pages >= CATEGORIES.len(),
        "one page per category: {names:?}"
    );
    let style = site_style();
    let mut titles = Vec::new();
    let mut html_payloads = 0;
    let mut checked = 0;
    for name in &names {
        let text =
            std::fs::read_to_string(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let what = format!("publish {name}");
        if name.ends_with(".html") {
            let t = check_html(&what, &text, style, &mut failures);
            if name == "index.html" {
                titles = t;
            }
        } else if name.ends_with(".xml") {
            html_payloads += check_xml(&what, &text, &mut failures);
        } else if name.ends_with(".json") {
            let n = check_json(&what, &text, &mut failures);
            if n == 0 {
                failures.push(format!("{what}: no items"));
            }
        } else {
            failures.push(format!("publish wrote an unexpected file {name}"));
            continue;
        }
        checked += 1;
    }
    assert_eq!(checked, names.len());
    // The river lists the entries, under their markers, as text.
    let listed = (0..VECTORS.len())
        .filter(|i| titles.iter().any(|t| t.starts_with(&marker(*i))))
        .count();
    if listed < VECTORS.len() / 2 {
        failures.push(format!(
            "the river lists {listed} of {} entries as text",
            VECTORS.len()
        ));
    }
    assert!(
        html_payloads >= VECTORS.len(),
        "the published feeds carried {html_payloads} HTML payloads"
    );
    // The site's feeds parse as Atom too.
    let atom: atom_syndication::Feed = std::fs::read_to_string(out_dir.join("atom.xml"))
        .unwrap()
        .parse()
        .expect("atom.xml parses as Atom");
    assert!(
        atom.entries.len() >= VECTORS.len() / 2,
        "{}",
        atom.entries.len()
    );

    // --- tributary digest, every format ----------------------------------------------------
    let digest = |format: &str| -> String {
        let file = env.path(&format!("digest.{format}"));
        env.ok(&[
            "digest",
            "--format",
            format,
            "--limit",
            "10000",
            "--title",
            "<img src=x onerror=alert(1)> digest",
            "--output",
            file.to_str().unwrap(),
        ]);
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("digest {format}: {e}"))
    };
    let html = digest("html");
    let titles = check_html(
        "digest --format html",
        &html,
        tributary_publish::digest::html_style(),
        &mut failures,
    );
    assert!(
        titles.len() >= VECTORS.len() / 4,
        "the HTML digest lists entries: {}",
        titles.len()
    );
    for format in ["atom", "rss"] {
        let n = check_xml(
            &format!("digest --format {format}"),
            &digest(format),
            &mut failures,
        );
        assert!(n >= VECTORS.len() / 4, "digest {format}: {n} HTML payloads");
    }
    let n = check_json("digest --format json", &digest("json"), &mut failures);
    assert!(n >= VECTORS.len() / 4, "digest json: {n} items");
    let text = digest("text");
    assert!(text.contains("X1."), "the text digest lists entries");
    for (line_no, line) in text.lines().enumerate() {
        if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t') {
            failures.push(format!(
                "digest --format text line {}: control character {:?} in {line:?}",
                line_no + 1,
                c
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
