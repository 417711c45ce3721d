//! The whole refresh of one feed (fetch → parse → normalize → store) against
//! a loopback server whose answers each test changes between fetches, with a
//! real SQLite file: what a failure, a move or an unchanged body does to the
//! stored feed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use chrono::Utc;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::{Feed, FeedStatus};
use tributary_refresh::{FeedOutcome, RefreshConfig, Refresher};
use tributary_store::{FeedSelector, NewSubscription, RiverQuery, Store};

/// Status, headers and body of an answer.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// What the server answers per path. Paths not set answer 404.
#[derive(Clone, Default)]
struct Script {
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Script {
    fn set(&self, path: &str, status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, headers, body.into()));
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn answer(State(script): State<Script>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    *script.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    if path.starts_with("/never/") {
        // A server that accepts the request and never answers.
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let route = script.routes.lock().unwrap().get(&path).cloned();
    let (status, headers, body) = route.unwrap_or((404, Vec::new(), b"no such feed".to_vec()));
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(k, v);
    }
    builder.body(body.into()).unwrap()
}

struct Harness {
    _db: tributary_store::testing::Scratch,
    addr: SocketAddr,
    script: Script,
    store: Store,
    refresher: Refresher,
}

impl Harness {
    async fn new(config: RefreshConfig) -> Harness {
        let fetch = FetchConfig {
            total_timeout: Duration::from_secs(10),
            ..FetchConfig::default()
        };
        Harness::with_fetch(config, fetch).await
    }

    async fn with_fetch(config: RefreshConfig, fetch: FetchConfig) -> Harness {
        let script = Script::default();
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        // An SQLite file, or a PostgreSQL database with TRIBUTARY_TEST_POSTGRES.
        let db = tributary_store::testing::scratch().await.unwrap();
        let store = db.open().await.unwrap();
        let fetcher = Fetcher::new(FetchConfig {
            allow_private_networks: true,
            ..fetch
        })
        .unwrap();
        let refresher = Refresher::new(store.clone(), fetcher, config);
        Harness {
            _db: db,
            addr,
            script,
            store,
            refresher,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn subscribe(&self, path: &str) -> Feed {
        let me = self.store.default_user().await.unwrap();
        self.store
            .subscribe(
                me,
                &[NewSubscription {
                    url: self.url(path),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
        self.feed(&self.url(path)).await
    }

    async fn feed(&self, url: &str) -> Feed {
        let feeds = self
            .store
            .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_owned()]))
            .await
            .unwrap();
        feeds.into_iter().next().expect("feed is stored")
    }

    /// Refresh the feed as stored now (what the scheduler would hand over).
    async fn refresh(&self, feed: &Feed) -> (FeedOutcome, Feed) {
        let current = self.store.feed_by_id(feed.id).await.unwrap().unwrap();
        let outcome = self.refresher.refresh_feed(&current).await;
        let after = self.store.feed_by_id(feed.id).await.unwrap().unwrap();
        (outcome, after)
    }

    async fn titles(&self) -> Vec<String> {
        let me = self.store.default_user().await.unwrap();
        let mut titles: Vec<String> = self
            .store
            .river(me, &RiverQuery::default())
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.entry.title)
            .collect();
        titles.sort();
        titles
    }
}

fn rss(extra_channel: &str, items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title)| {
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
                 <link>https://blog.example/{guid}</link>\
                 <pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><description>Text of {title}.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" \
         xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel><title>Blog</title>\
         <link>https://blog.example/</link>{extra_channel}{items}</channel></rss>"
    )
}

const XML: (&str, &str) = ("content-type", "application/rss+xml");

#[tokio::test]
async fn gone_disables_the_feed_and_says_when() {
    let h = Harness::new(RefreshConfig::default()).await;
    h.script
        .set("/f.xml", 200, &[XML], rss("", &[("1", "One")]));
    let feed = h.subscribe("/f.xml").await;
    h.refresh(&feed).await;
    h.script.set("/f.xml", 410, &[], "gone");
    let (outcome, after) = h.refresh(&feed).await;
    assert!(matches!(outcome, FeedOutcome::Failed { ref code, .. } if code == "http_gone"));
    assert_eq!(after.status, FeedStatus::Disabled);
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let message = after.last_error.unwrap();
    assert!(message.contains("410"), "{message}");
    assert!(
        message.contains(&format!("disabled on {today}")),
        "{message}"
    );
    assert!(after.disabled_at.is_some());
    // A disabled feed is no longer due, however late it gets.
    let due = h
        .store
        .feeds_to_fetch(&FeedSelector::Due(Utc::now() + chrono::Duration::days(30)))
        .await
        .unwrap();
    assert!(due.iter().all(|f| f.id != feed.id));
    // Its entries stay.
    assert_eq!(h.titles().await, vec!["One"]);
}

#[tokio::test]
async fn a_working_feed_stays_ok_while_failing_until_error_after() {
    let h = Harness::new(RefreshConfig {
        error_after: Duration::from_millis(1500),
        ..RefreshConfig::default()
    })
    .await;
    h.script
        .set("/f.xml", 200, &[XML], rss("", &[("1", "One")]));
    let feed = h.subscribe("/f.xml").await;
    h.refresh(&feed).await;

    h.script.set("/f.xml", 503, &[], "down");
    let (_, first) = h.refresh(&feed).await;
    assert_eq!(
        first.status,
        FeedStatus::Ok,
        "one failure is not an error yet"
    );
    assert_eq!(first.last_error_code.as_deref(), Some("http_server_error"));
    assert_eq!(first.error_count, 1);
    let since = first.failing_since.expect("failing_since set");
    let wait1 = first.next_fetch_at.unwrap() - first.last_fetched_at.unwrap();
    assert!(first
        .next_fetch_reason
        .as_deref()
        .is_some_and(|r| r.contains("1 error")));

    let (_, second) = h.refresh(&feed).await;
    assert_eq!(second.status, FeedStatus::Ok);
    let wait2 = second.next_fetch_at.unwrap() - second.last_fetched_at.unwrap();
    // 5 min then 10 min (plus at most 10 % jitter): exponential back-off.
    assert!(
        wait1 >= chrono::Duration::minutes(5) && wait1 <= chrono::Duration::minutes(6),
        "{wait1}"
    );
    assert!(
        wait2 >= chrono::Duration::minutes(10) && wait2 <= chrono::Duration::minutes(11),
        "{wait2}"
    );
    assert!(second
        .last_error
        .as_deref()
        .is_some_and(|m| m.contains("failing since")));

    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (_, third) = h.refresh(&feed).await;
    assert_eq!(
        third.status,
        FeedStatus::Error,
        "failing longer than error_after"
    );
    assert_eq!(third.failing_since, Some(since), "the run keeps its start");
    assert_eq!(third.error_count, 3);

    // One success ends the run.
    h.script.set(
        "/f.xml",
        200,
        &[XML],
        rss("", &[("1", "One"), ("2", "Two")]),
    );
    let (outcome, healed) = h.refresh(&feed).await;
    assert_eq!(outcome, FeedOutcome::Fetched { new: 1, updated: 0 });
    assert_eq!(healed.status, FeedStatus::Ok);
    assert_eq!((healed.failing_since, healed.error_count), (None, 0));
    assert_eq!(healed.last_error, None);
}

#[tokio::test]
async fn a_feed_that_never_worked_is_an_error_at_once() {
    let h = Harness::new(RefreshConfig::default()).await;
    let feed = h.subscribe("/missing.xml").await;
    let (outcome, after) = h.refresh(&feed).await;
    assert!(matches!(outcome, FeedOutcome::Failed { ref code, .. } if code == "http_not_found"));
    assert_eq!(after.status, FeedStatus::Error);
}

#[tokio::test]
async fn retry_after_sets_the_next_attempt() {
    let h = Harness::new(RefreshConfig::default()).await;
    h.script
        .set("/f.xml", 200, &[XML], rss("", &[("1", "One")]));
    let feed = h.subscribe("/f.xml").await;
    h.refresh(&feed).await;
    h.script
        .set("/f.xml", 429, &[("retry-after", "7200")], "slow down");
    let (_, after) = h.refresh(&feed).await;
    let wait = after.next_fetch_at.unwrap() - after.last_fetched_at.unwrap();
    assert!(
        wait >= chrono::Duration::seconds(7200),
        "Retry-After 7200 s, next attempt after {wait}"
    );
    assert_eq!(
        after.last_error_code.as_deref(),
        Some("http_too_many_requests")
    );
}

#[tokio::test]
async fn the_same_body_again_is_not_parsed_or_stored_again() {
    let h = Harness::new(RefreshConfig::default()).await;
    // No validators: the server always answers 200 with the full body.
    let body = rss("", &[("1", "One"), ("2", "Two")]);
    h.script.set("/f.xml", 200, &[XML], body.clone());
    let feed = h.subscribe("/f.xml").await;
    let (first, stored) = h.refresh(&feed).await;
    assert_eq!(first, FeedOutcome::Fetched { new: 2, updated: 0 });
    assert!(stored.body_hash.is_some());
    let (second, _) = h.refresh(&feed).await;
    assert_eq!(second, FeedOutcome::NotModified);
    assert_eq!(h.script.hits("/f.xml"), 2);
    // A changed body is parsed and stored.
    h.script.set(
        "/f.xml",
        200,
        &[XML],
        rss("", &[("1", "One"), ("2", "Two"), ("3", "Three")]),
    );
    let (third, _) = h.refresh(&feed).await;
    assert_eq!(third, FeedOutcome::Fetched { new: 1, updated: 0 });
}

#[tokio::test]
async fn itunes_new_feed_url_moves_the_feed_without_duplicates() {
    let h = Harness::new(RefreshConfig::default()).await;
    let new_url = h.url("/new/feed.xml");
    let signal = format!("<itunes:new-feed-url>{new_url}</itunes:new-feed-url>");
    h.script.set(
        "/old.xml",
        200,
        &[XML],
        rss("", &[("1", "One"), ("2", "Two")]),
    );
    let feed = h.subscribe("/old.xml").await;
    h.refresh(&feed).await;
    assert_eq!(h.titles().await, vec!["One", "Two"]);

    // The old feed announces the move; the new address serves the same
    // episodes and one more.
    h.script.set(
        "/old.xml",
        200,
        &[XML],
        rss(&signal, &[("1", "One"), ("2", "Two")]),
    );
    h.script.set(
        "/new/feed.xml",
        200,
        &[XML],
        rss("", &[("1", "One"), ("2", "Two"), ("3", "Three")]),
    );
    let (outcome, moved) = h.refresh(&feed).await;
    assert_eq!(outcome, FeedOutcome::Fetched { new: 1, updated: 0 });
    assert_eq!(moved.url, new_url);
    assert_eq!(moved.previous_urls, vec![h.url("/old.xml")]);
    assert_eq!(h.titles().await, vec!["One", "Three", "Two"]);

    // From now on only the new address is asked.
    let old_hits = h.script.hits("/old.xml");
    h.refresh(&feed).await;
    assert_eq!(h.script.hits("/old.xml"), old_hits);
    assert_eq!(h.script.hits("/new/feed.xml"), 2);
}

#[tokio::test]
async fn a_new_feed_url_that_is_not_a_feed_is_not_followed() {
    let h = Harness::new(RefreshConfig::default()).await;
    let new_url = h.url("/broken.xml");
    let signal = format!("<itunes:new-feed-url>{new_url}</itunes:new-feed-url>");
    h.script
        .set("/old.xml", 200, &[XML], rss(&signal, &[("1", "One")]));
    h.script.set(
        "/broken.xml",
        200,
        &[("content-type", "text/html")],
        "<html><body>Parked domain</body></html>",
    );
    let feed = h.subscribe("/old.xml").await;
    let (outcome, after) = h.refresh(&feed).await;
    assert_eq!(outcome, FeedOutcome::Fetched { new: 1, updated: 0 });
    assert_eq!(after.url, h.url("/old.xml"));
    assert!(after.previous_urls.is_empty());
    let note = after.status_note.expect("the refused move is noted");
    assert!(note.contains(&new_url), "{note}");
    assert_eq!(h.script.hits("/broken.xml"), 1);
}

#[tokio::test]
async fn rel_self_pointing_elsewhere_is_not_a_move() {
    let h = Harness::new(RefreshConfig::default()).await;
    let elsewhere = h.url("/other.xml");
    let self_link = format!("<atom:link rel=\"self\" href=\"{elsewhere}\"/>");
    h.script
        .set("/f.xml", 200, &[XML], rss(&self_link, &[("1", "One")]));
    h.script
        .set("/other.xml", 200, &[XML], rss("", &[("9", "Nine")]));
    let feed = h.subscribe("/f.xml").await;
    let (_, after) = h.refresh(&feed).await;
    assert_eq!(after.url, h.url("/f.xml"));
    assert_eq!(h.script.hits("/other.xml"), 0);
    assert_eq!(h.titles().await, vec!["One"]);
}

#[tokio::test]
async fn permanent_redirects_move_the_feed_temporary_ones_do_not() {
    let h = Harness::new(RefreshConfig::default()).await;
    let final_url = h.url("/2026/feed.xml");
    h.script.set("/a.xml", 301, &[("location", "/b.xml")], "");
    h.script
        .set("/b.xml", 308, &[("location", "/2026/feed.xml")], "");
    h.script
        .set("/2026/feed.xml", 200, &[XML], rss("", &[("1", "One")]));
    h.script
        .set("/t.xml", 302, &[("location", "/2026/feed.xml")], "");
    let moved = h.subscribe("/a.xml").await;
    let temp = h.subscribe("/t.xml").await;
    let (_, after) = h.refresh(&moved).await;
    assert_eq!(after.url, final_url);
    assert_eq!(after.previous_urls, vec![h.url("/a.xml")]);
    let (_, after) = h.refresh(&temp).await;
    assert_eq!(after.url, h.url("/t.xml"));
    assert!(after.previous_urls.is_empty());
}

#[tokio::test]
async fn the_schedule_follows_the_posting_rate_and_says_why() {
    let h = Harness::new(RefreshConfig::default()).await;
    // Posts every 2 days, the newest today; the feed asks for skipHours.
    let now = Utc::now();
    let items: String = (0..6)
        .map(|i| {
            let date = (now - chrono::Duration::days(2 * i)).to_rfc2822();
            format!(
                "<item><guid>p{i}</guid><title>Post {i}</title><pubDate>{date}</pubDate></item>"
            )
        })
        .collect();
    // A skipped day that neither the first wait (~1 d) nor the max-age
    // below (3 d) lands on, whatever today is.
    let skipped = (chrono::Datelike::weekday(&now).num_days_from_monday() + 5) % 7;
    let names = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let body = format!(
        "<rss version=\"2.0\"><channel><title>Slow blog</title>\
         <skipDays><day>{}</day></skipDays>{items}</channel></rss>",
        names[skipped as usize]
    );
    h.script
        .set("/slow.xml", 200, &[XML, ("etag", "\"s1\"")], body.clone());
    let feed = h.subscribe("/slow.xml").await;
    let (_, after) = h.refresh(&feed).await;
    assert_eq!(after.schedule_hints.post_interval_secs, Some(2 * 86_400));
    assert_eq!(after.schedule_hints.skip_days, vec![skipped as u8]);
    let reason = after.next_fetch_reason.clone().unwrap();
    assert!(reason.contains("posts"), "{reason}");
    // Half of two days, capped at max_interval (24 h), plus jitter; never a Saturday.
    let wait = after.next_fetch_at.unwrap() - after.last_fetched_at.unwrap();
    assert!(wait >= chrono::Duration::hours(24), "{wait} ({reason})");
    assert_ne!(
        chrono::Datelike::weekday(&after.next_fetch_at.unwrap()).num_days_from_monday(),
        skipped
    );

    // A 304 keeps the hints learnt from the last body; a max-age longer
    // than the posting rate's wait decides the time and is named.
    h.script.set(
        "/slow.xml",
        304,
        &[("etag", "\"s1\""), ("cache-control", "max-age=259200")],
        "",
    );
    let (outcome, after) = h.refresh(&feed).await;
    assert_eq!(outcome, FeedOutcome::NotModified);
    assert_eq!(after.schedule_hints.post_interval_secs, Some(2 * 86_400));
    let wait = after.next_fetch_at.unwrap() - after.last_fetched_at.unwrap();
    assert!(wait >= chrono::Duration::hours(72), "{wait}");
    let reason = after.next_fetch_reason.unwrap();
    assert!(reason.contains("max-age"), "{reason}");
}

#[tokio::test]
async fn a_feed_over_the_size_cap_keeps_its_first_entries_and_says_so() {
    let cap = 16 * 1024;
    let h = Harness::with_fetch(
        RefreshConfig::default(),
        FetchConfig {
            max_body_bytes: cap,
            ..FetchConfig::default()
        },
    )
    .await;
    let items: Vec<(String, String)> = (0..300)
        .map(|i| (format!("e{i}"), format!("Episode {i}")))
        .collect();
    let refs: Vec<(&str, &str)> = items
        .iter()
        .map(|(g, t)| (g.as_str(), t.as_str()))
        .collect();
    let body = rss("", &refs);
    assert!(body.len() as u64 > 3 * cap);
    h.script.set("/big.xml", 200, &[XML], body);
    let feed = h.subscribe("/big.xml").await;
    let (outcome, after) = h.refresh(&feed).await;
    let FeedOutcome::Fetched { new, .. } = outcome else {
        panic!("a large valid feed is not a failure: {outcome:?}");
    };
    assert!(new > 10 && new < 300, "{new} entries kept");
    assert_eq!(after.status, FeedStatus::Ok);
    let note = after.status_note.expect("the cut is noted");
    assert!(
        note.contains(&format!("kept its first {new} entries")),
        "{note}"
    );
    assert!(note.contains("16 KiB"), "{note}");
    // The entries kept are the first ones of the document, each complete.
    let titles = h.titles().await;
    assert!(titles.contains(&"Episode 0".to_owned()));
    assert!(titles.iter().all(|t| t.starts_with("Episode ")));

    // A document whose first entry does not fit is a failure with its code.
    let huge_description = format!("<description>{}</description>", "x".repeat(40_000));
    h.script.set(
        "/huge.xml",
        200,
        &[XML],
        rss(&huge_description, &[("1", "One")]),
    );
    let huge = h.subscribe("/huge.xml").await;
    let (outcome, after) = h.refresh(&huge).await;
    assert!(
        matches!(outcome, FeedOutcome::Failed { ref code, .. } if code == "body_too_large"),
        "{outcome:?}"
    );
    assert!(after.last_error.unwrap().contains("16 KiB"));
}

#[tokio::test]
async fn a_permanent_redirect_that_ends_in_not_modified_still_moves_the_feed() {
    let h = Harness::new(RefreshConfig::default()).await;
    h.script.set(
        "/a.xml",
        200,
        &[XML, ("etag", "\"v1\"")],
        rss("", &[("1", "One")]),
    );
    let feed = h.subscribe("/a.xml").await;
    h.refresh(&feed).await;
    h.script.set("/a.xml", 301, &[("location", "/b.xml")], "");
    h.script.set("/b.xml", 304, &[("etag", "\"v1\"")], "");
    let (outcome, after) = h.refresh(&feed).await;
    assert_eq!(outcome, FeedOutcome::NotModified);
    assert_eq!(after.url, h.url("/b.xml"));
    assert_eq!(after.previous_urls, vec![h.url("/a.xml")]);
    assert_eq!(h.titles().await, vec!["One"]);
}

#[tokio::test]
async fn a_server_that_never_answers_does_not_hold_up_the_others() {
    let h = Harness::with_fetch(
        RefreshConfig {
            concurrency: 2,
            per_host: 2,
            ..RefreshConfig::default()
        },
        FetchConfig {
            total_timeout: Duration::from_millis(800),
            ..FetchConfig::default()
        },
    )
    .await;
    let mut feeds = vec![
        h.subscribe("/never/1.xml").await,
        h.subscribe("/never/2.xml").await,
    ];
    for i in 0..6 {
        let path = format!("/ok/{i}.xml");
        h.script.set(&path, 200, &[XML], rss("", &[("1", "One")]));
        feeds.push(h.subscribe(&path).await);
    }
    let started = std::time::Instant::now();
    let summary = h.refresher.refresh_many(feeds, |_, _| {}).await;
    let took = started.elapsed();
    assert_eq!((summary.fetched, summary.failed), (6, 2), "{summary:?}");
    // Two slots, both first taken by the silent server: each waits out the
    // 0.8 s timeout once, then the six others go through.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let silent = h.feed(&h.url("/never/1.xml")).await;
    assert_eq!(silent.last_error_code.as_deref(), Some("timeout"));
}
