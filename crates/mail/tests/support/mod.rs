//! Shared by the e-mail tests: a real SMTP server (aiosmtpd, started with
//! python3 from `smtp_server.py`, on 127.0.0.1 and a free port), a
//! self-signed certificate for it, a store with subscriptions and entries,
//! and the messages the server received, parsed with `mailparse`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tributary_mail::{MailConfig, MailSection};
use tributary_model::{EntryId, FeedId, FeedMeta, NewEntry, UserId};
use tributary_store::testing::{scratch, Scratch};
use tributary_store::{FetchSuccess, NewSubscription, Store};

/// How the test server protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain SMTP.
    Plain,
    /// STARTTLS required.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

/// A self-signed certificate for 127.0.0.1 and localhost, as PEM files.
pub struct Cert {
    pub dir: tempfile::TempDir,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn self_signed() -> Cert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("generate a certificate");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    Cert { dir, cert, key }
}

/// The SMTP server, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub inbox: tempfile::TempDir,
}

pub const USER: &str = "digest-bot";
pub const PASSWORD: &str = "correct horse";

impl SmtpServer {
    /// Start the server; `auth`: require the login [`USER`]/[`PASSWORD`].
    pub fn start(mode: Mode, cert: Option<&Cert>, auth: bool) -> SmtpServer {
        let inbox = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg("--dir").arg(inbox.path());
        match mode {
            Mode::Plain => {}
            Mode::StartTls | Mode::Tls => {
                let cert = cert.expect("a certificate for TLS");
                cmd.arg(if mode == Mode::Tls {
                    "--tls"
                } else {
                    "--starttls"
                })
                .arg(&cert.cert)
                .arg(&cert.key);
            }
        }
        if auth {
            cmd.args(["--user", USER, "--password", PASSWORD]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3 (scripts/test.sh installs it)");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "the test SMTP server did not start (said {line:?}); it needs Python's \
                     aiosmtpd: run scripts/test.sh, which installs it"
                )
            });
        SmtpServer { child, port, inbox }
    }

    /// The messages received so far, in order (raw bytes).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<_> = std::fs::read_dir(self.inbox.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    /// The envelope of message `n` (0-based) as the server saw it.
    pub fn envelope(&self, n: usize) -> serde_json::Value {
        let path = self.inbox.path().join(format!("{:03}.json", n + 1));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// Wait until `n` messages arrived (the server writes them as it accepts them).
    pub fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `[mail]` section for the test server.
pub fn section(port: u16, security: &str, cert: Option<&Cert>, auth: bool) -> MailSection {
    MailSection {
        host: Some("127.0.0.1".to_owned()),
        port: Some(port),
        security: Some(security.to_owned()),
        username: auth.then(|| USER.to_owned()),
        password: auth.then(|| PASSWORD.to_owned()),
        from: Some("Tributary <digest@tributary.test>".to_owned()),
        ca_file: cert.map(|c| c.cert.clone()),
        timeout: Some("10s".to_owned()),
        ..Default::default()
    }
}

pub fn config(section: &MailSection) -> MailConfig {
    let url = url::Url::parse("https://news.tributary.test/").unwrap();
    MailConfig::resolve(section, "Test planet", Some(&url))
        .expect("valid [mail]")
        .expect("mail on")
}

/// A store on the engine under test.
pub async fn store() -> (Store, Scratch) {
    let scratch = scratch().await.expect("scratch database");
    (scratch.open().await.expect("open store"), scratch)
}

/// Subscribe `user` to `url` in `category` (empty: uncategorized).
pub async fn follow(store: &Store, user: UserId, url: &str, category: &[&str]) -> FeedId {
    store
        .subscribe(
            user,
            &[NewSubscription {
                url: url.to_owned(),
                category: category.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            }],
        )
        .await
        .expect("subscribe");
    store
        .subscriptions(user)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.feed.url == url)
        .unwrap()
        .feed
        .id
}

/// An entry whose URL is `https://posts.example/<guid>`.
pub fn entry(guid: &str, title: &str, published: DateTime<Utc>) -> NewEntry {
    NewEntry {
        key: format!("guid:{guid}"),
        guid: Some(guid.to_owned()),
        url: Some(format!("https://posts.example/{guid}")),
        canonical_url: Some(format!("https://posts.example/{guid}")),
        title: title.to_owned(),
        author: None,
        content_html: Some(format!("<p>Body of {title}.</p>")),
        summary_html: None,
        excerpt: format!("The excerpt of {title}."),
        published,
        published_from_feed: true,
        updated: None,
        enclosures: vec![],
        categories: vec![],
        content_hash: format!("hash {guid} {title}"),
    }
}

/// Store `entries` as a fetch of `feed`.
pub async fn fetch(store: &Store, feed: FeedId, entries: Vec<NewEntry>) {
    let now = Utc::now();
    store
        .record_success(
            feed,
            FetchSuccess {
                fetched_at: now,
                next_fetch_at: now + chrono::Duration::hours(1),
                next_fetch_reason: "test".to_owned(),
                schedule_hints: Default::default(),
                status_note: None,
                body_hash: None,
                moved_to: None,
                etag: None,
                last_modified: None,
                meta: FeedMeta::default(),
                entries,
            },
        )
        .await
        .expect("record success");
}

/// The id of the entry whose guid is `guid`.
pub async fn entry_id(store: &Store, user: UserId, guid: &str) -> EntryId {
    store
        .river(user, &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.entry.guid.as_deref() == Some(guid))
        .unwrap()
        .entry
        .id
}

/// Hide an entry for `user`, as a rule would (`entry_states.hidden`; the
/// rules that set it are another part of issue 9).
pub async fn hide(scratch: &Scratch, user: UserId, entry: EntryId, feed: FeedId) {
    let now = tributary_store_time(Utc::now());
    if scratch.engine() == "postgres" {
        let pool = sqlx::PgPool::connect(scratch.url()).await.unwrap();
        sqlx::query(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, read_at, \
                    feed_id, hidden) VALUES ($1, $2, TRUE, FALSE, $3, $3, $4, TRUE)",
        )
        .bind(user.0)
        .bind(entry.0)
        .bind(&now)
        .bind(feed.0)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(scratch.url()).await.unwrap();
        sqlx::query(
            "INSERT INTO entry_states (user_id, entry_id, read, starred, updated_at, read_at, \
                    feed_id, hidden) VALUES (?1, ?2, 1, 0, ?3, ?3, ?4, 1)",
        )
        .bind(user.0)
        .bind(entry.0)
        .bind(&now)
        .bind(feed.0)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

fn tributary_store_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A received message, parsed: its headers and its two alternative parts.
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub parts: Vec<(String, String)>,
}

impl Received {
    pub fn parse(raw: &[u8]) -> Received {
        let mail = mailparse::parse_mail(raw).expect("a MIME message");
        let headers = mail
            .headers
            .iter()
            .map(|h| (h.get_key(), h.get_value()))
            .collect();
        let parts = mail
            .subparts
            .iter()
            .map(|p| {
                let body = p.get_body().expect("a decodable part");
                (p.ctype.mimetype.clone(), body.replace("\r\n", "\n"))
            })
            .collect();
        Received {
            headers,
            content_type: mail.ctype.mimetype.clone(),
            parts,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn part(&self, mime: &str) -> &str {
        &self
            .parts
            .iter()
            .find(|(m, _)| m == mime)
            .unwrap_or_else(|| panic!("no {mime} part"))
            .1
    }
}

/// Pause `user`'s subscription to `feed`.
pub async fn pause(store: &Store, user: UserId, feed: FeedId) {
    let view = store
        .subscription_view(user, feed)
        .await
        .unwrap()
        .expect("a subscription");
    let mut settings = view.settings;
    settings.paused = true;
    store
        .update_subscription(user, feed, &settings)
        .await
        .unwrap();
}
