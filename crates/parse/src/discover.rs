//! Feed discovery: the feeds an HTML page links to with `<link rel="alternate">`.

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

/// Whether a document looks like an HTML page rather than a feed.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let _ = bytes;
    todo!()
}

/// The feeds a page announces, in document order, duplicates removed, resolved against `<base href>` or `page_url`.
pub fn discover(html: &str, page_url: &Url) -> Vec<FeedLink> {
    let _ = (html, page_url);
    todo!()
}
