//! WebSub subscription state against a fresh database of the engine under
//! test (an SQLite file, or PostgreSQL with `TRIBUTARY_TEST_POSTGRES`):
//! requesting (and re-requesting without changing the token), verification
//! with its lease, denial, unsubscription, pushes, errors, renewal queries,
//! the active test, and the row going away with its feed.

use chrono::{DateTime, TimeZone, Utc};
use tributary_model::FeedId;
use tributary_store::testing::{scratch, Scratch};
use tributary_store::{
    FeedSelector, NewSubscription, NewWebSub, Store, StoreError, WebSubMode, WebSubState,
};

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, minute, 0).unwrap()
}

fn new(hub: &str, token: &str) -> NewWebSub {
    NewWebSub {
        hub_url: hub.to_owned(),
        topic_url: "https://a.example/feed".to_owned(),
        callback_token: token.repeat(32),
        secret: format!("secret-{token}"),
    }
}

/// A store on a fresh database with `n` feeds; the database lives as long as the guard.
async fn store_with_feeds(n: usize) -> (Scratch, Store, Vec<FeedId>) {
    let db = scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let me = store.default_user().await.unwrap();
    let subs: Vec<NewSubscription> = (0..n)
        .map(|i| NewSubscription {
            url: format!("https://f{i}.example/feed"),
            ..Default::default()
        })
        .collect();
    store.subscribe(me, &subs).await.unwrap();
    let mut feeds: Vec<FeedId> = store
        .feeds_to_fetch(&FeedSelector::All)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    feeds.sort();
    (db, store, feeds)
}

#[tokio::test]
async fn request_verify_and_renew_keep_the_token() {
    let (_db, store, feeds) = store_with_feeds(1).await;
    let feed = feeds[0];
    assert!(store.websub_for_feed(feed).await.unwrap().is_none());

    let first = store
        .websub_request_subscription(feed, &new("https://hub.example/", "a"), t(0))
        .await
        .unwrap();
    assert_eq!(first.state, WebSubState::Pending);
    assert_eq!(first.pending_mode, Some(WebSubMode::Subscribe));
    assert_eq!(first.callback_token, "a".repeat(32));
    assert_eq!(first.secret, "secret-a");
    assert_eq!(first.requested_at, t(0));
    assert!(!store.websub_active(feed, t(0)).await.unwrap());

    let found = store
        .websub_by_token(&"a".repeat(32))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    assert!(store.websub_by_token("nope").await.unwrap().is_none());

    store.websub_mark_verified(feed, 600, t(1)).await.unwrap();
    let active = store.websub_for_feed(feed).await.unwrap().unwrap();
    assert_eq!(active.state, WebSubState::Active);
    assert_eq!(active.pending_mode, None);
    assert_eq!(active.lease_seconds, Some(600));
    assert_eq!(active.verified_at, Some(t(1)));
    assert_eq!(active.expires_at, Some(t(11)));
    assert!(store.websub_active(feed, t(10)).await.unwrap());
    assert!(
        !store.websub_active(feed, t(11)).await.unwrap(),
        "an expired lease is not active"
    );

    // Renewal: same hub and topic, fresh token offered, stored one kept, still active.
    let renewal = store
        .websub_request_subscription(feed, &new("https://hub.example/", "b"), t(8))
        .await
        .unwrap();
    assert_eq!(renewal.callback_token, "a".repeat(32));
    assert_eq!(renewal.secret, "secret-a");
    assert_eq!(renewal.state, WebSubState::Active);
    assert_eq!(renewal.pending_mode, Some(WebSubMode::Subscribe));
    assert_eq!(renewal.requested_at, t(8));
    assert_eq!(renewal.expires_at, Some(t(11)));

    // Another hub: a new subscription with the new token, back to pending.
    let moved = store
        .websub_request_subscription(feed, &new("https://other-hub.example/", "c"), t(9))
        .await
        .unwrap();
    assert_eq!(moved.callback_token, "c".repeat(32));
    assert_eq!(moved.state, WebSubState::Pending);
    assert_eq!(moved.expires_at, None);
    assert_eq!(moved.verified_at, None);
    assert!(store
        .websub_by_token(&"a".repeat(32))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn denial_unsubscription_push_and_error() {
    let (_db, store, feeds) = store_with_feeds(1).await;
    let feed = feeds[0];
    store
        .websub_request_subscription(feed, &new("https://hub.example/", "a"), t(0))
        .await
        .unwrap();

    store
        .websub_mark_denied(feed, Some("topic not allowed"))
        .await
        .unwrap();
    let denied = store.websub_for_feed(feed).await.unwrap().unwrap();
    assert_eq!(denied.state, WebSubState::Denied);
    assert_eq!(denied.pending_mode, None);
    assert!(denied
        .last_error
        .as_deref()
        .unwrap()
        .contains("topic not allowed"));

    // A huge reason is capped.
    store
        .websub_mark_denied(feed, Some(&"x".repeat(100_000)))
        .await
        .unwrap();
    let denied = store.websub_for_feed(feed).await.unwrap().unwrap();
    assert!(denied.last_error.unwrap().chars().count() < 1100);

    // Retried: pending again, same token.
    let again = store
        .websub_request_subscription(feed, &new("https://hub.example/", "z"), t(2))
        .await
        .unwrap();
    assert_eq!(again.state, WebSubState::Pending);
    assert_eq!(again.callback_token, "a".repeat(32));
    store.websub_mark_verified(feed, 60, t(2)).await.unwrap();

    store.websub_record_push(feed, t(3)).await.unwrap();
    let pushed = store.websub_for_feed(feed).await.unwrap().unwrap();
    assert_eq!(pushed.last_push_at, Some(t(3)));
    assert_eq!(pushed.last_error, None, "verification clears the error");

    let unsub = store
        .websub_request_unsubscription(feed, t(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unsub.pending_mode, Some(WebSubMode::Unsubscribe));
    assert_eq!(unsub.state, WebSubState::Active, "active until verified");
    store
        .websub_record_error(feed, "hub answered 500")
        .await
        .unwrap();
    let failed = store.websub_for_feed(feed).await.unwrap().unwrap();
    assert_eq!(failed.pending_mode, None);
    assert_eq!(failed.last_error.as_deref(), Some("hub answered 500"));
    assert_eq!(failed.state, WebSubState::Active);

    store.websub_mark_unsubscribed(feed).await.unwrap();
    let gone = store.websub_for_feed(feed).await.unwrap().unwrap();
    assert_eq!(gone.state, WebSubState::Unsubscribed);
    assert_eq!(gone.expires_at, None);
    assert!(!store.websub_active(feed, t(4)).await.unwrap());
}

#[tokio::test]
async fn renewal_lists_active_subscriptions_expiring_before() {
    let (_db, store, feeds) = store_with_feeds(4).await;
    for (i, feed) in feeds.iter().enumerate() {
        let token = ["a", "b", "c", "d"][i];
        store
            .websub_request_subscription(*feed, &new("https://hub.example/", token), t(0))
            .await
            .unwrap();
    }
    // feed 0: lease to 12:10; feed 1: to 12:30; feed 2: pending; feed 3: denied.
    store
        .websub_mark_verified(feeds[0], 600, t(0))
        .await
        .unwrap();
    store
        .websub_mark_verified(feeds[1], 1800, t(0))
        .await
        .unwrap();
    store.websub_mark_denied(feeds[3], None).await.unwrap();

    let due = |m| store.websub_due_for_renewal(t(m));
    assert!(
        due(10).await.unwrap().is_empty(),
        "12:10 is not before 12:10"
    );
    let ids: Vec<FeedId> = due(11).await.unwrap().iter().map(|s| s.feed_id).collect();
    assert_eq!(ids, vec![feeds[0]]);
    let ids: Vec<FeedId> = due(59).await.unwrap().iter().map(|s| s.feed_id).collect();
    assert_eq!(ids, vec![feeds[0], feeds[1]], "soonest first, only active");
}

#[tokio::test]
async fn unknown_feed_and_missing_rows_are_not_found() {
    let (_db, store, _feeds) = store_with_feeds(1).await;
    let ghost = FeedId(999);
    assert!(matches!(
        store
            .websub_request_subscription(ghost, &new("https://hub.example/", "a"), t(0))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.websub_mark_verified(ghost, 60, t(0)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.websub_record_push(ghost, t(0)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store
        .websub_request_unsubscription(ghost, t(0))
        .await
        .unwrap()
        .is_none());
    assert!(!store.websub_active(ghost, t(0)).await.unwrap());
}

#[tokio::test]
async fn tokens_are_unique_and_rows_go_with_their_feed() {
    let (_db, store, feeds) = store_with_feeds(2).await;
    store
        .websub_request_subscription(feeds[0], &new("https://hub.example/", "a"), t(0))
        .await
        .unwrap();
    // The same token for another feed is refused by the database.
    assert!(matches!(
        store
            .websub_request_subscription(feeds[1], &new("https://hub.example/", "a"), t(0))
            .await,
        Err(StoreError::Db(_))
    ));

    let me = store.default_user().await.unwrap();
    store
        .unsubscribe(me, &feeds[0].0.to_string())
        .await
        .unwrap();
    assert!(store
        .websub_by_token(&"a".repeat(32))
        .await
        .unwrap()
        .is_none());
    assert!(store.websub_for_feed(feeds[0]).await.unwrap().is_none());
}
