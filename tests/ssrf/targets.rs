//! The SSRF table (docs/SECURITY.md, "SSRF"), defined once for every layer's
//! test: `crates/fetch/tests/ssrf.rs`, `crates/web/tests/ssrf.rs`,
//! `crates/cli/tests/ssrf.rs` and `crates/websub/tests/ssrf.rs` include this
//! file (`#[path = …] mod targets;`).
//!
//! * [`rows`]: the targets refused by default, each with the words the
//!   refusal must show (`reason`). Targets on loopback carry the port of a
//!   [`Trap`], so a target that slipped through would be counted there.
//! * [`redirects`]: where a [`Site`] — a loopback server the test allows
//!   explicitly with `fetch.allowed_networks = ["127.0.0.3/32"]`, standing
//!   in for a public host — redirects to; each stays refused.
//! * [`Trap`]: listeners on 127.0.0.1, 127.0.0.2 and [::1] (one port) that
//!   count every request; a refused target must leave them at zero.
//! * [`Site`]: the allowed server at 127.0.0.3: `/feed.xml` (a feed),
//!   `/redirect/{i}` (to [`redirects`]`[i]`), `/page/{i}` (an HTML page
//!   whose only feed link is `rows[i]`, for discovery) and `/hub-feed/{i}`
//!   (a feed that advertises `rows[i]` as its WebSub hub), and
//!   `/hub-redirect-feed/{i}` (a feed whose hub is the site's own
//!   `/hub-redirect/{i}`, which answers a POST with a 307 to
//!   `redirects[i]`).
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The network the tests allow for the [`Site`] (`fetch.allowed_networks`).
pub const SITE_NETWORK: &str = "127.0.0.3/32";
/// The [`Site`]'s address: loopback, but not 127.0.0.1 (which stays refused).
pub const SITE_IP: &str = "127.0.0.3";

/// One target: what it is, its URL (`{port}` is the [`Trap`]'s port), and
/// the words the refusal names it by.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub url: String,
    pub reason: &'static str,
}

pub const LOOPBACK: &str = "loopback address";
pub const PRIVATE: &str = "private address";
pub const METADATA: &str = "cloud metadata address";
pub const LINK_LOCAL: &str = "link-local address";
pub const UNIQUE_LOCAL: &str = "unique local address";
pub const CGNAT: &str = "carrier-grade NAT address";
pub const UNSPECIFIED: &str = "unspecified address";
pub const SCHEME: &str = "unsupported URL scheme";

/// The table of issue 8 item 3, as (name, URL, reason).
const TABLE: &[(&str, &str, &str)] = &[
    ("127.0.0.1", "http://127.0.0.1:{port}/feed.xml", LOOPBACK),
    ("127.1", "http://127.1:{port}/feed.xml", LOOPBACK),
    ("0x7f000001", "http://0x7f000001:{port}/feed.xml", LOOPBACK),
    ("2130706433", "http://2130706433:{port}/feed.xml", LOOPBACK),
    ("[::1]", "http://[::1]:{port}/feed.xml", LOOPBACK),
    (
        "[::ffff:127.0.0.1]",
        "http://[::ffff:127.0.0.1]:{port}/feed.xml",
        LOOPBACK,
    ),
    // Linux connects 0.0.0.0 to the local host: the trap would see it.
    ("0.0.0.0", "http://0.0.0.0:{port}/feed.xml", UNSPECIFIED),
    ("10.0.0.1", "http://10.0.0.1/feed.xml", PRIVATE),
    ("172.16.0.1", "http://172.16.0.1/feed.xml", PRIVATE),
    ("192.168.1.1", "http://192.168.1.1/feed.xml", PRIVATE),
    (
        "169.254.169.254",
        "http://169.254.169.254/latest/meta-data/",
        METADATA,
    ),
    ("[fe80::1]", "http://[fe80::1]/feed.xml", LINK_LOCAL),
    ("[fd00::1]", "http://[fd00::1]/feed.xml", UNIQUE_LOCAL),
    ("100.64.0.1", "http://100.64.0.1/feed.xml", CGNAT),
    ("localhost", "http://localhost:{port}/feed.xml", LOOPBACK),
    ("file:", "file:///etc/passwd", SCHEME),
    (
        "gopher:",
        "gopher://127.0.0.1:{port}/_GET%20/feed.xml",
        SCHEME,
    ),
    ("ftp:", "ftp://127.0.0.1:{port}/feed.xml", SCHEME),
];

/// Every row, `{port}` filled in with `port`; plus, when `/etc/hosts`
/// maps a name other than `localhost` to loopback (this machine's own
/// name, often), that name — read, never edited.
pub fn rows(port: u16) -> Vec<Row> {
    let mut rows: Vec<Row> = TABLE
        .iter()
        .map(|(name, url, reason)| Row {
            name: (*name).to_owned(),
            url: url.replace("{port}", &port.to_string()),
            reason,
        })
        .collect();
    match hosts_loopback_name() {
        Some(name) => rows.push(Row {
            url: format!("http://{name}:{port}/feed.xml"),
            name: format!("{name} (/etc/hosts)"),
            reason: LOOPBACK,
        }),
        None => eprintln!(
            "ssrf table: no name besides localhost maps to loopback in /etc/hosts; \
             the localhost row covers names that resolve to loopback"
        ),
    }
    rows
}

/// A name of `/etc/hosts` (not a `localhost` variant) that the system
/// resolver turns into loopback addresses only.
pub fn hosts_loopback_name() -> Option<String> {
    use std::net::ToSocketAddrs;
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            ip.is_loopback()
                .then(|| words.map(str::to_owned).collect::<Vec<_>>())
        })
        .flatten()
        .filter(|name| {
            !name.contains("localhost")
                && !name.starts_with("ip6-")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
        .find(|name| {
            (name.as_str(), 80)
                .to_socket_addrs()
                .map(|addrs| {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
                })
                .unwrap_or(false)
        })
}

/// Where the [`Site`]'s `/redirect/{i}` sends the client: (name, Location,
/// reason). `port` is the [`Trap`]'s.
pub fn redirects(port: u16) -> Vec<Row> {
    [
        ("→ 10.0.0.1", "http://10.0.0.1/feed.xml".to_owned(), PRIVATE),
        (
            "→ 169.254.169.254",
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            METADATA,
        ),
        ("→ [::1]", format!("http://[::1]:{port}/feed.xml"), LOOPBACK),
        (
            "→ 127.0.0.2",
            format!("http://127.0.0.2:{port}/feed.xml"),
            LOOPBACK,
        ),
        (
            "→ localhost",
            format!("http://localhost:{port}/feed.xml"),
            LOOPBACK,
        ),
        ("→ file:", "file:///etc/passwd".to_owned(), SCHEME),
    ]
    .into_iter()
    .map(|(name, url, reason)| Row {
        name: name.to_owned(),
        url,
        reason,
    })
    .collect()
}

/// An RSS document with one item; `hub` adds a WebSub hub link.
pub fn rss(title: &str, hub: Option<(&str, &str)>) -> String {
    let links = hub
        .map(|(hub, topic)| {
            format!(
                "<atom:link rel=\"hub\" href=\"{hub}\"/><atom:link rel=\"self\" href=\"{topic}\"/>"
            )
        })
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
         <channel><title>{title}</title><link>https://site.example/</link>{links}\
         <item><guid>one</guid><title>One</title><link>https://site.example/one</link>\
         <pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate><description>Hi</description></item>\
         </channel></rss>"
    )
}

/// Start `app` on `addr` on a thread with its own runtime (so blocking
/// tests, such as the CLI's, can use it too). `None` when the address
/// cannot be bound (no IPv6 here).
fn spawn(addr: SocketAddr, app: Router) -> Option<SocketAddr> {
    let std_listener = std::net::TcpListener::bind(addr).ok()?;
    std_listener.set_nonblocking(true).ok()?;
    let local = std_listener.local_addr().ok()?;
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    Some(local)
}

/// Listeners that count every request: 127.0.0.1, 127.0.0.2 and (when
/// this machine has IPv6 loopback) [::1], on one port. They answer
/// `/feed.xml` with a real feed, so a target that slipped through would
/// be subscribed, not just fail.
pub struct Trap {
    pub port: u16,
    hits: Arc<AtomicUsize>,
    pub v6: bool,
}

impl Trap {
    pub fn start() -> Trap {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .fallback(|State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    rss("Trap", None),
                )
            })
            .with_state(hits.clone());
        // Find a port free on all three addresses.
        for _ in 0..20 {
            let Some(first) = spawn("127.0.0.1:0".parse().unwrap(), app.clone()) else {
                continue;
            };
            let port = first.port();
            if spawn(format!("127.0.0.2:{port}").parse().unwrap(), app.clone()).is_none() {
                continue;
            }
            let v6 = spawn(format!("[::1]:{port}").parse().unwrap(), app.clone()).is_some();
            if !v6 {
                eprintln!("no IPv6 loopback here: the [::1] rows are still checked, not trapped");
            }
            return Trap { port, hits, v6 };
        }
        panic!("no port free on 127.0.0.1 and 127.0.0.2");
    }

    /// Requests the trap has received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

#[derive(Clone)]
struct SiteState {
    rows: Arc<Vec<Row>>,
    redirects: Arc<Vec<Row>>,
    hits: Arc<AtomicUsize>,
}

/// The explicitly allowed server at [`SITE_IP`] (see the module's text).
pub struct Site {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Site {
    /// Serve the pages for `rows` and `redirects` (those of the same trap port).
    pub fn start(rows: Vec<Row>, redirects: Vec<Row>) -> Site {
        let hits = Arc::new(AtomicUsize::new(0));
        let state = SiteState {
            rows: Arc::new(rows),
            redirects: Arc::new(redirects),
            hits: hits.clone(),
        };
        let app = Router::new()
            .route("/feed.xml", get(site_feed))
            .route("/redirect/{i}", get(site_redirect))
            .route("/page/{i}", get(site_page))
            .route("/hub-feed/{i}", get(site_hub_feed))
            .route("/hub-redirect/{i}", axum::routing::post(site_hub_redirect))
            .route("/hub-redirect-feed/{i}", get(site_hub_redirect_feed))
            .with_state(state);
        let addr = spawn(format!("{SITE_IP}:0").parse().unwrap(), app)
            .unwrap_or_else(|| panic!("cannot bind {SITE_IP}"));
        Site { addr, hits }
    }

    /// `http://127.0.0.3:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests the site has received (to show a refusal came after it
    /// was reached, from the redirect or link it answered).
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn site_feed(State(s): State<SiteState>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        rss("Allowed site", None),
    )
        .into_response()
}

async fn site_redirect(State(s): State<SiteState>, Path(i): Path<usize>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    match s.redirects.get(i) {
        Some(row) => (StatusCode::FOUND, [(header::LOCATION, row.url.clone())]).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn site_page(State(s): State<SiteState>, Path(i): Path<usize>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let Some(row) = s.rows.get(i) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let href = row.url.replace('&', "&amp;").replace('"', "&quot;");
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!doctype html><html><head><title>Page</title>\
             <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Feed\" href=\"{href}\">\
             </head><body>A page whose feed is {}</body></html>",
            row.name
        ),
    )
        .into_response()
}

async fn site_hub_feed(State(s): State<SiteState>, Path(i): Path<usize>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let Some(row) = s.rows.get(i) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // rel=self is the URL the feed was fetched at.
    let topic = format!("http://{SITE_IP}/hub-feed/{i}");
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        rss("Feed with a hub", Some((&row.url, &topic))),
    )
        .into_response()
}

/// Panics unless `text` (an answer shown to the user) names `row`'s reason.
pub fn assert_reason(row: &Row, entry_point: &str, text: &str) {
    assert!(
        text.contains(row.reason),
        "{entry_point}, target {} ({}): the answer does not say \"{}\":\n{text}",
        row.name,
        row.url,
        row.reason
    );
}

async fn site_hub_redirect(State(s): State<SiteState>, Path(i): Path<usize>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    match s.redirects.get(i) {
        // 307: WebSub subscribers follow it with the same POST.
        Some(row) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, row.url.clone())],
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn site_hub_redirect_feed(
    State(s): State<SiteState>,
    Path(i): Path<usize>,
    headers: axum::http::HeaderMap,
) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(SITE_IP)
        .to_owned();
    let hub = format!("http://{host}/hub-redirect/{i}");
    let topic = format!("http://{host}/hub-redirect-feed/{i}");
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        rss("Feed with a redirecting hub", Some((&hub, &topic))),
    )
        .into_response()
}
