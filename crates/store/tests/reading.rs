//! Reading for one user against a real SQLite file: categories, settings,
//! entry pages in every view, reading state in bulk, activity, counts, the
//! fetch queue's pause and bounds, and isolation between two users.

mod common;

use std::collections::HashSet;

use chrono::Duration;
use common::{entry, fetch, follow, store, t};
use tributary_model::{CategoryId, EntryId, FeedId, FeedStatus};
use tributary_store::{
    Cursor, EntryQuery, FeedSelector, FetchFailure, FetchUnchanged, ReadScope, SearchQuery,
    StoreError, SubscriptionSettings, View,
};

#[tokio::test]
async fn categories_are_created_renamed_and_deleted() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let vendors = store.create_category(me, "Net / Vendors").await.unwrap();
    assert_eq!(vendors.path, "Net/Vendors");
    assert_eq!(vendors.name, "Vendors");
    let net = store.create_category(me, "Net").await.unwrap();
    assert_eq!(vendors.parent, Some(net.id));
    assert_eq!(
        store.create_category(me, "Net/Vendors").await.unwrap().id,
        vendors.id
    );
    for bad in ["", "  ", "Net//x", "/", "a/"] {
        assert!(
            matches!(
                store.create_category(me, bad).await,
                Err(StoreError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    let feed = follow(&store, me, "https://a.example/feed", &["Net", "Vendors"]).await;
    fetch(&store, feed, t(1, 0), vec![entry("1", "One", "x", t(1, 0))]).await;
    let cats = store.categories(me).await.unwrap();
    let paths: Vec<&str> = cats.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["Net", "Net/Vendors"]);
    assert_eq!((cats[1].feed_count, cats[1].unread_count), (1, 1));
    assert_eq!((cats[0].feed_count, cats[0].unread_count), (0, 0));

    store.create_category(me, "Net/Other").await.unwrap();
    let renamed = store
        .rename_category(me, vendors.id, "Makers")
        .await
        .unwrap();
    assert_eq!(renamed.path, "Net/Makers");
    assert!(matches!(
        store.rename_category(me, vendors.id, "Other").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.rename_category(me, vendors.id, "a/b").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.rename_category(me, vendors.id, " ").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.rename_category(me, CategoryId(999), "x").await,
        Err(StoreError::NotFound(_))
    ));

    store.delete_category(me, net.id).await.unwrap();
    assert!(
        store.categories(me).await.unwrap().is_empty(),
        "sub-categories went too"
    );
    let subs = store.subscriptions(me).await.unwrap();
    assert_eq!(subs[0].category, None, "the feed became uncategorized");
    assert!(matches!(
        store.delete_category(me, net.id).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn subscription_settings_are_validated_and_shown() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(2, 0),
        vec![
            entry("1", "One", "x", t(1, 0)),
            entry("2", "Two", "y", t(2, 0)),
        ],
    )
    .await;
    let cat = store.create_category(me, "Blogs").await.unwrap();
    let settings = SubscriptionSettings {
        title_override: Some(" Mine ".into()),
        category: Some(cat.id),
        min_interval_secs: Some(600),
        max_interval_secs: Some(3600),
        paused: false,
    };
    store
        .update_subscription(me, feed, &settings)
        .await
        .unwrap();
    let view = store.subscription_view(me, feed).await.unwrap().unwrap();
    assert_eq!(view.settings.title_override.as_deref(), Some("Mine"));
    assert_eq!(view.settings.category, Some(cat.id));
    assert_eq!(view.category_id, Some(cat.id));
    assert_eq!(view.settings.min_interval_secs, Some(600));
    assert_eq!(view.settings.max_interval_secs, Some(3600));
    assert_eq!(view.unread_count, 2);
    assert_eq!(view.newest_entry_at, Some(t(2, 0)));
    assert_eq!(view.subscription.category.as_deref(), Some("Blogs"));
    assert_eq!(view.subscription.display_title(), "Mine");
    assert_eq!(store.subscription_views(me).await.unwrap(), vec![view]);

    let invalid = [
        SubscriptionSettings {
            min_interval_secs: Some(0),
            ..Default::default()
        },
        SubscriptionSettings {
            max_interval_secs: Some(-5),
            ..Default::default()
        },
        SubscriptionSettings {
            min_interval_secs: Some(7200),
            max_interval_secs: Some(3600),
            ..Default::default()
        },
    ];
    for s in &invalid {
        match store.update_subscription(me, feed, s).await {
            Err(StoreError::Invalid(reason)) => assert!(reason.contains("interval"), "{reason}"),
            other => panic!("{s:?} gave {other:?}"),
        }
    }
    assert!(matches!(
        store
            .update_subscription(me, FeedId(999), &Default::default())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .update_subscription(
                me,
                feed,
                &SubscriptionSettings {
                    category: Some(CategoryId(999)),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store
        .subscription_view(me, FeedId(999))
        .await
        .unwrap()
        .is_none());
}

/// A user following two feeds in `Net` and `Net/Sub`, with 7 entries, two
/// of them published at the same time.
async fn river_fixture(
    store: &tributary_store::Store,
) -> (
    tributary_model::UserId,
    FeedId,
    FeedId,
    CategoryId,
    CategoryId,
) {
    let me = store.default_user().await.unwrap();
    let a = follow(store, me, "https://a.example/feed", &["Net"]).await;
    let b = follow(store, me, "https://b.example/feed", &["Net", "Sub"]).await;
    fetch(
        store,
        a,
        t(10, 0),
        vec![
            entry("a1", "A1", "x", t(1, 0)),
            entry("a2", "A2", "x", t(3, 0)),
            entry("a3", "A3", "x", t(5, 0)),
            entry("a4", "A4", "x", t(7, 0)),
        ],
    )
    .await;
    fetch(
        store,
        b,
        t(10, 0),
        vec![
            entry("b1", "B1", "x", t(2, 0)),
            entry("b2", "B2", "x", t(5, 0)),
            entry("b3", "B3", "x", t(6, 0)),
        ],
    )
    .await;
    let cats = store.categories(me).await.unwrap();
    (me, a, b, cats[0].id, cats[1].id)
}

async fn all_pages(
    store: &tributary_store::Store,
    user: tributary_model::UserId,
    mut q: EntryQuery,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    loop {
        let page = store.entries(user, &q).await.unwrap();
        pages.push(page.items.iter().map(|i| i.entry.title.clone()).collect());
        match page.next {
            Some(next) => q.after = Some(next),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn pages_follow_the_keyset_in_every_view() {
    let (store, _dir) = store().await;
    let (me, a, _b, net, sub) = river_fixture(&store).await;
    let q = |view| EntryQuery {
        view,
        limit: 3,
        ..Default::default()
    };
    // Ties on the published time (A3 and B2) are ordered by id, descending.
    let titles = |item_order: &[&str]| item_order.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pages = all_pages(&store, me, q(View::All)).await;
    assert_eq!(
        pages,
        [
            titles(&["A4", "B3", "B2"]),
            titles(&["A3", "A2", "B1"]),
            titles(&["A1"])
        ]
    );

    let river = store.river(me, &Default::default()).await.unwrap();
    let id = |title: &str| {
        river
            .iter()
            .find(|i| i.entry.title == title)
            .unwrap()
            .entry
            .id
    };
    store.set_read(me, id("B3"), true).await.unwrap();
    store.set_read(me, id("A1"), true).await.unwrap();
    store.set_read(me, id("A3"), true).await.unwrap();
    assert_eq!(
        all_pages(&store, me, q(View::Unread)).await,
        [titles(&["A4", "B2", "A2"]), titles(&["B1"])]
    );
    // History: most recently read first.
    assert_eq!(
        all_pages(&store, me, q(View::History)).await,
        [titles(&["A3", "A1", "B3"])]
    );
    store.set_read(me, id("A3"), false).await.unwrap();
    assert_eq!(
        all_pages(&store, me, q(View::History)).await,
        [titles(&["A1", "B3"])]
    );

    store.set_starred(me, id("B1"), true).await.unwrap();
    store.set_starred(me, id("A4"), true).await.unwrap();
    let starred = store.entries(me, &q(View::Starred)).await.unwrap();
    assert_eq!(
        starred
            .items
            .iter()
            .map(|i| i.entry.title.as_str())
            .collect::<Vec<_>>(),
        ["A4", "B1"]
    );
    assert!(starred.items.iter().all(|i| i.starred));
    assert!(starred.next.is_none());

    // Feed, category (with sub-categories), dates.
    let store2 = store.clone();
    let only = move |extra: EntryQuery| {
        let store = store2.clone();
        async move {
            let page = store.entries(me, &extra).await.unwrap();
            page.items
                .iter()
                .map(|i| i.entry.title.clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(EntryQuery {
            view: View::All,
            feed: Some(a),
            ..Default::default()
        })
        .await,
        ["A4", "A3", "A2", "A1"]
    );
    assert_eq!(
        only(EntryQuery {
            view: View::All,
            category: Some(sub),
            ..Default::default()
        })
        .await,
        ["B3", "B2", "B1"]
    );
    assert_eq!(
        only(EntryQuery {
            view: View::All,
            category: Some(net),
            ..Default::default()
        })
        .await
        .len(),
        7
    );
    assert_eq!(
        only(EntryQuery {
            view: View::All,
            since: Some(t(3, 0)),
            until: Some(t(6, 0)),
            ..Default::default()
        })
        .await,
        ["B2", "A3", "A2"]
    );
    // A cursor from the middle of a tie continues after it.
    let b2 = id("B2");
    assert_eq!(
        only(EntryQuery {
            view: View::All,
            after: Some(Cursor {
                at: t(5, 0),
                id: b2
            }),
            ..Default::default()
        })
        .await,
        ["A3", "A2", "B1", "A1"]
    );
    assert!(matches!(
        store
            .entries(
                me,
                &EntryQuery {
                    feed: Some(FeedId(999)),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .entries(
                me,
                &EntryQuery {
                    category: Some(CategoryId(999)),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    // Limit 0 means 50.
    assert_eq!(
        store
            .entries(me, &EntryQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        5
    );
}

#[tokio::test]
async fn bulk_read_state_and_the_mark_all_read_guard() {
    let (store, _dir) = store().await;
    let (me, a, b, _net, sub) = river_fixture(&store).await;
    let river = store.river(me, &Default::default()).await.unwrap();
    let id = |title: &str| {
        river
            .iter()
            .find(|i| i.entry.title == title)
            .unwrap()
            .entry
            .id
    };
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(a, 4), (b, 3)]);

    let ids = [id("A1"), id("A2"), id("A2"), EntryId(9999)];
    assert_eq!(store.set_read_many(me, &ids, true).await.unwrap(), 2);
    assert_eq!(
        store.set_read_many(me, &ids, true).await.unwrap(),
        0,
        "already read"
    );
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(a, 2), (b, 3)]);
    assert_eq!(
        store.set_read_many(me, &[id("A1")], false).await.unwrap(),
        1
    );

    // Only entries published at or before the guard.
    assert_eq!(
        store
            .mark_all_read(me, ReadScope::Feed(b), t(5, 0))
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(a, 3), (b, 1)]);
    assert_eq!(
        store
            .mark_all_read(me, ReadScope::Category(sub), t(30, 0))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .mark_all_read(me, ReadScope::All, t(4, 0))
            .await
            .unwrap(),
        1,
        "A1"
    );
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(a, 2)]);
    assert_eq!(
        store
            .mark_all_read(me, ReadScope::All, t(30, 0))
            .await
            .unwrap(),
        2
    );
    assert!(store.unread_counts(me).await.unwrap().is_empty());
    assert!(matches!(
        store
            .mark_all_read(me, ReadScope::Feed(FeedId(999)), t(30, 0))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .mark_all_read(me, ReadScope::Category(CategoryId(999)), t(30, 0))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let history = store
        .entries(
            me,
            &EntryQuery {
                view: View::History,
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(history.items.len(), 7);
}

#[tokio::test]
async fn activity_buckets_entries_by_week_and_fetches_by_day() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    let now = t(30, 12);
    fetch(
        &store,
        feed,
        now - Duration::days(2),
        vec![
            entry("1", "new", "x", now - Duration::hours(1)),
            entry("2", "last week", "x", now - Duration::days(8)),
            entry("3", "too old", "x", now - Duration::days(400)),
        ],
    )
    .await;
    // Same entries again: unchanged.
    fetch(
        &store,
        feed,
        now - Duration::hours(2),
        vec![entry("1", "new", "x", now - Duration::hours(1))],
    )
    .await;
    store
        .record_not_modified(
            feed,
            FetchUnchanged {
                fetched_at: now - Duration::hours(1),
                next_fetch_at: now,
                next_fetch_reason: "t".into(),
                etag: None,
                last_modified: None,
                moved_to: None,
            },
        )
        .await
        .unwrap();
    store
        .record_failure(
            feed,
            &FetchFailure {
                fetched_at: now - Duration::days(1) - Duration::hours(1),
                next_fetch_at: now,
                next_fetch_reason: "t".into(),
                code: "http_500".into(),
                message: "server error".into(),
                disable: false,
                mark_error: false,
            },
        )
        .await
        .unwrap();
    let activity = store.feed_activity(me, feed, now).await.unwrap().unwrap();
    assert_eq!(activity.weekly_entries.len(), 52);
    assert_eq!(activity.weekly_entries[51], 1);
    assert_eq!(activity.weekly_entries[50], 1);
    assert_eq!(activity.weekly_entries.iter().sum::<i64>(), 2);
    assert_eq!(activity.daily_fetches.len(), 30);
    let today = activity.daily_fetches[29];
    assert_eq!((today.new, today.unchanged, today.failed), (0, 2, 0));
    assert_eq!(activity.daily_fetches[28].failed, 1);
    assert_eq!(
        activity.daily_fetches[27].new, 1,
        "{:?}",
        activity.daily_fetches
    );
    assert!(store
        .feed_activity(me, FeedId(999), now)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn paused_feeds_are_not_fetched_and_bounds_are_the_most_eager() {
    let (store, _dir) = store().await;
    let ann = store.create_user("ann", "$h", true).await.unwrap().id;
    let bob = store.create_user("bob", "$h", false).await.unwrap().id;
    let shared = follow(&store, ann, "https://shared.example/feed", &[]).await;
    follow(&store, bob, "https://shared.example/feed", &[]).await;
    let own = follow(&store, ann, "https://own.example/feed", &[]).await;
    let pause = SubscriptionSettings {
        paused: true,
        ..Default::default()
    };
    store.update_subscription(ann, own, &pause).await.unwrap();
    store
        .update_subscription(ann, shared, &pause)
        .await
        .unwrap();
    let listed = |sel: FeedSelector| {
        let store = store.clone();
        async move {
            store
                .feeds_to_fetch(&sel)
                .await
                .unwrap()
                .into_iter()
                .map(|f| f.id)
                .collect::<HashSet<_>>()
        }
    };
    // Bob still reads the shared feed; nobody reads `own` any more.
    assert_eq!(listed(FeedSelector::All).await, HashSet::from([shared]));
    assert_eq!(
        listed(FeedSelector::Due(t(1, 0))).await,
        HashSet::from([shared])
    );
    assert_eq!(
        listed(FeedSelector::Urls(vec!["https://own.example/feed".into()])).await,
        HashSet::from([own]),
        "named feeds are listed even when paused"
    );
    assert_eq!(store.counts(t(1, 0)).await.unwrap().feeds_due, 1);

    store
        .update_subscription(
            ann,
            shared,
            &SubscriptionSettings {
                min_interval_secs: Some(600),
                max_interval_secs: Some(7200),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .update_subscription(
            bob,
            shared,
            &SubscriptionSettings {
                min_interval_secs: Some(1200),
                max_interval_secs: Some(3600),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let feed = store.feed_by_id(shared).await.unwrap().unwrap();
    assert_eq!(
        (feed.min_interval_secs, feed.max_interval_secs),
        (Some(600), Some(3600))
    );
    let fetched = store.feeds_to_fetch(&FeedSelector::All).await.unwrap();
    let fetched = fetched.iter().find(|f| f.id == shared).unwrap();
    assert_eq!(fetched.max_interval_secs, Some(3600));
    let own_feed = store.feed_by_id(own).await.unwrap().unwrap();
    assert_eq!(
        (own_feed.min_interval_secs, own_feed.max_interval_secs),
        (None, None)
    );
}

#[tokio::test]
async fn a_paused_subscription_hides_what_arrives_while_paused() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(1, 0),
        vec![entry("1", "before", "x", t(1, 0))],
    )
    .await;
    let pause = SubscriptionSettings {
        paused: true,
        ..Default::default()
    };
    store.update_subscription(me, feed, &pause).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    fetch(
        &store,
        feed,
        t(2, 0),
        vec![entry("2", "during", "x", t(2, 0))],
    )
    .await;
    let titles = |page: tributary_store::EntryPage| {
        page.items
            .into_iter()
            .map(|i| i.entry.title)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.entries(me, &EntryQuery::default()).await.unwrap()),
        ["before"]
    );
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(feed, 1)]);
    store
        .update_subscription(me, feed, &Default::default())
        .await
        .unwrap();
    assert_eq!(
        titles(store.entries(me, &EntryQuery::default()).await.unwrap()),
        ["during", "before"]
    );
}

#[tokio::test]
async fn counts_for_metrics() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let a = follow(&store, me, "https://a.example/feed", &[]).await;
    let b = follow(&store, me, "https://b.example/feed", &[]).await;
    fetch(&store, a, t(1, 0), vec![entry("1", "One", "x", t(1, 0))]).await;
    store
        .record_failure(
            b,
            &FetchFailure {
                fetched_at: t(1, 0),
                next_fetch_at: t(1, 5),
                next_fetch_reason: "t".into(),
                code: "gone".into(),
                message: "gone".into(),
                disable: true,
                mark_error: false,
            },
        )
        .await
        .unwrap();
    let counts = store.counts(t(1, 2)).await.unwrap();
    assert_eq!(
        counts.feeds_by_status,
        vec![
            (FeedStatus::Ok, 1),
            (FeedStatus::Error, 0),
            (FeedStatus::Disabled, 1)
        ]
    );
    assert_eq!(counts.feeds_due, 1, "a is due at 01:00; b is disabled");
    assert_eq!(counts.entries, 1);
    assert_eq!(counts.users, 1);
}

/// Two users; Bob calls every per-user method on Ann's ids.
#[tokio::test]
async fn a_user_never_sees_or_changes_another_users_things() {
    let (store, _dir) = store().await;
    let ann = store.create_user("ann", "$h", true).await.unwrap().id;
    let bob = store.create_user("bob", "$h", false).await.unwrap().id;
    let ann_feed = follow(&store, ann, "https://ann.example/feed", &["Private"]).await;
    let bob_feed = follow(&store, bob, "https://bob.example/feed", &[]).await;
    let shared = follow(&store, ann, "https://shared.example/feed", &[]).await;
    follow(&store, bob, "https://shared.example/feed", &[]).await;
    fetch(
        &store,
        ann_feed,
        t(1, 0),
        vec![entry("a", "secret plans", "zebra", t(1, 0))],
    )
    .await;
    fetch(
        &store,
        bob_feed,
        t(1, 0),
        vec![entry("b", "bob's own", "yak", t(1, 0))],
    )
    .await;
    fetch(
        &store,
        shared,
        t(1, 0),
        vec![entry("s", "shared news", "zebra", t(1, 0))],
    )
    .await;
    let ann_entry = store.river(ann, &Default::default()).await.unwrap();
    let ann_entry = ann_entry
        .iter()
        .find(|i| i.entry.feed_id == ann_feed)
        .unwrap()
        .entry
        .id;
    let ann_cat = store.categories(ann).await.unwrap()[0].id;
    let nf = |r: Result<_, StoreError>| matches!(r, Err(StoreError::NotFound(_)));

    assert!(nf(store.set_read(bob, ann_entry, true).await.map(|_| ())));
    assert!(nf(store
        .set_starred(bob, ann_entry, true)
        .await
        .map(|_| ())));
    assert!(store
        .entry_for_user(bob, ann_entry)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .entry_for_user(ann, ann_entry)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store.set_read_many(bob, &[ann_entry], true).await.unwrap(),
        0
    );
    assert!(nf(store
        .entries(
            bob,
            &EntryQuery {
                feed: Some(ann_feed),
                ..Default::default()
            }
        )
        .await
        .map(|_| ())));
    assert!(nf(store
        .entries(
            bob,
            &EntryQuery {
                category: Some(ann_cat),
                ..Default::default()
            }
        )
        .await
        .map(|_| ())));
    assert!(nf(store
        .mark_all_read(bob, ReadScope::Feed(ann_feed), t(9, 0))
        .await
        .map(|_| ())));
    assert!(nf(store
        .mark_all_read(bob, ReadScope::Category(ann_cat), t(9, 0))
        .await
        .map(|_| ())));
    assert!(nf(store
        .rename_category(bob, ann_cat, "mine")
        .await
        .map(|_| ())));
    assert!(nf(store.delete_category(bob, ann_cat).await));
    assert!(nf(store
        .update_subscription(bob, ann_feed, &Default::default())
        .await));
    assert!(nf(store
        .update_subscription(
            bob,
            bob_feed,
            &SubscriptionSettings {
                category: Some(ann_cat),
                ..Default::default()
            }
        )
        .await));
    assert!(store
        .subscription_view(bob, ann_feed)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .feed_activity(bob, ann_feed, t(9, 0))
        .await
        .unwrap()
        .is_none());
    assert!(nf(store
        .search(
            bob,
            &SearchQuery {
                text: "zebra".into(),
                feed: Some(ann_feed),
                ..Default::default()
            }
        )
        .await
        .map(|_| ())));
    assert!(nf(store
        .search(
            bob,
            &SearchQuery {
                text: "zebra".into(),
                category: Some(ann_cat),
                ..Default::default()
            }
        )
        .await
        .map(|_| ())));

    // What Bob does see is only his own.
    let found = store
        .search(
            bob,
            &SearchQuery {
                text: "zebra".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.hits[0].item.entry.feed_id, shared);
    assert!(store.categories(bob).await.unwrap().is_empty());
    let feeds: HashSet<FeedId> = store
        .subscription_views(bob)
        .await
        .unwrap()
        .iter()
        .map(|v| v.subscription.feed.id)
        .collect();
    assert_eq!(feeds, HashSet::from([bob_feed, shared]));
    let unread: HashSet<FeedId> = store
        .unread_counts(bob)
        .await
        .unwrap()
        .iter()
        .map(|(f, _)| *f)
        .collect();
    assert_eq!(unread, HashSet::from([bob_feed, shared]));
    for view in [View::Unread, View::All, View::Starred, View::History] {
        let page = store
            .entries(
                bob,
                &EntryQuery {
                    view,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            page.items.iter().all(|i| i.entry.feed_id != ann_feed),
            "{view:?}"
        );
    }
    assert_eq!(
        store
            .mark_all_read(bob, ReadScope::All, t(9, 0))
            .await
            .unwrap(),
        2
    );
    // Ann's state is untouched by everything Bob did.
    let ann_view = store.entries(ann, &EntryQuery::default()).await.unwrap();
    assert_eq!(ann_view.items.len(), 2);
    assert!(ann_view.items.iter().all(|i| !i.read && !i.starred));
    assert_eq!(store.categories(ann).await.unwrap()[0].name, "Private");
}

#[tokio::test]
async fn entry_and_unread_counts_follow_inserts_and_deletions() {
    let (store, _dir) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    let three = |n: &str| {
        vec![
            entry(&format!("{n}1"), "One", "x", t(1, 0)),
            entry(&format!("{n}2"), "Two", "x", t(2, 0)),
            entry(&format!("{n}3"), "Three", "x", t(3, 0)),
        ]
    };
    fetch(&store, feed, t(3, 0), three("a")).await;
    fetch(&store, feed, t(4, 0), three("a")).await; // unchanged: no new rows
    let view = store.subscription_view(me, feed).await.unwrap().unwrap();
    assert_eq!((view.subscription.entry_count, view.unread_count), (3, 3));
    let river = store.river(me, &Default::default()).await.unwrap();
    store.set_read(me, river[0].entry.id, true).await.unwrap();
    store.delete_entry(river[1].entry.id).await.unwrap();
    let view = store.subscription_view(me, feed).await.unwrap().unwrap();
    assert_eq!((view.subscription.entry_count, view.unread_count), (2, 1));
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(feed, 1)]);
    store.delete_entry(river[0].entry.id).await.unwrap();
    assert_eq!(store.unread_counts(me).await.unwrap(), vec![(feed, 1)]);
    assert_eq!(store.subscriptions(me).await.unwrap()[0].entry_count, 1);
}

/// Unread counts as the definition says: entries of the feed without a read state.
async fn counted_by_hand(
    store: &tributary_store::Store,
    user: tributary_model::UserId,
) -> Vec<(FeedId, i64)> {
    let mut counts = std::collections::BTreeMap::new();
    let page = store
        .entries(
            user,
            &EntryQuery {
                view: View::All,
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for item in page.items.iter().filter(|i| !i.read) {
        *counts.entry(item.entry.feed_id).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

#[tokio::test]
async fn kept_read_counts_agree_with_a_count_by_hand_through_every_kind_of_change() {
    let (store, _dir) = store().await;
    let ann = store.default_user().await.unwrap();
    let bob = store.ensure_user("bob").await.unwrap();
    let a = follow(&store, ann, "https://a.example/feed", &["Net"]).await;
    let b = follow(&store, ann, "https://b.example/feed", &[]).await;
    follow(&store, bob, "https://a.example/feed", &[]).await;
    let many = |prefix: &str, n: u32| {
        (0..n)
            .map(|i| {
                entry(
                    &format!("{prefix}{i}"),
                    &format!("{prefix} {i}"),
                    "x",
                    t(1 + i % 20, i % 24),
                )
            })
            .collect::<Vec<_>>()
    };
    fetch(&store, a, t(21, 0), many("a", 30)).await;
    fetch(&store, b, t(21, 0), many("b", 10)).await;
    let check = |step: &'static str| {
        let store = store.clone();
        async move {
            for user in [ann, bob] {
                let by_hand = counted_by_hand(&store, user).await;
                assert_eq!(
                    store.unread_counts(user).await.unwrap(),
                    by_hand,
                    "after {step}, user {user}"
                );
                assert_eq!(
                    store.unread_total(user).await.unwrap(),
                    by_hand.iter().map(|(_, n)| n).sum::<i64>(),
                    "total after {step}, user {user}"
                );
            }
        }
    };
    check("the first fetch").await;
    let ids: Vec<EntryId> = store
        .entries(
            ann,
            &EntryQuery {
                view: View::All,
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.entry.id)
        .collect();
    store.set_read(ann, ids[0], true).await.unwrap();
    store.set_read(ann, ids[0], true).await.unwrap(); // twice: counted once
    store.set_starred(ann, ids[1], true).await.unwrap(); // a state row that is not read
    check("set_read and set_starred").await;
    store.set_read_many(ann, &ids[..12], true).await.unwrap();
    store.set_read_many(ann, &ids[5..8], false).await.unwrap();
    check("set_read_many").await;
    store
        .mark_all_read(bob, ReadScope::All, t(10, 0))
        .await
        .unwrap();
    check("bob's mark_all_read").await;
    store.delete_entry(ids[2]).await.unwrap(); // read by ann
    store.delete_entry(ids[6]).await.unwrap(); // unread for ann
    check("deleting entries").await;
    fetch(&store, a, t(22, 0), many("c", 5)).await;
    check("a second fetch").await;
    store
        .unsubscribe(ann, "https://b.example/feed")
        .await
        .unwrap();
    follow(&store, ann, "https://b.example/feed", &[]).await;
    check("unsubscribing and subscribing again").await;
    store
        .mark_all_read(ann, ReadScope::Feed(a), t(23, 0))
        .await
        .unwrap();
    check("mark_all_read of a feed").await;
    let cats = store.categories(ann).await.unwrap();
    assert_eq!(cats[0].unread_count, 0, "Net holds only feed a, all read");
}
