//! The JSON Feed 1.1 digest (<https://jsonfeed.org/version/1.1>).
//!
//! The feed carries `home_page_url` (the digest's page), `feed_url` (where
//! it is served), `next_url` (the next older page, RFC 5005 style: JSON Feed
//! has no `first` or `previous`) and `hubs` (a WebSub hub).
//!
//! Items carry `id` (see [`DigestEntry::stable_id`]), `url`, `title`,
//! `content_html` (content, else summary HTML) or else `content_text` (the
//! excerpt: the spec requires one of the two), `summary` (excerpt),
//! `date_published`/`date_modified` (RFC 3339), `authors`, `tags`, and
//! enclosures as `attachments`. Each item also has a `_tributary` extension
//! object listing the feeds that carry it (the spec reserves names starting
//! with `_` for extensions).

use std::collections::HashSet;

use serde::Serialize;

use super::{non_empty, one_line, rfc3339, DigestEntry, DigestOptions};
use crate::PublishError;

/// The version URL every JSON Feed 1.1 document starts with.
pub const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// `mime_type` is required for attachments; this is used when unknown.
const UNKNOWN_MIME: &str = "application/octet-stream";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_page_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<JsonItem<'a>>,
}

/// A JSON Feed `hubs` element.
#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    authors: Vec<Author>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
    #[serde(rename = "_tributary")]
    tributary: Extension<'a>,
}

#[derive(Serialize)]
struct Author {
    name: String,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_in_seconds: Option<u64>,
}

#[derive(Serialize)]
struct Extension<'a> {
    sources: Vec<ExtensionSource<'a>>,
}

#[derive(Serialize)]
struct ExtensionSource<'a> {
    title: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_page_url: Option<&'a str>,
}

/// Renders entries as a pretty-printed JSON Feed 1.1 document.
pub(super) fn render(
    entries: &[DigestEntry<'_>],
    opts: &DigestOptions,
) -> Result<String, PublishError> {
    let mut seen_ids = HashSet::new();
    let feed = JsonFeed {
        version: VERSION,
        title: super::atom::title_or_default(&opts.title),
        home_page_url: non_empty(opts.link.as_deref()).map(str::trim),
        feed_url: non_empty(opts.links.self_url.as_deref()).map(str::trim),
        next_url: non_empty(opts.links.next.as_deref()).map(str::trim),
        hubs: non_empty(opts.links.hub.as_deref())
            .map(|url| Hub {
                kind: "WebSub",
                url: url.trim(),
            })
            .into_iter()
            .collect(),
        items: entries.iter().map(|e| item(e, &mut seen_ids)).collect(),
    };
    let mut json = serde_json::to_string_pretty(&feed)?;
    json.push('\n');
    Ok(json)
}

fn item<'a>(entry: &DigestEntry<'a>, seen_ids: &mut HashSet<String>) -> JsonItem<'a> {
    let item: &'a tributary_model::RiverItem = entry.item;
    let e = &item.entry;
    let excerpt = non_empty(Some(e.excerpt.as_str())).map(str::trim);
    let content_html =
        non_empty(e.content_html.as_deref()).or_else(|| non_empty(e.summary_html.as_deref()));
    JsonItem {
        id: entry.unique_id(seen_ids),
        url: non_empty(e.url.as_deref()).map(str::trim),
        title: one_line(&e.title),
        content_html,
        // The spec requires content_html or content_text; an entry with
        // neither HTML nor excerpt gets an empty text rather than none.
        content_text: content_html.is_none().then_some(excerpt.unwrap_or("")),
        summary: excerpt,
        date_published: rfc3339(e.published),
        date_modified: e.updated.map(rfc3339),
        authors: vec![Author {
            name: one_line(entry.author()),
        }],
        tags: e
            .categories
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect(),
        attachments: e
            .enclosures
            .iter()
            .filter(|enc| !enc.url.trim().is_empty())
            .map(|enc| Attachment {
                url: enc.url.trim(),
                mime_type: non_empty(enc.mime_type.as_deref()).unwrap_or(UNKNOWN_MIME),
                size_in_bytes: enc.length,
                duration_in_seconds: enc.duration_secs,
            })
            .collect(),
        tributary: Extension {
            sources: entry
                .sources
                .iter()
                .map(|s| ExtensionSource {
                    title: &s.title,
                    feed_url: &s.feed_url,
                    home_page_url: non_empty(s.site_url.as_deref()),
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{item as river_item, source};
    use super::super::{render as render_digest, Format};
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::{json, Value};
    use tributary_model::Enclosure;

    fn opts() -> DigestOptions {
        DigestOptions {
            title: "River".into(),
            link: Some("https://river.example/".into()),
            generated_at: Utc.with_ymd_and_hms(2024, 5, 2, 8, 30, 0).unwrap(),
            links: Default::default(),
        }
    }

    fn parse(json: &str) -> Value {
        match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("JSON Feed output does not parse: {e}\n{json}"),
        }
    }

    #[test]
    fn feed_fields() {
        let a = source(1, "Alpha");
        let b = source(2, "Beta");
        let mut first = river_item(1, &a, "Pod & cast", Some("https://x.example/ep1"));
        first.entry.content_html = Some("<p>Show notes</p>".into());
        first.entry.updated = Some(Utc.with_ymd_and_hms(2024, 5, 1, 13, 0, 0).unwrap());
        first.entry.categories = vec!["audio".into()];
        first.entry.author = Some("Host".into());
        first.entry.enclosures = vec![
            Enclosure {
                url: "https://x.example/ep1.mp3".into(),
                mime_type: Some("audio/mpeg".into()),
                length: Some(12_345_678),
                duration_secs: Some(3600),
            },
            Enclosure {
                url: "https://x.example/ep1.bin".into(),
                ..Default::default()
            },
        ];
        let dup = river_item(2, &b, "Pod & cast again", Some("https://x.example/ep1"));
        let plain = river_item(3, &b, "Plain", None);

        let v = parse(&render_digest(&[first, dup, plain], Format::Json, &opts()));
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(v["title"], "River");
        assert_eq!(v["home_page_url"], "https://river.example/");
        let items = v["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);

        let it = &items[0];
        assert_eq!(it["id"], "tag:tributary,2024:feed/1/guid:post-1");
        assert_eq!(it["url"], "https://x.example/ep1");
        assert_eq!(it["title"], "Pod & cast");
        assert_eq!(it["content_html"], "<p>Show notes</p>");
        assert!(it.get("content_text").is_none());
        assert_eq!(it["summary"], "Excerpt of Pod & cast.");
        assert_eq!(it["date_published"], "2024-05-01T11:00:00Z");
        assert_eq!(it["date_modified"], "2024-05-01T13:00:00Z");
        assert_eq!(it["authors"], json!([{"name": "Host"}]));
        assert_eq!(it["tags"], json!(["audio"]));
        assert_eq!(
            it["attachments"],
            json!([
                {"url": "https://x.example/ep1.mp3", "mime_type": "audio/mpeg",
                 "size_in_bytes": 12_345_678, "duration_in_seconds": 3600},
                {"url": "https://x.example/ep1.bin", "mime_type": "application/octet-stream"}
            ])
        );
        let names: Vec<_> = it["_tributary"]["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s["title"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["Alpha", "Beta"]);

        let it = &items[1];
        assert!(it.get("url").is_none());
        assert!(it.get("content_html").is_none());
        assert_eq!(it["content_text"], "Excerpt of Plain.");
        assert_eq!(it["authors"], json!([{"name": "Beta"}]));
        assert!(it.get("attachments").is_none());
    }

    #[test]
    fn feed_url_next_url_and_hub() {
        let mut o = opts();
        let v = parse(&render_digest(&[], Format::Json, &o));
        assert!(v.get("feed_url").is_none() && v.get("next_url").is_none());
        assert!(v.get("hubs").is_none());
        o.links = super::super::FeedLinks {
            self_url: Some("https://river.example/feeds/all.json".into()),
            first: Some("https://river.example/feeds/all.json".into()),
            previous: None,
            next: Some("https://river.example/feeds/all.json?after=5-1".into()),
            hub: Some("https://hub.example/".into()),
        };
        let v = parse(&render_digest(&[], Format::Json, &o));
        assert_eq!(v["feed_url"], "https://river.example/feeds/all.json");
        assert_eq!(
            v["next_url"],
            "https://river.example/feeds/all.json?after=5-1"
        );
        assert_eq!(
            v["hubs"],
            json!([{"type": "WebSub", "url": "https://hub.example/"}])
        );
    }

    #[test]
    fn empty_river_is_a_valid_feed() {
        let v = parse(&render_digest(&[], Format::Json, &opts()));
        assert_eq!(v["items"], json!([]));
    }
}
