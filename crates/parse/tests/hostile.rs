//! Hostile documents through `tributary_parse::parse`: each must end in
//! bounded time and memory with a clear error or a best-effort feed, and
//! never panic.
//!
//! Wall-clock limits are generous sanity bounds for a debug build on a busy
//! machine, not benchmarks. The pipeline through `tributary_normalize` (deep
//! HTML nesting in content and the same documents normalized) is tested in
//! `crates/normalize/tests/hostile.rs`, where both crates are dependencies.
//!
//! The 200 MB document is `#[ignore]`d (too slow for a debug run); run it with
//! `cargo test -p tributary-parse --release --test hostile -- --ignored --nocapture`.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use tributary_parse::{
    parse, parse_with_report, ParseError, ParseOptions, ParseReport, ParsedFeed,
};

/// Generous limit for one hostile document in a debug build.
const LIMIT: Duration = Duration::from_secs(30);

fn parse_timed(bytes: &[u8], what: &str) -> Result<ParsedFeed, ParseError> {
    let start = Instant::now();
    let result = parse(bytes, &ParseOptions::default());
    let took = start.elapsed();
    assert!(took < LIMIT, "{what}: parse took {took:?}");
    if let Err(err) = &result {
        // Errors must say something: a code and a message in words.
        assert!(!err.code().is_empty(), "{what}: empty error code");
        assert!(err.to_string().len() > 10, "{what}: terse error {err}");
    }
    result
}

/// Every string of a parsed feed, for "must never appear" checks.
fn all_text(feed: &ParsedFeed) -> String {
    format!("{feed:?}")
}

/// A field of /proc/self/status in KiB (Linux), if known.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Whether this is the child process of [`in_own_process`].
const CHILD_ENV: &str = "TRIBUTARY_HOSTILE_CHILD";

/// Memory is measured in a process of its own: the peak is per process, the
/// test harness runs tests on parallel threads, and the allocator keeps
/// memory that earlier tests freed (which a later test would reuse without
/// the resident size growing). Returns `true` in the child, which runs the
/// test's body; the parent runs the test binary again for `test` alone and
/// requires it to pass.
fn in_own_process(test: &str) -> bool {
    if std::env::var_os(CHILD_ENV).is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args([
            test,
            "--exact",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "{test} in its own process failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "{test} did not run in the child:\n{stdout}"
    );
    false
}

/// Run `f`: its result, how long it took and by how many bytes the peak
/// resident memory rose above the resident memory at the start (`None` where
/// Linux's counters are missing). The peak is reset first
/// (`/proc/self/clear_refs`). Meaningful in [`in_own_process`]'s child.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<u64>) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib("VmRSS:");
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let peak = status_kib("VmHWM:");
    let grown = match (reset, before, peak) {
        (true, Some(before), Some(peak)) => Some(peak.saturating_sub(before) * 1024),
        _ => None,
    };
    (out, took, grown)
}

fn mib(bytes: u64) -> u64 {
    bytes >> 20
}

/// [`parse_with_report`] within [`LIMIT`], with a clear error if any.
fn report_timed(bytes: &[u8], what: &str) -> Result<(ParsedFeed, ParseReport), ParseError> {
    let start = Instant::now();
    let result = parse_with_report(bytes, &ParseOptions::default());
    let took = start.elapsed();
    assert!(took < LIMIT, "{what}: parse took {took:?}");
    if let Err(err) = &result {
        assert!(!err.code().is_empty(), "{what}: empty error code");
        assert!(err.to_string().len() > 10, "{what}: terse error {err}");
    }
    result
}

fn rss_with(doctype: &str, title: &str, description: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
{doctype}
<rss version="2.0"><channel><title>{title}</title><link>https://example.com/</link>
<item><title>{title}</title><link>https://example.com/1</link><description>{description}</description></item>
<item><title>second</title><link>https://example.com/2</link></item>
</channel></rss>"#
    )
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut dtd = String::from("<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
    dtd.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..=9 {
        let prev = format!("&lol{};", i - 1);
        dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
    }
    dtd.push_str("]>");
    let doc = rss_with(&dtd, "&lol9;", "&lol9;&lol9;");
    match parse_timed(doc.as_bytes(), "billion laughs") {
        Ok(feed) => {
            // 10^9 "lol"s would be 3 GB; an unexpanded reference is tiny.
            let text = all_text(&feed);
            assert!(text.len() < 100_000, "expanded to {} bytes", text.len());
            assert!(!text.contains("lollollol"), "entity expanded: {text}");
            assert_eq!(feed.entries.len(), 2);
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
}

#[test]
fn quadratic_blowup_is_not_expanded() {
    // One 50 kB entity referenced 50,000 times: 2.5 GB if expanded.
    let dtd = format!("<!DOCTYPE rss [<!ENTITY a \"{}\">]>", "x".repeat(50_000));
    let doc = rss_with(&dtd, "t", &"&a;".repeat(50_000));
    if let Ok(feed) = parse_timed(doc.as_bytes(), "quadratic blowup") {
        let text = all_text(&feed);
        assert!(text.len() < 5_000_000, "expanded to {} bytes", text.len());
        assert_eq!(feed.entries.len(), 2);
    }
}

#[test]
fn external_entities_are_never_resolved() {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    // The check below is only meaningful when the file has a known line.
    assert!(
        passwd.contains("root:"),
        "/etc/passwd must exist with a root entry for this test"
    );
    // Anything that connects to this listener is a network access.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let port = listener.local_addr().expect("local address").port();
    let remote = format!("http://127.0.0.1:{port}/evil.dtd");

    let doctypes = [
        r#"<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#.to_owned(),
        r#"<!DOCTYPE rss [<!ENTITY xxe PUBLIC "-//X//Y" "file:///etc/passwd">]>"#.to_owned(),
        format!(r#"<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{remote}">]>"#),
        format!(r#"<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "{remote}"> %dtd;]>"#),
        format!(r#"<!DOCTYPE rss SYSTEM "{remote}">"#),
        r#"<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"><!ENTITY xxe "%p;">]>"#
            .to_owned(),
    ];
    for doctype in &doctypes {
        let doc = rss_with(doctype, "&xxe;", "<![CDATA[x]]>&xxe;");
        match parse_timed(doc.as_bytes(), doctype) {
            Ok(feed) => {
                let text = all_text(&feed);
                assert!(!text.contains("root:"), "{doctype}: file content in {text}");
                assert_eq!(feed.entries.len(), 2, "{doctype}");
            }
            Err(err) => assert!(!err.to_string().contains("root:"), "{doctype}: {err}"),
        }
        // Also as an Atom document with the reference in an attribute.
        let atom = format!(
            r#"<?xml version="1.0"?>{doctype}<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title>
<entry><id>1</id><title>t</title><link href="&xxe;"/><content type="html">&xxe;</content></entry></feed>"#
        );
        if let Ok(feed) = parse_timed(atom.as_bytes(), doctype) {
            assert!(!all_text(&feed).contains("root:"), "{doctype} (Atom)");
        }
    }
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((mut stream, _)) => {
            let mut request = String::new();
            let _ = stream.read_to_string(&mut request);
            panic!("the parser connected to the network: {request:?}");
        }
        Err(e) => panic!("listener failed: {e}"),
    }
}

#[test]
fn deep_element_nesting_in_the_xml() {
    const DEPTH: usize = 10_000;
    let deep = format!("{}x{}", "<x>".repeat(DEPTH), "</x>".repeat(DEPTH));
    // Inside the channel, inside an item, inside an item's description (as
    // unescaped markup), and as Atom XHTML content.
    let docs = [
        (
            "channel",
            rss_with("", "t", "d").replace("<item>", &format!("{deep}<item>")),
        ),
        (
            "item",
            rss_with("", "t", "d").replace("<description>", &format!("{deep}<description>")),
        ),
        ("description", rss_with("", "t", &deep)),
        (
            "atom xhtml",
            format!(
                r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id><title>t</title>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{}x{}</div></content></entry></feed>"#,
                "<div>".repeat(DEPTH),
                "</div>".repeat(DEPTH)
            ),
        ),
        // Unclosed: a truncated document of pure nesting.
        (
            "unclosed",
            format!("<rss version=\"2.0\"><channel>{}", "<x>".repeat(DEPTH)),
        ),
    ];
    for (what, doc) in docs {
        match parse_timed(doc.as_bytes(), what) {
            Ok(feed) => {
                if what != "unclosed" {
                    assert!(!feed.entries.is_empty(), "{what}: entries lost");
                }
            }
            Err(err) => assert!(what == "unclosed", "{what}: {err}"),
        }
    }
    // The same nesting in JSON must be refused cleanly (serde_json limits
    // recursion), not overflow the stack.
    let json = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{{"id":"1","x":{}1{}}}]}}"#,
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let err = parse_timed(json.as_bytes(), "deep json").expect_err("deep JSON is refused");
    assert_eq!(err.code(), "feed_malformed_json", "{err}");
}

/// An RSS document of about `size` bytes: many ordinary items with HTML
/// descriptions.
fn big_feed(size: usize) -> Vec<u8> {
    let mut doc = String::with_capacity(size + 4096);
    doc.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Big</title><link>https://example.com/</link>\n",
    );
    let body = "<p>Lorem ipsum dolor sit amet, <a href=\"/x\">consectetur</a> adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>".repeat(8);
    let mut i = 0usize;
    while doc.len() < size {
        doc.push_str(&format!(
            "<item><title>Item {i} &amp; more</title><link>https://example.com/{i}</link><guid>id-{i}</guid>\
<pubDate>Mon, 06 May 2024 10:00:00 GMT</pubDate><description><![CDATA[{body}]]></description></item>\n"
        ));
        i += 1;
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

fn check_big(size: usize) {
    let doc = big_feed(size);
    let items = doc.windows(6).filter(|w| w == b"<item>").count();
    let (feed, took, grown) = measured(|| parse(&doc, &ParseOptions::default()));
    let feed = feed.expect("a large valid feed parses");
    assert_eq!(feed.entries.len(), items);
    assert_eq!(
        feed.entries.last().and_then(|e| e.id.as_deref()),
        Some(format!("id-{}", items - 1).as_str())
    );
    eprintln!(
        "{} MiB, {items} items: {took:?}, peak memory +{:?} MiB beyond the loaded document",
        mib(doc.len() as u64),
        grown.map(mib)
    );
    assert!(took < LIMIT * 4, "{took:?}");
    if let Some(grown) = grown {
        // Valid UTF-8 with only the five XML entities: decode and repair
        // borrow the input. What remains is the parser's copy (feed-rs) and
        // the parsed entries, which hold every description — about 3× the
        // size today. One more full copy of the document would cross 3.5×.
        let size = doc.len() as u64;
        assert!(
            grown < size * 7 / 2 + (32 << 20),
            "peak memory grew by {} MiB for a {} MiB document",
            mib(grown),
            mib(size)
        );
    }
}

#[test]
fn twenty_megabyte_document() {
    if in_own_process("twenty_megabyte_document") {
        check_big(20 << 20);
    }
}

/// Too slow for a debug run. In release:
/// `cargo test -p tributary-parse --release --test hostile -- --ignored --nocapture`
#[test]
#[ignore]
fn two_hundred_megabyte_document() {
    if in_own_process("two_hundred_megabyte_document") {
        check_big(200 << 20);
    }
}

#[test]
fn invalid_utf8_everywhere() {
    let bad: &[&[u8]] = &[
        b"\xff",
        b"\xc3",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xc0\xaf",
        b"\x80\x80",
    ];
    let template = "<?xml version=\"1.0\" encoding=\"@\"?><rss version=\"2.0\"><ch@annel><title>T@</title>\
<link>https://example.com/@</link><item><title>A@b</title><link>https://e.com/@</link>\
<guid isPermaLink=\"fa@lse\">g@</guid><description>&lt;p&gt;d@&lt;/p&gt;</description>\
<category>c@</category><enclosure url=\"https://e.com/a@.mp3\" length=\"1@\" type=\"audio/mpeg\"/></item></channel></rss>";
    let parts: Vec<&str> = template.split('@').collect();
    let slots = parts.len() - 1;
    // The document with `fill(slot)` in each slot (slot 0 is the encoding).
    let build = |fill: &dyn Fn(usize) -> Vec<u8>| -> Vec<u8> {
        let mut doc = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            doc.extend_from_slice(part.as_bytes());
            if i < slots {
                doc.extend(fill(i));
            }
        }
        doc
    };
    for seq in bad {
        // Every slot at once, then one slot at a time.
        let mut docs = vec![build(&|_| seq.to_vec())];
        for slot in 0..slots {
            docs.push(build(&|i| match i {
                _ if i == slot => seq.to_vec(),
                0 => b"UTF-8".to_vec(),
                _ => Vec::new(),
            }));
        }
        for doc in docs {
            let what = String::from_utf8_lossy(&doc).into_owned();
            if let Ok(feed) = parse_timed(&doc, &what) {
                // The invalid bytes become U+FFFD (or go); the ASCII around
                // them is intact.
                if let Some(title) = feed.entries.first().and_then(|e| e.title.as_ref()) {
                    assert!(
                        title.value.starts_with('A') && title.value.ends_with('b'),
                        "{what}: title {:?}",
                        title.value
                    );
                    assert!(title.value.chars().count() <= 2 + seq.len(), "{what}");
                }
                assert!(!all_text(&feed).contains('\0'), "{what}: NUL");
            }
        }
        // The same bytes in a JSON Feed and in front of a document.
        let json = [
            &b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"T"[..],
            seq,
            b"\",\"items\":[{\"id\":\"1\",\"title\":\"",
            seq,
            b"\",\"content_html\":\"<p>",
            seq,
            b"</p>\"}]}",
        ]
        .concat();
        if let Ok(feed) = parse_timed(&json, "json") {
            assert_eq!(feed.entries.len(), 1);
        }
        let leading = [seq, template.as_bytes()].concat();
        if let Ok((_, report)) = report_timed(&leading, "leading bytes") {
            assert!(report.repaired.is_some(), "leading {seq:?}: not reported");
        }
    }
    // Declared encodings that do not match the bytes, and odd-length UTF-16.
    for (doc, what) in [
        (&b"\xff\xfe<\0r\0s\0s\0>"[..], "UTF-16LE BOM, odd length"),
        (b"\xfe\xff\0<\0r\0s\0s\0>\0", "UTF-16BE BOM, odd length"),
        (b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>\xff</title></channel></rss>", "UTF-16 declared, 8-bit bytes"),
        (b"<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?><rss version=\"2.0\"><channel><title>\xff</title></channel></rss>", "unknown charset"),
        (b"<?xml version=\"1.0\" encoding=\"\xff\xfe\"?><rss version=\"2.0\"><channel></channel></rss>", "garbage charset name"),
        (b"\xef\xbb\xbf\xef\xbb\xbf<rss version=\"2.0\"><channel></channel></rss>", "double BOM"),
        (b"\x00\x00\x00\x00\x00", "NULs"),
        (b"\xff\xff\xff\xff", "nothing valid"),
    ] {
        // Refused with a clear error, or read with the damage reported.
        if let Ok((_, report)) = report_timed(doc, what) {
            assert!(report.repaired.is_some(), "{what}: not reported as repaired");
        }
    }
}

#[test]
fn json_feed_with_wrong_types() {
    let docs: &[(&str, &str)] = &[
        (
            "numbers for strings",
            r#"{"version":"https://jsonfeed.org/version/1.1","title":42,"home_page_url":7,"feed_url":8.5,"description":true,"icon":[],"language":1,"items":[{"id":1,"url":2,"title":3,"content_html":4,"content_text":5,"summary":6,"date_published":1714989600,"date_modified":-1,"image":0,"tags":[1,2,"ok"]}]}"#,
        ),
        (
            "arrays for objects",
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","author":["a"],"authors":[["x"],"y",1,null],"items":[{"id":"1","author":[1],"authors":"nobody","attachments":{"url":"https://e.com/a.mp3"}}]}"#,
        ),
        (
            "objects for arrays",
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":{"id":"1","title":"x"}}"#,
        ),
        (
            "null everywhere",
            r#"{"version":"https://jsonfeed.org/version/1.1","title":null,"home_page_url":null,"feed_url":null,"description":null,"icon":null,"favicon":null,"authors":null,"author":null,"language":null,"items":[null,{"id":null,"url":null,"external_url":null,"title":null,"content_html":null,"content_text":null,"summary":null,"image":null,"banner_image":null,"date_published":null,"date_modified":null,"authors":null,"tags":null,"attachments":[null,{"url":null,"mime_type":null,"size_in_bytes":null,"duration_in_seconds":null}]}]}"#,
        ),
        (
            "items null",
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":null}"#,
        ),
        (
            "attachment numbers",
            r#"{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","attachments":[{"url":"https://e.com/a.mp3","mime_type":3,"size_in_bytes":-5,"duration_in_seconds":1e308},{"url":"https://e.com/b.mp3","size_in_bytes":"12","duration_in_seconds":"NaN"},{"url":"https://e.com/c.mp3","size_in_bytes":1.8e19,"duration_in_seconds":[1]}]}]}"#,
        ),
        (
            "huge numbers",
            r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":123456789012345678901234567890,"title":"t","date_published":"99999-12-31T00:00:00Z"}]}"#,
        ),
        ("version wrong type", r#"{"version":1.1,"items":[]}"#),
        ("version null", r#"{"version":null,"items":[{"id":"1"}]}"#),
        (
            "top-level array",
            r#"[{"version":"https://jsonfeed.org/version/1.1"}]"#,
        ),
        ("top-level string", r#""https://jsonfeed.org/version/1.1""#),
        (
            "duplicate keys",
            r#"{"version":"https://jsonfeed.org/version/1.1","items":[],"items":[{"id":"1","id":2}]}"#,
        ),
        (
            "truncated",
            r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"#,
        ),
        (
            "lone surrogate",
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"\ud800","items":[{"id":"\udfff","title":"a\u0000b"}]}"#,
        ),
    ];
    for (what, doc) in docs {
        match parse_timed(doc.as_bytes(), what) {
            Ok(feed) => {
                // Wrong-typed fields are ignored, not stringified.
                let text = all_text(&feed);
                assert!(!text.contains("1714989600"), "{what}: {text}");
                if *what == "numbers for strings" {
                    assert_eq!(feed.entries.len(), 1);
                    assert_eq!(feed.title, None);
                    assert_eq!(feed.entries[0].categories, ["ok"]);
                    // Numeric ids are allowed (JSON Feed 1.0 in the wild).
                    assert_eq!(feed.entries[0].id.as_deref(), Some("1"));
                }
                if *what == "null everywhere" {
                    assert_eq!(feed.entries.len(), 1, "{what}: the null item is skipped");
                    assert!(feed.entries[0].enclosures.is_empty());
                }
            }
            Err(err) => {
                // serde_json refuses a lone surrogate escape (`\ud800`) in the
                // whole document; Python's json accepts it. A clear error is
                // acceptable, a repair would be better (see the report).
                let expected_error = matches!(
                    *what,
                    "version wrong type"
                        | "version null"
                        | "top-level array"
                        | "top-level string"
                        | "truncated"
                        | "lone surrogate"
                );
                assert!(expected_error, "{what}: refused with {err}");
                assert!(
                    matches!(err.code(), "not_a_feed" | "feed_malformed_json"),
                    "{what}: {err}"
                );
            }
        }
    }
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf32(s: &str, big_endian: bool) -> Vec<u8> {
    s.chars()
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

#[test]
fn utf16_with_unpaired_surrogates() {
    // A lone high surrogate, a lone low one, a reversed pair, and a high one
    // cut off by the end of the document.
    let mut doc = vec![0xff, 0xfe];
    doc.extend(utf16le(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>T</title><item><title>A",
    ));
    doc.extend(0xd800u16.to_le_bytes());
    doc.extend(utf16le("b</title><description>c"));
    doc.extend(0xdc00u16.to_le_bytes());
    doc.extend(0xdfffu16.to_le_bytes());
    doc.extend(0xd83du16.to_le_bytes());
    doc.extend(utf16le("d</description></item></channel></rss>"));
    doc.extend(0xd83du16.to_le_bytes());
    let (feed, report) = report_timed(&doc, "unpaired surrogates").expect("a best-effort feed");
    assert_eq!(report.encoding, "utf-16le");
    let entry = &feed.entries[0];
    assert_eq!(
        entry.title.as_ref().map(|t| t.value.as_str()),
        Some("A\u{fffd}b")
    );
    let summary = entry.summary.as_ref().map(|t| t.value.as_str());
    assert_eq!(summary, Some("c\u{fffd}\u{fffd}\u{fffd}d"));
    let reason = report.repaired.expect("reported as repaired");
    assert!(reason.contains("utf-16le"), "{reason}");
}

#[test]
fn utf32_garbage() {
    // Code units that are no characters: above U+10FFFF and surrogates.
    let mut doc = vec![0, 0, 0xfe, 0xff];
    doc.extend(utf32(
        "<rss version=\"2.0\"><channel><title>T</title><item><title>A",
        true,
    ));
    doc.extend([
        0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xd8, 0x00, 0xff, 0xff, 0xff, 0xff,
    ]);
    doc.extend(utf32("b</title></item></channel></rss>", true));
    doc.extend([0, 0, 0]); // and a partial unit
    let (feed, report) = report_timed(&doc, "utf-32 garbage units").expect("a best-effort feed");
    assert_eq!(report.encoding, "utf-32be");
    let title = feed.entries[0].title.as_ref().map(|t| t.value.as_str());
    assert_eq!(title, Some("A\u{fffd}\u{fffd}\u{fffd}b"));
    assert!(report.repaired.is_some());

    // A UTF-32LE byte-order mark and then 4 MB of noise: refused, quickly.
    let mut noise = vec![0xff, 0xfe, 0, 0];
    let mut x = 0x2545_f491_u32;
    noise.extend((0..1_000_000).flat_map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x.to_le_bytes()
    }));
    let err = report_timed(&noise, "utf-32 noise").expect_err("noise is not a feed");
    assert_eq!(err.code(), "not_a_feed", "{err}");
}

#[test]
fn fifty_megabyte_text_node() {
    if !in_own_process("fifty_megabyte_text_node") {
        return;
    }
    const SIZE: usize = 50 << 20;
    let mut doc = String::with_capacity(SIZE + 512);
    doc.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>T</title>",
    );
    doc.push_str("<item><title>big</title><link>https://example.com/1</link><description>");
    doc.extend(std::iter::repeat_n('a', SIZE));
    doc.push_str("</description></item></channel></rss>");
    let (result, took, grown) =
        measured(|| parse_with_report(doc.as_bytes(), &ParseOptions::default()));
    let (feed, report) = result.expect("one huge text is still a feed");
    assert!(took < LIMIT, "{took:?}");
    assert_eq!(report.repaired, None);
    let summary = feed.entries[0]
        .summary
        .as_ref()
        .map_or(0, |t| t.value.len());
    assert_eq!(summary, SIZE);
    eprintln!(
        "50 MiB text node: {took:?}, peak memory +{:?} MiB",
        grown.map(mib)
    );
    if let Some(grown) = grown {
        // The parser's copy of the text and the entry's; no copy of the document.
        assert!(
            grown < 4 * SIZE as u64 + (32 << 20),
            "grew by {} MiB",
            mib(grown)
        );
    }
}

#[test]
fn a_document_of_only_ampersands() {
    if !in_own_process("a_document_of_only_ampersands") {
        return;
    }
    let amps = "&".repeat(32 << 20);
    let err = report_timed(amps.as_bytes(), "only '&'").expect_err("not a feed");
    assert_eq!(err.code(), "not_a_feed", "{err}");

    // The same inside a title: every '&' is escaped (5× the text) and kept.
    // Smaller: feed-rs is slow on references in a debug build (~5 s here).
    const SIZE: usize = 512 << 10;
    let amps = "&".repeat(SIZE);
    let doc = rss_with("", &amps, "d");
    let (result, took, grown) = measured(|| report_timed(doc.as_bytes(), "title of '&'"));
    let (feed, report) = result.expect("a feed with a silly title");
    assert!(took < LIMIT, "{took:?}");
    let title = feed.title.map(|t| t.value).unwrap_or_default();
    assert_eq!(title.len(), SIZE);
    assert!(title.bytes().all(|b| b == b'&'));
    assert!(report.repaired.is_some());
    eprintln!(
        "512 KiB of '&' in a title: {took:?}, peak memory +{:?} MiB",
        grown.map(mib)
    );
    if let Some(grown) = grown {
        // The repaired text is 5× (each '&' becomes "&amp;"), titles twice.
        assert!(
            grown < 12 * SIZE as u64 + (32 << 20),
            "grew by {} MiB",
            mib(grown)
        );
    }
}

#[test]
fn a_byte_order_mark_that_contradicts_the_declaration() {
    let body = "<rss version=\"2.0\"><channel><title>café</title><item><title>x</title></item></channel></rss>";
    // UTF-8 BOM, declaration says ISO-8859-1: the BOM wins (WHATWG), reported.
    let mut doc = b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>".to_vec();
    doc.extend(body.as_bytes());
    let (feed, report) = report_timed(&doc, "utf-8 BOM, latin-1 declared").expect("a feed");
    assert_eq!(feed.title.map(|t| t.value).as_deref(), Some("café"));
    assert_eq!(report.encoding, "utf-8");
    let reason = report.repaired.expect("reported");
    assert!(reason.contains("byte-order mark"), "{reason}");

    // UTF-16LE BOM, declaration says UTF-8.
    let mut doc = vec![0xff, 0xfe];
    doc.extend(utf16le(&format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>{body}"
    )));
    let (feed, report) = report_timed(&doc, "utf-16 BOM, utf-8 declared").expect("a feed");
    assert_eq!(feed.title.map(|t| t.value).as_deref(), Some("café"));
    assert_eq!(report.encoding, "utf-16le");
    assert!(report.repaired.is_some());

    // A BOM that agrees with the declaration is no problem.
    let mut doc = vec![0xff, 0xfe];
    doc.extend(utf16le(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>{body}"
    )));
    let (_, report) = report_timed(&doc, "utf-16 BOM, utf-16 declared").expect("a feed");
    assert_eq!(report.repaired, None);
}
