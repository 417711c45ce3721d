//! Test harness of the web crate: a real server on loopback over a real
//! database (an SQLite file, or a PostgreSQL database of its own when
//! `TRIBUTARY_TEST_POSTGRES` is set), and clients with their own cookie jars.
//!
//! Contracts the harness relies on (kept by the templates):
//! - `GET /login` has a form with `username`, `password`, `csrf` and `next`;
//! - every page of a signed-in user carries `<meta name="csrf-token" content="…">`.
#![allow(dead_code)]

use std::net::SocketAddr;

use chrono::{DateTime, Duration, Utc};
use tributary_model::{FeedId, FeedMeta, NewEntry, UserId};
use tributary_store::{FeedSelector, FetchSuccess, NewSubscription, Store, User};
use tributary_web::{router, AppState, WebConfig};

/// A running server and its database.
pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    pub state: AppState,
    _db: tributary_store::testing::Scratch,
}

impl Server {
    /// Start a server with default settings.
    pub async fn start() -> Server {
        Server::start_with(WebConfig::default()).await
    }

    /// Start a server with these settings.
    pub async fn start_with(config: WebConfig) -> Server {
        Server::start_configured(|_| config, None).await
    }

    /// Start a server whose settings may use its own address (`public_url`),
    /// with a refresher whose fetcher uses `fetch` when given.
    pub async fn start_configured(
        config: impl FnOnce(SocketAddr) -> WebConfig,
        fetch: Option<tributary_fetch::FetchConfig>,
    ) -> Server {
        let db = tributary_store::testing::scratch()
            .await
            .expect("scratch database");
        let store = db.open().await.expect("open store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let refresher = fetch.map(|f| {
            let fetcher = tributary_fetch::Fetcher::new(f).expect("fetcher");
            tributary_refresh::Refresher::new(store.clone(), fetcher, Default::default())
        });
        let state =
            AppState::new(store.clone(), refresher, config(addr)).expect("templates compile");
        let app = router(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("server runs");
        });
        Server {
            addr,
            store,
            state,
            _db: db,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Create a user with this password.
    pub async fn user(&self, name: &str, password: &str, admin: bool) -> User {
        let hash = tributary_web::auth::hash_password(password).expect("hash");
        self.store
            .create_user(name, &hash, admin)
            .await
            .expect("create user")
    }

    /// A client with an empty cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A client signed in as `name`.
    pub async fn login(&self, name: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("GET /login")
            .text()
            .await
            .expect("login page");
        let csrf = input_value(&page, "csrf").expect("login form has a csrf field");
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("username", name),
                ("password", password),
                ("csrf", csrf.as_str()),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("POST /login");
        assert!(
            response.status().is_redirection(),
            "login of {name} answered {}",
            response.status()
        );
        client
    }

    /// A Google Reader `Auth` token: ClientLogin as `name` with the API password `secret`.
    pub async fn greader_auth(&self, name: &str, secret: &str) -> String {
        let login = self
            .client()
            .post(self.url("/api/greader/accounts/ClientLogin"))
            .form(&[("Email", name), ("Passwd", secret)])
            .send()
            .await
            .expect("POST ClientLogin")
            .text()
            .await
            .expect("ClientLogin body");
        login
            .lines()
            .find_map(|l| l.strip_prefix("Auth="))
            .unwrap_or_else(|| panic!("ClientLogin gives no Auth=: {login}"))
            .to_owned()
    }

    /// The CSRF token of the signed-in `client` (read from a page's meta tag).
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        let page = client
            .get(self.url("/settings/account"))
            .send()
            .await
            .expect("GET /")
            .text()
            .await
            .expect("page");
        meta_content(&page, "csrf-token").expect("signed-in pages carry the csrf-token meta tag")
    }
}

/// The `value` of cookie `name` set by `response` (`None` if it sets none).
pub fn set_cookie<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value part of a `Set-Cookie` line (`name=VALUE; …`).
pub fn cookie_value(set_cookie: &str) -> &str {
    let first = set_cookie.split(';').next().unwrap_or("");
    first.split_once('=').map_or("", |(_, v)| v)
}

/// Seed `count` entries into a new feed `feed_url` that `user` follows (in
/// category `category`, a path like `Net/Vendors`, if given), published one
/// minute apart going back from `newest`, each with its own link. Returns
/// the feed's id.
pub async fn seed(
    store: &Store,
    user: UserId,
    feed_url: &str,
    category: Option<&str>,
    count: usize,
    newest: DateTime<Utc>,
) -> FeedId {
    store
        .subscribe(
            user,
            &[NewSubscription {
                url: feed_url.to_owned(),
                title: Some(format!("Feed {feed_url}")),
                site_url: None,
                category: category
                    .map(|c| c.split('/').map(str::to_owned).collect())
                    .unwrap_or_default(),
            }],
        )
        .await
        .expect("subscribe");
    let feed = store
        .feeds_to_fetch(&FeedSelector::Urls(vec![feed_url.to_owned()]))
        .await
        .expect("feeds")
        .into_iter()
        .next()
        .expect("the feed exists")
        .id;
    let entries = (0..count)
        .map(|i| {
            let link = format!("{feed_url}/entry/{i}");
            let title = format!("Entry {i} of {feed_url}");
            NewEntry {
                key: format!("guid:{link}"),
                guid: Some(link.clone()),
                url: Some(link.clone()),
                canonical_url: Some(link.clone()),
                title: title.clone(),
                author: Some("Ann".to_owned()),
                content_html: Some(format!("<p>{title}</p>")),
                summary_html: None,
                excerpt: title.clone(),
                published: newest - Duration::minutes(i as i64),
                published_from_feed: true,
                updated: None,
                enclosures: Vec::new(),
                categories: Vec::new(),
                content_hash: format!("hash {link}"),
            }
        })
        .collect();
    store
        .record_success(
            feed,
            FetchSuccess {
                fetched_at: newest,
                next_fetch_at: newest + Duration::hours(1),
                next_fetch_reason: "test".to_owned(),
                schedule_hints: Default::default(),
                status_note: None,
                body_hash: None,
                moved_to: None,
                etag: None,
                last_modified: None,
                meta: FeedMeta::default(),
                entries,
            },
        )
        .await
        .expect("record entries");
    feed
}

/// The `value` of the first `<input name="NAME" … value="…">` in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = html.find(&needle)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    attr(&html[start..end], "value")
}

/// The `content` of `<meta name="NAME" content="…">` in `html`.
pub fn meta_content(html: &str, name: &str) -> Option<String> {
    let needle = format!("<meta name=\"{name}\"");
    let start = html.find(&needle)?;
    let end = start + html[start..].find('>')?;
    attr(&html[start..end], "content")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// `html` with the entities minijinja's escaping writes decoded.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The headers every answer must carry: a strict Content-Security-Policy
/// (no inline script or style anywhere, no plugins, no `<base>`, no
/// framing, forms only to this site) and the three hardening headers.
pub fn assert_security_headers(what: &str, r: &reqwest::Response) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    let csp = get("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for wanted in [
        "default-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(
            directives.contains(&wanted),
            "{what}: {wanted} not in {csp}"
        );
    }
    let script = directives
        .iter()
        .find(|d| d.starts_with("script-src "))
        .unwrap_or_else(|| panic!("{what}: no script-src in {csp}"));
    assert!(
        *script == "script-src 'self'" || *script == "script-src 'none'",
        "{what}: {script}"
    );
    for loose in ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"] {
        assert!(!csp.contains(loose), "{what}: {loose} in {csp}");
    }
}
