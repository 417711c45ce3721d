//! Plain text of stored HTML, for the search index.
//!
//! Stored HTML is already sanitized (well-formed tags, no scripts or
//! comments left by the sanitizer), so a small scanner is enough: tags are
//! dropped (block-level ones leave a space, so words do not run together),
//! entities decoded, runs of white space collapsed. The two control
//! characters that mark hits in search snippets are removed, so they never
//! appear in indexed text.

/// Characters that mark the start and end of a hit in a snippet.
pub(crate) const HIT_START: char = '\u{1}';
/// See [`HIT_START`].
pub(crate) const HIT_END: char = '\u{2}';

/// The text of `html`: tags removed, entities decoded, white space collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        raw.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        // A `<` not starting a tag (`a < b` that escaped the sanitizer) is text.
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !starts_tag {
            raw.push('<');
            rest = after;
            continue;
        }
        if let Some(body) = after.strip_prefix("!--") {
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            raw.push(' ');
            continue;
        }
        let end = tag_end(after);
        let tag = &after[..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = after.get(end + 1..).unwrap_or("");
        if matches!(name.as_str(), "script" | "style") && !tag.starts_with('/') {
            // Not expected after sanitizing; their text is not content.
            let close = format!("</{name}");
            rest = find_ci(rest, &close).map_or("", |i| &rest[i..]);
            continue;
        }
        if !is_inline(&name) {
            raw.push(' ');
        }
    }
    raw.push_str(rest);
    let decoded = html_escape::decode_html_entities(&raw);
    collapse(&decoded)
}

/// Where the tag starting at `s` (after its `<`) ends: the index of its
/// `>`, skipping `>` inside quoted attribute values; `s.len()` if unclosed.
fn tag_end(s: &str) -> usize {
    let mut quote: Option<u8> = None;
    for (i, b) in s.bytes().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return i,
            (None, _) => {}
        }
    }
    s.len()
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Tags inside a line of text: no space where they were.
fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "bdi"
            | "bdo"
            | "cite"
            | "code"
            | "data"
            | "del"
            | "dfn"
            | "em"
            | "font"
            | "i"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "tt"
            | "u"
            | "var"
            | "wbr"
    )
}

/// White space runs as one space, no leading or trailing space, hit markers removed.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == HIT_START || c == HIT_END {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_tags_and_keeps_words_apart_across_blocks() {
        assert_eq!(
            html_to_text("<p>One</p><p>two <b>th</b>ree</p><br>four"),
            "One two three four"
        );
        assert_eq!(html_to_text("<li>a</li><li>b</li>"), "a b");
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            html_to_text("caf&eacute; &amp; cr&#232;me &lt;b&gt; &#x263A;"),
            "café & crème <b> ☺"
        );
    }

    #[test]
    fn attribute_values_with_brackets_do_not_end_the_tag() {
        assert_eq!(
            html_to_text(r#"<a href="x" title="a > b">link</a> text"#),
            "link text"
        );
        assert_eq!(html_to_text("<img alt='1>0' src=x>after"), "after");
    }

    #[test]
    fn comments_scripts_and_stray_brackets() {
        assert_eq!(html_to_text("a<!-- hidden -->b"), "a b");
        assert_eq!(html_to_text("x<script>var a = 1 < 2;</script>y"), "x y");
        assert_eq!(html_to_text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
        assert_eq!(html_to_text("unclosed <p class="), "unclosed");
        assert_eq!(html_to_text("<style>p{}</style>"), "");
    }

    #[test]
    fn collapses_white_space_and_removes_hit_markers() {
        assert_eq!(html_to_text("  a \n\t b  "), "a b");
        assert_eq!(html_to_text("x\u{1}y\u{2}z"), "xyz");
        assert_eq!(html_to_text(""), "");
    }
}
