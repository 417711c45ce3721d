//! Absolute and canonical URLs.
