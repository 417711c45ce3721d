//! `tributary digest --mail` (cron) and the digest scheduler of `daemon`,
//! end to end: feeds served on loopback, fetched by the binary, mailed to a
//! real SMTP server (aiosmtpd, started from crates/mail/tests/smtp_server.py;
//! scripts/test.sh installs it). The plain `digest` command keeps working.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{rss, start_feeds, Env};
use tributary_store::{DigestFrequency, DigestSettings, Store};

/// A plain SMTP server on 127.0.0.1 writing what it receives to a directory.
struct Smtp {
    child: Child,
    port: u16,
    inbox: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Smtp {
        Smtp::start_with(&[])
    }

    /// With `extra` arguments of smtp_server.py (`--user U --password P`).
    fn start_with(extra: &[&str]) -> Smtp {
        let inbox = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mail/tests/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--dir")
            .arg(inbox.path())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no SMTP server ({line:?}): it needs aiosmtpd, which scripts/test.sh installs"
                )
            });
        Smtp { child, port, inbox }
    }

    fn messages(&self) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.inbox.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The parts of a received message, decoded, CRLF turned into LF.
fn parts(raw: &str) -> (String, String, String) {
    let mail = mailparse::parse_mail(raw.as_bytes()).unwrap();
    let get = |mime: &str| {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == mime)
            .unwrap_or_else(|| panic!("no {mime} part in\n{raw}"))
            .get_body()
            .unwrap()
            .replace("\r\n", "\n")
    };
    (
        mail.ctype.mimetype.clone(),
        get("text/plain"),
        get("text/html"),
    )
}

fn write_config(env: &Env, port: u16, extra: &str) -> String {
    let path = env.path("config.toml");
    std::fs::write(
        &path,
        format!(
            "[web]\nsite_title = \"Cron planet\"\npublic_url = \"https://news.example.org/\"\n\
             [mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             from = \"Tributary <digest@example.org>\"\ntimeout = \"5s\"\n{extra}"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// The CLI's own user gets a daily digest at `hour`, set up `days_ago`.
async fn set_up_digest(env: &Env, days_ago: i64) {
    let store = Store::open(&env.db_url()).await.unwrap();
    let me = store.default_user().await.unwrap();
    store
        .save_mail_digest(
            me,
            &DigestSettings {
                address: "me@example.org".into(),
                frequency: DigestFrequency::Daily,
                hour: 6,
                weekday: 0,
                timezone: None,
                categories: None,
                enabled: true,
            },
            Utc::now() - chrono::Duration::days(days_ago),
        )
        .await
        .unwrap();
    store.close().await;
}

const DATE: &str = "Tue, 01 Dec 2026 10:00:00 GMT";

#[tokio::test(flavor = "multi_thread")]
async fn digest_mail_sends_due_digests_once_and_says_what_failed() {
    let env = Env::new();
    let feeds = start_feeds();
    feeds.set(
        "/net.xml",
        &rss(
            "Net blog",
            &[("n1", "Leaf and spine", "Fabric talk.", DATE)],
        ),
    );
    feeds.set(
        "/misc.xml",
        &rss("Misc", &[("m1", "Sourdough", "Bread.", DATE)]),
    );
    // The digest exists before the entries: they are all new to it.
    set_up_digest(&env, 2).await;
    env.ok(&[
        "add",
        &feeds.url("/net.xml"),
        "--category",
        "Networking",
        "--no-fetch",
    ]);
    env.ok(&["add", &feeds.url("/misc.xml"), "--no-fetch"]);
    env.ok(&["fetch"]);

    // The plain digest is unchanged by all this.
    let text = env.ok(&["digest"]);
    assert!(
        text.contains("Continue reading: https://blog.example/n1"),
        "{text}"
    );

    let smtp = Smtp::start();
    let config = write_config(&env, smtp.port, "");

    // --dry-run prints the message and sends nothing.
    let dry = env.ok(&["--config", &config, "digest", "--mail", "--dry-run"]);
    assert!(
        dry.contains("default <me@example.org>: would send 2 entries"),
        "{dry}"
    );
    assert!(dry.contains("Subject: Cron planet digest,"), "{dry}");
    assert!(dry.contains("multipart/alternative"), "{dry}");
    assert!(smtp.messages().is_empty());

    // Due (a 06:00 slot passed since it was set up): sent.
    let out = env.ok(&["--config", &config, "digest", "--mail"]);
    assert!(
        out.contains("default <me@example.org>: sent 2 entries <tributary.digest."),
        "{out}"
    );
    let got = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    let (kind, plain, html) = parts(&got[0]);
    assert_eq!(kind, "multipart/alternative");
    assert!(
        plain.contains("Networking\n==========\n\nLeaf and spine\n"),
        "{plain}"
    );
    assert!(
        plain.contains("Uncategorized\n=============\n\nSourdough\n"),
        "{plain}"
    );
    for guid in ["n1", "m1"] {
        assert!(plain.contains(&format!("Continue reading: https://blog.example/{guid}\n")));
        assert!(html.contains(&format!(
            r#"<a href="https://blog.example/{guid}">Continue reading</a>"#
        )));
    }
    assert!(got[0].contains("List-Unsubscribe: <https://news.example.org/settings/digest>"));

    // Not due again today; --force sends, but there is nothing new.
    let out = env.ok(&["--config", &config, "digest", "--mail"]);
    assert!(
        out.contains("default <me@example.org>: not due (next at "),
        "{out}"
    );
    let out = env.ok(&[
        "--config", &config, "digest", "--mail", "--force", "--user", "default",
    ]);
    assert!(out.contains("nothing new, nothing sent"), "{out}");
    assert_eq!(smtp.messages().len(), 1);

    // A new entry while the server is down: exit status 1, the reason, and
    // the entry is in the next digest that gets through.
    feeds.set(
        "/net.xml",
        &rss(
            "Net blog",
            &[
                ("n2", "EVPN notes", "More fabric.", DATE),
                ("n1", "Leaf and spine", "Fabric talk.", DATE),
            ],
        ),
    );
    env.ok(&["fetch", "--all"]);
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = write_config(&env, dead, "");
    let failed = env.run(&["--config", &down, "digest", "--mail", "--force"]);
    assert_eq!(failed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&failed.stdout);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stdout.contains("FAILED: cannot connect to the SMTP server"),
        "{stdout}"
    );
    assert!(stderr.contains("1 e-mail digest was not sent"), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");

    let config = write_config(&env, smtp.port, "");
    let out = env.ok(&["--config", &config, "digest", "--mail", "--force"]);
    assert!(out.contains("sent 1 entry"), "{out}");
    let got = smtp.wait_for(2, Duration::from_secs(10));
    let (_, plain, _) = parts(&got[1]);
    assert!(plain.contains("EVPN notes"), "{plain}");
    assert!(!plain.contains("Leaf and spine"), "mailed twice:\n{plain}");

    // Without [mail]: a clear error.
    let none = env.run(&["digest", "--mail"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("e-mail is not set up"));
    // --force without --mail is refused by the parser.
    assert_eq!(env.run(&["digest", "--force"]).status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_sends_due_digests_by_itself() {
    let env = Env::new();
    let feeds = start_feeds();
    feeds.set(
        "/net.xml",
        &rss(
            "Net blog",
            &[("n1", "Leaf and spine", "Fabric talk.", DATE)],
        ),
    );
    set_up_digest(&env, 2).await;
    env.ok(&["add", &feeds.url("/net.xml"), "--category", "Networking"]);
    let smtp = Smtp::start();
    let config = write_config(&env, smtp.port, "check_every = \"1s\"\n");
    let mut daemon = env
        .cmd(&["--config", &config, "daemon", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let got = smtp.wait_for(1, Duration::from_secs(20));
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(got.len(), 1, "the daemon sent no digest");
    let (_, plain, _) = parts(&got[0]);
    assert!(
        plain.contains("Continue reading: https://blog.example/n1"),
        "{plain}"
    );
    // It ran once: the next slot is tomorrow.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_comes_from_the_environment_and_bad_settings_name_their_key() {
    let env = Env::new();
    set_up_digest(&env, 2).await;
    let smtp = Smtp::start_with(&["--user", "cron", "--password", "from the env"]);
    // No password in the file: TRIBUTARY_MAIL_PASSWORD gives it.
    let config = write_config(&env, smtp.port, "username = \"cron\"\nsend_empty = true\n");
    let missing = env.run(&["--config", &config, "digest", "--mail"]);
    assert_eq!(
        missing.status.code(),
        Some(2),
        "a settings error, like any other"
    );
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("mail.password: a username is set but no password"),
        "{said}"
    );
    let out = env
        .cmd(&["--config", &config, "digest", "--mail"])
        .env("TRIBUTARY_MAIL_PASSWORD", "from the env")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sent 0 entries"),
        "send_empty sends \"nothing new\": {stdout}"
    );
    let got = smtp.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    assert!(got[0].contains(": nothing new"), "{}", got[0]);
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(smtp.inbox.path().join("001.json")).unwrap())
            .unwrap();
    assert_eq!(envelope["login"], "cron");

    // `config check` names a wrong key.
    let bad = write_config(&env, smtp.port, "timezone = \"Mars/Base\"\n");
    let check = env.run(&["config", "check", &bad]);
    assert_eq!(check.status.code(), Some(2));
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(
        said.contains("mail.timezone: \"Mars/Base\" is not a time zone"),
        "{said}"
    );
}
