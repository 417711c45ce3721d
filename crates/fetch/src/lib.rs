//! HTTP for feeds and pages. Knows nothing about feeds' contents.
//!
//! One [`Fetcher`] per process holds the connection pool and the policy:
//! conditional GET, compression, redirects followed by hand (so permanent
//! moves can be told from temporary ones), time and size limits, and the SSRF
//! guard that refuses private addresses on every hop and after DNS resolution.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

/// Policy of a [`Fetcher`]. Passed in as a value; nothing is read from the environment.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `User-Agent` header.
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Whole request, body included.
    pub total_timeout: Duration,
    /// Maximum decompressed body size in bytes.
    pub max_body_bytes: u64,
    /// Maximum redirect hops.
    pub max_redirects: usize,
    /// Allow loopback/private/link-local targets (tests, intranets).
    pub allow_private_networks: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: default_user_agent(),
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: 20 * 1024 * 1024,
            max_redirects: 10,
            allow_private_networks: false,
        }
    }
}

/// `Tributary/<version> (+<project url>)`.
pub fn default_user_agent() -> String {
    format!(
        "Tributary/{} (+https://github.com/tributary-rss/tributary)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Validators from the previous successful fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Caching hints of a response, used by the scheduler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// `Expires`.
    pub expires: Option<DateTime<Utc>>,
}

/// A successful exchange (2xx or 304).
#[derive(Debug, Clone)]
pub struct Response {
    /// URL that finally answered.
    pub final_url: Url,
    /// Set when every redirect hop was permanent (301/308): the URL the feed should be stored under from now on.
    pub moved_to: Option<Url>,
    /// `None` for 304 Not Modified.
    pub body: Option<Bytes>,
    pub content_type: Option<String>,
    /// Validators to send next time (from this response; on 304 the ones sent are kept by the caller).
    pub validators: Validators,
    pub cache: CacheHints,
}

impl Response {
    pub fn is_not_modified(&self) -> bool {
        self.body.is_none()
    }
}

/// Why a fetch failed. `code()` is stable and stored on the feed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("{url}: unsupported URL scheme {scheme:?} (only http and https)")]
    UnsupportedScheme { url: String, scheme: String },
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url}: refused to connect to {addr}, a {range} address (set fetch.allow_private_networks to allow)")]
    Blocked { url: Url, addr: String, range: &'static str },
    #[error("{url}: host not found ({message})")]
    Dns { url: Url, message: String },
    #[error("{url}: gone (410); the publisher removed this feed")]
    Gone { url: Url },
    #[error("{url}: server answered {status}")]
    Status { url: Url, status: u16, retry_after: Option<Duration> },
    #[error("{url}: body exceeds the {limit}-byte limit")]
    TooLarge { url: Url, limit: u64 },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: Url, limit: usize },
    #[error("{url}: redirect loop")]
    RedirectLoop { url: Url },
    #[error("{url}: timed out")]
    Timeout { url: Url },
    #[error("{url}: {message}")]
    Transport { url: Url, message: String },
}

impl FetchError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::UnsupportedScheme { .. } => "url_unsupported_scheme",
            FetchError::InvalidUrl { .. } => "url_invalid",
            FetchError::Blocked { .. } => "address_blocked",
            FetchError::Dns { .. } => "dns_failed",
            FetchError::Gone { .. } => "http_gone",
            FetchError::Status { status: 404, .. } => "http_not_found",
            FetchError::Status { status: 429, .. } => "http_too_many_requests",
            FetchError::Status { status, .. } if *status >= 500 => "http_server_error",
            FetchError::Status { .. } => "http_client_error",
            FetchError::TooLarge { .. } => "body_too_large",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::RedirectLoop { .. } => "redirect_loop",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Transport { .. } => "network_error",
        }
    }

    /// Server-requested delay (`Retry-After` on 429/503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Parse and check a user-supplied URL: http(s) only, with a host.
pub fn parse_http_url(input: &str) -> Result<Url, FetchError> {
    let _ = input;
    todo!()
}

/// The HTTP client with its policy.
#[derive(Clone)]
pub struct Fetcher {
    config: FetchConfig,
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        Ok(Fetcher { config })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// GET `url` with the validators (conditional request).
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Response, FetchError> {
        let _ = (url, validators);
        todo!()
    }
}
