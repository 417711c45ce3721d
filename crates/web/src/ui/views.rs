//! What templates get: entries, times and sizes already turned into text.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tributary_model::RiverItem;
use tributary_store::Cursor;

/// An entry as a listing shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryRow {
    /// Entry id.
    pub id: i64,
    /// Plain-text title.
    pub title: String,
    /// Link to the original article.
    pub url: Option<String>,
    /// Feed id and display title.
    pub feed_id: i64,
    /// The feed's title for this user.
    pub source: String,
    /// Author, if known.
    pub author: Option<String>,
    /// RFC 3339 publication time (the `datetime` attribute).
    pub published: String,
    /// Publication time for people (`2024-03-31 14:05 UTC`).
    pub published_text: String,
    /// How long ago (`3 h ago`).
    pub ago: String,
    /// Plain-text excerpt.
    pub excerpt: String,
    /// Read by this user.
    pub read: bool,
    /// Starred by this user.
    pub starred: bool,
    /// The user's tags of it (given by rules; filled by `rules::attach_tags`).
    pub tags: Vec<super::rules::TagLink>,
}

impl EntryRow {
    /// The row of `item`, times relative to `now`.
    pub fn new(item: &RiverItem, now: DateTime<Utc>) -> EntryRow {
        let e = &item.entry;
        EntryRow {
            id: e.id.0,
            title: e.title.clone(),
            url: e.url.clone(),
            feed_id: item.source.feed_id.0,
            source: item.source.title.clone(),
            author: e.author.clone(),
            published: e.published.to_rfc3339(),
            published_text: time_text(e.published),
            ago: ago(e.published, now),
            excerpt: e.excerpt.clone(),
            read: item.read,
            starred: item.starred,
            tags: Vec::new(),
        }
    }
}

/// An attached media file as the entry page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EnclosureView {
    /// URL of the file.
    pub url: String,
    /// `audio`, `video` or `file`: which player to show.
    pub kind: &'static str,
    /// The announced type, if any.
    pub mime_type: Option<String>,
    /// `12.3 MB`, if announced.
    pub size: Option<String>,
    /// `1:02:03`, if announced.
    pub duration: Option<String>,
}

/// An entry as its own page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryFull {
    /// The listing fields.
    #[serde(flatten)]
    pub row: EntryRow,
    /// Sanitized HTML (content, else summary); rendered as is.
    pub content_html: Option<String>,
    /// Media files.
    pub enclosures: Vec<EnclosureView>,
    /// Tags.
    pub categories: Vec<String>,
    /// The site the feed belongs to.
    pub site_url: Option<String>,
}

impl EntryFull {
    /// The page of `item`.
    pub fn new(item: &RiverItem, now: DateTime<Utc>) -> EntryFull {
        let e = &item.entry;
        EntryFull {
            row: EntryRow::new(item, now),
            content_html: e
                .content_html
                .clone()
                .filter(|c| !c.trim().is_empty())
                .or_else(|| e.summary_html.clone().filter(|c| !c.trim().is_empty())),
            enclosures: e
                .enclosures
                .iter()
                .map(|enc| {
                    let mime = enc
                        .mime_type
                        .clone()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    EnclosureView {
                        url: enc.url.clone(),
                        kind: if mime.starts_with("audio/") {
                            "audio"
                        } else if mime.starts_with("video/") {
                            "video"
                        } else {
                            "file"
                        },
                        mime_type: enc.mime_type.clone(),
                        size: enc.length.filter(|n| *n > 0).map(size_text),
                        duration: enc.duration_secs.filter(|n| *n > 0).map(duration_text),
                    }
                })
                .collect(),
            categories: e.categories.clone(),
            site_url: item.source.site_url.clone(),
        }
    }
}

/// `2024-03-31 14:05 UTC`.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `just now`, `5 min ago`, `3 h ago`, `2 days ago`, or the date.
pub fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 0 => time_text(t),
        s if s < 60 => "just now".to_owned(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 2 * 86_400 => "yesterday".to_owned(),
        s if s < 30 * 86_400 => format!("{} days ago", s / 86_400),
        _ => t.format("%Y-%m-%d").to_string(),
    }
}

/// `900 bytes`, `12.3 KB`, `45.6 MB`.
pub fn size_text(n: u64) -> String {
    const K: f64 = 1000.0;
    let f = n as f64;
    if f < K {
        format!("{n} bytes")
    } else if f < K * K {
        format!("{:.1} KB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MB", f / (K * K))
    } else {
        format!("{:.1} GB", f / (K * K * K))
    }
}

/// `4:05` or `1:02:03`.
pub fn duration_text(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A cursor as the `after` query value: `<unix-micros>-<id>`.
pub fn cursor_text(c: &Cursor) -> String {
    format!("{}-{}", c.at.timestamp_micros(), c.id.0)
}

/// Read an `after` query value; `None` if it is not one.
pub fn parse_cursor(s: &str) -> Option<Cursor> {
    let (micros, id) = s.trim().split_once('-')?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
    Some(Cursor {
        at,
        id: tributary_model::EntryId(id.parse().ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = Cursor {
            at: Utc.with_ymd_and_hms(2024, 3, 31, 14, 5, 6).unwrap()
                + chrono::Duration::microseconds(7),
            id: tributary_model::EntryId(42),
        };
        assert_eq!(parse_cursor(&cursor_text(&c)), Some(c));
        assert_eq!(parse_cursor("abc"), None);
        assert_eq!(parse_cursor("12-x"), None);
        assert_eq!(parse_cursor("-5"), None);
    }

    #[test]
    fn times_sizes_and_durations_read_well() {
        let now = Utc.with_ymd_and_hms(2024, 3, 31, 12, 0, 0).unwrap();
        assert_eq!(ago(now - chrono::Duration::minutes(5), now), "5 min ago");
        assert_eq!(ago(now - chrono::Duration::hours(3), now), "3 h ago");
        assert_eq!(ago(now - chrono::Duration::days(3), now), "3 days ago");
        assert_eq!(size_text(12_345_678), "12.3 MB");
        assert_eq!(duration_text(3723), "1:02:03");
        assert_eq!(duration_text(245), "4:05");
    }
}
