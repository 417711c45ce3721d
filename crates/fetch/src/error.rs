//! [`FetchError`], and the mapping from reqwest's errors to it.

use std::error::Error as StdError;
use std::time::Duration;

use url::Url;

use crate::guard::ResolveError;

/// Why a fetch failed. `code()` is stable and stored on the feed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL (given, or a redirect target) is not http(s).
    #[error("{url}: unsupported URL scheme {scheme:?} (only http and https)")]
    UnsupportedScheme { url: String, scheme: String },
    /// The URL does not parse, or has no host.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The SSRF guard refused the target address.
    #[error("{url}: refused to connect to {addr}, a {range} address (set fetch.allow_private_networks to allow)")]
    Blocked {
        url: Url,
        addr: String,
        range: &'static str,
    },
    /// The host name could not be resolved.
    #[error("{url}: host not found ({message})")]
    Dns { url: Url, message: String },
    /// 410 Gone: the feed should be disabled.
    #[error("{url}: gone (410); the publisher removed this feed")]
    Gone { url: Url },
    /// Any other non-2xx, non-304 final status.
    #[error("{url}: server answered {status}")]
    Status {
        url: Url,
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The decompressed body is larger than `max_body_bytes`.
    #[error("{url}: body exceeds the {limit}-byte limit")]
    TooLarge { url: Url, limit: u64 },
    /// More than `max_redirects` hops.
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: Url, limit: usize },
    /// A redirect chain came back to a URL it had already visited.
    #[error("{url}: redirect loop")]
    RedirectLoop { url: Url },
    /// The connect timeout or the total timeout expired.
    #[error("{url}: timed out")]
    Timeout { url: Url },
    /// Any other network or protocol failure (connection refused, TLS…).
    #[error("{url}: {message}")]
    Transport { url: Url, message: String },
    /// The [`FetchConfig`](crate::FetchConfig) cannot be used (e.g. a
    /// `User-Agent` that is not a valid header value).
    #[error("invalid fetch configuration: {reason}")]
    Config { reason: String },
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
            FetchError::Config { .. } => "invalid_config",
        }
    }

    /// Server-requested delay (`Retry-After` on 429/503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Map a reqwest error for a request to `url`.
    ///
    /// The cause is found by walking the `source()` chain: reqwest's own
    /// message ("error sending request for url …") says nothing useful, while
    /// the innermost errors say "connection refused" or "certificate expired".
    pub(crate) fn from_reqwest(url: &Url, err: &reqwest::Error) -> FetchError {
        let mut chain: Vec<&(dyn StdError + 'static)> = Vec::new();
        let mut next = err.source();
        while let Some(e) = next {
            chain.push(e);
            next = e.source();
        }

        for e in &chain {
            if let Some(resolve) = e.downcast_ref::<ResolveError>() {
                return match resolve {
                    ResolveError::Blocked { addr, range, .. } => FetchError::Blocked {
                        url: url.clone(),
                        addr: addr.to_string(),
                        range,
                    },
                    ResolveError::Lookup { source, .. } => FetchError::Dns {
                        url: url.clone(),
                        message: source.to_string(),
                    },
                    ResolveError::NoAddresses { .. } => FetchError::Dns {
                        url: url.clone(),
                        message: "the name has no address".to_owned(),
                    },
                };
            }
        }

        if err.is_timeout() {
            return FetchError::Timeout { url: url.clone() };
        }

        let message = describe_chain(&chain);
        let message = if err.is_connect() {
            format!("cannot connect: {message}")
        } else if err.is_body() || err.is_decode() {
            format!("error reading the body: {message}")
        } else if message.is_empty() {
            err.to_string()
        } else {
            message
        };
        FetchError::Transport {
            url: url.clone(),
            message,
        }
    }
}

/// Join the messages of an error chain, skipping hyper's generic wrappers
/// ("client error (Connect)") and messages repeated by an outer error.
fn describe_chain(chain: &[&(dyn StdError + 'static)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain {
        let text = e.to_string();
        if text.is_empty() || text.starts_with("client error (") {
            continue;
        }
        if parts.iter().any(|p| p.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_stable_codes() {
        let url = Url::parse("http://example.com/").unwrap();
        let status = |status| FetchError::Status {
            url: url.clone(),
            status,
            retry_after: None,
        };
        assert_eq!(status(404).code(), "http_not_found");
        assert_eq!(status(429).code(), "http_too_many_requests");
        assert_eq!(status(503).code(), "http_server_error");
        assert_eq!(status(403).code(), "http_client_error");
        assert_eq!(
            FetchError::Config {
                reason: String::new()
            }
            .code(),
            "invalid_config"
        );
    }
}
