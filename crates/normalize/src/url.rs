//! Absolute and canonical URLs.
//!
//! * [`absolutize`] turns whatever a feed wrote in a link attribute into an
//!   absolute URL we are willing to show, or `None`.
//! * [`canonical_url`] is the form used to recognise the same article behind
//!   slightly different links (DESIGN.md "Identity and duplicates"): the store
//!   compares it within a feed, outputs compare it across feeds.

use url::Url;

/// URL schemes a link in feed content may use. Everything else (notably
/// `javascript:`, `vbscript:`, `data:`, `file:`) is refused: none of these
/// can run script in the reader's page.
pub const SAFE_SCHEMES: &[&str] = &[
    "http", "https", "mailto", "tel", "ftp", "magnet", "xmpp", "irc", "ircs", "news", "geo",
    "webcal", "sms",
];

/// Query parameters that only track the click and never select content.
/// Matched case-insensitively on the decoded name. Deliberately short: a
/// parameter is listed only when it is known to be a tracker everywhere.
/// `ref` is *not* here: GitHub (`?ref=main`) and others use it for content.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",      // Facebook
    "gclid",       // Google Ads
    "dclid",       // Google Display
    "gbraid",      // Google Ads (iOS)
    "wbraid",      // Google Ads (iOS)
    "msclkid",     // Microsoft Ads
    "yclid",       // Yandex
    "igshid",      // Instagram share
    "mc_cid",      // Mailchimp campaign
    "mc_eid",      // Mailchimp subscriber
    "_hsenc",      // HubSpot
    "_hsmi",       // HubSpot
    "mkt_tok",     // Marketo
    "oly_anon_id", // Omeda
    "oly_enc_id",  // Omeda
    "vero_id",     // Vero
    "_ga",         // Google Analytics cross-domain linker
    "_gl",         // Google Analytics cross-domain linker
];

/// Make `raw` an absolute URL.
///
/// Rules: surrounding white space is trimmed (tabs and newlines inside are
/// removed by the URL parser, as browsers do); an empty string gives `None`;
/// a relative reference is resolved against `base` (and gives `None` without
/// one); the result must use one of [`SAFE_SCHEMES`]. The returned string is
/// the URL parser's serialization (host lower-cased, spaces percent-encoded).
pub fn absolutize(raw: &str, base: Option<&Url>) -> Option<String> {
    parse_absolute(raw, base)
        .filter(|url| SAFE_SCHEMES.contains(&url.scheme()))
        .map(String::from)
}

/// Like [`absolutize`], restricted to `http` and `https`: for things a browser
/// fetches (images, media, frames) and for feed/site addresses.
pub fn absolutize_http(raw: &str, base: Option<&Url>) -> Option<String> {
    parse_absolute(raw, base).filter(is_http).map(String::from)
}

/// Parse `raw` as an absolute URL, resolving it against `base` when relative.
pub(crate) fn parse_absolute(raw: &str, base: Option<&Url>) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match Url::parse(raw) {
        Ok(url) => Some(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(raw).ok(),
        Err(_) => None,
    }
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// The canonical form of an absolute `http(s)` link, for duplicate detection.
///
/// Returns `None` for relative references, unparsable input and other schemes.
/// Rules, in order:
///
/// 1. Parsed by the WHATWG URL parser, which already lower-cases the scheme and
///    the host (IDNA hosts become punycode), drops the default port, resolves
///    `.`/`..` path segments and gives an empty path as `/`.
/// 2. `http` is folded to `https`: sites that change generator usually move to
///    https at the same time, and no site serves different articles on the
///    two schemes. A port that becomes the default (`http://h:443`) is dropped.
/// 3. A trailing dot on the host (`example.com.`) is removed. `www.` is *not*
///    removed: `www.example.com` and `example.com` may be different sites.
/// 4. The fragment is dropped, except client-side routes (`#!/post/1`,
///    `#/post/1`), which single-page sites use to tell articles apart.
/// 5. Tracking query parameters are dropped: every `utm_*` and the well-known
///    click identifiers listed in the source (`fbclid`, `gclid`, `mc_cid` …).
///    Empty pairs (`&&`) are dropped too; the other pairs keep their order and
///    their exact encoding. An empty query loses its `?`.
/// 6. The path is kept as written: a trailing `/` is significant, and
///    `index.html` is not folded.
///
/// The function is idempotent: `canonical_url(canonical_url(x)) == canonical_url(x)`.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !is_http(&url) {
        return None;
    }
    if url.scheme() == "http" {
        // Cannot fail: http and https are both special schemes.
        url.set_scheme("https").ok()?;
    }
    if let Some(host) = url.host_str() {
        if host.len() > 1 && host.ends_with('.') {
            let trimmed = host.trim_end_matches('.').to_owned();
            if !trimmed.is_empty() {
                // A host the parser accepted stays valid without its final dot.
                url.set_host(Some(&trimmed)).ok()?;
            }
        }
    }
    let keep_fragment = url
        .fragment()
        .is_some_and(|f| f.starts_with('!') || f.starts_with('/'));
    if !keep_fragment {
        url.set_fragment(None);
    }
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty() && !is_tracking_pair(pair))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            let joined = kept.join("&");
            url.set_query(Some(&joined));
        }
    }
    Some(url.into())
}

/// Whether one `name=value` pair of a query string is a known tracker.
fn is_tracking_pair(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or(pair);
    // Decode `%5F` and friends so an encoded name is recognised too.
    let name: String = url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(k, _)| k.to_ascii_lowercase())
        .unwrap_or_default();
    is_tracking_param(&name)
}

/// Whether a query parameter, by its decoded lower-case name, only tracks
/// the click: every `utm_*` and the identifiers of `TRACKING_PARAMS`
/// (`fbclid`, `gclid`, `mc_cid` …). The privacy crate adds its own to these.
pub fn is_tracking_param(lower_name: &str) -> bool {
    lower_name.starts_with("utm_") || TRACKING_PARAMS.contains(&lower_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.com/blog/feed.xml").unwrap()
    }

    #[test]
    fn absolutize_table() {
        let b = base();
        let cases: &[(&str, Option<&Url>, Option<&str>)] = &[
            ("post/1", Some(&b), Some("https://example.com/blog/post/1")),
            ("/about", Some(&b), Some("https://example.com/about")),
            (
                "//cdn.example.org/a.png",
                Some(&b),
                Some("https://cdn.example.org/a.png"),
            ),
            (
                "  https://Example.COM/x  ",
                None,
                Some("https://example.com/x"),
            ),
            (
                "https://example.com/a b",
                None,
                Some("https://example.com/a%20b"),
            ),
            ("mailto:me@example.com", None, Some("mailto:me@example.com")),
            ("post/1", None, None),
            ("", Some(&b), None),
            ("   ", Some(&b), None),
            ("javascript:alert(1)", Some(&b), None),
            (" JavaScript:alert(1)", Some(&b), None),
            ("java\tscript:alert(1)", Some(&b), None),
            ("vbscript:msgbox(1)", Some(&b), None),
            ("data:text/html,<script>", Some(&b), None),
            ("file:///etc/passwd", Some(&b), None),
            ("http://[::1", Some(&b), None),
        ];
        for (raw, base, want) in cases {
            assert_eq!(
                absolutize(raw, *base).as_deref(),
                *want,
                "absolutize({raw:?})"
            );
        }
    }

    #[test]
    fn absolutize_http_refuses_other_schemes() {
        assert_eq!(absolutize_http("mailto:me@example.com", None), None);
        assert_eq!(absolutize_http("ftp://example.com/f", None), None);
        assert_eq!(
            absolutize_http("img.png", Some(&base())).as_deref(),
            Some("https://example.com/blog/img.png")
        );
    }

    #[test]
    fn canonical_table() {
        let cases: &[(&str, Option<&str>)] = &[
            // scheme and host lower-cased, http folded to https
            ("HTTP://Example.COM/Path", Some("https://example.com/Path")),
            ("http://example.com/a", Some("https://example.com/a")),
            // default ports dropped, including one that becomes default
            ("https://example.com:443/a", Some("https://example.com/a")),
            ("http://example.com:80/a", Some("https://example.com/a")),
            ("http://example.com:443/a", Some("https://example.com/a")),
            ("http://example.com:8080/a", Some("https://example.com:8080/a")),
            // empty path is "/"
            ("https://example.com", Some("https://example.com/")),
            // fragment dropped, client-side routes kept
            ("https://example.com/a#comments", Some("https://example.com/a")),
            ("https://example.com/#!/post/1", Some("https://example.com/#!/post/1")),
            ("https://example.com/#/post/1", Some("https://example.com/#/post/1")),
            // tracking parameters dropped, others kept in order
            (
                "https://example.com/a?utm_source=rss&utm_medium=feed",
                Some("https://example.com/a"),
            ),
            (
                "https://example.com/a?b=2&utm_campaign=x&a=1&fbclid=abc",
                Some("https://example.com/a?b=2&a=1"),
            ),
            ("https://example.com/a?UTM_Source=x&id=3", Some("https://example.com/a?id=3")),
            ("https://example.com/a?utm%5Fsource=x&id=3", Some("https://example.com/a?id=3")),
            (
                "https://example.com/a?gclid=1&msclkid=2&yclid=3&igshid=4&mc_cid=5&mc_eid=6&_hsenc=7&_hsmi=8",
                Some("https://example.com/a"),
            ),
            ("https://github.com/o/r/blob/x?ref=main", Some("https://github.com/o/r/blob/x?ref=main")),
            ("https://example.com/a?&&id=1&", Some("https://example.com/a?id=1")),
            ("https://example.com/a?", Some("https://example.com/a")),
            // path kept as written
            ("https://example.com/a/", Some("https://example.com/a/")),
            ("https://example.com/a/index.html", Some("https://example.com/a/index.html")),
            ("https://example.com/a/./b/../c", Some("https://example.com/a/c")),
            // trailing dot on the host
            ("https://example.com./a", Some("https://example.com/a")),
            // refused
            ("/relative", None),
            ("mailto:me@example.com", None),
            ("javascript:alert(1)", None),
            ("", None),
        ];
        for (raw, want) in cases {
            assert_eq!(
                canonical_url(raw).as_deref(),
                *want,
                "canonical_url({raw:?})"
            );
        }
    }

    #[test]
    fn canonical_is_idempotent_on_table() {
        for raw in [
            "HTTP://Example.COM:80/a?utm_x=1&b=%20c#frag",
            "https://example.com/#!/x?utm_source=1",
            "http://xn--bcher-kva.example/ä?q=ü",
        ] {
            let once = canonical_url(raw).unwrap();
            assert_eq!(canonical_url(&once).as_deref(), Some(once.as_str()));
        }
    }
}
