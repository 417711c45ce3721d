//! Helpers shared by the accounts, reading and search tests: a store in a
//! temporary file, subscriptions and fetches built in one line.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use tributary_model::{FeedId, FeedMeta, NewEntry, UserId};
use tributary_store::testing::{scratch, Scratch};
use tributary_store::{FetchSuccess, NewSubscription, Store};

/// A store on a fresh database of the engine under test (an SQLite file, or
/// a PostgreSQL database when `TRIBUTARY_TEST_POSTGRES` is set), kept alive
/// by the returned guard.
pub async fn store() -> (Store, Scratch) {
    let scratch = scratch().await.expect("scratch database");
    (scratch.open().await.expect("open store"), scratch)
}

/// 2026-11-`day` `hour`:00 UTC.
pub fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

pub fn sub(url: &str, category: &[&str]) -> NewSubscription {
    NewSubscription {
        url: url.to_owned(),
        category: category.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Subscribe `user` to `url` (in `category`) and return the feed's id.
pub async fn follow(store: &Store, user: UserId, url: &str, category: &[&str]) -> FeedId {
    store
        .subscribe(user, &[sub(url, category)])
        .await
        .expect("subscribe");
    store
        .subscriptions(user)
        .await
        .expect("subscriptions")
        .into_iter()
        .find(|s| s.feed.url == url)
        .expect("subscribed feed")
        .feed
        .id
}

/// An entry with `key` `guid:<guid>`, HTML content `body` and an author.
pub fn entry(guid: &str, title: &str, body: &str, published: DateTime<Utc>) -> NewEntry {
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.to_owned()),
        url: Some(format!("https://x.example/{guid}")),
        canonical_url: Some(format!("https://x.example/{guid}")),
        title: title.to_owned(),
        author: Some("Ann Author".to_owned()),
        content_html: Some(body.to_owned()),
        summary_html: None,
        excerpt: title.to_owned(),
        published,
        published_from_feed: true,
        updated: None,
        enclosures: vec![],
        categories: vec![],
        content_hash: format!("{title}|{body}"),
    }
}

pub fn success(fetched_at: DateTime<Utc>, entries: Vec<NewEntry>) -> FetchSuccess {
    FetchSuccess {
        fetched_at,
        next_fetch_at: fetched_at + Duration::hours(1),
        next_fetch_reason: "test".to_owned(),
        schedule_hints: Default::default(),
        status_note: None,
        body_hash: None,
        moved_to: None,
        etag: None,
        last_modified: None,
        meta: FeedMeta::default(),
        entries,
    }
}

/// Store `entries` as a fetch of `feed` at `at`.
pub async fn fetch(store: &Store, feed: FeedId, at: DateTime<Utc>, entries: Vec<NewEntry>) {
    store
        .record_success(feed, success(at, entries))
        .await
        .expect("record success");
}

/// Ids of `feed`'s entries, by guid order of `guids`.
pub async fn ids(store: &Store, user: UserId) -> Vec<(String, tributary_model::EntryId)> {
    store
        .river(user, &Default::default())
        .await
        .expect("river")
        .into_iter()
        .map(|i| (i.entry.guid.clone().unwrap_or_default(), i.entry.id))
        .collect()
}
