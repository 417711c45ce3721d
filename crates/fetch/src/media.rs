//! Streaming GETs of media (images, audio, video) for the media proxy.
//!
//! The same policy as a feed fetch — the SSRF guard on every hop and after
//! DNS (the client's guarded resolver), redirects followed by hand up to
//! `max_redirects`, no cookies, no proxy — but the body is not buffered: it
//! comes back as a stream, so a podcast episode passes through in chunks.
//! Time bounds: `total_timeout` for the answer's head (redirects included)
//! and for each wait between two chunks of the body (a stalled server is
//! cut off; a slow but steady download of a large file is not).
//!
//! The caller forwards only the request headers it chose (`Range`,
//! `If-Range`, validators) and judges the answer's type and size itself.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, LOCATION};
use url::Url;

use crate::client::Fetcher;
use crate::error::FetchError;
use crate::guard::check_target_with;
use crate::urls::resolve_location;

/// The answer to a media GET whose status is 2xx or 304.
pub struct MediaResponse {
    /// The URL that answered (after redirects).
    pub final_url: Url,
    /// 200, 206, 304 …
    pub status: u16,
    /// The answer's headers, as sent.
    pub headers: HeaderMap,
    /// The body, chunk by chunk; an `Err` item ends it (transport failure or
    /// a stall longer than `total_timeout`).
    pub body: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

impl std::fmt::Debug for MediaResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaResponse")
            .field("final_url", &self.final_url.as_str())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// GET `url` for the media proxy, with `accept` as the `Accept` header,
    /// `Accept-Encoding: identity` (media are compressed already, and sizes
    /// and byte ranges must stay those of the file) and the `forward`
    /// headers. Non-2xx final answers other than 304 (and 416, which a range
    /// request may get) are [`FetchError::Status`].
    pub async fn get_media(
        &self,
        url: &Url,
        accept: &str,
        forward: &[(HeaderName, HeaderValue)],
    ) -> Result<MediaResponse, FetchError> {
        let head = self.config().total_timeout;
        match tokio::time::timeout(head, self.media_head(url, accept, forward)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout { url: url.clone() }),
        }
    }

    async fn media_head(
        &self,
        url: &Url,
        accept: &str,
        forward: &[(HeaderName, HeaderValue)],
    ) -> Result<MediaResponse, FetchError> {
        let accept = HeaderValue::from_str(accept).map_err(|_| FetchError::Config {
            reason: format!("accept header {accept:?} is not a valid header value"),
        })?;
        let mut current = url.clone();
        let mut seen: HashSet<Url> = HashSet::new();
        seen.insert(current.clone());
        let mut hops = 0usize;
        loop {
            check_target_with(&current, self.address_policy())?;
            let mut req = self
                .http()
                .get(current.clone())
                .header(ACCEPT, accept.clone())
                .header(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
            for (name, value) in forward {
                req = req.header(name, value);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| FetchError::from_reqwest(&current, &e))?;
            let status = resp.status();
            if status.is_redirection() && status.as_u16() != 304 {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_owned);
                let Some(location) = location else {
                    return Err(FetchError::Status {
                        url: current,
                        status: status.as_u16(),
                        retry_after: None,
                    });
                };
                let next = resolve_location(&current, &location)?;
                hops += 1;
                if hops > self.config().max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: url.clone(),
                        limit: self.config().max_redirects,
                    });
                }
                if !seen.insert(next.clone()) {
                    return Err(FetchError::RedirectLoop { url: next });
                }
                current = next;
                continue;
            }
            if !(status.is_success() || status.as_u16() == 304 || status.as_u16() == 416) {
                return Err(FetchError::Status {
                    url: current,
                    status: status.as_u16(),
                    retry_after: None,
                });
            }
            let headers = resp.headers().clone();
            let body = idle_bounded(resp.bytes_stream(), self.config().total_timeout);
            return Ok(MediaResponse {
                final_url: current,
                status: status.as_u16(),
                headers,
                body,
            });
        }
    }
}

/// `stream` as `io::Error` items, ended by the first error or by a wait
/// longer than `idle` for the next chunk.
fn idle_bounded(
    stream: impl futures::Stream<Item = Result<Bytes, reqwest::Error>> + Send + 'static,
    idle: Duration,
) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    futures::stream::unfold(Some(Box::pin(stream)), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(stream))),
            Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e)), None)),
            Ok(None) => None,
            Err(_) => Some((
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the media server stopped sending",
                )),
                None,
            )),
        }
    })
    .boxed()
}
