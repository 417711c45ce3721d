//! The page's own CSS and JavaScript (inlined into every page by
//! `base.html`, so a page loads in one round trip) and the
//! Content-Security-Policy that allows exactly them, by SHA-256 hash.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The stylesheet, inlined in `<style>`.
pub const APP_CSS: &str = include_str!("../../assets/app.css");
/// The script, inlined in `<script>`. Static: it reads what it needs from
/// `data-*` attributes and the `csrf-token` meta tag, so one hash covers it.
pub const APP_JS: &str = include_str!("../../assets/app.js");

/// `'sha256-…'` of `source`, as CSP wants it.
pub fn csp_hash(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let policy = format!(
        "default-src 'none'; img-src * data:; media-src *; style-src {}; script-src {}; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        csp_hash(APP_CSS),
        csp_hash(APP_JS)
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

/// For pages rendered from the publish crate's digest template (`/river`),
/// which carries its own `<style>` (and may be overridden by the user): no
/// script at all, inline style allowed.
static CSP_DIGEST: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; img-src * data:; media-src *; style-src 'unsafe-inline'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
);

/// The Content-Security-Policy of every UI response.
pub fn content_security_policy() -> &'static HeaderValue {
    &CSP
}

/// The policy for a response to `path`: the digest page's own, or the UI's.
pub fn policy_for(path: &str) -> &'static HeaderValue {
    if path == "/river" || path.starts_with("/river/") {
        &CSP_DIGEST
    } else {
        &CSP
    }
}

/// Middleware: adds the Content-Security-Policy (unless the handler set
/// its own) and the usual hardening headers to every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let policy = policy_for(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| policy.clone());
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_hashes_of_both_assets() {
        let csp = content_security_policy().to_str().unwrap().to_owned();
        assert!(csp.contains(&format!("style-src {};", csp_hash(APP_CSS))));
        assert!(csp.contains(&format!("script-src {};", csp_hash(APP_JS))));
        assert!(csp.starts_with("default-src 'none';"));
        // The script's fetch() calls go back to this site only.
        assert!(csp.contains("connect-src 'self';"));
        // A known vector: sha256("") in base64.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    #[test]
    fn the_digest_page_gets_a_policy_without_scripts() {
        let river = policy_for("/river").to_str().unwrap();
        assert!(river.contains("style-src 'unsafe-inline'"));
        assert!(!river.contains("script-src"));
        assert_eq!(policy_for("/"), content_security_policy());
        assert_eq!(policy_for("/riverside"), content_security_policy());
    }

    #[test]
    fn the_script_is_static_and_safe_to_inline() {
        for marker in ["{{", "{%", "{#", "</script", "</style"] {
            assert!(!APP_JS.contains(marker), "app.js contains {marker}");
            assert!(!APP_CSS.contains(marker), "app.css contains {marker}");
        }
    }
}
