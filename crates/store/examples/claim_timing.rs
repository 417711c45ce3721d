//! Timing of fetch claims (not a test): what claiming costs per fetch.
//!
//! Subscribes FEEDS feeds spread over 8 hosts, then stores a 304 for every
//! feed twice, 32 at a time: once without claiming (the write a fetch makes
//! anyway) and once claiming each feed first (`claim_fetch`, then the 304,
//! whose transaction releases the claim). Prints both times and the
//! difference per fetch.
//!
//! `cargo run --release -p tributary-store --example claim_timing -- [FEEDS] [DATABASE_URL]`
//! (default 10,000 feeds; the database default is a scratch SQLite file, or a
//! scratch PostgreSQL database when TRIBUTARY_TEST_POSTGRES is set).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Semaphore;
use tributary_model::FeedId;
use tributary_store::{Claim, FeedSelector, FetchClaim, FetchUnchanged, NewSubscription, Store};

const IN_FLIGHT: usize = 32;

fn unchanged() -> FetchUnchanged {
    let now = Utc::now();
    FetchUnchanged {
        fetched_at: now,
        next_fetch_at: now + chrono::Duration::hours(1),
        next_fetch_reason: "timing".into(),
        etag: Some("\"e\"".into()),
        last_modified: None,
        moved_to: None,
    }
}

async fn pass(store: &Store, feeds: &[(FeedId, String)], claim: bool) -> Duration {
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (id, host) in feeds.iter().cloned() {
        let store = store.clone();
        let permit = gate.clone().acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            if claim {
                let c = FetchClaim {
                    worker: "timing",
                    host: &host,
                    per_host: 64,
                    lease: Duration::from_secs(60),
                    due_only: false,
                };
                match store.claim_fetch(id, &c, Utc::now()).await.unwrap() {
                    Claim::Claimed(_) => {}
                    other => panic!("claim of {id}: {other:?}"),
                }
            }
            store.record_not_modified(id, unchanged()).await.unwrap();
            drop(permit);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let scratch;
    let url = match args.next() {
        Some(url) => url,
        None => {
            scratch = tributary_store::testing::scratch().await.unwrap();
            scratch.url().to_owned()
        }
    };
    let store = Store::open(&url).await.unwrap();
    let user = store.default_user().await.unwrap();
    let subs: Vec<NewSubscription> = (0..n)
        .map(|i| NewSubscription {
            url: format!("https://h{}.example/feed/{i}.xml", i % 8),
            ..Default::default()
        })
        .collect();
    store.subscribe(user, &subs).await.unwrap();
    let feeds: Vec<(FeedId, String)> = store
        .feeds_to_fetch(&FeedSelector::All)
        .await
        .unwrap()
        .into_iter()
        .map(|f| {
            let host = f.url.split('/').nth(2).unwrap_or_default().to_owned();
            (f.id, host)
        })
        .collect();
    // Warm up (first writes of every feed row), then measure.
    pass(&store, &feeds, false).await;
    let plain = pass(&store, &feeds, false).await;
    let claimed = pass(&store, &feeds, true).await;
    let per = (claimed.as_secs_f64() - plain.as_secs_f64()) / n as f64 * 1e6;
    println!(
        "{} feeds on {}: 304 alone {:.2} s, claim + 304 {:.2} s: the claim costs {:.0} µs per fetch ({:.0} claims/s on top)",
        n,
        store.engine(),
        plain.as_secs_f64(),
        claimed.as_secs_f64(),
        per,
        n as f64 / (claimed.as_secs_f64() - plain.as_secs_f64()).max(1e-9)
    );
    store.close().await;
}
