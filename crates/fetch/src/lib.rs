//! HTTP for feeds and pages. Knows nothing about feeds' contents.
//!
//! One [`Fetcher`] per process holds the connection pool and the policy:
//! conditional GET, compression, redirects followed by hand (so permanent
//! moves can be told from temporary ones), time and size limits, and the SSRF
//! guard that refuses private addresses on every hop and after DNS resolution.
//!
//! * Connections are kept alive and reused (one pool per `Fetcher`, shared by
//!   its clones); HTTPS servers that offer HTTP/2 in ALPN get HTTP/2, which
//!   multiplexes concurrent fetches over one connection.
//!   `extra_root_certificates` trusts more roots (an intranet CA).
//! * Bodies are capped after decompression at `max_body_bytes`. An oversized
//!   body is cut there and returned with [`Response::truncated`] set
//!   (`keep_oversized`, the default: a feed that grew too long still gives
//!   its first entries; the parser drops the entry cut in half), or refused
//!   with [`FetchError::TooLarge`].
//! * Response headers are capped at `max_header_bytes`
//!   ([`FetchError::HeadersTooLarge`]); see that field for what hyper and h2
//!   bound on their own.
//! * `total_timeout` bounds the whole exchange, so a server that trickles its
//!   status line, headers or body ends in [`FetchError::Timeout`].
//! * The SSRF guard ([`AddressPolicy`]) can be opened for chosen networks
//!   (`allowed_networks`) without turning it off.
//! * [`Fetcher::get_media`] streams images, audio and video for the media
//!   proxy under the same guard, without buffering the body.
//! * [`Response::link_headers`] lists the `Link:` headers (WebSub hubs,
//!   `rel=self`), resolved against the final URL.

// `FetchError` carries the `Url` it is about (its shape is shared API), which
// makes it large; it is built once per failed network exchange, so the size
// costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

mod client;
mod error;
mod guard;
mod headers;
mod links;
mod media;
mod post;
mod urls;

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

pub use client::Fetcher;
pub use error::FetchError;
pub use guard::{check_destination, check_ip, check_target, check_target_with, AddressPolicy};
pub use ipnet::IpNet;
pub use media::MediaResponse;
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
    /// What to do with a body larger than `max_body_bytes`: `true` (the
    /// default) stops reading at the limit and returns the first
    /// `max_body_bytes` bytes with [`Response::truncated`] set; `false` fails
    /// with [`FetchError::TooLarge`]. Either way no more than the limit is
    /// ever buffered.
    pub keep_oversized: bool,
    /// Maximum size of the response headers, in bytes (names, values and
    /// line overhead, as sent): larger ones fail with
    /// [`FetchError::HeadersTooLarge`] (`headers_too_large`).
    ///
    /// * HTTP/1.1: reqwest offers no setting, so hyper's own limits bound
    ///   what is read (100 header lines, about 408 KiB of head; beyond them
    ///   `HeadersTooLarge` with `limit: None`), and the fetcher checks this
    ///   limit on what hyper accepted. A value above hyper's limits therefore
    ///   acts as hyper's limits.
    /// * HTTP/2: announced to the server (`SETTINGS_MAX_HEADER_LIST_SIZE`,
    ///   which counts 32 bytes more per header) and enforced by h2 while
    ///   decoding. h2 refuses such a stream with the reason it gives any
    ///   malformed answer, so this ends in [`FetchError::Transport`]
    ///   (`network_error`) saying the headers were too large or malformed.
    pub max_header_bytes: usize,
    /// Maximum redirect hops.
    pub max_redirects: usize,
    /// Allow loopback/private/link-local targets (tests, trusted setups):
    /// turns the SSRF guard off entirely.
    pub allow_private_networks: bool,
    /// Networks the SSRF guard lets through although they are private (an
    /// intranet feed server, e.g. `10.1.0.0/16`), on IP-literal URLs and
    /// after DNS resolution alike. Every other private address stays
    /// refused, and so do the cloud metadata addresses even when a network
    /// here covers them. See [`AddressPolicy`].
    pub allowed_networks: Vec<IpNet>,
    /// PEM certificates trusted as roots in addition to the built-in ones
    /// (an intranet's own certificate authority). Each string may hold
    /// several certificates; one that does not parse is a
    /// [`FetchError::Config`].
    pub extra_root_certificates: Vec<String>,
}

impl FetchConfig {
    /// The SSRF guard's settings of this configuration.
    pub fn address_policy(&self) -> AddressPolicy {
        AddressPolicy {
            allow_private_networks: self.allow_private_networks,
            allowed_networks: self.allowed_networks.clone(),
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: default_user_agent(),
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: 20 * 1024 * 1024,
            keep_oversized: true,
            max_header_bytes: 64 * 1024,
            max_redirects: 10,
            allow_private_networks: false,
            allowed_networks: Vec::new(),
            extra_root_certificates: Vec::new(),
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
    /// The body was longer than `max_body_bytes` and `body` holds only its
    /// first `max_body_bytes` bytes (with `keep_oversized`). The cut may fall
    /// anywhere, even inside a UTF-8 character.
    pub truncated: bool,
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
    /// The final response's `Link:` headers as `(rel, url)` pairs, in order:
    /// one pair per relation type (`rel="hub self"` gives two), relation
    /// types lower-cased, URLs resolved against `final_url`. Links without a
    /// `rel`, or whose target does not resolve, are left out. WebSub hubs are
    /// the `hub` pairs.
    pub link_headers: Vec<(String, String)>,
}

impl Response {
    /// True for 304 Not Modified (no body).
    pub fn is_not_modified(&self) -> bool {
        self.body.is_none()
    }
}
