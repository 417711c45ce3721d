//! Outputs shared by the CLI and the web: digests of a river of entries in
//! text, HTML, Atom, RSS and JSON Feed 1.1, and OPML export.

pub mod digest;
pub mod opml;
