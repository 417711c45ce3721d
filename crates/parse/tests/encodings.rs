//! Encodings through the public API (`parse_with_report`): which encoding
//! is chosen (byte-order mark, then the HTTP charset, then the XML
//! declaration, else UTF-8 — RFC 7303 and WHATWG), the name reported
//! (feedparser's: lower case, `utf-16le`, `utf-32be`, `gb18030` …), the
//! decoded text, and whether the document is reported as repaired (bozo).

use tributary_parse::{parse_with_report, ParseOptions, ParseReport, ParsedFeed};

const BODY: &str = "<rss version=\"2.0\"><channel><title>TITLE</title>\
<item><title>x</title><link>https://example.com/1</link></item></channel></rss>";

/// An RSS document with `title` and an optional XML declaration encoding.
fn doc(declared: Option<&str>, title: &str) -> String {
    let decl = declared.map_or(String::new(), |e| {
        format!("<?xml version=\"1.0\" encoding=\"{e}\"?>\n")
    });
    format!("{decl}{}", BODY.replace("TITLE", title))
}

fn read(bytes: &[u8], content_type: Option<&str>) -> (ParsedFeed, ParseReport) {
    parse_with_report(
        bytes,
        &ParseOptions {
            content_type,
            url: None,
            ..ParseOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

fn title(feed: &ParsedFeed) -> &str {
    feed.title.as_ref().map_or("", |t| t.value.as_str())
}

fn utf16(s: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let units = std::iter::once(0xfeff)
        .filter(|_| bom)
        .chain(s.encode_utf16());
    units
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

fn utf32(s: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let chars = std::iter::once('\u{feff}').filter(|_| bom).chain(s.chars());
    chars
        .flat_map(|c| {
            let v = u32::from(c);
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        })
        .collect()
}

const TEXT: &str = "Ünïcödé — 年 \u{1f600}";

#[test]
fn utf16_and_utf32_with_and_without_bom() {
    for declared in [None, Some("utf-16"), Some("UTF-32")] {
        let src = doc(declared, TEXT);
        let cases: Vec<(Vec<u8>, &str, bool)> = vec![
            (utf16(&src, true, true), "utf-16be", true),
            (utf16(&src, false, true), "utf-16le", true),
            (utf32(&src, true, true), "utf-32be", true),
            (utf32(&src, false, true), "utf-32le", true),
            // Without a BOM, from the shape of the first character.
            (utf16(&src, true, false), "utf-16be", false),
            (utf16(&src, false, false), "utf-16le", false),
            (utf32(&src, true, false), "utf-32be", false),
            (utf32(&src, false, false), "utf-32le", false),
        ];
        for (bytes, name, bom) in cases {
            let (feed, report) = read(&bytes, None);
            assert_eq!(report.encoding, name, "{declared:?}");
            assert_eq!(title(&feed), TEXT, "{name} {declared:?}");
            // A UTF-32 declaration on UTF-16 bytes (or the reverse) is
            // reported when a BOM contradicts it; the shape of the bytes
            // alone is taken as the answer.
            let contradicts = declared.is_some_and(|d| !name.starts_with(&d.to_ascii_lowercase()));
            if contradicts && bom {
                assert!(report.repaired.is_some(), "{name} {declared:?}");
            } else {
                assert_eq!(report.repaired, None, "{name} {declared:?}");
            }
        }
    }
}

#[test]
fn utf32_invalid_units_are_replaced_and_reported() {
    let mut bytes = utf32(&doc(None, "@"), false, true);
    // Replace the title's "@" by a unit above U+10FFFF.
    let at = bytes
        .windows(4)
        .position(|w| w == [b'@', 0, 0, 0])
        .expect("the title");
    bytes[at..at + 4].copy_from_slice(&0x0011_0000u32.to_le_bytes());
    let (feed, report) = read(&bytes, None);
    assert_eq!(title(&feed), "\u{fffd}");
    assert_eq!(report.encoding, "utf-32le");
    assert!(report.repaired.unwrap_or_default().contains("utf-32le"));
}

#[test]
fn names_are_reported_as_feedparser_does() {
    let cases: &[(&[u8], Option<&str>, &str)] = &[
        (b"<rss version=\"2.0\"><channel><title>t</title></channel></rss>", None, "utf-8"),
        (
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>",
            None,
            "iso-8859-1",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"Windows-1252\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>",
            None,
            "windows-1252",
        ),
        (
            b"<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
            Some("application/rss+xml; charset=\"US-ASCII\""),
            "us-ascii",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"gb2312\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>",
            None,
            "gb18030",
        ),
        (
            b"\xef\xbb\xbf<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
            None,
            "utf-8",
        ),
    ];
    for (bytes, ct, name) in cases {
        let (_, report) = read(bytes, *ct);
        assert_eq!(report.encoding, *name, "{}", String::from_utf8_lossy(bytes));
        assert_eq!(report.repaired, None);
    }
}

#[test]
fn the_http_charset_wins_over_the_declaration() {
    let bytes = doc(Some("iso-8859-1"), "café");
    let (feed, report) = read(bytes.as_bytes(), Some("application/xml; charset=utf-8"));
    assert_eq!(title(&feed), "café");
    assert_eq!(report.encoding, "utf-8");
    // text/xml with a charset: the charset, too.
    let (feed, _) = read(bytes.as_bytes(), Some("text/xml; charset=UTF-8"));
    assert_eq!(title(&feed), "café");
}

#[test]
fn text_xml_without_charset_reads_the_declaration() {
    // RFC 7303 (which replaced RFC 3023's "us-ascii" default): without a
    // charset, text/xml is read like application/xml.
    let latin1 = doc(Some("iso-8859-1"), "caf\u{e9}");
    let bytes: Vec<u8> = latin1.chars().map(|c| c as u8).collect();
    for ct in ["text/xml", "text/rss+xml", "text/xml; qs=0.9", "text/xml;"] {
        let (feed, report) = read(&bytes, Some(ct));
        assert_eq!(title(&feed), "caf\u{e9}", "{ct}");
        assert_eq!(report.encoding, "iso-8859-1", "{ct}");
        assert_eq!(report.repaired, None, "{ct}");
    }
}

#[test]
fn latin1_labels_decode_as_windows_1252() {
    // The WHATWG rule: 0x80–0x9F are windows-1252's characters, not C1 controls.
    let bytes = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\
<rss version=\"2.0\"><channel><title>don\x92t \x80 \x93q\x94</title></channel></rss>";
    let (feed, report) = read(bytes, None);
    assert_eq!(title(&feed), "don\u{2019}t \u{20ac} \u{201c}q\u{201d}");
    assert_eq!(report.encoding, "iso-8859-1");
    assert_eq!(report.repaired, None);
}

#[test]
fn c1_characters_become_windows_1252_characters() {
    // Literal U+0092 in UTF-8, and a numeric reference to it.
    for title_src in ["don\u{92}t", "don&#146;t", "don&#x92;t"] {
        let (feed, report) = read(doc(None, title_src).as_bytes(), None);
        assert_eq!(title(&feed), "don\u{2019}t", "{title_src}");
        assert_eq!(report.repaired, None, "{title_src}");
    }
    // The five bytes windows-1252 leaves undefined stay as they are.
    let (feed, _) = read(doc(None, "a&#129;b").as_bytes(), None);
    assert_eq!(title(&feed), "a\u{81}b");
}

#[test]
fn double_encoded_utf8_is_decoded_once_more() {
    // "…" (E2 80 A6) read as Latin-1 and written again as UTF-8 or as references.
    for title_src in [
        "\u{e2}\u{80}\u{a6}",
        "&#226;&#128;&#166;",
        "caf\u{c3}\u{a9}",
    ] {
        let (feed, _) = read(doc(Some("utf-8"), title_src).as_bytes(), None);
        let expected = if title_src.starts_with("caf") {
            "café"
        } else {
            "…"
        };
        assert_eq!(title(&feed), expected, "{title_src}");
    }
    // HTML entities that were never UTF-8 are not touched.
    let (feed, _) = read(doc(None, "&acirc;&brvbar;").as_bytes(), None);
    assert_eq!(title(&feed), "\u{e2}\u{a6}");
    // Only in UTF-8 documents: in windows-1252 "Ã©" may be meant.
    let bytes: Vec<u8> = doc(Some("windows-1252"), "\u{c3}\u{a9}")
        .chars()
        .map(|c| c as u8)
        .collect();
    let (feed, _) = read(&bytes, None);
    assert_eq!(title(&feed), "\u{c3}\u{a9}");
}

#[test]
fn labels_that_cannot_be_honoured_are_reported() {
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("bogus", None, "unknown encoding"),
        ("utf-8", Some("text/xml; charset=klingon"), "HTTP charset"),
        ("utf-16", None, "XML declaration"),
        ("utf-32", None, "XML declaration"),
        ("iso-2022-kr", None, "XML declaration"),
    ];
    for (declared, ct, needle) in cases {
        let (feed, report) = read(doc(Some(declared), "plain").as_bytes(), *ct);
        assert_eq!(title(&feed), "plain", "{declared}");
        assert_eq!(report.encoding, "utf-8", "{declared}");
        let reason = report.repaired.unwrap_or_default();
        assert!(reason.contains(needle), "{declared}: {reason}");
    }
}

#[test]
fn invalid_utf8_is_replaced_and_reported() {
    let mut bytes = doc(None, "a@b").into_bytes();
    let at = bytes.iter().position(|&b| b == b'@').expect("marker");
    bytes[at] = 0xff;
    let (feed, report) = read(&bytes, None);
    assert_eq!(title(&feed), "a\u{fffd}b");
    assert!(report.repaired.unwrap_or_default().contains("utf-8"));
}

#[test]
fn euc_kr_big5_and_gb18030() {
    for (label, text) in [("euc-kr", "년"), ("big5", "中文"), ("gb18030", "中文")] {
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).expect("known");
        let src = doc(Some(label), text);
        let (bytes, _, unmappable) = encoding.encode(&src);
        assert!(!unmappable);
        let (feed, report) = read(&bytes, None);
        assert_eq!(title(&feed), text, "{label}");
        assert_eq!(report.encoding, label);
        assert_eq!(report.repaired, None);
    }
}
