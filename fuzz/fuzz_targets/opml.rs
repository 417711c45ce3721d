//! Arbitrary bytes → `tributary_parse::opml::parse_opml`. Invariants: what
//! `OpmlFeed` documents (trimmed non-empty `xmlUrl`, titles and category
//! names trimmed and non-empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tributary_parse::opml::parse_opml;

fn trimmed_non_empty(s: &str) -> bool {
    !s.is_empty() && s.trim() == s
}

fuzz_target!(|data: &[u8]| {
    let Ok(feeds) = parse_opml(data) else {
        return;
    };
    for feed in &feeds {
        assert!(
            trimmed_non_empty(&feed.xml_url),
            "xmlUrl {:?}",
            feed.xml_url
        );
        for s in feed
            .html_url
            .iter()
            .chain(&feed.title)
            .chain(&feed.category)
        {
            assert!(trimmed_non_empty(s), "{s:?} in {feed:?}");
        }
    }
});
