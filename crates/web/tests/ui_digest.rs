//! `/settings/digest` over real HTTP: the form (CSRF, checks next to the
//! fields, categories), saving, "Send now" to a real SMTP server on
//! loopback (aiosmtpd, from crates/mail/tests/smtp_server.py, which
//! scripts/test.sh installs), the send log, and a server without `[mail]`.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use chrono::Utc;
use common::{assert_security_headers, input_value, meta_content, seed};
use reqwest::StatusCode;
use tributary_mail::{DigestMailer, MailConfig, MailSection};
use tributary_store::{DigestFrequency, Store};
use tributary_web::ui::digest::DigestMail;
use tributary_web::{router, AppState, WebConfig};

struct Smtp {
    child: Child,
    port: u16,
    inbox: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Smtp {
        let inbox = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mail/tests/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--dir")
            .arg(inbox.path())
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
        let mut paths: Vec<_> = std::fs::read_dir(self.inbox.path())
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
}

impl Drop for Smtp {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A web server whose digests go to `smtp`.
struct Site {
    addr: SocketAddr,
    store: Store,
    _db: tributary_store::testing::Scratch,
}

impl Site {
    async fn start(smtp_port: u16) -> Site {
        let db = tributary_store::testing::scratch().await.unwrap();
        let store = db.open().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let public = url::Url::parse(&format!("http://{addr}/")).unwrap();
        let config = WebConfig {
            site_title: "Web planet".into(),
            public_url: Some(public.clone()),
            ..WebConfig::default()
        };
        let section = MailSection {
            host: Some("127.0.0.1".into()),
            port: Some(smtp_port),
            security: Some("none".into()),
            from: Some("Tributary <digest@example.org>".into()),
            timeout: Some("5s".into()),
            ..Default::default()
        };
        let mail = MailConfig::resolve(&section, "Web planet", Some(&public))
            .unwrap()
            .unwrap();
        let mailer = DigestMailer::new(store.clone(), mail)
            .unwrap()
            .with_settle(Duration::ZERO);
        let state = AppState::new(store.clone(), None, config).unwrap();
        let app = router(state).layer(Extension(DigestMail(Some(Arc::new(mailer)))));
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Site {
            addr,
            store,
            _db: db,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn login(&self, name: &str) -> (reqwest::Client, String) {
        let hash = tributary_web::auth::hash_password("password1").unwrap();
        self.store.create_user(name, &hash, false).await.unwrap();
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client.get(self.url("/login")).send().await.unwrap();
        let page = page.text().await.unwrap();
        let csrf = input_value(&page, "csrf").unwrap();
        let r = client
            .post(self.url("/login"))
            .form(&[
                ("username", name),
                ("password", "password1"),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection());
        let page = client
            .get(self.url("/settings/digest"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = meta_content(&page, "csrf-token").unwrap();
        (client, csrf)
    }
}

async fn post(
    site: &Site,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(site.url(path)).form(form).send().await.unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_digest_form_saves_checks_and_sends_now() {
    let smtp = Smtp::start();
    let site = Site::start(smtp.port).await;

    // Signed out: to the login page.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous
        .get(site.url("/settings/digest"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(location(&r).starts_with("/login"), "{}", location(&r));

    let (ann, csrf) = site.login("ann").await;
    let me = site.store.user_by_name("ann").await.unwrap().unwrap().id;
    site.store.create_category(me, "Networking").await.unwrap();
    site.store.create_category(me, "Cooking").await.unwrap();
    let r = ann.get(site.url("/settings/digest")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_security_headers("/settings/digest", &r);
    let page = r.text().await.unwrap();
    assert!(page.contains(
        r#"<form method="post" action="/settings/digest" class="stack" id="digest-settings">"#
    ));
    assert!(page.contains(&format!(r#"name="csrf" value="{csrf}""#)));
    assert!(page.contains(r#"value="Networking""#) && page.contains(r#"value="Cooking""#));
    assert!(!page.contains("id=\"no-mail\""), "mail is set up here");
    assert!(!page.contains("digest-send"), "no Send now before saving");
    assert!(!page.contains("<script>") && !page.contains("style="));

    // Without the CSRF token: refused, nothing saved.
    let r = post(
        &site,
        &ann,
        "/settings/digest",
        &[("address", "ann@example.org")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(site.store.mail_digest(me).await.unwrap().is_none());

    // Wrong values: 400 with the messages next to the fields.
    let r = post(
        &site,
        &ann,
        "/settings/digest",
        &[
            ("csrf", &csrf),
            ("address", "not an address"),
            ("frequency", "hourly"),
            ("hour", "24"),
            ("weekday", "2"),
            ("timezone", "Mars/Base"),
            ("categories", "chosen"),
            ("category", "Gardening"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    for (field, words) in [
        ("address", "That is not an e-mail address"),
        ("frequency", "Choose daily or weekly."),
        ("hour", "Choose an hour from 0 to 23."),
        ("timezone", "is not a time zone"),
        ("categories", "is not one of your categories"),
    ] {
        assert!(page.contains(&format!(r#"id="e-{field}""#)), "{field}");
        assert!(common::unescape(&page).contains(words), "{words}");
    }
    assert!(
        page.contains(r#"value="not an address""#),
        "typed values kept"
    );
    assert!(site.store.mail_digest(me).await.unwrap().is_none());

    // Right values: saved.
    let r = post(
        &site,
        &ann,
        "/settings/digest",
        &[
            ("csrf", &csrf),
            ("address", " ann@example.org "),
            ("frequency", "weekly"),
            ("hour", "18"),
            ("weekday", "4"),
            ("timezone", "Europe/Berlin"),
            ("categories", "chosen"),
            ("category", "Networking"),
            ("category", ""),
            ("enabled", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/settings/digest?done=saved");
    let d = site.store.mail_digest(me).await.unwrap().unwrap();
    assert_eq!(d.settings.address, "ann@example.org");
    assert_eq!(d.settings.frequency, DigestFrequency::Weekly);
    assert_eq!((d.settings.hour, d.settings.weekday), (18, 4));
    assert_eq!(d.settings.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(
        d.settings.categories,
        Some(vec!["Networking".to_owned(), String::new()])
    );
    assert!(d.settings.enabled);
    let page = ann
        .get(site.url("/settings/digest?done=saved"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Digest settings saved."));
    assert!(page.contains(r#"id="f-weekly" name="frequency" value="weekly" checked"#));
    assert!(page.contains(r#"<option value="18" selected>18:00</option>"#));
    assert!(page.contains(r#"value="Networking" checked"#));
    assert!(!page.contains(r#"value="Cooking" checked"#));
    assert!(page.contains("No digest sent yet.") && page.contains("Next: "));
    assert!(page.contains(r#"action="/settings/digest/send""#));

    // New entries in Networking and Cooking; Send now mails Networking's.
    seed(
        &site.store,
        me,
        "https://net.example/feed",
        Some("Networking"),
        3,
        Utc::now(),
    )
    .await;
    seed(
        &site.store,
        me,
        "https://cook.example/feed",
        Some("Cooking"),
        2,
        Utc::now(),
    )
    .await;
    let r = post(&site, &ann, "/settings/digest/send", &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "Send now needs the token too"
    );
    assert!(smtp.messages().is_empty());
    let r = post(&site, &ann, "/settings/digest/send", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/settings/digest?done=sent&n=3#log");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: ann@example.org"));
    assert!(mails[0].contains(&format!(
        "List-Unsubscribe: <http://{}/settings/digest>",
        site.addr
    )));
    let mail = mailparse::parse_mail(mails[0].as_bytes()).unwrap();
    let plain = mail.subparts[0].get_body().unwrap();
    assert!(
        plain.contains("Continue reading: https://net.example/feed/entry/2"),
        "{plain}"
    );
    assert!(
        !plain.contains("cook.example"),
        "Cooking was not chosen:\n{plain}"
    );

    let page = ann
        .get(site.url("/settings/digest?done=sent&n=3"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Digest sent with 3 entries."));
    assert!(page.contains(r#"<tr class="log-sent">"#), "{page}");
    assert!(page.contains("Last digest: "));

    // Sending again: nothing new.
    let r = post(&site, &ann, "/settings/digest/send", &[("csrf", &csrf)]).await;
    assert_eq!(location(&r), "/settings/digest?done=empty#log");
    assert_eq!(smtp.messages().len(), 1);

    // Another user sees an empty form, not ann's.
    let (bob, _) = site.login("bob").await;
    let page = bob
        .get(site.url("/settings/digest"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("ann@example.org"));
    assert!(!page.contains("log-sent"));
}

#[tokio::test]
async fn without_mail_the_page_says_so_and_send_now_sends_nothing() {
    let server = common::Server::start().await;
    server.user("cid", "password1", false).await;
    let client = server.login("cid", "password1").await;
    let csrf = server.csrf(&client).await;
    let page = client
        .get(server.url("/settings/digest"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="no-mail""#), "{page}");
    let r = client
        .post(server.url("/settings/digest"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("address", "cid@example.org"),
            ("frequency", "daily"),
            ("hour", "7"),
            ("weekday", "0"),
            ("categories", "all"),
            ("enabled", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client
        .post(server.url("/settings/digest/send"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/settings/digest?done=no-mail");
    // The account page links to the digest settings.
    let account = client
        .get(server.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains(r#"<a href="/settings/digest">"#));
}
