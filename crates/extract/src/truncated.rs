//! Is a feed entry only an excerpt of its article? (The `auto` mode.)
//!
//! Publishers that ship excerpts end them in a few recognisable ways: a
//! "Continue reading" / "Read more" link, an ellipsis (`…`, `...`, `[…]`,
//! `[...]`, WordPress's `(more…)`), or they ship just a line or two. The
//! checks run on the entry's plain text, after a trailing Yoast line ("The
//! post X appeared first on Y.") is set aside (it follows full posts too).
//! A false positive costs one page fetch; a false negative leaves the
//! excerpt, so "short" is generous.

use once_cell::sync::Lazy;
use regex::Regex;
use tributary_normalize::text::html_to_text;

/// Entries with fewer words than this (and a link to follow) count as excerpts.
pub const SHORT_WORDS: usize = 50;

/// Why an entry looks truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// No text at all, but a link.
    Empty,
    /// Ends in an ellipsis (`…`, `...`, `[…]`, `(more…)`).
    Ellipsis,
    /// Ends in a "Continue reading" / "Read more" phrase.
    ReadMore,
    /// Fewer than [`SHORT_WORDS`] words, and a link.
    Short,
}

impl Truncation {
    /// A word for logs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Truncation::Empty => "empty",
            Truncation::Ellipsis => "ellipsis",
            Truncation::ReadMore => "read more",
            Truncation::Short => "short",
        }
    }
}

/// "The post X appeared first on Y." (Yoast SEO's feed footer), at the end.
static YOAST: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?is)\s*the post\s.{1,300}?\sappeared\s+first\s+on\s.{1,200}?\.?\s*$")
        .expect("valid regex")
});

/// A read-more phrase near the end, possibly followed by arrows or an ellipsis.
static READ_MORE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?i)(continue\s+reading|read\s+more|read\s+the\s+(rest|full)|keep\s+reading|read\s+full|full\s+(article|story|post)|read\s+on)\b[^.!?\n]{0,80}$",
    )
    .expect("valid regex")
});

/// Whether the entry whose content (or summary) is `html` is an excerpt;
/// `has_link`: the entry links to its article. `None`: it looks complete.
pub fn truncation(html: &str, has_link: bool) -> Option<Truncation> {
    if !has_link {
        // Nothing to fetch anyway.
        return None;
    }
    let text = html_to_text(html);
    let text = YOAST.replace(text.trim(), "");
    let text = text.trim_end();
    if text.is_empty() {
        return Some(Truncation::Empty);
    }
    let tail =
        text.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '→' | '»' | '›' | '>'));
    if [
        "…",
        "...",
        "[…]",
        "[...]",
        "[&hellip;]",
        "(more…)",
        "(more...)",
    ]
    .iter()
    .any(|e| tail.ends_with(e))
    {
        return Some(Truncation::Ellipsis);
    }
    let end = tail_chars(tail, 120);
    if READ_MORE.is_match(end) {
        return Some(Truncation::ReadMore);
    }
    if text.split_whitespace().count() < SHORT_WORDS {
        return Some(Truncation::Short);
    }
    None
}

fn tail_chars(s: &str, n: usize) -> &str {
    match s.char_indices().rev().nth(n.saturating_sub(1)) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(words: usize) -> String {
        (0..words)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ")
            + "."
    }

    #[test]
    fn the_detector_table() {
        let l = long(80);
        let cases: Vec<(String, bool, Option<Truncation>)> = vec![
            // Complete posts.
            (format!("<p>{l}</p>"), true, None),
            (
                format!("<p>{l}</p><p>The post Foo appeared first on Bar Blog.</p>"),
                true,
                None,
            ),
            (
                format!("<p>{l} I read more books than ever.</p>"),
                true,
                None,
            ),
            (
                format!("<p>{l} We read on. And then stopped.</p>"),
                true,
                None,
            ),
            // No link: nothing to fetch, whatever the text.
            ("<p>Short …</p>".into(), false, None),
            ("".into(), false, None),
            // Empty.
            ("".into(), true, Some(Truncation::Empty)),
            ("<p> </p><img src=x>".into(), true, Some(Truncation::Empty)),
            // Ellipses.
            (
                format!("<p>{l} And then …</p>"),
                true,
                Some(Truncation::Ellipsis),
            ),
            (
                format!("<p>{l} And then...</p>"),
                true,
                Some(Truncation::Ellipsis),
            ),
            (
                format!("<p>{l} And then [&hellip;]</p>"),
                true,
                Some(Truncation::Ellipsis),
            ),
            (
                format!("<p>{l} And then [...]</p>"),
                true,
                Some(Truncation::Ellipsis),
            ),
            (
                format!("<p>{l} And then […]</p><p>The post X appeared first on Y.</p>"),
                true,
                Some(Truncation::Ellipsis),
            ),
            (
                format!("<p>{l} <a href=/x>(more…)</a></p>"),
                true,
                Some(Truncation::Ellipsis),
            ),
            // Read more phrases.
            (
                format!("<p>{l}</p><p><a href=/x>Continue reading →</a></p>"),
                true,
                Some(Truncation::ReadMore),
            ),
            (
                format!("<p>{l}</p><a href=/x>Continue reading <span>Foo bar</span></a>"),
                true,
                Some(Truncation::ReadMore),
            ),
            (
                format!("<p>{l} Read more »</p>"),
                true,
                Some(Truncation::ReadMore),
            ),
            (
                format!("<p>{l}</p><p>READ MORE</p>"),
                true,
                Some(Truncation::ReadMore),
            ),
            (
                format!("<p>{l}</p><p>Read the full story at Example</p>"),
                true,
                Some(Truncation::ReadMore),
            ),
            (
                format!("<p>{l}</p><p>Keep reading</p>"),
                true,
                Some(Truncation::ReadMore),
            ),
            // Short.
            (
                "<p>A two-line teaser about BGP.</p>".into(),
                true,
                Some(Truncation::Short),
            ),
            (
                format!("<p>{}</p>", long(SHORT_WORDS - 2)),
                true,
                Some(Truncation::Short),
            ),
            (format!("<p>{}</p>", long(SHORT_WORDS + 1)), true, None),
        ];
        for (html, link, want) in cases {
            assert_eq!(truncation(&html, link), want, "{html:?} link={link}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for s in ["\u{0}", "…", "<<<>>>", "é…", "[", "the post", "read"] {
            let _ = truncation(s, true);
        }
    }
}
