//! The SSRF table (tests/ssrf/targets.rs) where the refresher reaches out
//! on its own: a stored feed at a private address (stored before the guard
//! checked additions, or by hand) is refused when fetched, with the reason
//! on the feed; and a WebSub hub that a feed advertises at a private
//! address — or a hub that 307-redirects there — is never contacted, the
//! reason kept as the subscription's last error. Real SQLite file, real
//! loopback servers; the trap listeners on 127.0.0.1/127.0.0.2/[::1] must
//! see no request.

#[path = "../../../tests/ssrf/targets.rs"]
mod targets;

use std::time::Duration;

use targets::{Site, Trap};
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::Feed;
use tributary_refresh::{FeedOutcome, RefreshConfig, Refresher};
use tributary_store::{FeedSelector, NewSubscription, Store};
use tributary_websub::{Subscriber, WebSubConfig};
use url::Url;

fn quick(config: FetchConfig) -> Fetcher {
    Fetcher::new(FetchConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..config
    })
    .unwrap()
}

async fn add(store: &Store, url: &str) -> Feed {
    let me = store.default_user().await.unwrap();
    store
        .subscribe(
            me,
            &[NewSubscription {
                url: url.to_owned(),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    store
        .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_owned()]))
        .await
        .unwrap()
        .remove(0)
}

#[tokio::test]
async fn a_stored_feed_at_a_private_address_is_refused_when_fetched() {
    let trap = Trap::start();
    let db = tributary_store::testing::scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let refresher = Refresher::new(
        store.clone(),
        quick(FetchConfig::default()),
        RefreshConfig::default(),
    );
    for row in targets::rows(trap.port) {
        let feed = add(&store, &row.url).await;
        match refresher.refresh_feed(&feed).await {
            FeedOutcome::Failed { message, .. } => {
                targets::assert_reason(&row, "refresh_feed", &message)
            }
            other => panic!("{}: {other:?}", row.name),
        }
        let stored = store
            .feeds_to_fetch(&FeedSelector::Urls(vec![row.url.clone()]))
            .await
            .unwrap()
            .remove(0);
        targets::assert_reason(&row, "the feed's last error", &stored.last_error.unwrap());
    }
    assert_eq!(
        trap.hits(),
        0,
        "a stored private feed reached a trap listener"
    );
}

#[tokio::test]
async fn a_hub_at_a_private_address_is_never_contacted() {
    let trap = Trap::start();
    let rows = targets::rows(trap.port);
    let redirects = targets::redirects(trap.port);
    let site = Site::start(rows.clone(), redirects.clone());
    let db = tributary_store::testing::scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let fetcher = quick(FetchConfig {
        allowed_networks: vec![targets::SITE_NETWORK.parse().unwrap()],
        ..FetchConfig::default()
    });
    let websub = WebSubConfig {
        enabled: true,
        public_base_url: Some(Url::parse("http://reader.example/").unwrap()),
        ..WebSubConfig::default()
    };
    let subscriber = Subscriber::new(store.clone(), fetcher.clone(), websub);
    let refresher =
        Refresher::new(store.clone(), fetcher, RefreshConfig::default()).with_websub(subscriber);

    // A feed (on the allowed site) whose hub is each row of the table.
    for (i, row) in rows.iter().enumerate() {
        let feed = add(&store, &site.url(&format!("/hub-feed/{i}"))).await;
        let outcome = refresher.refresh_feed(&feed).await;
        assert!(
            matches!(outcome, FeedOutcome::Fetched { .. }),
            "{}: {outcome:?}",
            row.name
        );
        let sub = store.websub_for_feed(feed.id).await.unwrap();
        if row.reason == targets::SCHEME {
            // Hub discovery keeps http(s) hubs only: nothing to contact.
            assert!(sub.is_none(), "{}: {sub:?}", row.name);
            continue;
        }
        let sub = sub.unwrap_or_else(|| panic!("{}: no subscription recorded", row.name));
        let error = sub
            .last_error
            .unwrap_or_else(|| panic!("{}: the hub request did not fail", row.name));
        targets::assert_reason(row, "websub hub", &error);
    }
    // A hub on the allowed site that 307-redirects to a private address.
    for (i, row) in redirects.iter().enumerate() {
        let before = site.hits();
        let feed = add(&store, &site.url(&format!("/hub-redirect-feed/{i}"))).await;
        refresher.refresh_feed(&feed).await;
        assert!(
            site.hits() >= before + 2,
            "{}: the hub was not asked",
            row.name
        );
        let sub = store.websub_for_feed(feed.id).await.unwrap().unwrap();
        let error = sub
            .last_error
            .unwrap_or_else(|| panic!("{}: the redirected hub request did not fail", row.name));
        targets::assert_reason(row, "websub hub redirect", &error);
    }
    assert_eq!(trap.hits(), 0, "a hub request reached a trap listener");
}
