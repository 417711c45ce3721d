//! Text constructs: the raw content of an element → [`Text`], following
//! feedparser: Atom `type="text|html|xhtml"` (xhtml: the inner markup of
//! the wrapping div), Atom 0.3 `mode="escaped|base64|xml"`, RSS elements
//! that are HTML by convention, and plain text that "looks like HTML" in
//! formats that do not say (RSS): then it is HTML.

use crate::{Text, TextKind};

use super::entities;

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
    pub base: Option<String>,
    pub language: Option<String>,
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
pub(crate) fn build(raw: &str, has_children: bool, p: TextParams, repaired: &mut bool) -> Text {
    let mut mime = media_type(p.type_attr.as_deref(), p.default_type);
    let mode = p.mode.as_deref().map(str::trim).unwrap_or("");
    let value: String = if mime == "application/xhtml+xml" || (has_children && mode != "escaped") {
        if mime == "text/plain" {
            mime = "text/html".into();
        }
        inner_markup(raw, mime == "application/xhtml+xml")
    } else if mode.eq_ignore_ascii_case("base64") {
        let text = entities::text(raw, repaired);
        match base64(text.trim()) {
            Some(decoded) => decoded,
            None => text.into_owned(),
        }
    } else {
        entities::text(raw, repaired).into_owned()
    };
    let value = value.trim().to_string();
    if !p.atom && mime == "text/plain" && looks_like_html(&value) {
        mime = "text/html".into();
    }
    let kind = if mime.contains("html") {
        TextKind::Html
    } else {
        TextKind::Plain
    };
    Text {
        value,
        kind,
        media_type: Some(mime),
        base: p.base,
        language: p.language,
    }
}

/// Inline markup as HTML: for XHTML, the content of the wrapping `div`
/// with the XHTML prefix dropped; CDATA sections become escaped text and
/// comments are dropped.
fn inner_markup(raw: &str, xhtml: bool) -> String {
    let mut s = raw.trim();
    let mut prefix = String::new();
    if xhtml {
        if let Some(rest) = s.strip_prefix('<') {
            let name_len = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len());
            let name = &rest[..name_len];
            let local = name.rsplit(':').next().unwrap_or(name);
            if local.eq_ignore_ascii_case("div") {
                if let Some(open_end) = rest.find('>') {
                    let close = format!("</{name}>");
                    if s.ends_with(&close) && !rest[..open_end].ends_with('/') {
                        let inner_start = 1 + open_end + 1;
                        let inner_end = s.len() - close.len();
                        if inner_start <= inner_end {
                            if let Some(p) = name.split_once(':').map(|(p, _)| p) {
                                prefix = p.to_string();
                            }
                            s = &s[inner_start..inner_end];
                        }
                    }
                }
            }
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            entities::escape_into(&body[..end], &mut out);
            rest = body.get(end + 3..).unwrap_or_default();
        } else if let Some(body) = rest.strip_prefix("<!--") {
            rest = body
                .find("-->")
                .and_then(|e| body.get(e + 3..))
                .unwrap_or_default();
        } else if !prefix.is_empty()
            && rest[1..].starts_with(prefix.as_str())
            && rest[1 + prefix.len()..].starts_with(':')
        {
            out.push('<');
            rest = &rest[2 + prefix.len()..];
        } else if !prefix.is_empty()
            && rest[1..].starts_with('/')
            && rest[2..].starts_with(prefix.as_str())
            && rest[2 + prefix.len()..].starts_with(':')
        {
            out.push_str("</");
            rest = &rest[3 + prefix.len()..];
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
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
        let mut r = false;
        let t = build(
            r#"<div xmlns="http://www.w3.org/1999/xhtml">a <b>b</b></div>"#,
            true,
            p(Some("xhtml"), "text/plain", true),
            &mut r,
        );
        assert_eq!(t.value, "a <b>b</b>");
        assert_eq!(t.kind, TextKind::Html);
        let t = build(
            r#"<h:div xmlns:h="http://www.w3.org/1999/xhtml">a <h:b>b</h:b></h:div>"#,
            true,
            p(Some("xhtml"), "text/plain", true),
            &mut r,
        );
        assert_eq!(t.value, "a <b>b</b>");
    }

    #[test]
    fn escaped_html_and_plain() {
        let mut r = false;
        let t = build(
            "&lt;b&gt;x&lt;/b&gt;",
            false,
            p(Some("html"), "text/plain", true),
            &mut r,
        );
        assert_eq!((t.value.as_str(), t.kind), ("<b>x</b>", TextKind::Html));
        let t = build(
            "&lt;b&gt;x&lt;/b&gt;",
            false,
            p(None, "text/plain", true),
            &mut r,
        );
        assert_eq!(t.kind, TextKind::Plain);
        // RSS does not say: markup that looks like HTML is HTML.
        let t = build(
            "&lt;b&gt;x&lt;/b&gt;",
            false,
            p(None, "text/plain", false),
            &mut r,
        );
        assert_eq!(t.kind, TextKind::Html);
        let t = build("AT&amp;T <3", false, p(None, "text/plain", false), &mut r);
        assert_eq!(t.kind, TextKind::Plain);
    }

    #[test]
    fn base64_mode() {
        let mut r = false;
        let mut params = p(Some("text/html"), "text/plain", true);
        params.mode = Some("base64".into());
        let t = build("PGI+aGk8L2I+", false, params, &mut r);
        assert_eq!(t.value, "<b>hi</b>");
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
