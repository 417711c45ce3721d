//! The web server of `tributary serve`: the reading UI, accounts, search,
//! the live outputs (river page, merged feeds, OPML), `/metrics`, and the
//! reader APIs: Google Reader ([`greader`]), Fever ([`fever`]) and the
//! Miniflux-compatible native API ([`api`]).
//!
//! Everything is server-rendered HTML (minijinja templates compiled into the
//! binary, overridable from a directory) that works without JavaScript; one
//! small same-origin script (`/static/app.js`) adds keyboard shortcuts. Handlers only translate
//! between HTTP and the store: every query is scoped to the signed-in user.
//!
//! ```no_run
//! # async fn demo(store: tributary_store::Store) -> Result<(), Box<dyn std::error::Error>> {
//! use tributary_web::{router, AppState, WebConfig};
//! let state = AppState::new(store, None, WebConfig::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, router(state)).await?;
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod auth;
pub mod error;
pub mod fever;
pub mod greader;
pub mod guard;
pub mod metrics;
pub mod outputs;
pub mod privacy;
pub mod templates;
pub mod ui;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tributary_refresh::Refresher;
use tributary_store::Store;
use url::Url;

pub use error::WebError;

/// Settings of the web server (from `[web]` of the config file).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Name shown in page titles and outputs.
    pub site_title: String,
    /// The URL users reach the server at (`https://news.example.org/`):
    /// absolute links in outputs, and `Secure` cookies when it is https.
    pub public_url: Option<Url>,
    /// How long a login lasts.
    pub session_ttl: Duration,
    /// Largest accepted upload (OPML import), in bytes.
    pub max_upload_bytes: usize,
    /// Directory of template overrides (files named like the built-in ones).
    pub template_dir: Option<PathBuf>,
    /// WebSub hub advertised in the outputs and pinged when they change.
    pub hub_url: Option<Url>,
    /// Entries per page of the river and of output feeds.
    pub page_size: u32,
    /// Tracker removal and the media proxy (`[privacy]`).
    pub privacy: privacy::PrivacyConfig,
    /// Full article content (`[articles]`): the default mode, and the
    /// policy of "Fetch original" (docs/ARTICLES.md).
    pub articles: tributary_articles::ArticleSettings,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            site_title: "Tributary".to_owned(),
            public_url: None,
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            max_upload_bytes: 1024 * 1024,
            template_dir: None,
            hub_url: None,
            page_size: 50,
            privacy: privacy::PrivacyConfig::default(),
            articles: tributary_articles::ArticleSettings::default(),
        }
    }
}

/// Shared state of every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// What [`AppState`] holds.
pub struct Inner {
    /// The database.
    pub store: Store,
    /// Fetching (adding feeds, "refresh"); `None` in tests that only read.
    pub refresher: Option<Refresher>,
    /// Settings.
    pub config: WebConfig,
    /// Compiled templates.
    pub templates: templates::Templates,
    /// Prometheus registry and the server's own metrics.
    pub metrics: metrics::Metrics,
    /// Failed logins, to slow down guessing.
    pub throttle: auth::Throttle,
    /// The media proxy's signer and HTTP client (made on first use).
    pub privacy: privacy::Privacy,
}

impl AppState {
    /// Build the state; compiles every template (a broken override in
    /// `config.template_dir` is an error here, not at the first request).
    pub fn new(
        store: Store,
        refresher: Option<Refresher>,
        config: WebConfig,
    ) -> Result<AppState, WebError> {
        let templates = templates::Templates::load(config.template_dir.as_deref())?;
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                refresher,
                config,
                templates,
                metrics: metrics::Metrics::new(),
                throttle: auth::Throttle::default(),
                privacy: privacy::Privacy::default(),
            }),
        })
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

/// All routes: UI, accounts, outputs, `/healthz`, `/metrics`, and a 404
/// page for the rest.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(ui::routes())
        .merge(ui::assets::routes())
        .merge(outputs::routes())
        .merge(metrics::routes())
        .merge(greader::routes())
        .merge(fever::routes())
        .merge(api::routes())
        .merge(privacy::routes())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            privacy::remember_origin,
        ))
        .layer(axum::middleware::from_fn(ui::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track_requests,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers every response carries: no MIME sniffing, no framing, and the
/// referrer only to this site. (`ui::security_headers` adds the
/// Content-Security-Policy.)
pub async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
