//! End-to-end rules of `normalize()` on hand-built parsed feeds.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tributary_normalize::{normalize, Options};
use tributary_parse::{
    FeedFormat, ParsedEnclosure, ParsedEntry, ParsedFeed, Person, Text, TextKind,
};
use url::Url;

fn feed_url() -> Url {
    Url::parse("https://example.com/blog/feed.xml").unwrap()
}

fn fetched_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn html(s: &str) -> Option<Text> {
    Some(Text {
        value: s.into(),
        kind: TextKind::Html,
        ..Default::default()
    })
}

fn plain(s: &str) -> Option<Text> {
    Some(Text {
        value: s.into(),
        kind: TextKind::Plain,
        ..Default::default()
    })
}

fn entry() -> ParsedEntry {
    ParsedEntry {
        id: None,
        title: None,
        link: None,
        authors: vec![],
        content: None,
        summary: None,
        published: None,
        updated: None,
        categories: vec![],
        enclosures: vec![],
        image_url: None,
        base_url: None,
        ..Default::default()
    }
}

fn feed(entries: Vec<ParsedEntry>) -> ParsedFeed {
    ParsedFeed {
        format: FeedFormat::Rss2,
        title: None,
        site_url: None,
        self_url: None,
        description: None,
        language: None,
        image_url: None,
        new_feed_url: None,
        ttl_minutes: None,
        updated: None,
        authors: vec![],
        entries,
        ..Default::default()
    }
}

fn run(parsed: &ParsedFeed) -> tributary_normalize::NormalizedFeed {
    normalize(parsed, &feed_url(), fetched_at(), &Options::default())
}

#[test]
fn meta_is_plain_and_absolute() {
    let mut parsed = feed(vec![]);
    parsed.title = html("Tom &amp; <b>Jerry</b>\n blog");
    parsed.description = html("<p>About</p><p>us</p>");
    parsed.site_url = Some("/".into());
    parsed.image_url = Some("../logo.png".into());
    parsed.new_feed_url = Some("https://new.example.org/feed".into());
    parsed.language = Some(" en-US ".into());
    parsed.ttl_minutes = Some(60);
    let meta = run(&parsed).meta;
    assert_eq!(meta.title.as_deref(), Some("Tom & Jerry blog"));
    assert_eq!(meta.description.as_deref(), Some("About\n\nus"));
    assert_eq!(meta.site_url.as_deref(), Some("https://example.com/"));
    assert_eq!(
        meta.image_url.as_deref(),
        Some("https://example.com/logo.png")
    );
    assert_eq!(
        meta.new_feed_url.as_deref(),
        Some("https://new.example.org/feed")
    );
    assert_eq!(meta.language.as_deref(), Some("en-us"));
    assert_eq!(meta.ttl_minutes, Some(60));
}

#[test]
fn meta_carries_skip_hours_and_days() {
    let mut parsed = feed(vec![]);
    parsed.skip_hours = vec![7, 0, 23, 7, 24, 200];
    parsed.skip_days = vec![6, 5, 7, 5];
    let meta = run(&parsed).meta;
    // Sorted, de-duplicated, out-of-range values dropped.
    assert_eq!(meta.skip_hours, vec![0, 7, 23]);
    assert_eq!(meta.skip_days, vec![5, 6]);
    let meta = run(&feed(vec![])).meta;
    assert!(meta.skip_hours.is_empty() && meta.skip_days.is_empty());
}

#[test]
fn meta_drops_empty_and_unsafe_values() {
    let mut parsed = feed(vec![]);
    parsed.title = plain("   ");
    parsed.site_url = Some("javascript:alert(1)".into());
    parsed.language = Some(" ".into());
    let meta = run(&parsed).meta;
    assert_eq!(meta.title, None);
    assert_eq!(meta.site_url, None);
    assert_eq!(meta.language, None);
}

#[test]
fn entry_fields() {
    let mut e = entry();
    e.id = Some("tag:example.com,2024:1".into());
    e.title = html("Hello <em>world</em> &amp; co");
    e.link = Some("posts/1?utm_source=rss#top".into());
    e.authors = vec![
        Person {
            name: Some("Ann".into()),
            ..Default::default()
        },
        Person {
            name: Some("Bob".into()),
            ..Default::default()
        },
    ];
    e.content = html(r#"<p onclick="x()">Body <img src="a.png"></p><script>bad()</script>"#);
    e.summary = html("<p>The summary text, long enough to be cut somewhere.</p>");
    e.published = Some(Utc.with_ymd_and_hms(2024, 4, 30, 8, 0, 0).unwrap());
    e.updated = Some(Utc.with_ymd_and_hms(2024, 4, 30, 9, 0, 0).unwrap());
    e.categories = vec![" rust ".into(), "Rust".into(), "".into(), "web".into()];
    e.enclosures = vec![ParsedEnclosure {
        url: "ep.mp3".into(),
        mime_type: Some("audio/mpeg".into()),
        length: Some(10),
        duration_secs: Some(5),
    }];
    let parsed = feed(vec![e]);
    let out = normalize(
        &parsed,
        &feed_url(),
        fetched_at(),
        &Options { excerpt_chars: 20 },
    );
    let n = &out.entries[0];
    assert_eq!(n.key, "guid:tag:example.com,2024:1");
    assert_eq!(n.guid.as_deref(), Some("tag:example.com,2024:1"));
    assert_eq!(
        n.url.as_deref(),
        Some("https://example.com/blog/posts/1?utm_source=rss#top")
    );
    assert_eq!(
        n.canonical_url.as_deref(),
        Some("https://example.com/blog/posts/1")
    );
    assert_eq!(n.title, "Hello world & co");
    assert_eq!(n.author.as_deref(), Some("Ann, Bob"));
    assert_eq!(
        n.content_html.as_deref(),
        // No xml:base: relative URLs in the HTML resolve against the
        // article's own URL, where the HTML was written to be shown.
        Some(r#"<p>Body <img src="https://example.com/blog/posts/a.png"></p>"#)
    );
    assert_eq!(
        n.summary_html.as_deref(),
        Some("<p>The summary text, long enough to be cut somewhere.</p>")
    );
    assert_eq!(n.excerpt, "The summary text,…");
    assert_eq!(
        n.published,
        Utc.with_ymd_and_hms(2024, 4, 30, 8, 0, 0).unwrap()
    );
    assert!(n.published_from_feed);
    assert_eq!(
        n.updated,
        Some(Utc.with_ymd_and_hms(2024, 4, 30, 9, 0, 0).unwrap())
    );
    assert_eq!(n.categories, ["rust", "web"]);
    assert_eq!(n.enclosures.len(), 1);
    assert_eq!(n.enclosures[0].url, "https://example.com/blog/ep.mp3");
    assert_eq!(n.content_hash.len(), 64);
}

#[test]
fn xml_base_wins_over_feed_url() {
    let mut e = entry();
    e.base_url = Some("/other/dir/".into());
    e.link = Some("post".into());
    e.content = html(r#"<a href="x">x</a>"#);
    let n = &run(&feed(vec![e])).entries[0];
    assert_eq!(n.url.as_deref(), Some("https://example.com/other/dir/post"));
    assert!(n
        .content_html
        .as_deref()
        .unwrap()
        .contains(r#"href="https://example.com/other/dir/x""#));
}

#[test]
fn plain_text_content_is_escaped() {
    let mut e = entry();
    e.content = plain("a <b> & c\nnext line\n\nnew para");
    let n = &run(&feed(vec![e])).entries[0];
    assert_eq!(
        n.content_html.as_deref(),
        Some("<p>a &lt;b&gt; &amp; c<br>next line</p><p>new para</p>")
    );
    // No summary: the excerpt comes from the content.
    assert_eq!(n.excerpt, "a <b> & c next line new para");
}

#[test]
fn excerpt_prefers_summary_with_text() {
    let mut e = entry();
    e.content = html("<p>content words</p>");
    e.summary = html("<img src='x.png'>"); // no text
    let n = &run(&feed(vec![e])).entries[0];
    assert_eq!(n.excerpt, "content words");
    assert!(n.summary_html.is_some());
}

#[test]
fn empty_html_becomes_none() {
    let mut e = entry();
    e.content = html("<script>only()</script>");
    e.summary = html("   ");
    let n = &run(&feed(vec![e])).entries[0];
    assert_eq!(n.content_html, None);
    assert_eq!(n.summary_html, None);
    assert_eq!(n.excerpt, "");
}

#[test]
fn title_fallbacks() {
    let mut with_body = entry();
    with_body.title = html("  <b> </b> ");
    with_body.content = html(
        "<p>An entry without a title but with quite a long body that goes on and on past eighty characters</p>",
    );
    let mut empty = entry();
    empty.link = Some("https://example.com/x".into());
    let out = run(&feed(vec![with_body, empty]));
    assert_eq!(
        out.entries[0].title,
        "An entry without a title but with quite a long body that goes on and on past…"
    );
    assert!(out.entries[0].title.chars().count() <= 80);
    assert_eq!(out.entries[1].title, "Untitled");
}

#[test]
fn author_falls_back_to_feed_then_email() {
    let mut parsed = feed(vec![entry(), entry()]);
    parsed.authors = vec![Person {
        name: Some("Feed Author".into()),
        ..Default::default()
    }];
    parsed.entries[1].authors = vec![Person {
        email: Some("x@example.com".into()),
        ..Default::default()
    }];
    let out = run(&parsed);
    assert_eq!(out.entries[0].author.as_deref(), Some("Feed Author"));
    assert_eq!(out.entries[1].author.as_deref(), Some("x@example.com"));
    assert_eq!(run(&feed(vec![entry()])).entries[0].author, None);
}

#[test]
fn dates() {
    let at = |h: i64| fetched_at() + Duration::hours(h);
    let mut only_updated = entry();
    only_updated.updated = Some(at(-5));
    let mut none = entry();
    none.title = plain("none");
    let mut near_future = entry();
    near_future.published = Some(at(23));
    let mut far_future = entry();
    far_future.published = Some(at(25));
    far_future.updated = Some(at(26));
    let out = run(&feed(vec![only_updated, none, near_future, far_future]));
    let got: Vec<_> = out
        .entries
        .iter()
        .map(|e| (e.published, e.published_from_feed))
        .collect();
    assert_eq!(
        got,
        [
            (at(-5), true),
            (fetched_at(), false),
            (at(23), true),
            (fetched_at(), false),
        ]
    );
    // `updated` is reported as given.
    assert_eq!(out.entries[3].updated, Some(at(26)));
}

#[test]
fn keys_fall_back_to_link_then_hash() {
    let mut linked = entry();
    linked.link = Some("http://Example.com/a?utm_medium=x".into());
    let mut bare = entry();
    bare.title = plain("t");
    bare.content = html("c");
    let out = run(&feed(vec![linked, bare]));
    assert_eq!(out.entries[0].key, "link:https://example.com/a");
    assert!(out.entries[1].key.starts_with("hash:"));
    assert_eq!(out.entries[1].key.len(), "hash:".len() + 64);
}

#[test]
fn duplicate_guids_made_unique_first_kept() {
    let mk = |n: u32| {
        let mut e = entry();
        e.id = Some("same".into());
        e.link = Some(format!("https://example.com/{n}"));
        e.title = plain(&format!("t{n}"));
        e
    };
    let out = run(&feed(vec![mk(1), mk(2), mk(3)]));
    let keys: Vec<_> = out.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "guid:same",
            "guid:same|https://example.com/2",
            "guid:same|https://example.com/3",
        ]
    );
    // Deterministic across runs.
    let again = run(&feed(vec![mk(1), mk(2), mk(3)]));
    assert_eq!(out, again);
}

#[test]
fn duplicate_links_without_guid_use_content() {
    // A feed linking every item to its home page.
    let mk = |title: &str| {
        let mut e = entry();
        e.link = Some("https://example.com/".into());
        e.title = plain(title);
        e
    };
    let first = run(&feed(vec![mk("a"), mk("b")]));
    // The same items after a new one was prepended keep their keys except
    // the first occurrence (the plain key moves to the new top item).
    let later = run(&feed(vec![mk("new"), mk("a"), mk("b")]));
    assert_eq!(first.entries[0].key, "link:https://example.com/");
    assert_ne!(first.entries[1].key, first.entries[0].key);
    assert_eq!(
        first.entries[1].key, later.entries[2].key,
        "b keeps its key"
    );
}

/// What the store relies on to recognise a blog that changed generator:
/// every guid is re-issued, but the canonical link stays the same.
#[test]
fn reissued_guids_keep_canonical_urls() {
    let old: Vec<_> = [
        ("blogger-1", "http://Blog.Example.com/2020/01/post-one.html"),
        (
            "blogger-2",
            "http://blog.example.com:80/2020/02/post-two.html#more",
        ),
        (
            "blogger-3",
            "http://blog.example.com/2020/03/three.html?utm_source=feedburner&utm_medium=feed",
        ),
    ]
    .into_iter()
    .map(|(id, link)| {
        let mut e = entry();
        e.id = Some(id.into());
        e.link = Some(link.into());
        e
    })
    .collect();
    let new: Vec<_> = [
        (
            "https://blog.example.com/2020/01/post-one.html",
            "/2020/01/post-one.html",
        ),
        ("hugo-2", "https://blog.example.com/2020/02/post-two.html"),
        (
            "hugo-3",
            "https://blog.example.com/2020/03/three.html?fbclid=abc",
        ),
    ]
    .into_iter()
    .map(|(id, link)| {
        let mut e = entry();
        e.id = Some(id.into());
        e.link = Some(link.into());
        e
    })
    .collect();
    let blog = Url::parse("https://blog.example.com/feed.xml").unwrap();
    let a = normalize(&feed(old), &blog, fetched_at(), &Options::default());
    let b = normalize(&feed(new), &blog, fetched_at(), &Options::default());
    for (x, y) in a.entries.iter().zip(&b.entries) {
        assert_ne!(x.key, y.key, "guids differ");
        assert!(x.canonical_url.is_some());
        assert_eq!(x.canonical_url, y.canonical_url);
    }
}

#[test]
fn content_hash_tracks_changes() {
    let mk = |content: &str| {
        let mut e = entry();
        e.id = Some("1".into());
        e.content = html(content);
        e
    };
    let a = run(&feed(vec![mk("<p>v1</p>")]));
    let b = run(&feed(vec![mk("<p>v1</p>")]));
    let c = run(&feed(vec![mk("<p>v2</p>")]));
    assert_eq!(a.entries[0].content_hash, b.entries[0].content_hash);
    assert_ne!(a.entries[0].content_hash, c.entries[0].content_hash);
    assert_eq!(a.entries[0].key, c.entries[0].key);
}
