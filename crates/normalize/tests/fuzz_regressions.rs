//! Inputs found by the fuzz targets in `fuzz/` (see docs/FUZZING.md), one
//! test each, named after what the input found. Each runs the input through
//! the same public API as its target and checks the same invariant.
//!
//! A finding whose fix is pending would be marked
//! `#[ignore = "fuzz finding, fix pending: …"]` (`--include-ignored` shows it
//! failing); today every finding is fixed.

use tributary_normalize::sanitize::sanitize_html;
use url::Url;

fn bases() -> [Option<Url>; 2] {
    [
        Some(Url::parse("https://example.com/blog/").expect("static URL")),
        None,
    ]
}

/// Target `sanitize`, after 12 377 executions (3.5 minutes): an `<iframe>`
/// whose `src` is on the allow-list keeps its children, and as an iframe's
/// content is raw text to the HTML parser and serializer, markup inside it
/// comes out verbatim: `<script>alert(1)</script>` survives sanitizing byte
/// for byte. Browsers do not run an iframe's fallback text today, but the
/// output breaks the promise "no `<script` in sanitized HTML" that consumers
/// rely on (re-serialization as XHTML/XML, truncation, other parsers).
///
/// The first input is what `cargo fuzz tmin` left of the crash (also in
/// `fuzz/regressions/sanitize/script_inside_allowed_iframe.html`; note the
/// slash-less `https:www.youtube.com`, which the URL parser accepts); the
/// second is the same finding written out by hand.
///
/// Fixed by the streaming sanitizer: a kept frame's content (fallback text
/// no browser shows) is dropped.
#[test]
fn script_inside_allowed_iframe_survives_sanitizing() {
    let inputs = [
        "\n<iframe src=\"https:www.youtube.com\">o<script",
        r#"<iframe src="https://www.youtube.com/embed/x"><script>alert(1)</script></iframe>"#,
    ];
    for input in inputs {
        for base in bases() {
            let out = sanitize_html(input, base.as_ref());
            assert!(
                !out.to_ascii_lowercase().contains("<script"),
                "raw <script in {out:?} from {input:?} (base {base:?})"
            );
            // The frame itself is on the allow-list and stays.
            assert!(
                out.contains("<iframe ") && out.contains(r#" src="https://www.youtube.com/"#),
                "allowed frame dropped: {out:?} from {input:?}"
            );
        }
    }
}
