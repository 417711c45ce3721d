//! `tributary publish DIR`, the real binary: the static planet of feeds
//! fetched from loopback, written only where bytes changed, with template
//! overrides used, and a broken override refused (file and line) before
//! anything is written.

mod common;

use std::path::Path;
use std::process::Output;

use common::{rss, start_feeds, Env, Feeds};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const FILES: [&str; 9] = [
    "index.html",
    "atom.xml",
    "rss.xml",
    "feed.json",
    "opml.xml",
    "category/net/index.html",
    "category/net/atom.xml",
    "category/food/index.html",
    "category/food/atom.xml",
];

fn seeded() -> (Env, Feeds) {
    let feeds = start_feeds();
    feeds.set(
        "/fabric.xml",
        &rss(
            "Fabric notes",
            &[(
                "f1",
                "Leaf and spine sizing",
                "Spines.",
                "Mon, 02 Nov 2026 10:00:00 GMT",
            )],
        ),
    );
    feeds.set(
        "/kitchen.xml",
        &rss(
            "Kitchen log",
            &[(
                "k1",
                "Sourdough at altitude",
                "Bread.",
                "Tue, 03 Nov 2026 10:00:00 GMT",
            )],
        ),
    );
    let env = Env::new();
    env.ok(&["add", &feeds.url("/fabric.xml"), "--category", "Net"]);
    env.ok(&["add", &feeds.url("/kitchen.xml"), "--category", "Food"]);
    (env, feeds)
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn writes_the_site_then_only_what_changed() {
    let (env, feeds) = seeded();
    let site = env.path("site");
    let dir = site.to_str().unwrap();
    let out = env.ok(&[
        "publish",
        dir,
        "--title",
        "Our planet",
        "--link",
        "https://planet.example/",
    ]);
    assert!(out.contains("wrote 9, unchanged 0"), "{out}");
    for path in FILES {
        assert!(site.join(path).is_file(), "{path} missing");
    }
    let index = read(&site, "index.html");
    assert!(index.contains("<title>Our planet</title>"), "{index}");
    assert!(index.contains("Leaf and spine sizing") && index.contains("Sourdough at altitude"));
    assert!(
        index.contains(r#"href="category/net/index.html""#),
        "{index}"
    );
    let atom: atom_syndication::Feed = read(&site, "atom.xml").parse().expect("Atom parses");
    assert_eq!(atom.entries.len(), 2);
    assert!(atom
        .links
        .iter()
        .any(|l| l.rel == "self" && l.href == "https://planet.example/atom.xml"));
    let net = read(&site, "category/net/index.html");
    assert!(
        net.contains("Leaf and spine sizing") && !net.contains("Sourdough"),
        "{net}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&site, "feed.json")).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
    assert!(read(&site, "opml.xml").contains(&feeds.url("/kitchen.xml")));

    // Nothing changed: nothing written.
    let out = env.ok(&[
        "publish",
        dir,
        "--title",
        "Our planet",
        "--link",
        "https://planet.example/",
    ]);
    assert!(out.contains("wrote 0, unchanged 9"), "{out}");

    // A new entry in Food: the river, its feeds and Food's page change; Net's do not.
    let net_before = (
        read(&site, "category/net/index.html"),
        read(&site, "category/net/atom.xml"),
    );
    feeds.set(
        "/kitchen.xml",
        &rss(
            "Kitchen log",
            &[
                (
                    "k2",
                    "Knife care",
                    "Steel.",
                    "Wed, 04 Nov 2026 10:00:00 GMT",
                ),
                (
                    "k1",
                    "Sourdough at altitude",
                    "Bread.",
                    "Tue, 03 Nov 2026 10:00:00 GMT",
                ),
            ],
        ),
    );
    env.ok(&["fetch", "--all"]);
    let out = env.ok(&[
        "publish",
        dir,
        "--title",
        "Our planet",
        "--link",
        "https://planet.example/",
    ]);
    assert!(out.contains("wrote 7, unchanged 2"), "{out}");
    assert_eq!(
        net_before,
        (
            read(&site, "category/net/index.html"),
            read(&site, "category/net/atom.xml")
        )
    );
    assert!(read(&site, "category/food/index.html").contains("Knife care"));
    assert!(read(&site, "index.html").contains("Knife care"));
    let leftovers: Vec<_> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn categories_limit_and_template_overrides() {
    let (env, _feeds) = seeded();
    let templates = env.path("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("index.html"),
        "<p>{{ site.title }}: {% for e in entries %}[{{ e.title }}]{% endfor %}</p>\n",
    )
    .unwrap();
    let site = env.path("site");
    let out = env.ok(&[
        "publish",
        site.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
        "--category",
        "Food",
        "--title",
        "Kitchen & co",
    ]);
    assert!(out.contains("wrote 7, unchanged 0"), "{out}");
    assert_eq!(
        read(&site, "index.html"),
        "<p>Kitchen &amp; co: [Sourdough at altitude]</p>\n"
    );
    assert!(!site.join("category/net").exists());
    assert!(read(&site, "category/food/index.html").contains("<!doctype html>"));

    let other = env.path("other");
    let out = env.ok(&["publish", other.to_str().unwrap(), "--limit", "1"]);
    assert!(out.contains("(1 entries"), "{out}");
    let atom: atom_syndication::Feed = read(&other, "atom.xml").parse().unwrap();
    assert_eq!(atom.entries.len(), 1);
    assert_eq!(
        atom.entries[0].title.value, "Sourdough at altitude",
        "the newest"
    );

    let out = env.run(&["publish", other.to_str().unwrap(), "--category", "Nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown category \"Nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_override_is_refused_before_anything_is_written() {
    let (env, _feeds) = seeded();
    let templates = env.path("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("category.html"),
        "{% extends \"layout.html\" %}\n{% block content %}\n{% for e in entries %}\n{% endblock %}\n",
    )
    .unwrap();
    let site = env.path("site");
    let out = env.run(&[
        "publish",
        site.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:", templates.join("category.html").display())),
        "{err}"
    );
    assert!(!site.exists(), "nothing may be written");

    std::fs::remove_file(templates.join("category.html")).unwrap();
    std::fs::write(templates.join("idnex.html"), "x").unwrap();
    let out = env.run(&[
        "publish",
        site.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("idnex.html"), "{}", stderr(&out));
    assert!(!site.exists());
}

#[test]
fn the_planet_is_the_planet_users_or_the_one_named() {
    let (env, feeds) = seeded();
    block_on(async {
        let store = tributary_store::Store::open(&env.db_url()).await.unwrap();
        let bob = store
            .create_user("bob", "not-a-real-hash", false)
            .await
            .unwrap();
        store
            .subscribe(
                bob.id,
                &[tributary_store::NewSubscription {
                    url: feeds.url("/kitchen.xml"),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
        store.set_setting("planet.user", Some("bob")).await.unwrap();
        store
            .set_setting("planet.title", Some("Bob's kitchen"))
            .await
            .unwrap();
        store.close().await;
    });
    let site = env.path("site");
    env.ok(&["publish", site.to_str().unwrap()]);
    let index = read(&site, "index.html");
    assert!(
        index.contains("<title>Bob&#39;s kitchen</title>"),
        "{index}"
    );
    assert!(
        index.contains("Sourdough at altitude") && !index.contains("Leaf and spine"),
        "{index}"
    );

    let mine = env.path("mine");
    env.ok(&["publish", mine.to_str().unwrap(), "--user", "default"]);
    assert!(read(&mine, "index.html").contains("Leaf and spine"));

    let out = env.run(&["publish", mine.to_str().unwrap(), "--user", "carol"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown user \"carol\""),
        "{}",
        stderr(&out)
    );
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
