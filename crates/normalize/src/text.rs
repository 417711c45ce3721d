//! Plain text and excerpts.
