//! Bytes → UTF-8 text, and the textual repairs that real feeds need before
//! an XML parser will accept them.
//!
//! Encoding precedence follows RFC 7303 and WHATWG: a byte-order mark wins,
//! then the HTTP `charset`, then the XML declaration's `encoding`, else UTF-8.
//! Labels are resolved by `encoding_rs`, so `ISO-8859-1` decodes as
//! windows-1252 exactly as browsers do. Invalid byte sequences become U+FFFD
//! instead of failing the whole feed.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// Decode `bytes` to a UTF-8 string and make the document self-consistent:
/// leading BOM/white space removed and the XML declaration rewritten to say
/// UTF-8 (the downstream XML parser would otherwise re-decode it).
pub(crate) fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    decode_with_info(bytes, content_type).0
}

/// How the bytes were decoded.
#[derive(Debug, Clone)]
pub(crate) struct DecodeInfo {
    /// The encoding's name as the document or the server gave it, lower-cased
    /// (`utf-8` when nothing said; `gb18030` for the GB family, which
    /// `encoding_rs` decodes as GB18030).
    pub label: String,
    /// Whether some byte sequences were invalid and became U+FFFD.
    pub had_errors: bool,
    /// An encoding the document declared that we do not know (then read as UTF-8).
    pub unknown_label: Option<String>,
}

/// [`decode`], also saying which encoding was used and whether bytes were invalid.
pub(crate) fn decode_with_info(bytes: &[u8], content_type: Option<&str>) -> (String, DecodeInfo) {
    if let Some((text, info)) = utf32(bytes) {
        let text = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
        return (rewrite_declaration(text), info);
    }
    let unknown_label = declared_encoding(bytes).filter(|l| {
        Encoding::for_label(l.as_bytes()).is_none() && !l.to_ascii_lowercase().starts_with("utf-32")
    });
    let (encoding, body, label) = detect(bytes, content_type);
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    let text = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    let label = if encoding == encoding_rs::GBK || encoding == encoding_rs::GB18030 {
        "gb18030".to_string()
    } else {
        label.unwrap_or_else(|| encoding.name().to_ascii_lowercase())
    };
    (
        rewrite_declaration(text),
        DecodeInfo {
            label,
            had_errors,
            unknown_label,
        },
    )
}

/// [`decode_with_info`] without copying a UTF-8 document: the text is
/// borrowed from `bytes` when they are valid UTF-8, leading BOM / white
/// space skipped, the XML declaration left as it is (our XML reader works
/// on the decoded text and never looks at its `encoding`).
pub(crate) fn decode_borrowed<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, str>, DecodeInfo) {
    if let Some((text, info)) = utf32(bytes) {
        let start = text.len()
            - text
                .trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
                .len();
        return (Cow::Owned(text[start..].to_string()), info);
    }
    let unknown_label = declared_encoding(bytes).filter(|l| {
        Encoding::for_label(l.as_bytes()).is_none() && !l.to_ascii_lowercase().starts_with("utf-32")
    });
    let (encoding, body, label) = detect(bytes, content_type);
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    let skip = |t: &str| {
        t.len()
            - t.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
                .len()
    };
    let text = match text {
        Cow::Borrowed(t) => Cow::Borrowed(&t[skip(t)..]),
        Cow::Owned(mut t) => {
            let n = skip(&t);
            t.drain(..n);
            Cow::Owned(t)
        }
    };
    let label = if encoding == encoding_rs::GBK || encoding == encoding_rs::GB18030 {
        "gb18030".to_string()
    } else {
        label.unwrap_or_else(|| encoding.name().to_ascii_lowercase())
    };
    (
        text,
        DecodeInfo {
            label,
            had_errors,
            unknown_label,
        },
    )
}

/// UTF-32 (which `encoding_rs` does not do): by byte-order mark, or by a
/// `<` encoded in four bytes.
fn utf32(bytes: &[u8]) -> Option<(String, DecodeInfo)> {
    let (be, skip) = match bytes {
        [0, 0, 0xfe, 0xff, ..] => (true, 4),
        [0xff, 0xfe, 0, 0, ..] => (false, 4),
        [0, 0, 0, b'<', ..] => (true, 0),
        [b'<', 0, 0, 0, ..] => (false, 0),
        _ => return None,
    };
    let mut out = String::with_capacity(bytes.len() / 4);
    let mut had_errors = false;
    for chunk in bytes[skip..].chunks(4) {
        let Ok(b4) = <[u8; 4]>::try_from(chunk) else {
            had_errors = true;
            break;
        };
        let n = if be {
            u32::from_be_bytes(b4)
        } else {
            u32::from_le_bytes(b4)
        };
        match char::from_u32(n) {
            Some(c) => out.push(c),
            None => {
                had_errors = true;
                out.push('\u{fffd}');
            }
        }
    }
    let label = if be { "utf-32be" } else { "utf-32le" };
    Some((
        out,
        DecodeInfo {
            label: label.into(),
            had_errors,
            unknown_label: None,
        },
    ))
}

/// The encoding to use, the bytes to decode with it (BOM stripped), and
/// the label that chose it (`None` when it came from a BOM or the default).
fn detect<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> (&'static Encoding, &'a [u8], Option<String>) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return (encoding, &bytes[bom_len..], None);
    }
    // UTF-16 without a BOM: "<?" encoded in two bytes per character.
    if bytes.starts_with(&[b'<', 0, b'?', 0]) {
        return (UTF_16LE, bytes, None);
    }
    if bytes.starts_with(&[0, b'<', 0, b'?']) {
        return (UTF_16BE, bytes, None);
    }
    let usable = |encoding: &'static Encoding| -> bool {
        // A UTF-16 label on a document that is visibly ASCII-compatible
        // is a lie (the bytes were transcoded somewhere); the "replacement"
        // encoding would destroy the document.
        if encoding == UTF_16LE || encoding == UTF_16BE {
            return bytes.iter().take(64).any(|&b| b == 0);
        }
        encoding != encoding_rs::REPLACEMENT
    };
    if let Some(label) = content_type.and_then(charset_param) {
        if let Some(encoding) = Encoding::for_label(label.as_bytes()).filter(|e| usable(e)) {
            return (encoding, bytes, Some(label.to_ascii_lowercase()));
        }
    }
    if let Some(label) = declared_encoding(bytes) {
        if let Some(encoding) = Encoding::for_label(label.as_bytes()).filter(|e| usable(e)) {
            return (encoding, bytes, Some(label.to_ascii_lowercase()));
        }
    }
    (UTF_8, bytes, None)
}

/// The `charset` parameter of a `Content-Type` header value.
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of `bytes`.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).take(1024).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    pseudo_attr(decl, "encoding").map(str::to_string)
}

/// Value of `name="..."` (or single-quoted) inside an XML declaration.
fn pseudo_attr<'a>(decl: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = decl;
    while let Some(pos) = rest.find(name) {
        let after = rest[pos + name.len()..].trim_start();
        if let Some(after_eq) = after.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let quote = after_eq.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &after_eq[1..];
                let close = value.find(quote)?;
                return Some(value[..close].trim());
            }
        }
        rest = &rest[pos + name.len()..];
    }
    None
}

/// Replace the XML declaration (if any) by one that announces UTF-8.
fn rewrite_declaration(text: &str) -> String {
    let is_decl = text.starts_with("<?xml")
        && text[5..].starts_with(|c: char| c.is_ascii_whitespace() || c == '?');
    if is_decl {
        if let Some(end) = text.find("?>") {
            let mut out = String::with_capacity(text.len());
            out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
            out.push_str(&text[end + 2..]);
            return out;
        }
    }
    text.to_string()
}

/// Make XML text acceptable to a strict parser without losing content:
///
/// - HTML named entities (`&nbsp;`, `&eacute;` …, the full HTML5 table)
///   become numeric character references, since XML only predefines five;
/// - an `&` that does not start a reference becomes `&amp;`;
/// - numeric references to characters XML forbids are dropped;
/// - C0 control characters other than tab, LF and CR are dropped.
///
/// CDATA sections, comments and the DOCTYPE are copied unchanged: their
/// content is not parsed for references.
pub(crate) fn repair(text: &str) -> Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| b == b'&' || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    let special =
        |c: char| c == '<' || c == '&' || (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r'));
    while let Some(pos) = rest.find(special) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            let verbatim = verbatim_len(rest);
            out.push_str(&rest[..verbatim]);
            rest = &rest[verbatim..];
        } else if rest.starts_with('&') {
            let consumed = repair_reference(rest, &mut out);
            rest = &rest[consumed..];
        } else {
            // A forbidden control character (one byte in UTF-8): drop it.
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Length of the markup at the start of `s` (which starts with `<`) that must
/// be copied verbatim: a whole CDATA section, comment or DOCTYPE, else just `<`.
fn verbatim_len(s: &str) -> usize {
    let through = |open: &str, close: &str| -> Option<usize> {
        if !s.starts_with(open) {
            return None;
        }
        Some(
            s[open.len()..]
                .find(close)
                .map_or(s.len(), |i| open.len() + i + close.len()),
        )
    };
    if let Some(n) = through("<![CDATA[", "]]>").or_else(|| through("<!--", "-->")) {
        return n;
    }
    if s.len() >= 9 && s.as_bytes()[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
        // Skip to the closing '>' outside an internal subset `[...]`.
        let mut depth = 0usize;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return i + 1,
                _ => {}
            }
        }
        return s.len();
    }
    1
}

/// Repair the reference at the start of `s` (which starts with `&`), append
/// the result to `out` and return how many bytes of `s` were consumed.
fn repair_reference(s: &str, out: &mut String) -> usize {
    let body = &s[1..];
    // Longest HTML entity name is 31 characters; numeric refs are shorter.
    let Some(semi) = body.bytes().take(40).position(|b| b == b';') else {
        out.push_str("&amp;");
        return 1;
    };
    let name = &body[..semi];
    let consumed = semi + 2;
    if let Some(num) = name.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok(),
            _ => {
                out.push_str("&amp;");
                return 1;
            }
        };
        // A valid number: keep it if XML allows the character, else drop it.
        if value.and_then(char::from_u32).is_some_and(is_xml_char) {
            out.push_str(&s[..consumed]);
        }
        return consumed;
    }
    let well_formed_name = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed_name {
        out.push_str("&amp;");
        return 1;
    }
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        out.push_str(&s[..consumed]);
        return consumed;
    }
    match html_entity(name) {
        Some(value) => {
            for c in value.chars() {
                out.push_str(&format!("&#{};", u32::from(c)));
            }
            consumed
        }
        None => {
            out.push_str("&amp;");
            1
        }
    }
}

/// The characters of an HTML5 named entity (without `&` and `;`).
fn html_entity(name: &str) -> Option<&'static str> {
    let table = &html_escape::NAMED_ENTITIES;
    table
        .binary_search_by(|(entity, _)| (*entity).cmp(name.as_bytes()))
        .ok()
        .map(|i| table[i].1)
}

/// Whether XML 1.0 allows `c` in a document (§2.2 Char).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_declared_in_xml() {
        let doc = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><t>caf\xe9</t>";
        assert_eq!(
            decode(doc, None),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>caf\u{e9}</t>"
        );
    }

    #[test]
    fn iso_8859_1_decodes_as_windows_1252() {
        // 0x80 is the euro sign in windows-1252, a C1 control in real Latin-1.
        let doc = b"<?xml version='1.0' encoding='ISO-8859-1'?><t>\x80 caf\xe9</t>";
        assert!(decode(doc, None).ends_with("<t>\u{20ac} caf\u{e9}</t>"));
    }

    #[test]
    fn http_charset_overrides_declaration() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>café</t>".as_bytes();
        let text = decode(doc, Some("application/rss+xml; charset=\"UTF-8\""));
        assert!(text.ends_with("<t>café</t>"), "{text}");
        // Without the header the declaration is believed and the UTF-8 is mis-decoded.
        assert!(!decode(doc, None).ends_with("<t>café</t>"));
    }

    #[test]
    fn utf16_with_bom() {
        let src = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>é</t>";
        let mut le = vec![0xff, 0xfe];
        le.extend(src.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xfe, 0xff];
        be.extend(src.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            assert_eq!(
                decode(&bytes, None),
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>é</t>"
            );
        }
    }

    #[test]
    fn utf16_without_bom_is_sniffed() {
        let bytes: Vec<u8> = "<?xml version=\"1.0\"?><t>x</t>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(decode(&bytes, None).ends_with("<t>x</t>"));
    }

    #[test]
    fn utf8_bom_and_leading_blank_lines_removed() {
        let doc = b"\xef\xbb\xbf\n\n  <?xml version=\"1.0\"?><t/>";
        assert!(decode(doc, None).starts_with("<?xml"));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let doc = b"<t>ok \xff\xfe bad</t>";
        assert_eq!(decode(doc, None), "<t>ok \u{fffd}\u{fffd} bad</t>");
    }

    #[test]
    fn stylesheet_pi_is_not_mistaken_for_declaration() {
        let doc = b"<?xml-stylesheet href=\"a.xsl\"?><t/>";
        assert_eq!(decode(doc, None), "<?xml-stylesheet href=\"a.xsl\"?><t/>");
    }

    #[test]
    fn utf32_by_bom_and_by_pattern() {
        let src = "<?xml version=\"1.0\"?><t>é</t>";
        let be: Vec<u8> = [0u8, 0, 0xfe, 0xff]
            .into_iter()
            .chain(src.chars().flat_map(|c| u32::from(c).to_be_bytes()))
            .collect();
        let le: Vec<u8> = src
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect();
        let (t, info) = decode_with_info(&be, None);
        assert!(t.ends_with("<t>é</t>"), "{t}");
        assert_eq!(info.label, "utf-32be");
        let (t, info) = decode_with_info(&le, None);
        assert!(t.ends_with("<t>é</t>"));
        assert_eq!(info.label, "utf-32le");
    }

    #[test]
    fn unknown_declared_encoding_is_reported() {
        let (_, info) = decode_with_info(b"<?xml version='1.0' encoding='x-bogus'?><t/>", None);
        assert_eq!(info.unknown_label.as_deref(), Some("x-bogus"));
        assert_eq!(info.label, "utf-8");
    }

    #[test]
    fn charset_param_parsing() {
        assert_eq!(
            charset_param("text/xml; Charset='gb2312'").as_deref(),
            Some("gb2312")
        );
        assert_eq!(charset_param("text/xml"), None);
    }

    #[test]
    fn html_entities_become_numeric() {
        assert_eq!(
            repair("a&nbsp;b &raquo; &eacute;"),
            "a&#160;b &#187; &#233;"
        );
    }

    #[test]
    fn predefined_and_numeric_entities_kept() {
        let s = "&amp; &lt; &#233; &#xE9;";
        assert_eq!(repair(s), s);
    }

    #[test]
    fn bare_ampersands_escaped() {
        assert_eq!(
            repair("<a href=\"?a=1&b=2\">R&D & co &bogus;</a>"),
            "<a href=\"?a=1&amp;b=2\">R&amp;D &amp; co &amp;bogus;</a>"
        );
    }

    #[test]
    fn control_characters_dropped_but_whitespace_kept() {
        assert_eq!(repair("a\u{1}b\u{8}c\td\ne\rf"), "abc\td\ne\rf");
    }

    #[test]
    fn forbidden_numeric_reference_dropped() {
        assert_eq!(repair("a&#1;b&#x0;c"), "abc");
    }

    #[test]
    fn cdata_and_comments_untouched() {
        let s = "<![CDATA[R&D &nbsp; \u{1}]]><!-- & --><t>&</t>";
        assert_eq!(
            repair(s),
            "<![CDATA[R&D &nbsp; \u{1}]]><!-- & --><t>&amp;</t>"
        );
    }

    #[test]
    fn unterminated_cdata_does_not_panic() {
        assert_eq!(repair("<![CDATA[ & "), "<![CDATA[ & ");
        assert_eq!(repair("&"), "&amp;");
        assert_eq!(repair("&#"), "&amp;#");
    }
}
