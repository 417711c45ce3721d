//! The plain-text digest.
//!
//! Per entry, newest first:
//!
//! ```text
//! Title on one line
//!
//! The excerpt, wrapped at 72 columns without ever splitting a word (a word
//! longer than a line gets a line of its own).
//! Continue reading: https://example.com/post
//! From: Source A, Source B
//! ```
//!
//! Entries are separated by one blank line and the text ends with a newline;
//! an empty river gives an empty string. When an entry has no URL at all
//! (nor does its source), the link line reads `Continue reading at <source>`.
//! The excerpt line is left out when the excerpt is empty. Columns are counted
//! in characters.

use super::{one_line, DigestEntry};

/// Wrap width of excerpts, in characters.
const WIDTH: usize = 72;

/// Renders entries as plain text (see the module docs for the layout).
pub(super) fn render(entries: &[DigestEntry<'_>]) -> String {
    let mut out = String::new();
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&plain(&entry.item.entry.title));
        out.push_str("\n\n");
        let excerpt = plain(&entry.item.entry.excerpt);
        if !excerpt.is_empty() {
            for line in wrap(&excerpt, WIDTH) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        match entry.link() {
            Some(url) => {
                out.push_str("Continue reading: ");
                out.push_str(url.trim());
            }
            None => {
                out.push_str("Continue reading at ");
                out.push_str(&one_line(&entry.item.source.title));
            }
        }
        out.push('\n');
        out.push_str("From: ");
        out.push_str(&entry.source_names());
        out.push('\n');
    }
    out
}

/// Renders sections of entries as plain text: each named section starts
/// with its heading, underlined with `=`, and a blank line; sections are
/// separated by one blank line. A footer follows a `-- ` line.
pub(super) fn render_sections(
    sections: &[(Option<&str>, Vec<DigestEntry<'_>>)],
    footer: Option<&super::Footer>,
) -> String {
    let mut out = String::new();
    for (heading, entries) in sections.iter().filter(|(_, e)| !e.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        if let Some(heading) = heading {
            let heading = plain(heading);
            out.push_str(&heading);
            out.push('\n');
            out.push_str(&"=".repeat(heading.chars().count().max(1)));
            out.push_str("\n\n");
        }
        out.push_str(&render(entries));
    }
    if let Some(footer) = footer {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("-- \n");
        out.push_str(&plain(&footer.text));
        if let Some(link) = super::non_empty(footer.link.as_deref()) {
            out.push('\n');
            out.push_str(link.trim());
        }
        out.push('\n');
    }
    out
}

/// One line of plain text. Titles and excerpts are plain text already, but
/// feeds that escape twice (`&amp;amp;`) are common enough that a leftover
/// entity is decoded here rather than shown to the reader.
fn plain(s: &str) -> String {
    one_line(&html_escape::decode_html_entities(s))
}

/// Greedy word wrap: words are never split; a word wider than `width` gets a
/// line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let word_len = word.chars().count();
        if line_len > 0 && line_len + 1 + word_len > width {
            lines.push(std::mem::take(&mut line));
            line_len = 0;
        }
        if line_len > 0 {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += word_len;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{item, source};
    use super::super::{collapse, render as render_digest, DigestOptions, Format};
    use super::*;
    use chrono::Utc;
    use proptest::prelude::*;

    fn opts() -> DigestOptions {
        DigestOptions {
            title: "Digest".into(),
            link: None,
            generated_at: Utc::now(),
            links: Default::default(),
        }
    }

    #[test]
    fn two_entries_exactly() {
        let a = source(1, "Alpha Blog");
        let b = source(2, "Beta News");
        let mut first = item(
            1,
            &a,
            "Rust 2.0 & friends",
            Some("https://alpha.example/rust"),
        );
        first.entry.excerpt = "The next edition brings <generics> to everything.".into();
        let second = item(2, &b, "Quiet week", Some("https://beta.example/quiet"));
        let text = render_digest(&[first, second], Format::Text, &opts());
        assert_eq!(
            text,
            "Rust 2.0 & friends\n\
             \n\
             The next edition brings <generics> to everything.\n\
             Continue reading: https://alpha.example/rust\n\
             From: Alpha Blog\n\
             \n\
             Quiet week\n\
             \n\
             Excerpt of Quiet week.\n\
             Continue reading: https://beta.example/quiet\n\
             From: Beta News\n"
        );
    }

    #[test]
    fn collapsed_entry_names_both_sources() {
        let a = source(1, "Alpha");
        let b = source(2, "Beta");
        let items = [
            item(1, &a, "Shared", Some("https://x.example/1")),
            item(2, &b, "Shared (syndicated)", Some("https://x.example/1")),
        ];
        let text = render_digest(&items, Format::Text, &opts());
        assert_eq!(text.matches("Shared").count(), 2, "{text}"); // title + excerpt, once
        assert!(!text.contains("syndicated"), "{text}");
        assert!(text.contains("From: Alpha, Beta\n"), "{text}");
    }

    #[test]
    fn no_url_names_the_source() {
        let mut a = source(1, "Alpha");
        a.site_url = None;
        a.feed_url = String::new();
        let mut it = item(1, &a, "Lost", None);
        it.entry.excerpt = String::new();
        let text = render(&collapse(std::slice::from_ref(&it)));
        assert_eq!(text, "Lost\n\nContinue reading at Alpha\nFrom: Alpha\n");
    }

    #[test]
    fn leftover_entities_are_decoded() {
        let a = source(1, "A");
        let mut it = item(1, &a, "Tom &amp; Jerry", Some("https://x.example/"));
        it.entry.excerpt = "It&#39;s &quot;fine&quot;".into();
        let text = render(&collapse(std::slice::from_ref(&it)));
        assert!(text.starts_with("Tom & Jerry\n\nIt's \"fine\"\n"), "{text}");
    }

    #[test]
    fn empty_river_is_empty_text() {
        assert_eq!(render(&[]), "");
    }

    #[test]
    fn wrap_keeps_long_words_whole() {
        let long = "x".repeat(100);
        assert_eq!(
            wrap(&format!("a {long} b"), 72),
            vec!["a".to_string(), long, "b".into()]
        );
    }

    proptest! {
        #[test]
        fn wrap_never_splits_or_loses_words(text in "[a-zé ]{0,400}") {
            let lines = wrap(&text, WIDTH);
            let rejoined = lines.join(" ");
            let words: Vec<_> = text.split_whitespace().collect();
            prop_assert_eq!(rejoined.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>(), words);
            for line in &lines {
                // Only a single over-long word may exceed the width.
                prop_assert!(line.chars().count() <= WIDTH || !line.contains(' '));
            }
        }
    }
}
