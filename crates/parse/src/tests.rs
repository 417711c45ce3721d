//! Feed-level unit tests: encodings, repairs, formats, mapping.

use super::*;

fn parse_str(doc: &str) -> Result<ParsedFeed, ParseError> {
    parse(doc.as_bytes(), &ParseOptions::default())
}

fn ok(bytes: &[u8]) -> ParsedFeed {
    match parse(bytes, &ParseOptions::default()) {
        Ok(feed) => feed,
        Err(e) => panic!("expected a feed, got {e}"),
    }
}

fn rss(items: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://example.com/</link>{items}</channel></rss>"#
    )
}

fn first_title(feed: &ParsedFeed) -> &str {
    feed.entries[0]
        .title
        .as_ref()
        .map_or("", |t| t.value.as_str())
}

#[test]
fn windows_1252_feed() {
    let doc = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><title>caf\xe9</title><item><title>caf\xe9 \x93quoted\x94</title></item></channel></rss>";
    let feed = ok(doc);
    assert_eq!(feed.title.as_ref().map(|t| t.value.as_str()), Some("café"));
    assert_eq!(first_title(&feed), "café \u{201c}quoted\u{201d}");
}

#[test]
fn iso_8859_1_feed() {
    let doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><item><title>na\xefve \xa3</title></item></channel></rss>";
    assert_eq!(first_title(&ok(doc)), "naïve £");
}

#[test]
fn utf16_feeds_with_bom() {
    let src = rss("<item><title>Grüße</title></item>")
        .replace("version=\"1.0\"?>", "version=\"1.0\" encoding=\"UTF-16\"?>");
    let mut le = vec![0xff, 0xfe];
    le.extend(src.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xfe, 0xff];
    be.extend(src.encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(first_title(&ok(&le)), "Grüße");
    assert_eq!(first_title(&ok(&be)), "Grüße");
}

#[test]
fn http_charset_wins_over_declaration() {
    let doc = rss("<item><title>café</title></item>").replace(
        "version=\"1.0\"?>",
        "version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    );
    let opts = ParseOptions {
        content_type: Some("application/rss+xml; charset=utf-8"),
        url: None,
        ..Default::default()
    };
    let feed = parse(doc.as_bytes(), &opts).expect("parses");
    assert_eq!(first_title(&feed), "café");
}

#[test]
fn html_entities_outside_cdata() {
    let feed = ok(rss("<item><title>A&nbsp;B &raquo; caf&eacute;</title><description><![CDATA[x &nbsp; y]]></description></item>").as_bytes());
    assert_eq!(first_title(&feed), "A\u{a0}B » café");
    // Inside CDATA the entity is HTML for normalize to decode, untouched.
    assert_eq!(
        feed.entries[0].summary.as_ref().map(|t| t.value.as_str()),
        Some("x &nbsp; y")
    );
}

#[test]
fn bare_ampersand() {
    let feed = ok(rss(
        "<item><title>R&D & more</title><link>http://example.com/?a=1&b=2</link></item>",
    )
    .as_bytes());
    assert_eq!(first_title(&feed), "R&D & more");
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("http://example.com/?a=1&b=2")
    );
}

#[test]
fn blank_lines_before_declaration() {
    let feed = ok(format!("\n\n   \r\n{}", rss("<item><title>x</title></item>")).as_bytes());
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn control_characters_dropped() {
    let feed = ok(rss("<item><title>a\u{1}b\u{1b}c</title></item>").as_bytes());
    assert_eq!(first_title(&feed), "abc");
}

#[test]
fn invalid_utf8_is_lossy() {
    let mut doc = rss("<item><title>ok XX</title></item>").into_bytes();
    let at = doc.windows(2).position(|w| w == b"XX").expect("marker");
    doc[at] = 0xff;
    doc[at + 1] = 0xfe;
    assert_eq!(first_title(&ok(&doc)), "ok \u{fffd}\u{fffd}");
}

#[test]
fn not_feeds_are_named() {
    let html = parse_str(
        "<!DOCTYPE html><html><head><title>Login</title></head><body><form></form></body></html>",
    );
    assert!(
        matches!(&html, Err(ParseError::NotAFeed(m)) if m == "an HTML page"),
        "{html:?}"
    );
    let xhtml = parse_str(
        r#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>"#,
    );
    assert!(matches!(xhtml, Err(ParseError::NotAFeed(_))));
    let other =
        parse_str("<?xml version=\"1.0\"?><svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"/>");
    assert!(
        matches!(&other, Err(ParseError::NotAFeed(m)) if m.contains("<svg:svg>")),
        "{other:?}"
    );
    assert!(matches!(
        parse_str("just some words"),
        Err(ParseError::NotAFeed(_))
    ));
    assert!(matches!(parse_str(" \n\t "), Err(ParseError::Empty)));
    assert!(matches!(
        parse(b"", &ParseOptions::default()),
        Err(ParseError::Empty)
    ));
    let err = parse_str("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [")
        .expect_err("broken JSON");
    assert!(
        matches!(&err, ParseError::Json(m) if m.contains("EOF")),
        "{err:?}"
    );
    assert_eq!(err.code(), "feed_malformed_json");
}

#[test]
fn truncated_feed_keeps_complete_entries() {
    let doc = rss("<item><title>one</title></item><item><title>two</title></item><item><title>thr");
    let doc = &doc[..doc.find("thr").expect("marker") + 3];
    let feed = ok(doc.as_bytes());
    assert_eq!(feed.entries.len(), 2);
}

#[test]
fn json_feed_1_1_with_attachments() {
    let doc = r#"{
      "version": "https://jsonfeed.org/version/1.1",
      "title": "Pod", "home_page_url": "https://pod.example/", "feed_url": "https://pod.example/feed.json",
      "authors": [{"name": "Ann"}], "language": "en",
      "items": [{
        "id": 42, "url": "/ep/1", "title": "Ep 1", "content_text": "plain words",
        "summary": "sum", "date_published": "2024-01-02T03:04:05+01:00", "tags": ["a", " b "],
        "attachments": [{"url": "https://cdn.example/1.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1000, "duration_in_seconds": 3723}]
      }]
    }"#;
    let url = Url::parse("https://pod.example/feed.json").expect("static");
    let feed = parse(
        doc.as_bytes(),
        &ParseOptions {
            content_type: None,
            url: Some(&url),
            ..Default::default()
        },
    )
    .expect("parses");
    assert_eq!(feed.format, FeedFormat::JsonFeed);
    assert_eq!(feed.site_url.as_deref(), Some("https://pod.example/"));
    assert_eq!(
        feed.self_url.as_deref(),
        Some("https://pod.example/feed.json")
    );
    let e = &feed.entries[0];
    assert_eq!(e.id.as_deref(), Some("42"));
    assert_eq!(e.link.as_deref(), Some("https://pod.example/ep/1"));
    assert_eq!(
        e.content.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("plain words", TextKind::Plain))
    );
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()),
        Some("2024-01-02T02:04:05+00:00".into())
    );
    assert_eq!(e.categories, ["a", "b"]);
    assert_eq!(e.authors[0].name.as_deref(), Some("Ann"));
    assert_eq!(
        e.enclosures,
        [ParsedEnclosure {
            url: "https://cdn.example/1.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(1000),
            duration_secs: Some(3723)
        }]
    );
}

#[test]
fn json_feed_1_0_author_and_html() {
    let doc = r#"{"version": "https://jsonfeed.org/version/1", "title": "Old", "author": {"name": "Bo"},
      "items": [{"id": "a", "content_html": "<p>hi</p>", "attachments": [{"url": "https://x.example/f.m4a"}]}]}"#;
    let feed = ok(doc.as_bytes());
    let e = &feed.entries[0];
    assert_eq!(e.content.as_ref().map(|t| t.kind), Some(TextKind::Html));
    assert_eq!(feed.authors[0].name.as_deref(), Some("Bo"));
    assert_eq!(
        e.authors[0].name.as_deref(),
        Some("Bo"),
        "items inherit the feed's author"
    );
    assert_eq!(e.enclosures.len(), 1);
    let not_feed = parse_str(r#"{"rss": {"channel": {}}}"#);
    assert!(matches!(not_feed, Err(ParseError::NotAFeed(_))));
}

#[test]
fn atom_0_3() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Atom</title>
  <link rel="alternate" type="text/html" href="http://old.example/"/>
  <tagline type="text/plain">sub</tagline>
  <entry>
    <title type="text/plain">First</title>
    <link rel="alternate" type="text/html" href="http://old.example/1"/>
    <id>tag:old.example,2003:1</id>
    <issued>2009-01-20T09:22:38-05:00</issued>
    <modified>2009-01-20T17:19:07Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;hi&lt;/p&gt;</content>
  </entry>
</feed>"#;
    let feed = ok(doc.as_bytes());
    assert_eq!(feed.format, FeedFormat::Atom);
    assert_eq!(feed.site_url.as_deref(), Some("http://old.example/"));
    let e = &feed.entries[0];
    assert_eq!(first_title(&feed), "First");
    assert_eq!(e.id.as_deref(), Some("tag:old.example,2003:1"));
    assert_eq!(e.link.as_deref(), Some("http://old.example/1"));
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()),
        Some("2009-01-20T14:22:38+00:00".into())
    );
    assert!(e.updated.is_some());
    assert_eq!(
        e.content.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("<p>hi</p>", TextKind::Html))
    );
}

#[test]
fn atom_1_0_mapping() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">A</title><link href="http://a.example/"/><link rel="self" href="http://a.example/atom"/>
  <entry><id>  </id><title type="html">&lt;b&gt;B&lt;/b&gt;</title>
    <link rel="enclosure" type="audio/mpeg" length="5" href="http://a.example/x.mp3"/>
    <link rel="alternate" href="http://a.example/1"/>
    <author><name>Cy</name></author><category term="t" label="Tag"/>
    <summary type="text">s</summary><updated>2020-01-01T00:00:00Z</updated></entry>
</feed>"#;
    let feed = ok(doc.as_bytes());
    assert_eq!(feed.self_url.as_deref(), Some("http://a.example/atom"));
    assert_eq!(feed.site_url.as_deref(), Some("http://a.example/"));
    let e = &feed.entries[0];
    assert_eq!(e.id, None, "blank ids are None, never generated");
    assert_eq!(
        e.title.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("<b>B</b>", TextKind::Html))
    );
    assert_eq!(e.summary.as_ref().map(|t| t.kind), Some(TextKind::Plain));
    assert_eq!(e.link.as_deref(), Some("http://a.example/1"));
    assert_eq!(e.authors[0].name.as_deref(), Some("Cy"));
    assert_eq!(e.categories, ["Tag"]);
    assert_eq!(e.enclosures[0].url, "http://a.example/x.mp3");
    assert_eq!(e.enclosures[0].length, Some(5));
}

#[test]
fn rss_0_91() {
    let doc = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>http://old.example/</link><description>d</description><language>en-us</language>
<item><title>r&eacute;sum&eacute;</title><link>http://old.example/1</link><description>x</description></item></channel></rss>"#;
    let feed = ok(doc.as_bytes());
    assert_eq!(feed.format, FeedFormat::Rss0);
    assert_eq!(feed.language.as_deref(), Some("en-us"));
    assert_eq!(first_title(&feed), "résumé");
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("http://old.example/1")
    );
}

#[test]
fn rss_unknown_version_read_as_rss2() {
    let feed = ok(b"<rss version=\"0.94\"><channel><item><title>x</title></item></channel></rss>");
    assert_eq!(feed.format, FeedFormat::Rss0);
    assert_eq!(feed.entries.len(), 1);
    let feed = ok(b"<rss><channel><item><title>y</title></item></channel></rss>");
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn rss_1_0_rdf() {
    let doc = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://rdf.example/"><title>RDF</title><link>http://rdf.example/</link><description>d</description></channel>
  <item rdf:about="http://rdf.example/1"><title>One</title><link>http://rdf.example/1</link>
    <dc:creator>Dee</dc:creator><dc:date>2004-05-06T07:08:09Z</dc:date></item>
</rdf:RDF>"#;
    let feed = ok(doc.as_bytes());
    assert_eq!(feed.format, FeedFormat::Rss1);
    assert_eq!(feed.site_url.as_deref(), Some("http://rdf.example/"));
    let e = &feed.entries[0];
    assert_eq!(e.link.as_deref(), Some("http://rdf.example/1"));
    assert_eq!(e.authors[0].name.as_deref(), Some("Dee"));
    // dc:date is the entry's date of last change (feedparser's `updated`);
    // normalize falls back to it for the published date.
    assert_eq!(e.published, None);
    assert_eq!(
        e.updated.map(|d| d.to_rfc3339()),
        Some("2004-05-06T07:08:09+00:00".into())
    );
}

#[test]
fn podcast_extensions() {
    let doc = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Pod</title><link>https://pod.example/</link><ttl>60</ttl>
  <itunes:new-feed-url>https://new.pod.example/feed.xml</itunes:new-feed-url>
  <itunes:image href="https://pod.example/art.jpg"/>
  <item><title>Ep</title><guid isPermaLink="false">ep-1</guid>
    <enclosure url="https://pod.example/ep1.mp3" type="audio/mpeg" length="12345"/>
    <itunes:duration>1:02:03</itunes:duration><itunes:image href="https://pod.example/ep1.jpg"/>
    <itunes:author>Host</itunes:author></item>
  <item><title>Ep2</title><enclosure url="https://pod.example/ep2.mp3" type="audio/mpeg"/><itunes:duration>62:03</itunes:duration></item>
</channel></rss>"#;
    let feed = ok(doc.as_bytes());
    assert_eq!(
        feed.new_feed_url.as_deref(),
        Some("https://new.pod.example/feed.xml")
    );
    assert_eq!(
        feed.image_url.as_deref(),
        Some("https://pod.example/art.jpg")
    );
    assert_eq!(feed.ttl_minutes, Some(60));
    let e = &feed.entries[0];
    assert_eq!(e.id.as_deref(), Some("ep-1"));
    assert_eq!(e.link, None, "a non-permalink guid is not a link");
    assert_eq!(
        e.enclosures,
        [ParsedEnclosure {
            url: "https://pod.example/ep1.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(12345),
            duration_secs: Some(3723)
        }]
    );
    assert_eq!(e.image_url.as_deref(), Some("https://pod.example/ep1.jpg"));
    assert_eq!(e.authors[0].name.as_deref(), Some("Host"));
    assert_eq!(feed.entries[1].enclosures[0].duration_secs, Some(3723));
}

#[test]
fn rss_item_mapping() {
    let doc = rss(
        r#"<item><title>t</title><guid> http://example.com/p/1 </guid>
        <description>&lt;p&gt;sum&lt;/p&gt;</description>
        <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>full</p>]]></content:encoded>
        <author>jo@example.com (Jo)</author><category>News</category><category>News</category>
        <pubDate>Thu, 5 Apr 2012 10:00 EST</pubDate></item>
        <item><title>no id</title></item>"#,
    );
    let feed = ok(doc.as_bytes());
    assert_eq!(feed.site_url.as_deref(), Some("http://example.com/"));
    let e = &feed.entries[0];
    assert_eq!(e.id.as_deref(), Some("http://example.com/p/1"));
    assert_eq!(
        e.link.as_deref(),
        Some("http://example.com/p/1"),
        "permalink guid is the link"
    );
    assert_eq!(
        e.summary.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("<p>sum</p>", TextKind::Html))
    );
    assert_eq!(
        e.content.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("<p>full</p>", TextKind::Html))
    );
    assert_eq!(
        e.authors,
        [Person {
            name: Some("Jo".into()),
            email: Some("jo@example.com".into()),
            uri: None
        }]
    );
    assert_eq!(e.categories, ["News"]);
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()),
        Some("2012-04-05T15:00:00+00:00".into())
    );
    assert_eq!(e.updated, None);
    assert_eq!(feed.entries[1].id, None, "no generated ids");
    assert_eq!(feed.entries[1].link, None);
}

#[test]
fn xml_base_resolves_entry_links() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://base.example/blog/">
  <title>B</title><link href="./"/>
  <entry xml:base="2024/"><id>1</id><title>e</title><link href="post.html"/></entry>
  <entry><id>2</id><title>f</title><link href="/abs.html"/></entry>
</feed>"#;
    let url = Url::parse("http://fetched.example/feed.xml").expect("static");
    let feed = parse(
        doc.as_bytes(),
        &ParseOptions {
            content_type: None,
            url: Some(&url),
            ..Default::default()
        },
    )
    .expect("parses");
    assert_eq!(feed.site_url.as_deref(), Some("http://base.example/blog/"));
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("http://base.example/blog/2024/post.html")
    );
    assert_eq!(
        feed.entries[0].base_url.as_deref(),
        Some("http://base.example/blog/2024/")
    );
    assert_eq!(
        feed.entries[1].link.as_deref(),
        Some("http://base.example/abs.html")
    );
    assert_eq!(
        feed.entries[1].base_url.as_deref(),
        Some("http://base.example/blog/")
    );
}

#[test]
fn document_url_is_the_default_base() {
    let url = Url::parse("http://fetched.example/dir/feed.xml").expect("static");
    let doc = rss("<item><title>x</title><link>/rel/1</link></item>");
    let feed = parse(
        doc.as_bytes(),
        &ParseOptions {
            content_type: None,
            url: Some(&url),
            ..Default::default()
        },
    )
    .expect("parses");
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("http://fetched.example/rel/1")
    );
    assert_eq!(
        feed.entries[0].base_url.as_deref(),
        Some("http://fetched.example/dir/feed.xml")
    );
}

#[test]
fn syndication_module_gives_ttl() {
    let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel rdf:about="x"><title>S</title><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel>
<item rdf:about="http://s.example/1"><title>i</title><link>http://s.example/1</link></item></rdf:RDF>"#;
    assert_eq!(ok(doc.as_bytes()).ttl_minutes, Some(30));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes, &ParseOptions::default());
        }

        #[test]
        fn never_panics_on_strings_in_rss(title in ".{0,64}", body in "\\PC{0,128}", raw in "[<>&;#a-z0-9\\[\\]!-]{0,64}") {
            let doc = rss(&format!("<item><title>{title}</title><description>{body}</description>{raw}</item>"));
            let url = Url::parse("http://example.com/f").expect("static");
            let _ = parse(doc.as_bytes(), &ParseOptions { content_type: Some("text/xml; charset=utf-8"), url: Some(&url), ..Default::default() });
        }

        #[test]
        fn never_panics_on_json(body in "\\PC{0,256}") {
            let doc = format!(r#"{{"version":"https://jsonfeed.org/version/1.1","items":[{body}]}}"#);
            let _ = parse(doc.as_bytes(), &ParseOptions::default());
        }
    }
}

#[test]
fn feed_root_without_channel_is_an_empty_feed() {
    let feed = ok(b"<?xml version=\"1.0\" encoding=\"big5\"?><rss></rss>");
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert!(feed.entries.is_empty());
}

#[test]
fn report_names_encoding_version_and_repairs() {
    let opts = ParseOptions::default();
    let (_, clean) = crate::parse_with_report(
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"0.92\"><channel><title>caf\xe9</title></channel></rss>",
        &opts,
    )
    .expect("clean feed");
    assert_eq!(
        (
            clean.encoding.as_str(),
            clean.version.as_str(),
            clean.repaired
        ),
        ("iso-8859-1", "rss092", None)
    );
    let (_, broken) = crate::parse_with_report(
        b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>R&D &nbsp;</title></feed>",
        &opts,
    )
    .expect("repaired feed");
    assert_eq!(broken.version, "atom10");
    assert!(broken.repaired.is_some(), "{broken:?}");
    let served = ParseOptions {
        content_type: Some("application/rss+xml; charset=gb2312"),
        ..Default::default()
    };
    let (_, gb) = crate::parse_with_report(b"<rss version=\"2.0\"><channel/></rss>", &served)
        .expect("empty channel");
    assert_eq!(
        (gb.encoding.as_str(), gb.version.as_str()),
        ("gb18030", "rss20")
    );
}
