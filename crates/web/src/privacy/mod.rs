//! Privacy of served content: tracker removal and the media proxy
//! (`[privacy]` of the config file; docs/PRIVACY.md).
//!
//! Entries are stored as the feed sent them (sanitized); this module
//! rewrites them when they are *served* — the UI's entry page and every
//! reader API (Google Reader, Fever, the Miniflux-compatible `/v1`) — with
//! [`tributary_privacy::Rewrite`]:
//!
//! * tracker pixels and tracking query parameters go (`strip_trackers`,
//!   on by default), in the content and on the entry's own link;
//! * with `media_proxy = "images"` (or `"all"`: audio, video and
//!   enclosures too) media URLs point at [`proxy`]'s `/proxy/…` route,
//!   signed with the server's secret, so the reader's browser or app never
//!   contacts the media hosts. Each user may switch the proxy off (and on
//!   again) for themselves on `/settings/privacy` ([`settings`]): it is on
//!   for everyone by default where the instance enables it.
//!
//! The secret is `[privacy] proxy_secret` when given, else generated once
//! and kept in the database's settings (`privacy.proxy_secret`), so every
//! process of an installation signs alike and URLs survive restarts.
//!
//! API clients need absolute proxy URLs: [`remember_origin`] (a middleware)
//! keeps the request's origin (`[web] public_url`, else `Host`) for the
//! handlers it wraps.

pub mod proxy;
pub mod settings;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tokio::sync::OnceCell;
use tributary_fetch::Fetcher;
use tributary_model::{RiverItem, UserId};
use tributary_privacy::rewrite::{MediaKind, MediaScope, ProxyOptions, Rewrite};
use tributary_privacy::Signer;
use tributary_store::{ApiItem, Store};

use crate::{AppState, WebError};

/// The settings key of the generated secret.
pub const SECRET_KEY: &str = "privacy.proxy_secret";

/// What the media proxy carries (`[privacy] media_proxy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyMode {
    /// No proxy: media load from their hosts (the default).
    #[default]
    Off,
    /// Images through the proxy.
    Images,
    /// Images, audio and video (enclosures too) through the proxy.
    All,
}

impl ProxyMode {
    /// `off`, `images` or `all`.
    pub fn parse(value: &str) -> Option<ProxyMode> {
        match value.trim().to_ascii_lowercase().as_str() {
            "off" | "false" | "none" => Some(ProxyMode::Off),
            "images" => Some(ProxyMode::Images),
            "all" => Some(ProxyMode::All),
            _ => None,
        }
    }

    /// The name the config file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyMode::Off => "off",
            ProxyMode::Images => "images",
            ProxyMode::All => "all",
        }
    }

    fn scope(self) -> Option<MediaScope> {
        match self {
            ProxyMode::Off => None,
            ProxyMode::Images => Some(MediaScope::Images),
            ProxyMode::All => Some(MediaScope::All),
        }
    }
}

/// `[privacy]`, resolved.
#[derive(Debug, Clone)]
pub struct PrivacyConfig {
    /// What the proxy carries.
    pub media_proxy: ProxyMode,
    /// Remove tracker pixels and tracking parameters from served entries.
    pub strip_trackers: bool,
    /// Largest image the proxy passes, in bytes.
    pub max_bytes: u64,
    /// Largest audio or video file the proxy passes (whole file, also
    /// when it is read in ranges), in bytes.
    pub max_media_bytes: u64,
    /// How long a proxy URL works after the page that carries it was made.
    pub url_ttl: Duration,
    /// The signing secret (`None`: generated once, kept in the database).
    pub secret: Option<String>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            media_proxy: ProxyMode::Off,
            strip_trackers: true,
            max_bytes: 10 * 1024 * 1024,
            max_media_bytes: 500 * 1024 * 1024,
            url_ttl: Duration::from_secs(30 * 86_400),
            secret: None,
        }
    }
}

/// The privacy part of the server's state.
#[derive(Debug, Default)]
pub struct Privacy {
    signer: OnceCell<Arc<Signer>>,
    fetcher: OnceCell<Fetcher>,
}

/// The signer of `config`: its secret, else the database's (made now if
/// there is none yet; the first process to store one wins).
pub async fn load_signer(store: &Store, config: &PrivacyConfig) -> Result<Signer, WebError> {
    let secret = match &config.secret {
        Some(s) => s.clone(),
        None => {
            let fresh = Signer::generate_secret().map_err(|e| {
                WebError::Internal(format!("no random numbers for the proxy secret: {e}"))
            })?;
            store.setting_or_insert(SECRET_KEY, &fresh).await?
        }
    };
    Signer::new(&secret).map_err(|e| WebError::Internal(format!("privacy.proxy_secret: {e}")))
}

impl Privacy {
    /// The signer, loaded on first use.
    pub async fn signer(&self, state: &AppState) -> Result<Arc<Signer>, WebError> {
        self.signer
            .get_or_try_init(|| async {
                load_signer(&state.store, &state.config.privacy)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// The proxy's HTTP client: the fetch policy of the server's refresher
    /// (SSRF guard, allowed networks, timeouts, user agent), made on first use.
    pub fn fetcher(&self, state: &AppState) -> Result<&Fetcher, WebError> {
        if let Some(f) = self.fetcher.get() {
            return Ok(f);
        }
        let config = state
            .refresher
            .as_ref()
            .map(|r| r.fetcher().config().clone())
            .unwrap_or_default();
        let fetcher = Fetcher::new(config)
            .map_err(|e| WebError::Internal(format!("media proxy client: {e}")))?;
        // Another request may have won the race; either client is the same.
        let _ = self.fetcher.set(fetcher);
        self.fetcher
            .get()
            .ok_or_else(|| WebError::Internal("media proxy client missing".to_owned()))
    }
}

/// The settings key of a user's choice (`off`: no proxy for them).
pub fn user_key(user: UserId) -> String {
    format!("privacy.media_proxy.user.{}", user.0)
}

/// Whether `user` has the proxy on (the instance's mode permitting).
pub async fn user_wants_proxy(state: &AppState, user: UserId) -> Result<bool, WebError> {
    if state.config.privacy.media_proxy == ProxyMode::Off {
        return Ok(false);
    }
    Ok(state.store.setting(&user_key(user)).await?.as_deref() != Some("off"))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How one response serves entries: what [`Rewrite`] does, with what it
/// needs owned.
#[derive(Debug, Clone)]
pub struct ServeView {
    strip_trackers: bool,
    proxy: Option<(Arc<Signer>, MediaScope)>,
    base: String,
    expires: u64,
}

impl ServeView {
    /// The view of `user`'s entries, proxy URLs starting with `base` (`""`
    /// for the server's own pages).
    pub async fn for_user(
        state: &AppState,
        user: UserId,
        base: String,
    ) -> Result<ServeView, WebError> {
        let config = &state.config.privacy;
        let proxy = match config.media_proxy.scope() {
            Some(scope) if user_wants_proxy(state, user).await? => {
                Some((state.privacy.signer(state).await?, scope))
            }
            _ => None,
        };
        Ok(ServeView {
            strip_trackers: config.strip_trackers,
            proxy,
            base,
            expires: tributary_privacy::expiry(unix_now(), config.url_ttl.as_secs()),
        })
    }

    /// The view for an API response: absolute proxy URLs (see [`remember_origin`]).
    pub async fn for_api(state: &AppState, user: UserId) -> Result<ServeView, WebError> {
        let base = ORIGIN
            .try_with(Clone::clone)
            .ok()
            .or_else(|| {
                state
                    .config
                    .public_url
                    .as_ref()
                    .map(|u| u.as_str().trim_end_matches('/').to_owned())
            })
            .unwrap_or_else(|| "http://localhost".to_owned());
        ServeView::for_user(state, user, base).await
    }

    /// The rewrite this view applies.
    pub fn rewrite(&self) -> Rewrite<'_> {
        Rewrite {
            strip_trackers: self.strip_trackers,
            proxy: self.proxy.as_ref().map(|(signer, scope)| ProxyOptions {
                signer,
                base: &self.base,
                scope: *scope,
                expires: self.expires,
            }),
        }
    }

    /// Whether media go through the proxy: `Some(true)` images, audio
    /// and video; `Some(false)` images only; `None` no proxy.
    pub fn proxies(&self) -> Option<bool> {
        self.proxy.as_ref().map(|(_, s)| *s == MediaScope::All)
    }

    /// `item` as served: content, summary, link and enclosures rewritten.
    pub fn apply(&self, item: &mut RiverItem) {
        let r = self.rewrite();
        if r.is_noop() {
            return;
        }
        let e = &mut item.entry;
        for html in [&mut e.content_html, &mut e.summary_html]
            .into_iter()
            .flatten()
        {
            *html = r.html(html);
        }
        if let Some(url) = &mut e.url {
            *url = r.link(url).into_owned();
        }
        for enc in &mut e.enclosures {
            let mime = enc.mime_type.as_deref().unwrap_or("").to_ascii_lowercase();
            let kind = if mime.starts_with("image/") {
                MediaKind::Image
            } else if mime.starts_with("audio/") || mime.starts_with("video/") {
                MediaKind::Media
            } else {
                continue;
            };
            enc.url = r.media_url(&enc.url, kind).into_owned();
        }
    }

    /// [`apply`](Self::apply) to each of `items`.
    pub fn apply_api(&self, items: &mut [ApiItem]) {
        for item in items {
            self.apply(&mut item.item);
        }
    }
}

/// A listing row as shown: its "Original" link without tracking parameters
/// (when the instance strips them).
pub fn row(state: &AppState, mut row: crate::ui::views::EntryRow) -> crate::ui::views::EntryRow {
    if state.config.privacy.strip_trackers {
        if let Some(url) = &mut row.url {
            *url = tributary_privacy::clean_link(url).into_owned();
        }
    }
    row
}

/// [`ServeView::for_api`] applied to `items` of `user`.
pub async fn serve_api_items(
    state: &AppState,
    user: UserId,
    items: &mut [ApiItem],
) -> Result<(), WebError> {
    let view = ServeView::for_api(state, user).await?;
    view.apply_api(items);
    Ok(())
}

tokio::task_local! {
    /// The origin of the request being answered (for absolute proxy URLs).
    static ORIGIN: String;
}

/// Middleware: keep the request's origin (`[web] public_url`, else its
/// `Host`) for [`ServeView::for_api`] while the request is answered.
pub async fn remember_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let origin = crate::outputs::paging::base_url(&state, request.headers());
    ORIGIN.scope(origin, next.run(request)).await
}

/// The routes: the proxy and the settings page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/proxy/{signature}/{expires}/{target}", get(proxy::serve))
        .route(
            "/settings/privacy",
            get(settings::page).post(settings::save),
        )
}
