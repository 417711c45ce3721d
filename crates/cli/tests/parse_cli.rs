//! `tributary parse` on documents that are not feeds, or not whole feeds,
//! driving the built binary: what it says instead, the exit status, and that
//! nothing reaches stdout when there is no feed to print.

mod common;

use std::process::Output;

use common::{start_farm, Env};
use serde_json::Value;

/// Run `tributary parse ARGS…` in a fresh environment.
fn parse(env: &Env, args: &[&str]) -> Output {
    let mut all = vec!["parse"];
    all.extend_from_slice(args);
    env.run(&all)
}

fn write(env: &Env, name: &str, body: &[u8]) -> String {
    let path = env.path(name);
    std::fs::write(&path, body).expect("write test document");
    path.display().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit status 1, empty stdout; returns stderr.
fn refused(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "status {}; stderr: {}",
        out.status,
        stderr(out)
    );
    assert!(
        out.stdout.is_empty(),
        "stdout should be empty: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr(out)
}

#[test]
fn html_page_names_the_feeds_it_links_to() {
    let env = Env::new();
    let page = write(
        &env,
        "blog.html",
        br#"<!DOCTYPE html>
<html><head><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="https://blog.example/feed.xml">
<link rel="Alternate" type="application/atom+xml" href="https://blog.example/atom.xml">
</head><body><p>Hello</p></body></html>"#,
    );
    let err = refused(&parse(&env, &[&page]));
    assert!(err.contains("is not a feed"), "{err}");
    assert!(err.contains("HTML page"), "{err}");
    assert!(
        err.contains("https://blog.example/feed.xml, https://blog.example/atom.xml"),
        "both feeds, in document order: {err}"
    );
    assert!(!err.contains("style.css"), "{err}");
}

#[test]
fn html_page_without_feed_links_says_so() {
    let env = Env::new();
    let page = write(
        &env,
        "login.html",
        b"<html><body><form>user <input name=u></form></body></html>",
    );
    let err = refused(&parse(&env, &[&page]));
    assert!(err.contains("HTML page, and it links to no feed"), "{err}");
    // --json does not change that: still nothing on stdout.
    let err = refused(&parse(&env, &[&page, "--json"]));
    assert!(err.contains("links to no feed"), "{err}");
}

#[test]
fn html_page_over_http_lists_absolute_feed_urls() {
    let farm = start_farm();
    let env = Env::new();
    let url = farm.url("/blog.html");
    let err = refused(&parse(&env, &[&url]));
    assert!(err.contains("HTML page"), "{err}");
    // Relative hrefs are resolved against the page's URL.
    assert!(err.contains(&farm.url("/hugo.xml")), "{err}");
    assert!(err.contains(&farm.url("/comments.atom")), "{err}");
}

#[test]
fn opml_list_counts_its_feeds_and_points_to_import() {
    let env = Env::new();
    let opml = write(
        &env,
        "subs.opml",
        br#"<?xml version="1.0"?>
<opml version="2.0"><head><title>mine</title></head><body>
<outline text="Tech">
  <outline text="A" type="rss" xmlUrl="https://a.example/feed"/>
  <outline text="B" type="rss" xmlUrl="https://b.example/feed"/>
</outline>
<outline text="C" type="rss" xmlUrl="https://c.example/feed"/>
</body></opml>"#,
    );
    let err = refused(&parse(&env, &[&opml]));
    assert!(err.contains("OPML subscription list (3 feeds)"), "{err}");
    assert!(err.contains(&format!("tributary import {opml}")), "{err}");
}

#[test]
fn plain_text_and_other_xml_are_named() {
    let env = Env::new();
    let text = write(&env, "notes.txt", b"just some notes\nnothing else\n");
    let err = refused(&parse(&env, &[&text]));
    assert!(err.contains("is not a feed: this is plain text"), "{err}");

    let svg = write(
        &env,
        "pic.svg",
        br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>"#,
    );
    let err = refused(&parse(&env, &[&svg]));
    assert!(
        err.contains("an XML document whose root element is <svg>"),
        "{err}"
    );
}

#[test]
fn empty_file_is_an_error_not_a_feed() {
    let env = Env::new();
    let empty = write(&env, "empty.xml", b"  \n");
    let err = refused(&parse(&env, &[&empty]));
    assert!(err.contains("empty"), "{err}");
}

const TRUNCATED: &[u8] = br#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Cut short</title><link>https://cut.example/</link>
<item><title>first</title><link>https://cut.example/1</link><guid>1</guid></item>
<item><title>second</title><link>https://cut.example/2</link><guid>2</guid></item>
<item><title>third</title><link>https://cut.example/3</link><description>the download st"#;

#[test]
fn truncated_feed_prints_complete_entries_and_warns() {
    let env = Env::new();
    let cut = write(&env, "cut.xml", TRUNCATED);
    let out = parse(&env, &[&cut]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("entries:  2"), "{stdout}");
    assert!(stdout.contains("https://cut.example/2"), "{stdout}");
    assert!(
        !stdout.contains("third"),
        "the cut entry is not shown: {stdout}"
    );
    let err = stderr(&out);
    assert!(err.starts_with("warning: "), "{err}");
    assert!(err.contains("cut.xml"), "{err}");
    assert!(err.contains("not a well-formed feed"), "{err}");

    // The JSON output says the same: two items, bozo with the reason.
    let out = parse(&env, &[&cut, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["items"].as_array().map(Vec::len), Some(2), "{doc}");
    assert_eq!(doc["_tributary"]["bozo"], Value::Bool(true));
    assert!(doc["_tributary"]["bozo_reason"].is_string());
    assert!(stderr(&out).contains("warning: "));
}

#[test]
fn a_clean_feed_gives_no_warning() {
    let env = Env::new();
    let feed = write(
        &env,
        "ok.xml",
        br#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Fine</title><link>https://ok.example/</link>
<item><title>only</title><link>https://ok.example/1</link><guid>1</guid></item>
</channel></rss>"#,
    );
    let out = parse(&env, &[&feed]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no warning for a well-formed feed");
    assert!(String::from_utf8_lossy(&out.stdout).contains("entries:  1"));
}

#[test]
fn utf32_and_windows_1252_documents_report_their_encoding() {
    let env = Env::new();
    let src = "<?xml version=\"1.0\" encoding=\"utf-32\"?>\
<rss version=\"2.0\"><channel><title>Caf\u{e9} \u{1f600}</title>\
<item><title>x</title><link>https://u.example/1</link></item></channel></rss>";
    let mut utf32le = vec![0xff, 0xfe, 0, 0];
    utf32le.extend(src.chars().flat_map(|c| u32::from(c).to_le_bytes()));
    let path = write(&env, "u32.xml", &utf32le);
    let out = parse(&env, &[&path, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["_tributary"]["encoding"], "utf-32le");
    assert_eq!(doc["_tributary"]["bozo"], Value::Bool(false), "{doc}");
    assert_eq!(doc["title"], "Caf\u{e9} \u{1f600}");

    // ISO-8859-1 label, windows-1252 bytes (0x92 is a right single quote there).
    let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
<rss version=\"2.0\"><channel><title>don\x92t caf\xe9</title>\
<item><title>x</title><link>https://l.example/1</link></item></channel></rss>";
    let path = write(&env, "latin.xml", latin);
    let out = parse(&env, &[&path, "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["_tributary"]["encoding"], "iso-8859-1");
    assert_eq!(doc["title"], "don\u{2019}t caf\u{e9}");
}
