//! Webhook state against a fresh database of the engine under test (an
//! SQLite file, or PostgreSQL with `TRIBUTARY_TEST_POSTGRES`): creation at
//! the newest entry, per-user scoping, which entries a webhook would send
//! (paused, hidden, category, settle), leases, batches and their outcome,
//! the back-off in `due`, and the bounded log.

mod common;

use chrono::{Duration, Utc};
use common::{entry, fetch, follow, store, t};
use sqlx::Executor;
use tributary_model::{EntryId, UserId};
use tributary_store::testing::Scratch;
use tributary_store::{
    AttemptEffect, DeliveryAttempt, DeliveryKind, LogRetention, NewWebhook, PendingBatch, Store,
    StoreError, SubscriptionSettings, WebhookId,
};

fn new_hook(url: &str, category: Option<&str>) -> NewWebhook {
    NewWebhook {
        url: url.to_owned(),
        secret: "s".repeat(40),
        category: category.map(str::to_owned),
    }
}

/// Hide `entry` for `user`, as a rule would (straight in SQL: the rules
/// have their own store functions).
async fn hide(db: &Scratch, user: UserId, entry: EntryId) {
    let sql = match db.engine() {
        "sqlite" => format!(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, feed_id, hidden) \
             SELECT {u}, id, 1, 0, '2026-11-01T00:00:00.000000Z', feed_id, 1 FROM entries WHERE id = {e} \
             ON CONFLICT (user_id, entry_id) DO UPDATE SET hidden = 1, read = 1",
            u = user.0,
            e = entry.0
        ),
        _ => format!(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, feed_id, hidden) \
             SELECT {u}, id, TRUE, FALSE, '2026-11-01T00:00:00.000000Z', feed_id, TRUE FROM entries WHERE id = {e} \
             ON CONFLICT (user_id, entry_id) DO UPDATE SET hidden = TRUE, read = TRUE",
            u = user.0,
            e = entry.0
        ),
    };
    if db.engine() == "sqlite" {
        let path = db.url().trim_start_matches("sqlite://");
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        pool.execute(sql.as_str()).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        pool.execute(sql.as_str()).await.unwrap();
        pool.close().await;
    }
}

fn attempt(delivery: &str, n: u32, status: Option<u16>, error: Option<&str>) -> DeliveryAttempt {
    DeliveryAttempt {
        at: Utc::now(),
        delivery_id: delivery.to_owned(),
        kind: DeliveryKind::Entries,
        entries: 1,
        attempt: n,
        status,
        error: error.map(str::to_owned),
        duration_ms: 12,
    }
}

async fn guids(store: &Store, hook: WebhookId, user: UserId) -> Vec<String> {
    let hook = store.webhook(user, hook).await.unwrap();
    store
        .webhook_entries(&hook, Utc::now() + Duration::seconds(1), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.entry.guid.unwrap())
        .collect()
}

#[tokio::test]
async fn a_new_webhook_starts_at_the_newest_entry_and_belongs_to_its_user() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    let other = store.ensure_user("other").await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    fetch(
        &store,
        feed,
        t(1, 10),
        vec![entry("old", "Old", "x", t(1, 9))],
    )
    .await;

    let hook = store
        .webhook_create(me, &new_hook("https://r.example/hook", None), t(1, 11))
        .await
        .unwrap();
    assert!(hook.enabled);
    assert!(hook.cursor > 0, "the backlog is not sent");
    assert!(hook.pending.is_none());
    assert!(guids(&store, hook.id, me).await.is_empty());

    fetch(
        &store,
        feed,
        t(1, 12),
        vec![entry("new", "New", "x", t(1, 12))],
    )
    .await;
    assert_eq!(guids(&store, hook.id, me).await, ["new"]);

    assert_eq!(store.webhooks(me).await.unwrap().len(), 1);
    assert!(store.webhooks(other).await.unwrap().is_empty());
    assert!(matches!(
        store.webhook(other, hook.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.webhook_delete(other, hook.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.webhook_set_enabled(other, hook.id, false).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .webhook_create(
                me,
                &NewWebhook {
                    secret: "short".into(),
                    ..new_hook("https://r.example/", None)
                },
                t(1, 1)
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn paused_hidden_other_categories_and_unsettled_entries_are_not_selected() {
    let (store, db) = store().await;
    let me = store.default_user().await.unwrap();
    let other = store.ensure_user("other").await.unwrap();
    let net = follow(&store, me, "https://net.example/feed", &["Net", "Vendors"]).await;
    let misc = follow(&store, me, "https://misc.example/feed", &["Misc"]).await;
    let paused = follow(&store, me, "https://paused.example/feed", &[]).await;
    let theirs = follow(&store, other, "https://theirs.example/feed", &[]).await;
    store
        .update_subscription(
            me,
            paused,
            &SubscriptionSettings {
                paused: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let all = store
        .webhook_create(me, &new_hook("https://r.example/all", None), t(1, 1))
        .await
        .unwrap();
    let only_net = store
        .webhook_create(me, &new_hook("https://r.example/net", Some("Net")), t(1, 1))
        .await
        .unwrap();
    fetch(
        &store,
        net,
        t(1, 2),
        vec![
            entry("n1", "N1", "x", t(1, 2)),
            entry("n2", "N2", "x", t(1, 2)),
        ],
    )
    .await;
    fetch(&store, misc, t(1, 2), vec![entry("m1", "M1", "x", t(1, 2))]).await;
    fetch(
        &store,
        paused,
        t(1, 2),
        vec![entry("p1", "P1", "x", t(1, 2))],
    )
    .await;
    fetch(
        &store,
        theirs,
        t(1, 2),
        vec![entry("t1", "T1", "x", t(1, 2))],
    )
    .await;
    let n2 = common::ids(&store, me)
        .await
        .into_iter()
        .find(|(g, _)| g == "n2")
        .unwrap()
        .1;
    hide(&db, me, n2).await;

    assert_eq!(guids(&store, all.id, me).await, ["n1", "m1"]);
    assert_eq!(guids(&store, only_net.id, me).await, ["n1"]);

    // Settle: nothing stored after the cut-off is selected.
    let hook = store.webhook(me, all.id).await.unwrap();
    let early = store
        .webhook_entries(&hook, Utc::now() - Duration::minutes(5), 100)
        .await
        .unwrap();
    assert!(early.is_empty());
    // The limit holds, in id order.
    let one = store.webhook_entries(&hook, Utc::now(), 1).await.unwrap();
    assert_eq!(one[0].entry.guid.as_deref(), Some("n1"));
    assert_eq!(one[0].source.feed_url, "https://net.example/feed");

    // The horizon is the newest settled entry of any feed.
    let horizon = store
        .webhook_horizon(hook.cursor, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let t1 = common::ids(&store, other).await[0].1;
    assert_eq!(horizon, t1.0);
    assert_eq!(
        store
            .webhook_horizon(hook.cursor, Utc::now() - Duration::minutes(5))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn leases_batches_outcomes_and_the_log() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    let feed = follow(&store, me, "https://a.example/feed", &[]).await;
    let hook = store
        .webhook_create(me, &new_hook("https://r.example/hook", None), t(1, 1))
        .await
        .unwrap();
    fetch(&store, feed, t(1, 2), vec![entry("a", "A", "x", t(1, 2))]).await;
    let now = Utc::now();

    assert_eq!(store.webhooks_due(now).await.unwrap(), [hook.id]);
    let claimed = store
        .webhook_claim(hook.id, "w1", now, now + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, hook.id);
    assert!(store
        .webhook_claim(hook.id, "w2", now, now + Duration::minutes(5))
        .await
        .unwrap()
        .is_none());
    assert!(store.webhooks_due(now).await.unwrap().is_empty(), "held");

    let items = store.webhook_entries(&claimed, now, 50).await.unwrap();
    let batch = PendingBatch {
        delivery_id: "d1".into(),
        body: "{\"entries\":[]}".into(),
        last_entry_id: items[0].entry.id.0,
        entries: 1,
    };
    assert!(
        !store
            .webhook_begin_batch(hook.id, "w2", &batch)
            .await
            .unwrap(),
        "not w2's"
    );
    assert!(store
        .webhook_begin_batch(hook.id, "w1", &batch)
        .await
        .unwrap());
    assert!(
        !store
            .webhook_begin_batch(hook.id, "w1", &batch)
            .await
            .unwrap(),
        "one at a time"
    );
    assert!(
        !store
            .webhook_advance(hook.id, "w1", i64::MAX)
            .await
            .unwrap(),
        "not while pending"
    );

    // A failure keeps the batch and backs off.
    let retry_at = now + Duration::seconds(30);
    assert!(store
        .webhook_record_attempt(
            hook.id,
            "w1",
            &attempt("d1", 1, Some(503), Some("HTTP 503")),
            AttemptEffect::Failed {
                next_attempt_at: retry_at
            },
            LogRetention::default(),
        )
        .await
        .unwrap());
    let h = store.webhook(me, hook.id).await.unwrap();
    assert_eq!(h.pending.as_ref().unwrap().body, batch.body);
    assert_eq!(h.attempts, 1);
    assert_eq!(h.last_error.as_deref(), Some("HTTP 503"));
    assert!(h.failing_since.is_some());
    assert_eq!(h.cursor, claimed.cursor);
    store.webhook_release(hook.id, "w1").await.unwrap();
    assert!(
        store.webhooks_due(now).await.unwrap().is_empty(),
        "backing off"
    );
    assert_eq!(store.webhooks_due(retry_at).await.unwrap(), [hook.id]);

    // A success moves the cursor and clears the failure.
    store
        .webhook_claim(hook.id, "w2", retry_at, retry_at + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .webhook_record_attempt(
            hook.id,
            "w2",
            &attempt("d1", 2, Some(204), None),
            AttemptEffect::Delivered,
            LogRetention::default(),
        )
        .await
        .unwrap());
    let h = store.webhook(me, hook.id).await.unwrap();
    assert!(h.pending.is_none());
    assert_eq!(h.cursor, batch.last_entry_id);
    assert_eq!(h.attempts, 0);
    assert!(h.failing_since.is_none() && h.last_error.is_none());
    assert!(h.last_success_at.is_some());
    assert!(store
        .webhook_entries(&h, Utc::now(), 50)
        .await
        .unwrap()
        .is_empty());
    store.webhook_release(hook.id, "w1").await.unwrap();
    assert!(
        store.webhooks_due(retry_at).await.unwrap().is_empty(),
        "only the owner releases"
    );
    store.webhook_release(hook.id, "w2").await.unwrap();

    let log = store.webhook_log(me, hook.id, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].attempt.status, Some(204), "newest first");
    assert_eq!(log[1].attempt.error.as_deref(), Some("HTTP 503"));
    assert_eq!(log[1].attempt.delivery_id, log[0].attempt.delivery_id);

    // Disabled webhooks are not due nor claimable; enabling clears the back-off.
    store.webhook_set_enabled(me, hook.id, false).await.unwrap();
    assert!(store.webhooks_due(retry_at).await.unwrap().is_empty());
    let later = retry_at + Duration::hours(1);
    assert!(store
        .webhook_claim(hook.id, "w3", later, later)
        .await
        .unwrap()
        .is_none());
    store.webhook_set_enabled(me, hook.id, true).await.unwrap();
    assert_eq!(store.webhooks_due(now).await.unwrap(), [hook.id]);
}

#[tokio::test]
async fn the_log_is_bounded_and_goes_with_its_webhook() {
    let (store, _db) = store().await;
    let me = store.default_user().await.unwrap();
    let hook = store
        .webhook_create(me, &new_hook("https://r.example/hook", None), t(1, 1))
        .await
        .unwrap();
    let keep = LogRetention {
        keep: 5,
        max_age: Duration::days(30),
    };
    for i in 0..12 {
        let mut a = attempt(&format!("p{i}"), 1, Some(200), None);
        a.kind = DeliveryKind::Ping;
        store
            .webhook_record_attempt(hook.id, "nobody", &a, AttemptEffect::Ping, keep)
            .await
            .unwrap();
    }
    let log = store.webhook_log(me, hook.id, 100).await.unwrap();
    let ids: Vec<&str> = log.iter().map(|l| l.attempt.delivery_id.as_str()).collect();
    assert_eq!(ids, ["p11", "p10", "p9", "p8", "p7"]);
    assert_eq!(log[0].attempt.kind, DeliveryKind::Ping);
    // Old rows go by age too.
    let mut late = attempt("late", 1, Some(200), None);
    late.at = Utc::now() + Duration::days(31);
    store
        .webhook_record_attempt(hook.id, "nobody", &late, AttemptEffect::Ping, keep)
        .await
        .unwrap();
    let log = store.webhook_log(me, hook.id, 100).await.unwrap();
    assert_eq!(log.len(), 1);
    // A ping changes no delivery state.
    let h = store.webhook(me, hook.id).await.unwrap();
    assert!(h.last_success_at.is_none() && h.pending.is_none());

    store.webhook_delete(me, hook.id).await.unwrap();
    assert!(store.webhooks(me).await.unwrap().is_empty());
    assert!(matches!(
        store.webhook_log(me, hook.id, 10).await,
        Err(StoreError::NotFound(_))
    ));
}
