//! How fast a backlog drains, and what an idle pass costs: `N` entries
//! (default 5000, over 10 feeds) stored in an SQLite file, one webhook to
//! the verifying loopback receiver, passes until every entry arrived.
//!
//!     cargo run --release -p tributary-webhooks --example throughput [N] [BATCH]
//!
//! Prints entries per second, the time per batch (select, store the
//! pending batch, sign, POST, record), and the time of a pass with nothing
//! to send (the worker's cost per tick and webhook).

use std::time::{Duration, Instant};

use chrono::Utc;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::{FeedMeta, NewEntry};
use tributary_store::{FetchSuccess, NewSubscription, NewWebhook, Store};
use tributary_webhooks::testing::Receiver;
use tributary_webhooks::{new_secret, Deliverer, WebhookConfig};

fn entry(feed: usize, i: usize) -> NewEntry {
    let guid = format!("f{feed}-e{i}");
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.clone()),
        url: Some(format!("https://f{feed}.example/{i}")),
        canonical_url: None,
        title: format!("Entry {i} of feed {feed}"),
        author: Some("Ann Author".into()),
        content_html: Some(format!("<p>{}</p>", "Some words of content. ".repeat(40))),
        summary_html: None,
        excerpt: "Some words of content.".into(),
        published: Utc::now(),
        published_from_feed: true,
        updated: None,
        enclosures: vec![],
        categories: vec!["bench".into()],
        content_hash: guid,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(5000), |a| a.parse())?;
    let batch: u32 = args.next().map_or(Ok(50), |a| a.parse())?;
    let feeds = 10;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ))
    .await?;
    let user = store.default_user().await?;
    let subs: Vec<NewSubscription> = (0..feeds)
        .map(|f| NewSubscription {
            url: format!("https://f{f}.example/feed"),
            ..Default::default()
        })
        .collect();
    store.subscribe(user, &subs).await?;
    let ids: Vec<_> = store
        .subscriptions(user)
        .await?
        .iter()
        .map(|s| s.feed.id)
        .collect();
    let secret = new_secret()?;
    let receiver = Receiver::start(&secret).await?;
    store
        .webhook_create(
            user,
            &NewWebhook {
                url: receiver.url(),
                secret,
                category: None,
            },
            Utc::now(),
        )
        .await?;
    // Store in fetches of 50 entries, round robin over the feeds.
    let per_feed = n.div_ceil(feeds);
    for chunk in 0..per_feed.div_ceil(50) {
        for (f, feed) in ids.iter().enumerate() {
            let entries: Vec<NewEntry> = (chunk * 50..((chunk + 1) * 50).min(per_feed))
                .map(|i| entry(f, i))
                .collect();
            let now = Utc::now();
            store
                .record_success(
                    *feed,
                    FetchSuccess {
                        fetched_at: now,
                        next_fetch_at: now + chrono::Duration::hours(1),
                        next_fetch_reason: "bench".into(),
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
                .await?;
        }
    }
    let total = per_feed * feeds;
    let fetcher = Fetcher::new(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })?;
    let deliverer = Deliverer::new(
        store.clone(),
        fetcher,
        WebhookConfig {
            settle: Duration::ZERO,
            batch_size: batch,
            ..WebhookConfig::default()
        },
    );
    let started = Instant::now();
    let mut batches = 0;
    while receiver.accepted_entry_ids().len() < total {
        let report = deliverer.pass(Utc::now(), false).await;
        if report.failures > 0 || !report.errors.is_empty() {
            return Err(format!("a pass failed: {report:?}").into());
        }
        batches += report.batches;
    }
    let took = started.elapsed();
    let got = receiver.accepted_entry_ids();
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), got.len(), "no entry twice");
    assert!(receiver.received().iter().all(|r| r.verified));
    let bytes: usize = receiver.received().iter().map(|r| r.body.len()).sum();
    println!(
        "{total} entries in {batches} batches of up to {batch}: {:.2} s, {:.0} entries/s, {:.1} ms per batch, {:.1} MB of JSON",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / batches as f64,
        bytes as f64 / 1e6
    );
    let idle = 200;
    let started = Instant::now();
    for _ in 0..idle {
        deliverer.pass(Utc::now(), false).await;
    }
    println!(
        "a pass with nothing to send: {:.2} ms (mean of {idle})",
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(idle)
    );
    Ok(())
}
