//! HTTP for feeds and pages. Knows nothing about feeds' contents.
//!
//! One [`Fetcher`] per process holds the connection pool and the policy:
//! conditional GET, compression, redirects followed by hand (so permanent
//! moves can be told from temporary ones), time and size limits, and the SSRF
//! guard that refuses private addresses on every hop and after DNS resolution.

// `FetchError` carries the `Url` it is about (its shape is shared API), which
// makes it large; it is built once per failed network exchange, so the size
// costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

mod client;
mod error;
mod guard;
mod headers;
mod post;
mod urls;

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

pub use client::Fetcher;
pub use error::FetchError;
pub use guard::{check_ip, check_target};
pub use post::{PostResponse, POST_BODY_LIMIT};
pub use urls::parse_http_url;

/// Policy of a [`Fetcher`]. Passed in as a value; nothing is read from the environment.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Time allowed to open a TCP (and TLS) connection.
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
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
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
    /// `Content-Type` as sent (charset included); `None` on 304.
    pub content_type: Option<String>,
    /// Validators to send next time: this response's; on 304, the ones sent,
    /// each replaced by the server's if it sent a new one.
    pub validators: Validators,
    /// `Cache-Control: max-age` and `Expires` of the final response.
    pub cache: CacheHints,
    /// `Content-Language` / `Content-Location` as sent (the parser's outer
    /// `xml:lang` / `xml:base`); `None` on 304 or when absent.
    pub content_language: Option<String>,
    pub content_location: Option<String>,
}

impl Response {
    /// True for 304 Not Modified (no body).
    pub fn is_not_modified(&self) -> bool {
        self.body.is_none()
    }
}
