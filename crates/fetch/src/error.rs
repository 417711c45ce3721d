//! [`FetchError`], and the mapping from reqwest's errors to it.

use std::error::Error as StdError;
use std::time::Duration;

use url::Url;

use crate::guard::ResolveError;

/// Why a fetch failed. `code()` is stable and stored on the feed; the
/// `Display` text is a sentence for people (`tributary feeds` shows it as the
/// feed's last error) and always names the URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL (given, or a redirect target) is not http(s).
    #[error(
        "{url} has an unsupported URL scheme ({scheme}): only http and https addresses can be fetched"
    )]
    UnsupportedScheme { url: String, scheme: String },
    /// The URL does not parse, or has no host.
    #[error("{url:?} is not a valid web address: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The SSRF guard refused the target address.
    #[error("refused to connect to {url}: {addr} is {} {range} address, which feeds may not use (set fetch.allow_private_networks, or list its network in fetch.allowed_networks)", article(.range))]
    Blocked {
        url: Url,
        addr: String,
        range: &'static str,
    },
    /// The host name could not be resolved.
    #[error("could not find the server of {url} (host not found: {message})")]
    Dns { url: Url, message: String },
    /// 410 Gone: the feed should be disabled.
    #[error("the server says the feed at {url} is gone for good (410)")]
    Gone { url: Url },
    /// Any other non-2xx, non-304 final status.
    #[error("{}", status_sentence(url, *status, *retry_after))]
    Status {
        url: Url,
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The decompressed body is larger than `max_body_bytes` (and
    /// `keep_oversized` is off).
    #[error("the answer from {url} is larger than the {} limit (fetch.max_body_bytes = {limit})", human_size(*limit))]
    TooLarge { url: Url, limit: u64 },
    /// The response headers are larger than `max_header_bytes` (`Some`), or
    /// than hyper accepts on HTTP/1.1 (`None`: more than 100 header lines or
    /// about 408 KiB).
    #[error("{}", headers_sentence(url, *limit))]
    HeadersTooLarge { url: Url, limit: Option<usize> },
    /// More than `max_redirects` hops.
    #[error("gave up on {url} after {limit} redirects (fetch.max_redirects)")]
    TooManyRedirects { url: Url, limit: usize },
    /// A redirect chain came back to a URL it had already visited.
    #[error("the server's redirects go round in a circle, back to {url}")]
    RedirectLoop { url: Url },
    /// The connect timeout or the total timeout expired.
    #[error("the server of {url} took too long to answer (timed out)")]
    Timeout { url: Url },
    /// Any other network or protocol failure (connection refused, TLS…).
    #[error("could not fetch {url}: {message}")]
    Transport { url: Url, message: String },
    /// The [`FetchConfig`](crate::FetchConfig) cannot be used (e.g. a
    /// `User-Agent` that is not a valid header value).
    #[error("the fetch settings cannot be used: {reason}")]
    Config { reason: String },
}

/// The sentence for a [`FetchError::Status`].
fn status_sentence(url: &Url, status: u16, retry_after: Option<Duration>) -> String {
    let retry = retry_after
        .map(|d| format!("; retrying after {}", human_duration(d)))
        .unwrap_or_default();
    let what = match status {
        404 => format!("the server says there is no feed at {url} (404)"),
        429 => format!("the server of {url} asks us to slow down (429)"),
        401 => format!("the server asks for a login to read {url} (401)"),
        403 => format!("the server refuses access to {url} (403)"),
        300..=399 => {
            format!("the server sent a redirect ({status}) from {url} without saying where to")
        }
        400..=499 => format!("the server refused the request for {url} ({status})"),
        500..=599 => format!("the server of {url} failed ({status})"),
        _ => format!("the server answered {url} with an unexpected status ({status})"),
    };
    what + &retry
}

/// The sentence for a [`FetchError::HeadersTooLarge`].
fn headers_sentence(url: &Url, limit: Option<usize>) -> String {
    match limit {
        Some(limit) => format!(
            "the server of {url} sent more than {} of headers (fetch.max_header_bytes = {limit})",
            human_size(limit as u64)
        ),
        None => format!(
            "the server of {url} sent too many or too large headers (more than 100 lines or about 408 KiB)"
        ),
    }
}

/// `8 MiB`, `64 KiB`, `1000 bytes`: exact when it can be, else one decimal.
fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if bytes >= unit {
            return if bytes / unit * unit == bytes {
                format!("{} {name}", bytes / unit)
            } else {
                format!("{:.1} {name}", bytes as f64 / unit as f64)
            };
        }
    }
    format!("{bytes} bytes")
}

/// `45 s`, `120 s`, `30 min`, `6 h`, `3 days`: rounded up, in the largest
/// unit that keeps the number at least 2-ish (up to 120 s stays in seconds).
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let up = |unit: u64| secs.div_ceil(unit);
    if secs <= 120 {
        format!("{secs} s")
    } else if secs <= 120 * 60 {
        format!("{} min", up(60))
    } else if secs <= 48 * 3600 {
        format!("{} h", up(3600))
    } else {
        format!("{} days", up(86_400))
    }
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
            FetchError::HeadersTooLarge { .. } => "headers_too_large",
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
            if e.downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_parse_too_large)
            {
                return FetchError::HeadersTooLarge {
                    url: url.clone(),
                    limit: None,
                };
            }
            if e.downcast_ref::<h2::Error>().is_some_and(|h2| {
                h2.is_reset() && !h2.is_remote() && h2.reason() == Some(h2::Reason::PROTOCOL_ERROR)
            }) {
                // h2 resets a stream itself when the header block passes
                // SETTINGS_MAX_HEADER_LIST_SIZE, with the same reason as for
                // other malformed answers: the likely cause comes first.
                return FetchError::Transport {
                    url: url.clone(),
                    message: "the server's HTTP/2 headers were too large \
                              (over fetch.max_header_bytes) or malformed"
                        .to_owned(),
                };
            }
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

/// "a" or "an" before a range name in [`FetchError::Blocked`]'s text.
fn article(range: &str) -> &'static str {
    match range.as_bytes().first() {
        // "unique local" is said with a consonant: "a unique local address".
        Some(b'u') if range.starts_with("uni") => "a",
        Some(b'a' | b'e' | b'i' | b'o' | b'u' | b'I') => "an",
        _ => "a",
    }
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

    #[test]
    fn messages_are_sentences_that_name_the_url() {
        let url = Url::parse("https://example.com/feed.xml").unwrap();
        let status = |status, retry_after| FetchError::Status {
            url: url.clone(),
            status,
            retry_after,
        };
        let cases = [
            (
                FetchError::Gone { url: url.clone() },
                "the server says the feed at https://example.com/feed.xml is gone for good (410)",
            ),
            (
                status(404, None),
                "the server says there is no feed at https://example.com/feed.xml (404)",
            ),
            (
                status(503, None),
                "the server of https://example.com/feed.xml failed (503)",
            ),
            (
                status(429, Some(Duration::from_secs(120))),
                "the server of https://example.com/feed.xml asks us to slow down (429); retrying after 120 s",
            ),
            (
                status(503, Some(Duration::from_secs(3600))),
                "the server of https://example.com/feed.xml failed (503); retrying after 60 min",
            ),
            (
                status(418, None),
                "the server refused the request for https://example.com/feed.xml (418)",
            ),
            (
                FetchError::Blocked {
                    url: url.clone(),
                    addr: "10.0.0.1".into(),
                    range: "private",
                },
                "refused to connect to https://example.com/feed.xml: 10.0.0.1 is a private address, \
                 which feeds may not use (set fetch.allow_private_networks, or list its network in \
                 fetch.allowed_networks)",
            ),
            (
                FetchError::TooLarge {
                    url: url.clone(),
                    limit: 20 * 1024 * 1024,
                },
                "the answer from https://example.com/feed.xml is larger than the 20 MiB limit \
                 (fetch.max_body_bytes = 20971520)",
            ),
            (
                FetchError::HeadersTooLarge {
                    url: url.clone(),
                    limit: Some(65536),
                },
                "the server of https://example.com/feed.xml sent more than 64 KiB of headers \
                 (fetch.max_header_bytes = 65536)",
            ),
            (
                FetchError::TooManyRedirects {
                    url: url.clone(),
                    limit: 10,
                },
                "gave up on https://example.com/feed.xml after 10 redirects (fetch.max_redirects)",
            ),
            (
                FetchError::Timeout { url: url.clone() },
                "the server of https://example.com/feed.xml took too long to answer (timed out)",
            ),
            (
                FetchError::Dns {
                    url: url.clone(),
                    message: "no such host".into(),
                },
                "could not find the server of https://example.com/feed.xml (host not found: no such host)",
            ),
        ];
        let scheme = FetchError::UnsupportedScheme {
            url: "ftp://example.com/feed".into(),
            scheme: "ftp".into(),
        };
        assert_eq!(
            scheme.to_string(),
            "ftp://example.com/feed has an unsupported URL scheme (ftp): only http and https \
             addresses can be fetched"
        );
        for (err, text) in cases {
            assert_eq!(err.to_string(), text, "{err:?}");
        }
    }

    #[test]
    fn sizes_and_delays_read_as_people_write_them() {
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(human_size(1024), "1 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(8 << 20), "8 MiB");
        assert_eq!(human_size(3 << 30), "3 GiB");
        assert_eq!(human_duration(Duration::from_secs(0)), "0 s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "2 s");
        assert_eq!(human_duration(Duration::from_secs(120)), "120 s");
        assert_eq!(human_duration(Duration::from_secs(121)), "3 min");
        assert_eq!(human_duration(Duration::from_secs(7200)), "120 min");
        assert_eq!(human_duration(Duration::from_secs(7201)), "3 h");
        assert_eq!(human_duration(Duration::from_secs(5 * 86_400)), "5 days");
    }

    #[test]
    fn headers_too_large_has_its_code() {
        let err = FetchError::HeadersTooLarge {
            url: Url::parse("http://example.com/").unwrap(),
            limit: None,
        };
        assert_eq!(err.code(), "headers_too_large");
        assert!(
            err.to_string().contains("too many or too large headers"),
            "{err}"
        );
    }
}
