//! The SSRF table (tests/ssrf/targets.rs) through the command line, with
//! the real binary and the default settings (no
//! `TRIBUTARY_ALLOW_PRIVATE_NETWORKS`, no `fetch.allowed_networks`):
//! `tributary add` (a feed, and a page's feed links: discovery),
//! `tributary import` (OPML, refused per outline with the reason) and
//! `tributary parse URL`. The CLI has no `discover` command; `add` of a
//! page is its discovery.
//!
//! Each refusal names its reason, nothing is stored, and the trap
//! listeners on 127.0.0.1/127.0.0.2/[::1] see no request. A site allowed
//! with `fetch.allowed_networks` can be added, its redirects and links to
//! private addresses cannot.

mod common;

#[path = "../../../tests/ssrf/targets.rs"]
mod targets;

use std::process::{Command, Output};

use common::Env;
use targets::{Row, Site, Trap};

/// The binary against `env`'s database, with the default fetch policy
/// (unlike `Env::cmd`, which allows private networks for the farm), and
/// `config` as its configuration file when given.
fn run(env: &Env, config: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tributary"));
    cmd.args(args)
        .env("TRIBUTARY_DATABASE", env.db_url())
        .env_remove("TRIBUTARY_ALLOW_PRIVATE_NETWORKS")
        .env_remove("TRIBUTARY_CONFIG")
        .env_remove("RUST_LOG")
        .env("HOME", env.dir.path());
    if let Some(text) = config {
        let path = env.path("config.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config").arg(path);
    }
    cmd.output().expect("run tributary")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The user's feeds (`feeds --json`).
fn feeds(env: &Env, config: Option<&str>) -> Vec<serde_json::Value> {
    let out = run(env, config, &["feeds", "--json"]);
    assert!(out.status.success(), "feeds --json: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `args` (with `url` appended) must fail, name `row`'s reason, and store nothing.
fn refused(env: &Env, config: Option<&str>, row: &Row, args: &[&str], url: &str) {
    let mut all: Vec<&str> = args.to_vec();
    all.push(url);
    let out = run(env, config, &all);
    let said = text(&out);
    assert!(
        !out.status.success(),
        "tributary {all:?} succeeded for target {}:\n{said}",
        row.name
    );
    assert!(
        !said.contains("panicked"),
        "tributary {all:?} panicked:\n{said}"
    );
    targets::assert_reason(row, &format!("tributary {}", args.join(" ")), &said);
    assert!(
        feeds(env, config).is_empty(),
        "tributary {all:?} stored a feed"
    );
}

/// An OPML list of these feeds.
fn opml(urls: &[String]) -> String {
    let outlines: String = urls
        .iter()
        .map(|u| {
            format!(
                "<outline type=\"rss\" text=\"t\" xmlUrl=\"{}\"/>",
                u.replace('&', "&amp;").replace('"', "&quot;")
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><head><title>t</title></head>\
         <body>{outlines}</body></opml>"
    )
}

#[test]
fn every_target_is_refused_by_default_by_add_import_and_parse() {
    let trap = Trap::start();
    let env = Env::new();
    let rows = targets::rows(trap.port);
    for row in &rows {
        refused(&env, None, row, &["add"], &row.url);
        refused(&env, None, row, &["add", "--no-fetch"], &row.url);
        refused(&env, None, row, &["parse"], &row.url);
    }

    // One OPML file with every row: each outline refused with its reason.
    let file = env.path("targets.opml");
    let urls: Vec<String> = rows.iter().map(|r| r.url.clone()).collect();
    std::fs::write(&file, opml(&urls)).unwrap();
    let out = run(&env, None, &["import", file.to_str().unwrap()]);
    let said = text(&out);
    assert!(out.status.success(), "import: {said}");
    assert!(
        said.contains(&format!("0 added, 0 skipped, {} refused", rows.len())),
        "{said}"
    );
    for row in &rows {
        let line = said
            .lines()
            .find(|l| l.starts_with(&format!("refused: {}: ", row.url)))
            .unwrap_or_else(|| panic!("import does not list {} as refused:\n{said}", row.url));
        targets::assert_reason(row, "tributary import", line);
    }
    assert!(feeds(&env, None).is_empty(), "import stored a feed");
    assert_eq!(trap.hits(), 0, "a refused target reached a trap listener");
}

#[test]
fn an_allowed_site_is_added_but_not_its_redirects_or_links_to_private_addresses() {
    let trap = Trap::start();
    let rows = targets::rows(trap.port);
    let redirects = targets::redirects(trap.port);
    let site = Site::start(rows.clone(), redirects.clone());
    let env = Env::new();
    let config = format!(
        "[fetch]\nallowed_networks = [\"{}\"]\n",
        targets::SITE_NETWORK
    );
    let config = Some(config.as_str());

    for (i, row) in redirects.iter().enumerate() {
        refused(
            &env,
            config,
            row,
            &["add"],
            &site.url(&format!("/redirect/{i}")),
        );
    }
    // Discovery: `add` of a page whose only feed link is a private address.
    for (i, row) in rows.iter().enumerate() {
        refused(
            &env,
            config,
            row,
            &["add"],
            &site.url(&format!("/page/{i}")),
        );
    }
    assert!(site.hits() > 0, "the allowed site was never reached");
    assert_eq!(
        trap.hits(),
        0,
        "a redirect or a link reached a trap listener"
    );

    // An OPML import keeps an allowed URL that redirects (where it goes is
    // known only by fetching); the fetch refuses the hop and the feed's
    // last error names the reason.
    let file = env.path("redirect.opml");
    std::fs::write(&file, opml(&[site.url("/redirect/0")])).unwrap();
    let out = run(&env, config, &["import", file.to_str().unwrap()]);
    assert!(
        text(&out).contains("1 added, 0 skipped, 0 refused"),
        "{}",
        text(&out)
    );
    run(&env, config, &["fetch", "--all"]);
    let listed = feeds(&env, config);
    targets::assert_reason(
        &redirects[0],
        "feeds --json last_error",
        listed[0]["last_error"].as_str().unwrap_or(""),
    );
    assert_eq!(trap.hits(), 0);
    let out = run(&env, config, &["remove", &site.url("/redirect/0")]);
    assert!(out.status.success(), "{}", text(&out));

    // The escape hatch works: the allowed site's feed is added and fetched.
    let out = run(&env, config, &["add", &site.url("/feed.xml")]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("fetched: 1 new entries"), "{said}");
    // And with allow_private_networks the trap itself can be added.
    let open = Some("[fetch]\nallow_private_networks = true\n");
    let out = run(&env, open, &["add", &trap.url("/feed.xml")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(trap.hits() > 0);
}
