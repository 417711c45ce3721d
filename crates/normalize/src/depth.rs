//! A bound on the nesting depth of HTML, applied before any HTML parser.
//!
//! html5ever's tree builder walks the stack of open elements for many start
//! and end tags ("has an element in scope"), so parsing markup nested `n`
//! deep costs O(n²): 50,000 nested `<div>`s took about three minutes in a
//! debug build. Feeds are hostile input, so [`flatten_deep_nesting`] removes
//! the start tags (and their matching end tags) of elements that would open
//! deeper than a limit, keeping their text: the markup is *flattened*, as
//! browsers do (Blink's parser stops nesting at 512 levels for the same
//! reason). Then every parse costs at most O(size × limit).
//!
//! The scan is a light tokenizer, not a parser: it tracks comments, quoted
//! attribute values, raw-text elements (`<script>`, `<style>` …), void
//! elements and the implied end of `<p>`, `<li>` and their kind, so that
//! ordinary (even sloppy) markup is never touched. Where it cannot know what
//! the real parser will do it over-counts, which only flattens sooner.
//! Safety does not depend on it: its output is still untrusted and goes
//! through the sanitizer's HTML parser and allow-list like any other input.

use std::borrow::Cow;

/// Deepest element nesting kept in content; deeper start tags are dropped.
/// Real articles stay far below it (tables in lists in quotes reach 20).
pub const MAX_DEPTH: usize = 512;

/// How far down the stack of dropped elements an end tag is matched:
/// bounded so that a flood of stray end tags stays linear.
const DROPPED_MATCH_WINDOW: usize = 64;

/// Elements that never have content (no end tag, never nest).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements whose content is text up to their own end tag (in HTML, not
/// inside `<svg>`/`<math>`). `plaintext` never ends.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "textarea",
    "title",
    "plaintext",
];

/// Elements implicitly closed by a start tag of one of the names in the same
/// group when they are the current element.
const IMPLIED_END_GROUPS: &[&[&str]] = &[
    &["p"],
    &["li"],
    &["dt", "dd"],
    &["option"],
    &["optgroup"],
    &["tr"],
    &["td", "th"],
    &["rb", "rt", "rp", "rtc"],
];

/// `html` with elements deeper than `max_depth` unwrapped (their start and
/// end tags removed, their content kept). Borrowed when nothing was removed.
///
/// Linear in the size of the input (the stack of kept elements is at most
/// `max_depth` long).
pub fn flatten_deep_nesting(html: &str, max_depth: usize) -> Cow<'_, str> {
    // Fewer tags than the limit cannot nest deeper than it.
    if html.bytes().filter(|&b| b == b'<').count() <= max_depth {
        return Cow::Borrowed(html);
    }
    let bytes = html.as_bytes();
    let mut out = String::new();
    // Everything before `copied` is in `out` or deliberately left out.
    let mut copied = 0;
    let mut open: Vec<String> = Vec::new();
    let mut foreign = 0usize; // open <svg>/<math> elements in `open`
    let mut dropped: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(rel) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&c| c == b'<'))
    {
        let lt = i + rel;
        let rest = &bytes[lt..];
        if rest.starts_with(b"<!--") {
            i = comment_end(bytes, lt);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = find_byte(bytes, lt + 2, b'>').map_or(bytes.len(), |p| p + 1);
            continue;
        }
        let is_end = rest.starts_with(b"</");
        let name_start = lt + if is_end { 2 } else { 1 };
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // `</>` is ignored, `</ …>` is a bogus comment, `< ` is text.
            i = if is_end {
                find_byte(bytes, name_start, b'>').map_or(bytes.len(), |p| p + 1)
            } else {
                lt + 1
            };
            continue;
        }
        let name_end = bytes[name_start..]
            .iter()
            .position(|&c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
            .map_or(bytes.len(), |p| name_start + p);
        let Some(gt) = tag_end(bytes, name_end) else {
            // A tag cut by the end of input is dropped by the tokenizer.
            break;
        };
        let after = gt + 1;
        // Tag names are ASCII-delimited, so these are char boundaries.
        let name = html[name_start..name_end].to_ascii_lowercase();
        let self_closing = bytes[..gt].ends_with(b"/");

        let keep = if is_end {
            end_tag(&name, &mut open, &mut foreign, &mut dropped)
        } else if VOID.contains(&name.as_str()) || (foreign > 0 && self_closing) {
            true
        } else if foreign == 0 && RAW_TEXT.contains(&name.as_str()) {
            // Its text is not markup: skip to its end tag, kept as is (it
            // adds no depth that lasts).
            let text_end = if name == "plaintext" {
                bytes.len()
            } else {
                find_end_tag(bytes, after, name.as_bytes())
            };
            i = text_end;
            continue;
        } else {
            start_tag(name, max_depth, &mut open, &mut foreign, &mut dropped)
        };
        if !keep {
            out.push_str(&html[copied..lt]);
            copied = after;
        }
        i = after;
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// Records a start tag; whether it is kept.
fn start_tag(
    name: String,
    max_depth: usize,
    open: &mut Vec<String>,
    foreign: &mut usize,
    dropped: &mut Vec<String>,
) -> bool {
    if !dropped.is_empty() || open.len() >= max_depth {
        dropped.push(name);
        return false;
    }
    // `<p>` after `<p>`, `<li>` after `<li>` …: the parser closes the first.
    if let Some(top) = open.last() {
        let same_group = IMPLIED_END_GROUPS
            .iter()
            .any(|g| g.contains(&top.as_str()) && g.contains(&name.as_str()));
        if same_group {
            open.pop();
        }
    }
    if name == "svg" || name == "math" {
        *foreign += 1;
    }
    open.push(name);
    true
}

/// Records an end tag; whether it is kept.
fn end_tag(
    name: &str,
    open: &mut Vec<String>,
    foreign: &mut usize,
    dropped: &mut Vec<String>,
) -> bool {
    let window = dropped.len().saturating_sub(DROPPED_MATCH_WINDOW);
    if let Some(pos) = dropped[window..].iter().rposition(|n| n == name) {
        dropped.truncate(window + pos);
        return false;
    }
    if let Some(pos) = open.iter().rposition(|n| n == name) {
        // Closing a kept element closes everything opened inside it.
        dropped.clear();
        let closed_foreign = open[pos..]
            .iter()
            .filter(|n| *n == "svg" || *n == "math")
            .count();
        *foreign = foreign.saturating_sub(closed_foreign);
        open.truncate(pos);
    }
    // Stray end tags are kept: the parser ignores them.
    true
}

/// Index just past the comment starting at `lt` (`<!--`), or the end.
fn comment_end(bytes: &[u8], lt: usize) -> usize {
    let body = lt + 4;
    // `<!-->` and `<!--->` are complete (empty) comments.
    if bytes.get(body) == Some(&b'>') {
        return body + 1;
    }
    if bytes.get(body..body + 2) == Some(b"->") {
        return body + 2;
    }
    // Ends at `-->` or `--!>`; one pass, so many comments stay linear.
    let mut j = body;
    while let Some(p) = find_seq(bytes, j, b"--") {
        match bytes.get(p + 2) {
            Some(b'>') => return p + 3,
            Some(b'!') if bytes.get(p + 3) == Some(&b'>') => return p + 4,
            _ => j = p + 1,
        }
    }
    bytes.len()
}

/// Position of the `>` ending a tag whose name ends at `from`, skipping
/// quoted attribute values; `None` when the input ends first.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let is_space = |c: u8| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    let mut j = from;
    loop {
        // Between attributes.
        while j < bytes.len() && (is_space(bytes[j]) || bytes[j] == b'/') {
            j += 1;
        }
        match bytes.get(j)? {
            b'>' => return Some(j),
            // An attribute name (a leading `=` belongs to it).
            _ => j += 1,
        }
        while j < bytes.len() && !is_space(bytes[j]) && !matches!(bytes[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        if bytes.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        match bytes.get(j)? {
            &q @ (b'"' | b'\'') => j = find_byte(bytes, j + 1, q)? + 1,
            _ => {
                while j < bytes.len() && !is_space(bytes[j]) && bytes[j] != b'>' {
                    j += 1;
                }
            }
        }
    }
}

/// Start of the end tag `</name` (ASCII case-insensitive, followed by a
/// delimiter) at or after `from`, or the end of input.
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut j = from;
    while let Some(p) = find_seq(bytes, j, b"</") {
        let name_at = p + 2;
        let matches_name = bytes
            .get(name_at..name_at + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name));
        let delimited = matches!(
            bytes.get(name_at + name.len()),
            None | Some(b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>')
        );
        if matches_name && delimited {
            return p;
        }
        j = p + 2;
    }
    bytes.len()
}

fn find_byte(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&c| c == byte)
        .map(|p| from + p)
}

fn find_seq(bytes: &[u8], from: usize, seq: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(seq.len())
        .position(|w| w == seq)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, n: usize) -> String {
        format!(
            "{}x{}",
            format!("<{tag}>").repeat(n),
            format!("</{tag}>").repeat(n)
        )
    }

    #[test]
    fn shallow_markup_is_untouched() {
        for html in [
            "<p>a<p>b<ul><li>1<li>2</ul>",
            "<div><script>if (a<b) {}</script><!-- <div> --></div>",
            r#"<a title="<div>" href='x>y'>t</a>"#,
        ] {
            assert!(matches!(flatten_deep_nesting(html, 4), Cow::Borrowed(_)));
        }
        // Many tags, little depth: the slow path keeps every one.
        let many = "<p>para".repeat(2000) + &"<li>item".repeat(2000) + &"<b>x</b><br>".repeat(2000);
        assert_eq!(flatten_deep_nesting(&many, 16), many);
    }

    #[test]
    fn deep_nesting_is_cut_at_the_limit() {
        let html = nested("div", 1000);
        let out = flatten_deep_nesting(&html, 100);
        assert_eq!(out, nested("div", 100));
        // Mixed and unclosed tags.
        let html = "<span><b>".repeat(500) + "text";
        let out = flatten_deep_nesting(&html, 10);
        assert_eq!(out, "<span><b>".repeat(5) + "text");
    }

    #[test]
    fn text_and_later_siblings_survive() {
        let html = format!("{}<p>after</p>", nested("div", 50));
        let out = flatten_deep_nesting(&html, 8);
        assert_eq!(out, format!("{}<p>after</p>", nested("div", 8)));
    }

    #[test]
    fn tricky_tags_are_skipped_whole() {
        let deep = "<i>".repeat(20);
        // A quoted `>` and a comment do not end the scan early; a raw-text
        // element's content is not counted; the dropped tags go whole.
        let html =
            format!("{deep}<!-- <i><i> --><q title='>'><script><i><i></script><em a=\"<i>\">t");
        let out = flatten_deep_nesting(&html, 20);
        assert_eq!(
            out,
            format!("{deep}<!-- <i><i> --><script><i><i></script>t")
        );
    }

    #[test]
    fn self_closing_html_elements_still_count() {
        // In HTML `<div/>` opens a div: an attacker must not nest that way.
        let html = "<div/>".repeat(100);
        assert_eq!(flatten_deep_nesting(&html, 10), "<div/>".repeat(10));
        // In SVG it closes, so nothing is dropped.
        let svg = format!("<svg>{}</svg>", "<g/>".repeat(100));
        assert_eq!(flatten_deep_nesting(&svg, 10), svg);
    }

    #[test]
    fn never_panics_on_cut_input() {
        let html = "<div>".repeat(40) + "<a href=\"x";
        for end in 0..=html.len() {
            if let Some(prefix) = html.get(..end) {
                let _ = flatten_deep_nesting(prefix, 4);
            }
        }
        let _ = flatten_deep_nesting("<é<ü</é><!--", 0);
    }
}
