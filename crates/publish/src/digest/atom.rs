//! The Atom 1.0 digest (RFC 4287), written with `atom_syndication`.
//!
//! - feed: `id` is a `tag:` URI derived from the link (else the title),
//!   `updated` is the generation time, generator `Tributary`, and
//!   `alternate` + `self` links when the options have a link;
//! - entry: `id` (see [`DigestEntry::stable_id`], made unique within the
//!   feed), `title`, `link`, `published`, `updated` (the entry's, else its
//!   publication date), `author` (entry author, else source title),
//!   `summary` (excerpt, `type="text"`), `content type="html"` (content, else
//!   summary HTML), categories, enclosures as `link rel="enclosure"`, and a
//!   `source` element naming the origin feed.

use std::collections::HashSet;

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Source, Text, WriteConfig,
};

use super::{feed_id, is_absolute_iri, non_empty, one_line, xml_text, DigestEntry, DigestOptions};
use crate::PublishError;

/// Renders entries as an Atom 1.0 document.
pub(super) fn render(
    entries: &[DigestEntry<'_>],
    opts: &DigestOptions,
) -> Result<String, PublishError> {
    let links = feed_links(opts);
    let mut seen_ids = HashSet::new();
    let feed = Feed {
        title: Text::plain(xml_text(&title_or_default(&opts.title))),
        id: feed_id(opts),
        updated: opts.generated_at.fixed_offset(),
        generator: Some(Generator {
            value: "Tributary".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links,
        entries: entries.iter().map(|e| entry(e, &mut seen_ids)).collect(),
        ..Default::default()
    };
    let bytes = feed.write_with_config(
        Vec::new(),
        WriteConfig {
            write_document_declaration: true,
            indent_size: Some(2),
        },
    )?;
    let mut xml = String::from_utf8(bytes).map_err(|_| PublishError::NotUtf8 { format: "Atom" })?;
    xml.push('\n');
    Ok(xml)
}

/// The feed's own links: `alternate` (the digest's page), `self` (where
/// this document is served, else the page), the RFC 5005 paging links
/// `first`, `previous` (newer) and `next` (older), and a WebSub `hub`.
fn feed_links(opts: &DigestOptions) -> Vec<Link> {
    let link = non_empty(opts.link.as_deref()).map(|l| xml_text(l.trim()));
    let extra = &opts.links;
    let self_url = non_empty(extra.self_url.as_deref())
        .map(|l| xml_text(l.trim()))
        .or_else(|| link.clone());
    let mut links = Vec::new();
    let mut push = |rel: &str, href: Option<String>, mime: Option<&str>| {
        if let Some(href) = href {
            links.push(Link {
                href,
                rel: rel.into(),
                mime_type: mime.map(Into::into),
                ..Default::default()
            });
        }
    };
    let page = |url: &Option<String>| non_empty(url.as_deref()).map(|l| xml_text(l.trim()));
    const ATOM: Option<&str> = Some("application/atom+xml");
    push("alternate", link, None);
    push("self", self_url, ATOM);
    push("first", page(&extra.first), ATOM);
    push("previous", page(&extra.previous), ATOM);
    push("next", page(&extra.next), ATOM);
    push("hub", page(&extra.hub), None);
    links
}

/// Atom requires a non-empty feed title.
pub(super) fn title_or_default(title: &str) -> String {
    let title = one_line(title);
    if title.is_empty() {
        "Tributary".into()
    } else {
        title
    }
}

fn entry(entry: &DigestEntry<'_>, seen_ids: &mut HashSet<String>) -> Entry {
    let e = &entry.item.entry;
    let source = &entry.item.source;

    let id = entry.unique_id(seen_ids);

    let mut links = Vec::new();
    if let Some(url) = entry.link() {
        links.push(Link {
            href: xml_text(url.trim()),
            rel: "alternate".into(),
            ..Default::default()
        });
    }
    for enclosure in &e.enclosures {
        if enclosure.url.trim().is_empty() {
            continue;
        }
        links.push(Link {
            href: xml_text(enclosure.url.trim()),
            rel: "enclosure".into(),
            mime_type: enclosure.mime_type.as_deref().map(xml_text),
            length: enclosure.length.map(|l| l.to_string()),
            ..Default::default()
        });
    }

    let excerpt = e.excerpt.trim();
    Entry {
        title: Text::plain(xml_text(&one_line(&e.title))),
        id,
        updated: e.updated.unwrap_or(e.published).fixed_offset(),
        published: Some(e.published.fixed_offset()),
        authors: vec![Person {
            name: xml_text(&one_line(entry.author())),
            ..Default::default()
        }],
        links,
        summary: (!excerpt.is_empty()).then(|| Text::plain(xml_text(excerpt))),
        content: entry.body_html().map(|html| Content {
            value: Some(xml_text(html)),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        categories: e
            .categories
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| Category {
                term: xml_text(c.trim()),
                ..Default::default()
            })
            .collect(),
        source: Some(Source {
            title: Text::plain(xml_text(&one_line(&source.title))),
            id: source_id(entry),
            updated: e.updated.unwrap_or(e.published).fixed_offset(),
            links: source_links(entry),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The origin feed's id: its URL when usable as an IRI, else a tag URI.
fn source_id(entry: &DigestEntry<'_>) -> String {
    let url = entry.item.source.feed_url.trim();
    if is_absolute_iri(url) {
        url.to_string()
    } else {
        format!(
            "tag:{}:feed/{}",
            super::TAG_AUTHORITY,
            entry.item.source.feed_id
        )
    }
}

fn source_links(entry: &DigestEntry<'_>) -> Vec<Link> {
    let source = &entry.item.source;
    let mut links = Vec::new();
    if let Some(url) = non_empty(Some(source.feed_url.as_str())) {
        links.push(Link {
            href: xml_text(url.trim()),
            rel: "self".into(),
            ..Default::default()
        });
    }
    if let Some(url) = non_empty(source.site_url.as_deref()) {
        links.push(Link {
            href: xml_text(url.trim()),
            rel: "alternate".into(),
            ..Default::default()
        });
    }
    links
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{item, source};
    use super::super::{render as render_digest, Format};
    use super::*;
    use chrono::{TimeZone, Utc};
    use tributary_model::Enclosure;

    #[test]
    fn paging_and_hub_links_parse_back() {
        let mut o = opts(Some("https://river.example/"));
        o.links = super::super::FeedLinks {
            self_url: Some("https://river.example/feeds/all.atom?after=9-3".into()),
            first: Some("https://river.example/feeds/all.atom".into()),
            previous: Some("https://river.example/feeds/all.atom?before=1".into()),
            next: Some("https://river.example/feeds/all.atom?after=5-1".into()),
            hub: Some("https://hub.example/".into()),
        };
        let feed = parse(&render_digest(&[], Format::Atom, &o));
        let rels: Vec<_> = feed
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            rels,
            [
                ("alternate", "https://river.example/"),
                ("self", "https://river.example/feeds/all.atom?after=9-3"),
                ("first", "https://river.example/feeds/all.atom"),
                ("previous", "https://river.example/feeds/all.atom?before=1"),
                ("next", "https://river.example/feeds/all.atom?after=5-1"),
                ("hub", "https://hub.example/"),
            ]
        );
        // Without paging links only what is known is written.
        o.links = super::super::FeedLinks {
            next: Some("https://river.example/feeds/all.atom?after=5-1".into()),
            ..Default::default()
        };
        let feed = parse(&render_digest(&[], Format::Atom, &o));
        let rels: Vec<_> = feed.links.iter().map(|l| l.rel.as_str()).collect();
        assert_eq!(rels, ["alternate", "self", "next"]);
    }

    fn opts(link: Option<&str>) -> DigestOptions {
        DigestOptions {
            title: "River & co".into(),
            link: link.map(str::to_string),
            generated_at: Utc.with_ymd_and_hms(2024, 5, 2, 8, 30, 0).unwrap(),
            links: Default::default(),
        }
    }

    fn parse(xml: &str) -> Feed {
        match xml.parse::<Feed>() {
            Ok(feed) => feed,
            Err(e) => panic!("Atom output does not parse: {e}\n{xml}"),
        }
    }

    #[test]
    fn round_trips_through_atom_syndication() {
        let a = source(1, "Alpha");
        let b = source(2, "Beta");
        let mut first = item(1, &a, "Fish & <chips>", Some("https://x.example/1"));
        first.entry.author = Some("Ann".into());
        first.entry.content_html = Some("<p>Hello &amp; <b>bye</b></p>".into());
        first.entry.categories = vec!["food".into(), "uk".into()];
        first.entry.updated = Some(Utc.with_ymd_and_hms(2024, 5, 1, 13, 0, 0).unwrap());
        first.entry.enclosures = vec![Enclosure {
            url: "https://x.example/a.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(1234),
            duration_secs: Some(60),
        }];
        let mut second = item(2, &b, "Second", Some("https://x.example/2"));
        second.entry.summary_html = Some("<i>sum</i>".into());
        let dup = item(3, &b, "Dup of first", Some("https://x.example/1"));

        let xml = render_digest(
            &[first, dup, second],
            Format::Atom,
            &opts(Some("https://river.example/")),
        );
        let feed = parse(&xml);
        assert_eq!(feed.title.value, "River & co");
        assert_eq!(feed.id, "tag:tributary,2024:digest/https://river.example/");
        assert_eq!(feed.updated.to_rfc3339(), "2024-05-02T08:30:00+00:00");
        assert_eq!(
            feed.generator.as_ref().map(|g| g.value.as_str()),
            Some("Tributary")
        );
        let rels: Vec<_> = feed
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            rels,
            [
                ("alternate", "https://river.example/"),
                ("self", "https://river.example/")
            ]
        );

        assert_eq!(feed.entries.len(), 2);
        let e = &feed.entries[0];
        assert_eq!(e.title.value, "Fish & <chips>");
        assert_eq!(e.id, "tag:tributary,2024:feed/1/guid:post-1");
        assert_eq!(e.authors[0].name, "Ann");
        assert_eq!(
            e.published.map(|p| p.to_rfc3339()).as_deref(),
            Some("2024-05-01T11:00:00+00:00")
        );
        assert_eq!(e.updated.to_rfc3339(), "2024-05-01T13:00:00+00:00");
        assert_eq!(
            e.summary.as_ref().map(|s| s.value.as_str()),
            Some("Excerpt of Fish & <chips>.")
        );
        let content = e.content.as_ref().expect("content");
        assert_eq!(content.content_type.as_deref(), Some("html"));
        assert_eq!(
            content.value.as_deref(),
            Some("<p>Hello &amp; <b>bye</b></p>")
        );
        let terms: Vec<_> = e.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["food", "uk"]);
        let enclosure = e
            .links
            .iter()
            .find(|l| l.rel == "enclosure")
            .expect("enclosure");
        assert_eq!(enclosure.href, "https://x.example/a.mp3");
        assert_eq!(enclosure.mime_type.as_deref(), Some("audio/mpeg"));
        assert_eq!(enclosure.length.as_deref(), Some("1234"));
        let alt = e
            .links
            .iter()
            .find(|l| l.rel == "alternate")
            .expect("alternate");
        assert_eq!(alt.href, "https://x.example/1");
        let src = e.source.as_ref().expect("source");
        assert_eq!(src.title.value, "Alpha");
        assert_eq!(src.id, "https://feed1.example/feed.xml");

        let e = &feed.entries[1];
        assert_eq!(
            e.authors[0].name, "Beta",
            "author falls back to the source title"
        );
        assert_eq!(
            e.content.as_ref().and_then(|c| c.value.as_deref()),
            Some("<i>sum</i>")
        );
    }

    #[test]
    fn ids_are_absolute_guids_or_tags_and_unique() {
        let a = source(1, "A");
        let b = source(2, "B");
        let mut x = item(1, &a, "X", None);
        x.entry.guid = Some("https://x.example/?p=1".into());
        let mut y = item(2, &b, "Y", None);
        y.entry.guid = Some("https://x.example/?p=1".into());
        let feed = parse(&render_digest(&[x, y], Format::Atom, &opts(None)));
        assert_eq!(feed.entries[0].id, "https://x.example/?p=1");
        assert_eq!(feed.entries[1].id, "tag:tributary,2024:feed/2/guid:post-2");
        assert!(feed.links.is_empty());
        assert_eq!(feed.id, "tag:tributary,2024:digest/River%20%26%20co");
    }

    #[test]
    fn control_characters_do_not_break_the_document() {
        let a = source(1, "A\u{1}");
        let mut it = item(1, &a, "Bell\u{7} title", Some("https://x.example/"));
        it.entry.excerpt = "nul\u{0} here".into();
        let feed = parse(&render_digest(&[it], Format::Atom, &opts(None)));
        assert_eq!(feed.entries[0].title.value, "Bell title");
    }

    #[test]
    fn empty_title_gets_a_default() {
        let mut o = opts(None);
        o.title = "  ".into();
        let feed = parse(&render_digest(&[], Format::Atom, &o));
        assert_eq!(feed.title.value, "Tributary");
    }
}
