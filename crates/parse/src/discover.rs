//! Feed discovery: the feeds an HTML page links to with `<link rel="alternate">`.

use scraper::{Html, Selector};
use url::Url;

/// A feed link found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// Absolute URL of the feed.
    pub url: Url,
    pub title: Option<String>,
    /// The `type` attribute (`application/rss+xml` …).
    pub mime_type: String,
}

/// Feed MIME types announced by `<link rel="alternate" type=…>`.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
];

/// Whether a document looks like an HTML page rather than a feed: its first
/// markup (after a BOM, white space, an XML declaration and comments) is an
/// HTML doctype or an `<html>`, `<head>` or `<body>` tag.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    loop {
        if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => rest = after[end + 3..].trim_start(),
                None => return false,
            }
        } else if rest.starts_with("<?") {
            match rest.find("?>") {
                Some(end) => rest = rest[end + 2..].trim_start(),
                None => return false,
            }
        } else {
            break;
        }
    }
    ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|p| rest.starts_with(p))
}

/// The feeds a page announces, in document order, duplicates removed, resolved against `<base href>` or `page_url`.
///
/// A link counts when its `rel` has the token `alternate` (any case, among
/// other tokens) and its `type` is a feed type. WordPress's REST API links
/// (`type="application/json"` under `/wp-json/`) are not feeds and are skipped.
pub fn discover(html: &str, page_url: &Url) -> Vec<FeedLink> {
    let doc = Html::parse_document(html);
    let (Ok(base_sel), Ok(link_sel)) =
        (Selector::parse("base[href]"), Selector::parse("link[href]"))
    else {
        return Vec::new();
    };
    let base = doc
        .select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());

    let mut found: Vec<FeedLink> = Vec::new();
    for link in doc.select(&link_sel) {
        let el = link.value();
        let is_alternate = el.attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let mime = el
            .attr("type")
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if !is_alternate || !FEED_TYPES.contains(&mime.as_str()) {
            continue;
        }
        let Some(url) = el.attr("href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        if mime == "application/json" && url.path().contains("/wp-json/") {
            continue;
        }
        if found.iter().any(|f| f.url == url) {
            continue;
        }
        let title = el
            .attr("title")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        found.push(FeedLink {
            url,
            title,
            mime_type: mime,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://example.com/blog/post.html").expect("static URL")
    }

    #[test]
    fn finds_feeds_with_multi_token_rel_and_base() {
        let html = r#"<!DOCTYPE html><html><head>
            <base href="https://cdn.example.com/root/">
            <link rel="stylesheet" href="s.css">
            <link rel="Alternate  Home" type="application/RSS+xml" title=" RSS " href="feed.xml">
            <link rel="alternate" type="application/atom+xml" href="/atom.xml">
            <link rel="alternate" type="application/rss+xml" href="feed.xml">
            <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">
            <link rel="alternate" type="text/html" href="/fr/">
            </head><body></body></html>"#;
        let links = discover(html, &page());
        let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://cdn.example.com/root/feed.xml",
                "https://cdn.example.com/atom.xml"
            ]
        );
        assert_eq!(links[0].title.as_deref(), Some("RSS"));
        assert_eq!(links[0].mime_type, "application/rss+xml");
    }

    #[test]
    fn relative_to_page_without_base() {
        let html = r#"<link rel="alternate" type="application/feed+json" href="feed.json">"#;
        let links = discover(html, &page());
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].url.as_str(), "https://example.com/blog/feed.json");
    }

    #[test]
    fn html_sniffing() {
        assert!(looks_like_html(b"\n<!DOCTYPE html><html>"));
        assert!(looks_like_html(
            b"<?xml version=\"1.0\"?>\n<!-- x --><html xmlns=\"http://www.w3.org/1999/xhtml\">"
        ));
        assert!(looks_like_html(b"<HTML><HEAD>"));
        assert!(!looks_like_html(
            b"<?xml version=\"1.0\"?><rss version=\"2.0\">"
        ));
        assert!(!looks_like_html(
            b"{\"version\": \"https://jsonfeed.org/version/1.1\"}"
        ));
        assert!(!looks_like_html(b""));
    }
}
