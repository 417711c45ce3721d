//! Domain types shared by every stage of Tributary.
//!
//! The data flow is fetch → parse → normalize → store → publish. This crate
//! holds the values that cross those boundaries: identifiers, the canonical
//! entry that `normalize` produces and `store` keeps, and the stored feed and
//! entry views that `publish` and the CLI read. No I/O, no database types.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A feed, stored once per URL and shared by every subscriber.
    FeedId
);
id_type!(
    /// An entry of one feed.
    EntryId
);
id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A user's category (folder) of subscriptions.
    CategoryId
);

/// Health of a feed as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedStatus {
    /// Last fetch succeeded (or the feed was never fetched yet).
    Ok,
    /// Last fetch failed; the feed backs off and is retried.
    Error,
    /// No longer fetched (410 Gone, or disabled by hand).
    Disabled,
}

impl FeedStatus {
    /// The stable lower-case name used in the database and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::Ok => "ok",
            FeedStatus::Error => "error",
            FeedStatus::Disabled => "disabled",
        }
    }
}

impl fmt::Display for FeedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FeedStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(FeedStatus::Ok),
            "error" => Ok(FeedStatus::Error),
            "disabled" => Ok(FeedStatus::Disabled),
            other => Err(format!("unknown feed status {other:?}")),
        }
    }
}

/// A media file attached to an entry (podcast episode, video, image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Enclosure {
    /// Absolute URL of the file.
    pub url: String,
    /// MIME type as announced by the feed (`audio/mpeg`).
    pub mime_type: Option<String>,
    /// Size in bytes as announced by the feed.
    pub length: Option<u64>,
    /// Duration in seconds (`itunes:duration`, `media:content@duration`).
    pub duration_secs: Option<u64>,
}

/// Feed-level metadata produced by `normalize` from a parsed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FeedMeta {
    /// Plain-text title.
    pub title: Option<String>,
    /// Absolute URL of the site the feed belongs to.
    pub site_url: Option<String>,
    /// Plain-text description.
    pub description: Option<String>,
    /// Language tag (`en-us`).
    pub language: Option<String>,
    /// Absolute URL of the feed's image or podcast artwork.
    pub image_url: Option<String>,
    /// The explicit move signal `itunes:new-feed-url`, absolute.
    pub new_feed_url: Option<String>,
    /// RSS `<ttl>` in minutes, or `sy:updatePeriod`/`sy:updateFrequency` turned into minutes.
    pub ttl_minutes: Option<u32>,
    /// RSS `<skipHours>`: hours of the day (0-23, GMT) in which the feed asks
    /// not to be fetched. Sorted, no duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_hours: Vec<u8>,
    /// RSS `<skipDays>`: days (0 = Monday .. 6 = Sunday, GMT) in which the
    /// feed asks not to be fetched. Sorted, no duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_days: Vec<u8>,
}

/// What a feed tells about when to fetch it, kept on the feed between fetches (stored as JSON).
///
/// Every field is optional in JSON: an empty object (or one written by an
/// older version) reads as the default, and empty fields are not written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleHints {
    /// RSS `<ttl>`, or `sy:updatePeriod`/`sy:updateFrequency` turned into minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<u32>,
    /// RSS `<skipHours>`: hours (0-23, GMT) not to fetch in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_hours: Vec<u8>,
    /// RSS `<skipDays>`: days (0 = Monday .. 6 = Sunday) not to fetch in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_days: Vec<u8>,
    /// Observed typical gap between posts, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_interval_secs: Option<u64>,
}

/// A canonical entry, ready to be stored. Produced by `normalize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    /// Identity within its feed: `guid:<id>`, else `link:<canonical url>`,
    /// else `hash:<sha256 of title + content>`. Deterministic.
    pub key: String,
    /// The guid/id the feed gave, verbatim.
    pub guid: Option<String>,
    /// Absolute link to the article.
    pub url: Option<String>,
    /// The link in canonical form (see `normalize::canonical_url`), used for
    /// duplicate detection within a feed and collapsing across feeds.
    pub canonical_url: Option<String>,
    /// Plain-text title (entities decoded, tags stripped). Never empty: falls
    /// back to the excerpt's start or "Untitled".
    pub title: String,
    /// Plain-text author name(s).
    pub author: Option<String>,
    /// Sanitized HTML content with absolute URLs.
    pub content_html: Option<String>,
    /// Sanitized HTML summary with absolute URLs.
    pub summary_html: Option<String>,
    /// Plain-text excerpt cut at a word boundary.
    pub excerpt: String,
    /// Publication date in UTC; the fetch time when the feed gives none.
    pub published: DateTime<Utc>,
    /// Whether `published` came from the feed (false: it is the fetch time).
    pub published_from_feed: bool,
    /// Last update date in UTC, if the feed gives one.
    pub updated: Option<DateTime<Utc>>,
    /// Attached media.
    pub enclosures: Vec<Enclosure>,
    /// Category/tag names.
    pub categories: Vec<String>,
    /// Hash of the title + content + summary + url, to tell whether a stored entry changed.
    pub content_hash: String,
}

/// A feed as stored, shared by all its subscribers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    pub id: FeedId,
    /// Current URL (updated by permanent redirects and `itunes:new-feed-url`).
    pub url: String,
    /// Earlier URLs, oldest first.
    pub previous_urls: Vec<String>,
    /// Title from the feed document.
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub description: Option<String>,
    pub status: FeedStatus,
    /// Plain-words reason of the last failure.
    pub last_error: Option<String>,
    /// Stable machine-readable code of the last failure (`http_not_found`).
    pub last_error_code: Option<String>,
    /// Consecutive failures.
    pub error_count: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetched_at: Option<DateTime<Utc>>,
    pub next_fetch_at: Option<DateTime<Utc>>,
    /// Why `next_fetch_at` is when it is ("posts ~daily", "backoff after 3 errors").
    pub next_fetch_reason: Option<String>,
    /// Start of the current run of consecutive failures; `None` while healthy.
    pub failing_since: Option<DateTime<Utc>>,
    /// Last fetch that got the feed (a parsed 200 or a 304).
    pub last_success_at: Option<DateTime<Utc>>,
    /// When a 410 Gone disabled the feed.
    pub disabled_at: Option<DateTime<Utc>>,
    /// A remark on the last successful fetch that is not an error (a feed
    /// too large to keep whole, a move signal that was not followed).
    pub status_note: Option<String>,
    /// What the feed said about its schedule, kept for fetches without a body (304).
    pub schedule_hints: ScheduleHints,
    /// SHA-256 (hex) of the last body parsed and stored.
    pub body_hash: Option<String>,
    /// Fetch no more often than this (seconds): the smallest of the
    /// subscribers' lower bounds (`None`: nobody set one).
    #[serde(default)]
    pub min_interval_secs: Option<i64>,
    /// Fetch at least this often (seconds): the smallest of the
    /// subscribers' upper bounds (`None`: nobody set one).
    #[serde(default)]
    pub max_interval_secs: Option<i64>,
}

impl Feed {
    /// A feed known only by its URL: healthy, never fetched, no metadata.
    pub fn new(id: FeedId, url: impl Into<String>) -> Feed {
        Feed {
            id,
            url: url.into(),
            previous_urls: Vec::new(),
            title: None,
            site_url: None,
            description: None,
            status: FeedStatus::Ok,
            last_error: None,
            last_error_code: None,
            error_count: 0,
            etag: None,
            last_modified: None,
            last_fetched_at: None,
            next_fetch_at: None,
            next_fetch_reason: None,
            failing_since: None,
            last_success_at: None,
            disabled_at: None,
            status_note: None,
            schedule_hints: ScheduleHints::default(),
            body_hash: None,
            min_interval_secs: None,
            max_interval_secs: None,
        }
    }
}

/// One user's subscription to a feed, with the feed's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub feed: Feed,
    /// The user's title override, if any.
    pub title_override: Option<String>,
    /// Category path (`Networking/Vendors`), if any.
    pub category: Option<String>,
    /// Entries stored for the feed.
    pub entry_count: i64,
}

impl Subscription {
    /// The title to show: the user's override, else the feed's, else its URL.
    pub fn display_title(&self) -> &str {
        self.title_override
            .as_deref()
            .or(self.feed.title.as_deref())
            .unwrap_or(&self.feed.url)
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub feed_id: FeedId,
    pub key: String,
    pub guid: Option<String>,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub title: String,
    pub author: Option<String>,
    pub content_html: Option<String>,
    pub summary_html: Option<String>,
    pub excerpt: String,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub enclosures: Vec<Enclosure>,
    pub categories: Vec<String>,
}

/// Where an entry came from, as shown in outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub feed_id: FeedId,
    /// Display title of the feed for this user.
    pub title: String,
    pub feed_url: String,
    pub site_url: Option<String>,
}

/// An entry with its source, as listed in a river or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiverItem {
    pub entry: Entry,
    pub source: Source,
    pub read: bool,
    pub starred: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_hints_read_old_and_empty_json_and_write_only_what_is_set() {
        let empty: ScheduleHints = serde_json::from_str("{}").expect("empty object");
        assert_eq!(empty, ScheduleHints::default());
        // Written by an older version that only knew the ttl (and an unknown field).
        let old: ScheduleHints =
            serde_json::from_str(r#"{"ttl_minutes":60,"something_else":1}"#).expect("old JSON");
        assert_eq!(old.ttl_minutes, Some(60));
        assert!(old.skip_hours.is_empty() && old.post_interval_secs.is_none());
        assert_eq!(
            serde_json::to_string(&ScheduleHints::default()).expect("serializes"),
            "{}"
        );
        let full = ScheduleHints {
            ttl_minutes: Some(30),
            skip_hours: vec![0, 1, 23],
            skip_days: vec![5, 6],
            post_interval_secs: Some(86_400),
        };
        let json = serde_json::to_string(&full).expect("serializes");
        assert_eq!(
            serde_json::from_str::<ScheduleHints>(&json).expect("round trip"),
            full
        );
    }

    #[test]
    fn feed_meta_without_skip_fields_still_reads() {
        let meta: FeedMeta = serde_json::from_str(
            r#"{"title":"T","site_url":null,"description":null,"language":null,
                "image_url":null,"new_feed_url":null,"ttl_minutes":null}"#,
        )
        .expect("old FeedMeta JSON");
        assert_eq!(meta.title.as_deref(), Some("T"));
        assert!(meta.skip_hours.is_empty() && meta.skip_days.is_empty());
    }
}
