//! Text constructs: the raw content of an element → [`Text`], following
//! feedparser: Atom `type="text|html|xhtml"` (xhtml: the inner markup of
//! the wrapping div), Atom 0.3 `mode="escaped|base64|xml"`, RSS elements
//! that are HTML by convention, and plain text that "looks like HTML" in
//! formats that do not say (RSS): then it is HTML.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use url::Url;

use crate::{Text, TextKind};

use super::entities::{self, Decoder};
use super::ns;
use super::reader::Bindings;
use super::uris;

/// How one text element is to be read.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextParams {
    /// The `type` attribute as written.
    pub type_attr: Option<String>,
    /// Atom 0.3 `mode` attribute.
    pub mode: Option<String>,
    /// The media type when the document says nothing.
    pub default_type: &'static str,
    /// Whether the document is Atom (which says what its text is: no guessing).
    pub atom: bool,
    /// Atom 1.0 (whose `type="xhtml"` wraps the content in a `div`).
    pub atom10: bool,
}

/// Where a text element is: the base and language in effect at it, and
/// whether to record the base in the text (not when it is the entry's).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Place<'a> {
    pub base: Option<&'a Url>,
    pub language: Option<&'a str>,
    pub record_base: bool,
    /// Resolve relative URLs in HTML against `base`.
    pub resolve: bool,
    /// Namespace bindings in scope (for inline markup using outer prefixes).
    pub bindings: Option<&'a Bindings>,
}

/// feedparser's name for a `type` value.
pub(crate) fn media_type(type_attr: Option<&str>, default: &'static str) -> String {
    match type_attr.map(|t| t.trim().to_ascii_lowercase()) {
        None => default.to_string(),
        Some(t) if t.is_empty() => default.to_string(),
        Some(t) => match t.as_str() {
            "text" | "plain" => "text/plain".into(),
            "html" => "text/html".into(),
            "xhtml" => "application/xhtml+xml".into(),
            _ => t,
        },
    }
}

/// Build the text of an element from its raw content.
pub(crate) fn build(
    raw: &str,
    has_children: bool,
    p: TextParams,
    at: Place<'_>,
    dec: &mut Decoder,
) -> Text {
    let mut mime = media_type(p.type_attr.as_deref(), p.default_type);
    let mode = p.mode.as_deref().map(str::trim).unwrap_or("");
    let is_base64 = mode.eq_ignore_ascii_case("base64")
        || (p.atom
            && mode.is_empty()
            && !(mime.starts_with("text/") || mime.ends_with("+xml") || mime.ends_with("/xml")));
    let value: String = if (mime == "application/xhtml+xml" || has_children)
        && !mode.eq_ignore_ascii_case("escaped")
        && !is_base64
    {
        if !mime.contains("html") && !mime.contains("xml") {
            mime = "text/html".into();
        }
        let strip_div = p.atom10 && mime == "application/xhtml+xml";
        serialize_inline(raw, strip_div, at.bindings, dec).unwrap_or_else(|| raw.trim().to_string())
    } else if is_base64 {
        let text = dec.text(raw);
        match base64(text.trim()) {
            Some(decoded) => decoded,
            None => text.into_owned(),
        }
    } else {
        dec.text(raw).into_owned()
    };
    let mut value = match (value.trim().len(), value.len()) {
        (t, l) if t == l => value,
        _ => value.trim().to_string(),
    };
    if !p.atom && mime == "text/plain" && looks_like_html(&value) {
        mime = "text/html".into();
    }
    let kind = if mime.contains("html") {
        TextKind::Html
    } else {
        TextKind::Plain
    };
    if kind == TextKind::Html {
        if let Some(base) = at.base.filter(|_| at.resolve) {
            if let std::borrow::Cow::Owned(v) = uris::resolve_in_html(&value, base) {
                value = v;
            }
        }
    }
    let media_type = match (kind, mime.as_str()) {
        (TextKind::Plain, "text/plain") | (TextKind::Html, "text/html") => None,
        _ => Some(mime),
    };
    Text {
        value,
        kind,
        media_type,
        base: at
            .base
            .filter(|_| at.record_base)
            .map(|b| b.as_str().to_string()),
        language: at.language.map(str::to_string),
    }
}

/// Inline markup (Atom `type="xhtml"`, or elements inside an RSS
/// description) re-serialized as HTML: element prefixes dropped, attribute
/// values double-quoted and escaped, text escaped, comments dropped; with
/// `strip_div`, a single wrapping `div` removed (Atom 1.0).
fn serialize_inline(
    raw: &str,
    strip_div: bool,
    outer: Option<&Bindings>,
    dec: &mut Decoder,
) -> Option<String> {
    // Foreign (SVG, MathML) namespace of each open element whose prefix was
    // declared outside the fragment, so the outermost one declares it.
    let mut foreign: Vec<Option<&'static str>> = Vec::new();
    let mut reader = Reader::from_str(raw);
    reader.config_mut().check_end_names = false;
    let mut out = String::with_capacity(raw.len() + 16);
    let mut depth = 0usize;
    // Top-level nodes: (count, whether the first is a div, output range of its inside).
    let mut top = 0usize;
    let mut div_inner: Option<(usize, usize)> = None;
    let mut first_is_div = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                if depth == 0 {
                    top += 1;
                    first_is_div = top == 1 && local_is(e.name().as_ref(), b"div");
                }
                let ns = outer_ns(&e, outer);
                start_tag(
                    &e,
                    &mut out,
                    dec,
                    ns.filter(|n| foreign.last() != Some(&Some(n))),
                );
                foreign.push(ns);
                out.push('>');
                if depth == 0 && first_is_div && top == 1 {
                    div_inner = Some((out.len(), 0));
                }
                depth += 1;
            }
            Event::Empty(e) => {
                if depth == 0 {
                    top += 1;
                }
                let ns = outer_ns(&e, outer);
                start_tag(
                    &e,
                    &mut out,
                    dec,
                    ns.filter(|n| foreign.last() != Some(&Some(n))),
                );
                out.push_str(" />");
            }
            Event::End(e) => {
                foreign.pop();
                depth = depth.saturating_sub(1);
                if depth == 0 && top == 1 {
                    if let Some((s, _)) = div_inner {
                        div_inner = Some((s, out.len()));
                    }
                }
                out.push_str("</");
                out.push_str(&String::from_utf8_lossy(local(e.name().as_ref())));
                out.push('>');
            }
            Event::Text(t) => {
                let raw_text = std::str::from_utf8(&t).ok()?;
                if depth == 0 && !raw_text.trim().is_empty() {
                    top += 1;
                }
                let text = dec.text(raw_text);
                entities::escape_into(&text, &mut out);
            }
            Event::CData(c) => {
                let text = std::str::from_utf8(&c).ok()?;
                if depth == 0 && !text.trim().is_empty() {
                    top += 1;
                }
                entities::escape_into(text, &mut out);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if strip_div && top == 1 {
        if let Some((s, e)) = div_inner.filter(|(s, e)| e >= s && *e > 0) {
            return Some(out[s..e].trim().to_string());
        }
    }
    Some(out)
}

fn local(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn local_is(name: &[u8], want: &[u8]) -> bool {
    local(name).eq_ignore_ascii_case(want)
}

const XHTML_NS: &[u8] = b"http://www.w3.org/1999/xhtml";

/// The SVG/MathML namespace of an element whose prefix is bound outside the fragment.
fn outer_ns(e: &BytesStart<'_>, outer: Option<&Bindings>) -> Option<&'static str> {
    let name = e.name();
    let qname = name.as_ref();
    let prefix = &qname[..qname.iter().position(|&b| b == b':')?];
    let declared_here = super::reader::raw_attrs(e.attributes_raw())
        .any(|(k, _)| k.strip_prefix(b"xmlns:") == Some(prefix));
    if declared_here {
        return None;
    }
    ns::foreign_uri(outer?.resolve(prefix))
}

fn start_tag(e: &BytesStart<'_>, out: &mut String, dec: &mut Decoder, declare: Option<&str>) {
    out.push('<');
    let name = e.name();
    let qname = name.as_ref();
    out.push_str(&String::from_utf8_lossy(local(qname)));
    if let Some(uri) = declare {
        out.push_str(" xmlns=\"");
        out.push_str(uri);
        out.push('"');
    }
    let prefix = qname.iter().position(|&b| b == b':').map(|i| &qname[..i]);
    for (key, raw_value) in super::reader::raw_attrs(e.attributes_raw()) {
        if key == b"xmlns" && raw_value == XHTML_NS {
            continue;
        }
        if let Some(p) = key.strip_prefix(b"xmlns:") {
            // The element's own prefix is dropped: its namespace becomes the
            // default one (unless it is XHTML's, HTML's default anyway).
            if Some(p) == prefix && raw_value != XHTML_NS {
                out.push_str(" xmlns=\"");
                out.push_str(&String::from_utf8_lossy(raw_value));
                out.push('"');
            }
            if Some(p) == prefix || raw_value == XHTML_NS {
                continue;
            }
        }
        out.push(' ');
        out.push_str(&String::from_utf8_lossy(key));
        out.push_str("=\"");
        let value = entities::attr(raw_value, &mut dec.repaired);
        for c in value.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                _ => out.push(c),
            }
        }
        out.push('"');
    }
}

/// feedparser's `lookslikehtml`: a close tag or an entity, and only known
/// HTML elements and entities.
pub(crate) fn looks_like_html(s: &str) -> bool {
    if !s.contains('<') && !s.contains('&') {
        return false;
    }
    let bytes = s.as_bytes();
    let mut has_close = false;
    let mut has_entity = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let close = bytes.get(i + 1) == Some(&b'/');
                let start = i + 1 + usize::from(close);
                let end = bytes[start..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map_or(bytes.len(), |p| start + p);
                if end > start {
                    let name = s[start..end].to_ascii_lowercase();
                    if !ACCEPTABLE_ELEMENTS.contains(&name.as_str()) {
                        return false;
                    }
                    if close && bytes.get(end) == Some(&b'>') {
                        has_close = true;
                    }
                }
                i = end.max(i + 1);
            }
            b'&' => {
                let start = i + 1;
                let hash = bytes.get(start) == Some(&b'#');
                let nstart = start + usize::from(hash);
                let end = bytes[nstart..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map_or(bytes.len(), |p| nstart + p);
                if end > nstart && bytes.get(end) == Some(&b';') {
                    has_entity = true;
                    if !hash && entities::html_entity(&s[nstart..end]).is_none() {
                        return false;
                    }
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    has_close || has_entity
}

fn base64(s: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b if b.is_ascii_whitespace() => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    String::from_utf8(out).ok()
}

const ACCEPTABLE_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "command",
    "datagrid",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "event-source",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "keygen",
    "label",
    "legend",
    "li",
    "m",
    "map",
    "menu",
    "meter",
    "multicol",
    "nav",
    "nextid",
    "noscript",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "pre",
    "progress",
    "q",
    "s",
    "samp",
    "section",
    "select",
    "small",
    "sound",
    "source",
    "spacer",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn p(type_attr: Option<&str>, default: &'static str, atom: bool) -> TextParams {
        TextParams {
            type_attr: type_attr.map(str::to_string),
            default_type: default,
            atom,
            ..Default::default()
        }
    }

    #[test]
    fn xhtml_div_unwrapped() {
        let mut r = Decoder::default();
        let t = build(
            r#"<div xmlns="http://www.w3.org/1999/xhtml">a <b>b</b></div>"#,
            true,
            p10(Some("xhtml")),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.value, "a <b>b</b>");
        assert_eq!(t.kind, TextKind::Html);
        let t = build(
            r#"<h:div xmlns:h="http://www.w3.org/1999/xhtml">a <h:b>b</h:b></h:div>"#,
            true,
            p10(Some("xhtml")),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.value, "a <b>b</b>");
        // Atom 0.3 keeps the div; text is re-escaped, attributes double-quoted.
        let t = build(
            r#"<div><b title='"x"'>&#38;</b></div>"#,
            true,
            p(Some("application/xhtml+xml"), "text/plain", true),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.value, r#"<div><b title="&quot;x&quot;">&amp;</b></div>"#);
    }

    fn p10(type_attr: Option<&str>) -> TextParams {
        let mut params = p(type_attr, "text/plain", true);
        params.atom10 = true;
        params
    }

    #[test]
    fn html_relative_uris_resolved_against_the_text_base() {
        let mut r = Decoder::default();
        let params = p(Some("html"), "text/plain", true);
        let base = Url::parse("http://example.com/a/").ok();
        let at = Place {
            base: base.as_ref(),
            record_base: true,
            resolve: true,
            ..Default::default()
        };
        let t = build(
            "&lt;a href=\"b.html\"&gt;x&lt;/a&gt;",
            false,
            params,
            at,
            &mut r,
        );
        assert_eq!(t.value, r#"<a href="http://example.com/a/b.html">x</a>"#);
        assert_eq!(t.base.as_deref(), Some("http://example.com/a/"));
    }

    #[test]
    fn escaped_html_and_plain() {
        let mut r = Decoder::default();
        let t = build(
            "&lt;b&gt;x&lt;/b&gt;",
            false,
            p(Some("html"), "text/plain", true),
            Place::default(),
            &mut r,
        );
        assert_eq!((t.value.as_str(), t.kind), ("<b>x</b>", TextKind::Html));
        let t = build(
            "&lt;b&gt;x&lt;/b&gt;",
            false,
            p(None, "text/plain", true),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.kind, TextKind::Plain);
        // RSS does not say: markup that looks like HTML is HTML.
        let t = build(
            "&lt;b&gt;x&lt;/b&gt;",
            false,
            p(None, "text/plain", false),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.kind, TextKind::Html);
        let t = build(
            "AT&amp;T <3",
            false,
            p(None, "text/plain", false),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.kind, TextKind::Plain);
    }

    #[test]
    fn base64_mode() {
        let mut r = Decoder::default();
        let mut params = p(Some("text/html"), "text/plain", true);
        params.mode = Some("base64".into());
        let t = build("PGI+aGk8L2I+", false, params, Place::default(), &mut r);
        assert_eq!(t.value, "<b>hi</b>");
        // Atom content of a non-text, non-XML type is base64 without saying so.
        let t = build(
            "aGk=",
            false,
            p(Some("application/octet-stream"), "text/plain", true),
            Place::default(),
            &mut r,
        );
        assert_eq!(t.value, "hi");
    }

    #[test]
    fn looks_like_html_rules() {
        assert!(looks_like_html("<p>x</p>"));
        assert!(looks_like_html("a &amp; b"));
        assert!(!looks_like_html("<foo>x</foo>"));
        assert!(!looks_like_html("a < b"));
        assert!(!looks_like_html("&bogus;"));
    }
}
