//! Bytes (+ content type + URL) → [`ParsedFeed`]. Pure: no network, no database.
//!
//! Formats: RSS 0.9x, RSS 1.0 (RDF), RSS 2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1,
//! with iTunes, Media RSS and Podcasting 2.0 extensions. The bytes are
//! decoded to UTF-8 (BOM, HTTP charset, XML declaration), then XML goes
//! through our own single-pass streaming parser on quick-xml (`xml/`,
//! feedparser's semantics as the reference), which also repairs what real
//! feeds get wrong (HTML entities, bare `&`, control characters, mismatched
//! or missing end tags) and reports it.
//!
//! Also here because they are pure document → data functions:
//! [`opml`] (subscription lists) and [`discover`] (feed links in an HTML page).

mod date;
mod decode;
pub mod discover;
mod json;
pub mod opml;
mod sniff;
mod xml;

pub use date::parse_date;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

/// Wire format a document was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum FeedFormat {
    Rss0,
    Rss1,
    #[default]
    Rss2,
    Atom,
    JsonFeed,
}

/// Whether a text is plain text or HTML markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum TextKind {
    #[default]
    Plain,
    Html,
}

/// A piece of text with its kind. HTML is *not* sanitized here (normalize does it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Text {
    pub value: String,
    pub kind: TextKind,
    /// The media type the document gave or implied when it is not simply
    /// what `kind` says (`application/xhtml+xml`, or another MIME type of
    /// Atom content); `None` for `text/plain` / `text/html`.
    pub media_type: Option<String>,
    /// Base URL in effect for this text (`xml:base` chain over the document
    /// URL); in an entry, `None` when it is the entry's `base_url`.
    pub base: Option<String>,
    /// Language in effect for this text (`xml:lang` chain over `Content-Language`).
    pub language: Option<String>,
}

/// A link (Atom `link`, RSS `link`/`enclosure`/`atom:link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Link {
    /// Absolute when the base allowed it.
    pub href: String,
    /// `alternate` when the document gave none.
    pub rel: String,
    pub media_type: Option<String>,
    pub title: Option<String>,
    pub length: Option<u64>,
    pub hreflang: Option<String>,
}

/// A category / tag with its scheme and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Category {
    pub term: String,
    pub scheme: Option<String>,
    pub label: Option<String>,
}

/// `itunes:explicit`: `yes`/`true`, `clean`/`no`/`false`, or something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Explicit {
    Yes,
    Clean,
    Unknown,
}

/// iTunes podcast tags of a channel or an episode (what is not mapped onto
/// the common fields: `itunes:author` is an author, `itunes:summary` a
/// summary, `itunes:subtitle` a subtitle, categories and keywords are categories).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Itunes {
    /// `itunes:block` is `yes`.
    pub block: Option<bool>,
    pub explicit: Option<Explicit>,
    /// `itunes:duration` as written.
    pub duration: Option<String>,
    pub image: Option<String>,
    pub owner: Option<Person>,
    pub keywords: Vec<String>,
    /// `itunes:type` (episodic/serial), `itunes:episodeType`.
    pub kind: Option<String>,
    pub episode: Option<String>,
    pub season: Option<String>,
}

/// One Media RSS object (`media:content`, or a bare `media:thumbnail` …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MediaContent {
    pub url: Option<String>,
    pub media_type: Option<String>,
    pub medium: Option<String>,
    pub file_size: Option<u64>,
    pub duration_secs: Option<u64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bitrate: Option<String>,
    pub lang: Option<String>,
}

/// A `media:thumbnail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MediaThumbnail {
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub time: Option<String>,
}

/// A `media:credit`, `media:rating`, `media:restriction` or `media:license`:
/// text with its qualifying attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MediaQualified {
    pub content: String,
    /// `role` / `scheme` / `relationship` / `type`, by element.
    pub role: Option<String>,
    pub scheme: Option<String>,
    pub relationship: Option<String>,
    pub kind: Option<String>,
    pub href: Option<String>,
}

/// Media RSS of a channel or an item, `media:group` flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Media {
    pub content: Vec<MediaContent>,
    pub thumbnails: Vec<MediaThumbnail>,
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub credits: Vec<MediaQualified>,
    pub player: Option<MediaContent>,
    pub ratings: Vec<MediaQualified>,
    pub restriction: Option<MediaQualified>,
    pub license: Option<MediaQualified>,
    pub keywords: Vec<String>,
}

/// Podcasting 2.0 (`podcast:` namespace) tags of a channel or an episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Podcast {
    pub guid: Option<String>,
    /// `podcast:locked` is `yes`.
    pub locked: Option<bool>,
    pub locked_owner: Option<String>,
    pub funding: Vec<PodcastFunding>,
    pub persons: Vec<PodcastPerson>,
    pub transcripts: Vec<PodcastTranscript>,
    pub chapters: Option<PodcastChapters>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PodcastFunding {
    pub url: String,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PodcastPerson {
    pub name: String,
    pub role: Option<String>,
    pub group: Option<String>,
    pub img: Option<String>,
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PodcastTranscript {
    pub url: String,
    pub media_type: Option<String>,
    pub language: Option<String>,
    pub rel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PodcastChapters {
    pub url: String,
    pub media_type: Option<String>,
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
    /// `Content-Language` header of the response: the language in effect
    /// outside any `xml:lang`.
    pub content_language: Option<&'a str>,
    /// `Content-Location` header of the response: the base URL in effect
    /// outside any `xml:base` (resolved against `url`).
    pub content_location: Option<&'a str>,
    /// `Content-Type` header of the response, if any (its charset wins over the XML declaration, per RFC 7303).
    pub content_type: Option<&'a str>,
    /// URL the document was fetched from: base for relative URLs.
    pub url: Option<&'a Url>,
}

/// A parsed feed document. URLs are as resolved as the parser could make
/// them (`xml:base`, document URL); `normalize` finishes the job.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
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
    /// Atom `id` of the feed.
    pub id: Option<String>,
    /// `itunes:summary` (or Atom 0.3 `info`-less summary) of the channel.
    pub summary: Option<Text>,
    /// The channel's publication date (RSS `pubDate`) when it gave one;
    /// `updated` falls back to it.
    pub published: Option<DateTime<Utc>>,
    /// Every link of the feed, in document order.
    pub links: Vec<Link>,
    pub contributors: Vec<Person>,
    pub categories: Vec<Category>,
    /// Atom `icon` / `logo`.
    pub icon_url: Option<String>,
    pub logo_url: Option<String>,
    /// RSS `<ttl>` as written, in minutes.
    pub ttl: Option<u32>,
    /// RSS `<skipHours>`: hours (0-23, GMT) the feed asks not to be fetched in.
    /// Sorted, no duplicates; values that are not an hour are dropped
    /// (`24`, used by some RSS 0.91 feeds, is midnight, `0`).
    pub skip_hours: Vec<u8>,
    /// RSS `<skipDays>`: days (0 = Monday .. 6 = Sunday) the feed asks not to
    /// be fetched in. Sorted, no duplicates; names that are not a day are dropped.
    pub skip_days: Vec<u8>,
    /// `sy:updatePeriod` / `sy:updateFrequency`.
    pub update_period: Option<String>,
    pub update_frequency: Option<u32>,
    pub itunes: Option<Box<Itunes>>,
    pub media: Option<Box<Media>>,
    pub podcast: Option<Box<Podcast>>,
}

/// One entry/item of a parsed feed.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
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
    /// Every link of the entry, in document order (enclosures included).
    pub links: Vec<Link>,
    /// Categories with scheme and label (`categories` keeps the names).
    pub tags: Vec<Category>,
    pub contributors: Vec<Person>,
    /// `itunes:subtitle` / Atom 0.3 `subtitle` of an entry (boxed: rare).
    pub subtitle: Option<Box<Text>>,
    /// Whether `link` came from an RSS permalink `guid`.
    pub link_from_guid: bool,
    /// The entry's `language` / `dc:language`, else the `xml:lang` in effect at it.
    pub language: Option<String>,
    /// Atom `content src` (out-of-line content), resolved.
    pub content_src: Option<String>,
    pub itunes: Option<Box<Itunes>>,
    pub media: Option<Box<Media>>,
    pub podcast: Option<Box<Podcast>>,
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
///
/// The bytes are decoded (BOM, then the `charset` of `opts.content_type`,
/// then the XML declaration, else UTF-8), repaired where real feeds are
/// commonly broken, and parsed as JSON Feed when they start with `{`, else
/// as XML. A truncated or otherwise malformed XML feed still yields the
/// entries before the damage when at least one complete entry precedes it.
///
/// ```
/// let xml = br#"<rss version="2.0"><channel><title>T</title>
///   <item><title>Hello</title><link>https://example.com/1</link></item>
/// </channel></rss>"#;
/// let feed = tributary_parse::parse(xml, &Default::default()).unwrap();
/// assert_eq!(feed.entries[0].link.as_deref(), Some("https://example.com/1"));
/// ```
pub fn parse(bytes: &[u8], opts: &ParseOptions<'_>) -> Result<ParsedFeed, ParseError> {
    parse_with_report(bytes, opts).map(|(feed, _)| feed)
}

/// What [`parse_with_report`] learned about a document besides its content:
/// how it was read and whether it was well-formed as given. Used by
/// `tributary parse --json` and the conformance harness.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParseReport {
    /// Encoding the bytes were read as: the label the server or the document
    /// gave, lower-cased (`utf-8` when nothing said; `utf-16le`/`utf-16be`
    /// from a byte-order mark).
    pub encoding: String,
    /// Format and version in feedparser's vocabulary: `rss090`, `rss091n`,
    /// `rss091u`, `rss092`, `rss093`, `rss094`, `rss20`, `rss` (no version),
    /// `rss10`, `atom03`, `atom10`, `atom`, `json1`, `json11`.
    pub version: String,
    /// Why the document was not well-formed as given, when it was repaired
    /// or salvaged (feedparser's `bozo`); `None` for a clean document.
    pub repaired: Option<String>,
}

/// [`parse`], also returning a [`ParseReport`].
pub fn parse_with_report(
    bytes: &[u8],
    opts: &ParseOptions<'_>,
) -> Result<(ParsedFeed, ParseReport), ParseError> {
    let (text, info) = decode::decode_with_info(bytes, opts.content_type);
    let mut report = ParseReport {
        encoding: info.label,
        repaired: info.warning,
        ..Default::default()
    };
    if info.had_errors {
        report.repaired = Some(format!(
            "byte sequences invalid in {} were replaced",
            report.encoding
        ));
    }
    if let Some(ct) = opts.content_type {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        // What is served as plain text or HTML is not declared a feed, even when it is one.
        if mime.starts_with("text/plain") || mime.starts_with("text/html") {
            report.repaired.get_or_insert(format!(
                "served as {mime}, not as an XML or JSON media type"
            ));
        }
    }
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let mut feed = match text.as_bytes()[0] {
        b'{' | b'[' => {
            let feed = json::parse(&text, opts.url)?;
            report.version = if text.contains("jsonfeed.org/version/1.1") {
                "json11".into()
            } else {
                "json1".into()
            };
            feed
        }
        b'<' => xml::parse(&text, opts, &mut report)?,
        _ if discover::looks_like_html(text.as_bytes()) => {
            return Err(ParseError::NotAFeed("an HTML page".into()))
        }
        _ => {
            return Err(ParseError::NotAFeed(
                "plain text, neither XML nor JSON".into(),
            ))
        }
    };
    if feed.format == FeedFormat::JsonFeed {
        // The XML reader repairs these per text as it decodes (`xml::entities`).
        decode::fix_feed_text(&mut feed, &report.encoding);
    }
    Ok((feed, report))
}

/// `url` made absolute against `base` when possible, else as written (trimmed).
pub(crate) fn resolve(base: Option<&Url>, url: &str) -> String {
    let url = url.trim();
    match Url::parse(url) {
        Ok(u) => u.to_string(),
        Err(_) => match base.map(|b| b.join(url)) {
            Some(Ok(u)) => u.to_string(),
            _ => url.to_string(),
        },
    }
}

#[cfg(test)]
mod tests;
