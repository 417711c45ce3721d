//! Plain text and excerpts.
//!
//! [`html_to_text`] reads HTML with a real HTML parser (html5ever through
//! `scraper`), so entities, comments, broken markup and `<script>` bodies are
//! handled the way a browser would. [`excerpt`] cuts folded text at a word
//! boundary within a budget counted in characters.

use ego_tree::iter::Edge;

use crate::depth::{flatten_deep_nesting, MAX_DEPTH};
use scraper::{Html, Node};

/// Elements whose content is never text a reader should see.
pub const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "iframe", "object", "applet",
    "embed", "select", "textarea", "button", "svg", "math",
];

/// Elements that start and end a paragraph (blank line around them).
pub const PARAGRAPH: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "dl",
    "table",
    "figure",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "details",
    "address",
];

/// Elements that start and end a line.
pub const LINE: &[&str] = &[
    "br",
    "div",
    "li",
    "tr",
    "dt",
    "dd",
    "figcaption",
    "summary",
    "caption",
    "picture",
    "video",
    "audio",
];

/// Elements separated from their neighbours by a space (table cells).
pub const SPACED: &[&str] = &["td", "th", "img"];

/// How much white space is owed before the next visible character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Gap {
    None,
    Space,
    Line,
    Paragraph,
}

/// Accumulates text, folding white space and collapsing breaks.
pub(crate) struct TextSink {
    pub(crate) out: String,
    gap: Gap,
}

impl TextSink {
    pub(crate) fn new(capacity: usize) -> Self {
        TextSink {
            out: String::with_capacity(capacity),
            gap: Gap::None,
        }
    }

    pub(crate) fn want(&mut self, gap: Gap) {
        self.gap = self.gap.max(gap);
    }

    pub(crate) fn push_text(&mut self, text: &str) {
        // Splits on `char::is_whitespace` like `split_whitespace`, decoding
        // only non-ASCII characters, and copies words separated by single
        // spaces as one run (the common case) instead of word by word.
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let (white, width) = char_at(text, i);
            if white {
                self.want(Gap::Space);
                i += width;
                continue;
            }
            let start = i;
            i += width;
            while i < bytes.len() {
                let (white, width) = char_at(text, i);
                if !white {
                    i += width;
                } else if bytes[i] == b' ' && i + 1 < bytes.len() && !char_at(text, i + 1).0 {
                    // One space between two words stays inside the run.
                    i += 1;
                } else {
                    break;
                }
            }
            self.push_word(&text[start..i]);
        }
    }

    /// A run of visible characters.
    fn push_word(&mut self, word: &str) {
        // Breaks are only owed between visible characters: nothing leads
        // or trails the output.
        if !self.out.is_empty() {
            match self.gap {
                Gap::None => {}
                Gap::Space => self.out.push(' '),
                Gap::Line => self.out.push('\n'),
                Gap::Paragraph => self.out.push_str("\n\n"),
            }
        }
        self.gap = Gap::None;
        self.out.push_str(word);
    }
}

/// Whether the character at byte `i` (a character boundary) of `text` is
/// white space (`char::is_whitespace`), and its width in bytes.
fn char_at(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        (matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'), 1)
    } else {
        text[i..]
            .chars()
            .next()
            .map_or((false, 1), |c| (c.is_whitespace(), c.len_utf8()))
    }
}

/// Plain text of an HTML fragment.
///
/// Tags are stripped and entities decoded; the content of `script`, `style`,
/// `noscript`, `template`, form controls, `svg`/`math` and embedded frames is
/// dropped. Block elements become line breaks (`div`, `li`, `br`, `tr` …) or
/// blank lines (`p`, headings, `blockquote`, lists, tables …), table cells are
/// separated by a space, and every other run of white space (also inside
/// `pre`) folds to one space. The result has no leading or trailing white
/// space and never more than one blank line in a row.
pub fn html_to_text(html: &str) -> String {
    if crate::sanitize::is_plain_text(html) {
        // No markup and no reference: only the white space to fold.
        return fold_whitespace(html);
    }
    html_to_text_parsed(html)
}

/// [`html_to_text`] through the HTML parser.
fn html_to_text_parsed(html: &str) -> String {
    // Parsing is quadratic in nesting depth: bound it first.
    let html = flatten_deep_nesting(html, MAX_DEPTH);
    let doc = Html::parse_fragment(&html);
    let mut sink = TextSink {
        out: String::with_capacity(html.len() / 2),
        gap: Gap::None,
    };
    // Depth inside a hidden element; iterative traversal so that deeply
    // nested markup cannot overflow the stack.
    let mut hidden_depth = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    let name = el.name();
                    if hidden_depth > 0 || is_hidden(name) {
                        hidden_depth += 1;
                    } else {
                        sink.want(gap_of(name));
                    }
                }
                Node::Text(text) if hidden_depth == 0 => sink.push_text(text),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    if hidden_depth > 0 {
                        hidden_depth -= 1;
                    } else {
                        sink.want(gap_of(el.name()));
                    }
                }
            }
        }
    }
    sink.out
}

pub(crate) fn gap_of(element: &str) -> Gap {
    // A `match` (not a scan of the lists): this runs for every element.
    match element {
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "pre" | "ul" | "ol"
        | "dl" | "table" | "figure" | "hr" | "section" | "article" | "header" | "footer"
        | "aside" | "nav" | "main" | "details" | "address" => Gap::Paragraph,
        "br" | "div" | "li" | "tr" | "dt" | "dd" | "figcaption" | "summary" | "caption"
        | "picture" | "video" | "audio" => Gap::Line,
        "td" | "th" | "img" => Gap::Space,
        _ => Gap::None,
    }
}

/// Whether `element` is on [`HIDDEN`] (a `match`, for speed).
pub(crate) fn is_hidden(element: &str) -> bool {
    matches!(
        element,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "head"
            | "title"
            | "iframe"
            | "object"
            | "applet"
            | "embed"
            | "select"
            | "textarea"
            | "button"
            | "svg"
            | "math"
    )
}

/// Every run of white space (newlines included) folded to one space, and the
/// ends trimmed.
pub fn fold_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`fold_whitespace`] of `text`, stopped once it has more than `max_chars`
/// characters; `true` when that is the whole folded text (it fits).
fn fold_prefix(text: &str, max_chars: usize) -> (String, bool) {
    let mut out = String::new();
    let mut chars = 0usize;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
        if chars > max_chars {
            return (out, false);
        }
    }
    (out, true)
}

/// The ellipsis appended to a cut excerpt (one character).
pub const ELLIPSIS: char = '…';

/// The start of `text`, white space folded, in at most `max_chars` characters.
///
/// When the folded text fits it is returned whole. Otherwise it is cut at the
/// last word boundary that leaves room for [`ELLIPSIS`], which is appended;
/// the ellipsis counts in the budget. A single word longer than the budget is
/// cut inside the word. Characters are counted, not bytes. `max_chars == 0`
/// gives an empty string.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    // Only the start matters: fold until more than `max_chars` characters
    // are known (an article's text can be long).
    let (folded, whole) = fold_prefix(text, max_chars);
    if whole {
        return folded;
    }
    if max_chars == 0 {
        return String::new();
    }
    let budget = max_chars - 1; // room for the ellipsis
                                // Byte offset just past the first `budget` characters.
    let end = folded
        .char_indices()
        .nth(budget)
        .map_or(folded.len(), |(i, _)| i);
    let head = &folded[..end];
    let next_is_space = folded[end..].starts_with(' ');
    let cut = if next_is_space {
        head
    } else {
        match head.rfind(' ') {
            Some(space) => &head[..space],
            None => head, // one word longer than the budget: hard cut
        }
    };
    let mut out = String::with_capacity(cut.len() + ELLIPSIS.len_utf8());
    out.push_str(cut.trim_end());
    out.push(ELLIPSIS);
    out
}

/// Plain text as HTML: escaped, blank lines start a new `<p>`, single line
/// breaks become `<br>`. The escaping makes it safe without sanitizing.
pub fn plain_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 16);
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |lines: &mut Vec<&str>, out: &mut String| {
        if lines.is_empty() {
            return;
        }
        out.push_str("<p>");
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            html_escape::encode_text_to_string(line.trim(), out);
        }
        out.push_str("</p>");
        lines.clear();
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut out);
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn element_tables_agree_with_their_matches() {
        for e in PARAGRAPH {
            assert_eq!(gap_of(e), Gap::Paragraph, "{e}");
        }
        for e in LINE {
            assert_eq!(gap_of(e), Gap::Line, "{e}");
        }
        for e in SPACED {
            assert_eq!(gap_of(e), Gap::Space, "{e}");
        }
        for e in HIDDEN {
            assert!(is_hidden(e), "{e}");
        }
        assert_eq!(gap_of("span"), Gap::None);
        assert!(!is_hidden("p"));
    }

    #[test]
    fn html_to_text_table() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("plain", "plain"),
            ("<b>bold</b> and <i>it</i>", "bold and it"),
            (
                "AT&amp;T &lt;tag&gt; &eacute;t&#233; &#x263A; &nbsp;x",
                "AT&T <tag> été ☺ x",
            ),
            ("<p>one</p><p>two</p>", "one\n\ntwo"),
            ("line<br>break<br/>again", "line\nbreak\nagain"),
            ("<ul><li>a</li><li>b</li></ul>after", "a\nb\n\nafter"),
            ("<div>a</div><div>b</div>", "a\nb"),
            ("<h1>Title</h1>text", "Title\n\ntext"),
            ("  lots   of\n\n\t space  ", "lots of space"),
            ("<pre>  keep\n  nothing  </pre>", "keep nothing"),
            ("a<script>alert('x')</script>b", "ab"),
            ("a<style>p{color:red}</style>b", "ab"),
            ("a <!-- comment --> b", "a b"),
            (
                "<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>",
                "1 2\n3",
            ),
            ("<p>unclosed <b>bold", "unclosed bold"),
            ("a < b > c", "a < b > c"),
            ("<img src=x alt=pic>word", "word"),
            ("<button>Subscribe</button>text", "text"),
            ("x<svg><text>drawn</text></svg>y", "xy"),
            ("<p></p><p> </p><p>only</p>", "only"),
        ];
        for (html, want) in cases {
            assert_eq!(&html_to_text(html), want, "html_to_text({html:?})");
        }
    }

    #[test]
    fn plain_to_html_table() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("one", "<p>one</p>"),
            ("a < b & c", "<p>a &lt; b &amp; c</p>"),
            ("l1\nl2\n\np2", "<p>l1<br>l2</p><p>p2</p>"),
            ("l1\r\nl2\r\n\r\n\r\np2\n", "<p>l1<br>l2</p><p>p2</p>"),
            (
                "<script>x</script>",
                "<p>&lt;script&gt;x&lt;/script&gt;</p>",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&plain_to_html(text), want, "{text:?}");
        }
    }

    #[test]
    fn html_to_text_survives_deep_nesting() {
        // html5ever is slow on deep trees in debug builds; 3000 levels are enough
        // to overflow a recursive walk.
        let html = "<div>".repeat(3_000) + "deep" + &"</div>".repeat(3_000);
        assert_eq!(html_to_text(&html), "deep");
    }

    #[test]
    fn excerpt_table() {
        let cases: &[(&str, usize, &str)] = &[
            ("short text", 280, "short text"),
            ("exactly ten", 11, "exactly ten"),
            ("  folded \n\n text ", 100, "folded text"),
            ("hello world foo", 12, "hello world…"),
            ("hello world foo", 11, "hello…"),
            ("hello world", 6, "hello…"),
            ("hello world", 5, "hell…"),
            ("supercalifragilistic word", 8, "superca…"),
            ("a b c d e f", 4, "a b…"),
            ("héllo wörld ünïcode", 12, "héllo wörld…"),
            ("日本語のテキスト", 4, "日本語…"),
            ("anything", 1, "…"),
            ("anything", 0, ""),
            ("", 0, ""),
        ];
        for (text, max, want) in cases {
            let got = excerpt(text, *max);
            assert_eq!(&got, want, "excerpt({text:?}, {max})");
            assert!(got.chars().count() <= *max);
        }
    }

    #[test]
    fn fold_whitespace_table() {
        assert_eq!(fold_whitespace(" a \n b\t\tc "), "a b c");
        assert_eq!(fold_whitespace("a\u{a0}b"), "a b");
        assert_eq!(fold_whitespace("   "), "");
    }

    /// Text made of words, with assorted white space and some multi-byte chars.
    fn wordy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            (
                "[a-zé日本😀]{0,12}",
                prop_oneof![Just(" "), Just("  "), Just("\n"), Just("\t "), Just("")],
            ),
            0..40,
        )
        .prop_map(|parts| parts.into_iter().map(|(w, s)| w + s).collect())
    }

    proptest! {
        #[test]
        fn excerpt_within_budget_and_prefix(text in wordy(), max in 0usize..60) {
            let got = excerpt(&text, max);
            let folded = fold_whitespace(&text);
            prop_assert!(got.chars().count() <= max, "{:?} over {}", got, max);
            if folded.chars().count() <= max {
                prop_assert_eq!(&got, &folded);
            } else if max == 0 {
                prop_assert_eq!(&got, "");
            } else {
                let head = got.strip_suffix(ELLIPSIS);
                prop_assert!(head.is_some(), "cut without ellipsis: {:?}", got);
                let head = head.unwrap_or_default();
                prop_assert!(folded.starts_with(head));
                // Cut at a word boundary unless a single word overflows.
                let rest = &folded[head.len()..];
                let at_boundary = rest.starts_with(' ');
                let hard_cut = !head.contains(' ') && head.chars().count() == max - 1;
                prop_assert!(at_boundary || hard_cut, "cut inside a word: {:?}", got);
            }
        }

        #[test]
        fn excerpt_of_arbitrary_text_within_budget(text in "\\PC{0,200}", max in 0usize..100) {
            prop_assert!(excerpt(&text, max).chars().count() <= max);
        }

        #[test]
        fn plain_text_shortcut_is_exact(text in "[^<&\r\0]{0,80}") {
            prop_assume!(crate::sanitize::is_plain_text(&text));
            prop_assert_eq!(html_to_text(&text), html_to_text_parsed(&text));
        }

        #[test]
        fn words_split_like_split_whitespace(text in "[ -~\t\n\x0B\x0C\r\u{a0}\u{2003}\u{3000}é日]{0,60}") {
            let mut sink = TextSink::new(0);
            sink.push_text(&text);
            prop_assert_eq!(sink.out, fold_whitespace(&text));
        }

        #[test]
        fn html_to_text_never_panics(html in "\\PC{0,200}") {
            let text = html_to_text(&html);
            prop_assert_eq!(text.trim(), text.as_str());
        }
    }
}

/// Publishers' "read more" trailers at the end of a summary: WordPress's
/// `[…]` and "Continue reading →", "Read more", "(more…)", Yoast's "The post
/// X appeared first on Y." Outputs add their own "Continue reading" link, so
/// keeping these would say it twice.
///
/// Bracketed forms and the Yoast line are removed wherever the text ends;
/// phrases such as "Read more" only when they start a sentence or follow an
/// ellipsis, so that "We read more books." stays whole.
static TRAILER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?xi)
        (?: \[\s*(?:…|\.\.\.)\s*\] | \(more…?\)
          | The\s+post\s+.{1,300}?\s+appeared\s{1,8}first\s{1,8}on\s{1,8}.{1,200}?\.? )
        \s*$",
    )
    .expect("valid trailer pattern")
});

static READ_MORE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?xi)
        (?P<ellipsis> … | \.\.\. )? \s*
        (?: continue\s+reading | read\s+more | read\s+the\s+rest | keep\s+reading
          | read\s+(?:the\s+)?full\s+(?:article|post|story) )
        [^.!?\n]{0,120}? [\s→»›>…:]* \.? \s*$",
    )
    .expect("valid read-more pattern")
});

/// A cheap necessary condition for [`TRAILER`] to match `text` (trimmed at
/// the end): it ends with `]` or `)`, or "appeared" is in its last
/// [`TRAILER_REACH`] bytes.
fn may_end_with_trailer(text: &str) -> bool {
    text.ends_with(']')
        || text.ends_with(')')
        || contains_ascii_ci(tail_bytes(text, TRAILER_REACH), "appeared")
}

/// How far from the end "appeared" of a Yoast trailer can start: the
/// pattern after it is bounded (`\s{1,8}first\s{1,8}on\s{1,8}` and at most
/// 200 characters of at most 4 bytes, one `.`), with room to spare.
const TRAILER_REACH: usize = 1024;

/// The last `n` bytes of `text` or a little more (up to a character boundary).
fn tail_bytes(text: &str, n: usize) -> &str {
    let mut start = text.len().saturating_sub(n);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    &text[start..]
}

/// A cheap necessary condition for [`READ_MORE`] to match `text`: once the
/// final separators (white space, `→ » › > … :`, one `.`) are set aside,
/// nothing after the phrase is one of `. ! ? \n`, so "read" must appear
/// after the last of them.
fn may_end_with_read_more(text: &str) -> bool {
    let body = text.trim_end();
    let body = body.strip_suffix('.').unwrap_or(body);
    let body = body.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '→' | '»' | '›' | '>' | '…' | ':')
    });
    let tail = body
        .rfind(['.', '!', '?', '\n'])
        .map_or(body, |i| &body[i + 1..]);
    contains_ascii_ci(tail, "read")
}

/// ASCII case-insensitive substring search.
fn contains_ascii_ci(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// `text` without a trailing "read more" phrase (see `TRAILER` in the source); a text
/// that is nothing but such a phrase is kept as it is.
pub fn strip_read_more(text: &str) -> &str {
    let mut rest = text.trim_end();
    // At most a couple of trailers are stacked ("… Read more [...]").
    for _ in 0..3 {
        let trailer = may_end_with_trailer(rest)
            .then(|| TRAILER.find(rest))
            .flatten();
        let read_more = || {
            may_end_with_read_more(rest)
                .then(|| READ_MORE.captures(rest))
                .flatten()
        };
        let cut = if let Some(m) = trailer {
            Some(m.start())
        } else if let Some(c) = read_more() {
            let whole = c.get(0).map_or(0, |m| m.start());
            let before = rest[..whole].trim_end();
            let at_boundary = c.name("ellipsis").is_some()
                || before.ends_with(['.', '!', '?', '…', ']', ')', '"', '”']);
            at_boundary.then_some(whole)
        } else {
            None
        };
        match cut {
            Some(at) if !rest[..at].trim().is_empty() => rest = rest[..at].trim_end(),
            _ => break,
        }
    }
    rest
}

#[cfg(test)]
mod read_more_tests {
    use super::{may_end_with_read_more, may_end_with_trailer, strip_read_more};
    use super::{READ_MORE, TRAILER};
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "Read more",
        "continue reading",
        "Keep Reading",
        "read the full story",
        "...",
        "…",
        ".",
        "!",
        "?",
        "\n",
        " ",
        "\t",
        "→",
        "»",
        "›",
        ">",
        ":",
        "[…]",
        "[...]",
        "(more…)",
        "The post X",
        " appeared first on ",
        " appeared\nfirst\ton ",
        "appeared",
        "Y",
        "word",
        "thread",
        "]",
        ")",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The pre-checks are necessary conditions: whenever a pattern
        /// matches, its pre-check says it may.
        #[test]
        fn prechecks_never_skip_a_match(parts in proptest::collection::vec(proptest::sample::select(PIECES), 0..10)) {
            let text = parts.concat();
            let text = text.trim_end();
            if TRAILER.is_match(text) {
                prop_assert!(may_end_with_trailer(text), "{:?}", text);
            }
            if READ_MORE.is_match(text) {
                prop_assert!(may_end_with_read_more(text), "{:?}", text);
            }
        }
    }

    #[test]
    fn trailer_precheck_reaches_far_enough() {
        // The longest Yoast tail: 8 spaces thrice and 200 four-byte characters.
        let text = format!(
            "Body. The post X appeared{0}first{0}on{0}{1}.",
            " ".repeat(8),
            "😀".repeat(200)
        );
        assert!(TRAILER.is_match(&text));
        assert!(may_end_with_trailer(&text));
    }

    #[test]
    fn trailers_are_removed() {
        for (input, want) in [
            (
                "Paths and diversity. … Continue reading →",
                "Paths and diversity.",
            ),
            (
                "Paths and diversity. Continue reading BGP Route Reflectors →",
                "Paths and diversity.",
            ),
            (
                "Paths and diversity [&#8230;]",
                "Paths and diversity [&#8230;]",
            ),
            ("Paths and diversity […]", "Paths and diversity"),
            ("Paths and diversity [...]", "Paths and diversity"),
            ("Paths and diversity. Read more »", "Paths and diversity."),
            ("Paths and diversity (more…)", "Paths and diversity"),
            (
                "Paths. The post BGP Is Fun appeared first on Packet Mill.",
                "Paths.",
            ),
            (
                "We read more books than ever.",
                "We read more books than ever.",
            ),
            ("Continue reading", "Continue reading"),
            ("Nothing to strip here.", "Nothing to strip here."),
        ] {
            assert_eq!(strip_read_more(input), want, "{input:?}");
        }
    }
}
