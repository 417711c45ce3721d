//! OPML 1.0/2.0 subscription lists (reading). Writing lives in `publish`.
//!
//! An `<outline>` with an `xmlUrl` attribute (any letter case, as exporters
//! disagree) is a feed; `type="rss"` outlines that only carry `url` are
//! accepted too. An outline without one is a category: nested categories
//! become the feed's category path. Encodings are decoded as for feeds.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::decode;

/// One subscription found in an OPML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// `xmlUrl`, trimmed (not yet validated as a URL).
    pub xml_url: String,
    /// `htmlUrl`.
    pub html_url: Option<String>,
    /// `title`, else `text`.
    pub title: Option<String>,
    /// Names of the enclosing outlines, outermost first (nested categories),
    /// or the `category` attribute's first path when not nested.
    pub category: Vec<String>,
}

/// Why an OPML document was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpmlError {
    #[error("not OPML: {0}")]
    NotOpml(String),
    #[error("malformed OPML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
}

/// Parse an OPML document into its feed subscriptions (document order).
///
/// A document with no feed outlines gives an empty list.
pub fn parse_opml(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let text = decode::decode(bytes, None);
    if text.trim().is_empty() {
        return Err(OpmlError::NotOpml("the document is empty".into()));
    }
    // Exported lists often carry bare `&` in URLs and HTML entities in titles.
    let text = decode::repair(&text);
    let mut reader = Reader::from_str(&text);
    let mut seen_root = false;
    let mut feeds = Vec::new();
    // One entry per open <outline>: the category name it opens, if any.
    let mut outlines: Vec<Option<String>> = Vec::new();
    // Names of the open elements: a document that ends inside one was cut off
    // (a half-written export), and importing what came before would be a
    // half import.
    let mut open: Vec<String> = Vec::new();

    loop {
        let event = reader.read_event().map_err(|e| OpmlError::Malformed {
            position: reader.error_position(),
            message: e.to_string(),
        })?;
        match &event {
            Event::Start(e) => open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned()),
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => {
                if let Some(name) = open.last() {
                    return Err(OpmlError::Malformed {
                        position: reader.buffer_position(),
                        message: format!(
                            "the document ends inside <{name}> (is the file truncated?)"
                        ),
                    });
                }
            }
            _ => {}
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let local = e.local_name();
                if !seen_root {
                    if !local.as_ref().eq_ignore_ascii_case(b"opml") {
                        return Err(OpmlError::NotOpml(format!(
                            "the root element is <{}>, not <opml>",
                            String::from_utf8_lossy(e.name().as_ref())
                        )));
                    }
                    seen_root = true;
                    continue;
                }
                if !local.as_ref().eq_ignore_ascii_case(b"outline") {
                    continue;
                }
                let attrs = attributes(e);
                let get = |k: &str| attrs.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
                let is_feed_type = get("type")
                    .is_some_and(|t| matches!(t.to_ascii_lowercase().as_str(), "rss" | "atom"));
                let xml_url = get("xmlurl").or_else(|| get("url").filter(|_| is_feed_type));
                let name = get("title").or_else(|| get("text")).map(str::to_string);
                let opened = match xml_url {
                    Some(url) => {
                        let mut category: Vec<String> =
                            outlines.iter().flatten().cloned().collect();
                        if category.is_empty() {
                            category = category_attr(get("category"));
                        }
                        feeds.push(OpmlFeed {
                            xml_url: url.to_string(),
                            html_url: get("htmlurl").map(str::to_string),
                            title: name,
                            category,
                        });
                        None
                    }
                    None => name,
                };
                if !is_empty {
                    outlines.push(opened);
                }
            }
            Event::End(ref e) if e.local_name().as_ref().eq_ignore_ascii_case(b"outline") => {
                outlines.pop();
            }
            Event::Text(ref t) if !seen_root && !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(OpmlError::NotOpml(
                    "the document does not start with XML markup".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(OpmlError::NotOpml(
            "the document has no root element".into(),
        ));
    }
    Ok(feeds)
}

/// Attributes keyed by lower-cased local name, values unescaped.
fn attributes(e: &BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).to_ascii_lowercase();
            let value = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            (key, value)
        })
        .collect()
}

/// The first path of an OPML 2.0 `category` attribute ("/Tech/News,/x" → ["Tech", "News"]).
fn category_attr(value: Option<&str>) -> Vec<String> {
    value
        .and_then(|v| v.split(',').next())
        .map(|path| {
            path.split('/')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opml_1_flat() {
        let doc = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>subs</title></head><body>
  <outline text="CAFE blog" type="rss" xmlurl="http://a.example/feed?x=1&y=2" htmlurl="http://a.example/"/>
  <outline title="B" text="b" xmlUrl=" http://b.example/rss " category="/Tech/News,/Other"/>
  <outline type="rss" text="C" url="http://c.example/atom"/>
</body></opml>"#;
        // "é" in ISO-8859-1 is the single byte 0xE9.
        let doc = doc.replace("CAFE", "Caf\u{1}").into_bytes();
        let doc: Vec<u8> = doc
            .into_iter()
            .map(|b| if b == 1 { 0xe9 } else { b })
            .collect();
        let feeds = parse_opml(&doc).expect("valid OPML");
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].xml_url, "http://a.example/feed?x=1&y=2");
        assert_eq!(feeds[0].title.as_deref(), Some("Caf\u{e9} blog"));
        assert_eq!(feeds[0].html_url.as_deref(), Some("http://a.example/"));
        assert_eq!(feeds[1].xml_url, "http://b.example/rss");
        assert_eq!(feeds[1].title.as_deref(), Some("B"));
        assert_eq!(feeds[1].category, ["Tech", "News"]);
        assert_eq!(feeds[2].xml_url, "http://c.example/atom");
    }

    #[test]
    fn truncated_document_is_malformed() {
        let doc = br#"<?xml version="1.0"?><opml version="2.0"><body><outline xmlUrl="http://a.example/feed"/><outline text="x">"#;
        match parse_opml(doc) {
            Err(OpmlError::Malformed { message, .. }) => {
                assert!(message.contains("<outline>"), "{message}")
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn opml_2_nested_three_levels() {
        let doc = br#"<opml version="2.0"><body>
  <outline text="Networking">
    <outline text="Vendors">
      <outline text="Cisco">
        <outline text="PSIRT" xmlUrl="https://cisco.example/psirt.xml"/>
      </outline>
      <outline text="Juniper" xmlUrl="https://juniper.example/rss"/>
    </outline>
  </outline>
  <outline text="Top" xmlUrl="https://top.example/feed"/>
  <outline text="Empty folder"/>
</body></opml>"#;
        let feeds = parse_opml(doc).expect("valid OPML");
        let got: Vec<(&str, Vec<String>)> = feeds
            .iter()
            .map(|f| (f.xml_url.as_str(), f.category.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "https://cisco.example/psirt.xml",
                    vec!["Networking".to_string(), "Vendors".into(), "Cisco".into()]
                ),
                (
                    "https://juniper.example/rss",
                    vec!["Networking".to_string(), "Vendors".into()]
                ),
                ("https://top.example/feed", vec![]),
            ]
        );
    }

    #[test]
    fn zero_feeds_is_fine() {
        assert!(parse_opml(b"<opml version=\"2.0\"><body/></opml>")
            .expect("valid")
            .is_empty());
    }

    #[test]
    fn malformed_reports_position() {
        let err = parse_opml(b"<opml><body><outline text=\"a\"></body></opml>")
            .expect_err("mismatched tags");
        match err {
            OpmlError::Malformed { position, message } => {
                assert!(position > 0, "{position}");
                assert!(!message.is_empty());
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn not_opml() {
        let err = parse_opml(b"<rss version=\"2.0\"><channel/></rss>").expect_err("not OPML");
        assert!(
            matches!(&err, OpmlError::NotOpml(m) if m.contains("<rss>")),
            "{err}"
        );
        assert!(matches!(parse_opml(b"   "), Err(OpmlError::NotOpml(_))));
        assert!(matches!(parse_opml(b"hello"), Err(OpmlError::NotOpml(_))));
    }
}
