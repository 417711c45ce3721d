//! Timing of the reading queries (not a test): one user following 1,000
//! feeds in 10 categories with 100 entries each (100,000 entries), then each
//! query run RUNS times; prints the median and the 99th percentile.
//!
//! `cargo run --release -p tributary-store --example read_timing -- [RUNS]`

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use tributary_model::{FeedMeta, NewEntry};
use tributary_store::{
    EntryQuery, FetchSuccess, NewSubscription, ReadScope, SearchQuery, Store, View,
};

const FEEDS: usize = 1000;
const PER_FEED: usize = 100;

fn entry(feed: usize, i: usize) -> NewEntry {
    // Interleaved publication times, as in a real river.
    let published = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        + Duration::seconds((i * FEEDS + feed) as i64 * 300);
    let word = ["network", "release", "garden", "kernel", "coffee"][(feed + i) % 5];
    let title = format!("Entry {i} of feed {feed} about {word}");
    let rare = if feed == 7 && i == 7 {
        " quetzalcoatl"
    } else {
        ""
    };
    NewEntry {
        key: format!("guid:{feed}-{i}"),
        guid: Some(format!("{feed}-{i}")),
        url: Some(format!("https://x.example/{feed}/{i}")),
        canonical_url: Some(format!("https://x.example/{feed}/{i}")),
        title: title.clone(),
        author: Some("Ann Author".into()),
        content_html: Some(format!(
            "<p>Body of entry {i} on {word}{rare}, with <b>words</b> and a \
             <a href=\"https://x.example/\">link</a>; lorem ipsum dolor sit amet.</p>"
        )),
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

async fn time<F, Fut, T>(name: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    f().await; // warm the cache
    let mut ms: Vec<f64> = (0..runs).map(|_| 0.0).collect();
    for slot in ms.iter_mut() {
        let t = Instant::now();
        f().await;
        *slot = t.elapsed().as_secs_f64() * 1000.0;
    }
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<40} median {:>7.3} ms   p99 {:>7.3} ms",
        p(0.5),
        p(0.99)
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args().nth(1).map_or(Ok(200), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let store = Store::open(&url).await?;
    let me = store.default_user().await?;
    let subs: Vec<NewSubscription> = (0..FEEDS)
        .map(|f| NewSubscription {
            url: format!("https://f{f}.example/feed"),
            category: vec![format!("Cat {}", f % 10)],
            ..Default::default()
        })
        .collect();
    store.subscribe(me, &subs).await?;
    let feeds = store.subscriptions(me).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for sub in &feeds {
        let n: usize = sub.feed.url["https://f".len()..]
            .split('.')
            .next()
            .unwrap()
            .parse()?;
        let store = store.clone();
        let id = sub.feed.id;
        tasks.push(tokio::spawn(async move {
            let now = Utc::now();
            store
                .record_success(
                    id,
                    FetchSuccess {
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
                        entries: (0..PER_FEED).map(|i| entry(n, i)).collect(),
                    },
                )
                .await
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!(
        "stored {} entries in {:.1} s",
        store.entry_count().await?,
        started.elapsed().as_secs_f64()
    );

    // Some reading state: 2,000 read, 300 starred.
    let river = store.river(me, &Default::default()).await?;
    let read: Vec<_> = river
        .iter()
        .skip(5000)
        .take(2000)
        .map(|i| i.entry.id)
        .collect();
    store.set_read_many(me, &read, true).await?;
    for item in river.iter().step_by(333).take(300) {
        store.set_starred(me, item.entry.id, true).await?;
    }
    // The cursor 90,000 entries deep.
    let mut deep = EntryQuery {
        view: View::All,
        limit: 1000,
        ..Default::default()
    };
    for _ in 0..90 {
        deep.after = store.entries(me, &deep).await?.next;
    }
    deep.limit = 50;
    let feed = feeds[500].feed.id;
    let category = store.categories(me).await?[3].id;

    let unread = EntryQuery::default();
    let by_feed = EntryQuery {
        feed: Some(feed),
        ..Default::default()
    };
    let by_category = EntryQuery {
        category: Some(category),
        ..Default::default()
    };
    let starred = EntryQuery {
        view: View::Starred,
        ..Default::default()
    };
    let history = EntryQuery {
        view: View::History,
        ..Default::default()
    };
    let rare = SearchQuery {
        text: "quetzalcoatl".into(),
        ..Default::default()
    };
    let common = SearchQuery {
        text: "garden".into(),
        ..Default::default()
    };
    let prefix = SearchQuery {
        text: "gard*".into(),
        feed: Some(feed),
        ..Default::default()
    };
    let (s, few) = (&store, runs.min(50));
    time("entries: unread, first page", runs, || {
        s.entries(me, &unread)
    })
    .await;
    time("entries: all, page 90,000 deep", runs, || {
        s.entries(me, &deep)
    })
    .await;
    time("entries: one feed, first page", runs, || {
        s.entries(me, &by_feed)
    })
    .await;
    time("entries: one category, first page", runs, || {
        s.entries(me, &by_category)
    })
    .await;
    time("entries: starred", runs, || s.entries(me, &starred)).await;
    time("entries: history", runs, || s.entries(me, &history)).await;
    time("entry_for_user", runs, || s.entry_for_user(me, read[0])).await;
    time("unread_counts", few, || s.unread_counts(me)).await;
    time("categories (with unread counts)", few, || s.categories(me)).await;
    time("subscription_views", few, || s.subscription_views(me)).await;
    time("search: rare word", runs, || s.search(me, &rare)).await;
    time("search: word in 20% of entries", few, || {
        s.search(me, &common)
    })
    .await;
    time("search: prefix, one feed", runs, || s.search(me, &prefix)).await;
    time("counts", few, || s.counts(Utc::now())).await;
    let t = Instant::now();
    let n = store.mark_all_read(me, ReadScope::All, Utc::now()).await?;
    println!(
        "mark_all_read of {n} entries: {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
