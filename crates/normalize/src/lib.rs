//! Parsed feed → canonical entries. Pure functions only.
//!
//! * [`sanitize`]: HTML through `ammonia` with our allow-list, URLs made absolute.
//! * [`url`]: absolute URLs and the canonical form used for duplicate detection.
//! * [`text`]: plain text from HTML and the excerpt cut at a word boundary.
//! * [`key`]: the deterministic identity of an entry within its feed.

pub mod key;
pub mod sanitize;
pub mod text;
pub mod url;

use chrono::{DateTime, Utc};
use tributary_model::{FeedMeta, NewEntry};
use tributary_parse::ParsedFeed;

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

/// Normalize a parsed feed fetched from `feed_url` at `fetched_at`.
pub fn normalize(
    parsed: &ParsedFeed,
    feed_url: &::url::Url,
    fetched_at: DateTime<Utc>,
    opts: &Options,
) -> NormalizedFeed {
    let _ = (parsed, feed_url, fetched_at, opts);
    todo!()
}
