//! `GET /proxy/{signature}/{expires}/{target}`: the media proxy.
//!
//! No login: reader apps load images without the session, so the signature
//! is the authorization ([`tributary_privacy::signing`]). In order:
//!
//! 1. the proxy must be on (`404` otherwise) and the signature valid and
//!    unexpired (`403` naming what is wrong);
//! 2. the target is fetched with [`Fetcher::get_media`](tributary_fetch::Fetcher::get_media):
//!    the SSRF guard refuses private and loopback addresses, also after DNS
//!    and on every redirect (`403`); only `Range`, `If-Range`,
//!    `If-None-Match` and `If-Modified-Since` are passed on — never the
//!    reader's cookies, referrer, user agent or address;
//! 3. the answer's type must be an image (`image/svg+xml` included, served
//!    under a sandboxing policy so a script in it never runs), or audio or
//!    video with `media_proxy = "all"`: anything else (`text/html` …) is
//!    `403`; a size over the limit, announced or reached while streaming, is
//!    `413` (or the stream is cut);
//! 4. the body is streamed back with its type, length and range headers,
//!    `Cache-Control` up to the URL's expiry, and
//!    `Content-Security-Policy: default-src 'none'; … sandbox`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tributary_fetch::FetchError;

use super::{unix_now, ProxyMode};
use crate::AppState;

/// The policy of every proxied answer: nothing in it may load or run.
pub const PROXY_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

/// Longest browser cache lifetime of a proxied answer.
const MAX_CACHE_SECS: u64 = 7 * 86_400;

/// What the proxy asks for.
const ACCEPT_IMAGES: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*;q=0.8";
const ACCEPT_ALL: &str = "image/avif,image/webp,image/*;q=0.8,audio/*;q=0.8,video/*;q=0.8";

/// Request headers passed on to the media server.
const FORWARDED: &[HeaderName] = &[
    header::RANGE,
    header::IF_RANGE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
];

/// Answer headers passed back.
const PASSED_BACK: &[HeaderName] = &[
    header::CONTENT_RANGE,
    header::ACCEPT_RANGES,
    header::ETAG,
    header::LAST_MODIFIED,
];

/// Image types the proxy serves.
const IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/pjpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/apng",
    "image/bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "image/tiff",
    "image/svg+xml",
];

/// Which limit a type falls under, if the proxy serves it at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// An image.
    Image,
    /// Audio or video.
    Media,
}

/// The class of `content_type` under `mode` (`None`: refused).
pub fn classify(content_type: &str, mode: ProxyMode) -> Option<Class> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if IMAGE_TYPES.contains(&essence.as_str()) {
        return Some(Class::Image);
    }
    let media = essence.starts_with("audio/")
        || essence.starts_with("video/")
        || essence == "application/ogg";
    (media && mode == ProxyMode::All).then_some(Class::Media)
}

/// A refusal as plain text.
fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    let mut message = message.into();
    message.push('\n');
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        message,
    )
        .into_response()
}

/// `total` of a `Content-Range: bytes a-b/total`.
fn range_total(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    v.rsplit_once('/')?.1.trim().parse().ok()
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The handler.
pub async fn serve(
    State(state): State<AppState>,
    Path((signature, expires, target)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let config = &state.config.privacy;
    let mode = config.media_proxy;
    if mode == ProxyMode::Off {
        return refuse(
            StatusCode::NOT_FOUND,
            "The media proxy is off on this server ([privacy] media_proxy = \"off\").",
        );
    }
    let signer = match state.privacy.signer(&state).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let now = unix_now();
    let url = match signer.verify(&signature, &expires, &target, now) {
        Ok(url) => url,
        Err(why) => {
            return refuse(
                StatusCode::FORBIDDEN,
                format!("Refused by the media proxy: {why}."),
            )
        }
    };
    let fetcher = match state.privacy.fetcher(&state) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let forward: Vec<(HeaderName, HeaderValue)> = FORWARDED
        .iter()
        .filter_map(|name| headers.get(name).map(|v| (name.clone(), v.clone())))
        .collect();
    let accept = if mode == ProxyMode::All {
        ACCEPT_ALL
    } else {
        ACCEPT_IMAGES
    };
    let upstream = match fetcher.get_media(&url, accept, &forward).await {
        Ok(r) => r,
        Err(e) => return fetch_refusal(&e),
    };
    let cache = format!(
        "public, max-age={}",
        expires
            .parse::<u64>()
            .unwrap_or(now)
            .saturating_sub(now)
            .min(MAX_CACHE_SECS)
    );
    let mut out = HeaderMap::new();
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PROXY_CSP),
    );
    if let Ok(v) = HeaderValue::from_str(&cache) {
        out.insert(header::CACHE_CONTROL, v);
    }
    for name in PASSED_BACK {
        if let Some(v) = upstream.headers.get(name) {
            out.insert(name.clone(), v.clone());
        }
    }
    let status = StatusCode::from_u16(upstream.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if status == StatusCode::NOT_MODIFIED || status == StatusCode::RANGE_NOT_SATISFIABLE {
        return (status, out).into_response();
    }
    let content_type = upstream
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Some(class) = classify(&content_type, mode) else {
        let what = if content_type.is_empty() {
            "no content type".to_owned()
        } else {
            content_type.clone()
        };
        let allowed = if mode == ProxyMode::All {
            "images, audio and video"
        } else {
            "images"
        };
        return refuse(
            StatusCode::FORBIDDEN,
            format!(
                "Refused by the media proxy: {url} is {what}; the proxy serves only {allowed}."
            ),
        );
    };
    let limit = match class {
        Class::Image => config.max_bytes,
        Class::Media => config.max_media_bytes,
    };
    let length = content_length(&upstream.headers);
    if let Some(size) = range_total(&upstream.headers).or(length) {
        if size > limit {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "Refused by the media proxy: {url} is {size} bytes, more than its limit of {limit} bytes."
                ),
            );
        }
    }
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if let Ok(v) = HeaderValue::from_str(essence) {
        out.insert(header::CONTENT_TYPE, v);
    }
    if let Some(len) = length {
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    // The limit also holds for bodies that announced no length.
    let mut sent: u64 = 0;
    let body = upstream.body.map(move |chunk| {
        let chunk = chunk?;
        sent += chunk.len() as u64;
        if sent > limit {
            return Err(std::io::Error::other(format!(
                "the media is larger than the proxy's limit of {limit} bytes"
            )));
        }
        Ok(chunk)
    });
    (status, out, Body::from_stream(body)).into_response()
}

/// The answer to a fetch that failed.
fn fetch_refusal(e: &FetchError) -> Response {
    let (status, prefix) = match e {
        FetchError::Blocked { .. } | FetchError::UnsupportedScheme { .. } => {
            (StatusCode::FORBIDDEN, "Refused by the media proxy")
        }
        FetchError::Status { status: 404, .. } | FetchError::Gone { .. } => {
            (StatusCode::NOT_FOUND, "The media server has no such file")
        }
        FetchError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "The media server is too slow"),
        _ => (
            StatusCode::BAD_GATEWAY,
            "The media server could not be read",
        ),
    };
    tracing::debug!(error = %e, code = e.code(), "media proxy fetch failed");
    refuse(status, format!("{prefix}: {e}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_table() {
        let cases: &[(&str, ProxyMode, Option<Class>)] = &[
            ("image/png", ProxyMode::Images, Some(Class::Image)),
            (
                "IMAGE/JPEG; charset=binary",
                ProxyMode::Images,
                Some(Class::Image),
            ),
            ("image/svg+xml", ProxyMode::Images, Some(Class::Image)),
            ("text/html; charset=utf-8", ProxyMode::All, None),
            ("application/javascript", ProxyMode::All, None),
            ("", ProxyMode::All, None),
            ("image/x-unknown", ProxyMode::All, None),
            ("audio/mpeg", ProxyMode::Images, None),
            ("audio/mpeg", ProxyMode::All, Some(Class::Media)),
            ("video/mp4", ProxyMode::All, Some(Class::Media)),
            ("application/ogg", ProxyMode::All, Some(Class::Media)),
        ];
        for (t, mode, want) in cases {
            assert_eq!(classify(t, *mode), *want, "{t} {mode:?}");
        }
    }

    #[test]
    fn sizes_are_read_from_ranges_and_lengths() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-99/12345"),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("100"));
        assert_eq!(range_total(&h), Some(12345));
        assert_eq!(content_length(&h), Some(100));
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-99/*"),
        );
        assert_eq!(range_total(&h), None);
    }
}
