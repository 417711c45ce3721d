//! Conditional GET for the outputs: a strong ETag from the body, and
//! `If-None-Match` (a list, or `*`) answered with 304.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};

/// The quoted ETag of a body: the first 16 bytes of its SHA-256, in hex.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether the request's `If-None-Match` matches `etag` (weak comparison,
/// as RFC 9110 asks for this header).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let wanted = strip(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn etags_are_quoted_and_change_with_the_body() {
        let a = etag(b"one");
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert_ne!(a, etag(b"two"));
    }

    #[test]
    fn if_none_match_lists_star_and_weak_tags() {
        let e = etag(b"one");
        assert!(not_modified(&with("*"), &e));
        let list: &'static str = Box::leak(format!("\"x\", W/{e}").into_boxed_str());
        assert!(not_modified(&with(list), &e));
        assert!(!not_modified(&with("\"x\", \"y\""), &e));
        assert!(!not_modified(&HeaderMap::new(), &e));
    }
}
