//! Test harness of the web crate: a real server on loopback over a real
//! SQLite file, and clients with their own cookie jars.
//!
//! Contracts the harness relies on (kept by the templates):
//! - `GET /login` has a form with `username`, `password`, `csrf` and `next`;
//! - every page of a signed-in user carries `<meta name="csrf-token" content="…">`.
#![allow(dead_code)]

use std::net::SocketAddr;

use tributary_store::{Store, User};
use tributary_web::{router, AppState, WebConfig};

/// A running server and its database.
pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Start a server with default settings.
    pub async fn start() -> Server {
        Server::start_with(WebConfig::default()).await
    }

    /// Start a server with these settings.
    pub async fn start_with(config: WebConfig) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("web.db").display());
        let store = Store::open(&url).await.expect("open store");
        let state = AppState::new(store.clone(), None, config).expect("templates compile");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
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
            _dir: dir,
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

    /// The CSRF token of the signed-in `client` (read from a page's meta tag).
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        let page = client
            .get(self.url("/"))
            .send()
            .await
            .expect("GET /")
            .text()
            .await
            .expect("page");
        meta_content(&page, "csrf-token").expect("signed-in pages carry the csrf-token meta tag")
    }
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
    Some(
        tag[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}
