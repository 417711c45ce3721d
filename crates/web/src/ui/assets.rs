//! The page's own CSS and JavaScript, served as same-origin static files
//! (`/static/app.css`, `/static/app.js`), and the Content-Security-Policy
//! of every response.
//!
//! No page carries inline script or inline style: the policy is
//! `script-src 'self'` and `style-src 'self'`, without `'unsafe-inline'` and
//! without hashes, so markup that slipped into a page (a sanitizer bug, a
//! template mistake) cannot run. The asset URLs carry a version (the first
//! hex digits of the file's SHA-256) so they can be cached for a year and
//! still change with the binary.
//!
//! The one page with inline style is the river digest (`/river`, rendered by
//! the publish crate as a self-contained page): its policy allows exactly
//! that `<style>` element by its SHA-256 hash, and no script at all.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::AppState;

/// The stylesheet, served at [`app_css_url`].
pub const APP_CSS: &str = include_str!("../../assets/app.css");
/// The script, served at [`app_js_url`]. Static: it reads what it needs
/// from `data-*` attributes and the `csrf-token` meta tag.
pub const APP_JS: &str = include_str!("../../assets/app.js");

/// Where the script is served (without the version query).
pub const APP_JS_PATH: &str = "/static/app.js";
/// Where the stylesheet is served (without the version query).
pub const APP_CSS_PATH: &str = "/static/app.css";

/// How long browsers may keep the versioned assets.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

/// `'sha256-…'` of `source`, as CSP wants it.
pub fn csp_hash(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The first 16 hex digits of the SHA-256 of `source`: the asset's version.
fn version(source: &str) -> String {
    hex::encode(Sha256::digest(source.as_bytes()))[..16].to_owned()
}

static APP_JS_URL: LazyLock<String> =
    LazyLock::new(|| format!("{APP_JS_PATH}?v={}", version(APP_JS)));
static APP_CSS_URL: LazyLock<String> =
    LazyLock::new(|| format!("{APP_CSS_PATH}?v={}", version(APP_CSS)));
static APP_JS_ETAG: LazyLock<String> = LazyLock::new(|| format!("\"{}\"", version(APP_JS)));
static APP_CSS_ETAG: LazyLock<String> = LazyLock::new(|| format!("\"{}\"", version(APP_CSS)));

/// The script's URL with its version (`/static/app.js?v=…`); the templates
/// get it as the global `app_js`.
pub fn app_js_url() -> &'static str {
    &APP_JS_URL
}

/// The stylesheet's URL with its version; the templates' global `app_css`.
pub fn app_css_url() -> &'static str {
    &APP_CSS_URL
}

/// The hosts of [`tributary_normalize::sanitize::IFRAME_HOSTS`] over https:
/// the only frames the sanitizer keeps (sandboxed players), and so the only
/// frames the policy allows.
fn frame_sources() -> String {
    tributary_normalize::sanitize::IFRAME_HOSTS
        .iter()
        .map(|h| format!("https://{h}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What every policy says besides its script and style sources.
const COMMON: &str = "object-src 'none'; base-uri 'none'; form-action 'self'; \
                      frame-ancestors 'none'";

/// The UI's policy with these image and media sources.
fn ui_policy(img_src: &str, media_src: &str) -> HeaderValue {
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src {img_src}; \
         media-src {media_src}; frame-src {}; connect-src 'self'; {COMMON}",
        frame_sources()
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

static CSP: LazyLock<HeaderValue> = LazyLock::new(|| ui_policy("* data:", "*"));

/// With the media proxy on for images: images only from this server.
static CSP_PROXIED_IMAGES: LazyLock<HeaderValue> = LazyLock::new(|| ui_policy("'self' data:", "*"));

/// With the media proxy on for images, audio and video.
static CSP_PROXIED_ALL: LazyLock<HeaderValue> =
    LazyLock::new(|| ui_policy("'self' data:", "'self'"));

/// The policy of a page whose media go through the media proxy (`all`:
/// audio and video too): the browser itself then refuses anything the
/// rewrite missed.
pub fn proxied_policy(all: bool) -> &'static HeaderValue {
    if all {
        &CSP_PROXIED_ALL
    } else {
        &CSP_PROXIED_IMAGES
    }
}

/// For the river digest (`/river`), which carries its own `<style>`: no
/// script at all, exactly that style by its hash.
static CSP_DIGEST: LazyLock<HeaderValue> = LazyLock::new(|| {
    let policy = format!(
        "default-src 'none'; script-src 'none'; style-src {}; img-src * data:; \
         media-src *; {COMMON}",
        csp_hash(tributary_publish::digest::html_style())
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

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

/// `/static/app.js` and `/static/app.css`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            APP_JS_PATH,
            get(|headers: HeaderMap| async move {
                asset(
                    &headers,
                    "text/javascript; charset=utf-8",
                    &APP_JS_ETAG,
                    APP_JS,
                )
            }),
        )
        .route(
            APP_CSS_PATH,
            get(|headers: HeaderMap| async move {
                asset(&headers, "text/css; charset=utf-8", &APP_CSS_ETAG, APP_CSS)
            }),
        )
}

/// One asset, answered `304 Not Modified` when the client has it.
fn asset(
    headers: &HeaderMap,
    media_type: &'static str,
    etag: &str,
    body: &'static str,
) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag = HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let common = [
        (header::CACHE_CONTROL, HeaderValue::from_static(ASSET_CACHE)),
        (header::ETAG, etag),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
        body,
    )
        .into_response()
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
    fn the_policy_allows_same_origin_script_and_style_only() {
        let csp = content_security_policy().to_str().unwrap().to_owned();
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        for directive in [
            "script-src 'self';",
            "style-src 'self';",
            "object-src 'none';",
            "base-uri 'none';",
            "form-action 'self';",
            "frame-ancestors 'none'",
            // The script's fetch() calls go back to this site only.
            "connect-src 'self';",
            " https://www.youtube.com ",
            "frame-src https://",
        ] {
            assert!(csp.contains(directive), "{directive} missing from {csp}");
        }
        for loose in ["unsafe-inline", "unsafe-eval", "'sha256-", "http:"] {
            assert!(!csp.contains(loose), "{loose} in {csp}");
        }
        // A known vector: sha256("") in base64.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    #[test]
    fn the_digest_page_gets_a_policy_without_scripts_and_with_its_style_hash() {
        let river = policy_for("/river").to_str().unwrap();
        assert!(river.contains("script-src 'none';"), "{river}");
        assert!(
            river.contains(&format!(
                "style-src {};",
                csp_hash(tributary_publish::digest::html_style())
            )),
            "{river}"
        );
        assert!(!river.contains("unsafe-inline"), "{river}");
        assert!(river.contains("frame-ancestors 'none'") && river.contains("object-src 'none'"));
        assert_eq!(policy_for("/"), content_security_policy());
        assert_eq!(policy_for("/riverside"), content_security_policy());
    }

    #[test]
    fn the_proxied_policies_allow_media_from_this_server_only() {
        let images = proxied_policy(false).to_str().unwrap();
        assert!(images.contains("img-src 'self' data:;"), "{images}");
        assert!(images.contains("media-src *;"), "{images}");
        let all = proxied_policy(true).to_str().unwrap();
        assert!(
            all.contains("img-src 'self' data:;") && all.contains("media-src 'self';"),
            "{all}"
        );
        for p in [images, all] {
            assert!(
                p.contains("script-src 'self';") && p.contains("frame-ancestors 'none'"),
                "{p}"
            );
        }
        let ui = content_security_policy().to_str().unwrap();
        assert!(ui.contains("img-src * data:;"), "{ui}");
    }

    #[test]
    fn asset_urls_are_versioned_by_content() {
        assert_eq!(
            app_js_url(),
            format!("/static/app.js?v={}", version(APP_JS))
        );
        assert_eq!(app_css_url().len(), "/static/app.css?v=".len() + 16);
        assert_ne!(version(APP_JS), version(APP_CSS));
    }
}
