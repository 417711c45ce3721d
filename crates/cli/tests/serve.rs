//! `tributary serve`, the real binary over loopback: it prints where it
//! listens and the admin's one-time password, that password signs in over
//! HTTP, /healthz and /metrics answer, the background scheduler fetches a
//! loopback feed into the outputs, SIGTERM ends it with status 0, and a
//! broken template override stops it before it listens.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use common::{rss, start_feeds, Env};
use tributary_store::Store;

/// A running `serve`; killed if the test fails before it is stopped.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(mut cmd: Command) -> Serve {
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("serve prints a first line");
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {first}"))
            .to_owned();
        Serve { child, lines, addr }
    }

    fn line(&self) -> Option<String> {
        self.lines.recv_timeout(Duration::from_secs(30)).ok()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, then the exit status (within 15 s).
    fn stop(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve still running 15 s after SIGTERM");
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `value` of `<input name="NAME" … value="…">` in `html`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].replace("&amp;", "&"))
}

/// Sign in through the login form; the status of the form's answer.
async fn login(serve: &Serve, client: &reqwest::Client, user: &str, password: &str) -> u16 {
    let page = client
        .get(serve.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input_value(&page, "csrf").expect("the login form has a csrf field");
    let response = client
        .post(serve.url("/login"))
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[test]
fn first_start_prints_the_admin_password_which_signs_in() {
    let env = Env::new();
    let serve = Serve::start(env.cmd(&[]));
    let line = serve.line().expect("a second line");
    let password = line
        .strip_prefix("admin password: ")
        .unwrap_or_else(|| panic!("second line: {line}"))
        .to_owned();
    assert_eq!(password.chars().count(), 20, "{password}");
    block_on(async {
        let c = client();
        assert!((300..400).contains(&login(&serve, &c, "admin", &password).await));
        let account = c.get(serve.url("/settings/account")).send().await.unwrap();
        assert_eq!(account.status(), 200, "signed in, the account page opens");
        let anonymous = client()
            .get(serve.url("/settings/account"))
            .send()
            .await
            .unwrap();
        assert!(
            anonymous.status().is_redirection(),
            "not signed in: to the login form"
        );
        let wrong = client();
        assert!(!(300..400).contains(&login(&serve, &wrong, "admin", "not the password").await));

        let health = reqwest::get(serve.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
        let metrics = reqwest::get(serve.url("/metrics")).await.unwrap();
        assert_eq!(metrics.status(), 200);
        let text = metrics.text().await.unwrap();
        assert!(text.contains("# TYPE"), "{text}");
    });
    assert_eq!(serve.stop(), Some(0), "SIGTERM: a clean exit");

    // The second start creates nothing and prints no password.
    let serve = Serve::start(env.cmd(&[]));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        serve.lines.try_recv().is_err(),
        "no second line on a second start"
    );
    assert_eq!(serve.stop(), Some(0));
}

#[test]
fn the_admin_password_can_come_from_a_file() {
    let env = Env::new();
    let file = env.path("admin-pw");
    std::fs::write(&file, "a chosen password\n").unwrap();
    let mut cmd = env.cmd(&[]);
    cmd.env("TRIBUTARY_ADMIN_PASSWORD_FILE", &file);
    let serve = Serve::start(cmd);
    let line = serve.line().unwrap();
    assert_eq!(
        line,
        "admin password: set from TRIBUTARY_ADMIN_PASSWORD_FILE"
    );
    let rest: Vec<String> =
        std::iter::from_fn(|| serve.lines.recv_timeout(Duration::from_millis(300)).ok()).collect();
    assert!(
        !rest.iter().any(|l| l.contains("a chosen password")),
        "{rest:?}"
    );
    block_on(async {
        let c = client();
        assert!((300..400).contains(&login(&serve, &c, "admin", "a chosen password").await));
    });
    assert_eq!(serve.stop(), Some(0));
}

#[test]
fn a_broken_template_override_stops_serve_before_it_listens() {
    let env = Env::new();
    let dir = env.path("templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("base.html"), "<html>\n<body>\n{% if %}\n</body>\n").unwrap();
    let out = env
        .cmd(&["serve", "--listen", "127.0.0.1:0"])
        .env("TRIBUTARY_WEB_TEMPLATE_DIR", &dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("listening"), "{stdout}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&dir.join("base.html").display().to_string()),
        "{err}"
    );
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn the_scheduler_fetches_a_loopback_feed_into_the_outputs() {
    let feeds = start_feeds();
    feeds.set(
        "/news.xml",
        &rss(
            "Loopback news",
            &[(
                "n1",
                "Fetched by the scheduler",
                "Body.",
                "Mon, 02 Nov 2026 10:00:00 GMT",
            )],
        ),
    );
    let env = Env::new();
    env.ok(&["add", &feeds.url("/news.xml"), "--no-fetch"]);
    // The admin's river is the public planet, announced to a loopback hub.
    block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        store
            .set_setting("planet.user", Some("admin"))
            .await
            .unwrap();
        store.close().await;
    });
    let (hub, pings) = start_hub();
    let mut cmd = env.cmd(&[]);
    cmd.env("TRIBUTARY_ADMIN_PASSWORD", "the admin password")
        .env("TRIBUTARY_WEB_HUB_URL", format!("http://{hub}/"))
        .env("TRIBUTARY_WEB_PUBLIC_URL", "http://planet.example/");
    let serve = Serve::start(cmd);
    // The command line's subscriptions became the admin's.
    let token = block_on(async {
        let store = Store::open(&env.db_url()).await.unwrap();
        let admin = store
            .user_by_name("admin")
            .await
            .unwrap()
            .expect("admin exists");
        assert_eq!(store.subscriptions(admin.id).await.unwrap().len(), 1);
        let token = store.output_token(admin.id).await.unwrap();
        store.close().await;
        token
    });
    let url = serve.url(&format!("/feeds/all.atom?token={token}"));
    let start = Instant::now();
    let body = loop {
        let body = block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
        if body.contains("Fetched by the scheduler") || start.elapsed() > Duration::from_secs(30) {
            break body;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let feed: atom_syndication::Feed = body.parse().unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(feed.entries.len(), 1, "{body}");
    assert_eq!(feed.entries[0].title.value, "Fetched by the scheduler");
    block_on(async {
        let text = reqwest::get(serve.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains("tributary_fetches_total{outcome=\"fetched\"} 1"),
            "the fetch is counted: {text}"
        );
        assert!(
            text.contains("tributary_fetch_duration_seconds_count 1"),
            "{text}"
        );
    });
    // New entries were stored: the hub hears that the planet's feed changed.
    let wanted = "hub.url=http%3A%2F%2Fplanet.example%2Ffeeds%2Fall.atom";
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20)
        && !pings.lock().unwrap().iter().any(|p| p.contains(wanted))
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let seen = pings.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|p| p.contains("hub.mode=publish") && p.contains(wanted)),
        "{seen:?}"
    );
    assert_eq!(serve.stop(), Some(0));
}

/// A loopback WebSub hub that records the bodies of the POSTs it gets.
fn start_hub() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let pings: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = pings.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().fallback(move |body: String| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(body);
                    axum::http::StatusCode::NO_CONTENT
                }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), pings)
}
