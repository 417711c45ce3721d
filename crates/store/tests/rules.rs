//! Rules and tags in the store, on the engine under test (SQLite, or
//! PostgreSQL when `TRIBUTARY_TEST_POSTGRES` is set): rules kept per user
//! and scope, the rules that cover a feed, what applying them writes, and
//! that a hidden entry is gone from every listing of its user — and only
//! of that user — while the counts stay exact.

mod common;

use common::{entry, follow, store, success, t};
use tributary_model::{EntryId, UserId};
use tributary_store::{
    ApiEntryQuery, EntryQuery, NewRule, RiverQuery, RuleEffects, RuleScope, SearchQuery, Store,
    StoreError, View,
};

async fn user(store: &Store, name: &str) -> UserId {
    store.create_user(name, "hash", false).await.unwrap().id
}

fn rule(scope: RuleScope, action: &str, tag: Option<&str>) -> NewRule {
    NewRule {
        scope,
        action: action.into(),
        tag: tag.map(Into::into),
        expression: "title:sponsored".into(),
    }
}

fn effects(user: UserId) -> RuleEffects {
    RuleEffects {
        user,
        hide: vec![],
        read: vec![],
        star: vec![],
        tags: vec![],
        acted: vec![],
    }
}

#[tokio::test]
async fn rules_are_kept_per_user_and_scope() {
    let (store, _db) = store().await;
    let ann = user(&store, "ann").await;
    let bob = user(&store, "bob").await;
    let feed = follow(&store, ann, "https://a.example/feed", &["Net", "Vendors"]).await;
    let other = follow(&store, bob, "https://b.example/feed", &["Bob"]).await;
    let cats = store.categories(ann).await.unwrap();
    let net = cats.iter().find(|c| c.path == "Net").unwrap().id;
    let bobs = store.categories(bob).await.unwrap()[0].id;

    let all = store
        .add_rule(ann, &rule(RuleScope::All, "block", None))
        .await
        .unwrap();
    assert_eq!(
        (all.user, all.scope, all.enabled),
        (ann, RuleScope::All, true)
    );
    assert_eq!(all.match_count, 0);
    let by_feed = store
        .add_rule(ann, &rule(RuleScope::Feed(feed), "tag", Some("vendors")))
        .await
        .unwrap();
    assert_eq!(by_feed.tag.as_deref(), Some("vendors"));
    store
        .add_rule(ann, &rule(RuleScope::Category(net), "star", None))
        .await
        .unwrap();
    // Scopes must be the user's own.
    for scope in [RuleScope::Feed(other), RuleScope::Category(bobs)] {
        assert!(
            matches!(
                store.add_rule(ann, &rule(scope, "block", None)).await,
                Err(StoreError::NotFound(_))
            ),
            "{scope:?}"
        );
    }
    // A tag rule names a tag; the others do not.
    assert!(matches!(
        store
            .add_rule(ann, &rule(RuleScope::All, "tag", None))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .add_rule(ann, &rule(RuleScope::All, "block", Some("x")))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let listed = store.rules(ann).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], all);
    assert!(store.rules(bob).await.unwrap().is_empty());

    store.set_rule_enabled(ann, all.id, false).await.unwrap();
    assert!(!store.rules(ann).await.unwrap()[0].enabled);
    // Bob cannot touch Ann's rules.
    assert!(matches!(
        store.set_rule_enabled(bob, all.id, true).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.remove_rule(bob, all.id).await,
        Err(StoreError::NotFound(_))
    ));
    store.remove_rule(ann, all.id).await.unwrap();
    assert_eq!(store.rules(ann).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_rules_covering_a_feed_are_its_subscribers_enabled_ones_in_scope() {
    let (store, _db) = store().await;
    let ann = user(&store, "ann").await;
    let bob = user(&store, "bob").await;
    let cat = user(&store, "cat").await;
    let url = "https://shared.example/feed";
    let feed = follow(&store, ann, url, &["Net", "Vendors"]).await;
    follow(&store, bob, url, &[]).await;
    let elsewhere = follow(&store, ann, "https://other.example/feed", &["Other"]).await;
    follow(&store, cat, "https://other.example/feed", &[]).await;
    let cats = store.categories(ann).await.unwrap();
    let id = |p: &str| cats.iter().find(|c| c.path == p).unwrap().id;

    let mut want = Vec::new();
    for scope in [
        RuleScope::All,
        RuleScope::Feed(feed),
        RuleScope::Category(id("Net")),
        RuleScope::Category(id("Net/Vendors")),
    ] {
        want.push(
            store
                .add_rule(ann, &rule(scope, "block", None))
                .await
                .unwrap()
                .id,
        );
    }
    // Not covering: another feed, another category, disabled.
    store
        .add_rule(ann, &rule(RuleScope::Feed(elsewhere), "block", None))
        .await
        .unwrap();
    store
        .add_rule(ann, &rule(RuleScope::Category(id("Other")), "block", None))
        .await
        .unwrap();
    let off = store
        .add_rule(ann, &rule(RuleScope::All, "star", None))
        .await
        .unwrap();
    store.set_rule_enabled(ann, off.id, false).await.unwrap();
    let bobs = store
        .add_rule(bob, &rule(RuleScope::All, "read", None))
        .await
        .unwrap();
    want.push(bobs.id);
    // Cat does not follow the feed.
    store
        .add_rule(cat, &rule(RuleScope::All, "block", None))
        .await
        .unwrap();

    let got: Vec<i64> = store
        .rules_for_feed(feed)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn store_writes_report_the_ids_they_inserted() {
    let (store, _db) = store().await;
    let ann = user(&store, "ann").await;
    let feed = follow(&store, ann, "https://a.example/feed", &[]).await;
    let first = store
        .record_success(
            feed,
            success(
                t(1, 0),
                vec![
                    entry("a", "A", "<p>a</p>", t(1, 0)),
                    entry("b", "B", "<p>b</p>", t(1, 1)),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!(first.new, 2);
    let stored: Vec<EntryId> = store
        .entries_by_ids(&first.new_ids)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    let mut ids = first.new_ids.clone();
    ids.sort();
    assert_eq!(stored, ids);
    // Again with one more: only the new one is reported.
    let again = store
        .record_success(
            feed,
            success(
                t(1, 2),
                vec![
                    entry("a", "A", "<p>a</p>", t(1, 0)),
                    entry("b", "B", "<p>b</p>", t(1, 1)),
                    entry("c", "C", "<p>c</p>", t(1, 2)),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!((again.new, again.unchanged), (1, 2));
    assert_eq!(again.new_ids.len(), 1);
    assert!(!first.new_ids.contains(&again.new_ids[0]));
    let e = store.entries_by_ids(&again.new_ids).await.unwrap();
    assert_eq!(e[0].title, "C");
}

#[tokio::test]
async fn hidden_entries_leave_every_listing_of_their_user_only() {
    let (store, _db) = store().await;
    let ann = user(&store, "ann").await;
    let bob = user(&store, "bob").await;
    let url = "https://a.example/feed";
    let feed = follow(&store, ann, url, &["Net"]).await;
    follow(&store, bob, url, &[]).await;
    let report = store
        .record_success(
            feed,
            success(
                t(2, 0),
                vec![
                    entry("ad", "Sponsored: routers", "<p>buy routers</p>", t(1, 3)),
                    entry("ok", "BGP notes", "<p>routers and bgp</p>", t(1, 2)),
                    entry("rd", "Weekly links", "<p>routers links</p>", t(1, 1)),
                ],
            ),
        )
        .await
        .unwrap();
    let all = store
        .entries(
            ann,
            &EntryQuery {
                view: View::All,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let by_title = |title: &str| {
        all.items
            .iter()
            .find(|i| i.entry.title == title)
            .unwrap()
            .entry
            .id
    };
    let ad = by_title("Sponsored: routers");
    let ok = by_title("BGP notes");
    let rd = by_title("Weekly links");
    assert_eq!(report.new_ids.len(), 3);
    let r = store
        .add_rule(ann, &rule(RuleScope::All, "block", None))
        .await
        .unwrap();
    let t2 = store
        .add_rule(ann, &rule(RuleScope::All, "tag", Some("net")))
        .await
        .unwrap();
    // Ann starred the ad before (a star does not keep it visible).
    store.set_starred(ann, ad, true).await.unwrap();
    let mut fx = effects(ann);
    fx.hide = vec![ad];
    fx.read = vec![rd];
    fx.star = vec![ok];
    fx.tags = vec![(ok, "net".into()), (ad, "net".into()), (ok, "net".into())];
    fx.acted = vec![(r.id, 1), (t2.id, 2)];
    store.apply_rule_effects(&[fx.clone()]).await.unwrap();
    // Applying the same again changes nothing (tags once, no double counts
    // of read entries).
    fx.acted = vec![];
    store.apply_rule_effects(&[fx]).await.unwrap();

    let titles = |items: Vec<tributary_model::RiverItem>| -> Vec<String> {
        items.into_iter().map(|i| i.entry.title).collect()
    };
    for view in [View::Unread, View::All, View::Starred, View::History] {
        let page = store
            .entries(
                ann,
                &EntryQuery {
                    view,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let got = titles(page.items);
        assert!(
            !got.contains(&"Sponsored: routers".to_owned()),
            "{view:?}: {got:?}"
        );
        let want: &[&str] = match view {
            View::Unread => &["BGP notes"],
            View::All => &["BGP notes", "Weekly links"],
            View::Starred => &["BGP notes"],
            // Rules mark read without a read time: not in History.
            View::History => &[],
        };
        assert_eq!(got, want, "{view:?}");
    }
    let cat = store.categories(ann).await.unwrap()[0].id;
    let page = store
        .entries(
            ann,
            &EntryQuery {
                view: View::All,
                category: Some(cat),
                feed: Some(feed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let found = store
        .search(
            ann,
            &SearchQuery {
                text: "routers".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.total, 2);
    assert!(found.hits.iter().all(|h| h.item.entry.id != ad));
    assert_eq!(
        titles(store.river(ann, &RiverQuery::default()).await.unwrap()).len(),
        2
    );

    // The APIs: lists, id lists and totals.
    let api = |q: ApiEntryQuery| {
        let store = store.clone();
        async move {
            store
                .api_entries(
                    ann,
                    &ApiEntryQuery {
                        with_total: true,
                        ..q
                    },
                )
                .await
                .unwrap()
        }
    };
    let every = api(ApiEntryQuery::default()).await;
    assert_eq!((every.items.len(), every.total), (2, Some(2)));
    let read = api(ApiEntryQuery {
        read: Some(true),
        ..Default::default()
    })
    .await;
    assert_eq!((read.items.len(), read.total), (1, Some(1)));
    let unread = api(ApiEntryQuery {
        read: Some(false),
        ..Default::default()
    })
    .await;
    assert_eq!((unread.items.len(), unread.total), (1, Some(1)));
    let starred = api(ApiEntryQuery {
        starred: Some(true),
        ..Default::default()
    })
    .await;
    assert_eq!(starred.items.len(), 1);
    let by_id = api(ApiEntryQuery {
        ids: Some(vec![ad, ok]),
        ..Default::default()
    })
    .await;
    assert_eq!(by_id.items.len(), 1);
    assert_eq!(store.unread_ids(ann).await.unwrap(), [ok]);
    assert_eq!(store.starred_ids(ann).await.unwrap(), [ok]);
    assert_eq!(store.unread_total(ann).await.unwrap(), 1);
    assert_eq!(store.unread_counts(ann).await.unwrap(), [(feed, 1)]);
    // A client marking everything unread does not bring it back.
    store
        .set_read_many(ann, &[ad, ok, rd], false)
        .await
        .unwrap();
    assert_eq!(store.unread_total(ann).await.unwrap(), 2);
    assert!(!store.unread_ids(ann).await.unwrap().contains(&ad));

    // Tags: once each, the hidden entry's not listed.
    assert_eq!(
        store.entry_tags(ann, &[ad, ok, rd]).await.unwrap(),
        [(ad, "net".to_owned()), (ok, "net".to_owned())]
    );
    assert_eq!(store.tags(ann).await.unwrap(), [("net".to_owned(), 1)]);
    let tagged = store.tagged_entries(ann, "net", None, 0).await.unwrap();
    assert_eq!(titles(tagged.items), ["BGP notes"]);
    assert!(store
        .tagged_entries(ann, "none", None, 0)
        .await
        .unwrap()
        .items
        .is_empty());
    let counted = store.rules(ann).await.unwrap();
    assert_eq!((counted[0].match_count, counted[1].match_count), (1, 2));
    assert!(counted[0].last_matched_at.is_some());

    // Bob, who follows the same feed, sees everything, untagged.
    let bobs = store
        .entries(
            bob,
            &EntryQuery {
                view: View::Unread,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bobs.items.len(), 3);
    assert_eq!(store.unread_total(bob).await.unwrap(), 3);
    assert!(store.entry_tags(bob, &[ad, ok]).await.unwrap().is_empty());
    assert!(store.tags(bob).await.unwrap().is_empty());
}

#[tokio::test]
async fn tag_pages_continue_where_the_last_one_ended() {
    let (store, _db) = store().await;
    let ann = user(&store, "ann").await;
    let feed = follow(&store, ann, "https://a.example/feed", &[]).await;
    let entries = (0..5)
        .map(|i| entry(&format!("e{i}"), &format!("E{i}"), "<p>x</p>", t(1, i)))
        .collect();
    let report = store
        .record_success(feed, success(t(2, 0), entries))
        .await
        .unwrap();
    let mut fx = effects(ann);
    fx.tags = report
        .new_ids
        .iter()
        .map(|id| (*id, "all".to_owned()))
        .collect();
    store.apply_rule_effects(&[fx]).await.unwrap();
    let first = store.tagged_entries(ann, "all", None, 2).await.unwrap();
    let second = store
        .tagged_entries(ann, "all", first.next, 2)
        .await
        .unwrap();
    let third = store
        .tagged_entries(ann, "all", second.next, 2)
        .await
        .unwrap();
    let titles: Vec<String> = [first.items, second.items, third.items]
        .concat()
        .into_iter()
        .map(|i| i.entry.title)
        .collect();
    assert_eq!(titles, ["E4", "E3", "E2", "E1", "E0"]);
    assert!(third.next.is_none());
}
