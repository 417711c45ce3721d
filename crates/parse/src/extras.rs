//! A light quick-xml pass that collects what feed-rs does not expose:
//! `itunes:new-feed-url`, the syndication module's update period, RSS
//! `guid@isPermaLink`, the raw `itunes:duration` text (feed-rs misreads
//! "MM:SS"), and the `xml:base` in effect for each item.
//!
//! Items are recorded in document order so they can be matched with
//! feed-rs's entries by index; the caller only does so when both counts agree.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use url::Url;

const ITUNES_NS: &[u8] = b"http://www.itunes.com/dtds/podcast-1.0.dtd";
const SY_NS: &[u8] = b"http://purl.org/rss/1.0/modules/syndication/";

/// Per-item facts, in document order.
#[derive(Debug, Default, Clone)]
pub(crate) struct ItemExtras {
    /// `Some(false)` when the guid says `isPermaLink="false"`.
    pub permalink: Option<bool>,
    /// Raw `itunes:duration` text.
    pub duration: Option<String>,
    /// Base URL in effect at the item (`xml:base` chain over the document URL).
    pub base: Option<Url>,
}

/// Channel-level facts plus the items.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub new_feed_url: Option<String>,
    pub update_period: Option<String>,
    pub update_frequency: Option<String>,
    pub ttl: Option<String>,
    /// Base in effect at the channel/feed element.
    pub channel_base: Option<Url>,
    pub items: Vec<ItemExtras>,
}

/// What text, if any, is being collected for the current element.
#[derive(Clone, Copy, PartialEq)]
enum Capture {
    NewFeedUrl,
    Period,
    Frequency,
    Ttl,
    Duration,
}

/// Scan `xml` (already decoded and repaired). Stops quietly at the first
/// syntax error: feed-rs reports errors, this pass only adds detail.
pub(crate) fn scan(xml: &str, doc_url: Option<&Url>) -> Extras {
    let mut reader = NsReader::from_str(xml);
    let mut extras = Extras::default();
    // (local name, base in effect) for each open element.
    let mut stack: Vec<(Vec<u8>, Option<Url>)> = Vec::new();
    let mut item_depth: Option<usize> = None;
    let mut capture: Option<(Capture, usize, String)> = None;

    while let Ok((ns, event)) = reader.read_resolved_event() {
        let ns: Option<&[u8]> = match &ns {
            ResolveResult::Bound(n) => Some(n.as_ref()),
            _ => None,
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let local = e.local_name().as_ref().to_vec();
                let parent_base = stack
                    .last()
                    .map_or_else(|| doc_url.cloned(), |(_, b)| b.clone());
                let base = apply_xml_base(e, parent_base);
                let parent = stack.last().map(|(n, _)| n.as_slice());
                let depth = stack.len() + 1;

                let is_item = item_depth.is_none()
                    && ((local == b"item" && matches!(parent, Some(b"channel" | b"RDF" | b"rss")))
                        || (local == b"entry" && (parent == Some(b"feed") || parent.is_none())));
                if is_item {
                    extras.items.push(ItemExtras {
                        base: base.clone(),
                        ..Default::default()
                    });
                    item_depth = Some(depth);
                } else if matches!(local.as_slice(), b"channel" | b"feed")
                    && extras.channel_base.is_none()
                {
                    extras.channel_base = base.clone();
                }

                if item_depth.is_some() && !is_item {
                    if let Some(item) = extras.items.last_mut() {
                        if local == b"guid" {
                            item.permalink = attr(e, b"isPermaLink")
                                .map(|v| !v.trim().eq_ignore_ascii_case("false"));
                        } else if local == b"duration" && ns == Some(ITUNES_NS) {
                            capture = Some((Capture::Duration, depth, String::new()));
                        }
                    }
                } else if item_depth.is_none() {
                    let what = match (ns, local.as_slice()) {
                        (Some(ITUNES_NS), b"new-feed-url") => Some(Capture::NewFeedUrl),
                        (Some(SY_NS), b"updatePeriod") => Some(Capture::Period),
                        (Some(SY_NS), b"updateFrequency") => Some(Capture::Frequency),
                        (None, b"ttl") if parent == Some(b"channel") => Some(Capture::Ttl),
                        _ => None,
                    };
                    if let Some(what) = what {
                        capture = Some((what, depth, String::new()));
                    }
                }

                if is_empty {
                    if item_depth == Some(depth) {
                        item_depth = None;
                    }
                    capture = None;
                } else {
                    stack.push((local, base));
                }
            }
            Event::Text(ref t) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    if let Ok(text) = t.unescape() {
                        buf.push_str(&text);
                    }
                }
            }
            Event::CData(ref c) => {
                if let Some((_, _, buf)) = capture.as_mut() {
                    if let Ok(text) = c.decode() {
                        buf.push_str(&text);
                    }
                }
            }
            Event::End(_) => {
                let depth = stack.len();
                if let Some((what, at, buf)) = capture.take() {
                    if at == depth {
                        store(&mut extras, what, buf);
                    } else {
                        capture = Some((what, at, buf));
                    }
                }
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    extras
}

fn store(extras: &mut Extras, what: Capture, text: String) {
    let text = text.trim().to_string();
    if text.is_empty() {
        return;
    }
    match what {
        Capture::NewFeedUrl => extras.new_feed_url = Some(text),
        Capture::Period => extras.update_period = Some(text),
        Capture::Frequency => extras.update_frequency = Some(text),
        Capture::Ttl => extras.ttl = Some(text),
        Capture::Duration => {
            if let Some(item) = extras.items.last_mut() {
                item.duration = Some(text);
            }
        }
    }
}

/// The value of attribute `name` (qualified name as written), unescaped.
fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// The base after this element's `xml:base`, if it has one.
fn apply_xml_base(e: &BytesStart<'_>, parent: Option<Url>) -> Option<Url> {
    let Some(value) = attr(e, b"xml:base") else {
        return parent;
    };
    let value = value.trim();
    match &parent {
        Some(p) => p.join(value).ok().or(parent),
        None => Url::parse(value).ok(),
    }
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

/// `sy:updatePeriod` / `sy:updateFrequency` as minutes between updates.
pub(crate) fn syndication_minutes(period: Option<&str>, frequency: Option<&str>) -> Option<u32> {
    let minutes: u32 = match period?.trim().to_ascii_lowercase().as_str() {
        "hourly" => 60,
        "daily" => 1440,
        "weekly" => 10_080,
        "monthly" => 43_200,
        "yearly" => 525_600,
        _ => return None,
    };
    let frequency = frequency
        .and_then(|f| f.trim().parse::<u32>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some((minutes / frequency).max(1))
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

    #[test]
    fn syndication_period() {
        assert_eq!(syndication_minutes(Some("hourly"), Some("2")), Some(30));
        assert_eq!(syndication_minutes(Some("daily"), None), Some(1440));
        assert_eq!(syndication_minutes(Some("sometimes"), None), None);
        assert_eq!(syndication_minutes(None, Some("2")), None);
    }

    #[test]
    fn scans_channel_and_items() {
        let xml = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
            <channel xml:base="http://example.com/blog/">
              <itunes:new-feed-url> https://new.example.com/feed </itunes:new-feed-url>
              <ttl>30</ttl>
              <item xml:base="posts/"><guid isPermaLink="false">x</guid><itunes:duration>10:00</itunes:duration></item>
              <item><guid>http://example.com/2</guid></item>
            </channel></rss>"#;
        let extras = scan(xml, None);
        assert_eq!(
            extras.new_feed_url.as_deref(),
            Some("https://new.example.com/feed")
        );
        assert_eq!(extras.ttl.as_deref(), Some("30"));
        assert_eq!(extras.items.len(), 2);
        assert_eq!(extras.items[0].permalink, Some(false));
        assert_eq!(extras.items[0].duration.as_deref(), Some("10:00"));
        assert_eq!(
            extras.items[0].base.as_ref().map(Url::as_str),
            Some("http://example.com/blog/posts/")
        );
        assert_eq!(extras.items[1].permalink, None);
        assert_eq!(
            extras.items[1].base.as_ref().map(Url::as_str),
            Some("http://example.com/blog/")
        );
    }
}
