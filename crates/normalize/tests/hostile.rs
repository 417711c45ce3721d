//! Hostile documents through the whole pure pipeline:
//! `tributary_parse::parse` then `tributary_normalize::normalize`.
//!
//! (`crates/parse/tests/hostile.rs` covers the parser alone.) Wall-clock
//! limits are generous sanity bounds for a debug build, not benchmarks.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tributary_normalize::{normalize, NormalizedFeed, Options};
use tributary_parse::{parse, ParseOptions};
use url::Url;

const LIMIT: Duration = Duration::from_secs(30);

/// parse + normalize, timed; `None` when the parser refused the document.
fn pipeline(bytes: &[u8], what: &str) -> Option<NormalizedFeed> {
    let url = Url::parse("https://example.com/feed.xml").expect("static URL");
    let fetched = Utc
        .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .expect("valid date");
    let start = Instant::now();
    let parsed = parse(
        bytes,
        &ParseOptions {
            content_type: None,
            url: Some(&url),
            ..Default::default()
        },
    );
    let out = parsed
        .ok()
        .map(|feed| normalize(&feed, &url, fetched, &Options::default()));
    let took = start.elapsed();
    assert!(took < LIMIT, "{what}: parse + normalize took {took:?}");
    out
}

fn rss_item(description: &str) -> String {
    format!(
        r#"<rss version="2.0"><channel><title>t</title><link>https://example.com/</link>
<item><title>deep</title><link>https://example.com/1</link><description>{description}</description></item>
</channel></rss>"#
    )
}

#[test]
fn deep_html_nesting_in_content() {
    const DEPTH: usize = 100_000;
    let escaped = |s: &str| s.replace('<', "&lt;").replace('>', "&gt;");
    let cases = [
        (
            "divs",
            format!(
                "{}deep text{}",
                "<div>".repeat(DEPTH),
                "</div>".repeat(DEPTH)
            ),
        ),
        (
            "unclosed spans",
            format!("{}deep text", "<span>".repeat(DEPTH)),
        ),
        (
            "tables",
            format!("{}deep text", "<table><tr><td>".repeat(DEPTH / 3)),
        ),
    ];
    for (what, html) in cases {
        // As escaped HTML in <description> and as a CDATA section.
        for description in [escaped(&html), format!("<![CDATA[{html}]]>")] {
            let feed = pipeline(rss_item(&description).as_bytes(), what)
                .unwrap_or_else(|| panic!("{what}: refused"));
            let entry = &feed.entries[0];
            let content = entry
                .summary_html
                .as_deref()
                .or(entry.content_html.as_deref())
                .unwrap_or_default();
            assert!(content.contains("deep text"), "{what}: content lost");
            assert_eq!(entry.excerpt, "deep text", "{what}");
        }
    }
}

#[test]
fn external_entities_never_reach_entries() {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    assert!(
        passwd.contains("root:"),
        "/etc/passwd must exist for this test"
    );
    let doc = r#"<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title><link>https://example.com/</link>
<item><title>&xxe;</title><link>https://example.com/1</link><description>&xxe;</description></item>
</channel></rss>"#;
    if let Some(feed) = pipeline(doc.as_bytes(), "xxe") {
        let all = format!("{feed:?}");
        assert!(!all.contains("root:"), "file content in {all}");
    }
}

#[test]
fn hostile_markup_in_every_field() {
    // Script in titles, author names, categories and enclosure URLs: URLs
    // with unsafe schemes are dropped, HTML is sanitized.
    let doc = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>&lt;script&gt;alert(1)&lt;/script&gt;Feed</title><link>javascript:alert(1)</link>
<item><title>&lt;img src=x onerror=alert(1)&gt;Title</title><link>javascript:alert(1)</link>
<dc:creator>&lt;b onclick=x&gt;Ann&lt;/b&gt;</dc:creator><category>&lt;svg onload=alert(1)&gt;</category>
<enclosure url="javascript:alert(1)" type="audio/mpeg" length="1"/>
<description>&lt;a href="jav&amp;#x09;ascript:alert(1)"&gt;x&lt;/a&gt;</description></item>
</channel></rss>"#;
    let feed = pipeline(doc.as_bytes(), "fields").expect("parses");
    assert_eq!(feed.meta.site_url, None);
    let entry = &feed.entries[0];
    assert_eq!(entry.url, None);
    assert!(entry.enclosures.is_empty());
    // An RSS title is plain text: it is kept literally (outputs escape it).
    assert!(entry.title.ends_with("Title"), "{:?}", entry.title);
    let summary = entry.summary_html.as_deref().unwrap_or_default();
    assert!(!summary.contains("href"), "{summary}");
    assert!(summary.contains(">x</a>"), "{summary}");
}

#[test]
fn invalid_utf8_through_the_pipeline() {
    let mut doc = rss_item("&lt;p&gt;caf\u{1}&lt;/p&gt;").into_bytes();
    // Replace the placeholder with a broken sequence and break the title too.
    let at = doc.iter().position(|&b| b == 1).expect("placeholder");
    doc.splice(at..=at, [0xc3, 0x28, 0xff]);
    let at = doc.windows(4).position(|w| w == b"deep").expect("title");
    doc.splice(at..at, [0xe2, 0x82]);
    let feed = pipeline(&doc, "invalid utf-8").expect("parses with replacements");
    let entry = &feed.entries[0];
    assert!(entry.title.ends_with("deep"), "{:?}", entry.title);
    assert!(entry.excerpt.starts_with("caf"), "{:?}", entry.excerpt);
    assert!(entry.excerpt.contains('\u{fffd}'), "{:?}", entry.excerpt);
}

/// JSON Feed's `\u0000` puts NUL characters in any field; PostgreSQL cannot
/// store them in text, so normalization leaves none (U+FFFD instead), and
/// the entry's identity still comes from its guid.
#[test]
fn nul_characters_in_every_field_become_replacement_characters() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T\u0000itle",
        "home_page_url":"https://example.com/h\u0000x","description":"d\u0000",
        "authors":[{"name":"A\u0000uth"}],
        "items":[{"id":"id\u00001","url":"https://example.com/a\u0000b","title":"Ti\u0000tle",
          "content_html":"<p>c\u0000ontent</p>","summary":"s\u0000um",
          "authors":[{"name":"B\u0000ob"}],"tags":["t\u0000ag"],
          "date_published":"2024-01-01T00:00:00Z",
          "attachments":[{"url":"https://example.com/x\u0000.mp3","mime_type":"audio/m\u0000peg"}]},
          {"id":"id\u00002","title":"second"}]}"#;
    let feed = pipeline(doc.as_bytes(), "NUL feed").expect("a JSON feed with NULs parses");
    let all = format!("{feed:?}");
    assert!(!all.contains("\\0"), "a NUL is left: {all}");
    assert_eq!(feed.meta.title.as_deref(), Some("T\u{FFFD}itle"));
    assert_eq!(feed.entries.len(), 2);
    let first = &feed.entries[0];
    assert_eq!(first.title, "Ti\u{FFFD}tle");
    assert_eq!(first.guid.as_deref(), Some("id\u{FFFD}1"));
    assert_eq!(first.author.as_deref(), Some("B\u{FFFD}ob"));
    assert!(first.key.contains("id\u{FFFD}1"), "{}", first.key);
    assert_ne!(first.key, feed.entries[1].key);
}
