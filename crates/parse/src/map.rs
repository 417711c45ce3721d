//! feed-rs's model → ours. Also fills what feed-rs leaves out using the
//! [`extras`](crate::extras) pass: `itunes:new-feed-url`, the syndication
//! period, guid permalinks, `itunes:duration` in "MM:SS" form, per-item `xml:base`.

use feed_rs::model as fr;
use url::Url;

use crate::extras::{self, ItemExtras};
use crate::{FeedFormat, ParsedEnclosure, ParsedEntry, ParsedFeed, Person, Text, TextKind};

/// Map a feed-rs feed parsed from `xml` (the exact text feed-rs saw).
pub(crate) fn map_feed(
    feed: fr::Feed,
    format: FeedFormat,
    xml: &str,
    doc_url: Option<&Url>,
) -> ParsedFeed {
    let extras = extras::scan(xml, doc_url);
    let channel_base = extras.channel_base.clone().or_else(|| doc_url.cloned());
    let is_rss = matches!(
        format,
        FeedFormat::Rss0 | FeedFormat::Rss1 | FeedFormat::Rss2
    );

    // Only trust per-item facts when our pass saw exactly feed-rs's items.
    let item_extras: Vec<Option<&ItemExtras>> = if extras.items.len() == feed.entries.len() {
        extras.items.iter().map(Some).collect()
    } else {
        vec![None; feed.entries.len()]
    };

    let entries = feed
        .entries
        .into_iter()
        .zip(item_extras)
        .map(|(entry, x)| map_entry(entry, x, is_rss, channel_base.as_ref()))
        .collect();

    let ttl_minutes = feed
        .ttl
        .or_else(|| extras.ttl.as_deref().and_then(|t| t.trim().parse().ok()))
        .or_else(|| {
            extras::syndication_minutes(
                extras.update_period.as_deref(),
                extras.update_frequency.as_deref(),
            )
        });

    let description = feed.description.map(|t| {
        // RSS channel descriptions are HTML by common practice; feed-rs marks them plain.
        let mut text = map_text(t);
        if is_rss {
            text.kind = TextKind::Html;
        }
        text
    });

    ParsedFeed {
        format,
        title: feed.title.map(map_text).filter(|t| !t.value.is_empty()),
        site_url: alternate_link(&feed.links),
        self_url: feed
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("self"))
            .map(|l| l.href.clone()),
        description: description.filter(|t| !t.value.is_empty()),
        language: feed
            .language
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty()),
        image_url: feed
            .logo
            .or(feed.icon)
            .map(|i| resolve(channel_base.as_ref(), &i.uri))
            .filter(|u| !u.is_empty()),
        new_feed_url: extras
            .new_feed_url
            .map(|u| resolve(channel_base.as_ref(), &u)),
        ttl_minutes,
        updated: feed.updated.or(feed.published),
        authors: map_people(feed.authors, is_rss),
        entries,
    }
}

fn map_entry(
    entry: fr::Entry,
    x: Option<&ItemExtras>,
    is_rss: bool,
    channel_base: Option<&Url>,
) -> ParsedEntry {
    let id = Some(entry.id.trim().to_string()).filter(|id| !id.is_empty());

    // Base for this entry's relative URLs: the item's xml:base chain, else
    // Atom content's own xml:base, else the channel's base / document URL.
    let base = x
        .and_then(|x| x.base.clone())
        .or_else(|| entry.base.as_deref().and_then(|b| join(channel_base, b)))
        .or_else(|| channel_base.cloned());

    let mut link = alternate_link(&entry.links);
    if link.is_none() && is_rss {
        // RSS: a guid is a permalink unless it says isPermaLink="false".
        let permalink = x.and_then(|x| x.permalink).unwrap_or(true);
        if let Some(guid) = id.as_deref().filter(|g| permalink && is_http_url(g)) {
            link = Some(guid.to_string());
        }
    }

    let itunes_duration = x
        .and_then(|x| x.duration.as_deref())
        .and_then(extras::parse_duration);
    let mut enclosures: Vec<ParsedEnclosure> = Vec::new();
    let mut image_url = None;
    let mut credits = Vec::new();
    for object in &entry.media {
        let object_duration = itunes_duration.or(object.duration.map(|d| d.as_secs()));
        for content in &object.content {
            if let Some(url) = &content.url {
                push_enclosure(
                    &mut enclosures,
                    ParsedEnclosure {
                        url: url.to_string(),
                        mime_type: content.content_type.as_ref().map(|m| m.to_string()),
                        length: content.size,
                        duration_secs: content.duration.map(|d| d.as_secs()).or(object_duration),
                    },
                );
            }
        }
        if image_url.is_none() {
            image_url = object
                .thumbnails
                .first()
                .map(|t| resolve(base.as_ref(), &t.image.uri));
        }
        credits.extend(object.credits.iter().map(|c| c.entity.clone()));
    }
    for l in entry
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
    {
        push_enclosure(
            &mut enclosures,
            ParsedEnclosure {
                url: l.href.clone(),
                mime_type: l.media_type.clone(),
                length: l.length,
                duration_secs: itunes_duration,
            },
        );
    }

    let mut authors = map_people(entry.authors, is_rss);
    if authors.is_empty() {
        // itunes:author of an episode.
        authors = credits
            .into_iter()
            .map(|name| Person {
                name: Some(name.trim().to_string()),
                ..Default::default()
            })
            .filter(|p| p.name.as_deref().is_some_and(|n| !n.is_empty()))
            .collect();
    }

    let content = entry.content.and_then(|c| {
        let body = c.body?;
        let kind = kind_of(c.content_type.as_str());
        Some(Text { value: body, kind })
    });

    // feed-rs copies an RSS pubDate into `updated`; that is not an update.
    let updated = match (is_rss, entry.updated) {
        (true, u) if u == entry.published => None,
        (_, u) => u,
    };

    let mut categories: Vec<String> = Vec::new();
    for c in entry.categories {
        let name = c.label.unwrap_or(c.term).trim().to_string();
        if !name.is_empty() && !categories.contains(&name) {
            categories.push(name);
        }
    }

    ParsedEntry {
        id,
        title: entry.title.map(map_text).filter(|t| !t.value.is_empty()),
        link,
        authors,
        content: content.filter(|t| !t.value.trim().is_empty()),
        summary: entry.summary.map(map_text).filter(|t| !t.value.is_empty()),
        published: entry.published,
        updated,
        categories,
        enclosures,
        image_url,
        base_url: base.map(String::from),
    }
}

fn push_enclosure(list: &mut Vec<ParsedEnclosure>, enclosure: ParsedEnclosure) {
    match list.iter_mut().find(|e| e.url == enclosure.url) {
        // The same file seen twice (enclosure + media:content): merge what each knows.
        Some(existing) => {
            existing.mime_type = existing.mime_type.take().or(enclosure.mime_type);
            existing.length = existing.length.or(enclosure.length);
            existing.duration_secs = existing.duration_secs.or(enclosure.duration_secs);
        }
        None => list.push(enclosure),
    }
}

/// The alternate link: `rel` absent (RSS `<link>`) or `alternate`, preferring
/// an HTML type over other representations.
fn alternate_link(links: &[fr::Link]) -> Option<String> {
    let alternates: Vec<&fr::Link> = links
        .iter()
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")) && !l.href.is_empty())
        .collect();
    alternates
        .iter()
        .find(|l| !matches!(l.media_type.as_deref(), Some(t) if !t.contains("html")))
        .or(alternates.first())
        .map(|l| l.href.clone())
}

fn map_text(t: fr::Text) -> Text {
    Text {
        kind: kind_of(t.content_type.as_str()),
        value: t.content,
    }
}

fn kind_of(mime: &str) -> TextKind {
    if mime.to_ascii_lowercase().contains("html") {
        TextKind::Html
    } else {
        TextKind::Plain
    }
}

fn map_people(people: Vec<fr::Person>, is_rss: bool) -> Vec<Person> {
    people
        .into_iter()
        .filter_map(|p| {
            // feed-rs stores RSS `<author>` (an e-mail, often "mail (Name)")
            // as a person named "author" with the whole text as e-mail.
            if is_rss && p.name == "author" {
                return p.email.as_deref().map(rss_author);
            }
            let name = Some(p.name.trim().to_string()).filter(|n| !n.is_empty() && n != "unknown");
            let person = Person {
                name,
                email: p.email,
                uri: p.uri,
            };
            (person.name.is_some() || person.email.is_some() || person.uri.is_some())
                .then_some(person)
        })
        .collect()
}

/// RSS `<author>`: "mail@example.com (Name)", "Name <mail>", a bare address, or just a name.
fn rss_author(text: &str) -> Person {
    let text = text.trim();
    if let (Some(open), true) = (text.find('('), text.ends_with(')')) {
        let email = text[..open].trim();
        let name = text[open + 1..text.len() - 1].trim();
        return Person {
            name: Some(name.to_string()).filter(|n| !n.is_empty()),
            email: Some(email.to_string()).filter(|e| e.contains('@')),
            uri: None,
        };
    }
    if let (Some(open), true) = (text.find('<'), text.ends_with('>')) {
        return Person {
            name: Some(text[..open].trim().to_string()).filter(|n| !n.is_empty()),
            email: Some(text[open + 1..text.len() - 1].trim().to_string()),
            uri: None,
        };
    }
    if text.contains('@') && !text.contains(' ') {
        Person {
            email: Some(text.to_string()),
            ..Default::default()
        }
    } else {
        Person {
            name: Some(text.to_string()),
            ..Default::default()
        }
    }
}

fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")) && Url::parse(s).is_ok()
}

fn join(base: Option<&Url>, relative: &str) -> Option<Url> {
    match base {
        Some(b) => b.join(relative.trim()).ok(),
        None => Url::parse(relative.trim()).ok(),
    }
}

/// `url` made absolute against `base` when possible, else as written (trimmed).
pub(crate) fn resolve(base: Option<&Url>, url: &str) -> String {
    let url = url.trim();
    match Url::parse(url) {
        Ok(u) => u.to_string(),
        Err(_) => join(base, url).map_or_else(|| url.to_string(), String::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_author_forms() {
        let p = rss_author("jo@example.com (Jo Bloggs)");
        assert_eq!(
            (p.name.as_deref(), p.email.as_deref()),
            (Some("Jo Bloggs"), Some("jo@example.com"))
        );
        let p = rss_author("Jo Bloggs <jo@example.com>");
        assert_eq!(
            (p.name.as_deref(), p.email.as_deref()),
            (Some("Jo Bloggs"), Some("jo@example.com"))
        );
        let p = rss_author("jo@example.com");
        assert_eq!((p.name, p.email.as_deref()), (None, Some("jo@example.com")));
        let p = rss_author("Jo Bloggs");
        assert_eq!((p.name.as_deref(), p.email), (Some("Jo Bloggs"), None));
    }

    #[test]
    fn resolve_relative_and_absolute() {
        let base = Url::parse("http://example.com/a/b").ok();
        assert_eq!(
            resolve(base.as_ref(), "c.png"),
            "http://example.com/a/c.png"
        );
        assert_eq!(resolve(base.as_ref(), "https://x.org/y"), "https://x.org/y");
        assert_eq!(resolve(None, "c.png"), "c.png");
    }
}
