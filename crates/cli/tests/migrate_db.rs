//! `tributary migrate-db`, the real binary over real databases: a copy
//! killed (SIGKILL) half-way continues when the same command runs again and
//! verifies; the table of checksums; a non-empty target refused unless
//! --force; a source changed after its copy shows as MISMATCH (exit 1); bad
//! URLs and unreachable servers said plainly, never with a password.
//!
//! The target is the engine under test: an SQLite file, or a PostgreSQL
//! database when `TRIBUTARY_TEST_POSTGRES` is set (scripts/test.sh sets it).

mod common;

use std::process::{Output, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, TimeZone, Utc};
use common::Env;
use tributary_model::{FeedMeta, NewEntry};
use tributary_store::testing::scratch;
use tributary_store::transfer::checksums;
use tributary_store::{FetchSuccess, NewSubscription, RiverQuery, Store};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `feeds` feeds of `per_feed` entries each (a few KB of content apiece),
/// two users, read and starred states.
async fn seed(url: &str, feeds: usize, per_feed: usize) -> i64 {
    let store = Store::open(url).await.unwrap();
    let me = store.default_user().await.unwrap();
    let other = store
        .create_user("other", "$argon2id$fake", false)
        .await
        .unwrap()
        .id;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let body = "<p>Lorem ipsum dolor sit amet, a river of words. </p>".repeat(40);
    for f in 0..feeds {
        let url = format!("https://f{f}.example/feed.xml");
        for user in [me, other] {
            store
                .subscribe(
                    user,
                    &[NewSubscription {
                        url: url.clone(),
                        category: vec![format!("Cat {}", f % 3)],
                        ..Default::default()
                    }],
                )
                .await
                .unwrap();
        }
        let feed = store
            .subscriptions(me)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.feed.url == url)
            .unwrap()
            .feed
            .id;
        let entries = (0..per_feed)
            .map(|i| NewEntry {
                key: format!("guid:{f}-{i}"),
                guid: Some(format!("{f}-{i}")),
                url: Some(format!("https://f{f}.example/{i}")),
                canonical_url: Some(format!("https://f{f}.example/{i}")),
                title: format!("Post {i} of feed {f}"),
                author: (i % 2 == 0).then(|| "Ann".to_owned()),
                content_html: Some(body.clone()),
                summary_html: None,
                excerpt: format!("Post {i}"),
                published: t0 + Duration::minutes((f * per_feed + i) as i64),
                published_from_feed: true,
                updated: None,
                enclosures: vec![],
                categories: vec!["news".into()],
                content_hash: format!("h{f}-{i}"),
            })
            .collect();
        store
            .record_success(
                feed,
                FetchSuccess {
                    fetched_at: t0,
                    next_fetch_at: t0 + Duration::hours(1),
                    next_fetch_reason: "test".into(),
                    schedule_hints: Default::default(),
                    status_note: None,
                    body_hash: None,
                    moved_to: None,
                    etag: None,
                    last_modified: None,
                    meta: FeedMeta::default(),
                    entries,
                },
            )
            .await
            .unwrap();
    }
    let river = store.river(me, &RiverQuery::default()).await.unwrap();
    for item in river.iter().step_by(4) {
        store.set_read(me, item.entry.id, true).await.unwrap();
        store.set_starred(other, item.entry.id, true).await.unwrap();
    }
    let n = store.entry_count().await.unwrap();
    store.close().await;
    n
}

fn migrate_args<'a>(from: &'a str, to: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["migrate-db", "--from", from, "--to", to];
    args.extend_from_slice(extra);
    args
}

/// Every table line of the summary says ok.
fn assert_all_ok(out: &str) {
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.split_whitespace().last() == Some("ok"))
        .collect();
    // 13 tables, and issue 9's rules, entry_tags, webhooks, webhook_deliveries,
    // mail_digests, mail_log, article_sites and entry_articles.
    assert_eq!(lines.len(), 21, "21 tables verified:\n{out}");
    assert!(!out.contains("MISMATCH"), "{out}");
    assert!(out.contains("every table verified"), "{out}");
}

#[test]
fn a_copy_killed_half_way_continues_when_run_again() {
    let env = Env::new();
    // One runtime for the watcher's pool (a pool lives in the runtime that opened it).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let from = env.db_url();
    let total = block_on(seed(&from, 20, 150));
    assert_eq!(total, 3000);

    let mut attempt = 0;
    let target = loop {
        attempt += 1;
        assert!(attempt <= 5, "never caught the copy half-way");
        let target = block_on(scratch()).unwrap();
        // The target's schema exists before the copy starts, so counting
        // its entries meanwhile is a plain read.
        let watcher = rt.block_on(target.open()).unwrap();
        let mut child = env
            .cmd(&migrate_args(&from, target.url(), &["--batch", "50"]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut killed_at = None;
        while started.elapsed() < StdDuration::from_secs(120) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            let n = rt.block_on(watcher.entry_count()).unwrap();
            if n >= 500 {
                child.kill().unwrap(); // SIGKILL
                killed_at = Some(n);
                break;
            }
            std::thread::sleep(StdDuration::from_millis(2));
        }
        // Killed, or finished already (then kill says so, harmlessly).
        let _ = child.kill();
        child.wait().unwrap();
        let after = rt.block_on(watcher.entry_count()).unwrap();
        rt.block_on(watcher.close());
        match killed_at {
            Some(_) if after < total => {
                // Batches are atomic: whole batches only.
                assert_eq!(after % 50, 0, "{after} entries after the kill");
                break target;
            }
            _ => eprintln!("attempt {attempt}: the copy finished before it was killed"),
        }
    };

    let out = env.run(&migrate_args(&from, target.url(), &["--batch", "50"]));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("continued an interrupted copy"), "{text}");
    assert_all_ok(&text);

    let (a, b) = block_on(async {
        let source = Store::open(&from).await.unwrap();
        let copy = target.open().await.unwrap();
        let a = checksums(&source, 500).await.unwrap();
        let b = checksums(&copy, 500).await.unwrap();
        assert_eq!(copy.entry_count().await.unwrap(), total);
        source.close().await;
        copy.close().await;
        (a, b)
    });
    assert_eq!(a, b);
}

#[test]
fn a_non_empty_target_is_refused_and_force_replaces_it() {
    let env = Env::new();
    let from = env.db_url();
    block_on(seed(&from, 2, 5));
    let target = block_on(scratch()).unwrap();
    block_on(async {
        let store = target.open().await.unwrap();
        store.ensure_user("squatter").await.unwrap();
        store.close().await;
    });

    let out = env.run(&migrate_args(&from, target.url(), &[]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("is not empty (users: 1)"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let text = env.ok(&migrate_args(&from, target.url(), &["--force"]));
    assert!(text.contains("emptied the target"), "{text}");
    assert_all_ok(&text);
    block_on(async {
        let store = target.open().await.unwrap();
        assert!(store.user_by_name("squatter").await.unwrap().is_none());
        assert!(store.user_by_name("other").await.unwrap().is_some());
        store.close().await;
    });

    // Run again: complete already, verified only.
    let again = env.ok(&migrate_args(&from, target.url(), &[]));
    assert!(again.contains("verified only"), "{again}");
    assert_all_ok(&again);
}

#[test]
fn a_source_changed_after_its_copy_is_a_mismatch() {
    let env = Env::new();
    let from = env.db_url();
    block_on(seed(&from, 2, 5));
    let target = block_on(scratch()).unwrap();
    let first = env.ok(&migrate_args(&from, target.url(), &[]));
    assert_all_ok(&first);
    block_on(async {
        let store = Store::open(&from).await.unwrap();
        store
            .set_setting("planet.title", Some("changed"))
            .await
            .unwrap();
        store.close().await;
    });
    let out = env.run(&migrate_args(&from, target.url(), &[]));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let settings = text
        .lines()
        .find(|l| l.starts_with("settings "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(settings.ends_with("MISMATCH"), "{settings}");
    assert!(settings.contains("1≠0"), "{settings}");
    assert!(stderr(&out).contains("settings"), "{}", stderr(&out));
}

#[test]
fn bad_urls_and_unreachable_servers_are_named_without_passwords() {
    let env = Env::new();
    let from = env.db_url();
    block_on(seed(&from, 1, 2));

    let out = env.run(&migrate_args(&from, &from, &[]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the same database"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&migrate_args(&from, "mysql://me:pw@db/x", &[]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("target database URL"), "{err}");
    assert!(err.contains("postgres://"), "says what is expected: {err}");

    let missing = format!("sqlite://{}", env.path("missing.db").display());
    let out = env.run(&migrate_args(
        &missing,
        &format!("sqlite://{}", env.path("t.db").display()),
        &[],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));

    let out = env.run(&migrate_args(
        &from,
        "postgres://tributary:hunter2secret@127.0.0.1:1/tributary",
        &[],
    ));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cannot connect"), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2secret"), "{err}");
    assert!(!stdout(&out).contains("hunter2secret"));

    let help = env.ok(&["migrate-db", "--help"]);
    for word in ["--from", "--to", "--batch", "--force", "interrupted"] {
        assert!(help.contains(word), "{word}: {help}");
    }
}
