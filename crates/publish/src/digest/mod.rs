//! Digests of a river of entries.
//!
//! A digest is rendered in two steps: [`collapse`] merges the same article
//! carried by several feeds (same canonical URL) into one [`DigestEntry`]
//! naming every source, then one of the format modules writes the entries.
//! Every format collapses first, so a reader never sees an article twice.
//!
//! Shared decisions, so that all formats agree:
//! - the link of an entry is its own URL, else its source's site, else its
//!   source's feed URL ([`DigestEntry::link`]);
//! - the identifier of an entry is its guid when that is an absolute URI, else
//!   a `tag:` URI built from the feed id and the entry key
//!   ([`DigestEntry::stable_id`]);
//! - the author is the entry's author, else its source's title.

mod atom;
pub(crate) mod html;
mod json;
mod rss;
mod text;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tributary_model::{RiverItem, Source};

use crate::PublishError;

/// Output format of a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text: title, excerpt and a "Continue reading" line per entry.
    Text,
    /// A self-contained HTML page.
    Html,
    /// Atom 1.0.
    Atom,
    /// RSS 2.0.
    Rss,
    /// JSON Feed 1.1.
    Json,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 5] = [
        Format::Text,
        Format::Html,
        Format::Atom,
        Format::Rss,
        Format::Json,
    ];

    /// The lower-case name used on the command line (`text`, `html`, `atom`, `rss`, `json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }

    /// The media type to serve this format with (including the charset).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// A conventional file extension, without the dot (`txt`, `html`, `atom`, `rss`, `json`).
    pub fn file_extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Html => "html",
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of `text`, `html`, `atom`, `rss`, `json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown digest format {0:?} (expected text, html, atom, rss or json)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Parses a format name, case-insensitively; `txt` and `jsonfeed` are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(Format::Text),
            "html" => Ok(Format::Html),
            "atom" => Ok(Format::Atom),
            "rss" => Ok(Format::Rss),
            "json" | "jsonfeed" => Ok(Format::Json),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// Digest-wide values.
#[derive(Debug, Clone)]
pub struct DigestOptions {
    /// Title of the digest (`Tributary river`).
    pub title: String,
    /// Link of the digest's own page, if it has one. Used as the Atom
    /// `alternate` and `self` links, the RSS channel link and `atom:link
    /// rel="self"`, and the JSON Feed `home_page_url`.
    pub link: Option<String>,
    /// Generation time (`updated` of the Atom feed…).
    pub generated_at: DateTime<Utc>,
    /// Links of a paged feed (RFC 5005) and its WebSub hub.
    pub links: FeedLinks,
}

/// The links a served feed carries beyond its own page: RFC 5005 paging
/// (`first`, `previous` = newer, `next` = older) and a WebSub hub.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedLinks {
    /// The URL this document is served at (`rel="self"`); falls back to `link`.
    pub self_url: Option<String>,
    /// The newest page (`rel="first"`).
    pub first: Option<String>,
    /// The next newer page (`rel="previous"`).
    pub previous: Option<String>,
    /// The next older page (`rel="next"`).
    pub next: Option<String>,
    /// A WebSub hub (`rel="hub"`).
    pub hub: Option<String>,
}

/// Entries after collapsing the same article carried by several feeds.
#[derive(Debug, Clone)]
pub struct DigestEntry<'a> {
    /// The kept (newest) item.
    pub item: &'a RiverItem,
    /// Every source carrying this article; the item's own first.
    pub sources: Vec<&'a Source>,
}

/// Collapse items sharing a canonical link (keeping the first, i.e. newest, and naming all sources).
///
/// Items without a canonical URL (or with an empty one) are never collapsed.
/// A source is listed once even if it carries the article twice.
pub fn collapse(items: &[RiverItem]) -> Vec<DigestEntry<'_>> {
    let mut entries: Vec<DigestEntry<'_>> = Vec::with_capacity(items.len());
    let mut by_canonical: HashMap<&str, usize> = HashMap::new();
    for item in items {
        let canonical = item
            .entry
            .canonical_url
            .as_deref()
            .filter(|c| !c.trim().is_empty());
        if let Some(canonical) = canonical {
            if let Some(&index) = by_canonical.get(canonical) {
                let kept = &mut entries[index];
                if !kept
                    .sources
                    .iter()
                    .any(|s| s.feed_id == item.source.feed_id)
                {
                    kept.sources.push(&item.source);
                }
                continue;
            }
            by_canonical.insert(canonical, entries.len());
        }
        entries.push(DigestEntry {
            item,
            sources: vec![&item.source],
        });
    }
    entries
}

/// One section of a sectioned digest (an e-mail digest's category).
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading (`Networking/Vendors`); `None`: no heading.
    pub heading: Option<String>,
    /// The section's items, newest first.
    pub items: Vec<RiverItem>,
}

/// A closing line of a sectioned digest, such as an e-mail digest's
/// "change or stop this digest" link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// The sentence (plain text).
    pub text: String,
    /// A link after it (only http(s) links become links in HTML).
    pub link: Option<String>,
}

/// Render a digest in sections, each under its heading (the e-mail
/// digest's categories), in the text or HTML format; every other format
/// renders the sections' items one after the other, as [`try_render`]
/// does. Items are collapsed within their section.
pub fn try_render_sections(
    sections: &[Section],
    format: Format,
    opts: &DigestOptions,
    footer: Option<&Footer>,
) -> Result<String, PublishError> {
    let collapsed: Vec<(Option<&str>, Vec<DigestEntry<'_>>)> = sections
        .iter()
        .map(|s| (s.heading.as_deref(), collapse(&s.items)))
        .collect();
    match format {
        Format::Text => Ok(text::render_sections(&collapsed, footer)),
        Format::Html => html::render_sections(&collapsed, opts, footer),
        _ => {
            let items: Vec<RiverItem> = sections.iter().flat_map(|s| s.items.clone()).collect();
            try_render(&items, format, opts)
        }
    }
}

/// Render a digest. `items` are newest first.
///
/// Rendering only writes into memory from a template compiled into the crate,
/// so it does not fail in practice; should it ever, this returns an empty
/// string rather than panicking. Use [`try_render`] to see the error.
pub fn render(items: &[RiverItem], format: Format, opts: &DigestOptions) -> String {
    try_render(items, format, opts).unwrap_or_default()
}

/// The text of the HTML digest's one `<style>` element, exactly as the page
/// carries it: a server sending the page names its SHA-256 in the
/// `style-src` of its Content-Security-Policy instead of `'unsafe-inline'`.
pub fn html_style() -> &'static str {
    html::style()
}

/// Render a digest, reporting a writer failure instead of hiding it. `items` are newest first.
pub fn try_render(
    items: &[RiverItem],
    format: Format,
    opts: &DigestOptions,
) -> Result<String, PublishError> {
    let entries = collapse(items);
    match format {
        Format::Text => Ok(text::render(&entries)),
        Format::Html => html::render(&entries, opts),
        Format::Atom => atom::render(&entries, opts),
        Format::Rss => rss::render(&entries, opts),
        Format::Json => json::render(&entries, opts),
    }
}

impl DigestEntry<'_> {
    /// The URL a reader should follow: the entry's own URL, else its
    /// source's site, else its source's feed URL; `None` when all are empty.
    pub fn link(&self) -> Option<&str> {
        let source = &self.item.source;
        non_empty(self.item.entry.url.as_deref())
            .or_else(|| non_empty(source.site_url.as_deref()))
            .or_else(|| non_empty(Some(source.feed_url.as_str())))
    }

    /// A stable identifier for the entry, valid as an Atom id (an IRI): the
    /// feed's guid when it is an absolute URI, else
    /// `tag:tributary,2024:feed/<feed id>/<percent-encoded entry key>`.
    pub fn stable_id(&self) -> String {
        let entry = &self.item.entry;
        match entry.guid.as_deref().map(str::trim) {
            Some(guid) if is_absolute_iri(guid) => guid.to_string(),
            _ => self.tag_id(),
        }
    }

    /// [`stable_id`](Self::stable_id), made unique among the ids in `seen`
    /// (and added to it). Two feeds may reuse one guid for different
    /// articles, and a feed may repeat an entry, but ids must be unique within
    /// a document: a repeated guid falls back to the feed-scoped tag id, a
    /// repeated tag id gets a `#2`, `#3`… fragment.
    fn unique_id(&self, seen: &mut HashSet<String>) -> String {
        let mut id = self.stable_id();
        if seen.contains(&id) {
            id = self.tag_id();
        }
        let base = id.clone();
        let mut n = 1;
        while seen.contains(&id) {
            n += 1;
            id = format!("{base}#{n}");
        }
        seen.insert(id.clone());
        id
    }

    /// The `tag:` URI built from the feed id and entry key only (never the guid).
    fn tag_id(&self) -> String {
        format!(
            "tag:{TAG_AUTHORITY}:feed/{}/{}",
            self.item.entry.feed_id,
            utf8_percent_encode(&self.item.entry.key, IRI_SEGMENT)
        )
    }

    /// The entry's author, else its source's title.
    pub fn author(&self) -> &str {
        non_empty(self.item.entry.author.as_deref()).unwrap_or(&self.item.source.title)
    }

    /// The HTML body to publish: the content, else the summary.
    fn body_html(&self) -> Option<&str> {
        non_empty(self.item.entry.content_html.as_deref())
            .or_else(|| non_empty(self.item.entry.summary_html.as_deref()))
    }

    /// The source names, joined for display (`A, B`).
    fn source_names(&self) -> String {
        self.sources
            .iter()
            .map(|s| one_line(&s.title))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Tagging entity of the `tag:` URIs we mint (RFC 4151). The date is fixed
/// forever so that ids never change.
const TAG_AUTHORITY: &str = "tributary,2024";

/// Characters left as they are in the specific part of a `tag:` URI; the rest
/// (spaces, `#`, `%`, non-ASCII…) is percent-encoded, so the result is a valid
/// URI (hence IRI) whatever the entry key holds.
const IRI_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/')
    .remove(b'@');

/// A stable `tag:` id for a whole digest, derived from its link (else its title).
fn feed_id(opts: &DigestOptions) -> String {
    let basis = non_empty(opts.link.as_deref()).unwrap_or(&opts.title);
    format!(
        "tag:{TAG_AUTHORITY}:digest/{}",
        utf8_percent_encode(basis.trim(), IRI_SEGMENT)
    )
}

/// Whether `s` is an absolute IRI we can use verbatim as an id: a scheme
/// (RFC 3986 §3.1), a colon, a non-empty rest without characters IRIs forbid,
/// and well-formed percent escapes.
fn is_absolute_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    let scheme_ok = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return false;
    }
    let bytes = rest.as_bytes();
    for (i, c) in rest.char_indices() {
        if c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        {
            return false;
        }
        if c == '%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
        }
    }
    true
}

/// Whether `url` may be put in an `href`: only http(s), so a `javascript:`
/// link smuggled through a feed never becomes clickable.
pub(crate) fn is_web_url(url: &str) -> bool {
    let url = url.trim_start();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `Some(s)` unless `s` is missing or blank.
pub(crate) fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// Collapses all whitespace (newlines included) into single spaces, so a
/// title stays on one line in text and in XML attributes.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3339 in UTC with a `Z` (`2024-05-01T12:00:00Z`).
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Removes characters XML 1.0 cannot carry at all (most C0 controls,
/// U+FFFE, U+FFFF), which would otherwise make the whole document
/// ill-formed. Escaping cannot help: `&#1;` is forbidden too.
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Builders for river items used by the unit tests of every format.

    use chrono::{TimeZone, Utc};
    use tributary_model::{Entry, EntryId, FeedId, RiverItem, Source};

    pub fn source(id: i64, title: &str) -> Source {
        Source {
            feed_id: FeedId(id),
            title: title.to_string(),
            feed_url: format!("https://feed{id}.example/feed.xml"),
            site_url: Some(format!("https://feed{id}.example/")),
        }
    }

    pub fn item(id: i64, source: &Source, title: &str, url: Option<&str>) -> RiverItem {
        RiverItem {
            entry: Entry {
                id: EntryId(id),
                feed_id: source.feed_id,
                key: format!("guid:post-{id}"),
                guid: Some(format!("post-{id}")),
                url: url.map(str::to_string),
                canonical_url: url.map(str::to_string),
                title: title.to_string(),
                author: None,
                content_html: None,
                summary_html: None,
                excerpt: format!("Excerpt of {title}."),
                published: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
                    - chrono::Duration::hours(id),
                updated: None,
                enclosures: vec![],
                categories: vec![],
            },
            source: source.clone(),
            read: false,
            starred: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::{item, source};
    use super::*;

    #[test]
    fn collapse_keeps_newest_and_names_every_source_once() {
        let a = source(1, "A");
        let b = source(2, "B");
        let items = vec![
            item(1, &a, "First", Some("https://x.example/1")),
            item(2, &b, "First again", Some("https://x.example/1")),
            item(3, &a, "First, a third time", Some("https://x.example/1")),
            item(4, &b, "Other", Some("https://x.example/2")),
        ];
        let entries = collapse(&items);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].item.entry.title, "First");
        let names: Vec<_> = entries[0]
            .sources
            .iter()
            .map(|s| s.title.as_str())
            .collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(entries[1].item.entry.title, "Other");
    }

    #[test]
    fn items_without_canonical_url_are_never_collapsed() {
        let a = source(1, "A");
        let items = vec![item(1, &a, "X", None), item(2, &a, "X", None)];
        let mut blank = item(3, &a, "X", None);
        blank.entry.canonical_url = Some(String::new());
        let mut items = items;
        items.push(blank.clone());
        items.push(blank);
        assert_eq!(collapse(&items).len(), 4);
    }

    #[test]
    fn link_falls_back_to_site_then_feed() {
        let mut s = source(1, "A");
        let it = item(1, &s, "X", Some("https://x.example/1"));
        let entries = collapse(std::slice::from_ref(&it));
        assert_eq!(entries[0].link(), Some("https://x.example/1"));

        let it = item(1, &s, "X", None);
        let entries = collapse(std::slice::from_ref(&it));
        assert_eq!(entries[0].link(), Some("https://feed1.example/"));

        s.site_url = None;
        let it = item(1, &s, "X", None);
        let entries = collapse(std::slice::from_ref(&it));
        assert_eq!(entries[0].link(), Some("https://feed1.example/feed.xml"));

        s.feed_url = String::new();
        let it = item(1, &s, "X", None);
        let entries = collapse(std::slice::from_ref(&it));
        assert_eq!(entries[0].link(), None);
    }

    #[test]
    fn stable_id_uses_absolute_guid_else_tag() {
        let s = source(7, "A");
        let mut it = item(1, &s, "X", None);
        it.entry.guid = Some("https://x.example/?p=1".into());
        assert_eq!(
            collapse(std::slice::from_ref(&it))[0].stable_id(),
            "https://x.example/?p=1"
        );

        it.entry.guid = Some("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a".into());
        assert!(collapse(std::slice::from_ref(&it))[0]
            .stable_id()
            .starts_with("urn:uuid:"));

        for guid in ["post 1", "1234", "a:b c", "x:%zz", ":nothing"] {
            it.entry.guid = Some(guid.into());
            it.entry.key = format!("guid:{guid} #é%");
            let id = collapse(std::slice::from_ref(&it))[0].stable_id();
            assert!(id.starts_with("tag:tributary,2024:feed/7/guid:"), "{id}");
            assert!(is_absolute_iri(&id), "{id}");
            assert!(
                !id.contains(' ') && !id.contains('#') && !id.contains('é'),
                "{id}"
            );
        }
    }

    #[test]
    fn absolute_iri_check() {
        assert!(is_absolute_iri("http://a.example/b"));
        assert!(is_absolute_iri("tag:a.example,2020:x%20y"));
        assert!(!is_absolute_iri("1234"));
        assert!(!is_absolute_iri("1a:b"));
        assert!(!is_absolute_iri("a:"));
        assert!(!is_absolute_iri("a:b<c"));
        assert!(!is_absolute_iri("a:b%2"));
    }

    #[test]
    fn web_url_check() {
        assert!(is_web_url("https://a.example/"));
        assert!(is_web_url("HTTP://a.example/"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("data:text/html,x"));
        assert!(!is_web_url("http"));
    }

    #[test]
    fn xml_text_drops_forbidden_characters() {
        assert_eq!(xml_text("a\u{1}b\tc\n\u{FFFF}d"), "ab\tc\nd");
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!("JSON".parse::<Format>(), Ok(Format::Json));
        assert!("yaml".parse::<Format>().is_err());
    }
}

#[cfg(test)]
mod section_tests {
    use super::testutil::{item, source};
    use super::*;
    use chrono::TimeZone;

    fn opts() -> DigestOptions {
        DigestOptions {
            title: "Mail".into(),
            link: None,
            generated_at: Utc.with_ymd_and_hms(2024, 5, 2, 8, 0, 0).unwrap(),
            links: Default::default(),
        }
    }

    fn sections() -> Vec<Section> {
        let a = source(1, "Alpha");
        let b = source(2, "Beta");
        vec![
            Section {
                heading: Some("Networking".into()),
                items: vec![item(1, &a, "BGP <news>", Some("https://a.example/1"))],
            },
            Section {
                heading: Some("Uncategorized".into()),
                items: vec![
                    item(2, &b, "Quiet", Some("https://b.example/2")),
                    item(3, &b, "Loud", Some("https://b.example/3")),
                ],
            },
        ]
    }

    #[test]
    fn text_sections_have_underlined_headings_and_a_footer() {
        let footer = Footer {
            text: "Change or stop this digest:".into(),
            link: Some("https://r.example/settings/digest".into()),
        };
        let text = try_render_sections(&sections(), Format::Text, &opts(), Some(&footer)).unwrap();
        assert!(
            text.starts_with("Networking\n==========\n\nBGP <news>\n"),
            "{text}"
        );
        assert!(
            text.contains("\nUncategorized\n=============\n\nQuiet\n"),
            "{text}"
        );
        assert!(text.contains("Continue reading: https://b.example/3\n"));
        assert!(
            text.ends_with("-- \nChange or stop this digest:\nhttps://r.example/settings/digest\n")
        );
        // The sectioned text of one section is the plain digest under a heading.
        let one = &sections()[1..];
        let plain = render(&one[0].items, Format::Text, &opts());
        let sectioned = try_render_sections(one, Format::Text, &opts(), None).unwrap();
        assert_eq!(
            sectioned,
            format!("Uncategorized\n=============\n\n{plain}")
        );
    }

    #[test]
    fn html_sections_put_entries_under_category_headings() {
        let html = try_render_sections(&sections(), Format::Html, &opts(), None).unwrap();
        assert!(
            html.contains(r#"<h2 class="category">Networking</h2>"#),
            "{html}"
        );
        assert!(html.contains(r#"<h2 class="category">Uncategorized</h2>"#));
        assert!(html.contains(r#"<h3><a href="https://a.example/1">BGP &lt;news&gt;</a></h3>"#));
        assert_eq!(html.matches("<section>").count(), 2);
        assert_eq!(html.matches(">Continue reading</a>").count(), 3);
        assert!(!html.contains("Nothing new."));
        let networking = html.find("Networking</h2>").unwrap();
        let quiet = html.find(">Quiet<").unwrap();
        let unc = html.find("Uncategorized</h2>").unwrap();
        assert!(networking < unc && unc < quiet);
    }

    #[test]
    fn other_formats_render_every_item() {
        let json = try_render_sections(&sections(), Format::Json, &opts(), None).unwrap();
        for t in ["BGP <news>", "Quiet", "Loud"] {
            assert!(json.contains(t), "{json}");
        }
    }
}
