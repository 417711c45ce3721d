//! The Python receiver of docs/WEBHOOKS.md, run as it is written there
//! (standard library only): deliveries to it verify and every entry is
//! printed once; a forged request gets 401. Keeps the documented example
//! honest.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use tributary_fetch::{FetchConfig, Fetcher};
use tributary_model::{FeedMeta, NewEntry};
use tributary_store::testing::scratch;
use tributary_store::{FetchSuccess, NewSubscription, NewWebhook};
use tributary_webhooks::{new_secret, Deliverer, WebhookConfig};

struct Python(Child);

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first ```python block of docs/WEBHOOKS.md.
fn documented_receiver() -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/WEBHOOKS.md"
    ))
    .expect("docs/WEBHOOKS.md");
    let start = doc.find("```python\n").expect("a python block") + "```python\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    doc[start..end].to_owned()
}

fn entry(guid: &str) -> NewEntry {
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.to_owned()),
        url: Some(format!("https://x.example/{guid}")),
        canonical_url: None,
        title: format!("Title {guid}"),
        author: None,
        content_html: None,
        summary_html: None,
        excerpt: guid.to_owned(),
        published: Utc::now(),
        published_from_feed: true,
        updated: None,
        enclosures: vec![],
        categories: vec![],
        content_hash: guid.to_owned(),
    }
}

#[tokio::test]
async fn the_documented_python_receiver_verifies_and_prints_each_entry_once() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("receiver.py");
    std::fs::write(&script, documented_receiver()).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let secret = new_secret().unwrap();
    let mut python = Python(
        Command::new("python3")
            .arg(&script)
            .env("TRIBUTARY_WEBHOOK_SECRET", &secret)
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs"),
    );
    let url = format!("http://127.0.0.1:{port}/hook");
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(10),
            "the receiver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let db = scratch().await.unwrap();
    let store = db.open().await.unwrap();
    let user = store.default_user().await.unwrap();
    store
        .subscribe(
            user,
            &[NewSubscription {
                url: "https://py.example/feed".into(),
                title: Some("Py feed".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let feed = store.subscriptions(user).await.unwrap()[0].feed.id;
    let hook = store
        .webhook_create(
            user,
            &NewWebhook {
                url: url.clone(),
                secret: secret.clone(),
                category: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let now = Utc::now();
    store
        .record_success(
            feed,
            FetchSuccess {
                fetched_at: now,
                next_fetch_at: now + chrono::Duration::hours(1),
                next_fetch_reason: "test".into(),
                schedule_hints: Default::default(),
                status_note: None,
                body_hash: None,
                moved_to: None,
                etag: None,
                last_modified: None,
                meta: FeedMeta::default(),
                entries: ["p1", "p2", "p3"].iter().map(|g| entry(g)).collect(),
            },
        )
        .await
        .unwrap();
    let fetcher = Fetcher::new(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let deliverer = Deliverer::new(
        store.clone(),
        fetcher,
        WebhookConfig {
            settle: Duration::ZERO,
            batch_size: 2,
            ..WebhookConfig::default()
        },
    );
    let report = deliverer.pass(Utc::now(), false).await;
    assert_eq!(
        (report.batches, report.entries, report.failures),
        (2, 3, 0),
        "{report:?}"
    );
    let ping = deliverer.ping(&hook).await.unwrap();
    assert_eq!(ping.status, Some(204), "{ping:?}");

    // A forged request: the signature of nothing in particular.
    let forged = reqwest::Client::new()
        .post(&url)
        .header("X-Tributary-Timestamp", Utc::now().timestamp().to_string())
        .header(
            "X-Tributary-Signature",
            format!("sha256={}", "0".repeat(64)),
        )
        .header("X-Tributary-Delivery", "forged")
        .body(r#"{"entries":[{"id":666,"feed":{"title":"x"},"title":"x"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    python.0.kill().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(python.0.stdout.take().unwrap()).lines() {
        lines.push(line.unwrap());
    }
    let river = store.river(user, &Default::default()).await.unwrap();
    let mut ids: Vec<i64> = river.iter().map(|i| i.entry.id.0).collect();
    ids.sort();
    let want: Vec<String> = ids
        .iter()
        .zip(["p1", "p2", "p3"])
        .map(|(id, g)| format!("{id} Py feed | Title {g}"))
        .collect();
    assert_eq!(lines, want);
}
