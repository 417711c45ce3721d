//! Feed documents cut at an arbitrary byte, as the fetcher returns them when
//! a body passes `max_body_bytes` (`Response::truncated`): the parser must
//! keep exactly the entries that were complete before the cut and drop the
//! unfinished last one, never keep a half entry with a cut title.
//!
//! Every byte offset of an RSS 2.0, an Atom and an RSS 1.0 document is tried,
//! so the cut lands inside an entry, inside a tag or an attribute, inside a
//! CDATA section, inside an entity reference and inside a multi-byte UTF-8
//! character; named cases below pin each of those down on their own.

use tributary_parse::{parse, parse_with_report, ParseOptions, ParsedFeed};

/// Entries with multi-byte titles, entities, CDATA and an attribute-heavy
/// element, so that every kind of cut appears in the sweep.
const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Chan</title><link>http://example.com/</link>
<item><title>First é</title><guid>1</guid><description><![CDATA[<p>one</p>]]></description></item>
<item><title>Second ünïcödé 日本語 &amp; co</title><guid>2</guid><description><![CDATA[<p>two 日本語</p>]]></description><enclosure url="http://example.com/2.mp3" length="1234" type="audio/mpeg"/></item>
<item><title>Third</title><guid>3</guid></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed</title><id>urn:f</id>
<entry><id>urn:1</id><title type="html">First &amp; é</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>one</p></div></content></entry>
<entry><id>urn:2</id><title>Second ünïcödé 日本語 &lt;x&gt;</title><summary><![CDATA[two 日本語]]></summary><link rel="alternate" href="http://example.com/2"/></entry>
<entry><id>urn:3</id><title>Third</title></entry>
</feed>"#;

const RDF: &str = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://example.com/"><title>R</title><link>http://example.com/</link></channel>
<item rdf:about="http://example.com/1"><title>First é</title><link>http://example.com/1</link></item>
<item rdf:about="http://example.com/2"><title>Second 日本語</title><link>http://example.com/2</link></item>
</rdf:RDF>"#;

/// `(id, title)` of each entry, as the whole document parses.
fn entries(feed: &ParsedFeed) -> Vec<(Option<String>, Option<String>)> {
    feed.entries
        .iter()
        .map(|e| (e.id.clone(), e.title.as_ref().map(|t| t.value.clone())))
        .collect()
}

/// Byte offsets just after each `close` tag: where each entry is complete.
fn entry_ends(doc: &str, close: &str) -> Vec<usize> {
    doc.match_indices(close)
        .map(|(at, _)| at + close.len())
        .collect()
}

/// Cut `doc` at every byte after the root start tag; each prefix must give
/// exactly the complete entries before the cut, identical to the same
/// entries of the whole document.
fn sweep(doc: &str, root_open_end: &str, close: &str) {
    let whole = parse(doc.as_bytes(), &ParseOptions::default()).expect("the whole document");
    let full = entries(&whole);
    let ends = entry_ends(doc, close);
    assert_eq!(full.len(), ends.len(), "fixture: one close tag per entry");
    let first_cut = doc.find(root_open_end).expect("root start tag") + root_open_end.len();
    for cut in first_cut..=doc.len() {
        let prefix = &doc.as_bytes()[..cut];
        let feed = match parse(prefix, &ParseOptions::default()) {
            Ok(feed) => feed,
            Err(e) => panic!("cut at {cut}: {e}"),
        };
        let complete = ends.iter().filter(|&&end| end <= cut).count();
        assert_eq!(
            entries(&feed),
            full[..complete].to_vec(),
            "cut at byte {cut} (after {:?})",
            String::from_utf8_lossy(&prefix[cut.saturating_sub(30)..])
        );
    }
}

#[test]
fn rss_cut_at_every_byte_keeps_the_complete_items() {
    sweep(RSS, "<rss version=\"2.0\">", "</item>");
}

#[test]
fn atom_cut_at_every_byte_keeps_the_complete_entries() {
    sweep(
        ATOM,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
        "</entry>",
    );
}

#[test]
fn rss1_cut_at_every_byte_keeps_the_complete_items() {
    sweep(RDF, "xmlns=\"http://purl.org/rss/1.0/\">", "</item>");
}

/// The prefix of `doc` ending just after the first occurrence of `marker`
/// following `after`, minus `back` bytes.
fn cut_after(doc: &str, after: &str, marker: &str, back: usize) -> Vec<u8> {
    let start = doc.find(after).expect("anchor");
    let at = doc[start..].find(marker).expect("marker") + start + marker.len() - back;
    doc.as_bytes()[..at].to_vec()
}

/// Titles of a prefix's entries.
fn titles(bytes: &[u8]) -> Vec<String> {
    let (feed, report) = parse_with_report(bytes, &ParseOptions::default()).expect("a feed");
    assert!(
        report.repaired.is_some(),
        "a cut document is reported as repaired: {report:?}"
    );
    feed.entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.value.clone()))
        .collect()
}

#[test]
fn named_cuts_drop_the_unfinished_entry() {
    let first_rss = vec!["First é".to_owned()];
    let first_atom = vec!["First & é".to_owned()];
    let cases: [(&str, Vec<u8>, &Vec<String>); 8] = [
        // Inside the second item's title text.
        (
            "rss: inside a title",
            cut_after(RSS, "<guid>1", "Second ün", 0),
            &first_rss,
        ),
        // Inside a start tag's name and inside an attribute value.
        (
            "rss: inside a tag",
            cut_after(RSS, "Second", "<gu", 0),
            &first_rss,
        ),
        (
            "rss: inside an attribute",
            cut_after(RSS, "<guid>1", "url=\"http://exa", 0),
            &first_rss,
        ),
        // Inside CDATA.
        (
            "rss: inside CDATA",
            cut_after(RSS, "<guid>1", "<![CDATA[<p>tw", 0),
            &first_rss,
        ),
        // Inside a three-byte character of the title (日 is E6 97 A5).
        (
            "rss: inside a UTF-8 character",
            cut_after(RSS, "<guid>1", "日", 1),
            &first_rss,
        ),
        // Inside an entity reference.
        (
            "rss: inside an entity",
            cut_after(RSS, "<guid>1", "&am", 0),
            &first_rss,
        ),
        // Inside the closing tag of the entry itself: not complete yet.
        (
            "atom: inside </entry>",
            cut_after(ATOM, "urn:2", "</entry>", 1),
            &first_atom,
        ),
        (
            "atom: inside a UTF-8 character",
            cut_after(ATOM, "urn:2", "ö", 1),
            &first_atom,
        ),
    ];
    for (what, bytes, expected) in cases {
        assert_eq!(&titles(&bytes), expected, "{what}");
    }
}

#[test]
fn cut_right_after_an_entry_keeps_it_whole() {
    let bytes = cut_after(RSS, "<guid>2", "</item>", 0);
    let (feed, report) = parse_with_report(&bytes, &ParseOptions::default()).expect("a feed");
    assert_eq!(feed.entries.len(), 2);
    let second = &feed.entries[1];
    assert_eq!(
        second.title.as_ref().map(|t| t.value.as_str()),
        Some("Second ünïcödé 日本語 & co")
    );
    assert_eq!(second.enclosures.len(), 1);
    assert!(
        report
            .repaired
            .as_deref()
            .is_some_and(|r| r.contains("2 complete entries")),
        "{report:?}"
    );
}
