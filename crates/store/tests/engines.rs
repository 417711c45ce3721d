//! What is the same on both engines by design rather than by query: fetch
//! claims (leases and per-host tokens, also under concurrent claimers),
//! refusing a database a newer version migrated, and connection errors
//! that never show a password. Runs on SQLite, and on PostgreSQL when
//! `TRIBUTARY_TEST_POSTGRES` is set (scripts/test.sh sets it).

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tributary_model::FeedId;
use tributary_store::testing::scratch;
use tributary_store::{Claim, FetchClaim, FetchFailure, FetchUnchanged, Store, StoreError};

use common::{follow, store};

fn claim<'a>(worker: &'a str, host: &'a str, per_host: usize) -> FetchClaim<'a> {
    FetchClaim {
        worker,
        host,
        per_host,
        lease: Duration::from_secs(60),
        due_only: true,
    }
}

fn unchanged(next_in: chrono::Duration) -> FetchUnchanged {
    let now = Utc::now();
    FetchUnchanged {
        fetched_at: now,
        next_fetch_at: now + next_in,
        next_fetch_reason: "test".to_owned(),
        etag: None,
        last_modified: None,
        moved_to: None,
    }
}

async fn feeds(store: &Store, n: usize, host: &str) -> Vec<FeedId> {
    let user = store.default_user().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(follow(store, user, &format!("https://{host}/feed/{i}.xml"), &[]).await);
    }
    ids
}

#[tokio::test]
async fn a_claimed_feed_is_nobody_elses_until_its_outcome_is_stored() {
    let (store, _db) = store().await;
    let feed = feeds(&store, 1, "a.example").await[0];
    let now = Utc::now();

    let first = store
        .claim_fetch(feed, &claim("w1", "a.example", 2), now)
        .await
        .unwrap();
    let Claim::Claimed(got) = first else {
        panic!("a new feed is due and free: {first:?}")
    };
    assert_eq!(got.id, feed);
    match store
        .claim_fetch(feed, &claim("w2", "a.example", 2), now)
        .await
        .unwrap()
    {
        Claim::Taken { until } => assert!(until > now, "the lease runs into the future"),
        other => panic!("w2 must see w1's claim, got {other:?}"),
    }

    // w1 stores a 304: the claim ends, and the feed is not due for an hour.
    store
        .record_not_modified(feed, unchanged(chrono::Duration::hours(1)))
        .await
        .unwrap();
    match store
        .claim_fetch(feed, &claim("w2", "a.example", 2), Utc::now())
        .await
        .unwrap()
    {
        Claim::NotDue { next } => assert!(next > Utc::now() + chrono::Duration::minutes(59)),
        other => panic!("fetched by w1, so not due: {other:?}"),
    }
    // Not asking for due feeds (fetch --all), w2 gets it.
    let all = FetchClaim {
        due_only: false,
        ..claim("w2", "a.example", 2)
    };
    assert!(matches!(
        store.claim_fetch(feed, &all, Utc::now()).await.unwrap(),
        Claim::Claimed(_)
    ));
    // A failure ends the claim too.
    let failure = FetchFailure {
        fetched_at: Utc::now(),
        next_fetch_at: Utc::now(),
        next_fetch_reason: "backoff".to_owned(),
        code: "http_500".to_owned(),
        message: "server error".to_owned(),
        disable: false,
        mark_error: false,
    };
    store.record_failure(feed, &failure).await.unwrap();
    assert!(matches!(
        store
            .claim_fetch(feed, &claim("w3", "a.example", 2), Utc::now())
            .await
            .unwrap(),
        Claim::Claimed(_)
    ));

    assert_eq!(
        store
            .claim_fetch(FeedId(987_654), &claim("w1", "a.example", 2), now)
            .await
            .unwrap(),
        Claim::Gone
    );
}

#[tokio::test]
async fn a_dead_workers_claim_lapses_and_release_frees_at_once() {
    let (store, _db) = store().await;
    let ids = feeds(&store, 2, "b.example").await;
    let short = FetchClaim {
        lease: Duration::from_millis(300),
        ..claim("dead", "b.example", 2)
    };
    assert!(matches!(
        store.claim_fetch(ids[0], &short, Utc::now()).await.unwrap(),
        Claim::Claimed(_)
    ));
    assert!(matches!(
        store
            .claim_fetch(ids[0], &claim("alive", "b.example", 2), Utc::now())
            .await
            .unwrap(),
        Claim::Taken { .. }
    ));
    // "dead" never reports back; after its lease the feed is free.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        store
            .claim_fetch(ids[0], &claim("alive", "b.example", 2), Utc::now())
            .await
            .unwrap(),
        Claim::Claimed(_)
    ));

    // A claim given up is free for others at once, its host token too.
    assert!(
        matches!(
            store
                .claim_fetch(ids[1], &claim("w1", "b.example", 1), Utc::now())
                .await
                .unwrap(),
            Claim::HostBusy
        ),
        "alive holds b.example's one token (per_host 1)"
    );
    store.release_fetch(ids[0]).await.unwrap();
    assert!(matches!(
        store
            .claim_fetch(ids[1], &claim("w1", "b.example", 1), Utc::now())
            .await
            .unwrap(),
        Claim::Claimed(_)
    ));
}

#[tokio::test]
async fn the_per_host_limit_counts_every_workers_fetches() {
    let (store, _db) = store().await;
    let same = feeds(&store, 4, "c.example").await;
    let other = feeds(&store, 1, "d.example").await[0];
    let now = Utc::now();
    for (i, feed) in same.iter().take(2).enumerate() {
        let worker = format!("w{i}");
        assert!(matches!(
            store
                .claim_fetch(*feed, &claim(&worker, "c.example", 2), now)
                .await
                .unwrap(),
            Claim::Claimed(_)
        ));
    }
    // Two fetches from c.example run (by two workers): a third waits.
    assert_eq!(
        store
            .claim_fetch(same[2], &claim("w9", "c.example", 2), now)
            .await
            .unwrap(),
        Claim::HostBusy
    );
    // Another host is not affected.
    assert!(matches!(
        store
            .claim_fetch(other, &claim("w9", "d.example", 2), now)
            .await
            .unwrap(),
        Claim::Claimed(_)
    ));
    // One of the two stores its outcome: its token is free for the third.
    store
        .record_not_modified(same[0], unchanged(chrono::Duration::hours(1)))
        .await
        .unwrap();
    assert!(matches!(
        store
            .claim_fetch(same[2], &claim("w9", "c.example", 2), now)
            .await
            .unwrap(),
        Claim::Claimed(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claimers_racing_for_one_feed_or_one_host_never_both_win() {
    let (store, _db) = store().await;
    let ids = feeds(&store, 12, "race.example").await;
    let store = Arc::new(store);

    // 16 workers at once for one feed: exactly one wins.
    let mut tasks = Vec::new();
    for w in 0..16 {
        let store = store.clone();
        let feed = ids[0];
        tasks.push(tokio::spawn(async move {
            let name = format!("w{w}");
            store
                .claim_fetch(feed, &claim(&name, "race.example", 16), Utc::now())
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Claim::Claimed(_) => won += 1,
            Claim::Taken { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1, "one feed, one winner");

    // 11 other feeds of the same host, per-host limit 3, all at once: 3 win.
    store.release_fetch(ids[0]).await.unwrap();
    let mut tasks = Vec::new();
    for (w, feed) in ids[1..].iter().copied().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("h{w}");
            store
                .claim_fetch(feed, &claim(&name, "race.example", 3), Utc::now())
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Claim::Claimed(_) => won += 1,
            Claim::HostBusy => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 3, "three tokens for race.example");
}

/// The first claims of a host create its tokens; claimers racing then must
/// not take the tokens appearing under them for a full host.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claimers_racing_at_a_hosts_first_claim_all_get_a_token_when_there_are_enough() {
    let (store, _db) = store().await;
    let store = Arc::new(store);
    for round in 0..5 {
        let host = format!("fresh{round}.example");
        let ids = feeds(&store, 24, &host).await;
        let mut tasks = Vec::new();
        for (w, feed) in ids.iter().copied().enumerate() {
            let (store, host) = (store.clone(), host.clone());
            tasks.push(tokio::spawn(async move {
                let name = format!("w{w}");
                store
                    .claim_fetch(feed, &claim(&name, &host, 32), Utc::now())
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            let got = t.await.unwrap();
            assert!(
                matches!(got, Claim::Claimed(_)),
                "{host}: 24 claims, 32 tokens, yet {got:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_version_is_refused() {
    let db = scratch().await.unwrap();
    let store = db.open().await.unwrap();
    store.close().await;
    drop(store);
    // A migration this build does not have, as a newer Tributary would leave it.
    let sql = "INSERT INTO _sqlx_migrations \
        (version, description, success, checksum, execution_time) \
        VALUES (29991231000000, 'from the future', TRUE, '\\x00', 1)";
    match db.engine() {
        "postgres" => {
            let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        _ => {
            let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
            sqlx::query(&sql.replace("'\\x00'", "x'00'"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
    match Store::open(db.url()).await {
        Err(
            e @ StoreError::NewerSchema {
                version: 29991231000000,
            },
        ) => {
            let text = e.to_string();
            assert!(text.contains("newer Tributary"), "{text}");
            assert!(text.contains("29991231000000"), "{text}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error_without_the_password() {
    // Port 9 on loopback: nothing listens there.
    let url = "postgres://tributary:hunter2-secret@127.0.0.1:9/tributary";
    let started = std::time::Instant::now();
    match Store::open(url).await {
        Err(e @ StoreError::Unreachable { .. }) => {
            let text = format!("{e} / {e:?}");
            assert!(!text.contains("hunter2"), "password shown: {text}");
            assert!(text.contains("127.0.0.1:9"), "names the server: {text}");
            assert!(text.contains("tributary:***@"), "{text}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "gives up within the connect timeout"
    );
    // A malformed URL names what is wrong, without the password either.
    match Store::open("postgres://u:hunter2@127.0.0.1:notaport/db").await {
        Err(e @ StoreError::BadUrl { .. }) => {
            let text = format!("{e} / {e:?}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        other => panic!("expected BadUrl, got {other:?}"),
    }
}
