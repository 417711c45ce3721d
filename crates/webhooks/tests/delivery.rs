//! Deliveries to a real receiver on loopback that verifies the signature
//! of every request (`tributary_webhooks::testing::Receiver`), with a real
//! database (SQLite, or PostgreSQL with `TRIBUTARY_TEST_POSTGRES`) and the
//! real fetcher: every entry arrives exactly once and in order, also across
//! an outage (connection refused, then 503 with `Retry-After`); retries
//! reuse the delivery id and the body; hidden entries and paused
//! subscriptions are not sent; private addresses are refused when the
//! guard is closed; one failing webhook does not hold up another; the
//! worker retries on its own.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use sqlx::Executor;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::{FeedId, FeedMeta, NewEntry, UserId};
use tributary_store::testing::{scratch, Scratch};
use tributary_store::{
    DeliveryKind, FetchSuccess, NewSubscription, NewWebhook, Store, SubscriptionSettings, Webhook,
};
use tributary_webhooks::testing::Receiver;
use tributary_webhooks::{new_secret, verify, Deliverer, WebhookConfig};

fn entry(guid: &str) -> NewEntry {
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.to_owned()),
        url: Some(format!("https://x.example/{guid}")),
        canonical_url: Some(format!("https://x.example/{guid}")),
        title: format!("Title {guid}"),
        author: Some("Ann".to_owned()),
        content_html: Some(format!("<p>{guid}</p>")),
        summary_html: None,
        excerpt: guid.to_owned(),
        published: Utc::now(),
        published_from_feed: true,
        updated: None,
        enclosures: vec![],
        categories: vec!["net".into()],
        content_hash: guid.to_owned(),
    }
}

async fn store_entries(store: &Store, feed: FeedId, guids: &[&str]) {
    let now = Utc::now();
    store
        .record_success(
            feed,
            FetchSuccess {
                fetched_at: now,
                next_fetch_at: now + chrono::Duration::hours(1),
                next_fetch_reason: "test".into(),
                schedule_hints: Default::default(),
                status_note: None,
                body_hash: None,
                moved_to: None,
                etag: None,
                last_modified: None,
                meta: FeedMeta::default(),
                entries: guids.iter().map(|g| entry(g)).collect(),
            },
        )
        .await
        .unwrap();
}

struct World {
    _db: Scratch,
    db_url: String,
    engine: &'static str,
    store: Store,
    user: UserId,
    feeds: Vec<FeedId>,
}

async fn world(feeds: usize) -> World {
    let db = scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let user = store.default_user().await.unwrap();
    let subs: Vec<NewSubscription> = (0..feeds)
        .map(|i| NewSubscription {
            url: format!("https://f{i}.example/feed"),
            ..Default::default()
        })
        .collect();
    store.subscribe(user, &subs).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..feeds {
        let url = format!("https://f{i}.example/feed");
        let feed = store
            .subscriptions(user)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.feed.url == url)
            .unwrap()
            .feed
            .id;
        ids.push(feed);
    }
    World {
        db_url: db.url().to_owned(),
        engine: db.engine(),
        _db: db,
        store,
        user,
        feeds: ids,
    }
}

impl World {
    async fn hook(&self, url: &str, secret: &str) -> Webhook {
        self.store
            .webhook_create(
                self.user,
                &NewWebhook {
                    url: url.to_owned(),
                    secret: secret.to_owned(),
                    category: None,
                },
                Utc::now(),
            )
            .await
            .unwrap()
    }

    async fn ids_of(&self, guids: &[&str]) -> Vec<i64> {
        let river = self
            .store
            .river(self.user, &Default::default())
            .await
            .unwrap();
        guids
            .iter()
            .map(|g| {
                river
                    .iter()
                    .find(|i| i.entry.guid.as_deref() == Some(*g))
                    .unwrap()
                    .entry
                    .id
                    .0
            })
            .collect()
    }

    /// Hide an entry for the user, as a rule would (straight in SQL).
    async fn hide(&self, entry: i64) {
        let (t, f) = if self.engine == "sqlite" {
            ("1", "0")
        } else {
            ("TRUE", "FALSE")
        };
        let sql = format!(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, feed_id, hidden) \
             SELECT {u}, id, {t}, {f}, '2026-11-01T00:00:00.000000Z', feed_id, {t} \
               FROM entries WHERE id = {entry}",
            u = self.user.0
        );
        if self.engine == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
            pool.execute(sql.as_str()).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
            pool.execute(sql.as_str()).await.unwrap();
            pool.close().await;
        }
    }
}

fn config() -> WebhookConfig {
    WebhookConfig {
        settle: Duration::ZERO,
        batch_size: 3,
        timeout: Duration::from_secs(5),
        ..WebhookConfig::default()
    }
}

fn loopback_fetcher() -> Fetcher {
    Fetcher::new(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })
    .unwrap()
}

fn no_duplicates(ids: &[i64]) {
    let set: HashSet<_> = ids.iter().collect();
    assert_eq!(set.len(), ids.len(), "an entry arrived twice: {ids:?}");
}

#[tokio::test]
async fn every_entry_arrives_once_in_order_across_an_outage() {
    let w = world(2).await;
    let secret = new_secret().unwrap();
    let mut receiver = Receiver::start(&secret).await.unwrap();
    let hook = w.hook(&receiver.url(), &secret).await;
    let deliverer = Deliverer::new(w.store.clone(), loopback_fetcher(), config());

    store_entries(&w.store, w.feeds[0], &["a1", "a2", "a3"]).await;
    store_entries(&w.store, w.feeds[1], &["b1", "b2"]).await;
    let first = w.ids_of(&["a1", "a2", "a3", "b1", "b2"]).await;

    let t0 = Utc::now();
    let report = deliverer.pass(t0, false).await;
    assert_eq!((report.batches, report.entries, report.failures), (2, 5, 0));
    assert_eq!(receiver.accepted_entry_ids(), first);
    let got = receiver.received();
    assert!(got.iter().all(|r| r.verified), "every request verifies");
    assert!(got[0].user_agent.starts_with("Tributary-Webhook/"));
    assert_ne!(got[0].delivery_id, got[1].delivery_id);
    let p = got[0].payload.as_ref().unwrap();
    assert_eq!(p.webhook_id, hook.id.0);
    assert_eq!(p.delivery_id, got[0].delivery_id);
    assert_eq!(p.entries[0].feed.url, "https://f0.example/feed");
    assert_eq!(p.entries[0].title, "Title a1");
    assert_eq!(p.entries[0].content_html.as_deref(), Some("<p>a1</p>"));

    // Nothing new: nothing sent.
    deliverer.pass(t0, false).await;
    assert_eq!(receiver.received().len(), 2);

    // Outage 1: the receiver is gone (connection refused).
    receiver.stop().await;
    store_entries(&w.store, w.feeds[0], &["a4", "a5"]).await;
    store_entries(&w.store, w.feeds[1], &["b3", "b4"]).await;
    let t1 = Utc::now();
    let report = deliverer.pass(t1, false).await;
    assert_eq!((report.batches, report.failures), (0, 1));
    let h = w.store.webhook(w.user, hook.id).await.unwrap();
    let pending = h.pending.clone().expect("the batch waits");
    assert_eq!(pending.entries, 3);
    assert_eq!(h.attempts, 1);
    assert!(h.failing_since.is_some());
    let wait = h.next_attempt_at.unwrap() - t1;
    assert!(
        wait >= chrono::Duration::milliseconds(22_500)
            && wait <= chrono::Duration::milliseconds(37_500),
        "first back-off about 30 s: {wait}"
    );
    // Backing off: an early pass sends nothing.
    let report = deliverer
        .pass(t1 + chrono::Duration::seconds(5), false)
        .await;
    assert_eq!(report.webhooks, 0);

    // Outage 2: it is back but answers 503, Retry-After: 120.
    receiver.restart().await.unwrap();
    receiver.fail_next(1, 503, Some(120));
    store_entries(&w.store, w.feeds[0], &["a6"]).await;
    let t2 = t1 + chrono::Duration::minutes(10);
    let report = deliverer.pass(t2, false).await;
    assert_eq!(report.failures, 1);
    let h = w.store.webhook(w.user, hook.id).await.unwrap();
    assert_eq!(h.attempts, 2);
    // Times are stored to the microsecond.
    let wait = h.next_attempt_at.unwrap() - t2 - chrono::Duration::seconds(120);
    assert!(
        wait.abs() < chrono::Duration::milliseconds(1),
        "Retry-After is honoured: {wait}"
    );
    let refused = receiver.received().last().unwrap().clone();
    assert_eq!(refused.status, 503);
    assert_eq!(refused.delivery_id, pending.delivery_id);
    assert_eq!(
        refused.body,
        pending.body.as_bytes(),
        "a retry sends the same body"
    );
    assert!(
        deliverer
            .pass(t2 + chrono::Duration::seconds(60), false)
            .await
            .webhooks
            == 0
    );

    // Back for good: the pending batch, then the rest.
    let t3 = t2 + chrono::Duration::seconds(121);
    let report = deliverer.pass(t3, false).await;
    assert_eq!((report.failures, report.entries), (0, 5));
    let mut all = first.clone();
    all.extend(w.ids_of(&["a4", "a5", "b3", "b4", "a6"]).await);
    all.sort();
    let accepted = receiver.accepted_entry_ids();
    no_duplicates(&accepted);
    assert_eq!(accepted, all, "each entry once, in id order");
    let redelivered = receiver
        .received()
        .into_iter()
        .find(|r| r.status == 204 && r.delivery_id == pending.delivery_id)
        .expect("the batch was delivered under its delivery id");
    assert_eq!(redelivered.body, pending.body.as_bytes());
    assert!(receiver.received().iter().all(|r| r.verified));

    let h = w.store.webhook(w.user, hook.id).await.unwrap();
    assert!(h.pending.is_none() && h.failing_since.is_none() && h.last_error.is_none());
    assert_eq!(h.cursor, *all.last().unwrap());

    // The log tells the story, newest first.
    let log = w.store.webhook_log(w.user, hook.id, 50).await.unwrap();
    let of_batch: Vec<_> = log
        .iter()
        .filter(|l| l.attempt.delivery_id == pending.delivery_id)
        .collect();
    assert_eq!(of_batch.len(), 3);
    assert_eq!(of_batch[2].attempt.attempt, 1);
    assert_eq!(of_batch[2].attempt.status, None);
    assert!(of_batch[2].attempt.error.is_some(), "{:?}", of_batch[2]);
    assert_eq!(of_batch[1].attempt.attempt, 2);
    assert_eq!(of_batch[1].attempt.status, Some(503));
    assert!(of_batch[1]
        .attempt
        .error
        .as_deref()
        .unwrap()
        .starts_with("HTTP 503"));
    assert_eq!(of_batch[0].attempt.attempt, 3);
    assert_eq!(of_batch[0].attempt.status, Some(204));
    assert!(of_batch[0].attempt.error.is_none());
    assert_eq!(
        log.len(),
        2 + 3 + 1,
        "two batches, three attempts, one more batch"
    );
}

#[tokio::test]
async fn a_forged_or_altered_request_fails_the_receivers_check() {
    let w = world(1).await;
    let secret = new_secret().unwrap();
    let receiver = Receiver::start(&secret).await.unwrap();
    w.hook(&receiver.url(), &secret).await;
    store_entries(&w.store, w.feeds[0], &["x1"]).await;
    let deliverer = Deliverer::new(w.store.clone(), loopback_fetcher(), config());
    deliverer.pass(Utc::now(), false).await;
    let genuine = receiver.received()[0].clone();
    assert!(genuine.verified);
    let now = Utc::now().timestamp();
    verify(
        &secret,
        &genuine.signature,
        &genuine.timestamp,
        &genuine.body,
        now,
        300,
    )
    .unwrap();

    // One byte changed, the same headers.
    let mut altered = genuine.body.clone();
    let at = altered.iter().position(|&b| b == b'x').unwrap();
    altered[at] = b'y';
    assert!(verify(
        &secret,
        &genuine.signature,
        &genuine.timestamp,
        &altered,
        now,
        300
    )
    .is_err());
    assert!(verify(
        "whsec_wrong",
        &genuine.signature,
        &genuine.timestamp,
        &genuine.body,
        now,
        300
    )
    .is_err());
    // A replay of the genuine request an hour later.
    assert!(verify(
        &secret,
        &genuine.signature,
        &genuine.timestamp,
        &genuine.body,
        now + 3600,
        300
    )
    .is_err());

    // Sent over the wire, the receiver refuses it.
    let client = reqwest::Client::new();
    let resp = client
        .post(receiver.url())
        .header("X-Tributary-Signature", &genuine.signature)
        .header("X-Tributary-Timestamp", &genuine.timestamp)
        .header("X-Tributary-Delivery", &genuine.delivery_id)
        .header("X-Tributary-Event", "entries")
        .body(altered)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let last = receiver.received().last().unwrap().clone();
    assert!(!last.verified);
    assert_eq!(
        receiver.accepted_entry_ids().len(),
        1,
        "the forgery was not accepted"
    );
}

#[tokio::test]
async fn hidden_entries_and_paused_subscriptions_are_not_sent() {
    let w = world(2).await;
    let secret = new_secret().unwrap();
    let receiver = Receiver::start(&secret).await.unwrap();
    let hook = w.hook(&receiver.url(), &secret).await;
    w.store
        .update_subscription(
            w.user,
            w.feeds[1],
            &SubscriptionSettings {
                paused: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store_entries(&w.store, w.feeds[0], &["keep1", "hidden", "keep2"]).await;
    store_entries(&w.store, w.feeds[1], &["paused1", "paused2"]).await;
    let hidden = w.ids_of(&["hidden"]).await[0];
    w.hide(hidden).await;

    let deliverer = Deliverer::new(w.store.clone(), loopback_fetcher(), config());
    deliverer.pass(Utc::now(), false).await;
    assert_eq!(
        receiver.accepted_entry_ids(),
        w.ids_of(&["keep1", "keep2"]).await
    );
    // The cursor passed over them: unpausing does not send the old entries.
    let h = w.store.webhook(w.user, hook.id).await.unwrap();
    assert!(h.cursor >= hidden);
    w.store
        .update_subscription(w.user, w.feeds[1], &SubscriptionSettings::default())
        .await
        .unwrap();
    deliverer.pass(Utc::now(), false).await;
    assert_eq!(receiver.accepted_entry_ids().len(), 2);
    store_entries(&w.store, w.feeds[1], &["after"]).await;
    deliverer.pass(Utc::now(), false).await;
    let accepted = receiver.accepted_entry_ids();
    assert_eq!(accepted.last(), w.ids_of(&["after"]).await.last());
}

#[tokio::test]
async fn entries_wait_for_the_settle_time() {
    let w = world(1).await;
    let secret = new_secret().unwrap();
    let receiver = Receiver::start(&secret).await.unwrap();
    let hook = w.hook(&receiver.url(), &secret).await;
    store_entries(&w.store, w.feeds[0], &["s1"]).await;
    let cfg = WebhookConfig {
        settle: Duration::from_secs(20),
        ..config()
    };
    let deliverer = Deliverer::new(w.store.clone(), loopback_fetcher(), cfg);
    let now = Utc::now();
    deliverer.pass(now, false).await;
    assert!(receiver.received().is_empty(), "stored under 20 s ago");
    let h = w.store.webhook(w.user, hook.id).await.unwrap();
    assert_eq!(h.cursor, hook.cursor, "not passed over either");
    deliverer
        .pass(now + chrono::Duration::seconds(21), false)
        .await;
    assert_eq!(receiver.accepted_entry_ids(), w.ids_of(&["s1"]).await);
}

#[tokio::test]
async fn private_addresses_are_refused_when_the_guard_is_closed() {
    let w = world(1).await;
    let secret = new_secret().unwrap();
    let receiver = Receiver::start(&secret).await.unwrap();
    let hook = w.hook(&receiver.url(), &secret).await;
    store_entries(&w.store, w.feeds[0], &["p1"]).await;
    let guarded = Fetcher::new(FetchConfig::default()).unwrap();
    let deliverer = Deliverer::new(w.store.clone(), guarded, config());
    let report = deliverer.pass(Utc::now(), false).await;
    assert_eq!(report.failures, 1);
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    let log = w.store.webhook_log(w.user, hook.id, 10).await.unwrap();
    let error = log[0].attempt.error.clone().unwrap();
    assert!(error.contains("127.0.0.1"), "{error}");
    let h = w.store.webhook(w.user, hook.id).await.unwrap();
    assert!(h.pending.is_some() && h.last_error.is_some());
}

#[tokio::test]
async fn a_failing_webhook_does_not_hold_up_another_and_pings_are_logged() {
    let w = world(1).await;
    let secret = new_secret().unwrap();
    let receiver = Receiver::start(&secret).await.unwrap();
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}/hook")
    };
    let broken = w.hook(&dead, &new_secret().unwrap()).await;
    let good = w.hook(&receiver.url(), &secret).await;
    store_entries(&w.store, w.feeds[0], &["e1", "e2"]).await;
    let deliverer = Deliverer::new(w.store.clone(), loopback_fetcher(), config());
    let report = deliverer.pass(Utc::now(), false).await;
    assert_eq!(
        (report.webhooks, report.failures, report.entries),
        (2, 1, 2)
    );
    assert_eq!(receiver.accepted_entry_ids(), w.ids_of(&["e1", "e2"]).await);
    assert!(w
        .store
        .webhook(w.user, broken.id)
        .await
        .unwrap()
        .failing_since
        .is_some());

    let ping = deliverer.ping(&good).await.unwrap();
    assert_eq!(ping.status, Some(204));
    assert!(ping.error.is_none());
    let last = receiver.received().last().unwrap().clone();
    assert!(last.verified);
    assert_eq!(last.event, "ping");
    assert!(last.payload.unwrap().entries.is_empty());
    let log = w.store.webhook_log(w.user, good.id, 10).await.unwrap();
    assert_eq!(log[0].attempt.kind, DeliveryKind::Ping);
    let failed_ping = deliverer.ping(&broken).await.unwrap();
    assert!(failed_ping.error.is_some());
}

async fn wait_for(mut done: impl FnMut() -> bool, limit: Duration) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn the_worker_retries_with_back_off_on_its_own() {
    let w = world(1).await;
    let secret = new_secret().unwrap();
    let receiver = Receiver::start(&secret).await.unwrap();
    let hook = w.hook(&receiver.url(), &secret).await;
    receiver.fail_next(2, 500, None);
    store_entries(&w.store, w.feeds[0], &["w1", "w2", "w3", "w4"]).await;
    let cfg = WebhookConfig {
        interval: Duration::from_millis(50),
        retry_min: Duration::from_millis(200),
        retry_max: Duration::from_secs(1),
        ..config()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tributary_webhooks::spawn(
        Deliverer::new(w.store.clone(), loopback_fetcher(), cfg),
        async move {
            let _ = stop_rx.await;
        },
    );
    let want = w.ids_of(&["w1", "w2", "w3", "w4"]).await;
    assert!(
        wait_for(
            || receiver.accepted_entry_ids() == want,
            Duration::from_secs(20)
        )
        .await,
        "delivered: {:?}",
        receiver.accepted_entry_ids()
    );
    let _ = stop_tx.send(());
    worker.await.unwrap();
    let got = receiver.received();
    assert_eq!(got.iter().filter(|r| r.status == 500).count(), 2);
    assert_eq!(got[0].delivery_id, got[1].delivery_id);
    assert_eq!(got[1].delivery_id, got[2].delivery_id);
    let log = w.store.webhook_log(w.user, hook.id, 50).await.unwrap();
    let attempts: Vec<u32> = log.iter().rev().map(|l| l.attempt.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 1]);
    // The back-off spaced the retries: at least ~150 ms (200 ms − 25 %) apart.
    let gap = log[log.len() - 2].attempt.at - log[log.len() - 1].attempt.at;
    assert!(gap >= chrono::Duration::milliseconds(150), "{gap}");
}
