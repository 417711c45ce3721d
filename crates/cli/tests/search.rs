//! `tributary search`, the real binary: entries fetched from loopback feeds
//! are found by words of their titles, content and authors, in rank order,
//! with filters (feed, category, unread, starred, since), `--json`, and plain
//! errors for queries and filters that cannot work.

mod common;

use std::process::Output;

use chrono::{Duration, Utc};
use common::{rss, start_feeds, Env, Feeds};
use tributary_model::EntryId;
use tributary_store::{RiverQuery, Store};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Two feeds, one in the category `Net`, fetched into a fresh database.
fn seeded() -> (Env, Feeds) {
    let feeds = start_feeds();
    let recent = (Utc::now() - Duration::hours(1)).to_rfc2822();
    feeds.set(
        "/fabric.xml",
        &rss(
            "Fabric notes",
            &[
                (
                    "f1",
                    "Kubernetes networking in depth",
                    "Pods, services and the CNI.",
                    &recent,
                ),
                (
                    "f2",
                    "Leaf and spine sizing",
                    "How many spine switches a fabric needs.",
                    "Mon, 02 Nov 2020 10:00:00 GMT",
                ),
            ],
        ),
    );
    feeds.set(
        "/kitchen.xml",
        &rss(
            "Kitchen log",
            &[
                (
                    "k1",
                    "Sourdough at altitude",
                    "Even kubernetes engineers bake bread.",
                    &recent,
                ),
                (
                    "k2",
                    "Knife care",
                    "Sharpen before the spine dulls.",
                    "Tue, 03 Nov 2020 10:00:00 GMT",
                ),
            ],
        ),
    );
    let env = Env::new();
    env.ok(&["add", &feeds.url("/fabric.xml"), "--category", "Net"]);
    env.ok(&["add", &feeds.url("/kitchen.xml")]);
    (env, feeds)
}

/// Titles of `search ARGS --json`, in order.
fn titles(env: &Env, args: &[&str]) -> Vec<String> {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    all.push("--json");
    let text = env.ok(&all);
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_owned())
        .collect()
}

fn entry_id(env: &Env, title: &str) -> EntryId {
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let me = store.default_user().await.unwrap();
        let items = store.river(me, &RiverQuery::default()).await.unwrap();
        store.close().await;
        items
            .into_iter()
            .find(|i| i.entry.title == title)
            .expect("entry stored")
            .entry
            .id
    })
}

#[test]
fn finds_fetched_entries_in_rank_order_with_hits_marked() {
    let (env, feeds) = seeded();
    let out = env.ok(&["search", "kubernetes"]);
    let first = out.lines().next().unwrap_or_default();
    // The title match ranks above the mention in a body.
    assert_eq!(first, "1. Kubernetes networking in depth", "{out}");
    assert!(out.contains("Fabric notes · "), "{out}");
    assert!(
        out.contains("[Kubernetes]") || out.contains("[kubernetes]"),
        "{out}"
    );
    assert!(out.contains("https://blog.example/f1"), "{out}");
    assert!(out.contains("2. Sourdough at altitude"), "{out}");
    assert!(!out.contains("Knife care"), "{out}");

    let text = env.ok(&["search", "spine", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["total"], 2);
    let hit = &v["hits"][0];
    assert_eq!(hit["title"], "Leaf and spine sizing");
    assert_eq!(hit["source"], "Fabric notes");
    assert_eq!(hit["url"], "https://blog.example/f2");
    assert!(
        hit["snippet"].as_str().unwrap().contains("[spine]"),
        "{hit}"
    );
    assert!(
        hit["published"].as_str().unwrap().starts_with("2020-11-02"),
        "{hit}"
    );

    let none = env.ok(&["search", "zeppelin"]);
    assert_eq!(none.trim(), "nothing matches \"zeppelin\"");
    drop(feeds);
}

#[test]
fn filters_narrow_the_results() {
    let (env, feeds) = seeded();
    assert_eq!(
        titles(&env, &["spine", "--feed", &feeds.url("/kitchen.xml")]),
        ["Knife care"]
    );
    assert_eq!(
        titles(&env, &["spine", "--category", "Net"]),
        ["Leaf and spine sizing"]
    );
    assert_eq!(titles(&env, &["kubernetes", "--since", "1d"]).len(), 2);
    assert_eq!(
        titles(&env, &["spine", "--since", "1d"]),
        Vec::<String>::new()
    );
    assert_eq!(titles(&env, &["spine", "--limit", "1"]).len(), 1);

    let read = entry_id(&env, "Leaf and spine sizing");
    let starred = entry_id(&env, "Knife care");
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let me = store.default_user().await.unwrap();
        store.set_read(me, read, true).await.unwrap();
        store.set_starred(me, starred, true).await.unwrap();
        store.close().await;
    });
    assert_eq!(titles(&env, &["spine", "--unread"]), ["Knife care"]);
    assert_eq!(
        titles(&env, &["spine OR kubernetes", "--starred"]),
        ["Knife care"]
    );
}

#[test]
fn bad_queries_and_filters_are_refused_in_plain_words() {
    let (env, _feeds) = seeded();
    let out = env.run(&["search", "   "]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot search for"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["search", "spine", "--category", "Nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("unknown category \"Nope\"") && err.contains("Net"),
        "{err}"
    );

    let out = env.run(&["search", "spine", "--feed", "https://nope.example/feed"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("you do not follow"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["search", "spine", "--since", "soon"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses a bad duration");
}
