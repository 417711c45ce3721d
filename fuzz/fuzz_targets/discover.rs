//! Arbitrary HTML + a base URL → `tributary_parse::discover::discover`.
//!
//! When the first line of the input parses as an absolute URL it is the page
//! URL and the rest is the page; otherwise the whole input is the page, at
//! `https://example.com/blog/post.html`. Invariants: what `discover`
//! documents (feed MIME types only, no duplicate URLs, trimmed non-empty
//! titles, no WordPress REST links).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tributary_parse::discover::{discover, looks_like_html};
use url::Url;

const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
];

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_html(data);
    let text = String::from_utf8_lossy(data);
    let (page_url, html) = match text.split_once('\n') {
        Some((first, rest)) if first.len() < 512 => match Url::parse(first.trim()) {
            Ok(url) => (url, rest),
            Err(_) => (default_page(), text.as_ref()),
        },
        _ => (default_page(), text.as_ref()),
    };
    let links = discover(html, &page_url);
    for (i, link) in links.iter().enumerate() {
        assert!(
            FEED_TYPES.contains(&link.mime_type.as_str()),
            "not a feed type: {:?}",
            link.mime_type
        );
        assert!(
            links[..i].iter().all(|l| l.url != link.url),
            "duplicate URL {}",
            link.url
        );
        if let Some(title) = &link.title {
            assert!(
                !title.is_empty() && title.trim() == title,
                "title {title:?}"
            );
        }
        assert!(
            !(link.mime_type == "application/json" && link.url.path().contains("/wp-json/")),
            "WordPress REST link {}",
            link.url
        );
    }
});

fn default_page() -> Url {
    Url::parse("https://example.com/blog/post.html").expect("static URL")
}
