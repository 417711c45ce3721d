//! POSTs for protocols that talk back to servers: forms
//! (`application/x-www-form-urlencoded`), such as WebSub subscription
//! requests to a hub, and ready-made bodies with their own headers, such as
//! signed webhook deliveries.
//!
//! The same policy as a feed fetch: the SSRF guard on the target (and the
//! client's guarded resolver after DNS), the connect and total timeouts. A
//! POST is never replayed: redirects are returned to the caller as they are,
//! who decides whether the protocol allows following them (WebSub does, for
//! 307/308). The answer's body is read only up to [`POST_BODY_LIMIT`], as it
//! serves only to explain a refusal.

use futures::StreamExt;
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION};
use url::Url;

use crate::client::Fetcher;
use crate::error::FetchError;
use crate::guard::check_target_with;

/// How much of a POST answer's body is kept (64 KiB); the rest is dropped.
pub const POST_BODY_LIMIT: usize = 64 * 1024;

/// The answer to a form POST, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostResponse {
    /// HTTP status code (a 3xx is returned as is, not followed).
    pub status: u16,
    /// The `Location` header as sent (redirects), if any and if it is text.
    pub location: Option<String>,
    /// How long the server asked to wait (`Retry-After`, seconds or an
    /// HTTP date; a past date is zero), if it said so in a form we read.
    pub retry_after: Option<std::time::Duration>,
    /// The start of the body (at most [`POST_BODY_LIMIT`] bytes), decoded as
    /// UTF-8 with invalid sequences replaced.
    pub body: String,
}

impl PostResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Fetcher {
    /// POST `form` to `url` as `application/x-www-form-urlencoded` (UTF-8).
    ///
    /// Every status is an `Ok`: the caller judges it. Errors are the
    /// guard's refusal ([`FetchError::Blocked`], [`FetchError::UnsupportedScheme`]),
    /// DNS, transport failures and [`FetchError::Timeout`] when the whole
    /// exchange (body included) takes longer than `total_timeout`.
    pub async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<PostResponse, FetchError> {
        let total = self.config().total_timeout;
        match tokio::time::timeout(total, self.post_form_inner(url, form)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout { url: url.clone() }),
        }
    }

    /// POST `body` to `url` with `content_type` and the extra `headers`
    /// (which may override the client's, e.g. `User-Agent`), under the same
    /// policy as [`Fetcher::post_form`]: every status is an `Ok`, redirects
    /// are not followed, the answer's body is read up to [`POST_BODY_LIMIT`].
    pub async fn post_body(
        &self,
        url: &Url,
        content_type: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<PostResponse, FetchError> {
        let total = self.config().total_timeout;
        let exchange = async {
            check_target_with(url, &self.config().address_policy())?;
            let mut req = self
                .http()
                .post(url.clone())
                .header(ACCEPT, HeaderValue::from_static("*/*"))
                .header(CONTENT_TYPE, content_type);
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            self.send_post(url, req.body(body)).await
        };
        match tokio::time::timeout(total, exchange).await {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout { url: url.clone() }),
        }
    }

    async fn post_form_inner(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<PostResponse, FetchError> {
        check_target_with(url, &self.config().address_policy())?;
        let req = self
            .http()
            .post(url.clone())
            // The client's default Accept asks for feeds; a hub answers in text.
            .header(ACCEPT, HeaderValue::from_static("text/plain, */*;q=0.5"))
            .form(form);
        self.send_post(url, req).await
    }

    /// Send a prepared POST and read its answer (body capped).
    async fn send_post(
        &self,
        url: &Url,
        req: reqwest::RequestBuilder,
    ) -> Result<PostResponse, FetchError> {
        let resp = req
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(url, &e))?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = crate::headers::retry_after(resp.headers(), std::time::SystemTime::now());

        let mut body: Vec<u8> = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::from_reqwest(url, &e))?;
            let room = POST_BODY_LIMIT - body.len();
            if chunk.len() >= room {
                body.extend_from_slice(&chunk[..room]);
                // Enough to explain the answer; the connection is dropped.
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(PostResponse {
            status,
            location,
            retry_after,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}
