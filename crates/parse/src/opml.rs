//! OPML 1.0/2.0 subscription lists (reading). Writing lives in `publish`.

/// One subscription found in an OPML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// `xmlUrl`, trimmed (not yet validated as a URL).
    pub xml_url: String,
    /// `htmlUrl`.
    pub html_url: Option<String>,
    /// `title`, else `text`.
    pub title: Option<String>,
    /// Names of the enclosing outlines, outermost first (nested categories),
    /// or the `category` attribute's first path when not nested.
    pub category: Vec<String>,
}

/// Why an OPML document was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpmlError {
    #[error("not OPML: {0}")]
    NotOpml(String),
    #[error("malformed OPML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
}

/// Parse an OPML document into its feed subscriptions (document order).
pub fn parse_opml(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let _ = bytes;
    todo!()
}
