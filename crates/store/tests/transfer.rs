//! `migrate-db` (tributary_store::transfer) over real databases: an
//! installation seeded through the public API is copied SQLite → SQLite
//! and SQLite → PostgreSQL → SQLite with identical checksums and identical
//! answers to the store's queries; a non-empty or foreign target is
//! refused unless forced; an interrupted copy continues; new rows on the
//! target get new ids; bad input is named.
//!
//! The PostgreSQL legs need `TRIBUTARY_TEST_POSTGRES` (scripts/test.sh sets
//! it); without it they are skipped, saying so. The tests whose target is
//! "the engine under test" (`testing::scratch`) run on both.

mod common;

use chrono::Duration;
use tributary_model::{FeedId, UserId};
use tributary_store::testing::{scratch, Scratch, POSTGRES_ENV};
use tributary_store::transfer::{
    self, check_schema, checksums, migrate, MigrateError, MigrateOptions, MigrateReport, Progress,
    Side, Start,
};
use tributary_store::{
    FetchFailure, FetchUnchanged, NewWebSub, RiverQuery, SearchQuery, Store, StoreError,
    SubscriptionSettings,
};

use common::{entry, fetch, follow, success, t};

/// Small batches, so every table is copied and checksummed across batch
/// boundaries (keys of one, two and three columns, repeated rows).
const BATCH: usize = 7;

fn opts() -> MigrateOptions {
    MigrateOptions {
        batch: BATCH,
        force: false,
    }
}

/// An SQLite file URL in `dir`.
fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}", dir.path().join(name).display())
}

/// A scratch PostgreSQL database, or `None` (printing why) without a server.
async fn postgres(test: &str) -> Option<Scratch> {
    match std::env::var(POSTGRES_ENV) {
        Ok(v) if !v.is_empty() => {
            let db = scratch().await.expect("scratch PostgreSQL database");
            assert_eq!(db.engine(), "postgres");
            Some(db)
        }
        _ => {
            eprintln!("{test}: skipping the PostgreSQL leg: {POSTGRES_ENV} is not set");
            None
        }
    }
}

async fn run(from: &str, to: &str, options: &MigrateOptions) -> MigrateReport {
    let mut events = 0usize;
    let report = migrate(from, to, options, &mut |_| events += 1)
        .await
        .unwrap_or_else(|e| panic!("migrate {from} → {to}: {e}"));
    assert!(events > 0, "progress was reported");
    report
}

fn assert_verified(report: &MigrateReport) {
    for t in &report.tables {
        assert!(t.ok(), "{} differs: {t:?}", t.table);
    }
    assert!(report.ok());
}

struct Seeded {
    users: Vec<UserId>,
    feeds: Vec<FeedId>,
    entries: usize,
}

/// An installation with a row in every table, through the public API:
/// users (admin, password, output token), nested categories, feeds shared
/// by users, a moved feed, entries with text to search, read and starred
/// states, a deleted entry, subscription settings, failures and repeated
/// fetch-log rows, API tokens and their sessions, a UI session, settings
/// and a WebSub subscription.
async fn seed(store: &Store) -> Seeded {
    let admin = store
        .create_user("admin", "$argon2id$v=19$fake-admin", true)
        .await
        .unwrap()
        .id;
    let ann = store
        .create_user("ann", "$argon2id$v=19$fake-ann", false)
        .await
        .unwrap()
        .id;
    let bob = store.ensure_user("bob").await.unwrap();
    store.output_token(ann).await.unwrap();

    let rust = follow(
        store,
        admin,
        "https://a.example/rust.xml",
        &["Tech", "Rust"],
    )
    .await;
    let news = follow(store, admin, "https://b.example/news.xml", &["News"]).await;
    let misc = follow(store, admin, "https://c.example/misc.xml", &[]).await;
    assert_eq!(
        follow(store, ann, "https://a.example/rust.xml", &["Code"]).await,
        rust
    );
    follow(store, ann, "https://b.example/news.xml", &[]).await;
    let gone = follow(store, bob, "https://d.example/gone.xml", &["Old/Stuff"]).await;

    let mut n = 0;
    for (feed, count, word) in [
        (rust, 30, "compiler"),
        (news, 20, "river"),
        (misc, 12, "café"),
    ] {
        let entries = (0..count)
            .map(|i| {
                let mut e = entry(
                    &format!("{}-{i}", feed.0),
                    &format!("{word} story {i}"),
                    &format!("<p>All about the {word}, part <b>{i}</b> — naïve Zürich.</p>"),
                    t(1 + (i % 20) as u32, (i % 24) as u32),
                );
                if i % 3 == 0 {
                    e.author = None;
                    e.summary_html = Some(String::new());
                }
                if i % 4 == 0 {
                    e.published_from_feed = false;
                }
                e
            })
            .collect();
        fetch(store, feed, t(21, 0), entries).await;
        n += count;
    }
    // A permanent move keeps the old URL.
    let mut moved = success(t(21, 1), vec![]);
    moved.moved_to = Some("https://c.example/misc-new.xml".into());
    store.record_success(misc, moved).await.unwrap();

    // Reading states: read, starred, read-then-unread.
    let river = store.river(admin, &RiverQuery::default()).await.unwrap();
    for (i, item) in river.iter().enumerate() {
        match i % 5 {
            0 => store.set_read(admin, item.entry.id, true).await.unwrap(),
            1 => store.set_starred(admin, item.entry.id, true).await.unwrap(),
            2 => {
                store.set_read(admin, item.entry.id, true).await.unwrap();
                store.set_read(admin, item.entry.id, false).await.unwrap();
            }
            _ => {}
        }
    }
    let river = store.river(ann, &RiverQuery::default()).await.unwrap();
    for item in river.iter().step_by(3) {
        store.set_read(ann, item.entry.id, true).await.unwrap();
    }
    // Full article content: a mode, a stored article, a failed one, a site rule.
    store
        .set_full_content(ann, rust, Some(tributary_store::FullContent::On))
        .await
        .unwrap();
    store
        .record_article(
            river[0].entry.id,
            "https://a.example/0",
            "<p>Whole.</p>",
            t(21, 3),
        )
        .await
        .unwrap();
    store
        .record_article_failure(
            river[2].entry.id,
            "https://a.example/2",
            "timeout",
            "timed out",
            t(21, 3),
            t(21, 4),
        )
        .await
        .unwrap();
    store
        .put_article_site(&tributary_store::ArticleSite {
            host: "a.example".into(),
            content_selector: "div.post".into(),
            remove_selectors: vec![".share".into(), ".ad".into()],
            created_at: t(21, 3),
        })
        .await
        .unwrap();
    // A deleted entry leaves a tombstone.
    store.delete_entry(river[1].entry.id).await.unwrap();
    n -= 1;

    store
        .update_subscription(
            ann,
            news,
            &SubscriptionSettings {
                title_override: Some("Ann's news".into()),
                category: None,
                min_interval_secs: Some(600),
                max_interval_secs: Some(86_400),
                paused: true,
            },
        )
        .await
        .unwrap();
    let cats = store.categories(admin).await.unwrap();
    let tech = cats.iter().find(|c| c.path == "Tech").unwrap();
    store
        .rename_category(admin, tech.id, "Technology")
        .await
        .unwrap();

    store
        .record_failure(
            gone,
            &FetchFailure {
                fetched_at: t(21, 2),
                next_fetch_at: t(22, 2),
                next_fetch_reason: "backoff after 1 error".into(),
                code: "http_gone".into(),
                message: "410 Gone".into(),
                disable: true,
                mark_error: false,
            },
        )
        .await
        .unwrap();
    // The same fetch-log row twice (a table without a key).
    for _ in 0..2 {
        store
            .record_not_modified(
                news,
                FetchUnchanged {
                    fetched_at: t(21, 3),
                    next_fetch_at: t(21, 4),
                    next_fetch_reason: "posts ~hourly".into(),
                    etag: Some("\"v1\"".into()),
                    last_modified: None,
                    moved_to: None,
                },
            )
            .await
            .unwrap();
    }

    // Rules, and what they did: a hidden entry, a tag.
    let rule = store
        .add_rule(
            admin,
            &tributary_store::NewRule {
                scope: tributary_store::RuleScope::All,
                action: "tag".into(),
                tag: Some("seen".into()),
                expression: "title:/x/ OR NOT enclosure:audio".into(),
            },
        )
        .await
        .unwrap();
    store
        .apply_rule_effects(&[tributary_store::RuleEffects {
            user: admin,
            hide: vec![river[3].entry.id],
            read: vec![],
            star: vec![],
            tags: vec![(river[4].entry.id, "seen".into())],
            acted: vec![(rule.id, 1)],
        }])
        .await
        .unwrap();

    let token = store
        .create_api_token(ann, "phone", &"ab".repeat(32), &"cd".repeat(16))
        .await
        .unwrap();
    store
        .create_api_token(admin, "reader", &"ef".repeat(32), &"01".repeat(16))
        .await
        .unwrap();
    let later = t(28, 0) + Duration::days(365);
    store
        .create_api_session(token.id, &"12".repeat(32), "csrf-api", later)
        .await
        .unwrap();
    store
        .create_session(admin, &"34".repeat(32), "csrf-ui", later)
        .await
        .unwrap();
    store
        .set_setting("planet.title", Some("Planet “Tributary”"))
        .await
        .unwrap();
    store.set_setting("planet.user", Some("ann")).await.unwrap();

    let sub = NewWebSub {
        hub_url: "https://hub.example/".into(),
        topic_url: "https://a.example/rust.xml".into(),
        callback_token: "k".repeat(40),
        secret: "s3cret".into(),
    };
    store
        .websub_request_subscription(rust, &sub, t(21, 5))
        .await
        .unwrap();
    store
        .websub_mark_verified(rust, 86_400, t(21, 6))
        .await
        .unwrap();

    // An e-mail digest with a send log (issue 9), and a claim (transient).
    let digest = tributary_store::DigestSettings {
        address: "ann@example.org".into(),
        frequency: tributary_store::DigestFrequency::Weekly,
        hour: 7,
        weekday: 2,
        timezone: Some("Europe/Zurich".into()),
        categories: Some(vec!["Tech".into(), String::new()]),
        enabled: true,
    };
    store
        .save_mail_digest(ann, &digest, t(21, 7))
        .await
        .unwrap();
    store
        .mail_record_failure(ann, t(21, 8), t(21, 9), 2, "cannot connect")
        .await
        .unwrap();
    let cursor = tributary_store::DigestCursor {
        created_at: t(21, 8),
        entry_id: 2,
    };
    store
        .mail_record_success(
            ann,
            t(21, 9),
            Some(cursor),
            false,
            2,
            tributary_store::MailResult::Sent,
            Some("<m@x>"),
        )
        .await
        .unwrap();
    store.mail_claim(ann, t(21, 10), t(21, 11)).await.unwrap();
    // A webhook with a pending batch and a logged failure.
    let hook = store
        .webhook_create(
            ann,
            &tributary_store::NewWebhook {
                url: "https://hooks.example/in".into(),
                secret: "w".repeat(40),
                category: Some("Tech".into()),
            },
            t(21, 7),
        )
        .await
        .unwrap();
    store
        .webhook_claim(hook.id, "seed", t(21, 7), t(21, 8))
        .await
        .unwrap()
        .unwrap();
    let batch = tributary_store::PendingBatch {
        delivery_id: "d-seed".into(),
        body: "{\"entries\":[]}".into(),
        last_entry_id: 1,
        entries: 1,
    };
    assert!(store
        .webhook_begin_batch(hook.id, "seed", &batch)
        .await
        .unwrap());
    store
        .webhook_record_attempt(
            hook.id,
            "seed",
            &tributary_store::DeliveryAttempt {
                at: t(21, 7),
                delivery_id: "d-seed".into(),
                kind: tributary_store::DeliveryKind::Entries,
                entries: 1,
                attempt: 1,
                status: Some(503),
                error: Some("HTTP 503".into()),
                duration_ms: 5,
            },
            tributary_store::AttemptEffect::Failed {
                next_attempt_at: t(21, 8),
            },
            tributary_store::LogRetention::default(),
        )
        .await
        .unwrap();

    Seeded {
        users: vec![admin, ann, bob],
        feeds: vec![rust, news, misc, gone],
        entries: n,
    }
}

/// How much of a search's answer a snapshot holds.
#[derive(Clone, Copy, PartialEq)]
enum Search {
    /// Every hit in order, with rank and snippet.
    Ranked,
    /// The total and the ids of the hits found.
    Found,
}

/// What the store answers about the installation, as text: users,
/// subscriptions with settings and unread counts, rivers, unread counts,
/// search, categories, API tokens, sessions, settings, WebSub, the fetch
/// queue.
async fn snapshot(store: &Store, seeded: &Seeded) -> String {
    snapshot_with(store, seeded, Search::Ranked).await
}

async fn snapshot_with(store: &Store, seeded: &Seeded, search: Search) -> String {
    let mut out = format!("{:#?}\n", store.users().await.unwrap());
    for &user in &seeded.users {
        out += &format!("{:#?}\n", store.subscription_views(user).await.unwrap());
        out += &format!("{:#?}\n", store.categories(user).await.unwrap());
        out += &format!(
            "{:#?}\n",
            store.river(user, &RiverQuery::default()).await.unwrap()
        );
        out += &format!("{:?}\n", store.unread_counts(user).await.unwrap());
        out += &format!("{:?}\n", store.unread_total(user).await.unwrap());
        for hook in store.webhooks(user).await.unwrap() {
            out += &format!("{hook:#?} {}\n", hook.secret);
            out += &format!(
                "{:#?}\n",
                store.webhook_log(user, hook.id, 100).await.unwrap()
            );
        }
        for text in ["river", "compiler OR café", "\"naïve zurich\"", "stor*"] {
            let found = store
                .search(
                    user,
                    &SearchQuery {
                        text: text.into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            if search == Search::Ranked {
                out += &format!("{text}: {found:#?}\n");
            } else {
                let mut ids: Vec<i64> = found.hits.iter().map(|h| h.item.entry.id.0).collect();
                ids.sort_unstable();
                out += &format!("{text}: {} {ids:?}\n", found.total);
            }
        }
        out += &format!("{:#?}\n", store.api_tokens(user).await.unwrap());
        out += &format!("{:#?}\n", store.mail_digest(user).await.unwrap());
        out += &format!("{:#?}\n", store.mail_log(user, 100).await.unwrap());
    }
    let far = t(1, 0);
    out += &format!(
        "{:?}\n",
        store.session(&"34".repeat(32), far).await.unwrap()
    );
    out += &format!(
        "{:?}\n",
        store.api_session(&"12".repeat(32), far).await.unwrap()
    );
    for key in ["planet.title", "planet.user"] {
        out += &format!("{key}: {:?}\n", store.setting(key).await.unwrap());
    }
    for &feed in &seeded.feeds {
        out += &format!("{:#?}\n", store.feed_by_id(feed).await.unwrap());
        out += &format!("{:#?}\n", store.websub_for_feed(feed).await.unwrap());
    }
    out += &format!(
        "{:#?}\n",
        store
            .feeds_to_fetch(&tributary_store::FeedSelector::All)
            .await
            .unwrap()
    );
    out += &format!("entries: {}\n", store.entry_count().await.unwrap());
    out
}

/// Seed an SQLite source in `dir`; returns its URL, what was seeded and its snapshot.
async fn seeded_source(dir: &tempfile::TempDir) -> (String, Seeded, String) {
    let url = sqlite_url(dir, "source.db");
    let store = Store::open(&url).await.unwrap();
    let seeded = seed(&store).await;
    let snap = snapshot(&store, &seeded).await;
    store.close().await;
    (url, seeded, snap)
}

async fn sums(url: &str) -> Vec<transfer::TableSum> {
    let store = Store::open(url).await.unwrap();
    let sums = checksums(&store, 100).await.unwrap();
    store.close().await;
    sums
}

#[tokio::test]
async fn the_copied_columns_are_the_schema_of_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&sqlite_url(&dir, "s.db")).await.unwrap();
    assert_eq!(check_schema(&store).await.unwrap(), Ok(()));
    store.close().await;
    if let Some(pg) = postgres("the_copied_columns_are_the_schema_of_both_engines").await {
        let store = pg.open().await.unwrap();
        assert_eq!(check_schema(&store).await.unwrap(), Ok(()));
        store.close().await;
    }
}

#[tokio::test]
async fn a_column_unknown_to_the_copy_stops_it_before_anything_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    let from = sqlite_url(&dir, "from.db");
    let store = Store::open(&from).await.unwrap();
    store.ensure_user("ann").await.unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&from).await.unwrap();
    sqlx::query("ALTER TABLE feeds ADD COLUMN colour TEXT")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let to = sqlite_url(&dir, "to.db");
    let err = migrate(&from, &to, &opts(), &mut |_| {})
        .await
        .expect_err("unknown column");
    match &err {
        MigrateError::Schema {
            side: Side::Source,
            problems,
            ..
        } => assert!(problems.contains("feeds.colour"), "{problems}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("feeds.colour"), "{err}");
    let target = Store::open(&to).await.unwrap();
    assert!(target.users().await.unwrap().is_empty());
    target.close().await;
}

#[tokio::test]
async fn sqlite_to_sqlite_copies_every_table_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (from, seeded, before) = seeded_source(&dir).await;
    let to = sqlite_url(&dir, "copy.db");

    let report = run(&from, &to, &opts()).await;
    assert_verified(&report);
    assert_eq!(report.start, Start::Fresh);
    let entries = report.tables.iter().find(|t| t.table == "entries").unwrap();
    assert_eq!(entries.copied, seeded.entries as u64);
    assert_eq!(
        report.indexed, seeded.entries as u64,
        "search index rebuilt"
    );
    for t in &report.tables {
        assert!(t.source.rows > 0, "the seed fills {}", t.table);
        assert_eq!(t.copied, t.source.rows, "{}", t.table);
    }
    let fetch_log = report
        .tables
        .iter()
        .find(|t| t.table == "fetch_log")
        .unwrap();
    assert!(fetch_log.source.rows >= 2);

    assert_eq!(sums(&from).await, sums(&to).await);
    let copy = Store::open(&to).await.unwrap();
    assert_eq!(snapshot(&copy, &seeded).await, before);
    assert!(copy
        .setting(transfer::MARKER)
        .await
        .unwrap()
        .unwrap()
        .ends_with("source.db"));
    copy.close().await;

    // Again: the copy is complete, so it is only verified.
    let again = run(&from, &to, &opts()).await;
    assert_verified(&again);
    assert_eq!(again.start, Start::Complete);
    assert_eq!(again.copied(), 0);
}

#[tokio::test]
async fn sqlite_to_postgres_to_sqlite_round_trips_with_identical_checksums() {
    let Some(pg) =
        postgres("sqlite_to_postgres_to_sqlite_round_trips_with_identical_checksums").await
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (from, seeded, before) = seeded_source(&dir).await;

    let there = run(&from, pg.url(), &opts()).await;
    assert_verified(&there);
    assert_eq!(there.indexed, seeded.entries as u64);
    // PostgreSQL answers alike (search finds the same entries; its rank
    // is PostgreSQL's own, so the order of equal hits is not compared).
    let source = Store::open(&from).await.unwrap();
    let expected = snapshot_with(&source, &seeded, Search::Found).await;
    source.close().await;
    let store = pg.open().await.unwrap();
    assert_eq!(
        snapshot_with(&store, &seeded, Search::Found).await,
        expected
    );
    store.close().await;
    let back_url = sqlite_url(&dir, "back.db");
    let back = run(pg.url(), &back_url, &opts()).await;
    assert_verified(&back);

    let (first, middle, last) = (
        sums(&from).await,
        sums(pg.url()).await,
        sums(&back_url).await,
    );
    assert_eq!(first, middle);
    assert_eq!(first, last);
    // The PostgreSQL copy's own markers are not carried into the next copy.
    let store = Store::open(&back_url).await.unwrap();
    assert_eq!(snapshot(&store, &seeded).await, before);
    assert!(store
        .setting(transfer::MARKER)
        .await
        .unwrap()
        .unwrap()
        .starts_with("postgres://"));
    store.close().await;
}

#[tokio::test]
async fn rows_created_on_the_target_after_a_copy_get_new_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (from, seeded, _) = seeded_source(&dir).await;
    let target = scratch().await.unwrap();
    assert_verified(&run(&from, target.url(), &opts()).await);

    let store = target.open().await.unwrap();
    let max_entry = store
        .river(seeded.users[0], &RiverQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|i| i.entry.id.0)
        .max()
        .unwrap();
    let carol = store
        .create_user("carol", "$argon2id$x", false)
        .await
        .unwrap();
    assert!(seeded.users.iter().all(|u| carol.id.0 > u.0), "{carol:?}");
    let feed = follow(
        &store,
        carol.id,
        "https://e.example/new.xml",
        &["Brand/New"],
    )
    .await;
    assert!(seeded.feeds.iter().all(|f| feed.0 > f.0));
    // A new entry in a copied feed and in the new one.
    fetch(
        &store,
        feed,
        t(22, 0),
        vec![entry("n1", "new", "<p>new</p>", t(22, 0))],
    )
    .await;
    follow(&store, carol.id, "https://a.example/rust.xml", &[]).await;
    fetch(
        &store,
        seeded.feeds[0],
        t(22, 1),
        vec![entry("n2", "newer", "<p>newer</p>", t(22, 1))],
    )
    .await;
    let river = store.river(carol.id, &RiverQuery::default()).await.unwrap();
    let new: Vec<_> = river
        .iter()
        .filter(|i| i.entry.title.starts_with("new"))
        .collect();
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|i| i.entry.id.0 > max_entry));
    let token = store
        .create_api_token(carol.id, "new phone", &"99".repeat(32), &"98".repeat(16))
        .await
        .unwrap();
    assert!(token.id > 2, "{token:?}");
    store.close().await;
}

#[tokio::test]
async fn a_non_empty_target_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (from, _, _) = seeded_source(&dir).await;
    let target = scratch().await.unwrap();
    let store = target.open().await.unwrap();
    store.ensure_user("someone").await.unwrap();
    store
        .set_setting("planet.title", Some("Mine"))
        .await
        .unwrap();
    store.close().await;

    let err = migrate(&from, target.url(), &opts(), &mut |_| {})
        .await
        .expect_err("non-empty target");
    assert!(matches!(err, MigrateError::NotEmpty { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("users: 1"), "{message}");
    assert!(message.contains("--force"), "{message}");
    // Nothing was touched.
    let store = target.open().await.unwrap();
    assert!(store.user_by_name("someone").await.unwrap().is_some());
    assert_eq!(store.setting(transfer::MARKER).await.unwrap(), None);
    store.close().await;

    let forced = run(
        &from,
        target.url(),
        &MigrateOptions {
            force: true,
            ..opts()
        },
    )
    .await;
    assert_eq!(forced.start, Start::Emptied);
    assert_verified(&forced);
    let store = target.open().await.unwrap();
    assert!(store.user_by_name("someone").await.unwrap().is_none());
    assert_eq!(
        store.setting("planet.title").await.unwrap().as_deref(),
        Some("Planet “Tributary”")
    );
    store.close().await;
}

#[tokio::test]
async fn a_copy_of_another_database_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _, _) = seeded_source(&dir).await;
    let b = sqlite_url(&dir, "b.db");
    let store = Store::open(&b).await.unwrap();
    store.ensure_user("bee").await.unwrap();
    store.close().await;
    let target = scratch().await.unwrap();
    assert_verified(&run(&a, target.url(), &opts()).await);

    let err = migrate(&b, target.url(), &opts(), &mut |_| {})
        .await
        .expect_err("a copy of a");
    match &err {
        MigrateError::OtherSource { other, .. } => assert!(other.ends_with("source.db")),
        other => panic!("{other:?}"),
    }
    let forced = run(
        &b,
        target.url(),
        &MigrateOptions {
            force: true,
            ..opts()
        },
    )
    .await;
    assert_verified(&forced);
    assert_eq!(forced.tables[0].target.rows, 1, "only b's user");
}

#[tokio::test]
async fn an_interrupted_copy_continues_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (from, seeded, _) = seeded_source(&dir).await;
    let target = scratch().await.unwrap();
    let to = target.url().to_owned();

    // The copy dies (a panic in its progress report) after a few batches
    // of entries: what was committed stays.
    let (f, t2) = (from.clone(), to.clone());
    let died = tokio::spawn(async move {
        let mut entry_batches = 0;
        let mut stop = move |p: Progress| {
            if let Progress::Rows {
                table: "entries", ..
            } = p
            {
                entry_batches += 1;
                if entry_batches == 3 {
                    panic!("interrupted");
                }
            }
        };
        migrate(&f, &t2, &opts(), &mut stop).await
    })
    .await;
    assert!(died.unwrap_err().is_panic());
    let partial = Store::open(&to).await.unwrap();
    assert_eq!(partial.entry_count().await.unwrap(), 3 * BATCH as i64);
    partial.close().await;

    let report = run(&from, &to, &opts()).await;
    assert_eq!(report.start, Start::Resumed);
    assert_verified(&report);
    let entries = report.tables.iter().find(|t| t.table == "entries").unwrap();
    assert_eq!(entries.copied as usize, seeded.entries - 3 * BATCH);
    let users = report.tables.iter().find(|t| t.table == "users").unwrap();
    assert_eq!(users.copied, 0, "copied before the interruption");
    let source = Store::open(&from).await.unwrap();
    let expected = snapshot_with(&source, &seeded, Search::Found).await;
    source.close().await;
    let copy = Store::open(&to).await.unwrap();
    assert_eq!(snapshot_with(&copy, &seeded, Search::Found).await, expected);
    copy.close().await;
    assert_eq!(sums(&from).await, sums(&to).await);
}

#[tokio::test]
async fn rows_that_share_a_key_are_copied_whole_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let from = sqlite_url(&dir, "log.db");
    let store = Store::open(&from).await.unwrap();
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed.xml", &[]).await;
    store.close().await;
    // fetch_log has no key: one fetch time with ten rows (more than a
    // batch), in an order the engines need not keep, between others.
    let pool = sqlx::SqlitePool::connect(&from).await.unwrap();
    let mut rows = Vec::new();
    for i in 0..4 {
        rows.push((format!("2026-11-01T0{i}:00:00.000000Z"), "new"));
    }
    for outcome in ["unchanged", "failed", "new", "failed", "unchanged"] {
        for _ in 0..2 {
            rows.push(("2026-11-01T05:00:00.000000Z".to_owned(), outcome));
        }
    }
    for i in 6..9 {
        rows.push((format!("2026-11-01T0{i}:00:00.000000Z"), "failed"));
    }
    for (at, outcome) in &rows {
        sqlx::query("INSERT INTO fetch_log (feed_id, at, outcome) VALUES (?, ?, ?)")
            .bind(feed.0)
            .bind(at)
            .bind(outcome)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let target = scratch().await.unwrap();
    let report = run(
        &from,
        target.url(),
        &MigrateOptions {
            batch: 3,
            force: false,
        },
    )
    .await;
    assert_verified(&report);
    let log = report
        .tables
        .iter()
        .find(|t| t.table == "fetch_log")
        .unwrap();
    assert_eq!(log.copied, rows.len() as u64);
    assert_eq!(log.target.rows, rows.len() as u64);
    // The same rows read in batches of another size give the same sum.
    let store = target.open().await.unwrap();
    let other = checksums(&store, 2).await.unwrap();
    store.close().await;
    assert_eq!(other.last().unwrap(), &log.source);
}

#[tokio::test]
async fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (from, _, _) = seeded_source(&dir).await;
    let err = |r: Result<MigrateReport, MigrateError>| r.expect_err("must fail");

    let same = err(migrate(
        &from,
        &from.replace("sqlite://", "sqlite:"),
        &opts(),
        &mut |_| {},
    )
    .await);
    assert!(
        matches!(same, MigrateError::SameDatabase { .. }),
        "{same:?}"
    );
    assert!(same.to_string().contains("same database"), "{same}");

    let scheme = err(migrate(&from, "mysql://db/x", &opts(), &mut |_| {}).await);
    assert!(
        matches!(
            scheme,
            MigrateError::BadUrl {
                side: Side::Target,
                ..
            }
        ),
        "{scheme:?}"
    );
    assert!(scheme.to_string().contains("mysql://db/x"), "{scheme}");

    let memory = err(migrate("sqlite::memory:", &from, &opts(), &mut |_| {}).await);
    assert!(memory.to_string().contains("in-memory"), "{memory}");

    let missing = sqlite_url(&dir, "nothing-here.db");
    let none = err(migrate(&missing, &sqlite_url(&dir, "t.db"), &opts(), &mut |_| {}).await);
    assert!(matches!(none, MigrateError::NoSource { .. }), "{none:?}");
    assert!(!dir.path().join("nothing-here.db").exists(), "not created");

    // A refused connection names the server, never the password.
    let refused = "postgres://tributary:hunter2secret@127.0.0.1:1/tributary";
    let down = err(migrate(&from, refused, &opts(), &mut |_| {}).await);
    match &down {
        MigrateError::Store {
            side: Side::Target,
            error: StoreError::Unreachable { .. },
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    let message = format!("{down} {down:?}");
    assert!(!message.contains("hunter2secret"), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
}

#[tokio::test]
async fn a_source_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (from, _, _) = seeded_source(&dir).await;
    let pool = sqlx::SqlitePool::connect(&from).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, \
         execution_time) VALUES (29991231000000, 'future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let err = migrate(&from, &sqlite_url(&dir, "t.db"), &opts(), &mut |_| {})
        .await
        .expect_err("newer schema");
    match &err {
        MigrateError::Store {
            side: Side::Source,
            error: StoreError::NewerSchema { version },
            ..
        } => assert_eq!(*version, 29991231000000),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("source database"), "{err}");
}
