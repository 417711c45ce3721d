//! Unit tests of the XML parser through the crate's public entry point.

use url::Url;

use crate::{parse_with_report, Explicit, ParseOptions, ParseReport, ParsedFeed, TextKind};

fn parse_at(doc: &str, url: Option<&str>) -> (ParsedFeed, ParseReport) {
    let url = url.map(|u| Url::parse(u).expect("test URL"));
    let opts = ParseOptions {
        url: url.as_ref(),
        ..Default::default()
    };
    parse_with_report(doc.as_bytes(), &opts).expect("parses")
}

fn parse(doc: &str) -> ParsedFeed {
    parse_at(doc, None).0
}

#[test]
fn namespaces_by_uri_not_prefix() {
    // Atom with an odd prefix, iTunes under another one, and a default namespace.
    let doc = r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom" xmlns:pod="http://www.itunes.com/DTDs/PodCast-1.0.dtd">
      <a:title>T</a:title><pod:block>yes</pod:block>
      <a:entry><a:id>1</a:id><a:title>E</a:title></a:entry></a:feed>"#;
    let feed = parse(doc);
    assert_eq!(feed.title.as_ref().map(|t| t.value.as_str()), Some("T"));
    assert_eq!(feed.itunes.as_ref().and_then(|i| i.block), Some(true));
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.value.as_str()),
        Some("E")
    );
    // An element in an unknown namespace named like a core one is not core.
    let doc = r#"<rss version="2.0" xmlns:x="http://example.com/x"><channel><title>T</title>
      <item><x:title>wrong</x:title><title>right</title></item></channel></rss>"#;
    let feed = parse(doc);
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.value.as_str()),
        Some("right")
    );
}

#[test]
fn undeclared_prefix_is_read_by_convention_and_flagged() {
    let doc = r#"<rss version="2.0"><channel><title>T</title>
      <item><title>x</title><dc:creator>Ann</dc:creator></item></channel></rss>"#;
    let (feed, report) = parse_at(doc, None);
    assert_eq!(feed.entries[0].authors[0].name.as_deref(), Some("Ann"));
    assert!(report.repaired.is_some());
}

#[test]
fn xml_base_per_element() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.com/blog/">
      <link href="index.html"/>
      <entry xml:base="posts/"><id>tag:x,1</id>
        <link href="1.html"/>
        <link rel="enclosure" href="a.mp3" length="12" type="audio/mpeg"/>
        <content type="html" xml:base="/other/">&lt;a href="x.html"&gt;x&lt;/a&gt;</content>
        <summary type="html">&lt;img src="i.png"&gt;</summary>
      </entry></feed>"#;
    let feed = parse_at(doc, Some("http://fetched.example/feed")).0;
    assert_eq!(
        feed.site_url.as_deref(),
        Some("http://example.com/blog/index.html")
    );
    let e = &feed.entries[0];
    assert_eq!(
        e.base_url.as_deref(),
        Some("http://example.com/blog/posts/")
    );
    assert_eq!(
        e.link.as_deref(),
        Some("http://example.com/blog/posts/1.html")
    );
    assert_eq!(e.enclosures[0].url, "http://example.com/blog/posts/a.mp3");
    assert_eq!(e.enclosures[0].length, Some(12));
    let content = e.content.as_ref().expect("content");
    assert_eq!(content.base.as_deref(), Some("http://example.com/other/"));
    assert_eq!(
        content.value,
        r#"<a href="http://example.com/other/x.html">x</a>"#
    );
    // The summary's base is the entry's: not repeated in the text, and its
    // relative URLs are left to normalize (which knows the article's URL).
    let summary = e.summary.as_ref().expect("summary");
    assert_eq!(summary.base, None);
    assert_eq!(summary.value, r#"<img src="i.png">"#);
}

#[test]
fn content_location_is_the_outer_base_and_content_language_the_outer_lang() {
    let doc = r#"<rss version="2.0"><channel><title>T</title><link>/home</link>
      <item><title xml:lang="fr">Bonjour</title><link>p/1</link></item></channel></rss>"#;
    let url = Url::parse("http://fetched.example/dir/feed").expect("static");
    let opts = ParseOptions {
        url: Some(&url),
        content_location: Some("http://moved.example/x/"),
        content_language: Some("en-GB"),
        ..Default::default()
    };
    let feed = crate::parse(doc.as_bytes(), &opts).expect("parses");
    assert_eq!(feed.site_url.as_deref(), Some("http://moved.example/home"));
    assert_eq!(feed.language.as_deref(), Some("en-GB"));
    assert_eq!(
        feed.title.as_ref().and_then(|t| t.language.as_deref()),
        Some("en-GB")
    );
    let e = &feed.entries[0];
    assert_eq!(e.link.as_deref(), Some("http://moved.example/x/p/1"));
    assert_eq!(
        e.title.as_ref().and_then(|t| t.language.as_deref()),
        Some("fr")
    );
}

#[test]
fn xml_lang_inherits_and_empty_resets() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en_US">
      <title>T</title>
      <entry><title xml:lang="">x</title><summary>s</summary></entry></feed>"#;
    let feed = parse(doc);
    assert_eq!(feed.language.as_deref(), Some("en-US"));
    let e = &feed.entries[0];
    assert_eq!(e.title.as_ref().and_then(|t| t.language.as_deref()), None);
    assert_eq!(
        e.summary.as_ref().and_then(|t| t.language.as_deref()),
        Some("en-US")
    );
}

#[test]
fn truncated_document_keeps_complete_entries_and_says_so() {
    let doc = r#"<rss version="2.0"><channel><title>T</title>
      <item><title>one</title></item><item><title>two</title></item>
      <item><title>thr"#;
    let (feed, report) = parse_at(doc, None);
    assert_eq!(feed.entries.len(), 2);
    assert!(
        report
            .repaired
            .as_deref()
            .unwrap_or("")
            .contains("2 complete entries"),
        "{report:?}"
    );
}

#[test]
fn mismatched_end_tag_is_recovered_not_fatal() {
    let doc = r#"<rss version="2.0"><channel><title>T</title>
      <item><title>one</b></title></item><item><title>two</title></item></channel></rss>"#;
    let (feed, report) = parse_at(doc, None);
    assert_eq!(feed.entries.len(), 2);
    assert!(report.repaired.is_some());
}

#[test]
fn html_entities_and_bare_ampersands_in_text() {
    let doc = "<rss version=\"2.0\"><channel><title>A&nbsp;&raquo; R&D</title>\
      <item><title>Caf&eacute; &amp; co</title></item></channel></rss>";
    let (feed, report) = parse_at(doc, None);
    assert_eq!(
        feed.title.as_ref().map(|t| t.value.as_str()),
        Some("A\u{a0}» R&D")
    );
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.value.as_str()),
        Some("Café & co")
    );
    assert!(
        report.repaired.is_some(),
        "undeclared entities make the document repaired"
    );
    let (_, clean) = parse_at(
        "<rss version=\"2.0\"><channel><title>A &amp; B</title></channel></rss>",
        None,
    );
    assert_eq!(clean.repaired, None);
}

#[test]
fn atom_text_constructs() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>b</b></div></title>
      <entry><title type="html">&lt;i&gt;i&lt;/i&gt;</title><summary>a &lt; b</summary>
      <content type="image/png">aGk=</content></entry></feed>"#;
    let feed = parse(doc);
    let t = feed.title.as_ref().expect("title");
    assert_eq!((t.value.as_str(), t.kind), ("A <b>b</b>", TextKind::Html));
    assert_eq!(t.media_type.as_deref(), Some("application/xhtml+xml"));
    let e = &feed.entries[0];
    assert_eq!(
        e.title.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("<i>i</i>", TextKind::Html))
    );
    assert_eq!(
        e.summary.as_ref().map(|t| (t.value.as_str(), t.kind)),
        Some(("a < b", TextKind::Plain))
    );
    assert_eq!(e.content.as_ref().map(|t| t.value.as_str()), Some("hi"));
}

#[test]
fn rss_guid_permalink_and_categories() {
    let doc = r#"<rss version="2.0"><channel><title>T</title>
      <item><guid>http://example.com/1</guid><category domain="http://d/">News</category></item>
      <item><guid isPermaLink="false">http://example.com/2</guid></item></channel></rss>"#;
    let feed = parse(doc);
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("http://example.com/1")
    );
    assert!(feed.entries[0].link_from_guid);
    assert_eq!(feed.entries[0].tags[0].scheme.as_deref(), Some("http://d/"));
    assert_eq!(feed.entries[0].categories, vec!["News".to_string()]);
    assert_eq!(feed.entries[1].link, None);
    assert_eq!(feed.entries[1].id.as_deref(), Some("http://example.com/2"));
}

#[test]
fn itunes_tags() {
    let doc = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
      <title>P</title><itunes:explicit>clean</itunes:explicit><itunes:image href="http://e/i.jpg"/>
      <itunes:owner><itunes:name>Own</itunes:name><itunes:email>o@e.com</itunes:email></itunes:owner>
      <itunes:category text="Technology"><itunes:category text="Gadgets"/></itunes:category>
      <itunes:new-feed-url>http://new.example/feed</itunes:new-feed-url>
      <item><title>E</title><itunes:author>Ann</itunes:author><itunes:duration>1:02:03</itunes:duration>
        <itunes:keywords>a, b,a</itunes:keywords><itunes:explicit>Yes</itunes:explicit>
        <enclosure url="http://e/1.mp3" type="audio/mpeg" length="5"/></item></channel></rss>"#;
    let feed = parse(doc);
    let it = feed.itunes.as_ref().expect("itunes");
    assert_eq!(it.explicit, Some(Explicit::Clean));
    assert_eq!(
        it.owner.as_ref().and_then(|o| o.email.as_deref()),
        Some("o@e.com")
    );
    assert_eq!(feed.image_url.as_deref(), Some("http://e/i.jpg"));
    assert_eq!(
        feed.new_feed_url.as_deref(),
        Some("http://new.example/feed")
    );
    let terms: Vec<&str> = feed.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, ["Technology", "Gadgets"]);
    let e = &feed.entries[0];
    assert_eq!(e.authors[0].name.as_deref(), Some("Ann"));
    assert_eq!(e.enclosures[0].duration_secs, Some(3723));
    let ei = e.itunes.as_ref().expect("episode itunes");
    assert_eq!(
        ei.explicit,
        Some(Explicit::Unknown),
        "only lower-case yes counts"
    );
    assert_eq!(ei.keywords, ["a", "b", "a"]);
    assert_eq!(e.tags.len(), 2, "duplicate keyword tags are merged");
}

#[test]
fn media_rss() {
    let doc = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
      <item><title>x</title><media:group>
        <media:content url="http://e/v.mp4" type="video/mp4" fileSize="10" duration="61" width="640"/>
        <media:thumbnail url="http://e/t.jpg" width="120"/>
        <media:credit role="creator">Cre</media:credit>
        <media:restriction relationship="allow" type="country">au us</media:restriction>
        <media:category scheme="http://s/" label="L">cat</media:category>
      </media:group><media:player url="http://e/p"/></item></channel></rss>"#;
    let feed = parse(doc);
    let e = &feed.entries[0];
    let m = e.media.as_ref().expect("media");
    assert_eq!(m.content[0].width, Some(640));
    assert_eq!(m.credits[0].role.as_deref(), Some("creator"));
    assert_eq!(
        m.restriction.as_ref().map(|r| r.content.as_str()),
        Some("au us")
    );
    assert_eq!(
        m.player.as_ref().and_then(|p| p.url.as_deref()),
        Some("http://e/p")
    );
    assert_eq!(e.enclosures[0].url, "http://e/v.mp4");
    assert_eq!(e.enclosures[0].duration_secs, Some(61));
    assert_eq!(e.image_url.as_deref(), Some("http://e/t.jpg"));
    assert_eq!(e.tags[0].label.as_deref(), Some("L"));
}

#[test]
fn podcasting_2_0() {
    let doc = r#"<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>T</title>
      <podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>
      <podcast:locked owner="o@e.com">yes</podcast:locked>
      <podcast:funding url="https://e/donate">Support us</podcast:funding>
      <item><title>x</title>
        <podcast:transcript url="https://e/t.vtt" type="text/vtt" language="en" rel="captions"/>
        <podcast:chapters url="https://e/c.json" type="application/json+chapters"/>
        <podcast:person role="host" href="https://e/ann">Ann</podcast:person></item></channel></rss>"#;
    let feed = parse(doc);
    let p = feed.podcast.as_ref().expect("podcast");
    assert_eq!(
        p.guid.as_deref(),
        Some("917393e3-1b1e-5cef-ace4-edaa54e1f810")
    );
    assert_eq!(p.locked, Some(true));
    assert_eq!(p.funding[0].text.as_deref(), Some("Support us"));
    let ep = feed.entries[0].podcast.as_ref().expect("episode podcast");
    assert_eq!(ep.transcripts[0].rel.as_deref(), Some("captions"));
    assert_eq!(
        ep.chapters.as_ref().map(|c| c.url.as_str()),
        Some("https://e/c.json")
    );
    assert_eq!(ep.persons[0].name, "Ann");
}

#[test]
fn syndication_and_ttl() {
    let doc = r#"<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title>
      <sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel></rss>"#;
    let feed = parse(doc);
    assert_eq!(feed.update_period.as_deref(), Some("hourly"));
    assert_eq!(feed.ttl_minutes, Some(30));
    let feed =
        parse(r#"<rss version="2.0"><channel><title>T</title><ttl>15</ttl></channel></rss>"#);
    assert_eq!((feed.ttl, feed.ttl_minutes), (Some(15), Some(15)));
}

#[test]
fn versions() {
    let v = |doc: &str| parse_at(doc, None).1.version;
    assert_eq!(v(r#"<rss version="2.0"><channel/></rss>"#), "rss20");
    assert_eq!(v(r#"<rss version="0.92"><channel/></rss>"#), "rss092");
    assert_eq!(
        v(r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#),
        "atom10"
    );
    assert_eq!(
        v(r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"/>"#),
        "atom03"
    );
    assert_eq!(
        v(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"/>"#
        ),
        "rss090"
    );
}

#[test]
fn not_a_feed_names_what_it_is() {
    let err =
        crate::parse(b"<html><body>hi</body></html>", &ParseOptions::default()).expect_err("HTML");
    assert!(err.to_string().contains("HTML page"), "{err}");
    let err = crate::parse(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        &ParseOptions::default(),
    )
    .expect_err("SVG");
    assert!(err.to_string().contains("<svg>"), "{err}");
}

#[test]
fn precedence_later_wins_unless_deeper() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <updated>2010-12-01T10:14:55Z</updated><updated>2003-12-31T10:14:55Z</updated>
      <title>first</title><title>second</title></entry></feed>"#;
    let feed = parse(doc);
    let e = &feed.entries[0];
    assert_eq!(e.title.as_ref().map(|t| t.value.as_str()), Some("second"));
    assert_eq!(
        e.updated.map(|d| d.to_rfc3339()).as_deref(),
        Some("2003-12-31T10:14:55+00:00")
    );
}

#[test]
fn attribute_scanner_accepts_html_forms() {
    let attrs: Vec<(&[u8], &[u8])> =
        super::reader::raw_attrs(b" a=\"1\" b='2 3' c=4 d e = \"5\" /").collect();
    let want: Vec<(&[u8], &[u8])> = vec![
        (b"a", b"1"),
        (b"b", b"2 3"),
        (b"c", b"4"),
        (b"d", b""),
        (b"e", b"5"),
    ];
    assert_eq!(attrs, want);
    // Unterminated quotes and stray '=' do not panic.
    let _: Vec<_> = super::reader::raw_attrs(b" a=\"x b== ='").collect();
}

#[test]
fn inline_svg_with_an_outer_prefix_declares_its_namespace() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry xmlns:svg="http://www.w3.org/2000/svg">
      <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><svg:svg width="3"><svg:circle r="1"/></svg:svg></div></content>
      </entry></feed>"#;
    let feed = parse(doc);
    let content = feed.entries[0].content.as_ref().expect("content");
    assert_eq!(
        content.value,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="3"><circle r="1" /></svg>"#
    );
}

#[test]
fn skip_hours_and_days_are_read_sorted_and_deduplicated() {
    let doc = r#"<rss version="2.0"><channel><title>T</title>
      <skipHours><hour>23</hour><hour> 0 </hour><hour>07</hour><hour>23</hour><hour>1</hour></skipHours>
      <skipDays><day>Sunday</day><day>saturday</day><day> MONDAY </day><day>Sunday</day></skipDays>
      <item><title>E</title></item></channel></rss>"#;
    let feed = parse(doc);
    assert_eq!(feed.skip_hours, vec![0, 1, 7, 23]);
    assert_eq!(feed.skip_days, vec![0, 5, 6]);
}

#[test]
fn skip_hours_and_days_tolerate_junk_and_out_of_range_values() {
    let doc = r#"<rss version="2.0"><channel><title>T</title>
      <SkipHours><Hour>25</Hour><hour>-1</hour><hour>noon</hour><hour>3.5</hour><hour></hour>
        <hour>99999999999999999999</hour><hour>24</hour><hour><b>5</b></hour><day>Monday</day>
        <note>junk</note></SkipHours>
      <SKIPDAYS><DAY>Tue</DAY><day>Funday</day><day>M</day><day></day><hour>4</hour></SKIPDAYS>
      </channel></rss>"#;
    let feed = parse(doc);
    // 24 is midnight (RSS 0.91 counted 1-24); markup inside a value is stripped.
    assert_eq!(feed.skip_hours, vec![0, 5]);
    // An <hour> inside <skipDays> (and a <day> inside <skipHours>) is ignored.
    assert_eq!(feed.skip_days, vec![1]);
    assert_eq!(feed.title.as_ref().map(|t| t.value.as_str()), Some("T"));
}

#[test]
fn skip_hours_inside_an_item_or_outside_the_block_do_not_count() {
    let doc = r#"<rss version="2.0"><channel><title>T</title><hour>3</hour><day>Friday</day>
      <item><title>E</title><skipHours><hour>4</hour></skipHours>
        <skipDays><day>Friday</day></skipDays></item>
      </channel></rss>"#;
    let feed = parse(doc);
    assert!(feed.skip_hours.is_empty(), "{:?}", feed.skip_hours);
    assert!(feed.skip_days.is_empty(), "{:?}", feed.skip_days);
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.value.as_str()),
        Some("E")
    );
}

#[test]
fn skip_blocks_do_not_swallow_what_follows() {
    // After </skipHours> the channel goes on as usual.
    let doc = r#"<rss version="2.0"><channel><skipHours><hour>2</hour></skipHours>
      <title>After</title><ttl>30</ttl><item><title>E</title></item></channel></rss>"#;
    let feed = parse(doc);
    assert_eq!(feed.skip_hours, vec![2]);
    assert_eq!(feed.title.as_ref().map(|t| t.value.as_str()), Some("After"));
    assert_eq!(feed.ttl_minutes, Some(30));
    assert_eq!(feed.entries.len(), 1);
}
