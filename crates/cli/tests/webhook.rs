//! `tributary webhook …`, the real binary against a loopback receiver that
//! verifies every signature: add (secret printed; private addresses refused
//! unless allowed), list, deliver (one pass, entries fetched from a
//! loopback feed), test (ping), log, disable/enable, remove, `--user`.

mod common;

use common::{rss, start_feeds, Env};
use tributary_webhooks::testing::Receiver;

#[test]
fn the_webhook_commands_deliver_to_a_verifying_receiver() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let receiver = rt.block_on(Receiver::start("not yet")).unwrap();
    let env = Env::new();

    // Refused by the SSRF guard unless private networks are allowed.
    let out = env
        .cmd(&["webhook", "add", &receiver.url()])
        .env_remove("TRIBUTARY_ALLOW_PRIVATE_NETWORKS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("127.0.0.1"), "{err}");
    let out = env.run(&["webhook", "add", "ftp://files.example/"]);
    assert!(!out.status.success());

    let added = env.ok(&["webhook", "add", &receiver.url()]);
    assert!(added.starts_with("added webhook 1 → "), "{added}");
    let secret = added
        .lines()
        .find_map(|l| l.strip_prefix("secret: "))
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    receiver.set_secret(&secret);

    let list = env.ok(&["webhook", "list"]);
    assert!(
        list.contains(&receiver.url()) && list.contains("ok"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["webhook", "list", "--json"])).unwrap();
    assert_eq!(json[0]["secret"], secret.as_str());
    assert_eq!(json[0]["enabled"], true);

    // Entries arrive from a feed; one pass delivers them.
    let feeds = start_feeds();
    let date = "Mon, 02 Nov 2026 10:00:00 GMT";
    feeds.set(
        "/blog.xml",
        &rss(
            "Blog",
            &[("p1", "First", "one", date), ("p2", "Second", "two", date)],
        ),
    );
    env.ok(&["add", &feeds.url("/blog.xml")]);
    let pass = env
        .cmd(&["webhook", "deliver"])
        .env("TRIBUTARY_WEBHOOKS_SETTLE", "0s")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&pass.stdout);
    assert!(pass.status.success(), "{said}");
    assert!(said.contains("1 batches (2 entries) delivered"), "{said}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].verified);
    let titles: Vec<String> = got[0]
        .payload
        .as_ref()
        .unwrap()
        .entries
        .iter()
        .map(|e| e.title.clone())
        .collect();
    assert_eq!(titles, ["First", "Second"]);
    // Settle time: a fresh entry waits (the default is 15 s).
    feeds.set(
        "/blog.xml",
        &rss(
            "Blog",
            &[("p3", "Third", "three", date), ("p1", "First", "one", date)],
        ),
    );
    env.ok(&["fetch", "--all"]);
    let said = env.ok(&["webhook", "deliver"]);
    assert!(said.contains("0 batches"), "{said}");

    let ping = env.ok(&["webhook", "test", "1"]);
    assert!(ping.contains("answered 204"), "{ping}");
    assert_eq!(receiver.received().last().unwrap().event, "ping");

    let log: serde_json::Value =
        serde_json::from_str(&env.ok(&["webhook", "log", "1", "--json"])).unwrap();
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ping", "entries"]);
    assert_eq!(log[1]["entries"], 2);
    assert_eq!(log[1]["status"], 204);
    let text = env.ok(&["webhook", "log", "1"]);
    assert!(text.contains("ok 204"), "{text}");

    env.ok(&["webhook", "disable", "1"]);
    assert!(env.ok(&["webhook", "list"]).contains("disabled"));
    let said = env.ok(&["webhook", "deliver", "--force"]);
    assert!(said.starts_with("0 webhooks"), "{said}");
    env.ok(&["webhook", "enable", "1"]);
    let pass = env
        .cmd(&["webhook", "deliver"])
        .env("TRIBUTARY_WEBHOOKS_SETTLE", "0s")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&pass.stdout).contains("(1 entries)"));
    let ids = receiver.accepted_entry_ids();
    assert_eq!(ids.len(), 3, "each entry once: {ids:?}");

    let out = env.run(&["webhook", "list", "--user", "nobody"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown user \"nobody\""));
    env.ok(&["webhook", "remove", "1"]);
    let out = env.run(&["webhook", "log", "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no webhook 1"));
    drop(receiver);
}

/// Kills the daemon if the test fails before it is stopped.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_daemon_delivers_on_its_own_and_retries_after_an_outage() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let receiver = rt.block_on(Receiver::start("not yet")).unwrap();
    let env = Env::new();
    let added = env.ok(&["webhook", "add", &receiver.url()]);
    let secret = added
        .lines()
        .find_map(|l| l.strip_prefix("secret: "))
        .unwrap()
        .to_owned();
    receiver.set_secret(&secret);
    // The receiver is down (503) for the first two attempts.
    receiver.fail_next(2, 503, Some(1));
    let feeds = start_feeds();
    let date = "Mon, 02 Nov 2026 10:00:00 GMT";
    feeds.set(
        "/blog.xml",
        &rss(
            "Blog",
            &[("d1", "One", "one", date), ("d2", "Two", "two", date)],
        ),
    );
    env.ok(&["add", "--no-fetch", &feeds.url("/blog.xml")]);

    let mut cmd = env.cmd(&["daemon", "--listen", "127.0.0.1:0"]);
    cmd.env("TRIBUTARY_WEBHOOKS_SETTLE", "0s")
        .env("TRIBUTARY_WEBHOOKS_INTERVAL", "200ms")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    let mut daemon = Daemon(cmd.spawn().unwrap());
    let mut line = String::new();
    std::io::BufReader::new(daemon.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://"), "{line}");

    let start = Instant::now();
    while receiver.accepted_entry_ids().len() < 2 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let got = receiver.received();
    assert_eq!(receiver.accepted_entry_ids().len(), 2, "{got:?}");
    assert_eq!(got.iter().filter(|r| r.status == 503).count(), 2);
    assert!(got.iter().all(|r| r.verified));
    assert!(
        got.iter().all(|r| r.delivery_id == got[0].delivery_id),
        "retries of one batch keep its delivery id"
    );
    // Retry-After: 1 was honoured: the attempts are about a second apart.
    let log: serde_json::Value =
        serde_json::from_str(&env.ok(&["webhook", "log", "1", "--json"])).unwrap();
    let attempts: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, [3, 2, 1]);

    let pid = daemon.0.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = daemon.0.try_wait().unwrap() {
            break status;
        }
        assert!(stopped.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    drop(receiver);
}
