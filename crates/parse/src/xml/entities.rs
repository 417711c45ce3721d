//! Character data of the raw document → text, in one pass and without
//! allocating when there is nothing to decode.
//!
//! What real feeds get wrong is repaired here instead of in a separate
//! whole-document pass: HTML named entities (`&nbsp;`, `&raquo;` …, the
//! HTML5 table) are decoded although XML does not declare them, a bare `&`
//! stays a literal `&`, numeric references to characters XML forbids and C0
//! control characters are dropped. Each repair sets the caller's `repaired`
//! flag (feedparser's `bozo`). Entities declared in a DOCTYPE are never
//! expanded (no billion laughs, no external entities): an unknown
//! reference is kept as written.

use std::borrow::Cow;

/// Entities declared in the document's internal DTD subset with a plain
/// replacement text (no markup, no references: nothing can recurse), and a
/// budget on the bytes they may expand to in the whole document.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    entities: Vec<(String, String)>,
    budget: usize,
}

/// Total bytes declared entities may expand to in one document.
const EXPANSION_BUDGET: usize = 1 << 20;

impl Declared {
    /// Read the `<!ENTITY name "value">` declarations of a DOCTYPE's content.
    /// Parameter entities and external (SYSTEM/PUBLIC) ones are ignored.
    pub fn from_doctype(doctype: &str) -> Declared {
        let mut d = Declared {
            entities: Vec::new(),
            budget: EXPANSION_BUDGET,
        };
        let mut rest = doctype;
        while let Some(i) = rest.find("<!ENTITY") {
            rest = &rest[i + 8..];
            let decl = rest.trim_start();
            if decl.starts_with('%') {
                continue;
            }
            let name_end = decl.find(|c: char| c.is_whitespace()).unwrap_or(decl.len());
            let name = &decl[..name_end];
            let after = decl[name_end..].trim_start();
            let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(end) = after[1..].find(q) else {
                continue;
            };
            let value = &after[1..1 + end];
            if !name.is_empty() && !value.contains(['&', '<', '%']) && d.entities.len() < 1000 {
                d.entities.push((name.to_string(), value.to_string()));
            }
        }
        d
    }

    fn expand(&mut self, name: &str) -> Option<&str> {
        let (_, value) = self.entities.iter().find(|(n, _)| n == name)?;
        if value.len() > self.budget {
            return None;
        }
        self.budget -= value.len();
        Some(value.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

/// The decoding state of one document: the repaired flag and the declared entities.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    pub repaired: bool,
    pub declared: Option<Declared>,
    /// The document was read as UTF-8 (then text that is UTF-8 read as
    /// Latin-1 is repaired, as feedparser does).
    pub utf8: bool,
}

impl Decoder {
    pub fn text<'a>(&mut self, raw: &'a str) -> Cow<'a, str> {
        let text = text_with(raw, &mut self.repaired, self.declared.as_mut());
        if text.is_ascii() {
            return text;
        }
        fix_mojibake(text, self.utf8)
    }
}

/// Characters of windows-1252 that arrive as C1 controls (U+0080–U+009F)
/// become what they meant; with `utf8`, text whose characters are all
/// below U+0100 and whose code points form valid UTF-8 is that UTF-8
/// (UTF-8 that was once decoded as Latin-1).
fn fix_mojibake(text: Cow<'_, str>, utf8: bool) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // Every character is below U+0100 exactly when no UTF-8 lead byte is 0xC4 or more.
    let latin1_only = bytes.iter().fold(true, |all, &b| all & (b < 0xc4));
    if utf8 && latin1_only && could_be_utf8(&text) {
        let reencoded: Vec<u8> = text.chars().map(|c| u32::from(c) as u8).collect();
        if let Ok(s) = String::from_utf8(reencoded) {
            return Cow::Owned(s);
        }
    }
    // U+0080..U+009F are 0xC2 0x80..0x9F in UTF-8.
    let has_c1 =
        memchr::memchr_iter(0xc2, bytes).any(|i| bytes.get(i + 1).is_some_and(|&b| b < 0xa0));
    if has_c1 {
        return Cow::Owned(text.chars().map(cp1252).collect());
    }
    text
}

/// Whether the code points of `text` (all below U+0100) would form valid
/// UTF-8 sequences, checked without allocating.
fn could_be_utf8(text: &str) -> bool {
    let mut pending = 0u32;
    let mut any = false;
    for c in text.chars() {
        let n = u32::from(c);
        if pending > 0 {
            if !(0x80..=0xbf).contains(&n) {
                return false;
            }
            pending -= 1;
            continue;
        }
        pending = match n {
            0..=0x7f => 0,
            0xc2..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf4 => 3,
            _ => return false,
        };
        any |= pending > 0;
    }
    pending == 0 && any
}

fn cp1252(c: char) -> char {
    const TABLE: [char; 32] = [
        '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}',
        '\u{8f}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}',
        '\u{178}',
    ];
    match u32::from(c) {
        n @ 0x80..=0x9f => TABLE[(n - 0x80) as usize],
        _ => c,
    }
}

/// Decode character data that may contain references, CDATA sections,
/// comments and processing instructions (the raw inside of a leaf element).
pub(crate) fn text<'a>(raw: &'a str, repaired: &mut bool) -> Cow<'a, str> {
    text_with(raw, repaired, None)
}

/// [`text`], expanding the document's declared entities.
pub(crate) fn text_with<'a>(
    raw: &'a str,
    repaired: &mut bool,
    mut declared: Option<&mut Declared>,
) -> Cow<'a, str> {
    if !has_special(raw.as_bytes()) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    // Control characters are rare: when there are none, look for '&' and
    // '<' only, with memchr.
    let controls = raw.bytes().fold(false, |found, b| {
        found | (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    });
    let next = |s: &str| -> Option<usize> {
        if controls {
            s.bytes().position(needs_work)
        } else {
            memchr::memchr2(b'&', b'<', s.as_bytes())
        }
    };
    while let Some(pos) = next(rest) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let consumed = if rest.starts_with('&') {
            reference(rest, &mut out, repaired, declared.as_deref_mut())
        } else if rest.starts_with('<') {
            markup(rest, &mut out)
        } else {
            // A forbidden control character (one byte in UTF-8).
            *repaired = true;
            1
        };
        rest = rest.get(consumed..).unwrap_or_default();
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decode an attribute value (no markup inside).
pub(crate) fn attr<'a>(raw: &'a [u8], repaired: &mut bool) -> Cow<'a, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => text(s, repaired),
        Err(_) => Cow::Owned(String::from_utf8_lossy(raw).into_owned()),
    }
}

/// Whether `bytes` has anything [`text`] must look at (a vectorizable scan).
fn has_special(bytes: &[u8]) -> bool {
    bytes.chunks(64).any(|chunk| {
        chunk.iter().fold(false, |found, &b| {
            found | (b == b'&') | (b == b'<') | (b < 0x20)
        })
    }) && (memchr::memchr2(b'&', b'<', bytes).is_some() || bytes.iter().any(|&b| needs_work(b)))
}

fn needs_work(b: u8) -> bool {
    b == b'&' || b == b'<' || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

/// `s` starts with `<`: copy a CDATA section's content, drop a comment or
/// a processing instruction; anything else is copied as a literal `<`.
fn markup(s: &str, out: &mut String) -> usize {
    if let Some(body) = s.strip_prefix("<![CDATA[") {
        let end = body.find("]]>").unwrap_or(body.len());
        out.push_str(&body[..end]);
        return (9 + end + 3).min(s.len());
    }
    if let Some(body) = s.strip_prefix("<!--") {
        return body.find("-->").map_or(s.len(), |i| 4 + i + 3);
    }
    if let Some(body) = s.strip_prefix("<?") {
        return body.find("?>").map_or(s.len(), |i| 2 + i + 2);
    }
    out.push('<');
    1
}

/// `s` starts with `&`: decode the reference into `out`, return the bytes consumed.
fn reference(
    s: &str,
    out: &mut String,
    repaired: &mut bool,
    declared: Option<&mut Declared>,
) -> usize {
    let body = &s[1..];
    // Longest HTML entity name is 31 characters; numeric refs are shorter.
    let semi = body
        .bytes()
        .take(40)
        .position(|b| b == b';' || !(b.is_ascii_alphanumeric() || b == b'#'));
    let Some(semi) = semi.filter(|&i| body.as_bytes().get(i) == Some(&b';')) else {
        // A bare '&': keep it as the character it obviously is.
        *repaired = true;
        out.push('&');
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
                *repaired = true;
                out.push('&');
                return 1;
            }
        };
        match value.and_then(char::from_u32).filter(|c| is_xml_char(*c)) {
            Some(c) => out.push(c),
            None => *repaired = true,
        }
        return consumed;
    }
    match name {
        "amp" => out.push('&'),
        "lt" => out.push('<'),
        "gt" => out.push('>'),
        "quot" => out.push('"'),
        "apos" => out.push('\''),
        _ => {
            if let Some(value) = declared.and_then(|d| d.expand(name)) {
                out.push_str(value);
                return consumed;
            }
            *repaired = true;
            // HTML 4 names where HTML5 changed the character (feedparser uses HTML 4's).
            let html4 = match name {
                "lang" => Some("\u{2329}"),
                "rang" => Some("\u{232a}"),
                _ => None,
            };
            match html4.or_else(|| html_entity(name)) {
                Some(value) => out.push_str(value),
                // Unknown (perhaps declared in a DOCTYPE we never expand): as written.
                None => out.push_str(&s[..consumed]),
            }
        }
    }
    consumed
}

/// The characters of an HTML5 named entity (without `&` and `;`).
pub(crate) fn html_entity(name: &str) -> Option<&'static str> {
    let table = &html_escape::NAMED_ENTITIES;
    table
        .binary_search_by(|(entity, _)| (*entity).cmp(name.as_bytes()))
        .ok()
        .map(|i| table[i].1)
}

/// Whether XML 1.0 allows `c` in a document (§2.2 Char).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Escape text for inclusion in (X)HTML markup.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> (String, bool) {
        let mut r = false;
        let v = text(s, &mut r).into_owned();
        (v, r)
    }

    #[test]
    fn plain_text_is_borrowed() {
        let mut r = false;
        assert!(matches!(text("hello world", &mut r), Cow::Borrowed(_)));
        assert!(!r);
    }

    #[test]
    fn xml_and_numeric_references() {
        assert_eq!(
            t("a &amp; b &lt;&gt; &#233;&#xE9;"),
            ("a & b <> éé".into(), false)
        );
    }

    #[test]
    fn html_entities_decoded_and_flagged() {
        assert_eq!(t("a&nbsp;b &raquo;"), ("a\u{a0}b »".into(), true));
    }

    #[test]
    fn bare_ampersand_kept() {
        assert_eq!(t("R&D & co"), ("R&D & co".into(), true));
        assert_eq!(t("&"), ("&".into(), true));
        assert_eq!(t("&#"), ("&#".into(), true));
    }

    #[test]
    fn unknown_entity_kept_as_written() {
        assert_eq!(t("&lol9;"), ("&lol9;".into(), true));
    }

    #[test]
    fn cdata_comments_and_controls() {
        assert_eq!(
            t("x<![CDATA[<b>&amp;</b>]]><!-- c -->y\u{1}z"),
            ("x<b>&amp;</b>yz".into(), true)
        );
        assert_eq!(t("<![CDATA[ unterminated"), (" unterminated".into(), false));
    }

    #[test]
    fn declared_entities_expanded_once_within_budget() {
        let mut d = Declared::from_doctype(
            r#"rss [<!ENTITY id "tag:example.com,"><!ENTITY lol1 "&lol;&lol;"><!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY % p "q">]"#,
        );
        let mut r = false;
        assert_eq!(
            text_with("&id;2006", &mut r, Some(&mut d)),
            "tag:example.com,2006"
        );
        assert!(!r);
        // Values with references are never expanded (no recursion), nor external ones.
        assert_eq!(text_with("&lol1;&x;", &mut r, Some(&mut d)), "&lol1;&x;");
        let mut big = Declared::from_doctype(&format!("<!ENTITY a \"{}\">", "x".repeat(600_000)));
        let once = text_with("&a;&a;", &mut r, Some(&mut big)).len();
        assert_eq!(once, 600_000 + 3, "the second expansion is over budget");
    }

    #[test]
    fn windows_1252_controls_and_double_encoding() {
        let mut d = Decoder {
            utf8: true,
            ..Default::default()
        };
        assert_eq!(d.text("don\u{92}t"), "don\u{2019}t");
        // "é" encoded as UTF-8 then read as Latin-1.
        assert_eq!(d.text("caf\u{c3}\u{a9}"), "café");
        // Real Latin-1 text is left alone.
        assert_eq!(d.text("café"), "café");
    }

    #[test]
    fn forbidden_numeric_reference_dropped() {
        assert_eq!(t("a&#1;b&#x0;c"), ("abc".into(), true));
    }
}
