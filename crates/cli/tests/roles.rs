//! `serve --role web|fetch|all` with the real binary: several processes on
//! one database (an SQLite file here; the PostgreSQL scale-out test is
//! tests/scaleout/scaleout.py), and a database that cannot be reached.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{start_farm, Env, Farm};
use tributary_store::{FeedSelector, NewSubscription, Store};

struct Proc(Child);

impl Drop for Proc {
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

fn make_due(env: &Env, url: &str) {
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let feeds = store
            .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_string()]))
            .await
            .unwrap();
        store.set_next_fetch(feeds[0].id, Utc::now()).await.unwrap();
        store.close().await;
    });
}

/// Start `serve --role ROLE` on a free port; returns it and its address.
fn serve(env: &Env, role: &str, worker: &str) -> (Proc, String) {
    let mut cmd: Command = env.cmd(&[]);
    cmd.arg("--config")
        .arg(env.path("config.toml"))
        .args(["serve", "--role", role, "--listen", "127.0.0.1:0"])
        .env("TRIBUTARY_ADMIN_PASSWORD", "correct horse battery")
        .env("TRIBUTARY_FETCH_WORKER", worker)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = Proc(cmd.spawn().expect("start serve"));
    let mut line = String::new();
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep reading what it prints later (the admin password line).
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();
    (child, addr)
}

fn status_of(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
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
    text.lines().next().unwrap_or_default().to_string()
}

fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn hits(farm: &Farm, paths: &[&str]) -> Vec<usize> {
    paths.iter().map(|p| farm.state.hits(p)).collect()
}

#[test]
fn web_processes_never_fetch_and_fetch_workers_share_the_feeds() {
    let farm = start_farm();
    let env = Env::new();
    let paths = ["/wordpress.xml", "/hugo.xml", "/blogger.atom", "/ghost.xml"];
    let urls: Vec<String> = paths.iter().map(|p| farm.url(p)).collect();
    subscribe(&env, &urls);
    std::fs::write(env.path("config.toml"), "[daemon]\nrescan = \"1s\"\n").unwrap();

    // A web process serves the UI but fetches nothing, however long it runs.
    let (_web, web_addr) = serve(&env, "web", "web-1");
    assert_eq!(status_of(&web_addr, "/login"), "HTTP/1.1 200 OK");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(hits(&farm, &paths), [0, 0, 0, 0], "the web role fetched");

    // Two fetch workers on the same database: every feed once, in all.
    let (_f1, f1_addr) = serve(&env, "fetch", "fetch-1");
    let (_f2, _) = serve(&env, "fetch", "fetch-2");
    assert!(
        wait_until(Duration::from_secs(15), || hits(&farm, &paths)
            .iter()
            .all(|n| *n >= 1)),
        "every feed fetched: {:?}",
        hits(&farm, &paths)
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        hits(&farm, &paths),
        [1, 1, 1, 1],
        "each feed fetched by one worker only"
    );
    // A fetch worker answers /healthz, not the UI.
    assert_eq!(status_of(&f1_addr, "/healthz"), "HTTP/1.1 200 OK");
    assert!(status_of(&f1_addr, "/login").contains("404"));

    // A feed made due again is fetched once more, by one of them.
    make_due(&env, &urls[1]);
    assert!(wait_until(Duration::from_secs(10), || farm
        .state
        .hits("/hugo.xml")
        == 2));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(hits(&farm, &paths), [1, 2, 1, 1]);
}

#[test]
fn an_unreachable_postgres_server_is_a_clear_error_without_the_password() {
    let env = Env::new();
    let started = Instant::now();
    let out = env.run(&[
        "--database",
        "postgres://tributary:sekrit-pw@127.0.0.1:9/tributary",
        "feeds",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("sekrit-pw"), "password printed: {stderr}");
    assert!(stderr.contains("127.0.0.1:9"), "server not named: {stderr}");
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
}
