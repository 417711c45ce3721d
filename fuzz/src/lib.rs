//! Shared pieces of the fuzz targets: input splitting and the invariants
//! every target asserts. The checks mirror what the crates promise in their
//! documentation and property tests (`crates/normalize/tests/sanitize_props.rs`);
//! a failed check panics, which libFuzzer reports as a crash.

use chrono::{DateTime, Duration, TimeZone, Utc};
use scraper::{Html, Node};
use tributary_normalize::url::SAFE_SCHEMES;
use tributary_normalize::{normalize, Options};
use tributary_parse::{parse, ParseOptions, ParsedFeed, TextKind};
use url::Url;

/// Content types a leading selector byte can choose (see [`split_content_type`]).
pub const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=utf-8"),
    Some("application/xml; charset=iso-8859-1"),
    Some("text/xml; charset=windows-1252"),
    Some("application/xml; charset=utf-16"),
    Some("text/html; charset=utf-8"),
    Some("application/feed+json"),
];

/// When the input starts with a byte below 8 (never the first byte of a seed
/// document), that byte picks a content type from [`CONTENT_TYPES`] and is
/// removed; otherwise there is no content type and the bytes are unchanged,
/// so seed files are fed exactly as they are.
pub fn split_content_type(data: &[u8]) -> (Option<&'static str>, &[u8]) {
    match data.first() {
        Some(&b) if (b as usize) < CONTENT_TYPES.len() => (CONTENT_TYPES[b as usize], &data[1..]),
        _ => (None, data),
    }
}

/// The URL every document is pretended to be fetched from.
pub fn feed_url() -> Url {
    Url::parse("https://example.com/blog/feed.xml").expect("static URL")
}

/// A fixed fetch time, so runs are deterministic.
pub fn fetched_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("static date")
}

/// Everything unsafe found in sanitized HTML, read back with an HTML parser:
/// the same rules as `violations` in `crates/normalize/tests/sanitize_props.rs`.
pub fn violations(sanitized: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = sanitized.to_ascii_lowercase();
    if lower.contains("<script") {
        found.push("raw <script".to_owned());
    }
    let doc = Html::parse_fragment(sanitized);
    for node in doc.tree.nodes() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let name = el.name();
        if matches!(
            name,
            "script" | "style" | "object" | "embed" | "form" | "input" | "button" | "foreignObject"
        ) {
            found.push(format!("element <{name}>"));
        }
        for (attr, value) in el.attrs() {
            if attr.to_ascii_lowercase().starts_with("on") {
                found.push(format!("handler {attr}"));
            }
            if matches!(attr, "srcdoc" | "formaction" | "id" | "class" | "name") {
                found.push(format!("attribute {attr}"));
            }
            if attr == "style" {
                // Allowed, but only with clean CSS (see `sanitize::css`).
                // Nothing that fetches or runs (anywhere in the value), and
                // none of the properties that escape the box (by name).
                let css = value.to_ascii_lowercase();
                let fetch_or_run = ["url(", "expression(", "\\", "/*", "@"]
                    .iter()
                    .any(|bad| css.contains(bad));
                let bad_property = css.split(';').any(|decl| {
                    let property = decl.split(':').next().unwrap_or_default().trim();
                    property.contains("binding")
                        || property.contains("behavior")
                        || matches!(property, "position" | "z-index" | "content")
                });
                if fetch_or_run || bad_property {
                    found.push(format!("style {value:?}"));
                }
            }
            if attr.eq_ignore_ascii_case("attributename")
                && value.to_ascii_lowercase().contains("href")
            {
                found.push(format!("animated {value:?}"));
            }
            let urls: Vec<&str> = match attr {
                "href" | "src" | "poster" | "cite" | "xlink:href" | "action" | "background"
                | "dynsrc" | "lowsrc" | "ping" | "longdesc" | "data" => vec![value],
                "srcset" => value.split(", ").collect(),
                _ => vec![],
            };
            // An empty value is kept on purpose (`href=""`: no scheme, no
            // target; see `clean_attribute` in the sanitizer).
            for url in urls.into_iter().filter(|u| !u.is_empty()) {
                let scheme = url.split(':').next().unwrap_or_default();
                if !SAFE_SCHEMES.contains(&scheme) {
                    found.push(format!("unsafe URL {url:?} in {name}@{attr}"));
                }
            }
        }
        if name == "iframe" {
            // Kept frames are https players on the allow-list.
            let src = el.attr("src").unwrap_or_default();
            let allowed = Url::parse(src).is_ok_and(|u| {
                u.scheme() == "https"
                    && u.host_str().is_some_and(|h| {
                        tributary_normalize::sanitize::IFRAME_HOSTS
                            .contains(&h.to_ascii_lowercase().as_str())
                    })
            });
            if !allowed {
                found.push(format!("iframe {src:?}"));
            }
        }
    }
    found
}

/// Panics (a fuzz finding) when sanitized HTML breaks the policy.
pub fn assert_safe(sanitized: &str, input: &str) {
    let bad = violations(sanitized);
    assert!(
        bad.is_empty(),
        "sanitizer let through {bad:?}\n  output: {sanitized:?}\n  input: {input:?}"
    );
}

/// Sanitize `html` with and without a base URL and check the output.
pub fn check_sanitize(html: &str) {
    let base = Url::parse("https://example.com/blog/").expect("static URL");
    for base in [Some(&base), None] {
        let out = tributary_normalize::sanitize::sanitize_html(html, base);
        assert_safe(&out, html);
    }
}

/// Feed `bytes` through parse and, when it parses, normalize; check what
/// normalize promises. Returns the parsed feed for target-specific checks.
pub fn check_parse_normalize(bytes: &[u8], content_type: Option<&str>) -> Option<ParsedFeed> {
    let url = feed_url();
    let opts = ParseOptions {
        content_type,
        url: Some(&url),
        ..ParseOptions::default()
    };
    let parsed = parse(bytes, &opts).ok()?;
    let now = fetched_at();
    let feed = normalize(&parsed, &url, now, &Options::default());

    // One normalized entry per parsed entry, in order.
    assert_eq!(feed.entries.len(), parsed.entries.len(), "entry count");
    // Keys are made unique within the document.
    let mut keys: Vec<&str> = feed.entries.iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    let before = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), before, "duplicate entry keys in one document");
    for entry in &feed.entries {
        // A date more than a day after the fetch time is distrusted.
        assert!(
            entry.published <= now + Duration::hours(24),
            "published {} is in the future of the fetch time",
            entry.published
        );
        for html in [&entry.content_html, &entry.summary_html]
            .into_iter()
            .flatten()
        {
            assert_safe(html, "<normalized entry>");
        }
    }
    // The raw HTML of the document through the sanitizer directly (no base).
    for entry in &parsed.entries {
        for text in [&entry.content, &entry.summary, &entry.title]
            .into_iter()
            .flatten()
        {
            if text.kind == TextKind::Html {
                let out = tributary_normalize::sanitize::sanitize_html(&text.value, None);
                assert_safe(&out, &text.value);
            }
        }
    }
    Some(parsed)
}
