//! A loopback site for the article tests: the generated article pages
//! (`tributary_extract::samples`) under `/posts/NAME`, an RSS feed of
//! excerpts linking to them, and pages that must fail (oversize, not HTML,
//! missing). Real HTTP on 127.0.0.1; the SQLite file (or PostgreSQL with
//! `TRIBUTARY_TEST_POSTGRES`) is real too.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tributary_extract::samples::{self, SamplePage};
use tributary_fetch::{FetchConfig, Fetcher};

/// Body limit of the test fetcher; `/big` is larger.
pub const LIMIT: u64 = 256 * 1024;

pub struct Site {
    pub addr: SocketAddr,
    pub pages: Arc<Vec<SamplePage>>,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn page(State(pages): State<Arc<Vec<SamplePage>>>, Path(name): Path<String>) -> Response {
    match pages.iter().find(|p| p.name == name) {
        Some(p) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            p.html.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn big() -> Response {
    let filler = "<p>filler text of an enormous page</p>\n".repeat((LIMIT as usize / 30) + 1000);
    (
        [(header::CONTENT_TYPE, "text/html")],
        format!("<html><body><article>{filler}</article></body></html>"),
    )
        .into_response()
}

async fn image() -> Response {
    (
        [(header::CONTENT_TYPE, "image/png")],
        vec![0x89u8, b'P', b'N', b'G'],
    )
        .into_response()
}

/// The feed: one excerpt entry per engine page (ending in "[…]" and a
/// "Continue reading" link), a complete entry, and entries linking to the
/// oversize page, an image, a missing page and a private address.
async fn feed(State(pages): State<Arc<Vec<SamplePage>>>, host: axum::http::HeaderMap) -> Response {
    let h = host
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let port = h.rsplit(':').next().unwrap_or("80").to_owned();
    let mut items = String::new();
    let item = |id: &str, link: &str, desc: &str| {
        format!(
            "<item><guid>{id}</guid><title>{id}</title><link>{link}</link>\
             <description><![CDATA[{desc}]]></description></item>"
        )
    };
    for p in pages.iter().filter(|p| p.content_selector.is_none()) {
        let teaser = format!(
            "<p>{} […]</p><p><a href=\"http://{h}/posts/{}\">Continue reading</a></p>",
            &p.paragraphs[0][..60],
            p.name
        );
        items.push_str(&item(
            &p.name,
            &format!("http://{h}/posts/{}", p.name),
            &teaser,
        ));
    }
    let complete: String = (0..120).map(|i| format!("word{i} ")).collect();
    items.push_str(&item(
        "complete",
        &format!("http://{h}/posts/none"),
        &format!("<p>{complete}.</p>"),
    ));
    items.push_str(&item("big", &format!("http://{h}/big"), "<p>Big …</p>"));
    items.push_str(&item(
        "image",
        &format!("http://{h}/image"),
        "<p>Image …</p>",
    ));
    items.push_str(&item(
        "missing",
        &format!("http://{h}/posts/missing"),
        "<p>Gone …</p>",
    ));
    // 127.0.0.2 is not in the allowed network (127.0.0.1/32): the guard
    // refuses it before any connection is made.
    items.push_str(&item(
        "private",
        &format!("http://127.0.0.2:{port}/posts/wordpress-1"),
        "<p>Private …</p>",
    ));
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Excerpts</title>\
             <link>http://{h}/</link>{items}</channel></rss>"
        ),
    )
        .into_response()
}

pub async fn site() -> Site {
    let pages = Arc::new(samples::pages());
    let app = Router::new()
        .route("/posts/{name}", get(page))
        .route("/big", get(big))
        .route("/image", get(image))
        .route("/feed.xml", get(feed))
        .with_state(pages.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Site { addr, pages }
}

/// The feed fetcher's policy as a test runs it: the SSRF guard on, only
/// 127.0.0.1 let through, a small body limit.
pub fn fetcher() -> Fetcher {
    Fetcher::new(FetchConfig {
        allowed_networks: vec!["127.0.0.1/32".parse().unwrap()],
        max_body_bytes: LIMIT,
        total_timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    })
    .unwrap()
}
