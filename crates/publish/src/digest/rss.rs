//! The RSS 2.0 digest, written with the `rss` crate.
//!
//! - channel: title, link (the options' link, else [`FALLBACK_LINK`]: RSS
//!   requires one), description, `lastBuildDate` (generation time),
//!   generator, and `atom:link rel="self"` when the options have a link;
//! - item: title, link, guid (`isPermaLink="true"` only when it is the item's
//!   URL), `pubDate` (RFC 2822), description (the excerpt as escaped HTML,
//!   else the summary HTML), `content:encoded` (content, else summary HTML),
//!   `dc:creator` (RSS `author` must be an e-mail address, which feeds rarely
//!   give), categories, the first enclosure (RSS allows one) and
//!   `<source url="feed URL">`.

use std::collections::{BTreeMap, HashSet};

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item, Source};

use super::{non_empty, one_line, xml_text, DigestEntry, DigestOptions};
use crate::PublishError;

/// Channel link when the digest has no page of its own: the project's home.
pub const FALLBACK_LINK: &str = "https://github.com/tributary-rss/tributary";

/// Used when an enclosure does not say what it is (RSS requires a type).
const UNKNOWN_MIME: &str = "application/octet-stream";

/// Renders entries as an RSS 2.0 document.
pub(super) fn render(
    entries: &[DigestEntry<'_>],
    opts: &DigestOptions,
) -> Result<String, PublishError> {
    let link = non_empty(opts.link.as_deref()).map(|l| xml_text(l.trim()));
    let title = super::atom::title_or_default(&opts.title);
    let mut seen_ids = HashSet::new();
    let channel = Channel {
        // Readers treat the channel's description as HTML too: the title is
        // text, so it is escaped once (a title `<script>` stays text).
        description: xml_text(&html_escape::encode_text(&format!(
            "{title}, a digest made by Tributary"
        ))),
        title: xml_text(&title),
        link: link.clone().unwrap_or_else(|| FALLBACK_LINK.into()),
        last_build_date: Some(opts.generated_at.to_rfc2822()),
        generator: Some(format!("Tributary {}", env!("CARGO_PKG_VERSION"))),
        atom_ext: atom_links(opts, link),
        items: entries.iter().map(|e| item(e, &mut seen_ids)).collect(),
        namespaces: BTreeMap::new(),
        ..Default::default()
    };
    let bytes = channel.pretty_write_to(Vec::new(), b' ', 2)?;
    let mut xml = String::from_utf8(bytes).map_err(|_| PublishError::NotUtf8 { format: "RSS" })?;
    xml.push('\n');
    Ok(xml)
}

/// `atom:link`s of the channel: `self` (where this document is served, else
/// the digest's page), RFC 5005 `first`/`previous`/`next`, and a WebSub
/// `hub`; `None` when there is none.
fn atom_links(opts: &DigestOptions, link: Option<String>) -> Option<AtomExtension> {
    let extra = &opts.links;
    let page = |url: &Option<String>| non_empty(url.as_deref()).map(|l| xml_text(l.trim()));
    let rss_type = Some("application/rss+xml");
    let links: Vec<Link> = [
        ("self", page(&extra.self_url).or(link), rss_type),
        ("first", page(&extra.first), rss_type),
        ("previous", page(&extra.previous), rss_type),
        ("next", page(&extra.next), rss_type),
        ("hub", page(&extra.hub), None),
    ]
    .into_iter()
    .filter_map(|(rel, href, mime)| {
        href.map(|href| Link {
            href,
            rel: rel.into(),
            mime_type: mime.map(Into::into),
            ..Default::default()
        })
    })
    .collect();
    (!links.is_empty()).then_some(AtomExtension { links })
}

fn item(entry: &DigestEntry<'_>, seen_ids: &mut HashSet<String>) -> Item {
    let e = &entry.item.entry;
    let source = &entry.item.source;
    let url = non_empty(e.url.as_deref()).map(str::trim);
    let id = entry.unique_id(seen_ids);
    let excerpt = e.excerpt.trim();
    let description = if excerpt.is_empty() {
        non_empty(e.summary_html.as_deref()).map(xml_text)
    } else {
        // Readers treat description as HTML, so plain text is escaped once.
        Some(xml_text(&html_escape::encode_text(excerpt)))
    };
    Item {
        title: Some(xml_text(&one_line(&e.title))),
        link: entry.link().map(|l| xml_text(l.trim())),
        guid: Some(Guid {
            permalink: url == Some(id.as_str()),
            value: xml_text(&id),
        }),
        pub_date: Some(e.published.to_rfc2822()),
        description,
        content: entry.body_html().map(xml_text),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![xml_text(&one_line(entry.author()))],
            ..Default::default()
        }),
        categories: e
            .categories
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| Category {
                name: xml_text(c.trim()),
                domain: None,
            })
            .collect(),
        enclosure: e
            .enclosures
            .iter()
            .find(|enc| !enc.url.trim().is_empty())
            .map(|enc| Enclosure {
                url: xml_text(enc.url.trim()),
                // RSS requires a length; 0 is the customary "unknown".
                length: enc.length.unwrap_or(0).to_string(),
                mime_type: non_empty(enc.mime_type.as_deref())
                    .map(xml_text)
                    .unwrap_or_else(|| UNKNOWN_MIME.into()),
            }),
        source: non_empty(Some(source.feed_url.as_str())).map(|feed_url| Source {
            url: xml_text(feed_url.trim()),
            title: Some(xml_text(&one_line(&source.title))),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{item as river_item, source};
    use super::super::{render as render_digest, Format};
    use super::*;
    use chrono::{TimeZone, Utc};
    use tributary_model::Enclosure as ModelEnclosure;

    fn opts(link: Option<&str>) -> DigestOptions {
        DigestOptions {
            title: "River".into(),
            link: link.map(str::to_string),
            generated_at: Utc.with_ymd_and_hms(2024, 5, 2, 8, 30, 0).unwrap(),
            links: Default::default(),
        }
    }

    fn parse(xml: &str) -> Channel {
        match Channel::read_from(xml.as_bytes()) {
            Ok(channel) => channel,
            Err(e) => panic!("RSS output does not parse: {e}\n{xml}"),
        }
    }

    #[test]
    fn round_trips_through_rss() {
        let a = source(1, "Alpha & Sons");
        let mut first = river_item(1, &a, "Fish & <chips>", Some("https://x.example/1"));
        first.entry.guid = Some("https://x.example/1".into());
        first.entry.author = Some("Ann".into());
        first.entry.excerpt = "a < b".into();
        first.entry.content_html = Some("<p>Hi ]]> there</p>".into());
        first.entry.categories = vec!["food".into()];
        first.entry.enclosures = vec![
            ModelEnclosure {
                url: "https://x.example/a.mp3".into(),
                mime_type: None,
                length: None,
                duration_secs: None,
            },
            ModelEnclosure {
                url: "https://x.example/b.mp3".into(),
                ..Default::default()
            },
        ];
        let second = river_item(2, &a, "Second", Some("https://x.example/2"));

        let xml = render_digest(
            &[first, second],
            Format::Rss,
            &opts(Some("https://river.example/rss")),
        );
        assert!(
            xml.contains(r#"<atom:link href="https://river.example/rss" rel="self""#),
            "{xml}"
        );
        let channel = parse(&xml);
        assert_eq!(channel.title, "River");
        assert_eq!(channel.description, "River, a digest made by Tributary");
        assert_eq!(channel.link, "https://river.example/rss");
        assert_eq!(
            channel.last_build_date.as_deref(),
            Some("Thu, 2 May 2024 08:30:00 +0000")
        );
        assert!(channel
            .generator
            .as_deref()
            .is_some_and(|g| g.starts_with("Tributary")));
        assert_eq!(channel.items.len(), 2);

        let it = &channel.items[0];
        assert_eq!(it.title.as_deref(), Some("Fish & <chips>"));
        assert_eq!(it.link.as_deref(), Some("https://x.example/1"));
        let guid = it.guid.as_ref().expect("guid");
        assert_eq!(guid.value, "https://x.example/1");
        assert!(guid.permalink);
        assert_eq!(
            it.pub_date.as_deref(),
            Some("Wed, 1 May 2024 11:00:00 +0000")
        );
        assert_eq!(it.description.as_deref(), Some("a &lt; b"));
        assert_eq!(it.content.as_deref(), Some("<p>Hi ]]> there</p>"));
        let dc = it.dublin_core_ext.as_ref().expect("dc");
        assert_eq!(dc.creators, ["Ann"]);
        assert_eq!(it.categories[0].name, "food");
        let enc = it.enclosure.as_ref().expect("enclosure");
        assert_eq!(enc.url, "https://x.example/a.mp3");
        assert_eq!(enc.mime_type, UNKNOWN_MIME);
        assert_eq!(enc.length, "0");
        let src = it.source.as_ref().expect("source");
        assert_eq!(src.url, "https://feed1.example/feed.xml");
        assert_eq!(src.title.as_deref(), Some("Alpha & Sons"));

        let guid = channel.items[1].guid.as_ref().expect("guid");
        assert_eq!(guid.value, "tag:tributary,2024:feed/1/guid:post-2");
        assert!(!guid.permalink);
    }

    #[test]
    fn a_title_with_markup_is_text_in_the_channel_description() {
        let mut o = opts(None);
        o.title = "<script>alert(1)</script>".into();
        let channel = parse(&render_digest(&[], Format::Rss, &o));
        assert_eq!(
            channel.description,
            "&lt;script&gt;alert(1)&lt;/script&gt;, a digest made by Tributary"
        );
    }

    #[test]
    fn paging_and_hub_links_are_atom_links_of_the_channel() {
        let mut o = opts(Some("https://river.example/"));
        o.links = super::super::FeedLinks {
            self_url: Some("https://river.example/feeds/all.rss?after=9-3".into()),
            first: Some("https://river.example/feeds/all.rss".into()),
            previous: None,
            next: Some("https://river.example/feeds/all.rss?after=5-1".into()),
            hub: Some("https://hub.example/".into()),
        };
        let channel = parse(&render_digest(&[], Format::Rss, &o));
        assert_eq!(channel.link, "https://river.example/");
        let links: Vec<_> = channel
            .atom_ext
            .as_ref()
            .expect("atom links")
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            links,
            [
                ("self", "https://river.example/feeds/all.rss?after=9-3"),
                ("first", "https://river.example/feeds/all.rss"),
                ("next", "https://river.example/feeds/all.rss?after=5-1"),
                ("hub", "https://hub.example/"),
            ]
        );
    }

    #[test]
    fn channel_link_has_a_fallback() {
        let xml = render_digest(&[], Format::Rss, &opts(None));
        let channel = parse(&xml);
        assert_eq!(channel.link, FALLBACK_LINK);
        assert!(!xml.contains("atom:link"));
    }
}
