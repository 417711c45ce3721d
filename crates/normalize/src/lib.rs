//! Parsed feed → canonical entries. Pure functions only: no I/O, no clock
//! (the fetch time is passed in), no global configuration.
//!
//! * [`sanitize`](mod@sanitize): HTML through a streaming allow-list filter (html5ever's
//!   tokenizer, no tree), URLs made absolute, plain text in the same pass.
//! * [`url`]: absolute URLs and the canonical form used for duplicate detection.
//! * [`text`]: plain text from HTML and the excerpt cut at a word boundary.
//! * [`key`]: the deterministic identity of an entry within its feed.
//! * [`depth`]: the nesting bound applied to HTML before it is parsed, so
//!   hostile nesting costs linear time.
//!
//! [`normalize`] ties them together. Its rules, per entry:
//!
//! * base URL: the entry's `xml:base` when it resolves, else the feed URL;
//! * `url`: the link made absolute; `canonical_url`: see [`url::canonical_url`];
//! * `title`: plain text (HTML titles are converted, white space folded); a
//!   missing title becomes the start of the body text, else `"Untitled"`;
//! * `author`: the entry's author names (or e-mails when nameless), joined
//!   with `", "`, else the feed's authors (as Atom specifies);
//! * `content_html`/`summary_html`: sanitized; plain-text kinds are escaped
//!   and split into `<p>` paragraphs with `<br>` line breaks; empty → `None`;
//! * `excerpt`: plain text of the summary when it has any, else of the
//!   content, cut to [`Options::excerpt_chars`];
//! * `published`: the entry's published date, else its updated date, else the
//!   fetch time with `published_from_feed = false`. A date more than one day
//!   after the fetch time is treated as missing (fetch time,
//!   `published_from_feed = false`): future dates would pin an entry to the top
//!   of every river, and they are nearly always a time-zone or generator bug;
//! * enclosures: URLs absolute (http(s), `magnet:` … see [`url::SAFE_SCHEMES`]),
//!   duplicates by URL merged into the first; categories: trimmed, white space
//!   folded, empty dropped, duplicates (case-insensitive) dropped;
//! * `key`: [`key::entry_key`] over the source guid, canonical link, title and
//!   content, made unique within the document (see [`key`]);
//! * `content_hash`: [`key::content_hash`] over the normalized values.
//!
//! ```
//! use tributary_normalize::{sanitize::sanitize_html, text::excerpt};
//!
//! let base = url::Url::parse("https://example.com/blog/").unwrap();
//! let html = sanitize_html(r#"<p onclick="x()">Hi <a href="post">there</a></p>"#, Some(&base));
//! assert_eq!(html, r#"<p>Hi <a href="https://example.com/blog/post" rel="noopener noreferrer">there</a></p>"#);
//! assert_eq!(excerpt("The quick brown fox", 12), "The quick…");
//! ```

pub mod depth;
pub mod key;
pub mod sanitize;
pub mod text;
pub mod url;

use chrono::{DateTime, Duration, Utc};
use tributary_model::{Enclosure, FeedMeta, NewEntry};
use tributary_parse::{ParsedEnclosure, ParsedEntry, ParsedFeed, Person, Text, TextKind};

use crate::key::{content_hash, entry_key, KeyDeduper};
use crate::sanitize::{sanitize, Sanitized};
use crate::text::{excerpt, fold_whitespace, html_to_text, plain_to_html, strip_read_more};
use crate::url::{absolutize, absolutize_http, canonical_url, parse_absolute};

/// Knobs of normalization.
#[derive(Debug, Clone)]
pub struct Options {
    /// Target length of the plain-text excerpt, in characters.
    pub excerpt_chars: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { excerpt_chars: 280 }
    }
}

/// A feed after normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedFeed {
    pub meta: FeedMeta,
    /// Entries in document order, with duplicate keys within the document made unique.
    pub entries: Vec<NewEntry>,
}

/// Longest title made up from the body when the entry has none, in characters.
const FALLBACK_TITLE_CHARS: usize = 80;

/// Title of an entry that has neither a title nor any text.
pub const UNTITLED: &str = "Untitled";

/// How far past the fetch time a published date may be before it is distrusted.
const FUTURE_TOLERANCE_HOURS: i64 = 24;

/// Normalize a parsed feed fetched from `feed_url` at `fetched_at`.
///
/// Deterministic: the same inputs give the same output, keys and hashes.
pub fn normalize(
    parsed: &ParsedFeed,
    feed_url: &::url::Url,
    fetched_at: DateTime<Utc>,
    opts: &Options,
) -> NormalizedFeed {
    let meta = normalize_meta(parsed, feed_url);
    let feed_author = join_authors(&parsed.authors);
    let mut dedup = KeyDeduper::default();
    let entries = parsed
        .entries
        .iter()
        .enumerate()
        .map(|(position, entry)| {
            let ctx = EntryContext {
                feed_url,
                feed_author: feed_author.as_deref(),
                fetched_at,
                opts,
            };
            let mut normalized = normalize_entry(entry, &ctx);
            let key = source_key(entry, normalized.canonical_url.as_deref());
            normalized.key = dedup.unique(
                key,
                normalized.canonical_url.as_deref(),
                source_title(entry),
                source_content(entry),
                position,
            );
            normalized
        })
        .collect();
    let mut feed = NormalizedFeed { meta, entries };
    replace_nul(&mut feed);
    feed
}

/// U+FFFD for every NUL character: JSON Feed's `\u0000` (and lenient XML)
/// can carry one into any field, and PostgreSQL cannot store it in text.
/// Done here, on both engines, so an installation moved between them keeps
/// the same keys. The sanitizer already does this for HTML content.
fn replace_nul(feed: &mut NormalizedFeed) {
    fn fix(s: &mut String) {
        if s.contains('\0') {
            *s = s.replace('\0', "\u{FFFD}");
        }
    }
    fn fix_opt(s: &mut Option<String>) {
        if let Some(s) = s {
            fix(s);
        }
    }
    let meta = &mut feed.meta;
    for s in [
        &mut meta.title,
        &mut meta.site_url,
        &mut meta.description,
        &mut meta.language,
        &mut meta.image_url,
        &mut meta.new_feed_url,
    ] {
        fix_opt(s);
    }
    for e in &mut feed.entries {
        fix(&mut e.key);
        fix(&mut e.title);
        fix(&mut e.excerpt);
        for s in [
            &mut e.guid,
            &mut e.url,
            &mut e.canonical_url,
            &mut e.author,
            &mut e.content_html,
            &mut e.summary_html,
        ] {
            fix_opt(s);
        }
        for enclosure in &mut e.enclosures {
            fix(&mut enclosure.url);
            fix_opt(&mut enclosure.mime_type);
        }
        e.categories.iter_mut().for_each(fix);
    }
}

/// Feed-level metadata: plain texts, absolute URLs.
fn normalize_meta(parsed: &ParsedFeed, feed_url: &::url::Url) -> FeedMeta {
    let base = Some(feed_url);
    FeedMeta {
        title: parsed
            .title
            .as_ref()
            .map(plain_line)
            .filter(|t| !t.is_empty()),
        site_url: parsed
            .site_url
            .as_deref()
            .and_then(|u| absolutize_http(u, base)),
        description: parsed
            .description
            .as_ref()
            .map(plain_text)
            .filter(|t| !t.is_empty()),
        language: parsed
            .language
            .as_deref()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty()),
        image_url: parsed
            .image_url
            .as_deref()
            .and_then(|u| absolutize_http(u, base)),
        new_feed_url: parsed
            .new_feed_url
            .as_deref()
            .and_then(|u| absolutize_http(u, base)),
        ttl_minutes: parsed.ttl_minutes,
        skip_hours: clean_list(&parsed.skip_hours, 24),
        skip_days: clean_list(&parsed.skip_days, 7),
    }
}

/// `values` below `limit`, sorted, without duplicates (the parser already
/// gives them so; a hand-built `ParsedFeed` may not).
fn clean_list(values: &[u8], limit: u8) -> Vec<u8> {
    let mut out: Vec<u8> = values.iter().copied().filter(|v| *v < limit).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What every entry of one feed shares.
struct EntryContext<'a> {
    feed_url: &'a ::url::Url,
    feed_author: Option<&'a str>,
    fetched_at: DateTime<Utc>,
    opts: &'a Options,
}

/// One entry, with its key not yet made unique (left empty).
fn normalize_entry(entry: &ParsedEntry, ctx: &EntryContext<'_>) -> NewEntry {
    // xml:base may itself be relative to the document.
    let base = entry
        .base_url
        .as_deref()
        .and_then(|b| parse_absolute(b, Some(ctx.feed_url)))
        .filter(|b| matches!(b.scheme(), "http" | "https"))
        .unwrap_or_else(|| ctx.feed_url.clone());

    let url = entry
        .link
        .as_deref()
        .and_then(|l| absolutize(l, Some(&base)));
    let canonical = url.as_deref().and_then(canonical_url);

    // Relative URLs inside the HTML: an explicit xml:base wins; otherwise the
    // article's own URL, as feeds are often served from another host than
    // the site (FeedBurner, a CDN) while their HTML is written for the site.
    let content_base = match url.as_deref().and_then(|u| parse_absolute(u, None)) {
        Some(article) if base == *ctx.feed_url => article,
        _ => base.clone(),
    };
    let content = entry
        .content
        .as_ref()
        .and_then(|t| to_safe_html(t, &content_base));
    let summary = entry
        .summary
        .as_ref()
        .and_then(|t| to_safe_html(t, &content_base));

    // Text of the sanitized HTML (from the sanitizer's own pass), so dropped
    // elements (forms, scripts) never leak into the excerpt.
    let body_text = if text_of(&summary).is_empty() {
        text_of(&content)
    } else {
        text_of(&summary)
    };
    let excerpt_text = excerpt(strip_read_more(body_text), ctx.opts.excerpt_chars);

    let title = entry
        .title
        .as_ref()
        .map(plain_line)
        .filter(|t| !t.is_empty())
        .or_else(|| Some(excerpt(body_text, FALLBACK_TITLE_CHARS)).filter(|t| !t.is_empty()))
        .unwrap_or_else(|| UNTITLED.to_owned());

    let author = join_authors(&entry.authors).or_else(|| ctx.feed_author.map(str::to_owned));

    let (published, published_from_feed) = match entry.published.or(entry.updated) {
        Some(date) if date <= ctx.fetched_at + Duration::hours(FUTURE_TOLERANCE_HOURS) => {
            (date, true)
        }
        _ => (ctx.fetched_at, false),
    };

    let enclosures = normalize_enclosures(&entry.enclosures, &base);
    let categories = normalize_categories(&entry.categories);
    let content_html = content.map(|s| s.html);
    let summary_html = summary.map(|s| s.html);
    let content_hash = content_hash(
        &title,
        url.as_deref(),
        content_html.as_deref(),
        summary_html.as_deref(),
        &enclosures,
    );

    NewEntry {
        key: String::new(),
        guid: entry.id.clone(),
        url,
        canonical_url: canonical,
        title,
        author,
        content_html,
        summary_html,
        excerpt: excerpt_text,
        published,
        published_from_feed,
        updated: entry.updated,
        enclosures,
        categories,
        content_hash,
    }
}

/// The key before de-duplication. Built from the document's own values
/// (not the sanitized ones) so a sanitizer change does not re-key entries.
fn source_key(entry: &ParsedEntry, canonical: Option<&str>) -> String {
    entry_key(
        entry.id.as_deref(),
        canonical,
        source_title(entry),
        source_content(entry),
    )
}

fn source_title(entry: &ParsedEntry) -> &str {
    entry.title.as_ref().map_or("", |t| t.value.as_str())
}

fn source_content(entry: &ParsedEntry) -> &str {
    entry
        .content
        .as_ref()
        .or(entry.summary.as_ref())
        .map_or("", |t| t.value.as_str())
}

/// Plain text on one line (titles, names).
fn plain_line(text: &Text) -> String {
    match text.kind {
        TextKind::Html => fold_whitespace(&html_to_text(&text.value)),
        TextKind::Plain => fold_whitespace(&text.value),
    }
}

/// Plain text keeping paragraph breaks (descriptions).
fn plain_text(text: &Text) -> String {
    match text.kind {
        TextKind::Html => html_to_text(&text.value),
        TextKind::Plain => text.value.trim().to_owned(),
    }
}

/// Sanitized HTML (and its text) of a text, `None` when no HTML is left.
fn to_safe_html(text: &Text, base: &::url::Url) -> Option<Sanitized> {
    let sanitized = match text.kind {
        TextKind::Html => sanitize(&text.value, Some(base)),
        TextKind::Plain => {
            let html = plain_to_html(&text.value);
            Sanitized {
                html,
                text: text.value.trim().to_owned(),
            }
        }
    };
    Some(sanitized).filter(|s| !s.html.trim().is_empty())
}

/// The plain text of a sanitized value (empty without one).
fn text_of(sanitized: &Option<Sanitized>) -> &str {
    sanitized.as_ref().map_or("", |s| s.text.as_str())
}

/// Author names (or e-mails of nameless authors), de-duplicated, joined.
fn join_authors(people: &[Person]) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for person in people {
        let name = person
            .name
            .as_deref()
            .map(fold_whitespace)
            .filter(|n| !n.is_empty())
            .or_else(|| {
                person
                    .email
                    .as_deref()
                    .map(fold_whitespace)
                    .filter(|e| !e.is_empty())
            });
        if let Some(name) = name {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Some(names.join(", ")).filter(|n| !n.is_empty())
}

/// Absolute enclosures, the first of each URL kept, its missing details
/// filled from later duplicates (feeds often repeat an episode as
/// `<enclosure>` and `<media:content>`, each with part of the details).
fn normalize_enclosures(parsed: &[ParsedEnclosure], base: &::url::Url) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    for enc in parsed {
        let Some(url) = absolutize(&enc.url, Some(base)) else {
            continue;
        };
        let mime_type = enc
            .mime_type
            .as_deref()
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty());
        let length = enc.length.filter(|&n| n > 0);
        if let Some(existing) = out.iter_mut().find(|e| e.url == url) {
            existing.mime_type = existing.mime_type.take().or(mime_type);
            existing.length = existing.length.or(length);
            existing.duration_secs = existing.duration_secs.or(enc.duration_secs);
        } else {
            out.push(Enclosure {
                url,
                mime_type,
                length,
                duration_secs: enc.duration_secs,
            });
        }
    }
    out
}

/// Categories trimmed and folded, empty ones dropped, duplicates dropped
/// case-insensitively (the first spelling wins).
fn normalize_categories(parsed: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in parsed {
        let name = fold_whitespace(raw);
        if name.is_empty() || out.iter().any(|c| c.to_lowercase() == name.to_lowercase()) {
            continue;
        }
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_table() {
        let got = normalize_categories(&[
            " Rust ".into(),
            "".into(),
            "  ".into(),
            "rust".into(),
            "Web\n Dev".into(),
            "Web Dev".into(),
            "Ünïcode".into(),
            "ÜNÏCODE".into(),
        ]);
        assert_eq!(got, ["Rust", "Web Dev", "Ünïcode"]);
    }

    #[test]
    fn authors_table() {
        let p = |name: Option<&str>, email: Option<&str>| Person {
            name: name.map(Into::into),
            email: email.map(Into::into),
            uri: None,
        };
        assert_eq!(join_authors(&[]), None);
        assert_eq!(join_authors(&[p(Some("  "), None)]), None);
        assert_eq!(
            join_authors(&[
                p(Some(" Ann  Lee "), None),
                p(None, Some("bob@e.com")),
                p(Some("Ann Lee"), None)
            ])
            .as_deref(),
            Some("Ann Lee, bob@e.com")
        );
    }

    #[test]
    fn enclosures_merge_and_drop() {
        let base = ::url::Url::parse("https://e.com/feed/").unwrap();
        let enc =
            |url: &str, mime: Option<&str>, len: Option<u64>, dur: Option<u64>| ParsedEnclosure {
                url: url.into(),
                mime_type: mime.map(Into::into),
                length: len,
                duration_secs: dur,
            };
        let got = normalize_enclosures(
            &[
                enc("ep1.mp3", Some(" Audio/MPEG "), Some(0), None),
                enc("https://e.com/feed/ep1.mp3", None, Some(123), Some(60)),
                enc("javascript:alert(1)", None, None, None),
                enc("  ", None, None, None),
                enc("magnet:?xt=urn:btih:abc", None, None, None),
            ],
            &base,
        );
        assert_eq!(
            got,
            [
                Enclosure {
                    url: "https://e.com/feed/ep1.mp3".into(),
                    mime_type: Some("audio/mpeg".into()),
                    length: Some(123),
                    duration_secs: Some(60),
                },
                Enclosure {
                    url: "magnet:?xt=urn:btih:abc".into(),
                    ..Default::default()
                },
            ]
        );
    }
}
