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

mod date;
mod decode;
pub mod discover;
mod extras;
mod json;
mod map;
pub mod opml;
mod sniff;

pub use date::parse_date;

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
        b'<' => parse_xml(&text, opts, &mut report)?,
        _ if discover::looks_like_html(text.as_bytes()) => {
            return Err(ParseError::NotAFeed("an HTML page".into()))
        }
        _ => {
            return Err(ParseError::NotAFeed(
                "plain text, neither XML nor JSON".into(),
            ))
        }
    };
    decode::fix_feed_text(&mut feed, &report.encoding);
    Ok((feed, report))
}

/// feedparser's name for the format and version of a document with this root.
fn version_name(root: &sniff::Root, text: &str, is_atom03: bool) -> String {
    let version = root.version.as_deref().unwrap_or_default();
    match root.local.as_str() {
        "rss" => match version {
            "0.91" if text.contains("my.netscape.com/publish/formats/rss-0.91.dtd") => {
                "rss091n".into()
            }
            "0.91" => "rss091u".into(),
            "0.92" => "rss092".into(),
            "0.93" => "rss093".into(),
            "0.94" => "rss094".into(),
            v if v.starts_with('2') => "rss20".into(),
            _ => "rss".into(),
        },
        "RDF" if text.contains("my.netscape.com/rdf/simple/0.9/") => "rss090".into(),
        "RDF" => "rss10".into(),
        _ if is_atom03 => "atom03".into(),
        _ if text.contains("http://www.w3.org/2005/Atom") => "atom10".into(),
        _ => "atom".into(),
    }
}

/// XML path: repair, identify the root, let feed-rs parse, map.
fn parse_xml(
    text: &str,
    opts: &ParseOptions<'_>,
    report: &mut ParseReport,
) -> Result<ParsedFeed, ParseError> {
    let repaired = decode::repair(text);
    if repaired != text && report.repaired.is_none() {
        report.repaired =
            Some("undeclared entities, bare '&' or control characters were repaired".into());
    }
    let root = sniff::root(&repaired)?;
    let (format, rewrite_version) = match (root.local.as_str(), root.version.as_deref()) {
        ("rss", Some("0.91" | "0.92")) => (FeedFormat::Rss0, false),
        ("rss", Some(v)) if v.starts_with("0.9") => (FeedFormat::Rss0, true),
        ("rss", Some("2.0")) => (FeedFormat::Rss2, false),
        ("rss", _) => (FeedFormat::Rss2, true),
        ("RDF", _) => (FeedFormat::Rss1, false),
        ("feed" | "entry", _) => (FeedFormat::Atom, false),
        ("opml", _) => return Err(ParseError::NotAFeed("an OPML subscription list".into())),
        _ => {
            return Err(ParseError::NotAFeed(format!(
                "an XML document whose root element is <{}>",
                root.qname
            )))
        }
    };
    // feed-rs only accepts RSS versions 0.91, 0.92 and 2.0; other version
    // strings ("0.94", "2.00", none) are read as RSS 2.0, which is a superset.
    let is_atom03 = root.local == "feed"
        && (root.version.as_deref().is_some_and(|v| v.starts_with("0."))
            || repaired.contains(ATOM03_NS));
    report.version = version_name(&root, &repaired, is_atom03);
    let xml = if rewrite_version {
        std::borrow::Cow::Owned(with_rss_version(&repaired, &root))
    } else if is_atom03 {
        std::borrow::Cow::Owned(atom03_as_atom10(&repaired))
    } else {
        repaired
    };
    match run_feed_rs(&xml, opts) {
        Ok(feed) => Ok(map::map_feed(feed, format, &xml, opts.url)),
        // `<rss></rss>` or `<rss><channel/>`-less: the root says this is a
        // feed, it just has nothing in it yet (new or emptied feeds do this).
        Err(ParseError::NotAFeed(_)) => Ok(empty_feed(format)),
        Err(err) => {
            // Salvage the complete entries before the first syntax error.
            if let Some(truncated) = truncate_before_error(&xml, &root) {
                if let Ok(feed) = run_feed_rs(&truncated, opts) {
                    if !feed.entries.is_empty() {
                        report.repaired = Some(format!(
                            "{err}; kept the {} complete entries before it",
                            feed.entries.len()
                        ));
                        return Ok(map::map_feed(feed, format, &truncated, opts.url));
                    }
                }
            }
            Err(err)
        }
    }
}

/// Parse with feed-rs configured for us: no generated ids (ours must be the
/// document's own), no sanitizing (normalize does it), our lenient dates.
fn run_feed_rs(xml: &str, opts: &ParseOptions<'_>) -> Result<feed_rs::model::Feed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(opts.url.map(Url::as_str))
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(date::parse_date)
        .build();
    parser.parse(xml.as_bytes()).map_err(|e| {
        use feed_rs::parser::{ParseErrorKind, ParseFeedError};
        match e {
            ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
                ParseError::NotAFeed("an XML document without a feed channel".into())
            }
            ParseFeedError::JsonSerde(e) => ParseError::Json(e.to_string()),
            other => ParseError::Xml(match sniff::first_error(xml) {
                Some((pos, msg)) => format!("{msg} at byte {pos}"),
                None => other.to_string(),
            }),
        }
    })
}

/// A feed of `format` with nothing in it.
fn empty_feed(format: FeedFormat) -> ParsedFeed {
    ParsedFeed {
        format,
        title: None,
        site_url: None,
        self_url: None,
        description: None,
        language: None,
        image_url: None,
        new_feed_url: None,
        ttl_minutes: None,
        updated: None,
        authors: Vec::new(),
        entries: Vec::new(),
    }
}

const ATOM03_NS: &str = "http://purl.org/atom/ns#";

/// Atom 0.3 rewritten as Atom 1.0, which feed-rs reads: the namespace, the
/// renamed elements (`issued`, `modified`, `tagline`) and the MIME-type
/// values 0.3 used for text constructs.
fn atom03_as_atom10(xml: &str) -> String {
    const RENAMES: &[(&str, &str)] = &[
        (ATOM03_NS, "http://www.w3.org/2005/Atom"),
        ("<issued>", "<published>"),
        ("</issued>", "</published>"),
        ("<modified>", "<updated>"),
        ("</modified>", "</updated>"),
        ("<tagline", "<subtitle"),
        ("</tagline>", "</subtitle>"),
        (" type=\"text/plain\"", " type=\"text\""),
        (" type=\"application/xhtml+xml\"", " type=\"xhtml\""),
    ];
    RENAMES
        .iter()
        .fold(xml.to_string(), |doc, (from, to)| doc.replace(from, to))
}

/// The document with the root start tag's `version` set to "2.0".
fn with_rss_version(xml: &str, root: &sniff::Root) -> String {
    let tag = xml.get(root.tag_start..root.tag_end).unwrap_or_default();
    let mut new_tag = format!("<{}", root.qname);
    let mut reader = quick_xml::Reader::from_str(tag);
    if let Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) =
        reader.read_event()
    {
        for attr in e.attributes().flatten() {
            if attr.key.as_ref() != b"version" {
                new_tag.push(' ');
                new_tag.push_str(&String::from_utf8_lossy(attr.key.as_ref()));
                new_tag.push_str("=\"");
                new_tag.push_str(&String::from_utf8_lossy(&attr.value).replace('"', "&quot;"));
                new_tag.push('"');
            }
        }
    }
    new_tag.push_str(" version=\"2.0\">");
    let mut out = String::with_capacity(xml.len() + 16);
    out.push_str(xml.get(..root.tag_start).unwrap_or_default());
    out.push_str(&new_tag);
    out.push_str(xml.get(root.tag_end..).unwrap_or_default());
    out
}

/// The document cut after the last complete item/entry before the first
/// syntax error, with the root (and RSS channel) closed again.
fn truncate_before_error(xml: &str, root: &sniff::Root) -> Option<String> {
    // quick-xml does not flag a document that simply stops: then the
    // damage is at the end.
    let error_at = sniff::first_error(xml).map_or(xml.len(), |(at, _)| at);
    let head = xml.get(..error_at.min(xml.len()))?;
    let close = ["</item>", "</entry>"]
        .iter()
        .filter_map(|tag| head.rfind(tag).map(|i| i + tag.len()))
        .max()?;
    let mut out = xml[..close].to_string();
    if root.local == "rss" {
        out.push_str("</channel>");
    }
    out.push_str(&format!("</{}>", root.qname));
    Some(out)
}

#[cfg(test)]
mod tests;
