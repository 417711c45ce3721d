//! Relative URIs inside HTML text constructs, resolved against the base in
//! effect for that text (feedparser's `resolve_relative_uris`): the sanitizer
//! downstream only knows the entry's base, not each element's `xml:base`.
//!
//! A light scanner, not an HTML parser: it finds start tags, and in them the
//! URI attributes of HTML (`a href`, `img src` …), and rewrites only the
//! values that are relative. Text that has no such attribute is returned as is.

use std::borrow::Cow;

use url::Url;

/// (element, attribute) pairs whose value is a URI.
const URI_ATTRS: &[(&str, &str)] = &[
    ("a", "href"),
    ("applet", "codebase"),
    ("area", "href"),
    ("audio", "src"),
    ("blockquote", "cite"),
    ("body", "background"),
    ("del", "cite"),
    ("form", "action"),
    ("frame", "longdesc"),
    ("frame", "src"),
    ("iframe", "longdesc"),
    ("iframe", "src"),
    ("head", "profile"),
    ("img", "longdesc"),
    ("img", "src"),
    ("img", "usemap"),
    ("input", "src"),
    ("input", "usemap"),
    ("ins", "cite"),
    ("link", "href"),
    ("object", "classid"),
    ("object", "codebase"),
    ("object", "data"),
    ("object", "usemap"),
    ("q", "cite"),
    ("script", "src"),
    ("source", "src"),
    ("video", "poster"),
    ("video", "src"),
];

fn is_uri_attr(element: &str, attr: &str) -> bool {
    URI_ATTRS
        .iter()
        .any(|(e, a)| e.eq_ignore_ascii_case(element) && a.eq_ignore_ascii_case(attr))
}

/// `html` with the relative URIs of its URI attributes resolved against `base`.
pub(crate) fn resolve_in_html<'a>(html: &'a str, base: &Url) -> Cow<'a, str> {
    if !html.contains('=') || !html.contains('<') {
        return Cow::Borrowed(html);
    }
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let tag_start = i + off;
        let mut j = tag_start + 1;
        let name_start = j;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b':') {
            j += 1;
        }
        if j == name_start {
            i = tag_start + 1;
            continue;
        }
        let element = &html[name_start..j];
        // Attributes until '>'.
        loop {
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] == b'>' || bytes[j] == b'/' || bytes[j] == b'<' {
                break;
            }
            let an_start = j;
            while j < bytes.len()
                && !bytes[j].is_ascii_whitespace()
                && !matches!(bytes[j], b'=' | b'>' | b'/' | b'<')
            {
                j += 1;
            }
            let attr = &html[an_start..j];
            if j == an_start {
                j += 1;
                continue;
            }
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] != b'=' {
                continue;
            }
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let (v_start, v_end, next) = match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let start = j + 1;
                    let end = html[start..]
                        .find(q as char)
                        .map_or(bytes.len(), |e| start + e);
                    (start, end, (end + 1).min(bytes.len()))
                }
                Some(_) => {
                    let start = j;
                    let mut end = j;
                    while end < bytes.len()
                        && !bytes[end].is_ascii_whitespace()
                        && bytes[end] != b'>'
                    {
                        end += 1;
                    }
                    (start, end, end)
                }
                None => break,
            };
            if is_uri_attr(element, attr) {
                let value = &html[v_start..v_end];
                if let Some(resolved) = resolve_value(value, base) {
                    let o = out.get_or_insert_with(|| String::with_capacity(html.len() + 64));
                    o.push_str(&html[copied..v_start]);
                    o.push_str(&resolved);
                    copied = v_end;
                }
            }
            j = next;
        }
        i = j.max(tag_start + 1);
    }
    match out {
        Some(mut o) => {
            o.push_str(&html[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(html),
    }
}

/// The resolved value, when it is relative and resolvable.
fn resolve_value(value: &str, base: &Url) -> Option<String> {
    let v = value.trim();
    if v.is_empty() || v.starts_with('#') {
        return None;
    }
    // Already absolute (has a scheme).
    if let Some(colon) = v.find(':') {
        let scheme = &v[..colon];
        if !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return None;
        }
    }
    // The value is still escaped as in the HTML: decode `&amp;` for joining.
    let decoded = v.replace("&amp;", "&");
    let joined = base.join(&decoded).ok()?;
    Some(joined.as_str().replace('&', "&amp;"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolved() {
        let base = Url::parse("http://example.com/test/").unwrap();
        assert_eq!(
            resolve_in_html(r#"Example <a href="test.html">test</a>"#, &base),
            r#"Example <a href="http://example.com/test/test.html">test</a>"#
        );
        assert_eq!(
            resolve_in_html(r#"<img alt=x src='/i.png'>"#, &base),
            r#"<img alt=x src='http://example.com/i.png'>"#
        );
    }

    #[test]
    fn absolute_and_other_attributes_untouched() {
        let base = Url::parse("http://example.com/").unwrap();
        let html = r#"<a href="https://x.org/" title="a.html">x</a> <p class="y.html">"#;
        assert!(matches!(resolve_in_html(html, &base), Cow::Borrowed(_)));
        assert!(matches!(
            resolve_in_html("a < b = c", &base),
            Cow::Borrowed(_)
        ));
    }
}
