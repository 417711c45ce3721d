//! Hostile nesting through the sanitizer and the text extraction.
//!
//! HTML parsing is quadratic in nesting depth (50,000 nested `<div>`s took
//! about three minutes in a debug build before the bound in
//! `tributary_normalize::depth`). Each shape here is nested 100,000 deep and
//! must finish well within a generous wall-clock limit in a debug build, keep
//! its text, and come out no deeper than the bound.

use std::time::{Duration, Instant};

use scraper::Html;
use tributary_normalize::depth::MAX_DEPTH;
use tributary_normalize::sanitize::sanitize_html;
use tributary_normalize::text::html_to_text;
use url::Url;

const DEPTH: usize = 100_000;

/// Sanity limit for a debug build on a busy 2-core machine; the bounded
/// code takes well under a second per shape in debug.
const LIMIT: Duration = Duration::from_secs(30);

/// Deepest element nesting of an HTML fragment, read back by html5ever.
fn max_depth(html: &str) -> usize {
    let doc = Html::parse_fragment(html);
    doc.tree
        .nodes()
        .map(|n| n.ancestors().count())
        .max()
        .unwrap_or(0)
}

fn shapes() -> Vec<(&'static str, String)> {
    let closed =
        |open: &str, close: &str| format!("{}deep text{}", open.repeat(DEPTH), close.repeat(DEPTH));
    vec![
        ("div", closed("<div>", "</div>")),
        (
            "span+b unclosed",
            format!("{}deep text", "<span><b>".repeat(DEPTH / 2)),
        ),
        (
            "div/ self-closing",
            format!("{}deep text", "<div/>".repeat(DEPTH)),
        ),
        (
            "li+dd",
            format!("{}deep text", "<li><dd>".repeat(DEPTH / 2)),
        ),
        (
            "table cells",
            format!("{}deep text", "<table><tr><td>".repeat(DEPTH / 3)),
        ),
        ("blockquote", closed("<blockquote>", "</blockquote>")),
        ("svg g", format!("<svg>{}deep text", "<g>".repeat(DEPTH))),
        (
            "b with distinct attributes",
            format!(
                "{}<p>deep text",
                (0..DEPTH)
                    .map(|i| format!("<b id=\"{i}\">"))
                    .collect::<String>()
            ),
        ),
    ]
}

#[test]
fn sanitize_bounds_deep_nesting() {
    let base = Url::parse("https://example.com/").expect("static URL");
    for (name, html) in shapes() {
        let start = Instant::now();
        let out = sanitize_html(&html, Some(&base));
        let took = start.elapsed();
        assert!(took < LIMIT, "{name}: sanitize took {took:?}");
        // svg is removed with its content by the sanitizer's allow-list.
        if name != "svg g" {
            assert!(out.contains("deep text"), "{name}: text lost");
        }
        // The output is bounded too; elements the parser implies (`tbody`
        // in `<table><tr>`) are not counted by the bound, hence the slack.
        let depth = max_depth(&out);
        assert!(depth <= 2 * MAX_DEPTH, "{name}: output {depth} deep");
    }
}

#[test]
fn html_to_text_bounds_deep_nesting() {
    for (name, html) in shapes() {
        let start = Instant::now();
        let text = html_to_text(&html);
        let took = start.elapsed();
        assert!(took < LIMIT, "{name}: html_to_text took {took:?}");
        if name != "svg g" {
            assert!(text.contains("deep text"), "{name}: {text:?}");
        }
    }
}

#[test]
fn moderately_nested_content_is_kept_exactly() {
    // 100 levels is far below the bound: nothing may be flattened.
    let html = format!("{}x{}", "<div>".repeat(100), "</div>".repeat(100));
    let base = Url::parse("https://example.com/").expect("static URL");
    assert_eq!(sanitize_html(&html, Some(&base)), html);
}
