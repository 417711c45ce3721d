//! Shared helpers of the end-to-end tests: a loopback feed server whose
//! answers the tests control, and a runner for the built binary.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::Router;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// What the farm saw and how it behaves.
#[derive(Default)]
pub struct FarmState {
    /// Requests per path.
    pub hits: Mutex<HashMap<String, usize>>,
    /// 304 answers per path.
    pub not_modified: Mutex<HashMap<String, usize>>,
    /// User-Agent of the last request.
    pub user_agent: Mutex<Option<String>>,
    /// When set, the generator "changed": every guid is re-issued for the same links.
    pub reissue_guids: AtomicBool,
}

impl FarmState {
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
    pub fn not_modified(&self, path: &str) -> usize {
        self.not_modified
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }
    pub fn total_not_modified(&self) -> usize {
        self.not_modified.lock().unwrap().values().sum()
    }
    pub fn reissue(&self) {
        self.reissue_guids.store(true, Ordering::SeqCst);
    }
}

pub struct Farm {
    pub addr: SocketAddr,
    pub state: Arc<FarmState>,
}

impl Farm {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// Start the feed server on 127.0.0.1 on its own thread and runtime.
pub fn start_farm() -> Farm {
    let state = Arc::new(FarmState::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let app_state = state.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            let app = Router::new().fallback(serve).with_state(app_state);
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = rx.recv().expect("farm address");
    Farm { addr, state }
}

/// The documents the farm serves: (body, content type).
fn document(path: &str, reissue: bool) -> Option<(Vec<u8>, &'static str)> {
    let rss = "application/rss+xml";
    let doc = match path {
        "/wordpress.xml" => {
            let mut text = String::from_utf8(fixture("wordpress.xml")).ok()?;
            if reissue {
                // The site moved to another generator: new guids, same links.
                text = text
                    .replace(
                        "https://packetmill.example/?p=4211",
                        "tag:packetmill.example,2026:post-4211",
                    )
                    .replace(
                        "https://packetmill.example/?p=4198",
                        "tag:packetmill.example,2026:post-4198",
                    );
            }
            (text.into_bytes(), rss)
        }
        "/hugo.xml" => {
            let mut text = String::from_utf8(fixture("hugo.xml")).ok()?;
            if reissue {
                text = text
                    .replace(
                        "<guid>https://fabric.example/posts/leaf-spine-sizing/</guid>",
                        "<guid isPermaLink=\"false\">a81f3c</guid>",
                    )
                    .replace(
                        "<guid>https://fabric.example/posts/vxlan-flood-and-learn/</guid>",
                        "<guid isPermaLink=\"false\">b92e4d</guid>",
                    );
            }
            (text.into_bytes(), "application/xml")
        }
        "/blogger.atom" => {
            let mut text = String::from_utf8(fixture("blogger.atom")).ok()?;
            if reissue {
                text = text.replace("blog-1234567890123456789.post-", "blog-9999.entry-");
            }
            (text.into_bytes(), "application/atom+xml; charset=UTF-8")
        }
        "/ghost.xml" => (fixture("ghost.xml"), "application/rss+xml; charset=utf-8"),
        "/podcast.xml" => (fixture("podcast.xml"), rss),
        "/feed.json" => (fixture("feed.json"), "application/feed+json"),
        // No charset in the header: the XML declaration says windows-1252.
        "/win1252.xml" => (fixture("win1252.xml"), "text/xml"),
        "/nbsp.xml" => (fixture("nbsp.xml"), "text/xml; charset=utf-8"),
        "/blog.html" => (fixture("blog.html"), "text/html; charset=utf-8"),
        "/login.html" => (fixture("login.html"), "text/html"),
        _ => return None,
    };
    Some(doc)
}

async fn serve(State(state): State<Arc<FarmState>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    *state.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    *state.user_agent.lock().unwrap() = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let redirect = |status: StatusCode, to: &str| {
        Response::builder()
            .status(status)
            .header(header::LOCATION, to)
            .body(Body::empty())
            .unwrap()
    };
    match path.as_str() {
        "/old/packetmill" => return redirect(StatusCode::MOVED_PERMANENTLY, "/wordpress.xml"),
        "/hugo-temp.xml" => return redirect(StatusCode::FOUND, "/hugo.xml"),
        "/gone.xml" => {
            return Response::builder()
                .status(StatusCode::GONE)
                .body(Body::from("gone"))
                .unwrap()
        }
        _ => {}
    }
    let reissue = state.reissue_guids.load(Ordering::SeqCst);
    let Some((body, content_type)) = document(&path, reissue) else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .unwrap();
    };
    // The ETag changes exactly when the document does (FNV-1a of the body).
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let etag = format!("\"{hash:016x}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        *state.not_modified.lock().unwrap().entry(path).or_default() += 1;
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .body(Body::empty())
            .unwrap();
    }
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    // WordPress behind a typical server: gzip when asked.
    let body = if gzip && path == "/wordpress.xml" {
        response = response.header(header::CONTENT_ENCODING, "gzip");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&body).unwrap();
        enc.finish().unwrap()
    } else {
        body
    };
    response.body(Body::from(body)).unwrap()
}

/// A fresh database in a temp dir and a way to run the binary against it.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn db_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.dir.path().join("tributary.db").display()
        )
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tributary"));
        cmd.args(args)
            .env("TRIBUTARY_DATABASE", self.db_url())
            .env("TRIBUTARY_ALLOW_PRIVATE_NETWORKS", "1")
            .env("HOME", self.dir.path())
            .env_remove("RUST_LOG");
        cmd
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tributary {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run tributary")
    }

    pub fn feeds_json(&self) -> Vec<serde_json::Value> {
        let text = self.ok(&["feeds", "--json"]);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("feeds --json: {e}\n{text}"))
    }
}

/// Check a document with Python feedparser: returns (bozo, entry count, titles).
/// Fails unless feedparser is importable (the project's test script installs
/// it), unless TRIBUTARY_SKIP_PYTHON=1.
pub fn feedparser(path: &Path) -> Option<(bool, usize, Vec<String>)> {
    const SCRIPT: &str = "import sys, json, feedparser\n\
d = feedparser.parse(sys.argv[1])\n\
print(json.dumps({'bozo': bool(d.bozo), 'exc': str(d.get('bozo_exception', '')), 'titles': [e.get('title', '') for e in d.entries]}))";
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output();
    match out {
        Ok(out) if out.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("feedparser json");
            let titles: Vec<String> = v["titles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap_or_default().to_string())
                .collect();
            assert!(!v["bozo"].as_bool().unwrap(), "feedparser: bozo for {}: {}", path.display(), v["exc"]);
            Some((v["bozo"].as_bool().unwrap(), titles.len(), titles))
        }
        _ if std::env::var("TRIBUTARY_SKIP_PYTHON").as_deref() == Ok("1") => None,
        other => panic!(
            "Python feedparser is needed for this test (pip install feedparser==6.0.14, which scripts/test.sh does): {other:?}"
        ),
    }
}

/// A loopback server of documents the test sets and changes (`set`).
pub struct Feeds {
    pub addr: SocketAddr,
    docs: Arc<Mutex<HashMap<String, String>>>,
}

impl Feeds {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Serve `body` (as RSS) at `path` from now on.
    pub fn set(&self, path: &str, body: &str) {
        self.docs
            .lock()
            .unwrap()
            .insert(path.to_owned(), body.to_owned());
    }
}

/// Start a [`Feeds`] server on 127.0.0.1 on its own thread.
pub fn start_feeds() -> Feeds {
    let docs: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let served = docs.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            let app = Router::new().fallback(move |uri: Uri| {
                let served = served.clone();
                async move {
                    match served.lock().unwrap().get(uri.path()) {
                        Some(body) => Response::builder()
                            .header(header::CONTENT_TYPE, "application/rss+xml")
                            .body(Body::from(body.clone()))
                            .unwrap(),
                        None => Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Body::empty())
                            .unwrap(),
                    }
                }
            });
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = rx.recv().expect("feeds address");
    Feeds { addr, docs }
}

/// An RSS 2.0 document titled `title` with items (guid, title, text, RFC 2822 date).
pub fn rss(title: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, text, date)| {
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
                 <link>https://blog.example/{guid}</link><author>ann@blog.example (Ann)</author>\
                 <pubDate>{date}</pubDate><description>{text}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title>\
         <link>https://blog.example/</link><description>d</description>{items}</channel></rss>"
    )
}
