//! Rules at ingest: a feed served on loopback, fetched by the real
//! pipeline into a real database (SQLite, or PostgreSQL with
//! `TRIBUTARY_TEST_POSTGRES`), followed by two users of whom only one has
//! rules. What the rules do shows for that user alone; entries that were
//! already stored are not evaluated again; WebSub pushes get the same.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Router;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::{FeedId, RiverItem, UserId};
use tributary_refresh::{FeedOutcome, RefreshConfig, Refresher};
use tributary_store::{EntryQuery, FeedSelector, NewRule, NewSubscription, RuleScope, Store, View};

type Body = Arc<Mutex<String>>;

async fn serve(State(body): State<Body>) -> impl IntoResponse {
    let text = body.lock().unwrap().clone();
    ([("content-type", "application/rss+xml")], text)
}

/// (guid, title, category, enclosure MIME type)
fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, category, mime)| {
            let enclosure = if mime.is_empty() {
                String::new()
            } else {
                format!(
                    "<enclosure url=\"https://cdn.example/{guid}\" length=\"10\" type=\"{mime}\"/>"
                )
            };
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
                 <link>https://blog.example/{guid}</link><category>{category}</category>{enclosure}\
                 <pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>\
                 <description>Text of {title}.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
         <link>https://blog.example/</link>{items}</channel></rss>"
    )
}

struct World {
    _db: tributary_store::testing::Scratch,
    store: Store,
    refresher: Refresher,
    body: Body,
    url: String,
    ann: UserId,
    bob: UserId,
    feed: FeedId,
}

async fn world() -> World {
    let body: Body = Arc::default();
    let app = Router::new().fallback(serve).with_state(body.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let db = tributary_store::testing::scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let fetcher = Fetcher::new(FetchConfig {
        allow_private_networks: true,
        total_timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    })
    .unwrap();
    let refresher = Refresher::new(store.clone(), fetcher, RefreshConfig::default());
    let url = format!("http://{addr}/feed.xml");
    let ann = store.create_user("ann", "h", false).await.unwrap().id;
    let bob = store.create_user("bob", "h", false).await.unwrap().id;
    for (user, category) in [(ann, "Net/Blogs"), (bob, "")] {
        store
            .subscribe(
                user,
                &[NewSubscription {
                    url: url.clone(),
                    category: category
                        .split('/')
                        .filter(|c| !c.is_empty())
                        .map(Into::into)
                        .collect(),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
    }
    let feed = store
        .feeds_to_fetch(&FeedSelector::Urls(vec![url.clone()]))
        .await
        .unwrap()[0]
        .id;
    World {
        _db: db,
        store,
        refresher,
        body,
        url,
        ann,
        bob,
        feed,
    }
}

impl World {
    async fn fetch(&self, items: &[(&str, &str, &str, &str)]) -> FeedOutcome {
        *self.body.lock().unwrap() = rss(items);
        let feed = self.store.feed_by_id(self.feed).await.unwrap().unwrap();
        self.refresher.refresh_feed(&feed).await
    }

    async fn rule(
        &self,
        scope: RuleScope,
        action: &str,
        tag: Option<&str>,
        expression: &str,
    ) -> i64 {
        self.store
            .add_rule(
                self.ann,
                &NewRule {
                    scope,
                    action: action.into(),
                    tag: tag.map(Into::into),
                    expression: expression.into(),
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn listing(&self, user: UserId, view: View) -> Vec<RiverItem> {
        self.store
            .entries(
                user,
                &EntryQuery {
                    view,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items
    }

    async fn titles(&self, user: UserId, view: View) -> Vec<String> {
        let mut t: Vec<String> = self
            .listing(user, view)
            .await
            .into_iter()
            .map(|i| i.entry.title)
            .collect();
        t.sort();
        t
    }
}

#[tokio::test]
async fn rules_act_on_new_entries_for_their_user_only() {
    let w = world().await;
    let net = w.store.categories(w.ann).await.unwrap();
    let net = net.iter().find(|c| c.path == "Net").unwrap().id;
    let block = w
        .rule(RuleScope::All, "block", None, "title:sponsored")
        .await;
    let star = w
        .rule(RuleScope::Feed(w.feed), "star", None, "category:rust")
        .await;
    // A category rule covers the feed filed in a sub-category.
    let tag = w
        .rule(
            RuleScope::Category(net),
            "tag",
            Some("podcast"),
            "enclosure:audio/mpeg",
        )
        .await;
    let read = w
        .rule(RuleScope::All, "read", None, "title:\"weekly links\"")
        .await;
    let items = [
        ("1", "Sponsored: the best VPN", "ads", ""),
        ("2", "Rust 2.0", "rust", ""),
        ("3", "Episode 12", "audio", "audio/mpeg"),
        ("4", "Weekly links", "links", ""),
        ("5", "Plain post", "misc", ""),
    ];
    assert_eq!(
        w.fetch(&items).await,
        FeedOutcome::Fetched { new: 5, updated: 0 }
    );

    let all = w.titles(w.ann, View::All).await;
    assert_eq!(
        all,
        ["Episode 12", "Plain post", "Rust 2.0", "Weekly links"]
    );
    let unread = w.titles(w.ann, View::Unread).await;
    assert_eq!(unread, ["Episode 12", "Plain post", "Rust 2.0"]);
    assert_eq!(w.titles(w.ann, View::Starred).await, ["Rust 2.0"]);
    let tagged = w
        .store
        .tagged_entries(w.ann, "podcast", None, 0)
        .await
        .unwrap();
    assert_eq!(tagged.items.len(), 1);
    assert_eq!(tagged.items[0].entry.title, "Episode 12");
    assert_eq!(w.store.unread_total(w.ann).await.unwrap(), 3);

    // Bob follows the same feed without rules: everything, unread, untouched.
    assert_eq!(w.titles(w.bob, View::Unread).await.len(), 5);
    assert!(w.titles(w.bob, View::Starred).await.is_empty());
    assert!(w.store.tags(w.bob).await.unwrap().is_empty());

    let counts: Vec<(i64, i64)> = w
        .store
        .rules(w.ann)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.id, r.match_count))
        .collect();
    assert_eq!(counts, [(block, 1), (star, 1), (tag, 1), (read, 1)]);

    // The next fetch brings one more sponsored post: only it is evaluated
    // (the counts grow by one), and it is hidden too.
    let mut more = items.to_vec();
    more.push(("6", "Another SPONSORED post", "ads", ""));
    assert_eq!(
        w.fetch(&more).await,
        FeedOutcome::Fetched { new: 1, updated: 0 }
    );
    assert!(!w
        .titles(w.ann, View::All)
        .await
        .contains(&"Another SPONSORED post".to_owned()));
    assert!(w
        .titles(w.bob, View::All)
        .await
        .contains(&"Another SPONSORED post".to_owned()));
    let after = w.store.rules(w.ann).await.unwrap();
    assert_eq!((after[0].match_count, after[1].match_count), (2, 1));

    // A disabled rule does nothing to what arrives next.
    w.store.set_rule_enabled(w.ann, block, false).await.unwrap();
    more.push(("7", "Sponsored again", "ads", ""));
    w.fetch(&more).await;
    assert!(w
        .titles(w.ann, View::All)
        .await
        .contains(&"Sponsored again".to_owned()));
}

#[tokio::test]
async fn keep_only_hides_what_does_not_match_and_pushes_are_ruled_too() {
    let w = world().await;
    w.rule(RuleScope::Feed(w.feed), "keep-only", None, "bgp OR ospf")
        .await;
    w.fetch(&[
        ("1", "BGP in the data center", "net", ""),
        ("2", "My cat", "life", ""),
    ])
    .await;
    assert_eq!(w.titles(w.ann, View::All).await, ["BGP in the data center"]);
    assert_eq!(w.titles(w.bob, View::All).await.len(), 2);

    // A WebSub push goes through the same hook.
    let body = rss(&[
        ("1", "BGP in the data center", "net", ""),
        ("2", "My cat", "life", ""),
        ("3", "OSPF areas", "net", ""),
        ("4", "Holiday photos", "life", ""),
    ]);
    let report = w
        .refresher
        .ingest_push(w.feed, body.into(), Some("application/rss+xml".into()))
        .await
        .unwrap();
    assert_eq!(report.new, 2);
    assert_eq!(
        w.titles(w.ann, View::All).await,
        ["BGP in the data center", "OSPF areas"]
    );
    assert_eq!(w.titles(w.bob, View::All).await.len(), 4);
    let _ = &w.url;
}

#[tokio::test]
async fn the_time_budget_bounds_evaluation_and_says_what_was_skipped() {
    let w = world().await;
    w.rule(RuleScope::All, "star", None, "title:/post \\d+/")
        .await;
    // Store without the hook (a zero budget afterwards): the first entry is
    // evaluated, the others are skipped and reported.
    let items: Vec<(String, String)> = (0..20)
        .map(|i| (i.to_string(), format!("post {i}")))
        .collect();
    let refs: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(g, t)| (g.as_str(), t.as_str(), "x", ""))
        .collect();
    w.store
        .set_rule_enabled(w.ann, w.store.rules(w.ann).await.unwrap()[0].id, false)
        .await
        .unwrap();
    w.fetch(&refs).await;
    w.store
        .set_rule_enabled(w.ann, w.store.rules(w.ann).await.unwrap()[0].id, true)
        .await
        .unwrap();
    let ids: Vec<_> = w
        .listing(w.ann, View::All)
        .await
        .iter()
        .map(|i| i.entry.id)
        .collect();
    let report = tributary_refresh::rules::try_apply(&w.store, w.feed, &ids, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((report.users, report.acted, report.skipped), (1, 1, 19));
    assert_eq!(w.titles(w.ann, View::Starred).await.len(), 1);
    // With time enough, all of them.
    let report =
        tributary_refresh::rules::try_apply(&w.store, w.feed, &ids, Duration::from_secs(10))
            .await
            .unwrap();
    assert_eq!((report.acted, report.skipped), (20, 0));
    assert_eq!(w.titles(w.ann, View::Starred).await.len(), 20);
}
