//! E-mail digest state (issue 9): settings, the cursor over stored
//! entries (each entry once, none skipped, hidden and paused ones never),
//! category choice, claims, results and the send log — on the engine under
//! test (SQLite, or PostgreSQL with `TRIBUTARY_TEST_POSTGRES`).

mod common;

use chrono::{Duration, Utc};
use common::{entry, fetch, follow, store, t};
use tributary_model::UserId;
use tributary_store::testing::Scratch;
use tributary_store::{
    DigestCursor, DigestFrequency, DigestSettings, MailResult, Store, StoreError, MAIL_LOG_KEEP,
};

fn settings() -> DigestSettings {
    DigestSettings {
        address: "ann@example.org".into(),
        frequency: DigestFrequency::Weekly,
        hour: 6,
        weekday: 4,
        timezone: Some("Europe/Berlin".into()),
        categories: Some(vec!["Networking".into(), String::new()]),
        enabled: true,
    }
}

async fn titles(
    store: &Store,
    user: UserId,
    after: DigestCursor,
    categories: Option<&[String]>,
) -> Vec<String> {
    store
        .mail_digest_entries(
            user,
            after,
            Utc::now() + Duration::hours(1),
            categories,
            100,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.item.entry.title)
        .collect()
}

/// Hide an entry for a user the way rules do (`entry_states.hidden`).
async fn hide(scratch: &Scratch, user: UserId, guid: &str) {
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    if scratch.engine() == "postgres" {
        let pool = sqlx::PgPool::connect(scratch.url()).await.unwrap();
        sqlx::query(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, read_at, \
                    feed_id, hidden) \
             SELECT $1, id, TRUE, FALSE, $2, $2, feed_id, TRUE FROM entries WHERE guid = $3",
        )
        .bind(user.0)
        .bind(&now)
        .bind(guid)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(scratch.url()).await.unwrap();
        sqlx::query(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, read_at, \
                    feed_id, hidden) \
             SELECT ?1, id, 1, 0, ?2, ?2, feed_id, 1 FROM entries WHERE guid = ?3",
        )
        .bind(user.0)
        .bind(&now)
        .bind(guid)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

#[tokio::test]
async fn settings_round_trip_and_a_second_save_keeps_the_cursor() {
    let (store, _db) = store().await;
    let ann = store.ensure_user("ann").await.unwrap();
    assert_eq!(store.mail_digest(ann).await.unwrap(), None);
    let first = store
        .save_mail_digest(ann, &settings(), t(1, 9))
        .await
        .unwrap();
    assert_eq!(first.settings, settings());
    assert_eq!(first.username, "ann");
    assert_eq!(
        first.cursor,
        DigestCursor {
            created_at: t(1, 9),
            entry_id: 0
        }
    );
    assert_eq!(
        (first.created_at, first.last_sent_at, first.failures),
        (t(1, 9), None, 0)
    );
    assert_eq!(store.mail_digest(ann).await.unwrap(), Some(first.clone()));

    let mut changed = settings();
    changed.frequency = DigestFrequency::Daily;
    changed.categories = None;
    changed.timezone = None;
    changed.enabled = false;
    let second = store
        .save_mail_digest(ann, &changed, t(2, 9))
        .await
        .unwrap();
    assert_eq!(second.settings, changed);
    assert_eq!((second.created_at, second.updated_at), (t(1, 9), t(2, 9)));
    assert_eq!(
        second.cursor, first.cursor,
        "saving again never re-sends or skips"
    );
    assert!(store.mail_digests_enabled().await.unwrap().is_empty());
    changed.enabled = true;
    store
        .save_mail_digest(ann, &changed, t(2, 10))
        .await
        .unwrap();
    let enabled = store.mail_digests_enabled().await.unwrap();
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0].user_id, ann);

    let nobody = UserId(987_654);
    assert!(matches!(
        store.save_mail_digest(nobody, &settings(), t(1, 9)).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn entries_after_the_cursor_in_storing_order_without_hidden_or_paused_ones() {
    let (store, db) = store().await;
    let ann = store.ensure_user("ann").await.unwrap();
    let bob = store.ensure_user("bob").await.unwrap();
    let start = DigestCursor {
        created_at: Utc::now() - Duration::seconds(1),
        entry_id: 0,
    };
    let net = follow(&store, ann, "https://net.example/f", &["Networking"]).await;
    let vendors = follow(
        &store,
        ann,
        "https://v.example/f",
        &["Networking", "Vendors"],
    )
    .await;
    let misc = follow(&store, ann, "https://misc.example/f", &[]).await;
    let other = follow(&store, ann, "https://other.example/f", &["Network"]).await;
    let paused = follow(&store, ann, "https://paused.example/f", &["Networking"]).await;
    follow(&store, bob, "https://net.example/f", &["Bob's"]).await;
    let mut view = store
        .subscription_view(ann, paused)
        .await
        .unwrap()
        .unwrap()
        .settings;
    view.paused = true;
    store.update_subscription(ann, paused, &view).await.unwrap();

    fetch(
        &store,
        net,
        t(3, 8),
        vec![
            entry("n1", "N1", "", t(1, 1)),
            entry("n2", "N2", "", t(2, 1)),
        ],
    )
    .await;
    fetch(
        &store,
        vendors,
        t(3, 8),
        vec![entry("v1", "V1", "", t(1, 1))],
    )
    .await;
    fetch(
        &store,
        misc,
        t(3, 8),
        vec![
            entry("m1", "M1", "", t(1, 1)),
            entry("ad", "AD", "", t(1, 1)),
        ],
    )
    .await;
    fetch(&store, other, t(3, 8), vec![entry("o1", "O1", "", t(1, 1))]).await;
    fetch(
        &store,
        paused,
        t(3, 8),
        vec![entry("p1", "P1", "", t(1, 1))],
    )
    .await;
    hide(&db, ann, "ad").await;

    let all = titles(&store, ann, start, None).await;
    assert_eq!(
        all,
        ["N1", "N2", "V1", "M1", "O1"],
        "storing order, hidden and paused left out"
    );
    // Hidden for ann only: bob (who follows net.example) is not affected by her rules.
    assert_eq!(titles(&store, bob, start, None).await, ["N1", "N2"]);

    // Categories: a path includes its sub-categories but not a sibling that
    // starts the same; "" is uncategorized.
    let net_only = vec!["Networking".to_owned()];
    assert_eq!(
        titles(&store, ann, start, Some(&net_only)).await,
        ["N1", "N2", "V1"]
    );
    let vendors_and_none = vec!["Networking/Vendors".to_owned(), String::new()];
    assert_eq!(
        titles(&store, ann, start, Some(&vendors_and_none)).await,
        ["V1", "M1"]
    );
    assert!(titles(&store, ann, start, Some(&[])).await.is_empty());

    // The items carry their category path and their position.
    let items = store
        .mail_digest_entries(ann, start, Utc::now() + Duration::hours(1), None, 100)
        .await
        .unwrap();
    let cats: Vec<Option<&str>> = items.iter().map(|i| i.category.as_deref()).collect();
    assert_eq!(
        cats,
        [
            Some("Networking"),
            Some("Networking"),
            Some("Networking/Vendors"),
            None,
            Some("Network")
        ]
    );
    let positions: Vec<DigestCursor> = items.iter().map(|i| i.position).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted);
    assert_eq!(positions[0].entry_id, items[0].item.entry.id.0);

    // After a cursor: only later entries; a limit takes the oldest first.
    let after_second = positions[1];
    assert_eq!(
        titles(&store, ann, after_second, None).await,
        ["V1", "M1", "O1"]
    );
    let two = store
        .mail_digest_entries(ann, start, Utc::now() + Duration::hours(1), None, 2)
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[1].position, after_second);
    // `until` leaves out what was stored after it.
    let none = store
        .mail_digest_entries(ann, start, start.created_at, None, 100)
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn success_moves_the_cursor_failure_keeps_it_and_the_log_says_so() {
    let (store, _db) = store().await;
    let ann = store.ensure_user("ann").await.unwrap();
    let start = store
        .save_mail_digest(ann, &settings(), t(1, 9))
        .await
        .unwrap()
        .cursor;
    let moved = DigestCursor {
        created_at: t(2, 9),
        entry_id: 42,
    };

    store
        .mail_record_failure(
            ann,
            t(2, 10),
            t(2, 11),
            3,
            "cannot connect to the SMTP server",
        )
        .await
        .unwrap();
    store
        .mail_record_failure(ann, t(2, 11), t(2, 13), 3, "again")
        .await
        .unwrap();
    let d = store.mail_digest(ann).await.unwrap().unwrap();
    assert_eq!(
        (d.cursor, d.failures, d.next_attempt_at),
        (start, 2, Some(t(2, 13)))
    );
    assert_eq!(d.last_error.as_deref(), Some("again"));
    assert_eq!(d.last_sent_at, None);

    store
        .mail_record_success(
            ann,
            t(2, 14),
            Some(moved),
            false,
            3,
            MailResult::Sent,
            Some("<id@x>"),
        )
        .await
        .unwrap();
    let d = store.mail_digest(ann).await.unwrap().unwrap();
    assert_eq!((d.cursor, d.failures, d.next_attempt_at), (moved, 0, None));
    assert_eq!(
        (d.last_sent_at, d.last_error.clone()),
        (Some(t(2, 14)), None)
    );

    // "More to come": the cursor moves but the digest stays due.
    let further = DigestCursor {
        created_at: t(2, 15),
        entry_id: 50,
    };
    store
        .mail_record_success(
            ann,
            t(2, 15),
            Some(further),
            true,
            200,
            MailResult::Sent,
            None,
        )
        .await
        .unwrap();
    let d = store.mail_digest(ann).await.unwrap().unwrap();
    assert_eq!((d.cursor, d.last_sent_at), (further, Some(t(2, 14))));
    // Nothing new: no cursor given, the cursor stays.
    store
        .mail_record_success(ann, t(2, 16), None, false, 0, MailResult::Empty, None)
        .await
        .unwrap();
    let d = store.mail_digest(ann).await.unwrap().unwrap();
    assert_eq!((d.cursor, d.last_sent_at), (further, Some(t(2, 16))));

    let log = store.mail_log(ann, 10).await.unwrap();
    let got: Vec<(MailResult, i64)> = log.iter().map(|l| (l.result, l.entries)).collect();
    assert_eq!(
        got,
        [
            (MailResult::Empty, 0),
            (MailResult::Sent, 200),
            (MailResult::Sent, 3),
            (MailResult::Failed, 3),
            (MailResult::Failed, 3)
        ]
    );
    assert_eq!(log[2].detail.as_deref(), Some("<id@x>"));
    assert_eq!(
        log[4].detail.as_deref(),
        Some("cannot connect to the SMTP server")
    );
    assert_eq!(log[4].at, t(2, 10));

    // The log keeps the newest MAIL_LOG_KEEP lines.
    for i in 0..MAIL_LOG_KEEP + 5 {
        store
            .mail_record_success(
                ann,
                t(3, 0) + Duration::minutes(i),
                None,
                false,
                0,
                MailResult::Empty,
                None,
            )
            .await
            .unwrap();
    }
    let log = store.mail_log(ann, 1000).await.unwrap();
    assert_eq!(log.len() as i64, MAIL_LOG_KEEP);
    assert_eq!(log[0].at, t(3, 0) + Duration::minutes(MAIL_LOG_KEEP + 4));

    let nobody = UserId(987_654);
    assert!(matches!(
        store
            .mail_record_failure(nobody, t(1, 1), t(1, 2), 0, "x")
            .await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn one_claim_at_a_time_until_it_lapses_or_a_result_clears_it() {
    let (store, _db) = store().await;
    let ann = store.ensure_user("ann").await.unwrap();
    store
        .save_mail_digest(ann, &settings(), t(1, 9))
        .await
        .unwrap();
    assert!(store.mail_claim(ann, t(2, 9), t(2, 10)).await.unwrap());
    assert!(
        !store.mail_claim(ann, t(2, 9), t(2, 10)).await.unwrap(),
        "held"
    );
    assert!(!store
        .mail_claim(ann, t(2, 9) + Duration::minutes(59), t(2, 11))
        .await
        .unwrap());
    assert!(
        store.mail_claim(ann, t(2, 10), t(2, 11)).await.unwrap(),
        "lapsed"
    );
    store
        .mail_record_success(ann, t(2, 10), None, false, 0, MailResult::Empty, None)
        .await
        .unwrap();
    assert!(
        store.mail_claim(ann, t(2, 10), t(2, 11)).await.unwrap(),
        "cleared"
    );
    let nobody = UserId(987_654);
    assert!(!store.mail_claim(nobody, t(2, 10), t(2, 11)).await.unwrap());
}
