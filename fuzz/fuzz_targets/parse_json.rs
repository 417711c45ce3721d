//! JSON Feed bytes → `tributary_parse::parse` → `tributary_normalize::normalize`,
//! with the same invariants as `parse_xml`, plus: a document that parses as
//! JSON is read as a JSON Feed. Seeds: JSON Feeds. Dictionary:
//! `fuzz/dict/json.dict` (JSON Feed keys, version URLs, HTML snippets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tributary_fuzz::{check_parse_normalize, split_content_type};
use tributary_parse::FeedFormat;

fuzz_target!(|data: &[u8]| {
    let (content_type, bytes) = split_content_type(data);
    if let Some(feed) = check_parse_normalize(bytes, content_type) {
        // Plain UTF-8 starting with `{` is dispatched to the JSON reader; what
        // it accepts is a JSON Feed.
        if content_type.is_none() && bytes.first() == Some(&b'{') {
            assert_eq!(feed.format, FeedFormat::JsonFeed);
        }
    }
});
