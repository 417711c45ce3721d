//! E-mail digests against a real SMTP server on loopback (aiosmtpd, see
//! `smtp_server.py`): STARTTLS with AUTH, implicit TLS, refused logins and
//! recipients, an untrusted certificate, and a server that is down — and
//! what arrives: a `multipart/alternative` message whose text and HTML
//! parts carry every new entry once, by category, with its "Continue
//! reading" link, and no hidden entry and nothing of a paused subscription.
//!
//! Needs python3 with aiosmtpd (scripts/test.sh installs it). Runs on the
//! engine of `TRIBUTARY_TEST_POSTGRES`, else SQLite.

mod support;

use std::time::Duration;

use chrono::Utc;
use support::*;
use tributary_mail::{DigestMailer, MailError, Outcome};
use tributary_model::UserId;
use tributary_store::{DigestFrequency, DigestSettings, MailDigest, MailResult, Store};

fn settings(address: &str) -> DigestSettings {
    DigestSettings {
        address: address.to_owned(),
        frequency: DigestFrequency::Daily,
        hour: 7,
        weekday: 0,
        timezone: None,
        categories: None,
        enabled: true,
    }
}

/// Alice with three subscriptions in two categories and one uncategorized,
/// a paused one, and a digest set up before any entry arrived.
struct World {
    store: Store,
    alice: UserId,
}

async fn world(address: &str) -> (World, tributary_store::testing::Scratch) {
    let (store, scratch) = store().await;
    let alice = store.ensure_user("alice").await.unwrap();
    store
        .save_mail_digest(alice, &settings(address), Utc::now())
        .await
        .unwrap();
    let net = follow(&store, alice, "https://net.example/feed", &["Networking"]).await;
    let vendors = follow(
        &store,
        alice,
        "https://vendor.example/feed",
        &["Networking", "Vendors"],
    )
    .await;
    let misc = follow(&store, alice, "https://misc.example/feed", &[]).await;
    let quiet = follow(
        &store,
        alice,
        "https://paused.example/feed",
        &["Networking"],
    )
    .await;
    pause(&store, alice, quiet).await;
    let t = Utc::now();
    fetch(
        &store,
        net,
        vec![
            entry("bgp", "BGP route leaks explained", t),
            entry(
                "evpn",
                "EVPN in five minutes",
                t - chrono::Duration::hours(1),
            ),
        ],
    )
    .await;
    fetch(&store, vendors, vec![entry("asic", "A new switch ASIC", t)]).await;
    fetch(
        &store,
        misc,
        vec![
            entry("coffee", "Coffee & <code>", t),
            entry("sponsored", "SPONSORED: buy this", t),
        ],
    )
    .await;
    fetch(
        &store,
        quiet,
        vec![entry("paused", "From a paused feed", t)],
    )
    .await;
    let hidden = entry_id(&store, alice, "sponsored").await;
    hide(&scratch, alice, hidden, misc).await;
    (World { store, alice }, scratch)
}

async fn digest_of(store: &Store, user: UserId) -> MailDigest {
    store.mail_digest(user).await.unwrap().expect("a digest")
}

fn mailer(store: &Store, section: &tributary_mail::MailSection) -> DigestMailer {
    DigestMailer::new(store.clone(), config(section))
        .expect("a mailer")
        .with_settle(Duration::ZERO)
}

const TITLES: [(&str, &str); 4] = [
    ("bgp", "BGP route leaks explained"),
    ("evpn", "EVPN in five minutes"),
    ("asic", "A new switch ASIC"),
    ("coffee", "Coffee & <code>"),
];

#[tokio::test]
async fn starttls_with_auth_delivers_the_digest_by_category_and_each_entry_once() {
    let cert = self_signed();
    let server = SmtpServer::start(Mode::StartTls, Some(&cert), true);
    let (w, _guard) = world("alice@example.org").await;
    let sender = mailer(
        &w.store,
        &section(server.port, "starttls", Some(&cert), true),
    );

    let digest = digest_of(&w.store, w.alice).await;
    let outcome = sender.run(&digest, Utc::now(), false).await.unwrap();
    let Outcome::Sent {
        entries,
        message_id,
        more,
    } = outcome
    else {
        panic!("not sent: {outcome:?}");
    };
    assert_eq!((entries, more), (4, false));

    let messages = server.wait_for(1);
    assert_eq!(messages.len(), 1);
    let envelope = server.envelope(0);
    assert_eq!(envelope["login"], USER, "authenticated after STARTTLS");
    assert_eq!(envelope["rcpt_tos"][0], "alice@example.org");
    assert_eq!(envelope["mail_from"], "digest@tributary.test");

    let m = Received::parse(&messages[0]);
    assert_eq!(m.content_type, "multipart/alternative");
    let kinds: Vec<&str> = m.parts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["text/plain", "text/html"]);
    let subject = m.header("Subject").unwrap();
    assert!(subject.starts_with("Test planet digest, "), "{subject}");
    assert!(subject.ends_with(": 4 new entries"), "{subject}");
    assert_eq!(m.header("Message-ID"), Some(message_id.as_str()));
    assert!(m.header("Date").is_some());
    assert!(m.header("From").unwrap().contains("digest@tributary.test"));
    assert_eq!(m.header("To"), Some("alice@example.org"));
    assert_eq!(
        m.header("List-Unsubscribe"),
        Some("<https://news.tributary.test/settings/digest>")
    );
    assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"));

    let text = m.part("text/plain");
    let html = m.part("text/html");
    // Category headings, in path order, uncategorized last.
    let order: Vec<usize> = [
        "Networking\n===",
        "Networking/Vendors\n===",
        "Uncategorized\n===",
    ]
    .iter()
    .map(|h| {
        text.find(h)
            .unwrap_or_else(|| panic!("no heading {h:?} in\n{text}"))
    })
    .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{text}");
    for h in ["Networking", "Networking/Vendors", "Uncategorized"] {
        assert!(
            html.contains(&format!(r#"<h2 class="category">{h}</h2>"#)),
            "{h} in\n{html}"
        );
    }
    for (guid, title) in TITLES {
        let url = format!("https://posts.example/{guid}");
        assert_eq!(
            text.matches(title).count(),
            2,
            "{title}: title + excerpt\n{text}"
        );
        assert_eq!(
            text.matches(&format!("Continue reading: {url}\n")).count(),
            1,
            "{text}"
        );
        assert_eq!(
            html.matches(&format!(r#"<a href="{url}">Continue reading</a>"#))
                .count(),
            1,
            "{html}"
        );
    }
    assert!(
        html.contains("Coffee &amp; &lt;code&gt;"),
        "escaped in HTML"
    );
    // EVPN (older) after BGP within Networking; the ASIC under Vendors.
    assert!(text.find("BGP route").unwrap() < text.find("EVPN in").unwrap());
    let vendors = text.find("Networking/Vendors").unwrap();
    assert!(text.find("A new switch ASIC").unwrap() > vendors);
    for absent in [
        "SPONSORED",
        "sponsored",
        "From a paused feed",
        "posts.example/paused",
    ] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
        assert!(!html.contains(absent), "{absent} in\n{html}");
    }
    assert!(text.contains("Change or stop it:\nhttps://news.tributary.test/settings/digest"));

    // Nothing new: nothing is sent, and the run is logged as empty.
    let digest = digest_of(&w.store, w.alice).await;
    assert!(matches!(
        sender.run(&digest, Utc::now(), false).await.unwrap(),
        Outcome::Empty
    ));
    // One more entry: the second digest carries it alone.
    let net = w
        .store
        .subscriptions(w.alice)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.feed.url == "https://net.example/feed")
        .unwrap()
        .feed
        .id;
    fetch(&w.store, net, vec![entry("ospf", "OSPF areas", Utc::now())]).await;
    let digest = digest_of(&w.store, w.alice).await;
    let outcome = sender.run(&digest, Utc::now(), false).await.unwrap();
    assert!(
        matches!(outcome, Outcome::Sent { entries: 1, .. }),
        "{outcome:?}"
    );
    let messages = server.wait_for(2);
    assert_eq!(messages.len(), 2);
    let second = Received::parse(&messages[1]);
    let text2 = second.part("text/plain");
    assert!(text2.contains("Continue reading: https://posts.example/ospf"));
    for (guid, title) in TITLES {
        assert!(!text2.contains(title), "{guid} mailed twice:\n{text2}");
    }
    assert!(second.header("Subject").unwrap().ends_with(": 1 new entry"));

    let log = w.store.mail_log(w.alice, 10).await.unwrap();
    let results: Vec<MailResult> = log.iter().map(|l| l.result).collect();
    assert_eq!(
        results,
        [MailResult::Sent, MailResult::Empty, MailResult::Sent]
    );
    assert_eq!((log[0].entries, log[2].entries), (1, 4));
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let cert = self_signed();
    let server = SmtpServer::start(Mode::Tls, Some(&cert), true);
    let (w, _guard) = world("alice@example.org").await;
    let sender = mailer(&w.store, &section(server.port, "tls", Some(&cert), true));
    let digest = digest_of(&w.store, w.alice).await;
    let outcome = sender.run(&digest, Utc::now(), false).await.unwrap();
    assert!(
        matches!(outcome, Outcome::Sent { entries: 4, .. }),
        "{outcome:?}"
    );
    let messages = server.wait_for(1);
    assert_eq!(server.envelope(0)["login"], USER);
    let m = Received::parse(&messages[0]);
    assert_eq!(m.content_type, "multipart/alternative");
    assert!(m
        .part("text/html")
        .contains(r#"<a href="https://posts.example/bgp">Continue reading</a>"#));
}

/// The cursor and failure count of the digest.
async fn state(store: &Store, user: UserId) -> (tributary_store::DigestCursor, u32) {
    let d = digest_of(store, user).await;
    (d.cursor, d.failures)
}

#[tokio::test]
async fn a_refused_login_is_said_and_the_entries_wait_for_the_next_run() {
    let cert = self_signed();
    let server = SmtpServer::start(Mode::StartTls, Some(&cert), true);
    let (w, _guard) = world("alice@example.org").await;
    let (cursor_before, _) = state(&w.store, w.alice).await;
    let mut wrong = section(server.port, "starttls", Some(&cert), true);
    wrong.password = Some("wrong".to_owned());
    let digest = digest_of(&w.store, w.alice).await;
    let now = Utc::now();
    let outcome = mailer(&w.store, &wrong)
        .run(&digest, now, false)
        .await
        .unwrap();
    let Outcome::Failed { error, retry_at } = outcome else {
        panic!("sent with a wrong password: {outcome:?}");
    };
    assert!(matches!(error, MailError::Auth { .. }), "{error:?}");
    let said = error.to_string();
    assert!(
        said.contains("refused the login as \"digest-bot\"") && said.contains("535"),
        "{said}"
    );
    assert_eq!(retry_at, now + chrono::Duration::minutes(5));
    let (cursor, failures) = state(&w.store, w.alice).await;
    assert_eq!((cursor, failures), (cursor_before, 1));
    assert!(server.messages().is_empty());
    let log = w.store.mail_log(w.alice, 1).await.unwrap();
    assert_eq!(log[0].result, MailResult::Failed);
    assert!(log[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("refused the login"));

    // With the right password, the same four entries go out.
    let digest = digest_of(&w.store, w.alice).await;
    assert!(!tributary_mail::schedule::is_due(
        &digest,
        chrono_tz::Tz::UTC,
        now
    ));
    let right = mailer(
        &w.store,
        &section(server.port, "starttls", Some(&cert), true),
    );
    let outcome = right.run(&digest, Utc::now(), false).await.unwrap();
    assert!(
        matches!(outcome, Outcome::Sent { entries: 4, .. }),
        "{outcome:?}"
    );
    assert_eq!(state(&w.store, w.alice).await.1, 0, "failures cleared");
}

#[tokio::test]
async fn a_server_that_is_down_is_said_and_nothing_is_lost() {
    let (w, _guard) = world("alice@example.org").await;
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (cursor_before, _) = state(&w.store, w.alice).await;
    let down = mailer(&w.store, &section(port, "none", None, false));
    let digest = digest_of(&w.store, w.alice).await;
    let outcome = down.run(&digest, Utc::now(), false).await.unwrap();
    let Outcome::Failed { error, .. } = outcome else {
        panic!("sent to nobody: {outcome:?}");
    };
    assert!(matches!(error, MailError::Connect { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "cannot connect to the SMTP server 127.0.0.1:{port}: connection refused"
        )),
        "{error}"
    );
    // A second failure doubles the wait.
    let digest = digest_of(&w.store, w.alice).await;
    let now = Utc::now();
    let Outcome::Failed { retry_at, .. } = down.run(&digest, now, false).await.unwrap() else {
        panic!("second try sent");
    };
    assert_eq!(retry_at, now + chrono::Duration::minutes(10));
    let (cursor, failures) = state(&w.store, w.alice).await;
    assert_eq!((cursor, failures), (cursor_before, 2));

    // The server is back: every entry arrives, once.
    let server = SmtpServer::start(Mode::Plain, None, false);
    let up = mailer(&w.store, &section(server.port, "none", None, false));
    let digest = digest_of(&w.store, w.alice).await;
    let outcome = up.run(&digest, Utc::now(), false).await.unwrap();
    assert!(
        matches!(outcome, Outcome::Sent { entries: 4, .. }),
        "{outcome:?}"
    );
    let m = Received::parse(&server.wait_for(1)[0]);
    for (guid, _) in TITLES {
        assert!(m
            .part("text/plain")
            .contains(&format!("Continue reading: https://posts.example/{guid}\n")));
    }
    assert!(state(&w.store, w.alice).await.0 > cursor_before);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let cert = self_signed();
    let server = SmtpServer::start(Mode::StartTls, Some(&cert), false);
    let (w, _guard) = world("alice@example.org").await;
    let sender = mailer(&w.store, &section(server.port, "starttls", None, false));
    let digest = digest_of(&w.store, w.alice).await;
    let Outcome::Failed { error, .. } = sender.run(&digest, Utc::now(), false).await.unwrap()
    else {
        panic!("trusted a self-signed certificate without mail.ca_file");
    };
    assert!(matches!(error, MailError::Tls { .. }), "{error:?}");
    let said = error.to_string();
    assert!(said.contains("set mail.ca_file"), "{said}");
    assert!(said.to_ascii_lowercase().contains("certificate"), "{said}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_refused_recipient_is_said() {
    let server = SmtpServer::start(Mode::Plain, None, false);
    let (w, _guard) = world("refused@example.org").await;
    let sender = mailer(&w.store, &section(server.port, "none", None, false));
    let digest = digest_of(&w.store, w.alice).await;
    let Outcome::Failed { error, .. } = sender.run(&digest, Utc::now(), false).await.unwrap()
    else {
        panic!("a refused recipient was sent to");
    };
    assert!(matches!(error, MailError::Recipient { .. }), "{error:?}");
    let said = error.to_string();
    assert!(
        said.contains("refused the recipient refused@example.org") && said.contains("550"),
        "{said}"
    );
}

#[tokio::test]
async fn a_dry_run_sends_and_records_nothing() {
    let server = SmtpServer::start(Mode::Plain, None, false);
    let (w, _guard) = world("alice@example.org").await;
    let before = digest_of(&w.store, w.alice).await;
    let sender = mailer(&w.store, &section(server.port, "none", None, false));
    let outcome = sender.run(&before, Utc::now(), true).await.unwrap();
    let Outcome::DryRun { entries, message } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(entries, 4);
    assert!(
        message.contains("Content-Type: multipart/alternative"),
        "{message}"
    );
    assert!(message.contains("Subject: Test planet digest"), "{message}");
    assert!(server.messages().is_empty());
    assert_eq!(digest_of(&w.store, w.alice).await, before);
    assert!(w.store.mail_log(w.alice, 10).await.unwrap().is_empty());
}
