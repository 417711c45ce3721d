//! The store's story, told against a fresh database of the engine under
//! test (an SQLite file in a temporary directory, or a PostgreSQL database
//! when `TRIBUTARY_TEST_POSTGRES` is set): subscribe, fetch queue, storing
//! fetches with every duplicate rule, moves, failures, the river and its
//! filters, unsubscribing, and reopening the database.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tributary_model::{Enclosure, FeedId, FeedMeta, FeedStatus, NewEntry, UserId};
use tributary_store::testing::{scratch, Scratch};
use tributary_store::{
    FeedSelector, FetchFailure, FetchSuccess, FetchUnchanged, NewSubscription, RiverQuery, Store,
    StoreError, UpsertReport,
};

const A: &str = "https://a.example/feed.xml";
const B: &str = "https://b.example/rss";
const B2: &str = "https://b.example/new-rss";
const C: &str = "https://c.example/atom.xml";
const D: &str = "https://d.example/feed";
const E: &str = "https://e.example/feed";

/// A store on a fresh database of the engine under test, kept alive by the guard.
async fn store() -> (Store, Scratch) {
    let scratch = scratch().await.expect("scratch database");
    (scratch.open().await.expect("open store"), scratch)
}

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0).unwrap()
}

fn sub(url: &str, title: Option<&str>, category: &[&str]) -> NewSubscription {
    NewSubscription {
        url: url.to_owned(),
        title: title.map(str::to_owned),
        site_url: None,
        category: category.iter().map(|s| s.to_string()).collect(),
    }
}

/// A dated entry with a link; `key` is `guid:<guid>`.
fn entry(guid: &str, link: Option<&str>, title: &str, published: DateTime<Utc>) -> NewEntry {
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.to_owned()),
        url: link.map(str::to_owned),
        canonical_url: link.map(str::to_owned),
        title: title.to_owned(),
        author: Some("Ann".to_owned()),
        content_html: Some(format!("<p>{title}</p>")),
        summary_html: None,
        excerpt: title.to_owned(),
        published,
        published_from_feed: true,
        updated: None,
        enclosures: vec![Enclosure {
            url: "https://a.example/ep.mp3".to_owned(),
            mime_type: Some("audio/mpeg".to_owned()),
            length: Some(1234),
            duration_secs: Some(60),
        }],
        categories: vec!["news".to_owned()],
        content_hash: format!("hash of {title} {link:?}"),
    }
}

fn success(fetched_at: DateTime<Utc>, entries: Vec<NewEntry>) -> FetchSuccess {
    FetchSuccess {
        fetched_at,
        next_fetch_at: fetched_at + Duration::hours(1),
        next_fetch_reason: "default 1 h".to_owned(),
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

fn failure(at: DateTime<Utc>, code: &str, disable: bool) -> FetchFailure {
    FetchFailure {
        fetched_at: at,
        next_fetch_at: at + Duration::hours(2),
        next_fetch_reason: "backoff".to_owned(),
        code: code.to_owned(),
        message: format!("the server said {code}"),
        disable,
        mark_error: false,
    }
}

fn unchanged(at: DateTime<Utc>, next: DateTime<Utc>) -> FetchUnchanged {
    FetchUnchanged {
        fetched_at: at,
        next_fetch_at: next,
        next_fetch_reason: "posts ~daily".to_owned(),
        etag: Some("\"v2\"".to_owned()),
        last_modified: None,
        moved_to: None,
    }
}

/// The counts of an [`UpsertReport`] (its `new_ids` are the database's to choose).
#[derive(Debug)]
struct Counts([usize; 4]);

impl PartialEq<Counts> for UpsertReport {
    fn eq(&self, other: &Counts) -> bool {
        [self.new, self.updated, self.unchanged, self.tombstoned] == other.0
            && self.new_ids.len() == self.new
    }
}

fn report(new: usize, updated: usize, unchanged: usize, tombstoned: usize) -> Counts {
    Counts([new, updated, unchanged, tombstoned])
}

async fn feed_id(store: &Store, url: &str) -> FeedId {
    let feeds = store
        .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_owned()]))
        .await
        .unwrap();
    assert_eq!(feeds.len(), 1, "one feed for {url}");
    feeds[0].id
}

async fn urls(store: &Store, selector: FeedSelector) -> Vec<String> {
    let feeds = store.feeds_to_fetch(&selector).await.unwrap();
    feeds.into_iter().map(|f| f.url).collect()
}

async fn titles(store: &Store, user: UserId, query: RiverQuery) -> Vec<String> {
    let items = store.river(user, &query).await.unwrap();
    items.into_iter().map(|i| i.entry.title).collect()
}

fn in_category(category: &str) -> RiverQuery {
    RiverQuery {
        category: Some(category.to_owned()),
        ..Default::default()
    }
}

#[tokio::test]
async fn full_story() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    assert_eq!(store.default_user().await.unwrap(), me, "one default user");

    // --- Subscribe with nested categories.
    let list = vec![
        sub(A, Some("Vendor A"), &["Net", "Vendors"]),
        sub(B, None, &["Net"]),
        sub(C, Some("C blog"), &["Network"]),
        sub(D, None, &[]),
        sub(E, None, &[" Net ", "", "Vendors"]), // same path once trimmed
    ];
    let first = store.subscribe(me, &list).await.unwrap();
    assert_eq!(first.added, vec![A, B, C, D, E]);
    assert!(first.skipped.is_empty());

    // Second import of the same list: everything skipped; a duplicate in the
    // batch itself is skipped too.
    let again = store.subscribe(me, &list).await.unwrap();
    assert!(again.added.is_empty());
    assert_eq!(again.skipped, vec![A, B, C, D, E]);
    let f = "https://f.example/feed";
    let dup = store
        .subscribe(me, &[sub(f, None, &[]), sub(f, None, &["X"])])
        .await
        .unwrap();
    assert_eq!(
        (dup.added, dup.skipped),
        (vec![f.to_owned()], vec![f.to_owned()])
    );
    store.unsubscribe(me, f).await.unwrap();

    let subs = store.subscriptions(me).await.unwrap();
    let shown: Vec<(Option<&str>, &str)> = subs
        .iter()
        .map(|s| (s.category.as_deref(), s.display_title()))
        .collect();
    // Uncategorized first, then by path, then by title.
    assert_eq!(
        shown,
        vec![
            (None, D),
            (Some("Net"), B),
            (Some("Net/Vendors"), E),
            (Some("Net/Vendors"), "Vendor A"),
            (Some("Network"), "C blog"),
        ]
    );
    assert!(subs.iter().all(|s| s.entry_count == 0));
    assert!(subs.iter().all(|s| s.feed.status == FeedStatus::Ok));

    // --- The fetch queue: never fetched means due now.
    let now = t(1, 0);
    assert_eq!(urls(&store, FeedSelector::Due(now)).await.len(), 5);
    assert_eq!(urls(&store, FeedSelector::All).await.len(), 5);
    let picked = urls(
        &store,
        FeedSelector::Urls(vec![C.into(), "https://nobody.example/".into(), A.into()]),
    )
    .await;
    assert_eq!(picked, vec![C, A], "list order, unknown URLs absent");

    // --- First fetch of A: three entries.
    let a = feed_id(&store, A).await;
    let e1 = entry("1", Some("https://a.example/one"), "One", t(1, 1));
    let e2 = entry("2", Some("https://a.example/two"), "Two", t(1, 2));
    let e3 = entry("3", Some("https://a.example/three"), "Three", t(1, 3));
    let mut fetch = success(t(1, 4), vec![e1.clone(), e2.clone(), e3.clone()]);
    fetch.etag = Some("\"v1\"".into());
    fetch.last_modified = Some("Wed, 01 May 2024 04:00:00 GMT".into());
    fetch.meta = FeedMeta {
        title: Some("A Feed".into()),
        site_url: Some("https://a.example/".into()),
        description: Some("About A".into()),
        ..Default::default()
    };
    assert_eq!(
        store.record_success(a, fetch.clone()).await.unwrap(),
        report(3, 0, 0, 0)
    );
    let feed_a = store.feed_by_id(a).await.unwrap().unwrap();
    assert_eq!(feed_a.title.as_deref(), Some("A Feed"));
    assert_eq!(feed_a.etag.as_deref(), Some("\"v1\""));
    assert_eq!(feed_a.last_fetched_at, Some(t(1, 4)));
    assert_eq!(feed_a.next_fetch_at, Some(t(1, 5)));
    assert!(store.feed_by_id(FeedId(9999)).await.unwrap().is_none());

    // A is no longer due until its next fetch time; the others still are.
    let due = urls(&store, FeedSelector::Due(t(1, 4))).await;
    assert!(!due.contains(&A.to_owned()) && due.len() == 4);
    let due_later = urls(&store, FeedSelector::Due(t(1, 5))).await;
    assert_eq!(due_later.len(), 5);
    assert_eq!(due_later.last().map(String::as_str), Some(A), "NULLs first");

    // --- River: newest first, source as this user sees it.
    let river = store.river(me, &RiverQuery::default()).await.unwrap();
    let got: Vec<&str> = river.iter().map(|i| i.entry.title.as_str()).collect();
    assert_eq!(got, vec!["Three", "Two", "One"]);
    let top = &river[0];
    // The subscription title was only a stand-in until the feed gave one.
    assert_eq!(top.source.title, "A Feed");
    assert_eq!(top.source.feed_url, A);
    assert_eq!(top.source.site_url.as_deref(), Some("https://a.example/"));
    assert_eq!(top.source.feed_id, a);
    assert_eq!(top.entry.enclosures, e3.enclosures);
    assert_eq!(top.entry.categories, vec!["news"]);
    assert_eq!(top.entry.published, t(1, 3));
    assert!(!top.read && !top.starred);
    let id_of = |title: &str| {
        river
            .iter()
            .find(|i| i.entry.title == title)
            .map(|i| i.entry.id)
            .unwrap()
    };
    let (id1, id2, id3) = (id_of("One"), id_of("Two"), id_of("Three"));
    store.set_read(me, id1, true).await.unwrap();
    store.set_starred(me, id1, true).await.unwrap();
    store.set_read(me, id3, true).await.unwrap();
    store.set_read(me, id3, false).await.unwrap();
    assert!(matches!(
        store
            .set_read(me, tributary_model::EntryId(424242), true)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Same fetch again: nothing changes.
    assert_eq!(
        store.record_success(a, fetch.clone()).await.unwrap(),
        report(0, 0, 3, 0)
    );

    // --- The blog changed software: every guid re-issued, same links.
    let reissued: Vec<NewEntry> = [&e1, &e2, &e3]
        .iter()
        .map(|e| {
            let mut n = (*e).clone();
            n.key = format!("guid:hugo-{}", e.guid.as_deref().unwrap());
            n.guid = Some(format!("hugo-{}", e.guid.as_deref().unwrap()));
            n
        })
        .collect();
    assert_eq!(
        store
            .record_success(a, success(t(1, 5), reissued.clone()))
            .await
            .unwrap(),
        report(0, 3, 0, 0)
    );
    assert_eq!(store.entry_count().await.unwrap(), 3, "no new rows");
    let one = store.entry(id1).await.unwrap().unwrap();
    assert_eq!(one.key, "guid:hugo-1", "key follows the re-issue");
    let river = store.river(me, &RiverQuery::default()).await.unwrap();
    let first = river.iter().find(|i| i.entry.id == id1).unwrap();
    assert!(
        first.read && first.starred,
        "reading state survives a re-issue"
    );
    assert!(!river.iter().find(|i| i.entry.id == id3).unwrap().read);
    // And the re-issued keys are now plain matches.
    assert_eq!(
        store
            .record_success(a, success(t(1, 6), reissued.clone()))
            .await
            .unwrap(),
        report(0, 0, 3, 0)
    );

    // --- Same title + date, new guid and no link: the same entry.
    let mut no_link = entry("wp-3", None, "Three", t(1, 3));
    no_link.key = "hash:abc".into();
    assert_eq!(
        store
            .record_success(a, success(t(1, 7), vec![no_link.clone()]))
            .await
            .unwrap(),
        report(0, 1, 0, 0)
    );
    assert_eq!(store.entry_count().await.unwrap(), 3);
    assert_eq!(store.entry(id3).await.unwrap().unwrap().key, "hash:abc");
    // A fetch-time date is no identity: same title, undated → a new entry.
    let mut undated = entry("u", None, "Three", t(1, 8));
    undated.published_from_feed = false;
    assert_eq!(
        store
            .record_success(a, success(t(1, 8), vec![undated.clone()]))
            .await
            .unwrap(),
        report(1, 0, 0, 0)
    );
    // Changed later, still undated: content updated, first-seen date kept.
    undated.content_hash = "edited".into();
    undated.excerpt = "edited".into();
    undated.published = t(2, 9);
    assert_eq!(
        store
            .record_success(a, success(t(2, 9), vec![undated.clone()]))
            .await
            .unwrap(),
        report(0, 1, 0, 0)
    );
    let river = store.river(me, &RiverQuery::default()).await.unwrap();
    let u = river.iter().find(|i| i.entry.key == "guid:u").unwrap();
    assert_eq!(
        (u.entry.excerpt.as_str(), u.entry.published),
        ("edited", t(1, 8))
    );
    assert_eq!(store.entry_count().await.unwrap(), 4);

    // --- Deleted entries stay deleted.
    store.delete_entry(id2).await.unwrap();
    assert!(store.entry(id2).await.unwrap().is_none());
    assert!(matches!(
        store.delete_entry(id2).await,
        Err(StoreError::NotFound(_))
    ));
    let mut two_again = reissued[1].clone();
    two_again.content_hash = "changed".into();
    let mut two_new_guid = e2.clone();
    two_new_guid.key = "guid:third-generator-2".into();
    assert_eq!(
        store
            .record_success(a, success(t(2, 10), vec![two_again]))
            .await
            .unwrap(),
        report(0, 0, 0, 1)
    );
    assert_eq!(
        store
            .record_success(a, success(t(2, 11), vec![two_new_guid]))
            .await
            .unwrap(),
        report(0, 0, 0, 1),
        "a re-issue of a deleted entry is not resurrected"
    );
    assert_eq!(store.entry_count().await.unwrap(), 3);

    // --- 301: B moves; the old URL is kept and still finds the feed.
    let b = feed_id(&store, B).await;
    let mut moved = success(
        t(2, 0),
        vec![entry("b1", Some("https://b.example/1"), "B one", t(1, 12))],
    );
    moved.moved_to = Some(B2.into());
    assert_eq!(
        store.record_success(b, moved.clone()).await.unwrap(),
        report(1, 0, 0, 0)
    );
    let feed_b = store.feed_by_id(b).await.unwrap().unwrap();
    assert_eq!(feed_b.url, B2);
    assert_eq!(feed_b.previous_urls, vec![B]);
    assert_eq!(feed_id(&store, B).await, b, "lookup by the old URL");
    assert_eq!(feed_id(&store, B2).await, b);
    assert_eq!(
        urls(&store, FeedSelector::Urls(vec![B.into(), B2.into()])).await,
        vec![B2],
        "one feed named twice is listed once"
    );
    let resub = store.subscribe(me, &[sub(B, None, &[])]).await.unwrap();
    assert_eq!(resub.skipped, vec![B], "old URL is the same subscription");
    let subs = store.subscriptions(me).await.unwrap();
    let sb = subs.iter().find(|s| s.feed.id == b).unwrap();
    assert_eq!(sb.feed.previous_urls, vec![B]);
    assert_eq!(sb.entry_count, 1);

    // A move onto a URL another feed has is not applied (no merge).
    let c = feed_id(&store, C).await;
    let mut clash = success(
        t(2, 0),
        vec![entry("c1", Some("https://c.example/1"), "C one", t(1, 13))],
    );
    clash.moved_to = Some(A.into());
    store.record_success(c, clash.clone()).await.unwrap();
    let feed_c = store.feed_by_id(c).await.unwrap().unwrap();
    assert_eq!((feed_c.url.as_str(), feed_c.previous_urls.len()), (C, 0));

    // --- Failures.
    let d = feed_id(&store, D).await;
    store
        .record_failure(d, &failure(t(2, 1), "http_not_found", false))
        .await
        .unwrap();
    // Failing, but not for long enough: still `ok`, the error visible.
    let feed_d = store.feed_by_id(d).await.unwrap().unwrap();
    assert_eq!(feed_d.status, FeedStatus::Ok);
    assert_eq!(feed_d.last_error_code.as_deref(), Some("http_not_found"));
    assert_eq!(feed_d.failing_since, Some(t(2, 1)));
    assert_eq!(feed_d.next_fetch_reason.as_deref(), Some("backoff"));
    store
        .record_failure(
            d,
            &FetchFailure {
                mark_error: true,
                ..failure(t(2, 3), "http_not_found", false)
            },
        )
        .await
        .unwrap();
    let feed_d = store.feed_by_id(d).await.unwrap().unwrap();
    assert_eq!(feed_d.status, FeedStatus::Error);
    // The run of failures started with the first one.
    assert_eq!(feed_d.failing_since, Some(t(2, 1)));
    assert_eq!(feed_d.disabled_at, None);
    assert_eq!(feed_d.last_error_code.as_deref(), Some("http_not_found"));
    assert_eq!(
        feed_d.last_error.as_deref(),
        Some("the server said http_not_found")
    );
    assert_eq!(feed_d.error_count, 2);
    assert_eq!(feed_d.last_fetched_at, Some(t(2, 3)));
    assert_eq!(feed_d.next_fetch_at, Some(t(2, 5)));
    assert!(urls(&store, FeedSelector::Due(t(2, 5)))
        .await
        .contains(&D.to_owned()));

    // 410 Gone disables: no longer due, nor in All, but still selectable by URL.
    let e = feed_id(&store, E).await;
    store
        .record_failure(e, &failure(t(2, 1), "http_gone", true))
        .await
        .unwrap();
    let feed_e = store.feed_by_id(e).await.unwrap().unwrap();
    assert_eq!(
        (feed_e.status, feed_e.error_count),
        (FeedStatus::Disabled, 1)
    );
    assert_eq!(feed_e.disabled_at, Some(t(2, 1)));
    let far = t(20, 0);
    assert!(!urls(&store, FeedSelector::Due(far))
        .await
        .contains(&E.to_owned()));
    assert!(!urls(&store, FeedSelector::All)
        .await
        .contains(&E.to_owned()));
    assert_eq!(
        urls(&store, FeedSelector::Urls(vec![E.into()])).await,
        vec![E]
    );

    // 304 clears the error.
    store
        .record_not_modified(d, unchanged(t(2, 6), t(2, 8)))
        .await
        .unwrap();
    let feed_d = store.feed_by_id(d).await.unwrap().unwrap();
    assert_eq!(feed_d.status, FeedStatus::Ok);
    assert_eq!((feed_d.last_error, feed_d.last_error_code), (None, None));
    assert_eq!(feed_d.error_count, 0);
    assert_eq!(feed_d.failing_since, None);
    assert_eq!(feed_d.last_success_at, Some(t(2, 6)));
    assert_eq!(feed_d.next_fetch_at, Some(t(2, 8)));
    assert_eq!(feed_d.next_fetch_reason.as_deref(), Some("posts ~daily"));
    assert_eq!(feed_d.etag.as_deref(), Some("\"v2\""));
    assert!(matches!(
        store
            .record_not_modified(FeedId(9999), unchanged(now, now))
            .await,
        Err(StoreError::NotFound(_))
    ));

    // --- Category filter with sub-paths. Entries now: A (Net/Vendors):
    // One, Three, undated "Three"; B (Net): B one; C (Network): C one.
    let mut net = titles(&store, me, in_category("Net")).await;
    net.sort();
    assert_eq!(net, vec!["B one", "One", "Three", "Three"]);
    assert_eq!(
        titles(&store, me, in_category("Net/Vendors/")).await,
        vec!["Three", "Three", "One"]
    );
    assert_eq!(
        titles(&store, me, in_category("Network")).await,
        vec!["C one"]
    );
    assert!(titles(&store, me, in_category("Net/Vend")).await.is_empty());
    assert!(titles(&store, me, in_category("Nowhere")).await.is_empty());

    // --- since, limit, unread_only.
    let since = RiverQuery {
        since: Some(t(1, 8)),
        ..Default::default()
    };
    assert_eq!(
        titles(&store, me, since).await,
        vec!["C one", "B one", "Three"]
    );
    let limited = RiverQuery {
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(titles(&store, me, limited).await, vec!["C one", "B one"]);
    let unread = RiverQuery {
        unread_only: true,
        ..Default::default()
    };
    let unread = store.river(me, &unread).await.unwrap();
    assert_eq!(unread.len(), 4);
    assert!(unread.iter().all(|i| i.entry.id != id1), "One was read");

    // --- Unsubscribe: a feed another user follows stays; the last one out
    // deletes it with its entries.
    let bob = store.ensure_user("bob").await.unwrap();
    assert_ne!(bob, me);
    assert_eq!(store.ensure_user("bob").await.unwrap(), bob);
    store.subscribe(bob, &[sub(A, None, &[])]).await.unwrap();
    assert_eq!(store.unsubscribe(me, &a.to_string()).await.unwrap(), A);
    assert!(store.feed_by_id(a).await.unwrap().is_some());
    assert_eq!(
        store
            .river(bob, &RiverQuery::default())
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(titles(&store, me, in_category("Net/Vendors"))
        .await
        .is_empty());
    assert_eq!(store.unsubscribe(bob, A).await.unwrap(), A);
    assert!(store.feed_by_id(a).await.unwrap().is_none());
    assert_eq!(
        store.entry_count().await.unwrap(),
        2,
        "A's entries went with it"
    );
    match store.unsubscribe(bob, A).await {
        Err(StoreError::NotFound(msg)) => assert!(msg.contains("no subscription to")),
        other => panic!("expected NotFound, got {other:?}"),
    }
    // By the old URL of a moved feed: the current URL is returned.
    assert_eq!(store.unsubscribe(me, B).await.unwrap(), B2);
    assert!(store.feed_by_id(b).await.unwrap().is_none());
    assert!(matches!(
        store.unsubscribe(me, "12345").await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let db = scratch().await.unwrap();
    let url = db.url();
    let (user, subs_before, river_before) = {
        let store = Store::open(url).await.unwrap();
        let user = store.default_user().await.unwrap();
        store
            .subscribe(user, &[sub(A, Some("A"), &["Net", "Vendors"])])
            .await
            .unwrap();
        let a = feed_id(&store, A).await;
        let mut fetch = success(
            t(1, 4),
            vec![
                entry("1", Some("https://a.example/one"), "One", t(1, 1)),
                entry("2", None, "Two", t(1, 2)),
            ],
        );
        fetch.moved_to = Some(B.into());
        store.record_success(a, fetch.clone()).await.unwrap();
        let river = store.river(user, &RiverQuery::default()).await.unwrap();
        store
            .set_starred(user, river[0].entry.id, true)
            .await
            .unwrap();
        let subs = store.subscriptions(user).await.unwrap();
        let river = store.river(user, &RiverQuery::default()).await.unwrap();
        store.close().await;
        (user, subs, river)
    };
    // Twice: the migrations run again each time and must be no-ops.
    for _ in 0..2 {
        let store = Store::open(url).await.unwrap();
        assert_eq!(store.default_user().await.unwrap(), user);
        assert_eq!(store.subscriptions(user).await.unwrap(), subs_before);
        assert_eq!(
            store.river(user, &RiverQuery::default()).await.unwrap(),
            river_before
        );
        assert!(river_before[0].starred);
        assert_eq!(subs_before[0].feed.previous_urls, vec![A]);
        store.close().await;
    }
}

#[tokio::test]
async fn unknown_schemes_are_bad_urls_and_a_postgres_host_that_does_not_resolve_is_unreachable() {
    // (A server that refuses connections: tests/engines.rs.)
    match Store::open("postgres://x").await {
        Err(StoreError::Unreachable { server, .. }) => assert_eq!(server, "postgres://x"),
        Err(other) => panic!("expected Unreachable, got {other}"),
        Ok(_) => panic!("postgres://x opened"),
    }
    assert!(matches!(
        Store::open("mysql://x").await,
        Err(StoreError::BadUrl { .. })
    ));
}

/// SQLite creates the file's missing parent directories.
#[tokio::test]
async fn sqlite_creates_missing_parent_directories() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("data/db/t.db").display());
    let store = Store::open(&url).await.unwrap();
    let me = store.default_user().await.unwrap();
    store.subscribe(me, &[sub(A, None, &[])]).await.unwrap();
    store.close().await;
    assert!(dir.path().join("data/db/t.db").is_file());
}

/// The `sqlite:PATH` form (no slashes) names a file too.
#[tokio::test]
async fn sqlite_url_without_slashes_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = Store::open(&url).await.unwrap();
    let me = store.default_user().await.unwrap();
    store.close().await;
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.default_user().await.unwrap(), me);
    assert!(dir.path().join("t.db").is_file());
}

#[tokio::test]
async fn in_memory_store_works() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let user = store.default_user().await.unwrap();
    store.subscribe(user, &[sub(A, None, &[])]).await.unwrap();
    let a = feed_id(&store, A).await;
    store
        .record_success(a, success(t(1, 1), vec![entry("1", None, "One", t(1, 1))]))
        .await
        .unwrap();
    assert_eq!(
        store
            .river(user, &RiverQuery::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// An entry that breaks a schema rule (an empty key, which would make every
/// keyless entry collide) fails the whole fetch: no entry, no meta, no move,
/// no schedule change is written.
#[tokio::test]
async fn record_success_is_all_or_nothing() {
    let (store, _db) = store().await;
    let user = store.default_user().await.unwrap();
    store
        .subscribe(user, &[sub(A, Some("Before"), &[])])
        .await
        .unwrap();
    let a = feed_id(&store, A).await;
    let before = store.feed_by_id(a).await.unwrap().unwrap();

    let mut bad = entry("bad", None, "Bad", t(1, 3));
    bad.key = String::new();
    let mut fetch = success(
        t(1, 4),
        vec![
            entry("1", Some("https://a.example/one"), "One", t(1, 1)),
            entry("2", Some("https://a.example/two"), "Two", t(1, 2)),
            bad,
        ],
    );
    fetch.meta.title = Some("After".into());
    fetch.etag = Some("\"x\"".into());
    fetch.moved_to = Some(B.into());
    match store.record_success(a, fetch.clone()).await {
        Err(StoreError::Entry { feed, key, .. }) => {
            assert_eq!((feed, key.as_str()), (a, ""));
        }
        other => panic!("expected an entry error, got {other:?}"),
    }
    assert_eq!(store.entry_count().await.unwrap(), 0);
    assert_eq!(store.feed_by_id(a).await.unwrap().unwrap(), before);
    assert_eq!(feed_id(&store, A).await, a);
    assert!(store
        .feeds_to_fetch(&FeedSelector::Urls(vec![B.into()]))
        .await
        .unwrap()
        .is_empty());

    // The store is still usable, and the same fetch without the bad entry goes in.
    fetch.entries.pop();
    assert_eq!(
        store.record_success(a, fetch.clone()).await.unwrap(),
        report(2, 0, 0, 0)
    );
    assert_eq!(store.feed_by_id(a).await.unwrap().unwrap().url, B);
}

#[tokio::test]
async fn unknown_feed_and_user_are_not_found() {
    let (store, _db) = store().await;
    assert!(matches!(
        store.record_success(FeedId(7), success(t(1, 1), vec![])).await,
        Err(StoreError::NotFound(m)) if m == "feed 7"
    ));
    assert!(matches!(
        store
            .record_failure(FeedId(7), &failure(t(1, 1), "x", false))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.subscribe(UserId(99), &[sub(A, None, &[])]).await,
        Err(StoreError::NotFound(m)) if m == "user 99"
    ));
    // The failed subscribe left no feed behind.
    assert!(store
        .feeds_to_fetch(&FeedSelector::All)
        .await
        .unwrap()
        .is_empty());
}

/// Items that all link to the home page, each with its own guid, are
/// distinct entries: a link shared inside one fetch is not a re-issue.
#[tokio::test]
async fn shared_links_within_a_fetch_stay_separate() {
    let (store, _db) = store().await;
    let user = store.default_user().await.unwrap();
    store.subscribe(user, &[sub(A, None, &[])]).await.unwrap();
    let a = feed_id(&store, A).await;
    let home = Some("https://a.example/");
    let items: Vec<NewEntry> = (0..3)
        .map(|i| entry(&format!("n{i}"), home, &format!("News {i}"), t(1, i)))
        .collect();
    assert_eq!(
        store
            .record_success(a, success(t(1, 5), items.clone()))
            .await
            .unwrap(),
        report(3, 0, 0, 0)
    );
    assert_eq!(
        store
            .record_success(a, success(t(1, 6), items))
            .await
            .unwrap(),
        report(0, 0, 3, 0),
        "stable on the next fetch"
    );
}

/// A large feed goes in and, fetched again, is all unchanged.
#[tokio::test]
async fn five_hundred_entries_round_trip() {
    let (store, _db) = store().await;
    let user = store.default_user().await.unwrap();
    store.subscribe(user, &[sub(A, None, &[])]).await.unwrap();
    let a = feed_id(&store, A).await;
    let items: Vec<NewEntry> = (0..500)
        .map(|i| {
            let link = format!("https://a.example/{i}");
            entry(
                &i.to_string(),
                Some(&link),
                &format!("Post {i}"),
                t(1, 0) + Duration::minutes(i),
            )
        })
        .collect();
    let fetch = success(t(2, 0), items);
    assert_eq!(
        store.record_success(a, fetch.clone()).await.unwrap(),
        report(500, 0, 0, 0)
    );
    assert_eq!(
        store.record_success(a, fetch.clone()).await.unwrap(),
        report(0, 0, 500, 0)
    );
    let newest = store
        .river(
            user,
            &RiverQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(newest[0].entry.title, "Post 499");
}

/// Many fetches finishing at once (as `refresh_many` does) all get stored:
/// writers queue for the one writer connection instead of failing with
/// "database is locked", while reads go on beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed() {
    let (store, _db) = store().await;
    let user = store.default_user().await.unwrap();
    let feeds: Vec<String> = (0..64)
        .map(|i| format!("https://f{i}.example/feed"))
        .collect();
    let subs: Vec<NewSubscription> = feeds.iter().map(|u| sub(u, None, &[])).collect();
    store.subscribe(user, &subs).await.unwrap();
    let mut tasks = Vec::new();
    for url in &feeds {
        let id = feed_id(&store, url).await;
        let store = store.clone();
        let base = url.clone();
        tasks.push(tokio::spawn(async move {
            let items: Vec<NewEntry> = (0..200)
                .map(|i| {
                    let link = format!("{base}/{i}");
                    entry(
                        &link,
                        Some(&link),
                        &format!("Post {i}"),
                        t(1, 0) + Duration::minutes(i),
                    )
                })
                .collect();
            let report = store.record_success(id, success(t(2, 0), items)).await?;
            // A read while others write.
            store.subscriptions(user).await?;
            Ok::<_, tributary_store::StoreError>(report)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), report(200, 0, 0, 0));
    }
    assert_eq!(store.entry_count().await.unwrap(), 64 * 200);
}

#[tokio::test]
async fn fetch_state_round_trips_and_a_success_ends_a_failure_run() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    let url = "https://state.example/feed.xml";
    store
        .subscribe(
            me,
            &[NewSubscription {
                url: url.into(),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let id = store.feeds_to_fetch(&FeedSelector::All).await.unwrap()[0].id;
    store
        .record_failure(
            id,
            &FetchFailure {
                mark_error: true,
                ..failure(t(1, 0), "http_server_error", false)
            },
        )
        .await
        .unwrap();
    let hints = tributary_model::ScheduleHints {
        ttl_minutes: Some(90),
        skip_hours: vec![0, 1, 23],
        skip_days: vec![6],
        post_interval_secs: Some(86_400),
    };
    let ok = FetchSuccess {
        schedule_hints: hints.clone(),
        status_note: Some("kept the first 3 entries".to_owned()),
        body_hash: Some("abc123".to_owned()),
        next_fetch_reason: "posts ~daily".to_owned(),
        ..success(t(1, 2), Vec::new())
    };
    store.record_success(id, ok.clone()).await.unwrap();
    let feed = store.feed_by_id(id).await.unwrap().unwrap();
    assert_eq!(feed.status, FeedStatus::Ok);
    assert_eq!(feed.failing_since, None);
    assert_eq!(feed.error_count, 0);
    assert_eq!(feed.last_success_at, Some(t(1, 2)));
    assert_eq!(feed.schedule_hints, hints);
    assert_eq!(
        feed.status_note.as_deref(),
        Some("kept the first 3 entries")
    );
    assert_eq!(feed.body_hash.as_deref(), Some("abc123"));
    assert_eq!(feed.next_fetch_reason.as_deref(), Some("posts ~daily"));
    // The next success without a note clears it.
    store
        .record_success(id, success(t(1, 4), Vec::new()))
        .await
        .unwrap();
    let feed = store.feed_by_id(id).await.unwrap().unwrap();
    assert_eq!(feed.status_note, None);
    assert_eq!(feed.schedule_hints, Default::default());
}

#[tokio::test]
async fn a_failing_outcome_in_a_group_commit_spares_the_others() {
    let (store, _db) = store().await;
    let user = store.default_user().await.unwrap();
    let feeds: Vec<String> = (0..40)
        .map(|i| format!("https://g{i}.example/feed"))
        .collect();
    let subs: Vec<NewSubscription> = feeds.iter().map(|u| sub(u, None, &[])).collect();
    store.subscribe(user, &subs).await.unwrap();
    // 40 outcomes at once, so they share write transactions; the 7th has
    // an entry the schema refuses.
    let mut tasks = Vec::new();
    for (n, url) in feeds.iter().enumerate() {
        let id = feed_id(&store, url).await;
        let store = store.clone();
        let base = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut items: Vec<NewEntry> = (0..5)
                .map(|i| {
                    let link = format!("{base}/{i}");
                    entry(&link, Some(&link), &format!("Post {i}"), t(1, i))
                })
                .collect();
            if n == 7 {
                items[3].key = String::new();
            }
            let mut fetch = success(t(2, 0), items);
            fetch.meta.title = Some(format!("Feed {n}"));
            (id, store.record_success(id, fetch.clone()).await)
        }));
    }
    let mut failed = Vec::new();
    for task in tasks {
        let (id, result) = task.await.unwrap();
        match result {
            Ok(r) => assert_eq!(r, report(5, 0, 0, 0)),
            Err(StoreError::Entry { feed, key, .. }) => {
                assert_eq!(key, "");
                failed.push(feed);
                assert_eq!(feed, id);
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(failed.len(), 1);
    assert_eq!(store.entry_count().await.unwrap(), 39 * 5);
    // The failing feed is untouched: no title, no entries, never fetched.
    let bad = store.feed_by_id(failed[0]).await.unwrap().unwrap();
    assert_eq!(bad.title, None);
    assert_eq!(bad.last_fetched_at, None);
}

/// Two handles on one database, as two processes have (each its own pools
/// and write queue).
async fn two_stores() -> (Store, Store, Scratch) {
    let db = scratch().await.unwrap();
    let one = db.open().await.unwrap();
    let two = Store::open(db.url()).await.unwrap();
    (one, two, db)
}

/// Two processes importing overlapping lists at once, in opposite orders:
/// both imports succeed (no deadlock), each feed exists once, each user
/// follows it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_imports_share_the_feeds() {
    let (one, two, _db) = two_stores().await;
    let (ann, bob) = tokio::join!(one.ensure_user("ann"), two.ensure_user("ann"));
    assert_eq!(ann.unwrap(), bob.unwrap(), "one user, created once");
    let ann = one.ensure_user("ann").await.unwrap();
    let bob = two.ensure_user("bob").await.unwrap();
    for round in 0..5 {
        let list: Vec<NewSubscription> = (0..30)
            .map(|i| {
                sub(
                    &format!("https://r{round}-{i}.example/feed"),
                    None,
                    &["Net", "Shared"],
                )
            })
            .collect();
        let mut reversed = list.clone();
        reversed.reverse();
        let (a, b, c) = tokio::join!(
            one.subscribe(ann, &list),
            two.subscribe(bob, &reversed),
            two.subscribe(ann, &reversed),
        );
        let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
        assert_eq!(b.added.len(), 30);
        assert_eq!(a.added.len() + c.added.len(), 30, "ann follows each once");
        assert_eq!(a.skipped.len() + c.skipped.len(), 30);
    }
    assert_eq!(urls(&one, FeedSelector::All).await.len(), 150);
    for (store, user) in [(&one, ann), (&two, bob)] {
        let subs = store.subscriptions(user).await.unwrap();
        assert_eq!(subs.len(), 150);
        assert!(subs
            .iter()
            .all(|s| s.category.as_deref() == Some("Net/Shared")));
    }
}

/// Two processes storing the same fetch of one feed at once take turns:
/// the entries go in once, the second sees them as unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_stores_of_one_feed_take_turns() {
    let (one, two, _db) = two_stores().await;
    let me = one.default_user().await.unwrap();
    one.subscribe(me, &[sub(A, None, &[])]).await.unwrap();
    let a = feed_id(&one, A).await;
    for round in 0..5 {
        let items: Vec<NewEntry> = (0..50)
            .map(|i| {
                let link = format!("https://a.example/{round}/{i}");
                entry(&link, Some(&link), &format!("Post {round} {i}"), t(1, 0))
            })
            .collect();
        let fetch = success(t(2, round), items);
        let (x, y) = tokio::join!(
            one.record_success(a, fetch.clone()),
            two.record_success(a, fetch.clone())
        );
        let mut got = [x.unwrap(), y.unwrap()];
        got.sort_by_key(|r| r.new);
        assert_eq!(got, [report(0, 0, 50, 0), report(50, 0, 0, 0)]);
    }
    assert_eq!(one.entry_count().await.unwrap(), 250);
    let subs = two.subscriptions(me).await.unwrap();
    assert_eq!(subs[0].entry_count, 250, "the kept count too");
}

/// The last two subscribers leaving at once: the feed goes with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_unsubscribes_delete_an_unfollowed_feed() {
    let (one, two, _db) = two_stores().await;
    let ann = one.ensure_user("ann").await.unwrap();
    let bob = one.ensure_user("bob").await.unwrap();
    for round in 0..5 {
        let url = format!("https://u{round}.example/feed");
        one.subscribe(ann, &[sub(&url, None, &[])]).await.unwrap();
        one.subscribe(bob, &[sub(&url, None, &[])]).await.unwrap();
        let (x, y) = tokio::join!(one.unsubscribe(ann, &url), two.unsubscribe(bob, &url));
        assert_eq!((x.unwrap(), y.unwrap()), (url.clone(), url.clone()));
        assert!(
            urls(&one, FeedSelector::All).await.is_empty(),
            "round {round}: nobody follows the feed, it is gone"
        );
    }
}
