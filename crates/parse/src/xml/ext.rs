//! Extension namespaces: Dublin Core (+ terms), `content:encoded`,
//! iTunes, Media RSS, Podcasting 2.0 and the syndication module.

use crate::{
    Category, Explicit, Itunes, Link, Media, MediaContent, MediaQualified, MediaThumbnail,
    ParsedEnclosure, ParsedEntry, Person, Podcast, PodcastChapters, PodcastFunding, PodcastPerson,
    PodcastTranscript,
};

use super::feed::{Builder, PersonSlot, Target};
use super::ns::Ns;
use super::reader::{Action, Bindings, Captured, Element};
use super::text::{self, TextParams};

const ITUNES_SCHEME: &str = "http://www.itunes.com/";
const MEDIA_CATEGORY_SCHEME: &str = "http://search.yahoo.com/mrss/category_schema";

/// Extension text targets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExtTarget {
    ItunesBlock,
    ItunesExplicit,
    ItunesKeywords,
    ItunesDuration,
    ItunesType,
    ItunesEpisode,
    ItunesSeason,
    MediaTitle,
    MediaDescription,
    MediaKeywords,
    MediaCategory {
        scheme: Option<String>,
        label: Option<String>,
    },
    MediaQualified {
        which: Qualified,
        q: MediaQualified,
    },
    PodcastGuid,
    PodcastLocked {
        owner: Option<String>,
    },
    PodcastFunding {
        url: String,
    },
    PodcastPerson {
        person: PodcastPerson,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qualified {
    Credit,
    Rating,
    Restriction,
    License,
}

/// Open extension containers.
#[derive(Debug, Default)]
pub(crate) struct ExtState {
    /// Depth of an open `media:content` whose children describe it.
    media_content: Option<usize>,
}

fn itunes_of(b: &mut Builder) -> &mut Itunes {
    match b.entry.as_mut() {
        Some(e) => e.itunes.get_or_insert_with(Box::default),
        None => b.feed.itunes.get_or_insert_with(Box::default),
    }
}

fn media_of(b: &mut Builder) -> &mut Media {
    match b.entry.as_mut() {
        Some(e) => e.media.get_or_insert_with(Box::default),
        None => b.feed.media.get_or_insert_with(Box::default),
    }
}

fn podcast_of(b: &mut Builder) -> &mut Podcast {
    match b.entry.as_mut() {
        Some(e) => e.podcast.get_or_insert_with(Box::default),
        None => b.feed.podcast.get_or_insert_with(Box::default),
    }
}

fn ext_capture(b: &mut Builder, el: &Element<'_>, t: ExtTarget) -> Action {
    b.capture(el, Target::Ext(t), "text/plain")
}

fn num<T: std::str::FromStr>(s: Option<String>) -> Option<T> {
    s.and_then(|s| s.trim().parse().ok())
}

pub(crate) fn start(b: &mut Builder, el: &Element<'_>, _bindings: &Bindings) -> Action {
    let in_entry = b.entry.is_some();
    match (el.ns, el.local) {
        (Ns::Dc, "title") => b.capture(el, Target::Title, "text/plain"),
        (Ns::Dc, "description") => {
            let t = if in_entry {
                Target::Summary
            } else {
                Target::Subtitle
            };
            b.capture(el, t, "text/html")
        }
        (Ns::Dc, "creator" | "author") => b.capture(el, Target::AuthorText, "text/plain"),
        (Ns::Dc, "contributor") => b.capture(el, Target::ContributorText, "text/plain"),
        (Ns::Dc, "date") | (Ns::Dcterms, "modified") => {
            b.capture(el, Target::Updated, "text/plain")
        }
        (Ns::Dcterms, "issued") => b.capture(el, Target::Published, "text/plain"),
        (Ns::Dc, "subject") => b.capture(el, Target::Category { scheme: None }, "text/plain"),
        (Ns::Dc, "language") => b.capture(el, Target::Language, "text/plain"),
        (Ns::Content, "encoded") => b.capture(el, Target::Content, "text/html"),
        (Ns::Sy, "updateperiod") => b.capture(el, Target::SyPeriod, "text/plain"),
        (Ns::Sy, "updatefrequency") => b.capture(el, Target::SyFrequency, "text/plain"),
        (Ns::Itunes, _) => start_itunes(b, el),
        (Ns::Media, _) => start_media(b, el),
        (Ns::Podcast, _) => start_podcast(b, el),
        _ => Action::Descend,
    }
}

fn start_itunes(b: &mut Builder, el: &Element<'_>) -> Action {
    if b.person.is_some() {
        return match el.local {
            "name" => b.capture(el, Target::PersonName, "text/plain"),
            "email" => b.capture(el, Target::PersonEmail, "text/plain"),
            _ => Action::Skip,
        };
    }
    match el.local {
        "author" => b.capture(el, Target::AuthorText, "text/plain"),
        "owner" => {
            b.person = Some((PersonSlot::Owner, Person::default(), el.depth));
            Action::Descend
        }
        "subtitle" => b.capture(el, Target::Subtitle, "text/plain"),
        "summary" => b.capture(el, Target::Summary, "text/plain"),
        "block" => ext_capture(b, el, ExtTarget::ItunesBlock),
        "explicit" => ext_capture(b, el, ExtTarget::ItunesExplicit),
        "keywords" => ext_capture(b, el, ExtTarget::ItunesKeywords),
        "duration" => ext_capture(b, el, ExtTarget::ItunesDuration),
        "type" | "episodetype" => ext_capture(b, el, ExtTarget::ItunesType),
        "episode" => ext_capture(b, el, ExtTarget::ItunesEpisode),
        "season" => ext_capture(b, el, ExtTarget::ItunesSeason),
        "new-feed-url" => b.capture(el, Target::NewFeedUrl, "text/plain"),
        "image" | "link" => {
            let r = &mut b.dec.repaired;
            if el.local == "link" && el.attr("rel", r).is_some_and(|v| v.trim() != "image") {
                return Action::Skip;
            }
            let href = el
                .attr("href", r)
                .or_else(|| el.attr("url", r))
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty());
            if let Some(href) = href {
                let href = Builder::resolve(el.base, &href);
                itunes_of(b).image = Some(href);
            }
            Action::Skip
        }
        "category" => {
            if let Some(term) = el.attr("text", &mut b.dec.repaired) {
                b.add_category(Category {
                    term: term.trim().to_string(),
                    scheme: Some(ITUNES_SCHEME.into()),
                    label: None,
                });
            }
            Action::Descend
        }
        _ => Action::Skip,
    }
}

fn start_media(b: &mut Builder, el: &Element<'_>) -> Action {
    let r = &mut b.dec.repaired;
    match el.local {
        "group" => Action::Descend,
        "content" => {
            let url = el.attr("url", r).map(|u| Builder::resolve(el.base, &u));
            let c = MediaContent {
                url,
                media_type: el.attr("type", r).map(|s| s.trim().to_string()),
                medium: el.attr("medium", r),
                file_size: num(el.attr("filesize", r)),
                duration_secs: el.attr("duration", r).as_deref().and_then(parse_duration),
                width: num(el.attr("width", r)),
                height: num(el.attr("height", r)),
                bitrate: el.attr("bitrate", r),
                lang: el.attr("lang", r),
            };
            media_of(b).content.push(c);
            b.ext.media_content = Some(el.depth);
            Action::Descend
        }
        "thumbnail" => {
            if let Some(url) = el.attr("url", r) {
                let t = MediaThumbnail {
                    url: Builder::resolve(el.base, &url),
                    width: num(el.attr("width", r)),
                    height: num(el.attr("height", r)),
                    time: el.attr("time", r),
                };
                media_of(b).thumbnails.push(t);
            }
            Action::Skip
        }
        "player" => {
            let p = MediaContent {
                url: el.attr("url", r).map(|u| Builder::resolve(el.base, &u)),
                width: num(el.attr("width", r)),
                height: num(el.attr("height", r)),
                ..Default::default()
            };
            media_of(b).player = Some(p);
            Action::Skip
        }
        "title" => b.capture(el, Target::Ext(ExtTarget::MediaTitle), "text/plain"),
        "description" => b.capture(el, Target::Ext(ExtTarget::MediaDescription), "text/plain"),
        "keywords" => ext_capture(b, el, ExtTarget::MediaKeywords),
        "category" => {
            let scheme = el.attr("scheme", r);
            let label = el.attr("label", r);
            ext_capture(b, el, ExtTarget::MediaCategory { scheme, label })
        }
        "credit" | "rating" | "restriction" | "license" => {
            let which = match el.local {
                "credit" => Qualified::Credit,
                "rating" => Qualified::Rating,
                "restriction" => Qualified::Restriction,
                _ => Qualified::License,
            };
            let q = MediaQualified {
                content: String::new(),
                role: el.attr("role", r),
                scheme: el.attr("scheme", r),
                relationship: el.attr("relationship", r),
                kind: el.attr("type", r),
                href: el.attr("href", r).map(|u| Builder::resolve(el.base, &u)),
            };
            ext_capture(b, el, ExtTarget::MediaQualified { which, q })
        }
        _ => Action::Skip,
    }
}

fn start_podcast(b: &mut Builder, el: &Element<'_>) -> Action {
    let r = &mut b.dec.repaired;
    match el.local {
        "guid" => ext_capture(b, el, ExtTarget::PodcastGuid),
        "locked" => {
            let owner = el.attr("owner", r);
            ext_capture(b, el, ExtTarget::PodcastLocked { owner })
        }
        "funding" => match el.attr("url", r) {
            Some(url) => {
                let url = Builder::resolve(el.base, &url);
                ext_capture(b, el, ExtTarget::PodcastFunding { url })
            }
            None => Action::Skip,
        },
        "person" => {
            let person = PodcastPerson {
                name: String::new(),
                role: el.attr("role", r),
                group: el.attr("group", r),
                img: el.attr("img", r).map(|u| Builder::resolve(el.base, &u)),
                href: el.attr("href", r).map(|u| Builder::resolve(el.base, &u)),
            };
            ext_capture(b, el, ExtTarget::PodcastPerson { person })
        }
        "transcript" => {
            if let Some(url) = el.attr("url", r) {
                let t = PodcastTranscript {
                    url: Builder::resolve(el.base, &url),
                    media_type: el.attr("type", r),
                    language: el.attr("language", r),
                    rel: el.attr("rel", r),
                };
                podcast_of(b).transcripts.push(t);
            }
            Action::Skip
        }
        "chapters" => {
            if let Some(url) = el.attr("url", r) {
                let c = PodcastChapters {
                    url: Builder::resolve(el.base, &url),
                    media_type: el.attr("type", r),
                };
                podcast_of(b).chapters = Some(c);
            }
            Action::Skip
        }
        _ => Action::Skip,
    }
}

/// The end of a captured extension element.
pub(crate) fn end(
    b: &mut Builder,
    t: ExtTarget,
    el: &Element<'_>,
    content: &Captured<'_>,
    params: TextParams,
    depth: usize,
) {
    let raw_value = b.dec.text(content.raw).into_owned();
    let value = raw_value.trim().to_string();
    match t {
        // feedparser compares these exactly: " yes " is not "yes".
        ExtTarget::ItunesBlock => {
            itunes_of(b).block = Some(raw_value == "yes" || raw_value == "Yes")
        }
        ExtTarget::ItunesExplicit => {
            itunes_of(b).explicit = Some(match raw_value.as_str() {
                "yes" | "true" | "explicit" => Explicit::Yes,
                "clean" | "no" | "false" => Explicit::Clean,
                _ => Explicit::Unknown,
            })
        }
        ExtTarget::ItunesKeywords => {
            for term in value.split(',') {
                let term = term.trim();
                if !term.is_empty() {
                    itunes_of(b).keywords.push(term.to_string());
                    b.add_category(Category {
                        term: term.to_string(),
                        scheme: Some(ITUNES_SCHEME.into()),
                        label: None,
                    });
                }
            }
        }
        ExtTarget::ItunesDuration => itunes_of(b).duration = Some(value).filter(|v| !v.is_empty()),
        ExtTarget::ItunesType => itunes_of(b).kind = Some(value).filter(|v| !v.is_empty()),
        ExtTarget::ItunesEpisode => itunes_of(b).episode = Some(value).filter(|v| !v.is_empty()),
        ExtTarget::ItunesSeason => itunes_of(b).season = Some(value).filter(|v| !v.is_empty()),
        ExtTarget::MediaTitle | ExtTarget::MediaDescription => {
            let mut at = b.place(el, t == ExtTarget::MediaDescription);
            at.bindings = Some(content.bindings);
            let text = text::build(content.raw, content.has_children, params, at, &mut b.dec);
            let m = media_of(b);
            let slot = if t == ExtTarget::MediaTitle {
                &mut m.title
            } else {
                &mut m.description
            };
            if slot.is_none() {
                *slot = Some(text.clone());
            }
            // feedparser also reads them as the title / description, below
            // one of the item's own (as if one level deeper).
            let target = if t == ExtTarget::MediaTitle {
                Target::Title
            } else {
                Target::Summary
            };
            if b.entry.is_some() || target == Target::Title {
                b.set_text(target, text, depth + 1);
            }
        }
        ExtTarget::MediaKeywords => {
            for k in value.split(',') {
                let k = k.trim();
                if !k.is_empty() {
                    media_of(b).keywords.push(k.to_string());
                }
            }
        }
        ExtTarget::MediaCategory { scheme, label } => {
            if !value.is_empty() {
                b.add_category(Category {
                    term: value,
                    scheme: Some(scheme.unwrap_or_else(|| MEDIA_CATEGORY_SCHEME.into())),
                    label,
                });
            }
        }
        ExtTarget::MediaQualified { which, mut q } => {
            q.content = value;
            let m = media_of(b);
            match which {
                Qualified::Credit => m.credits.push(q),
                Qualified::Rating => m.ratings.push(q),
                Qualified::Restriction => m.restriction = Some(q),
                Qualified::License => m.license = Some(q),
            }
        }
        ExtTarget::PodcastGuid => podcast_of(b).guid = Some(value).filter(|v| !v.is_empty()),
        ExtTarget::PodcastLocked { owner } => {
            let p = podcast_of(b);
            p.locked = Some(value.eq_ignore_ascii_case("yes"));
            p.locked_owner = owner;
        }
        ExtTarget::PodcastFunding { url } => podcast_of(b).funding.push(PodcastFunding {
            url,
            text: Some(value).filter(|v| !v.is_empty()),
        }),
        ExtTarget::PodcastPerson { mut person } => {
            if !value.is_empty() {
                person.name = value;
                podcast_of(b).persons.push(person);
            }
        }
    }
}

/// The end of a non-captured element (containers).
pub(crate) fn end_element(b: &mut Builder, el: &Element<'_>) {
    if b.ext.media_content == Some(el.depth) {
        b.ext.media_content = None;
    }
}

pub(crate) fn set_owner(b: &mut Builder, person: Person) {
    if person.name.is_some() || person.email.is_some() {
        itunes_of(b).owner = Some(person);
    }
}

pub(crate) fn push_enclosure(list: &mut Vec<ParsedEnclosure>, enclosure: ParsedEnclosure) {
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

/// Entry-level derived fields: media objects as enclosures, durations, image.
pub(crate) fn finish_entry(e: &mut ParsedEntry) {
    let itunes_duration = e
        .itunes
        .as_ref()
        .and_then(|i| i.duration.as_deref())
        .and_then(parse_duration);
    if let Some(m) = &e.media {
        for c in &m.content {
            if let Some(url) = &c.url {
                push_enclosure(
                    &mut e.enclosures,
                    ParsedEnclosure {
                        url: url.clone(),
                        mime_type: c.media_type.clone(),
                        length: c.file_size,
                        duration_secs: c.duration_secs,
                    },
                );
            }
        }
        if e.image_url.is_none() {
            e.image_url = m.thumbnails.first().map(|t| t.url.clone());
        }
    }
    if let Some(d) = itunes_duration {
        for enc in &mut e.enclosures {
            enc.duration_secs.get_or_insert(d);
        }
    }
    if e.authors.is_empty() {
        if let Some(m) = &e.media {
            for c in &m.credits {
                if !c.content.is_empty() {
                    e.authors.push(Person {
                        name: Some(c.content.clone()),
                        ..Default::default()
                    });
                }
            }
        }
    }
    let _ = Link::default;
}

/// `itunes:duration` in seconds: "HH:MM:SS", "MM:SS", or plain seconds
/// (fractions ignored).
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let whole = text.split('.').next()?;
    let parts: Vec<&str> = whole.split(':').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    parts.iter().try_fold(0u64, |acc, p| {
        acc.checked_mul(60)?.checked_add(p.parse::<u64>().ok()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1:02:03"), Some(3723));
        assert_eq!(parse_duration("62:03"), Some(3723));
        assert_eq!(parse_duration("3723"), Some(3723));
        assert_eq!(parse_duration(" 45.5 "), Some(45));
        assert_eq!(parse_duration("1:2:3:4"), None);
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("99999999999999999999"), None);
    }
}
