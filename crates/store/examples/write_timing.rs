//! Timing of the write path (not a test): store FEEDS feeds × 20 entries
//! through `record_success`, 64 fetches in flight (so the group commit
//! batches them), into a fresh database file, and print how long it took.
//!
//! `cargo run --release -p tributary-store --example write_timing -- [FEEDS]`
//! (default 10,000). Uses only the API that existed before the search index
//! and fetch log, so the same file measures the write path before and after.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use tokio::sync::Semaphore;
use tributary_model::{FeedMeta, NewEntry};
use tributary_store::{FeedSelector, FetchSuccess, NewSubscription, Store};

fn entry(feed: usize, i: usize) -> NewEntry {
    let published = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        + Duration::minutes((feed * 20 + i) as i64);
    let title = format!("Entry {i} of feed {feed}: a title of several words");
    let body = format!(
        "<p>Paragraph one of entry {i} with <a href=\"https://x.example/{feed}/{i}\">a link</a> \
         and some <b>bold</b> words about networks, releases and gardens.</p>\
         <p>Paragraph two, a little longer, so the body is like a short post: \
         lorem ipsum dolor sit amet, consectetur adipiscing elit {feed} {i}.</p>"
    );
    NewEntry {
        key: format!("guid:{feed}-{i}"),
        guid: Some(format!("{feed}-{i}")),
        url: Some(format!("https://x.example/{feed}/{i}")),
        canonical_url: Some(format!("https://x.example/{feed}/{i}")),
        title: title.clone(),
        author: Some("Ann Author".into()),
        content_html: Some(body),
        summary_html: None,
        excerpt: title,
        published,
        published_from_feed: true,
        updated: None,
        enclosures: vec![],
        categories: vec![],
        content_hash: format!("h{feed}-{i}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let feeds: usize = std::env::args().nth(1).map_or(Ok(10_000), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let store = Store::open(&url).await?;
    let me = store.default_user().await?;
    let subs: Vec<NewSubscription> = (0..feeds)
        .map(|f| NewSubscription {
            url: format!("https://f{f}.example/feed"),
            ..Default::default()
        })
        .collect();
    for chunk in subs.chunks(1000) {
        store.subscribe(me, chunk).await?;
    }
    let all = store.feeds_to_fetch(&FeedSelector::All).await?;
    let in_flight = Arc::new(Semaphore::new(64));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(all.len());
    for (n, feed) in all.into_iter().enumerate() {
        let store = store.clone();
        let permit = in_flight.clone().acquire_owned().await?;
        tasks.push(tokio::spawn(async move {
            let now = Utc::now();
            let outcome = FetchSuccess {
                fetched_at: now,
                next_fetch_at: now + Duration::hours(1),
                next_fetch_reason: "timing".into(),
                schedule_hints: Default::default(),
                status_note: None,
                body_hash: None,
                moved_to: None,
                etag: None,
                last_modified: None,
                meta: FeedMeta::default(),
                entries: (0..20).map(|i| entry(n, i)).collect(),
            };
            let r = store.record_success(feed.id, outcome).await;
            drop(permit);
            r
        }));
    }
    for t in tasks {
        t.await??;
    }
    let took = started.elapsed();
    let entries = store.entry_count().await?;
    println!(
        "stored {feeds} feeds × 20 entries ({entries} entries) in {:.2} s: {:.0} entries/s, {:.0} feeds/s",
        took.as_secs_f64(),
        entries as f64 / took.as_secs_f64(),
        feeds as f64 / took.as_secs_f64()
    );
    let size = std::fs::metadata(dir.path().join("w.db"))?.len()
        + std::fs::metadata(dir.path().join("w.db-wal")).map_or(0, |m| m.len());
    println!("database file (+ WAL): {:.1} MB", size as f64 / 1e6);
    Ok(())
}
