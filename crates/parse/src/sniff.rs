//! What kind of XML document this is: the root element, read with quick-xml
//! before the feed parser runs, so that HTML pages and other XML get a
//! clear "not a feed" instead of a parser message.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::ParseError;

/// The root element of an XML document.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    /// Local name (`rss`, `RDF`, `feed` …).
    pub local: String,
    /// Qualified name as written (`rdf:RDF`).
    pub qname: String,
    /// `version` attribute, trimmed.
    pub version: Option<String>,
    /// Byte offset of the end of the root start tag in the document.
    pub tag_end: usize,
}

/// Find the root element, or say why the document is not XML worth parsing.
pub(crate) fn root(xml: &str) -> Result<Root, ParseError> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if local.eq_ignore_ascii_case("html") {
                    return Err(ParseError::NotAFeed("an HTML page".into()));
                }
                let version = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"version")
                    .map(|a| String::from_utf8_lossy(&a.value).trim().to_string());
                return Ok(Root {
                    local,
                    qname,
                    version,
                    tag_end: position(reader.buffer_position()),
                });
            }
            Ok(Event::Eof) => {
                return Err(ParseError::NotAFeed(
                    "an XML document without any element".into(),
                ))
            }
            Ok(Event::Text(t)) if !t.iter().all(u8::is_ascii_whitespace) => {
                return Err(not_xml(xml));
            }
            Ok(_) => {}
            Err(e) => {
                if crate::discover::looks_like_html(xml.as_bytes()) {
                    return Err(ParseError::NotAFeed("an HTML page".into()));
                }
                return Err(ParseError::Xml(format!(
                    "{e} at byte {} (before the root element)",
                    reader.error_position()
                )));
            }
        }
    }
}

fn not_xml(text: &str) -> ParseError {
    if crate::discover::looks_like_html(text.as_bytes()) {
        ParseError::NotAFeed("an HTML page".into())
    } else {
        ParseError::NotAFeed("plain text, neither XML nor JSON".into())
    }
}

fn position(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}
