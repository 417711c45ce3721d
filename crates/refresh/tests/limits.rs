//! `refresh_many` against real loopback servers: the per-host and global
//! limits hold, and different hosts are fetched side by side.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::Router;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_refresh::{RefreshConfig, Refresher};
use tributary_store::{FeedSelector, NewSubscription};

/// In-flight requests now and at most, per Host header and overall.
#[derive(Default)]
struct Load {
    now: HashMap<String, usize>,
    max: HashMap<String, usize>,
    total_now: usize,
    total_max: usize,
    served: usize,
}

async fn slow_feed(State(load): State<Arc<Mutex<Load>>>, headers: HeaderMap) -> impl IntoResponse {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("?")
        .to_string();
    {
        let mut l = load.lock().unwrap();
        let n = l.now.entry(host.clone()).or_default();
        *n += 1;
        let n = *n;
        let m = l.max.entry(host.clone()).or_default();
        *m = (*m).max(n);
        l.total_now += 1;
        l.total_max = l.total_max.max(l.total_now);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    {
        let mut l = load.lock().unwrap();
        *l.now.get_mut(&host).unwrap() -= 1;
        l.total_now -= 1;
        l.served += 1;
    }
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
         <link>http://example.org/</link><item><title>one</title>\
         <link>http://example.org/1</link><guid>1</guid></item></channel></rss>",
    )
}

async fn serve_on(ip: &str, load: Arc<Mutex<Load>>) -> String {
    let listener = tokio::net::TcpListener::bind((ip, 0))
        .await
        .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(slow_feed).with_state(load);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_and_global_limits_hold_and_hosts_run_in_parallel() {
    let load = Arc::new(Mutex::new(Load::default()));
    // Linux routes all of 127/8 to the loopback interface: three hosts.
    let mut hosts = Vec::new();
    for ip in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        hosts.push(serve_on(ip, load.clone()).await);
    }
    // An SQLite file, or a PostgreSQL database with TRIBUTARY_TEST_POSTGRES.
    let db = tributary_store::testing::scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let user = store.default_user().await.unwrap();
    let subs: Vec<NewSubscription> = hosts
        .iter()
        .flat_map(|h| (0..30).map(move |i| format!("http://{h}/feed/{i}.xml")))
        .map(|url| NewSubscription {
            url,
            ..Default::default()
        })
        .collect();
    store.subscribe(user, &subs).await.unwrap();
    let feeds = store.feeds_to_fetch(&FeedSelector::All).await.unwrap();
    assert_eq!(feeds.len(), 90);

    let fetcher = Fetcher::new(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let config = RefreshConfig {
        concurrency: 5,
        per_host: 2,
        ..RefreshConfig::default()
    };
    let refresher = Refresher::new(store, fetcher, config);
    let started = Instant::now();
    let summary = refresher.refresh_many(feeds, |_, _| {}).await;
    let took = started.elapsed();

    assert_eq!(summary.fetched, 90, "{summary:?}");
    let load = load.lock().unwrap();
    assert_eq!(load.served, 90);
    for host in &hosts {
        assert_eq!(load.max.get(host), Some(&2), "max in flight for {host}");
    }
    assert!(load.total_max <= 5, "overall max {}", load.total_max);
    assert!(
        load.total_max > 2,
        "hosts must be fetched side by side (overall max {})",
        load.total_max
    );
    // 90 requests of 100 ms, 5 at a time: 1.8 s at best; one at a time: 9 s.
    assert!(took >= Duration::from_millis(1700), "too fast: {took:?}");
    assert!(took < Duration::from_millis(4500), "too slow: {took:?}");
}
