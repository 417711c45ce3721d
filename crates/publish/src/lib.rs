//! Outputs shared by the CLI and the web: digests of a river of entries in
//! text, HTML, Atom, RSS and JSON Feed 1.1, OPML export, and the static
//! planet site ([`site`]).
//!
//! Everything here is pure: values in, a `String` out. The caller (CLI or web)
//! decides where the output goes.
//!
//! ```
//! use chrono::Utc;
//! use tributary_publish::digest::{render, DigestOptions, Format};
//!
//! let opts = DigestOptions {
//!     title: "Tributary river".into(),
//!     link: None,
//!     generated_at: Utc::now(),
//!     links: Default::default(),
//! };
//! // An empty river gives an empty text digest…
//! assert_eq!(render(&[], Format::Text, &opts), "");
//! // …but still a well-formed Atom feed.
//! assert!(render(&[], Format::Atom, &opts).contains("<feed"));
//! ```

pub mod digest;
mod error;
pub mod opml;
pub mod site;

pub use error::PublishError;
