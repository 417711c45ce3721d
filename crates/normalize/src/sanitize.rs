//! HTML sanitizing.
