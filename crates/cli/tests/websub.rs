//! WebSub end to end: the real `tributary daemon` and a small real hub on
//! loopback. The daemon fetches a feed that advertises a hub, subscribes,
//! answers the hub's intent verification at its public URL, and stores what
//! the hub pushes with a good signature — and nothing of a push whose
//! signature is wrong. A feed with a working hub is then polled rarely.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Router};
use common::Env;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tributary_store::{FeedSelector, NewSubscription, RiverQuery, Store};

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the hub learnt from the subscriber.
#[derive(Default)]
struct HubState {
    /// hub.callback, hub.topic, hub.secret of the last subscribe request.
    subscription: Option<(String, String, String)>,
    /// The subscriber echoed our challenge.
    verified: bool,
    requests: usize,
}

#[derive(Clone)]
struct Hub {
    addr: SocketAddr,
    state: Arc<Mutex<HubState>>,
}

fn feed(addr: SocketAddr, titles: &[&str]) -> String {
    let items: String = titles
        .iter()
        .map(|t| {
            format!(
                "<item><guid>{t}</guid><title>{t}</title><link>https://pod.example/{}</link></item>",
                t.replace(' ', "-")
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
         <channel><title>Pushed podcast</title><link>https://pod.example/</link>\
         <atom:link rel=\"hub\" href=\"http://{addr}/hub\"/>\
         <atom:link rel=\"self\" href=\"http://{addr}/feed.xml\"/>{items}</channel></rss>"
    )
}

async fn feed_route(State(hub): State<Hub>) -> ([(&'static str, &'static str); 1], String) {
    (
        [("content-type", "application/rss+xml")],
        feed(hub.addr, &["Episode 1"]),
    )
}

/// A subscription request: accept it (202), then verify the intent by
/// calling the callback with a challenge, as a hub does.
async fn hub_route(
    State(hub): State<Hub>,
    Form(form): Form<HashMap<String, String>>,
) -> axum::http::StatusCode {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    if field("hub.mode") != "subscribe" {
        return axum::http::StatusCode::BAD_REQUEST;
    }
    let (callback, topic, secret) = (
        field("hub.callback"),
        field("hub.topic"),
        field("hub.secret"),
    );
    {
        let mut state = hub.state.lock().unwrap();
        state.requests += 1;
        state.subscription = Some((callback.clone(), topic.clone(), secret));
    }
    let state = hub.state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let challenge = "c7f9-challenge-from-the-hub";
        let answer = reqwest::Client::new()
            .get(&callback)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.topic", topic.as_str()),
                ("hub.challenge", challenge),
                ("hub.lease_seconds", "864000"),
            ])
            .send()
            .await;
        if let Ok(answer) = answer {
            let ok = answer.status().is_success();
            if ok && answer.text().await.unwrap_or_default() == challenge {
                state.lock().unwrap().verified = true;
            }
        }
    });
    axum::http::StatusCode::ACCEPTED
}

fn start_hub(rt: &tokio::runtime::Runtime) -> Hub {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let hub = Hub {
        addr: listener.local_addr().unwrap(),
        state: Arc::default(),
    };
    let app = Router::new()
        .route("/feed.xml", get(feed_route))
        .route("/hub", post(hub_route))
        .with_state(hub.clone());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    hub
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// A free loopback port for the daemon (its public URL must be known
/// before it starts, as in a real deployment).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn websub_round_trip_subscribe_verify_push_and_forged_push_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = start_hub(&rt);
    let env = Env::new();
    let port = free_port();
    std::fs::write(
        env.path("config.toml"),
        format!(
            "[websub]\npublic_url = \"http://127.0.0.1:{port}/\"\n\
             [daemon]\nlisten = \"127.0.0.1:{port}\"\nrescan = \"1s\"\n"
        ),
    )
    .unwrap();
    let feed_url = format!("http://{}/feed.xml", hub.addr);
    let db = env.db_url();
    rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let me = store.default_user().await.unwrap();
        store
            .subscribe(
                me,
                &[NewSubscription {
                    url: feed_url.clone(),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
        store.close().await;
    });

    let mut cmd = env.cmd(&[]);
    cmd.arg("--config")
        .arg(env.path("config.toml"))
        .arg("daemon")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut daemon = Daemon(cmd.spawn().expect("start the daemon"));
    let mut line = String::new();
    BufReader::new(daemon.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), format!("listening on http://127.0.0.1:{port}"));

    // The daemon fetches the feed, finds the hub, subscribes; the hub
    // verifies the intent at the daemon's public URL.
    assert!(
        wait_until(Duration::from_secs(10), || hub
            .state
            .lock()
            .unwrap()
            .verified),
        "the hub's verification was not answered"
    );
    let (callback, topic, secret) = hub.state.lock().unwrap().subscription.clone().unwrap();
    assert_eq!(topic, feed_url, "the topic is the feed's rel=self");
    assert!(
        callback.starts_with(&format!("http://127.0.0.1:{port}/websub/callback/")),
        "{callback}"
    );
    assert!(secret.len() >= 32, "a real secret is sent: {secret:?}");

    // Content distribution: one good push, one forged.
    let good = feed(hub.addr, &["Episode 1", "Episode 2 pushed"]);
    let forged = feed(hub.addr, &["Episode 1", "Forged episode"]);
    rt.block_on(async {
        let client = reqwest::Client::new();
        let ok = client
            .post(&callback)
            .header("content-type", "application/rss+xml")
            .header("x-hub-signature", sign(&secret, good.as_bytes()))
            .body(good.clone())
            .send()
            .await
            .unwrap();
        assert!(ok.status().is_success(), "{}", ok.status());
        let bad = client
            .post(&callback)
            .header("content-type", "application/rss+xml")
            .header("x-hub-signature", sign("not the secret", forged.as_bytes()))
            .body(forged.clone())
            .send()
            .await
            .unwrap();
        // Answered like any push (the forger learns nothing), but not stored.
        assert!(bad.status().is_success(), "{}", bad.status());
    });

    let (titles, reason) = rt.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let me = store.default_user().await.unwrap();
        let mut titles: Vec<String> = store
            .river(me, &RiverQuery::default())
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.entry.title)
            .collect();
        titles.sort();
        let feed = store
            .feeds_to_fetch(&FeedSelector::Urls(vec![feed_url.clone()]))
            .await
            .unwrap()
            .remove(0);
        store.close().await;
        (titles, feed.next_fetch_reason.unwrap_or_default())
    });
    assert_eq!(titles, vec!["Episode 1", "Episode 2 pushed"]);
    assert!(
        reason.contains("push"),
        "polled rarely once pushed: {reason}"
    );
    // The daemon does not ask the hub again while the subscription holds.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(hub.state.lock().unwrap().requests, 1);
}
