//! End-to-end: the built binary against feeds served on loopback, shaped like
//! real publishers' (WordPress, Ghost, Hugo, Blogger, a podcast, JSON Feed, a
//! windows-1252 feed, HTML entities outside CDATA) plus a 301, a 302, a 410,
//! a 404, a login page, gzip and 304s.

mod common;

use common::{feedparser, start_farm, Env, Farm};
use serde_json::Value;

/// The OPML list of the story: nested categories, every kind of feed, and
/// one subscription that must be refused (not http).
fn opml(farm: &Farm) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Networking">
      <outline text="Blogs">
        <outline type="rss" text="Packet Mill (old address)" xmlUrl="{old}" htmlUrl="https://packetmill.example/"/>
        <outline type="rss" text="Fabric Diaries" xmlUrl="{hugo}"/>
      </outline>
      <outline text="CDN"><outline type="rss" text="Edge Notes" xmlUrl="{ghost}"/></outline>
      <outline text="Ops"><outline type="rss" text="Ops Log" xmlUrl="{nbsp}"/></outline>
      <outline type="rss" text="Label Switched Thoughts" xmlUrl="{blogger}"/>
    </outline>
    <outline text="Podcasts"><outline type="rss" text="Packet Talk" xmlUrl="{podcast}"/></outline>
    <outline text="Francophone"><outline type="rss" text="Café" xmlUrl="{win}"/></outline>
    <outline type="rss" text="Tiny Routers" xmlUrl="{json}"/>
    <outline type="rss" text="Dead blog" xmlUrl="{gone}"/>
    <outline type="rss" text="Missing" xmlUrl="{missing}"/>
    <outline type="rss" text="Behind a login" xmlUrl="{login}"/>
    <outline type="rss" text="FTP feed" xmlUrl="ftp://files.example/feed.xml"/>
  </body>
</opml>"#,
        old = farm.url("/old/packetmill"),
        hugo = farm.url("/hugo-temp.xml"),
        ghost = farm.url("/ghost.xml"),
        nbsp = farm.url("/nbsp.xml"),
        blogger = farm.url("/blogger.atom"),
        podcast = farm.url("/podcast.xml"),
        win = farm.url("/win1252.xml"),
        json = farm.url("/feed.json"),
        gone = farm.url("/gone.xml"),
        missing = farm.url("/missing.xml"),
        login = farm.url("/login.html"),
    )
}

fn feed_by_url<'a>(feeds: &'a [Value], url: &str) -> &'a Value {
    feeds
        .iter()
        .find(|f| f["url"] == url)
        .unwrap_or_else(|| panic!("no feed {url} in {feeds:#?}"))
}

/// Titles of the text digest in order: the line before each blank line that
/// starts an entry (entries are separated by blank lines; the title is the
/// first line of each entry).
fn positions(text: &str, titles: &[&str]) -> Vec<usize> {
    titles
        .iter()
        .map(|t| {
            text.find(&format!("{t}\n\n"))
                .unwrap_or_else(|| panic!("title {t:?} not on its own line in:\n{text}"))
        })
        .collect()
}

#[test]
fn import_fetch_digest_feeds_export_and_reissued_guids() {
    let farm = start_farm();
    let env = Env::new();
    let opml_path = env.path("subs.opml");
    std::fs::write(&opml_path, opml(&farm)).unwrap();

    // Import: 11 feeds added, the ftp one refused with its reason.
    let out = env.ok(&["import", opml_path.to_str().unwrap()]);
    assert!(out.contains("11 added, 0 skipped, 1 refused"), "{out}");
    assert!(
        out.contains("ftp://files.example/feed.xml") && out.contains("scheme"),
        "{out}"
    );
    // Importing again skips everything.
    let out = env.ok(&["import", opml_path.to_str().unwrap()]);
    assert!(out.contains("0 added, 11 skipped, 1 refused"), "{out}");

    // First fetch: 8 feeds fetched, 3 failed (410, 404, a login page), still exit 0.
    let out = env.run(&["fetch", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("fetched 8, not modified 0, failed 3, new entries 14"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains(&farm.url("/gone.xml")),
        "failures are reported per feed: {stderr}"
    );
    assert!(farm
        .state
        .user_agent
        .lock()
        .unwrap()
        .as_deref()
        .unwrap_or("")
        .starts_with("Tributary/"));

    // feeds --json: statuses, errors, the permanent move and the temporary one.
    let feeds = env.feeds_json();
    assert_eq!(feeds.len(), 11);
    let moved = feed_by_url(&feeds, &farm.url("/wordpress.xml"));
    assert_eq!(
        moved["previous_urls"],
        serde_json::json!([farm.url("/old/packetmill")])
    );
    assert_eq!(
        moved["title"], "Packet Mill",
        "the feed's own title replaces the OPML placeholder"
    );
    assert_eq!(moved["category"], "Networking/Blogs");
    assert_eq!(moved["status"], "ok");
    assert_eq!(moved["entry_count"], 2);
    for key in [
        "id",
        "site_url",
        "last_error",
        "last_fetched_at",
        "next_fetch_at",
        "next_fetch_reason",
        "last_success_at",
        "failing_since",
        "status_note",
    ] {
        assert!(moved.get(key).is_some(), "feeds --json lacks {key}");
    }
    assert_eq!(moved["site_url"], "https://packetmill.example/");
    assert!(moved["last_fetched_at"].is_string() && moved["next_fetch_at"].is_string());
    assert!(moved["next_fetch_reason"].is_string(), "{moved}");
    assert_eq!(moved["last_success_at"], moved["last_fetched_at"]);
    let temp = feed_by_url(&feeds, &farm.url("/hugo-temp.xml"));
    assert_eq!(
        temp["previous_urls"],
        serde_json::json!([]),
        "a 302 does not move the feed"
    );
    assert_eq!(temp["entry_count"], 2);
    let gone = feed_by_url(&feeds, &farm.url("/gone.xml"));
    assert_eq!(gone["status"], "disabled");
    assert!(
        gone["last_error"].as_str().unwrap().contains("410"),
        "{gone}"
    );
    assert!(gone["disabled_at"].is_string(), "{gone}");
    assert!(
        gone["last_error"]
            .as_str()
            .unwrap()
            .contains("disabled on "),
        "{gone}"
    );
    let missing = feed_by_url(&feeds, &farm.url("/missing.xml"));
    assert_eq!(missing["status"], "error");
    assert!(
        missing["last_error"].as_str().unwrap().contains("404"),
        "{missing}"
    );
    let login = feed_by_url(&feeds, &farm.url("/login.html"));
    assert_eq!(login["status"], "error");
    assert!(
        login["last_error"].as_str().unwrap().contains("not a feed"),
        "{login}"
    );
    let total: i64 = feeds
        .iter()
        .map(|f| f["entry_count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 14);

    // Text digest: newest first, the syndicated copy collapsed into one entry naming both sources.
    let text = env.ok(&["digest", "--format", "text"]);
    let order = [
        "Episode 212: QUIC in Production",
        "OpenWrt on a Toaster",
        "BGP Route Reflectors Are Not Magic",
        "Anycast, Explained Slowly",
        "Leaf-Spine Sizing Without Spreadsheets",
        "Segment Routing & the LDP Sunset",
        "“Café” – le réseau € bas prix",
        "EVPN Multihoming in Five Minutes",
        "Episode 211: Optics Are Weird",
        "Why We Moved Off VXLAN Flood-and-Learn",
        "Wi-Fi 7 Field Notes",
        "RSVP-TE, One Last Time",
    ];
    let pos = positions(&text, &order);
    assert!(
        pos.windows(2).all(|w| w[0] < w[1]),
        "not newest first:\n{text}"
    );
    assert!(
        !text.contains("Syndicated: BGP"),
        "the syndicated copy is collapsed:\n{text}"
    );
    let bgp = &text[pos[2]..pos[3]];
    assert!(
        bgp.contains("Packet Mill") && bgp.contains("Edge Notes"),
        "both sources named:\n{bgp}"
    );
    assert!(
        bgp.contains("Continue reading: https://packetmill.example/2026/11/bgp-route-reflectors/"),
        "{bgp}"
    );
    assert!(
        !bgp.contains('→') && bgp.matches("Continue reading").count() == 1,
        "the publisher's own \"Continue reading →\" is not repeated:\n{bgp}"
    );
    assert!(
        bgp.contains("Route reflectors solve the full-mesh problem of iBGP"),
        "{bgp}"
    );
    // Entities outside CDATA and a bare & decoded; no markup left in the text.
    assert!(
        text.contains("filters you’ll actually use » part 2"),
        "{text}"
    );
    assert!(text.contains("Capture only SYNs & RSTs"), "{text}");
    assert!(
        text.contains("Continue reading: https://opslog.example/tcpdump-filters-2?a=1&b=2"),
        "{text}"
    );
    assert!(
        text.contains("Un réseau à la française, expliqué au comptoir."),
        "{text}"
    );
    assert!(
        !text.contains("&nbsp;") && !text.contains("&amp;") && !text.contains("<p>"),
        "{text}"
    );
    // 12 distinct titles + the ops log entry = 13 entries, each with its "Continue reading".
    assert_eq!(text.matches("Continue reading").count(), 13, "{text}");

    // --limit, --category, --since.
    let two = env.ok(&["digest", "--limit", "2"]);
    assert_eq!(two.matches("Continue reading").count(), 2, "{two}");
    let podcasts = env.ok(&["digest", "--category", "Podcasts"]);
    assert_eq!(
        podcasts.matches("Continue reading").count(),
        2,
        "{podcasts}"
    );
    let networking = env.ok(&["digest", "--category", "Networking"]);
    assert!(
        networking.contains("Leaf-Spine") && networking.contains("Tcpdump"),
        "sub-categories included"
    );
    assert!(!networking.contains("Episode 212"));
    let recent = env.ok(&["digest", "--since", "100years"]);
    assert_eq!(recent.matches("Continue reading").count(), 13);
    let none = env.ok(&["digest", "--since", "1s"]);
    assert_eq!(none.matches("Continue reading").count(), 0, "{none}");

    // HTML digest: self-contained, sanitized, titles linked.
    let html = env.ok(&["digest", "--format", "html"]);
    assert!(html.to_lowercase().starts_with("<!doctype html"), "{html}");
    assert!(html.contains("href=\"https://packetmill.example/2026/11/bgp-route-reflectors/\""));
    assert!(
        !html.contains("<script") && !html.contains("<link rel=\"stylesheet\""),
        "no external assets or scripts"
    );
    assert!(
        html.contains("Segment Routing &amp; the LDP Sunset"),
        "titles are escaped"
    );

    // Atom and RSS: valid for Python feedparser, content sanitized.
    for format in ["atom", "rss"] {
        let path = env.path(&format!("digest.{format}"));
        env.ok(&["digest", "--format", format, "-o", path.to_str().unwrap()]);
        let doc = std::fs::read_to_string(&path).unwrap();
        assert!(
            !doc.contains("document.write") && !doc.contains("onerror"),
            "{format}: unsanitized\n{doc}"
        );
        assert!(
            !doc.contains("javascript:alert"),
            "{format}: javascript: URL kept"
        );
        assert!(
            doc.contains("https://packetmill.example/wp-content/uploads/2026/11/rr.png"),
            "{format}: relative URLs in content resolve against the article"
        );
        assert!(
            doc.contains("youtube.com/embed/abc123"),
            "{format}: allowed video iframe dropped"
        );
        assert!(
            !doc.contains("evil.example/frame"),
            "{format}: foreign iframe kept"
        );
        assert!(
            !doc.contains("<form") && !doc.contains("&lt;form"),
            "{format}: form kept"
        );
        if let Some((_, count, titles)) = feedparser(&path) {
            assert_eq!(count, 13, "{format}: {titles:?}");
            assert!(
                titles.iter().any(|t| t == "“Café” – le réseau € bas prix"),
                "{titles:?}"
            );
        }
    }

    // JSON Feed 1.1 with podcast enclosures as attachments.
    let json: Value = serde_json::from_str(&env.ok(&["digest", "--format", "json"])).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 13);
    let ep = items
        .iter()
        .find(|i| i["title"] == "Episode 212: QUIC in Production")
        .unwrap();
    let att = &ep["attachments"][0];
    assert_eq!(att["url"], "https://cdn.packettalk.example/audio/pt212.mp3");
    assert_eq!(att["mime_type"], "audio/mpeg");
    assert_eq!(att["size_in_bytes"], 48213334);
    assert_eq!(att["duration_in_seconds"], 3723);

    // Nothing is due right after a fetch.
    let out = env.ok(&["fetch"]);
    assert!(out.contains("fetched 0, not modified 0, failed 0"), "{out}");

    // Second fetch: every feed answers 304 to our conditional request.
    let out = env.ok(&["fetch", "--all"]);
    assert!(
        out.contains("fetched 0, not modified 8, failed 2, new entries 0"),
        "{out}"
    );
    assert_eq!(farm.state.total_not_modified(), 8);
    assert_eq!(farm.state.not_modified("/wordpress.xml"), 1);
    assert_eq!(
        farm.state.hits("/gone.xml"),
        1,
        "a disabled feed is not fetched again"
    );

    // The sites change generators: every guid re-issued for the same links.
    farm.state.reissue();
    let out = env.ok(&["fetch", "--all"]);
    assert!(
        out.contains("fetched 3, not modified 5, failed 2, new entries 0 (6 updated)"),
        "{out}"
    );
    let total: i64 = env
        .feeds_json()
        .iter()
        .map(|f| f["entry_count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 14, "re-issued guids must not duplicate entries");
    let text = env.ok(&["digest"]);
    assert_eq!(text.matches("Continue reading").count(), 13, "{text}");
    assert_eq!(
        text.matches("Leaf-Spine Sizing Without Spreadsheets\n")
            .count(),
        1
    );

    // Export: the moved feed under its new URL, nested categories; it imports back.
    let exported = env.path("export.opml");
    env.ok(&["export", "-o", exported.to_str().unwrap()]);
    let doc = std::fs::read_to_string(&exported).unwrap();
    assert!(
        doc.contains(&farm.url("/wordpress.xml")) && !doc.contains("/old/packetmill"),
        "{doc}"
    );
    assert!(
        doc.contains("text=\"Networking\"") && doc.contains("text=\"Blogs\""),
        "{doc}"
    );
    let stdout_export = env.ok(&["export"]);
    assert!(
        stdout_export.contains("<opml"),
        "export writes to stdout without -o"
    );
    let other = Env::new();
    let out = other.ok(&["import", exported.to_str().unwrap()]);
    assert!(out.contains("11 added, 0 skipped, 0 refused"), "{out}");
    let reimported = other.feeds_json();
    assert_eq!(
        feed_by_url(&reimported, &farm.url("/wordpress.xml"))["category"],
        "Networking/Blogs"
    );
}

#[test]
fn add_discovers_feeds_in_a_page_and_remove_unsubscribes() {
    let farm = start_farm();
    let env = Env::new();
    let out = env.ok(&["add", &farm.url("/blog.html"), "--category", "Fabric"]);
    assert!(
        out.contains(&format!(
            "added: Fabric Diaries <{}>",
            farm.url("/hugo.xml")
        )),
        "{out}"
    );
    assert!(
        out.contains(&farm.url("/comments.atom")),
        "other feeds of the page are listed: {out}"
    );
    assert!(out.contains("2 new entries"), "{out}");
    let feeds = env.feeds_json();
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0]["category"], "Fabric");
    assert_eq!(feeds[0]["entry_count"], 2);

    let out = env.ok(&["add", &farm.url("/hugo.xml")]);
    assert!(out.contains("already subscribed"), "{out}");

    // Not a feed, not a page with feeds.
    let out = env.run(&["add", &farm.url("/login.html")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("neither a feed nor a page that links to one"));

    // Only http(s).
    let out = env.run(&["add", "ftp://files.example/feed.xml"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported URL scheme"), "{err}");

    // Loopback is refused unless private networks are allowed.
    let out = env
        .cmd(&["add", &farm.url("/hugo.xml")])
        .env("TRIBUTARY_ALLOW_PRIVATE_NETWORKS", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused") && err.contains("loopback"), "{err}");

    // fetch of one given feed; of a feed not subscribed.
    let out = env.ok(&["fetch", &farm.url("/hugo.xml")]);
    assert!(out.contains("not modified 1"), "{out}");
    let out = env.run(&["fetch", &farm.url("/nope.xml")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not subscribed"));

    // remove by URL; then nothing is left.
    let out = env.ok(&["remove", &farm.url("/hugo.xml")]);
    assert!(out.contains("removed"), "{out}");
    assert!(env.feeds_json().is_empty());
    assert_eq!(env.ok(&["digest"]).matches("Continue reading").count(), 0);
    let out = env.run(&["remove", &farm.url("/hugo.xml")]);
    assert!(!out.status.success(), "removing twice is an error");
}

#[test]
fn bad_input_gets_clear_errors_and_imports_nothing() {
    let env = Env::new();
    // Malformed OPML: the error names the file; nothing half-imported.
    let bad = env.path("broken.opml");
    std::fs::write(
        &bad,
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><body><outline xmlUrl=\"http://a.example/feed\"/><outline xmlUrl=\"http://b.example/feed\">",
    )
    .unwrap();
    let out = env.run(&["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.opml") && err.contains("nothing was imported"),
        "{err}"
    );
    assert!(env.feeds_json().is_empty(), "nothing half-imported");

    // Not OPML at all, and a missing file.
    let html = env.path("page.opml");
    std::fs::write(&html, "<html><body>hello</body></html>").unwrap();
    let err =
        String::from_utf8_lossy(&env.run(&["import", html.to_str().unwrap()]).stderr).into_owned();
    assert!(
        err.contains("page.opml") && err.to_lowercase().contains("opml"),
        "{err}"
    );
    let err = String::from_utf8_lossy(&env.run(&["import", "/nonexistent/subs.opml"]).stderr)
        .into_owned();
    assert!(err.contains("/nonexistent/subs.opml"), "{err}");

    // An unsupported database URL.
    let out = env
        .cmd(&["feeds"])
        .env("TRIBUTARY_DATABASE", "mysql://localhost/x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mysql://localhost/x"));

    // An unknown digest format is refused by the argument parser.
    let out = env.run(&["digest", "--format", "xml"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("xml"));
}

#[test]
fn parse_prints_one_feed_and_json_feed() {
    let env = Env::new();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let win = fixtures.join("win1252.xml");
    let out = env.ok(&["parse", win.to_str().unwrap()]);
    assert!(out.contains("Café Réseau"), "{out}");
    assert!(out.contains("“Café” – le réseau € bas prix"), "{out}");

    let podcast = fixtures.join("podcast.xml");
    let json: Value =
        serde_json::from_str(&env.ok(&["parse", podcast.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["title"], "Packet Talk");
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "Episode 212: QUIC in Production");
    assert_eq!(items[0]["attachments"][0]["duration_in_seconds"], 3723);
    assert_eq!(items[1]["attachments"][0]["duration_in_seconds"], 2890);

    let login = fixtures.join("login.html");
    let out = env.run(&["parse", login.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a feed"));
    assert!(!env.path("tributary.db").exists(), "parse stores nothing");
}

/// `fetch` draws a progress bar when stderr is a terminal (here a
/// pseudo-terminal made by util-linux `script`), and none when it is not.
#[test]
fn progress_bar_only_on_a_terminal() {
    let farm = start_farm();
    let env = Env::new();
    env.ok(&["add", &farm.url("/hugo.xml"), "--no-fetch"]);
    env.ok(&["add", &farm.url("/podcast.xml"), "--no-fetch"]);

    let piped = env.run(&["fetch", "--all"]);
    assert!(piped.status.success());
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !stderr.contains("feeds"),
        "no bar when stderr is not a terminal: {stderr:?}"
    );

    let command = format!("{} fetch --all", env!("CARGO_BIN_EXE_tributary"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TRIBUTARY_DATABASE", env.db_url())
        .env("TRIBUTARY_ALLOW_PRIVATE_NETWORKS", "1")
        .output()
        .expect("util-linux `script` runs the command on a pseudo-terminal");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("2/2 feeds"),
        "a progress bar on a terminal: {screen:?}"
    );
    assert!(screen.contains("not modified 2"), "{screen:?}");
}
