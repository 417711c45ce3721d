//! Validity of the Atom and RSS digests as judged by an independent,
//! battle-tested parser: Python's feedparser.
//!
//! The test needs `python3` with feedparser 6.0.14 (`pip install
//! feedparser==6.0.14`, which the project's test script does). Without it the
//! test fails, unless `TRIBUTARY_SKIP_PYTHON=1` is set.

use std::path::Path;
use std::process::Command;

use chrono::{TimeZone, Utc};
use tributary_model::{Enclosure, Entry, EntryId, FeedId, RiverItem, Source};
use tributary_publish::digest::{render, DigestOptions, Format};

/// Prints one JSON object per document: bozo flag, exception, titles, links
/// and enclosure counts of the entries.
const SCRIPT: &str = r#"
import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": bool(d.bozo),
    "exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "feed_title": d.feed.get("title", ""),
    "titles": [e.get("title", "") for e in d.entries],
    "links": [e.get("link", "") for e in d.entries],
    "enclosures": [len(e.get("enclosures", [])) for e in d.entries],
}))
"#;

fn skip_python() -> bool {
    std::env::var("TRIBUTARY_SKIP_PYTHON").is_ok_and(|v| v == "1")
}

/// Whether `python3 -c "import feedparser"` works.
fn feedparser_available() -> bool {
    Command::new("python3")
        .args(["-c", "import feedparser"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn source(id: i64, title: &str) -> Source {
    Source {
        feed_id: FeedId(id),
        title: title.to_string(),
        feed_url: format!("https://{title}.example/feed.xml").replace(' ', "-"),
        site_url: Some(format!("https://{title}.example/").replace(' ', "-")),
    }
}

fn entry(id: i64, feed: &Source, title: &str, url: &str) -> Entry {
    Entry {
        id: EntryId(id),
        feed_id: feed.feed_id,
        key: format!("guid:{id}"),
        guid: Some(id.to_string()),
        url: Some(url.to_string()),
        canonical_url: Some(url.to_string()),
        title: title.to_string(),
        author: None,
        content_html: None,
        summary_html: None,
        excerpt: String::new(),
        published: Utc.with_ymd_and_hms(2024, 3, 10, 9, 0, 0).unwrap() - chrono::Duration::days(id),
        updated: None,
        enclosures: vec![],
        categories: vec![],
    }
}

/// A realistic river: HTML content, a podcast enclosure, unicode, `&` and
/// `<` in titles, and a fourth item that collapses into the first.
fn river() -> Vec<RiverItem> {
    let blog = source(1, "Ünïcode Blog");
    let pod = source(2, "Pods & Casts");
    let news = source(3, "News");

    let mut first = entry(
        1,
        &blog,
        "Café & crème: a <review>",
        "https://blog.example/cafe?a=1&b=2",
    );
    first.author = Some("Zoë Ångström".into());
    first.excerpt = "Tasting notes from Zürich — 5 < 6 & ☕ everywhere.".into();
    first.content_html =
        Some(r#"<p>Tasting notes from <a href="https://zurich.example/">Zürich</a> &amp; more.</p><pre>a &lt; b</pre>"#.into());
    first.categories = vec!["coffee".into(), "travel & food".into()];

    let mut second = entry(
        2,
        &pod,
        "Episode 42: 日本語 and emoji 🎉",
        "https://pods.example/42",
    );
    second.excerpt = "We talk about everything.".into();
    second.summary_html = Some("<p>We talk about <em>everything</em>.</p>".into());
    second.guid = Some("https://pods.example/42".into());
    second.enclosures = vec![Enclosure {
        url: "https://cdn.pods.example/42.mp3?token=a&b=c".into(),
        mime_type: Some("audio/mpeg".into()),
        length: Some(48_000_000),
        duration_secs: Some(3_000),
    }];

    let mut third = entry(3, &news, "Plain headline", "https://news.example/plain");
    third.excerpt = "Nothing special]]> here.".into();
    third.content_html = Some("<p>CDATA end ]]> inside</p>".into());

    let mut dup = entry(
        4,
        &news,
        "Café & crème (syndicated)",
        "https://blog.example/cafe?a=1&b=2",
    );
    dup.published = first.published;

    [
        (first, blog.clone()),
        (dup, news.clone()),
        (second, pod),
        (third, news),
    ]
    .into_iter()
    .map(|(entry, source)| RiverItem {
        entry,
        source,
        read: false,
        starred: false,
    })
    .collect()
}

fn feedparser_report(path: &Path) -> serde_json::Value {
    let out = match Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run python3: {e}"),
    };
    assert!(
        out.status.success(),
        "feedparser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => panic!(
            "feedparser script printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        ),
    }
}

#[test]
fn atom_and_rss_are_valid_for_feedparser() {
    if skip_python() {
        eprintln!("TRIBUTARY_SKIP_PYTHON=1: skipping the feedparser validity test");
        return;
    }
    assert!(
        feedparser_available(),
        "Python feedparser is not importable: run `pip install feedparser==6.0.14` \
         (or set TRIBUTARY_SKIP_PYTHON=1 to skip this test)"
    );

    let items = river();
    let opts = DigestOptions {
        title: "Tributary river — Ünïcode & more".into(),
        link: Some("https://river.example/feeds/all?x=1&y=2".into()),
        generated_at: Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap(),
        links: Default::default(),
    };
    let expected_titles = [
        "Café & crème: a <review>",
        "Episode 42: 日本語 and emoji 🎉",
        "Plain headline",
    ];
    let expected_links = [
        "https://blog.example/cafe?a=1&b=2",
        "https://pods.example/42",
        "https://news.example/plain",
    ];

    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a temp dir: {e}"),
    };
    for (format, file, version) in [
        (Format::Atom, "digest.atom", "atom10"),
        (Format::Rss, "digest.rss", "rss20"),
    ] {
        let doc = render(&items, format, &opts);
        let path = dir.path().join(file);
        if let Err(e) = std::fs::write(&path, &doc) {
            panic!("cannot write {}: {e}", path.display());
        }
        let report = feedparser_report(&path);
        assert_eq!(
            report["bozo"], false,
            "{format}: feedparser says bozo: {report}\n{doc}"
        );
        assert_eq!(report["version"], version, "{format}: {report}");
        assert_eq!(
            report["feed_title"], "Tributary river — Ünïcode & more",
            "{format}"
        );
        assert_eq!(
            report["titles"],
            serde_json::json!(expected_titles),
            "{format}: {report}"
        );
        assert_eq!(
            report["links"],
            serde_json::json!(expected_links),
            "{format}: {report}"
        );
        assert_eq!(
            report["enclosures"],
            serde_json::json!([0, 1, 0]),
            "{format}: {report}"
        );
    }
}
