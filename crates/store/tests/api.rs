//! What the reader APIs read and change, against a real database (SQLite,
//! or PostgreSQL when `TRIBUTARY_TEST_POSTGRES` is set): API passwords and
//! their sessions, entries by every filter and order, id lists, starring in
//! bulk (also by two processes at once), and that another user's data never
//! shows.

mod common;

use chrono::{Duration, Utc};
use common::{entry, fetch, follow, store, t};
use tributary_model::{EntryId, FeedId, UserId};
use tributary_store::{ApiEntryQuery, ApiOrder, Store, StoreError};

async fn user(store: &Store, name: &str) -> UserId {
    store.create_user(name, "hash", false).await.unwrap().id
}

#[tokio::test]
async fn api_passwords_are_found_by_hash_and_fever_key_and_revoked() {
    let (store, _dir) = store().await;
    let ann = user(&store, "ann").await;
    let bob = user(&store, "bob").await;
    let a = store
        .create_api_token(ann, "  NetNewsWire  ", "sha-a", "FEVER-A")
        .await
        .unwrap();
    assert_eq!(a.description, "NetNewsWire");
    assert_eq!(a.user_id, ann);
    assert_eq!(a.last_used_at, None);
    store
        .create_api_token(ann, "phone", "sha-b", "fever-b")
        .await
        .unwrap();
    for bad in ["", "   ", &"x".repeat(201)] {
        assert!(
            matches!(
                store.create_api_token(ann, bad, "sha-c", "fever-c").await,
                Err(StoreError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        store.create_api_token(bob, "dup", "sha-a", "fever-x").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .create_api_token(UserId(999), "x", "sha-z", "fever-z")
            .await,
        Err(StoreError::NotFound(_))
    ));

    let (who, token) = store.user_by_api_secret("sha-a").await.unwrap().unwrap();
    assert_eq!((who.username.as_str(), token.id), ("ann", a.id));
    assert!(token.last_used_at.is_some(), "the use is recorded");
    // Fever keys are compared in lower case, as clients send either.
    let (who, _) = store.user_by_fever_key("fever-a").await.unwrap().unwrap();
    assert_eq!(who.id, ann);
    assert!(store.user_by_api_secret("sha-x").await.unwrap().is_none());
    // What a client sends may hold anything, NUL too (PostgreSQL's text
    // cannot): it is not found.
    assert!(store
        .user_by_fever_key("fever-a\0")
        .await
        .unwrap()
        .is_none());
    assert!(store.user_by_api_secret("\0").await.unwrap().is_none());

    let listed = store.api_tokens(ann).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[1].last_used_at.is_some(), "{listed:?}");
    assert!(store.api_tokens(bob).await.unwrap().is_empty());

    // Bob cannot revoke Ann's password; Ann can.
    assert!(matches!(
        store.revoke_api_token(bob, a.id).await,
        Err(StoreError::NotFound(_))
    ));
    store.revoke_api_token(ann, a.id).await.unwrap();
    assert!(store.user_by_api_secret("sha-a").await.unwrap().is_none());
    assert!(store.user_by_fever_key("fever-a").await.unwrap().is_none());
    assert!(matches!(
        store.revoke_api_token(ann, a.id).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn api_sessions_end_with_their_password_and_are_not_ui_sessions() {
    let (store, _dir) = store().await;
    let ann = user(&store, "ann").await;
    let token = store
        .create_api_token(ann, "reader", "sha", "fever")
        .await
        .unwrap();
    let later = Utc::now() + Duration::days(30);
    store
        .create_api_session(token.id, "auth-hash", "T-token", later)
        .await
        .unwrap();
    store
        .create_session(ann, "ui-hash", "csrf", later)
        .await
        .unwrap();
    let now = Utc::now();
    let s = store.api_session("auth-hash", now).await.unwrap().unwrap();
    assert_eq!((s.user.id, s.csrf_token.as_str()), (ann, "T-token"));
    assert!(store.session("auth-hash", now).await.unwrap().is_none());
    assert!(store.api_session("ui-hash", now).await.unwrap().is_none());
    assert!(store.session("ui-hash", now).await.unwrap().is_some());
    // Expired at `later`.
    assert!(store
        .api_session("auth-hash", later)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store.create_api_session(999, "other", "t", later).await,
        Err(StoreError::NotFound(_))
    ));

    store.revoke_api_token(ann, token.id).await.unwrap();
    assert!(store.api_session("auth-hash", now).await.unwrap().is_none());
    assert!(store.session("ui-hash", now).await.unwrap().is_some());
}

#[tokio::test]
async fn a_client_that_signs_in_at_every_start_keeps_only_the_newest_sessions() {
    let (store, _dir) = store().await;
    let ann = user(&store, "ann").await;
    let a = store
        .create_api_token(ann, "newsboat", "sha-a", "fever-a")
        .await
        .unwrap();
    let b = store
        .create_api_token(ann, "reeder", "sha-b", "fever-b")
        .await
        .unwrap();
    let later = Utc::now() + Duration::days(365);
    store
        .create_api_session(b.id, "b-0", "t", later)
        .await
        .unwrap();
    for i in 0..25 {
        store
            .create_api_session(a.id, &format!("a-{i:02}"), "t", later)
            .await
            .unwrap();
    }
    let now = Utc::now();
    let mut live = 0;
    for i in 0..25 {
        if store
            .api_session(&format!("a-{i:02}"), now)
            .await
            .unwrap()
            .is_some()
        {
            live += 1;
            assert!(i >= 5, "a-{i:02} is one of the oldest and should be gone");
        }
    }
    assert_eq!(live, 20);
    assert!(
        store.api_session("b-0", now).await.unwrap().is_some(),
        "other passwords keep theirs"
    );
}

/// Ann follows two feeds (one in Net/Vendors), Bob a third; 5 entries each.
async fn setup() -> (
    Store,
    tributary_store::testing::Scratch,
    UserId,
    UserId,
    FeedId,
    FeedId,
    FeedId,
) {
    let (store, dir) = store().await;
    let ann = user(&store, "ann").await;
    let bob = user(&store, "bob").await;
    let vendors = follow(&store, ann, "https://v.example/feed", &["Net", "Vendors"]).await;
    let blog = follow(&store, ann, "https://b.example/feed", &[]).await;
    let other = follow(&store, bob, "https://o.example/feed", &[]).await;
    for (feed, name, day) in [(vendors, "v", 1), (blog, "b", 2), (other, "o", 3)] {
        let entries = (0..5)
            .map(|i| {
                entry(
                    &format!("{name}{i}"),
                    &format!("{name} title {i}"),
                    &format!("<p>{name} body {i} routing</p>"),
                    t(day, i),
                )
            })
            .collect();
        fetch(&store, feed, t(day, 6), entries).await;
    }
    (store, dir, ann, bob, vendors, blog, other)
}

fn ids(page: &tributary_store::ApiEntryPage) -> Vec<i64> {
    page.items.iter().map(|i| i.item.entry.id.0).collect()
}

#[tokio::test]
async fn entries_filter_order_and_page() {
    let (store, _dir, ann, _bob, vendors, blog, other) = setup().await;
    let all = store
        .api_entries(
            ann,
            &ApiEntryQuery {
                with_total: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, Some(10));
    let all_ids = ids(&all);
    assert_eq!(all_ids.len(), 10);
    assert!(all_ids.windows(2).all(|w| w[0] < w[1]), "by id, ascending");
    assert!(all.items.iter().all(|i| i.item.source.feed_id != other));
    assert!(all.items.iter().all(|i| i.changed_at == i.created_at));

    // Newest published first, paged by offset.
    let q = |offset| ApiEntryQuery {
        order: ApiOrder::Published,
        descending: true,
        limit: Some(4),
        offset,
        with_total: true,
        ..Default::default()
    };
    let mut seen = Vec::new();
    for offset in [0, 4, 8] {
        let page = store.api_entries(ann, &q(offset)).await.unwrap();
        assert_eq!(page.total, Some(10));
        seen.extend(page.items.iter().map(|i| i.item.entry.published));
    }
    assert_eq!(seen.len(), 10);
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{seen:?}");

    // Read, starred, ids, id bounds, time bounds, feed, category, search.
    let first = EntryId(all_ids[0]);
    store.set_read_many(ann, &[first], true).await.unwrap();
    assert_eq!(
        store
            .set_starred_many(ann, &[first, EntryId(all_ids[1])], true)
            .await
            .unwrap(),
        2
    );
    let count = |q: ApiEntryQuery| {
        let store = store.clone();
        async move { store.api_entries(ann, &q).await.unwrap().items.len() }
    };
    assert_eq!(
        count(ApiEntryQuery {
            read: Some(true),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(ApiEntryQuery {
            read: Some(false),
            ..Default::default()
        })
        .await,
        9
    );
    assert_eq!(
        count(ApiEntryQuery {
            starred: Some(true),
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        count(ApiEntryQuery {
            starred: Some(false),
            ..Default::default()
        })
        .await,
        8
    );
    assert_eq!(
        count(ApiEntryQuery {
            ids: Some(vec![first, EntryId(all_ids[9])]),
            ..Default::default()
        })
        .await,
        2
    );
    assert_eq!(
        count(ApiEntryQuery {
            after_id: Some(first),
            ..Default::default()
        })
        .await,
        9
    );
    assert_eq!(
        count(ApiEntryQuery {
            before_id: Some(EntryId(all_ids[3])),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(ApiEntryQuery {
            published_after: Some(t(2, 0)),
            ..Default::default()
        })
        .await,
        4,
        "exclusive bound"
    );
    assert_eq!(
        count(ApiEntryQuery {
            published_before: Some(t(2, 0)),
            ..Default::default()
        })
        .await,
        5
    );
    assert_eq!(
        count(ApiEntryQuery {
            feed: Some(blog),
            ..Default::default()
        })
        .await,
        5
    );
    let net = store
        .categories(ann)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.path == "Net")
        .unwrap();
    assert_eq!(
        count(ApiEntryQuery {
            category: Some(net.id),
            ..Default::default()
        })
        .await,
        5,
        "a category includes its sub-categories"
    );
    assert_eq!(
        count(ApiEntryQuery {
            search: Some("v routing".into()),
            ..Default::default()
        })
        .await,
        5
    );
    let changed = store
        .api_entries(
            ann,
            &ApiEntryQuery {
                ids: Some(vec![first]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(changed.items[0].changed_at > changed.items[0].created_at);
    assert!(changed.items[0].item.read && changed.items[0].item.starred);
    let _ = vendors;

    // Unread first.
    let by_status = store
        .api_entries(
            ann,
            &ApiEntryQuery {
                order: ApiOrder::Status,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_status.items.last().unwrap().item.entry.id, first);
}

#[tokio::test]
async fn another_users_data_never_shows_or_changes() {
    let (store, _dir, ann, bob, _vendors, _blog, other) = setup().await;
    let bobs: Vec<EntryId> = store
        .api_entry_refs(bob, &ApiEntryQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(bobs.len(), 5);
    assert!(store
        .api_entries(
            ann,
            &ApiEntryQuery {
                ids: Some(bobs.clone()),
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(store.set_starred_many(ann, &bobs, true).await.unwrap(), 0);
    assert_eq!(store.set_read_many(ann, &bobs, true).await.unwrap(), 0);
    assert!(matches!(
        store
            .api_entries(
                ann,
                &ApiEntryQuery {
                    feed: Some(other),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let bob_view = store
        .api_entries(bob, &ApiEntryQuery::default())
        .await
        .unwrap();
    assert!(bob_view
        .items
        .iter()
        .all(|i| !i.item.read && !i.item.starred));
}

#[tokio::test]
async fn id_lists_have_every_match_and_last_refreshed_is_the_newest_fetch() {
    let (store, _dir, ann, bob, ..) = setup().await;
    let unread = store
        .api_entry_refs(
            ann,
            &ApiEntryQuery {
                read: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(unread.len(), 10);
    let newest_first = store
        .api_entry_refs(
            ann,
            &ApiEntryQuery {
                order: ApiOrder::Created,
                descending: true,
                limit: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(newest_first.len(), 3);
    assert!(newest_first
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
    assert_eq!(store.last_refreshed(ann).await.unwrap(), Some(t(2, 6)));
    assert_eq!(store.last_refreshed(bob).await.unwrap(), Some(t(3, 6)));
    let carl = user(&store, "carl").await;
    assert_eq!(store.last_refreshed(carl).await.unwrap(), None);
    assert!(matches!(
        store
            .api_entries(
                ann,
                &ApiEntryQuery {
                    search: Some("  ".into()),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
}

/// The totals that come from the kept counters equal the matches counted
/// one by one, for every read filter and scope — also for a paused
/// subscription, whose entries stored after the pause are hidden.
#[tokio::test]
async fn totals_from_counters_equal_the_counted_matches() {
    let (store, _dir, ann, _bob, vendors, blog, _other) = setup().await;
    let some: Vec<EntryId> = store
        .api_entry_refs(ann, &ApiEntryQuery::default())
        .await
        .unwrap()
        .into_iter()
        .step_by(3)
        .map(|r| r.id)
        .collect();
    store.set_read_many(ann, &some, true).await.unwrap();
    let mut settings = store
        .subscription_view(ann, blog)
        .await
        .unwrap()
        .unwrap()
        .settings;
    settings.paused = true;
    store
        .update_subscription(ann, blog, &settings)
        .await
        .unwrap();
    let later = (0..3)
        .map(|i| entry(&format!("late{i}"), "late", "<p>late</p>", t(9, i)))
        .collect();
    fetch(&store, blog, Utc::now() + Duration::seconds(5), later).await;
    let net = store.categories(ann).await.unwrap()[0].id;

    let mut checked = 0;
    for read in [None, Some(true), Some(false)] {
        for (feed, category) in [
            (None, None),
            (Some(vendors), None),
            (Some(blog), None),
            (None, Some(net)),
        ] {
            let q = ApiEntryQuery {
                read,
                feed,
                category,
                limit: Some(1000),
                with_total: true,
                ..Default::default()
            };
            let page = store.api_entries(ann, &q).await.unwrap();
            assert_eq!(
                page.total,
                Some(page.items.len() as i64),
                "read {read:?}, feed {feed:?}, category {category:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
    let all = store
        .api_entries(
            ann,
            &ApiEntryQuery {
                with_total: true,
                limit: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        all.total,
        Some(10),
        "the three entries stored after the pause are hidden"
    );
    assert!(all.items.is_empty());
}

#[tokio::test]
async fn views_of_some_feeds_are_those_of_all_views_and_only_the_users() {
    let (store, _dir, ann, _bob, vendors, blog, other) = setup().await;
    let all = store.subscription_views(ann).await.unwrap();
    let some = store
        .subscription_views_of(ann, &[blog, other, vendors, blog])
        .await
        .unwrap();
    assert_eq!(
        some, all,
        "Bob's feed is left out, each of Ann's once, same order"
    );
    let one = store.subscription_views_of(ann, &[vendors]).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].subscription.feed.id, vendors);
    assert!(store
        .subscription_views_of(ann, &[])
        .await
        .unwrap()
        .is_empty());
}

/// Two stores on one database, as two processes of one installation have.
async fn second_store(db: &tributary_store::testing::Scratch) -> Store {
    db.open().await.expect("second store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_at_once_still_keep_only_the_newest_sessions() {
    let (one, db) = store().await;
    let two = second_store(&db).await;
    let ann = user(&one, "ann").await;
    let token = one
        .create_api_token(ann, "newsboat", "sha-a", "fever-a")
        .await
        .unwrap();
    let later = Utc::now() + Duration::days(365);
    for i in 0..20 {
        one.create_api_session(token.id, &format!("old-{i:02}"), "t", later)
            .await
            .unwrap();
    }
    for round in 0..20 {
        let (a, b) = (format!("a-{round}"), format!("b-{round}"));
        let (ra, rb) = tokio::join!(
            one.create_api_session(token.id, &a, "t", later),
            two.create_api_session(token.id, &b, "t", later)
        );
        ra.unwrap();
        rb.unwrap();
        let now = Utc::now();
        let mut live = 0;
        for hash in (0..20)
            .map(|i| format!("old-{i:02}"))
            .chain((0..=round).flat_map(|r| [format!("a-{r}"), format!("b-{r}")]))
        {
            if one.api_session(&hash, now).await.unwrap().is_some() {
                live += 1;
            }
        }
        assert_eq!(live, 20, "round {round}");
        for hash in [&a, &b] {
            assert!(one.api_session(hash, now).await.unwrap().is_some());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starring_the_same_entries_at_once_counts_each_change_once() {
    let (one, db, ann, ..) = setup().await;
    let two = second_store(&db).await;
    let refs: Vec<EntryId> = one
        .api_entry_refs(ann, &ApiEntryQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    // Some have a state already (read), some not.
    one.set_read_many(ann, &refs[..5], true).await.unwrap();
    for round in 0..20 {
        let starred = round % 2 == 0;
        let (a, b) = tokio::join!(
            one.set_starred_many(ann, &refs, starred),
            two.set_starred_many(ann, &refs, starred)
        );
        assert_eq!(a.unwrap() + b.unwrap(), 10, "round {round}");
        let now_starred = one
            .api_entry_refs(
                ann,
                &ApiEntryQuery {
                    starred: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .len();
        assert_eq!(now_starred, if starred { 10 } else { 0 }, "round {round}");
    }
}
