//! The JSON body of a delivery (version 1, documented in docs/WEBHOOKS.md).
//!
//! The shape is part of the public interface: fields are only ever added,
//! never renamed or removed, and `version` changes if that promise must be
//! broken. Every field is always present (`null` when unknown), so a
//! receiver never has to tell "absent" from "null".

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tributary_model::RiverItem;

/// The payload version.
pub const VERSION: u32 = 1;

/// What a delivery announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// New entries.
    Entries,
    /// A test request ("send test"): `entries` is empty.
    Ping,
}

impl Event {
    /// The `X-Tributary-Event` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Entries => "entries",
            Event::Ping => "ping",
        }
    }
}

/// The whole body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// [`VERSION`].
    pub version: u32,
    /// `entries` or `ping`.
    pub event: Event,
    /// The webhook's id.
    pub webhook_id: i64,
    /// The delivery id (also the `X-Tributary-Delivery` header).
    pub delivery_id: String,
    /// When the batch was made (RFC 3339, UTC); retries keep it.
    pub created_at: String,
    /// The entries, oldest stored first (ascending `id`).
    pub entries: Vec<PayloadEntry>,
}

/// The feed an entry came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadFeed {
    /// Tributary's feed id.
    pub id: i64,
    /// The feed's title as the user sees it (their override, else the feed's).
    pub title: String,
    /// The feed's URL.
    pub url: String,
    /// The site the feed belongs to.
    pub site_url: Option<String>,
}

/// A podcast file or other attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadEnclosure {
    /// Absolute URL.
    pub url: String,
    /// MIME type as the feed announced it.
    pub mime_type: Option<String>,
    /// Size in bytes as the feed announced it.
    pub length: Option<u64>,
    /// Duration in seconds.
    pub duration_secs: Option<u64>,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadEntry {
    /// Tributary's entry id (ascending in the order entries were stored).
    pub id: i64,
    /// Its feed.
    pub feed: PayloadFeed,
    /// Plain-text title.
    pub title: String,
    /// Link to the article.
    pub url: Option<String>,
    /// The feed's guid/id of the entry.
    pub guid: Option<String>,
    /// Author, as the feed gives it.
    pub author: Option<String>,
    /// Publication time (RFC 3339, UTC).
    pub published: String,
    /// Last update, when the feed gives one.
    pub updated: Option<String>,
    /// Plain-text excerpt.
    pub excerpt: String,
    /// Sanitized HTML: the full content, else the summary; `null` when the
    /// feed gives neither.
    pub content_html: Option<String>,
    /// The entry's categories/tags.
    pub categories: Vec<String>,
    /// Attachments.
    pub enclosures: Vec<PayloadEnclosure>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl PayloadEntry {
    /// The payload form of a stored entry with its source.
    pub fn from_item(item: &RiverItem) -> PayloadEntry {
        let e = &item.entry;
        PayloadEntry {
            id: e.id.0,
            feed: PayloadFeed {
                id: item.source.feed_id.0,
                title: item.source.title.clone(),
                url: item.source.feed_url.clone(),
                site_url: item.source.site_url.clone(),
            },
            title: e.title.clone(),
            url: e.url.clone(),
            guid: e.guid.clone(),
            author: e.author.clone(),
            published: rfc3339(e.published),
            updated: e.updated.map(rfc3339),
            excerpt: e.excerpt.clone(),
            content_html: e.content_html.clone().or_else(|| e.summary_html.clone()),
            categories: e.categories.clone(),
            enclosures: e
                .enclosures
                .iter()
                .map(|x| PayloadEnclosure {
                    url: x.url.clone(),
                    mime_type: x.mime_type.clone(),
                    length: x.length,
                    duration_secs: x.duration_secs,
                })
                .collect(),
        }
    }
}

impl Payload {
    /// A batch of `items` (in id order).
    pub fn entries(
        webhook_id: i64,
        delivery_id: &str,
        created_at: DateTime<Utc>,
        items: &[RiverItem],
    ) -> Payload {
        Payload {
            version: VERSION,
            event: Event::Entries,
            webhook_id,
            delivery_id: delivery_id.to_owned(),
            created_at: rfc3339(created_at),
            entries: items.iter().map(PayloadEntry::from_item).collect(),
        }
    }

    /// A test ping.
    pub fn ping(webhook_id: i64, delivery_id: &str, created_at: DateTime<Utc>) -> Payload {
        Payload {
            version: VERSION,
            event: Event::Ping,
            webhook_id,
            delivery_id: delivery_id.to_owned(),
            created_at: rfc3339(created_at),
            entries: Vec::new(),
        }
    }

    /// The body: compact JSON, fields in the documented order.
    pub fn to_body(&self) -> String {
        // Serializing plain strings, numbers and lists cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tributary_model::{Enclosure, Entry, EntryId, FeedId, Source};

    fn item() -> RiverItem {
        RiverItem {
            entry: Entry {
                id: EntryId(42),
                feed_id: FeedId(7),
                key: "guid:x".into(),
                guid: Some("x".into()),
                url: Some("https://a.example/post".into()),
                canonical_url: None,
                title: "Leaf & spine".into(),
                author: None,
                content_html: None,
                summary_html: Some("<p>Sum</p>".into()),
                excerpt: "Sum".into(),
                published: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
                updated: None,
                enclosures: vec![Enclosure {
                    url: "https://a.example/ep.mp3".into(),
                    mime_type: Some("audio/mpeg".into()),
                    length: Some(1234),
                    duration_secs: None,
                }],
                categories: vec!["net".into()],
            },
            source: Source {
                feed_id: FeedId(7),
                title: "A blog".into(),
                feed_url: "https://a.example/feed".into(),
                site_url: None,
            },
            read: false,
            starred: false,
        }
    }

    #[test]
    fn the_documented_shape() {
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 8, 30, 0).unwrap();
        let body = Payload::entries(3, "d1", at, &[item()]).to_body();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["event"], "entries");
        assert_eq!(v["webhook_id"], 3);
        assert_eq!(v["delivery_id"], "d1");
        assert_eq!(v["created_at"], "2026-12-02T08:30:00Z");
        let e = &v["entries"][0];
        assert_eq!(e["id"], 42);
        assert_eq!(e["feed"]["id"], 7);
        assert_eq!(e["feed"]["title"], "A blog");
        assert_eq!(e["feed"]["url"], "https://a.example/feed");
        assert!(e["feed"]["site_url"].is_null());
        assert_eq!(e["title"], "Leaf & spine");
        assert_eq!(e["published"], "2026-12-01T10:00:00Z");
        assert!(
            e["author"].is_null(),
            "absent values are null, never missing"
        );
        assert_eq!(
            e["content_html"], "<p>Sum</p>",
            "the summary when no content"
        );
        assert_eq!(e["categories"][0], "net");
        assert_eq!(e["enclosures"][0]["mime_type"], "audio/mpeg");
        assert_eq!(e["enclosures"][0]["length"], 1234);
        // Round trip through the public types.
        let back: Payload = serde_json::from_str(&body).unwrap();
        assert_eq!(back.entries[0].id, 42);
    }

    #[test]
    fn a_ping_has_no_entries() {
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 8, 30, 0).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&Payload::ping(3, "p", at).to_body()).unwrap();
        assert_eq!(v["event"], "ping");
        assert_eq!(v["entries"].as_array().unwrap().len(), 0);
    }
}
