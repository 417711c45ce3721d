//! The error type of this crate.

/// Why an output could not be rendered.
///
/// In practice rendering writes into memory from static templates, so these
/// errors mean a bug in this crate rather than bad input; they exist so that
/// nothing here has to panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The HTML digest template failed to load or render.
    #[error("HTML digest template failed")]
    Template(#[from] minijinja::Error),
    /// The Atom writer failed.
    #[error("writing the Atom feed failed")]
    Atom(#[from] atom_syndication::Error),
    /// The RSS writer failed.
    #[error("writing the RSS feed failed")]
    Rss(#[from] rss::Error),
    /// The JSON Feed serializer failed.
    #[error("serializing the JSON Feed failed")]
    Json(#[from] serde_json::Error),
    /// The OPML writer failed.
    #[error("writing the OPML document failed")]
    Opml(#[source] std::io::Error),
    /// A writer produced bytes that are not UTF-8.
    #[error("{format} output is not valid UTF-8")]
    NotUtf8 {
        /// The output format.
        format: &'static str,
    },
}
