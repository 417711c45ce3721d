//! `tributary article …`, the real binary against a loopback blog of
//! generated article pages: a feed's mode set and shown, `extract` with
//! readability and with a rule given on the command line, site rules
//! added, listed, used by `fetch` and removed, and plain errors for bad
//! input.

mod common;

use std::process::Output;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::Env;
use tributary_extract::samples::{self, SamplePage};
use tributary_store::{RiverQuery, Store};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn page(State(pages): State<Arc<Vec<SamplePage>>>, Path(name): Path<String>) -> Response {
    match pages.iter().find(|p| p.name == name) {
        Some(p) => ([(header::CONTENT_TYPE, "text/html")], p.html.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A blog on 127.0.0.1: `/posts/NAME` and `/feed.xml` (excerpts of
/// `wordpress-1` and `hard-1`). Runs on its own thread.
fn blog() -> (String, Arc<Vec<SamplePage>>) {
    let pages = Arc::new(samples::pages());
    let (tx, rx) = std::sync::mpsc::channel();
    let served = pages.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tx.send(addr).unwrap();
            let base = format!("http://{addr}");
            let items: String = ["wordpress-1", "hard-1"]
                .iter()
                .map(|n| {
                    format!(
                        "<item><guid>{n}</guid><title>{n}</title><link>{base}/posts/{n}</link>\
                         <description>A teaser […]</description></item>"
                    )
                })
                .collect();
            let feed = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
                 <link>{base}/</link>{items}</channel></rss>"
            );
            let app = Router::new()
                .route("/posts/{name}", get(page))
                .route(
                    "/feed.xml",
                    get(move || {
                        let feed = feed.clone();
                        async move { ([(header::CONTENT_TYPE, "application/rss+xml")], feed) }
                    }),
                )
                .with_state(served);
            axum::serve(listener, app).await.unwrap();
        });
    });
    (format!("http://{}", rx.recv().unwrap()), pages)
}

#[test]
fn article_commands() {
    let (base, pages) = blog();
    let wp = pages.iter().find(|p| p.name == "wordpress-1").unwrap();
    let hard = pages.iter().find(|p| p.name == "hard-1").unwrap();
    let env = Env::new();
    let feed = format!("{base}/feed.xml");
    env.ok(&["add", &feed]);

    // The mode.
    assert_eq!(
        env.ok(&["article", "mode", &feed]).trim(),
        format!("{feed}\tdefault (auto)")
    );
    assert_eq!(
        env.ok(&["article", "mode", &feed, "on"]).trim(),
        format!("{feed}\ton")
    );
    let bad = env.run(&["article", "mode", &feed, "sometimes"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("mode must be off, on, auto or default"),
        "{}",
        stderr(&bad)
    );
    let unknown = env.run(&["article", "mode", "https://nowhere.example/feed", "on"]);
    assert!(
        stderr(&unknown).contains("no subscription to"),
        "{}",
        stderr(&unknown)
    );

    // extract: readability on a good page; the hard page needs a rule.
    let text = env.ok(&["article", "extract", &format!("{base}/posts/wordpress-1")]);
    for p in &wp.paragraphs {
        assert!(text.contains(p.as_str()), "{p}");
    }
    assert!(!text.contains("Comment 0 by reader"));
    let hard_url = format!("{base}/posts/hard-1");
    let plain = env.ok(&["article", "extract", &hard_url]);
    assert!(
        plain.contains("by reader"),
        "readability keeps the comments here"
    );
    let ruled = env.ok(&[
        "article",
        "extract",
        &hard_url,
        "--content",
        "div.story-lines",
    ]);
    assert!(!ruled.contains("by reader"), "{ruled}");
    assert!(ruled.contains(hard.paragraphs[0].as_str()));
    let html = env.ok(&[
        "article",
        "extract",
        &hard_url,
        "--content",
        "div.story-lines",
        "--html",
    ]);
    assert!(html.contains("<span>") || html.contains("<div>"), "{html}");
    let bad = env.run(&["article", "extract", &hard_url, "--content", "div["]);
    assert!(stderr(&bad).contains("is not valid"), "{}", stderr(&bad));

    // Site rules.
    env.ok(&[
        "article",
        "site",
        "add",
        "127.0.0.1",
        "--content",
        "div.story-lines",
        "--remove",
        ".tools",
    ]);
    let list = env.ok(&["article", "site", "list"]);
    assert_eq!(list.trim(), "127.0.0.1\tdiv.story-lines\tremove: .tools");
    let bad = env.run(&[
        "article",
        "site",
        "add",
        "https://x.example/",
        "--content",
        "p",
    ]);
    assert!(
        stderr(&bad).contains("not a lower-case host name"),
        "{}",
        stderr(&bad)
    );

    // fetch: stores the article, by the rule.
    let store_url = env.db_url();
    let ids: Vec<(String, i64)> = block_on(async {
        let store = Store::open(&store_url).await.unwrap();
        let me = store.default_user().await.unwrap();
        store
            .river(me, &RiverQuery::default())
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.entry.guid.unwrap_or_default(), i.entry.id.0))
            .collect()
    });
    let hard_id = ids.iter().find(|(g, _)| g == "hard-1").unwrap().1;
    let fetched = env.ok(&["article", "fetch", &hard_id.to_string()]);
    assert!(fetched.contains(hard.paragraphs[1].as_str()), "{fetched}");
    assert!(!fetched.contains("by reader"));
    let stored = block_on(async {
        let store = Store::open(&store_url).await.unwrap();
        store
            .entry_article(tributary_model::EntryId(hard_id))
            .await
            .unwrap()
            .unwrap()
    });
    let stored_text = tributary_normalize::text::html_to_text(&stored.content_html.unwrap());
    let folded = stored_text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(folded.contains(hard.paragraphs[1].as_str()), "{folded}");
    let missing = env.run(&["article", "fetch", "999999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no entry 999999"),
        "{}",
        stderr(&missing)
    );

    env.ok(&["article", "site", "remove", "127.0.0.1"]);
    assert!(env.ok(&["article", "site", "list"]).trim().is_empty());
    let again = env.run(&["article", "site", "remove", "127.0.0.1"]);
    assert!(
        stderr(&again).contains("there is no site rule for 127.0.0.1"),
        "{}",
        stderr(&again)
    );
}
