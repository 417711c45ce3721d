//! `tributary daemon`, the real binary against a loopback feed server: every
//! feed is fetched at start, a feed is fetched again when (and not before) it
//! becomes due, a feed added meanwhile is picked up by the rescan, `/healthz`
//! answers, and SIGTERM ends the process promptly with status 0.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{start_farm, Env, Farm};
use tributary_store::{FeedSelector, NewSubscription, Store};

/// Kills the daemon if the test fails before it is stopped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn subscribe(env: &Env, urls: &[String]) {
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let user = store.default_user().await.unwrap();
        let subs: Vec<NewSubscription> = urls
            .iter()
            .map(|url| NewSubscription {
                url: url.clone(),
                ..Default::default()
            })
            .collect();
        store.subscribe(user, &subs).await.unwrap();
        store.close().await;
    });
}

fn set_due(env: &Env, url: &str, at: chrono::DateTime<Utc>) {
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let feeds = store
            .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_string()]))
            .await
            .unwrap();
        store.set_next_fetch(feeds[0].id, at).await.unwrap();
        store.close().await;
    });
}

/// Poll until `cond` holds or `limit` passes; returns when it first held.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Instant> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the daemon");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    (
        head.lines().next().unwrap_or_default().to_string(),
        body.to_string(),
    )
}

fn hits(farm: &Farm, path: &str) -> usize {
    farm.state.hits(path)
}

#[test]
fn the_daemon_fetches_feeds_when_due_serves_healthz_and_stops_on_sigterm() {
    let farm = start_farm();
    let env = Env::new();
    let paths = ["/wordpress.xml", "/hugo.xml", "/blogger.atom"];
    let urls: Vec<String> = paths.iter().map(|p| farm.url(p)).collect();
    subscribe(&env, &urls);
    std::fs::write(env.path("config.toml"), "[daemon]\nrescan = \"1s\"\n").unwrap();

    let mut cmd: Command = env.cmd(&[]);
    cmd.arg("--config")
        .arg(env.path("config.toml"))
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut daemon = Daemon(cmd.spawn().expect("start the daemon"));
    let mut line = String::new();
    BufReader::new(daemon.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();

    // Every feed is fetched once at start …
    assert!(
        wait_until(Duration::from_secs(10), || paths
            .iter()
            .all(|p| hits(&farm, p) == 1))
        .is_some(),
        "each feed fetched once at start: {:?}",
        paths.map(|p| hits(&farm, p))
    );
    // … and /healthz knows them.
    let (status, body) = get(&addr, "/healthz");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["feeds"], 3, "{json}");
    assert!(json["due"].is_u64() && json["in_flight"].is_u64(), "{json}");
    assert!(get(&addr, "/nope").0.contains("404"));

    // Nothing is due for an hour: a few rescans later, still one fetch each.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(paths.map(|p| hits(&farm, p)), [1, 1, 1]);

    // A feed made due in 2 s is fetched then: not before, not much after.
    let due = Utc::now() + chrono::Duration::seconds(2);
    let due_instant = Instant::now() + Duration::from_secs(2);
    set_due(&env, &urls[1], due);
    let fetched = wait_until(Duration::from_secs(6), || hits(&farm, "/hugo.xml") == 2)
        .expect("the feed made due is fetched again");
    assert!(
        fetched + Duration::from_millis(100) >= due_instant,
        "fetched {:?} before it was due",
        due_instant - fetched
    );
    assert!(
        fetched < due_instant + Duration::from_millis(2500),
        "fetched {:?} after it was due",
        fetched - due_instant
    );
    assert_eq!(hits(&farm, "/wordpress.xml"), 1);
    assert_eq!(hits(&farm, "/blogger.atom"), 1);

    // A feed subscribed while the daemon runs is fetched after the next rescan.
    let added = Instant::now();
    subscribe(&env, &[farm.url("/ghost.xml")]);
    let seen = wait_until(Duration::from_secs(5), || hits(&farm, "/ghost.xml") == 1)
        .expect("the added feed is fetched");
    assert!(
        seen - added < Duration::from_millis(3000),
        "{:?}",
        seen - added
    );
    let json: serde_json::Value = serde_json::from_str(&get(&addr, "/healthz").1).unwrap();
    assert_eq!(json["feeds"], 4, "{json}");

    // SIGTERM: a prompt, clean exit.
    let pid = daemon.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = daemon.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{status}");
}
