//! Bytes (+ content type + URL) → [`ParsedFeed`]. Pure: no network, no database.
//!
//! Formats: RSS 0.9x, RSS 1.0 (RDF), RSS 2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1,
//! with iTunes/podcast extensions. The heavy lifting is done by `feed-rs`;
//! this crate decodes the bytes to UTF-8 first (BOM, HTTP charset, XML
//! declaration), repairs what real feeds get wrong (blank lines before
//! `<?xml`, HTML entities, bare `&`, control characters, invalid UTF-8), and
//! maps the result into our own types so the parser can be swapped.
//!
//! Also here because they are pure document → data functions:
//! [`opml`] (subscription lists) and [`discover`] (feed links in an HTML page).

pub mod discover;
pub mod opml;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

/// Wire format a document was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FeedFormat {
    Rss0,
    Rss1,
    Rss2,
    Atom,
    JsonFeed,
}

/// Whether a text is plain text or HTML markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextKind {
    Plain,
    Html,
}

/// A piece of text with its kind. HTML is *not* sanitized here (normalize does it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub value: String,
    pub kind: TextKind,
}

/// A person (author/contributor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
    pub uri: Option<String>,
}

/// A media attachment as found in the document (URL may be relative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ParsedEnclosure {
    pub url: String,
    pub mime_type: Option<String>,
    pub length: Option<u64>,
    pub duration_secs: Option<u64>,
}

/// Options for [`parse`].
#[derive(Debug, Clone, Default)]
pub struct ParseOptions<'a> {
    /// `Content-Type` header of the response, if any (its charset wins over the XML declaration, per RFC 7303).
    pub content_type: Option<&'a str>,
    /// URL the document was fetched from: base for relative URLs.
    pub url: Option<&'a Url>,
}

/// A parsed feed document. URLs are as resolved as the parser could make
/// them (`xml:base`, document URL); `normalize` finishes the job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    pub title: Option<Text>,
    /// The site's home page (RSS `<link>`, Atom `rel=alternate`, JSON `home_page_url`).
    pub site_url: Option<String>,
    /// `rel=self` / JSON `feed_url` (informational only, never a move signal).
    pub self_url: Option<String>,
    pub description: Option<Text>,
    pub language: Option<String>,
    pub image_url: Option<String>,
    /// `itunes:new-feed-url`.
    pub new_feed_url: Option<String>,
    /// RSS `<ttl>` in minutes (or syndication module period).
    pub ttl_minutes: Option<u32>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<Person>,
    pub entries: Vec<ParsedEntry>,
}

/// One entry/item of a parsed feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedEntry {
    /// guid / id as in the document, trimmed; `None` when absent or empty.
    pub id: Option<String>,
    pub title: Option<Text>,
    /// The entry's alternate link (RSS `<link>`, Atom `rel=alternate`, JSON `url`).
    pub link: Option<String>,
    pub authors: Vec<Person>,
    /// Full content (`content:encoded`, Atom `content`, JSON `content_html`/`content_text`).
    pub content: Option<Text>,
    /// Summary (`description`, Atom `summary`, JSON `summary`).
    pub summary: Option<Text>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    pub enclosures: Vec<ParsedEnclosure>,
    /// Entry image (itunes:image, media:thumbnail, JSON `image`).
    pub image_url: Option<String>,
    /// Base URL in effect for this entry's relative URLs (`xml:base`, else the document URL).
    pub base_url: Option<String>,
}

/// Why a document could not be parsed. Messages name what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("the document is empty")]
    Empty,
    #[error("not a feed: the document is {0}")]
    NotAFeed(String),
    #[error("malformed XML feed: {0}")]
    Xml(String),
    #[error("malformed JSON feed: {0}")]
    Json(String),
}

impl ParseError {
    /// Stable machine-readable code (stored as the feed's `last_error_code`).
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Empty => "feed_empty",
            ParseError::NotAFeed(_) => "not_a_feed",
            ParseError::Xml(_) => "feed_malformed_xml",
            ParseError::Json(_) => "feed_malformed_json",
        }
    }
}

/// Parse one feed document.
pub fn parse(bytes: &[u8], opts: &ParseOptions<'_>) -> Result<ParsedFeed, ParseError> {
    let _ = (bytes, opts);
    todo!("parse helper implements this")
}
