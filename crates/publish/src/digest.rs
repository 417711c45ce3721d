//! Digests of a river of entries.

use chrono::{DateTime, Utc};
use tributary_model::{RiverItem, Source};

/// Output format of a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
    Atom,
    Rss,
    Json,
}

/// Digest-wide values.
#[derive(Debug, Clone)]
pub struct DigestOptions {
    /// Title of the digest (`Tributary river`).
    pub title: String,
    /// Link of the digest's own page, if it has one.
    pub link: Option<String>,
    /// Generation time (`updated` of the Atom feed…).
    pub generated_at: DateTime<Utc>,
}

/// Entries after collapsing the same article carried by several feeds.
#[derive(Debug, Clone)]
pub struct DigestEntry<'a> {
    pub item: &'a RiverItem,
    /// Every source carrying this article; the item's own first.
    pub sources: Vec<&'a Source>,
}

/// Collapse items sharing a canonical link (keeping the first, i.e. newest, and naming all sources).
pub fn collapse(items: &[RiverItem]) -> Vec<DigestEntry<'_>> {
    let _ = items;
    todo!()
}

/// Render a digest. `items` are newest first.
pub fn render(items: &[RiverItem], format: Format, opts: &DigestOptions) -> String {
    let _ = (items, format, opts);
    todo!()
}
