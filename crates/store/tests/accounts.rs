//! Accounts against a real database (SQLite, or PostgreSQL when
//! `TRIBUTARY_TEST_POSTGRES` is set): users and their validation, the first
//! admin, the last-admin guard, sessions, output tokens, settings — also
//! when two processes change them at once.

mod common;

use chrono::Duration;
use common::{follow, store, t};
use tributary_model::UserId;
use tributary_store::StoreError;

#[tokio::test]
async fn users_are_created_validated_and_unique() {
    let (store, _dir) = store().await;
    let ann = store
        .create_user("ann", "$argon2id$ann", false)
        .await
        .unwrap();
    assert_eq!(ann.username, "ann");
    assert!(!ann.is_admin);
    assert!(ann.has_password);
    let bob = store
        .create_user("bob.b-1_x@host", "$h", true)
        .await
        .unwrap();
    assert!(bob.is_admin);
    assert!(matches!(
        store.create_user("ann", "$other", false).await,
        Err(StoreError::Conflict(_))
    ));
    let long = "a".repeat(65);
    for bad in ["", "a b", "a/b", "x\u{0}", "semi;colon", long.as_str()] {
        match store.create_user(bad, "$h", false).await {
            Err(StoreError::Invalid(reason)) => assert!(!reason.is_empty()),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    assert!(store
        .create_user(&"a".repeat(64), "$h", false)
        .await
        .is_ok());
    assert!(
        store.create_user("Zoë", "$h", false).await.is_ok(),
        "letters beyond ASCII"
    );

    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(store.user(ann.id).await.unwrap().unwrap(), ann);
    assert_eq!(
        store
            .user_by_name("bob.b-1_x@host")
            .await
            .unwrap()
            .unwrap()
            .id,
        bob.id
    );
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    assert!(store.user(UserId(9999)).await.unwrap().is_none());
    assert_eq!(
        store.password_hash(ann.id).await.unwrap().as_deref(),
        Some("$argon2id$ann")
    );
}

#[tokio::test]
async fn bootstrap_turns_the_cli_user_into_the_admin_once() {
    let (store, _dir) = store().await;
    // The CLI's user, with a subscription, no password.
    let cli = store.default_user().await.unwrap();
    let feed = follow(&store, cli, "https://a.example/feed", &["Blogs"]).await;
    assert!(store.password_hash(cli).await.unwrap().is_none());

    let admin = store
        .bootstrap_admin("admin", "$first")
        .await
        .unwrap()
        .expect("bootstrapped");
    assert_eq!(admin.id, cli, "the default user became the admin");
    assert_eq!(admin.username, "admin");
    assert!(admin.is_admin && admin.has_password);
    assert_eq!(
        store.subscriptions(admin.id).await.unwrap()[0].feed.id,
        feed
    );
    assert!(store.user_by_name("default").await.unwrap().is_none());

    // Now someone has a password: nothing changes.
    assert!(store
        .bootstrap_admin("other", "$second")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.password_hash(admin.id).await.unwrap().as_deref(),
        Some("$first")
    );
    assert!(store.user_by_name("other").await.unwrap().is_none());

    // The CLI now acts as the first admin, not a new `default` user.
    assert_eq!(store.default_user().await.unwrap(), admin.id);
    assert_eq!(store.users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bootstrap_on_an_empty_database_creates_the_admin() {
    let (store, _dir) = store().await;
    let admin = store.bootstrap_admin("root", "$h").await.unwrap().unwrap();
    assert!(admin.is_admin);
    assert_eq!(store.users().await.unwrap(), vec![admin.clone()]);
    assert_eq!(store.default_user().await.unwrap(), admin.id);
}

#[tokio::test]
async fn default_user_is_the_lowest_admin_else_default() {
    let (store, _dir) = store().await;
    let plain = store.create_user("plain", "$h", false).await.unwrap();
    let d = store.default_user().await.unwrap();
    assert_ne!(d, plain.id);
    assert_eq!(store.user(d).await.unwrap().unwrap().username, "default");
    let a1 = store.create_user("a1", "$h", true).await.unwrap();
    let _a2 = store.create_user("a2", "$h", true).await.unwrap();
    assert_eq!(store.default_user().await.unwrap(), a1.id);
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_or_demoted() {
    let (store, _dir) = store().await;
    let admin = store.create_user("admin", "$h", true).await.unwrap();
    let ann = store.create_user("ann", "$h", false).await.unwrap();
    assert!(matches!(
        store.set_admin(admin.id, false).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.remove_user(admin.id).await,
        Err(StoreError::Invalid(_))
    ));
    store.set_admin(ann.id, true).await.unwrap();
    store.set_admin(admin.id, false).await.unwrap();
    assert!(!store.user(admin.id).await.unwrap().unwrap().is_admin);
    assert!(matches!(
        store.remove_user(ann.id).await,
        Err(StoreError::Invalid(_))
    ));
    store.remove_user(admin.id).await.unwrap();
    assert!(store.user(admin.id).await.unwrap().is_none());
    assert!(matches!(
        store.remove_user(UserId(999)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_admin(UserId(999), true).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn removing_a_user_takes_their_data_and_unfollowed_feeds() {
    let (store, _dir) = store().await;
    let _admin = store.create_user("admin", "$h", true).await.unwrap();
    let ann = store.create_user("ann", "$h", false).await.unwrap();
    let bob = store.create_user("bob", "$h", false).await.unwrap();
    let own = follow(&store, ann.id, "https://own.example/feed", &["Mine"]).await;
    let shared = follow(&store, ann.id, "https://shared.example/feed", &[]).await;
    follow(&store, bob.id, "https://shared.example/feed", &[]).await;
    store
        .create_session(ann.id, "hash-ann", "csrf", t(1, 0) + Duration::days(30))
        .await
        .unwrap();
    store.output_token(ann.id).await.unwrap();
    store.remove_user(ann.id).await.unwrap();
    assert!(
        store.feed_by_id(own).await.unwrap().is_none(),
        "nobody follows it"
    );
    assert!(
        store.feed_by_id(shared).await.unwrap().is_some(),
        "bob still does"
    );
    assert!(store.session("hash-ann", t(1, 0)).await.unwrap().is_none());
    assert_eq!(store.users().await.unwrap().len(), 2);
}

#[tokio::test]
async fn sessions_expire_and_end_with_a_new_password() {
    let (store, _dir) = store().await;
    let ann = store.create_user("ann", "$h", false).await.unwrap();
    let now = t(10, 12);
    store
        .create_session(ann.id, "h1", "csrf-1", now + Duration::hours(1))
        .await
        .unwrap();
    store
        .create_session(ann.id, "h2", "csrf-2", now - Duration::seconds(1))
        .await
        .unwrap();
    let s = store
        .session("h1", now)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(s.user.id, ann.id);
    assert_eq!(s.csrf_token, "csrf-1");
    assert_eq!(s.expires_at, now + Duration::hours(1));
    assert!(store.session("h2", now).await.unwrap().is_none(), "expired");
    assert!(store
        .session("h1", now + Duration::hours(1))
        .await
        .unwrap()
        .is_none());
    assert!(store.session("nope", now).await.unwrap().is_none());
    assert!(matches!(
        store.create_session(UserId(999), "h3", "c", now).await,
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(store.prune_sessions(now).await.unwrap(), 1);
    assert_eq!(store.prune_sessions(now).await.unwrap(), 0);

    store.delete_session("h1").await.unwrap();
    store.delete_session("unknown").await.unwrap();
    assert!(store.session("h1", now).await.unwrap().is_none());

    store
        .create_session(ann.id, "h4", "c", now + Duration::hours(1))
        .await
        .unwrap();
    store.set_password_hash(ann.id, "$new").await.unwrap();
    assert!(
        store.session("h4", now).await.unwrap().is_none(),
        "a new password ends sessions"
    );
    assert_eq!(
        store.password_hash(ann.id).await.unwrap().as_deref(),
        Some("$new")
    );
    assert!(matches!(
        store.set_password_hash(UserId(999), "$x").await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn output_tokens_are_stable_until_rotated() {
    let (store, _dir) = store().await;
    let ann = store.create_user("ann", "$h", false).await.unwrap();
    let bob = store.create_user("bob", "$h", false).await.unwrap();
    let t1 = store.output_token(ann.id).await.unwrap();
    assert_eq!(t1.len(), 64);
    assert!(t1.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(store.output_token(ann.id).await.unwrap(), t1);
    let tb = store.output_token(bob.id).await.unwrap();
    assert_ne!(t1, tb);
    assert_eq!(
        store.user_by_output_token(&t1).await.unwrap().unwrap().id,
        ann.id
    );
    let t2 = store.rotate_output_token(ann.id).await.unwrap();
    assert_ne!(t1, t2);
    assert!(store.user_by_output_token(&t1).await.unwrap().is_none());
    assert_eq!(
        store.user_by_output_token(&t2).await.unwrap().unwrap().id,
        ann.id
    );
    assert!(store.user_by_output_token("").await.unwrap().is_none());
    assert!(matches!(
        store.output_token(UserId(999)).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn settings_are_set_replaced_and_cleared() {
    let (store, _dir) = store().await;
    assert!(store.setting("planet.title").await.unwrap().is_none());
    store
        .set_setting("planet.title", Some("Planet A"))
        .await
        .unwrap();
    store
        .set_setting("planet.title", Some("Planet B"))
        .await
        .unwrap();
    assert_eq!(
        store.setting("planet.title").await.unwrap().as_deref(),
        Some("Planet B")
    );
    store.set_setting("planet.title", None).await.unwrap();
    assert!(store.setting("planet.title").await.unwrap().is_none());
}

/// Two stores on one database, as two processes of one installation have
/// (PostgreSQL takes their writes at once; SQLite one after the other).
async fn two_stores() -> (
    tributary_store::Store,
    tributary_store::Store,
    tributary_store::testing::Scratch,
) {
    let (one, db) = store().await;
    let two = db.open().await.expect("second store");
    (one, two, db)
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let (one, two, _db) = two_stores().await;
    let a = one.create_user("a", "$h", true).await.unwrap();
    let b = one.create_user("b", "$h", true).await.unwrap();
    for round in 0..10 {
        let (ra, rb) = tokio::join!(one.set_admin(a.id, false), two.set_admin(b.id, false));
        let refused = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Invalid(_))))
            .count();
        assert_eq!(
            (ra.is_ok() as u8 + rb.is_ok() as u8, refused),
            (1, 1),
            "round {round}: {ra:?} {rb:?}"
        );
        let admins = one
            .users()
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.is_admin)
            .count();
        assert_eq!(admins, 1, "round {round}");
        one.set_admin(a.id, true).await.unwrap();
        one.set_admin(b.id, true).await.unwrap();
    }
    // Removing each other at once: the same.
    let (ra, rb) = tokio::join!(one.remove_user(a.id), two.remove_user(b.id));
    assert_eq!(ra.is_ok() as u8 + rb.is_ok() as u8, 1, "{ra:?} {rb:?}");
    let left = one.users().await.unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].is_admin);
}

#[tokio::test]
async fn two_first_starts_at_once_make_one_admin() {
    for _ in 0..3 {
        let (one, two, _db) = two_stores().await;
        let (ra, rb) = tokio::join!(
            one.bootstrap_admin("root", "$a"),
            two.bootstrap_admin("boss", "$b")
        );
        let made: Vec<_> = [ra.unwrap(), rb.unwrap()].into_iter().flatten().collect();
        assert_eq!(made.len(), 1, "{made:?}");
        let users = one.users().await.unwrap();
        assert_eq!(users, made, "one user, the admin");
    }
}

#[tokio::test]
async fn two_first_asks_for_an_output_token_at_once_get_the_same() {
    let (one, two, _db) = two_stores().await;
    let ann = one.create_user("ann", "$h", false).await.unwrap();
    let (ta, tb) = tokio::join!(one.output_token(ann.id), two.output_token(ann.id));
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    assert_eq!(ta, tb);
    assert_eq!(
        one.user_by_output_token(&ta).await.unwrap().map(|u| u.id),
        Some(ann.id)
    );
}

/// Names and tokens come from clients as they typed them; one with a NUL
/// character (which PostgreSQL's text cannot hold) is simply not found.
#[tokio::test]
async fn look_ups_of_names_and_tokens_with_a_nul_find_nothing() {
    let (store, _dir) = store().await;
    let ann = store.create_user("ann", "$h", false).await.unwrap();
    let token = store.output_token(ann.id).await.unwrap();
    assert!(store.user_by_name("ann\0").await.unwrap().is_none());
    assert!(store
        .user_by_output_token(&format!("{token}\0"))
        .await
        .unwrap()
        .is_none());
    assert!(store.session("\0", t(1, 0)).await.unwrap().is_none());
    assert!(store.setting("a\0b").await.unwrap().is_none());
    assert!(store.user_by_name("ann").await.unwrap().is_some());
}

#[tokio::test]
async fn setting_or_insert_keeps_the_first_value_for_every_process() {
    let (one, two, _db) = two_stores().await;
    let (a, b) = tokio::join!(
        one.setting_or_insert("privacy.proxy_secret", "from-one"),
        two.setting_or_insert("privacy.proxy_secret", "from-two"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b, "both processes must see the same secret");
    assert!(a == "from-one" || a == "from-two", "{a}");
    // A later call never replaces it.
    assert_eq!(
        one.setting_or_insert("privacy.proxy_secret", "later")
            .await
            .unwrap(),
        a
    );
    assert_eq!(
        two.setting("privacy.proxy_secret")
            .await
            .unwrap()
            .as_deref(),
        Some(a.as_str())
    );
}
