//! Arbitrary bytes (+ an optional content type) → `tributary_parse::parse` →
//! `tributary_normalize::normalize`, with the sanitizer's XSS invariants on
//! every HTML field. Seeds: XML feeds. Dictionary: `fuzz/dict/xml.dict`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tributary_fuzz::{check_parse_normalize, split_content_type};

fuzz_target!(|data: &[u8]| {
    let (content_type, bytes) = split_content_type(data);
    let _ = check_parse_normalize(bytes, content_type);
});
