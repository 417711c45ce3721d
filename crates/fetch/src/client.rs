//! [`Fetcher`]: one reqwest client with Tributary's policy around it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, IF_MODIFIED_SINCE, IF_NONE_MATCH, LOCATION,
};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use url::Url;

use crate::error::FetchError;
use crate::guard::{check_target_with, AddressPolicy, GuardedResolver};
use crate::urls::resolve_location;
use crate::{headers, links, CacheHints, FetchConfig, Response, Validators};

/// What feed readers ask for: feed types first, generic XML next, anything
/// last (many servers send feeds as `text/html` or `application/octet-stream`).
const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
                            application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";

/// The HTTP client with its policy. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Fetcher {
    config: FetchConfig,
    policy: Arc<AddressPolicy>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// Build the client. Fails with [`FetchError::Config`] when the
    /// configuration cannot be used (e.g. a `User-Agent` with control
    /// characters) or the TLS backend cannot start.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let user_agent =
            HeaderValue::from_str(&config.user_agent).map_err(|_| FetchError::Config {
                reason: format!(
                    "user agent {:?} is not a valid header value",
                    config.user_agent
                ),
            })?;
        let mut default_headers = HeaderMap::new();
        default_headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_FEEDS));

        let policy = Arc::new(config.address_policy());
        let mut builder = reqwest::Client::builder();
        for (i, pem) in config.extra_root_certificates.iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| FetchError::Config {
                    reason: format!("extra root certificate {} is not a PEM certificate", i + 1),
                })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            // Redirects are followed by hand, to tell permanent moves from
            // temporary ones and to run the SSRF guard on every hop.
            .redirect(Policy::none())
            // A proxy would do the connecting, so the guarded resolver would
            // not see where the request really goes: connect directly.
            .no_proxy()
            .user_agent(user_agent)
            .default_headers(default_headers)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(8)
            .tcp_keepalive(Duration::from_secs(60))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            // HTTP/1.1 head size is bounded by hyper itself (see
            // `FetchConfig::max_header_bytes`); HTTP/2 takes the limit.
            .http2_max_header_list_size(u32::try_from(config.max_header_bytes).unwrap_or(u32::MAX))
            .dns_resolver(Arc::new(GuardedResolver {
                policy: Arc::clone(&policy),
            }))
            .build()
            .map_err(|e| FetchError::Config {
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Fetcher {
            config,
            policy,
            client,
        })
    }

    /// The policy this fetcher was built with.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// The SSRF guard's settings of this fetcher.
    pub fn address_policy(&self) -> &AddressPolicy {
        &self.policy
    }

    /// [`check_destination`](crate::check_destination) under this
    /// fetcher's policy, the lookup bounded by its connect timeout: whether
    /// `url` may be subscribed to, before anything is stored.
    pub async fn check_destination(&self, url: &Url) -> Result<(), FetchError> {
        crate::guard::check_destination(url, &self.policy, self.config.connect_timeout).await
    }

    /// The guarded client, for the other request kinds of this crate (`post`).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// GET `url` with the validators (conditional request).
    ///
    /// Follows up to `max_redirects` redirects, checking each hop with the
    /// SSRF guard. Returns a [`Response`] for 2xx (with the body) and 304
    /// (without); every other outcome is a [`FetchError`]. The whole exchange,
    /// redirects and body included, is bounded by `total_timeout`.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Response, FetchError> {
        match tokio::time::timeout(self.config.total_timeout, self.fetch_inner(url, validators))
            .await
        {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout { url: url.clone() }),
        }
    }

    /// GET a page without validators (feed discovery on HTML pages).
    /// Same as `fetch(url, &Validators::default())`.
    pub async fn get_page(&self, url: &Url) -> Result<Response, FetchError> {
        self.fetch(url, &Validators::default()).await
    }

    async fn fetch_inner(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<Response, FetchError> {
        let mut current = url.clone();
        let mut seen: HashSet<Url> = HashSet::new();
        seen.insert(without_fragment(&current));
        let mut hops = 0usize;
        let mut all_permanent = true;

        loop {
            check_target_with(&current, &self.policy)?;
            let resp = self
                .send(&current, validators)
                .await
                .map_err(|e| FetchError::from_reqwest(&current, &e))?;
            let limit = self.config.max_header_bytes;
            if headers_size(resp.headers()) > limit {
                return Err(FetchError::HeadersTooLarge {
                    url: current,
                    limit: Some(limit),
                });
            }
            let status = resp.status();

            if is_redirect(status) {
                let Some(location) = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .filter(|s| !s.trim().is_empty())
                else {
                    // A redirect with nowhere to go is an error answer.
                    return Err(status_error(&current, &resp));
                };
                let next = resolve_location(&current, location)?;
                hops += 1;
                if hops > self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: url.clone(),
                        limit: self.config.max_redirects,
                    });
                }
                if !seen.insert(without_fragment(&next)) {
                    return Err(FetchError::RedirectLoop { url: next });
                }
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                tracing::debug!(from = %current, to = %next, status = status.as_u16(), "redirect");
                current = next;
                continue;
            }

            let moved_to = (hops > 0 && all_permanent).then(|| current.clone());

            if status == StatusCode::NOT_MODIFIED {
                // Keep the validators sent unless the server sent new ones.
                let fresh = headers::validators(resp.headers());
                let link_headers = links::link_headers(resp.headers(), &current);
                return Ok(Response {
                    final_url: current,
                    moved_to,
                    body: None,
                    truncated: false,
                    content_type: None,
                    validators: Validators {
                        etag: fresh.etag.or_else(|| validators.etag.clone()),
                        last_modified: fresh
                            .last_modified
                            .or_else(|| validators.last_modified.clone()),
                    },
                    cache: headers::cache_hints(resp.headers()),
                    content_language: None,
                    content_location: None,
                    link_headers,
                });
            }
            if status == StatusCode::GONE {
                return Err(FetchError::Gone { url: current });
            }
            if !status.is_success() {
                return Err(status_error(&current, &resp));
            }

            let content_type = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let content_language = header("content-language");
            let content_location = header("content-location");
            let validators = headers::validators(resp.headers());
            let cache: CacheHints = headers::cache_hints(resp.headers());
            let link_headers = links::link_headers(resp.headers(), &current);
            let (body, truncated) = self.read_body(&current, resp).await?;
            return Ok(Response {
                final_url: current,
                moved_to,
                body: Some(body),
                truncated,
                content_type,
                validators,
                cache,
                content_language,
                content_location,
                link_headers,
            });
        }
    }

    async fn send(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut req = self.client.get(url.clone());
        // Validators are echoed verbatim; one that is not a valid header value
        // (it came from a broken server) is dropped, costing a full download.
        if let Some(etag) = validators
            .etag
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = validators
            .last_modified
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        req.send().await
    }

    /// Read the (already decompressed) body as a stream, stopping as soon as
    /// it reaches the limit: a gzip bomb is cut off, never buffered whole.
    /// Returns the body and whether it was cut (`keep_oversized`); without
    /// `keep_oversized` a body over the limit is [`FetchError::TooLarge`].
    async fn read_body(
        &self,
        url: &Url,
        resp: reqwest::Response,
    ) -> Result<(Bytes, bool), FetchError> {
        let limit = self.config.max_body_bytes;
        let keep = self.config.keep_oversized;
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit,
        };
        // reqwest drops Content-Length when it decompresses, so this only
        // rejects early the plain bodies announced as too large.
        if !keep && resp.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let initial = resp.content_length().unwrap_or(0).min(limit).min(1 << 20);
        let mut body = BytesMut::with_capacity(usize::try_from(initial).unwrap_or(0));
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::from_reqwest(url, &e))?;
            let room = limit.saturating_sub(body.len() as u64);
            if chunk.len() as u64 > room {
                if !keep {
                    return Err(too_large());
                }
                // `room` is below `chunk.len()`, so it fits in usize.
                let room = usize::try_from(room).unwrap_or(chunk.len());
                body.extend_from_slice(&chunk[..room]);
                tracing::debug!(%url, limit, "body cut at the size limit");
                return Ok((body.freeze(), true));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body.freeze(), false))
    }
}

/// Size of a response head as sent on HTTP/1.1: each line's name, value,
/// `": "` and CRLF (the status line is left out).
fn headers_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

fn status_error(url: &Url, resp: &reqwest::Response) -> FetchError {
    FetchError::Status {
        url: url.clone(),
        status: resp.status().as_u16(),
        retry_after: headers::retry_after(resp.headers(), SystemTime::now()),
    }
}

/// Fragments never reach the server, so `a#x` and `a#y` are the same hop.
fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}
