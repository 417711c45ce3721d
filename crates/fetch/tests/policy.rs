//! The fetcher's HTTP policy against real servers on loopback: connection
//! reuse, oversized bodies kept up to the cap, the header size cap, servers
//! that trickle (slowloris), the allow-list of networks and `Link:` headers.
//!
//! Servers whose misbehaviour axum would not produce (a megabyte of headers,
//! a status line sent one byte at a time) are hand-written over a tokio
//! `TcpListener`.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tributary_fetch::{FetchConfig, FetchError, Fetcher, IpNet, Validators};
use url::Url;

fn config() -> FetchConfig {
    FetchConfig {
        allow_private_networks: true,
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    }
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).expect("url")
}

/// Serve `app` on `listener`, counting the TCP connections it accepts.
fn serve_counting(listener: TcpListener, app: Router) -> Arc<AtomicUsize> {
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let listener = listener.tap_io(move |_tcp| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    accepted
}

async fn bind(addr: &str) -> TcpListener {
    TcpListener::bind(addr).await.expect("bind loopback")
}

async fn serve(app: Router) -> SocketAddr {
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().expect("local address");
    serve_counting(listener, app);
    addr
}

// ---------------------------------------------------------------- reuse

#[tokio::test]
async fn one_fetcher_reuses_its_connections() {
    let app = Router::new().route(
        "/feed",
        get(|| async {
            // Long enough for concurrent requests to overlap.
            tokio::time::sleep(Duration::from_millis(50)).await;
            "<rss/>"
        }),
    );
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().expect("local address");
    let accepted = serve_counting(listener, app);
    let fetcher = Fetcher::new(config()).expect("fetcher");

    for i in 0..30 {
        let resp = fetcher
            .fetch(&url(addr, "/feed"), &Validators::default())
            .await
            .unwrap_or_else(|e| panic!("fetch {i}: {e}"));
        assert_eq!(resp.body.as_deref(), Some(&b"<rss/>"[..]));
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "30 sequential fetches should share one kept-alive connection"
    );

    // Clones share the pool; 8 at once need at most 8 connections, and a
    // second round of 8 finds them idle in the pool.
    for round in 0..2 {
        let fetches = (0..8).map(|_| {
            let fetcher = fetcher.clone();
            async move {
                fetcher
                    .fetch(&url(addr, "/feed"), &Validators::default())
                    .await
            }
        });
        for result in futures::future::join_all(fetches).await {
            assert!(result.is_ok(), "round {round}: {result:?}");
        }
        let count = accepted.load(Ordering::SeqCst);
        assert!(
            count <= 8,
            "round {round}: 8 concurrent fetches opened {count} connections"
        );
    }
}

// ------------------------------------------------------- oversized bodies

const FEED: &str = "<rss version=\"2.0\"><channel><title>T</title>\
    <item><title>one</title></item><item><title>two ünïcödé</title></item>\
    <item><title>three</title></item></channel></rss>";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

#[tokio::test]
async fn oversized_feed_comes_back_cut_at_the_cap() {
    let compressed = gzip(FEED.as_bytes());
    let app = Router::new().route("/plain", get(|| async { FEED })).route(
        "/gzip",
        get(move || {
            let compressed = compressed.clone();
            async move {
                axum::response::Response::builder()
                    .header("content-encoding", "gzip")
                    .body(Body::from(compressed))
                    .expect("response")
            }
        }),
    );
    let addr = serve(app).await;
    // Cut inside the multi-byte "ü" of the second item.
    let cap = FEED.find('ü').expect("ü") + 1;
    let keep = Fetcher::new(FetchConfig {
        max_body_bytes: cap as u64,
        ..config()
    })
    .expect("fetcher");
    let refuse = Fetcher::new(FetchConfig {
        max_body_bytes: cap as u64,
        keep_oversized: false,
        ..config()
    })
    .expect("fetcher");
    let whole = Fetcher::new(config()).expect("fetcher");

    for path in ["/plain", "/gzip"] {
        let resp = keep
            .fetch(&url(addr, path), &Validators::default())
            .await
            .expect("a cut body");
        assert!(resp.truncated, "{path}");
        assert_eq!(
            resp.body.as_deref(),
            Some(&FEED.as_bytes()[..cap]),
            "{path}"
        );

        let err = refuse
            .fetch(&url(addr, path), &Validators::default())
            .await
            .expect_err("too large");
        assert_eq!(err.code(), "body_too_large", "{path}");

        let resp = whole
            .fetch(&url(addr, path), &Validators::default())
            .await
            .expect("the whole body");
        assert!(!resp.truncated, "{path}");
        assert_eq!(resp.body.as_deref(), Some(FEED.as_bytes()), "{path}");
    }
}

#[tokio::test]
async fn endless_body_ends_at_the_cap() {
    let app = Router::new().route(
        "/endless",
        get(|| async {
            let chunk = axum::body::Bytes::from(vec![b'x'; 4096]);
            let stream =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            Body::from_stream(stream)
        }),
    );
    let addr = serve(app).await;
    for keep_oversized in [true, false] {
        let fetcher = Fetcher::new(FetchConfig {
            max_body_bytes: 100_000,
            keep_oversized,
            ..config()
        })
        .expect("fetcher");
        let started = Instant::now();
        let result = fetcher
            .fetch(&url(addr, "/endless"), &Validators::default())
            .await;
        assert!(started.elapsed() < Duration::from_secs(5));
        match (keep_oversized, result) {
            (true, Ok(resp)) => {
                assert!(resp.truncated);
                assert_eq!(resp.body.map(|b| b.len()), Some(100_000));
            }
            (false, Err(err)) => {
                assert!(
                    matches!(err, FetchError::TooLarge { limit: 100_000, .. }),
                    "{err:?}"
                );
            }
            (keep, other) => panic!("keep_oversized {keep}: {other:?}"),
        }
    }
}

// ------------------------------------------------------- raw TCP servers

/// Accept connections for ever; for each, read the request head (bounded)
/// and hand the socket to `answer`.
async fn raw_server<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().expect("local address");
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                answer(stream).await;
            });
        }
    });
    addr
}

/// A response head with the given header lines, then `body`.
fn response_with_headers(lines: &[String], body: &str) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\n".to_vec();
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n{body}", body.len()).as_bytes());
    out
}

async fn headers_server(lines: Vec<String>) -> SocketAddr {
    let response = Arc::new(response_with_headers(&lines, "<rss/>"));
    raw_server(move |mut stream| {
        let response = Arc::clone(&response);
        async move {
            // The client may hang up half-way: that is the point.
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
        }
    })
    .await
}

// ------------------------------------------------------------ header cap

#[tokio::test]
async fn a_megabyte_of_headers_is_refused_quickly() {
    let one_huge = vec![format!("x-huge: {}", "a".repeat(1 << 20))];
    let many: Vec<String> = (0..20_000)
        .map(|i| format!("x-h{i}: {}", "b".repeat(40)))
        .collect();
    let fetcher = Fetcher::new(config()).expect("fetcher");
    for (what, lines) in [("one huge header", one_huge), ("20000 headers", many)] {
        let addr = headers_server(lines).await;
        let started = Instant::now();
        let err = fetcher
            .fetch(&url(addr, "/feed"), &Validators::default())
            .await
            .expect_err("headers too large");
        let took = started.elapsed();
        assert!(
            matches!(err, FetchError::HeadersTooLarge { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(err.code(), "headers_too_large", "{what}");
        assert!(err.to_string().contains("headers"), "{what}: {err}");
        assert!(took < Duration::from_secs(5), "{what}: took {took:?}");
    }
}

#[tokio::test]
async fn headers_over_max_header_bytes_are_refused() {
    // 50 lines of 2 KiB: within hyper's own limits, over 64 KiB.
    let big: Vec<String> = (0..50)
        .map(|i| format!("x-h{i}: {}", "c".repeat(2048)))
        .collect();
    // 40 lines of 1 KiB: under the limit.
    let fine: Vec<String> = (0..40)
        .map(|i| format!("x-h{i}: {}", "d".repeat(1024)))
        .collect();
    let fetcher = Fetcher::new(config()).expect("fetcher");
    assert_eq!(fetcher.config().max_header_bytes, 64 * 1024);

    let addr = headers_server(big.clone()).await;
    let err = fetcher
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await
        .expect_err("headers too large");
    assert!(
        matches!(
            err,
            FetchError::HeadersTooLarge {
                limit: Some(65536),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("64 KiB of headers"), "{err}");

    let addr = headers_server(fine).await;
    let resp = fetcher
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await
        .expect("headers under the limit");
    assert_eq!(resp.body.as_deref(), Some(&b"<rss/>"[..]));

    // A larger limit lets the same 100 KiB through.
    let roomy = Fetcher::new(FetchConfig {
        max_header_bytes: 256 * 1024,
        ..config()
    })
    .expect("fetcher");
    let addr = headers_server(big).await;
    assert!(roomy
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await
        .is_ok());
}

// -------------------------------------------------------------- slowloris

const TOTAL: Duration = Duration::from_millis(1500);

fn impatient() -> Fetcher {
    Fetcher::new(FetchConfig {
        total_timeout: TOTAL,
        ..config()
    })
    .expect("fetcher")
}

/// Write `bytes` one at a time, 100 ms apart.
async fn trickle(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    for byte in bytes {
        stream.write_all(std::slice::from_ref(byte)).await?;
        stream.flush().await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn assert_times_out_on_time(addr: SocketAddr, what: &str) {
    let started = Instant::now();
    let err = impatient()
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await
        .expect_err("timeout");
    let took = started.elapsed();
    assert!(matches!(err, FetchError::Timeout { .. }), "{what}: {err:?}");
    assert_eq!(err.code(), "timeout");
    assert!(
        took >= TOTAL && took < TOTAL + Duration::from_secs(2),
        "{what}: took {took:?}"
    );
}

#[tokio::test]
async fn trickled_status_line_and_headers_time_out() {
    let addr = raw_server(|mut stream| async move {
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\n\
            content-length: 6\r\n\r\n<rss/>";
        let _ = trickle(&mut stream, head).await;
    })
    .await;
    assert_times_out_on_time(addr, "trickled head").await;
}

#[tokio::test]
async fn trickled_body_times_out() {
    let addr = raw_server(|mut stream| async move {
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\n\
            connection: close\r\n\r\n";
        if stream.write_all(head).await.is_err() {
            return;
        }
        let body = "<rss>".to_owned() + &" ".repeat(10_000);
        let _ = trickle(&mut stream, body.as_bytes()).await;
    })
    .await;
    assert_times_out_on_time(addr, "trickled body").await;
}

// -------------------------------------------------------- allowed networks

fn allowing(nets: &[&str]) -> Fetcher {
    Fetcher::new(FetchConfig {
        allow_private_networks: false,
        allowed_networks: nets
            .iter()
            .map(|n| n.parse::<IpNet>().expect("network"))
            .collect(),
        ..config()
    })
    .expect("fetcher")
}

#[tokio::test]
async fn allowed_network_is_reachable_and_nothing_else_private() {
    // The intranet server, and two more on the same port at addresses the
    // allow-list does not cover.
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().expect("local address");
    let port = addr.port();
    let second = bind(&format!("127.0.0.2:{port}")).await;
    let second_hits = serve_counting(second, Router::new().fallback(|| async { "second" }));
    let v6_hits = match TcpListener::bind(format!("[::1]:{port}")).await {
        Ok(v6) => Some(serve_counting(
            v6,
            Router::new().fallback(|| async { "v6" }),
        )),
        Err(e) => {
            eprintln!("no IPv6 loopback here ({e}); the [::1] hop is still checked");
            None
        }
    };
    let redirect = |to: String| {
        move || {
            let to = to.clone();
            async move {
                axum::response::Response::builder()
                    .status(302)
                    .header("location", to)
                    .body(Body::empty())
                    .expect("response")
            }
        }
    };
    let app = Router::new()
        .route("/", get(|| async { "intranet" }))
        .route(
            "/to-127-2",
            get(redirect(format!("http://127.0.0.2:{port}/"))),
        )
        .route("/to-v6", get(redirect(format!("http://[::1]:{port}/"))))
        .route("/to-10", get(redirect("http://10.0.0.1/".to_owned())))
        .route(
            "/to-metadata",
            get(redirect(
                "http://169.254.169.254/latest/meta-data".to_owned(),
            )),
        );
    serve_counting(listener, app);

    let fetcher = allowing(&["127.0.0.1/32"]);
    // By IP literal, and by a name the resolver turns into 127.0.0.1.
    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let resp = fetcher
            .fetch(&Url::parse(&target).expect("url"), &Validators::default())
            .await
            .unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_eq!(resp.body.as_deref(), Some(&b"intranet"[..]), "{target}");
    }

    for (path, addr_shown, range) in [
        ("/to-127-2", "127.0.0.2", "loopback"),
        ("/to-v6", "::1", "loopback"),
        ("/to-10", "10.0.0.1", "private"),
        ("/to-metadata", "169.254.169.254", "cloud metadata"),
    ] {
        let err = fetcher
            .fetch(&url(addr, path), &Validators::default())
            .await
            .expect_err("refused");
        match &err {
            FetchError::Blocked { addr, range: r, .. } => {
                assert_eq!(addr, addr_shown, "{path}");
                assert_eq!(*r, range, "{path}");
            }
            other => panic!("{path}: expected Blocked, got {other:?}"),
        }
        assert_eq!(err.code(), "address_blocked");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{addr_shown} is a {range} address")),
            "{path}: {text}"
        );
    }
    assert_eq!(
        second_hits.load(Ordering::SeqCst),
        0,
        "127.0.0.2 was reached"
    );
    if let Some(hits) = &v6_hits {
        assert_eq!(hits.load(Ordering::SeqCst), 0, "[::1] was reached");
    }

    // Without the allow-list the intranet server is refused too…
    let err = allowing(&[])
        .fetch(&url(addr, "/"), &Validators::default())
        .await
        .expect_err("refused");
    assert_eq!(err.code(), "address_blocked");
    // …and with 127.0.0.0/8 allowed the second server is reachable, so the
    // refusal above was the policy, not an unreachable address.
    let resp = allowing(&["127.0.0.0/8"])
        .fetch(&url(addr, "/to-127-2"), &Validators::default())
        .await
        .expect("127.0.0.2 allowed");
    assert_eq!(resp.body.as_deref(), Some(&b"second"[..]));
    assert_eq!(second_hits.load(Ordering::SeqCst), 1);
}

// ------------------------------------------------------------ Link headers

#[tokio::test]
async fn link_headers_resolve_against_the_final_url() {
    let app = Router::new()
        .route(
            "/old",
            get(|| async {
                axum::response::Response::builder()
                    .status(301)
                    .header("location", "/blog/feed")
                    .header("link", "<https://wrong.example/>; rel=\"hub\"")
                    .body(Body::empty())
                    .expect("response")
            }),
        )
        .route(
            "/blog/feed",
            get(|headers: axum::http::HeaderMap| async move {
                let status = if headers.contains_key("if-none-match") {
                    304
                } else {
                    200
                };
                axum::response::Response::builder()
                    .status(status)
                    .header("etag", "\"1\"")
                    .header(
                        "link",
                        "<https://hub.example.net/>; rel=\"hub\", <feed.xml>; rel=\"self\"",
                    )
                    .header("link", "</comments>; rel=\"Replies Alternate\"")
                    .body(Body::from(if status == 200 { "<rss/>" } else { "" }))
                    .expect("response")
            }),
        )
        .route("/plain", get(|| async { "<rss/>" }));
    let addr = serve(app).await;
    let fetcher = Fetcher::new(config()).expect("fetcher");
    let expected = vec![
        ("hub".to_owned(), "https://hub.example.net/".to_owned()),
        ("self".to_owned(), url(addr, "/blog/feed.xml").to_string()),
        ("replies".to_owned(), url(addr, "/comments").to_string()),
        ("alternate".to_owned(), url(addr, "/comments").to_string()),
    ];

    let resp = fetcher
        .fetch(&url(addr, "/old"), &Validators::default())
        .await
        .expect("feed");
    assert_eq!(resp.final_url, url(addr, "/blog/feed"));
    assert_eq!(resp.link_headers, expected);

    // A 304 carries its links too.
    let resp = fetcher
        .fetch(&url(addr, "/blog/feed"), &resp.validators)
        .await
        .expect("not modified");
    assert!(resp.is_not_modified());
    assert_eq!(resp.link_headers, expected);

    let resp = fetcher
        .fetch(&url(addr, "/plain"), &Validators::default())
        .await
        .expect("feed");
    assert!(resp.link_headers.is_empty());
}

// ---------------------------------------------------------- HTTP/2 (ALPN)

/// The test CA and the `localhost`/`127.0.0.1` certificate it signed (see
/// `tests/tls/README.md`).
const CA_PEM: &str = include_str!("tls/ca.pem");
const SERVER_PEM: &[u8] = include_bytes!("tls/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("tls/server.key");

/// A TLS listener for axum that offers `alpn` and counts TCP connections.
struct TlsListener {
    tcp: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    accepted: Arc<AtomicUsize>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            self.accepted.fetch_add(1, Ordering::SeqCst);
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An HTTPS server whose answer is the HTTP version of the request.
async fn tls_server(alpn: &[&[u8]]) -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_slice_iter(SERVER_PEM)
        .collect::<Result<Vec<_>, _>>()
        .expect("server certificate");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).expect("server key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server TLS config");
    tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();

    let tcp = bind("127.0.0.1:0").await;
    let addr = tcp.local_addr().expect("local address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
        accepted: Arc::clone(&accepted),
    };
    let app = Router::new()
        .route(
            "/feed",
            get(|version: axum::http::Version| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                format!("{version:?}")
            }),
        )
        .route(
            "/big-headers",
            get(|| async {
                let mut builder = axum::response::Response::builder();
                for i in 0..50 {
                    builder = builder.header(format!("x-h{i}"), "e".repeat(2048));
                }
                builder.body(Body::from("<rss/>")).expect("response")
            }),
        );
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (addr, accepted)
}

fn trusting_test_ca() -> Fetcher {
    Fetcher::new(FetchConfig {
        extra_root_certificates: vec![CA_PEM.to_owned()],
        ..config()
    })
    .expect("fetcher")
}

fn https(addr: SocketAddr) -> Url {
    Url::parse(&format!("https://localhost:{}/feed", addr.port())).expect("url")
}

#[tokio::test]
async fn https_servers_offering_h2_get_http2_on_one_connection() {
    let (addr, accepted) = tls_server(&[b"h2", b"http/1.1"]).await;
    let fetcher = trusting_test_ca();
    for _ in 0..5 {
        let resp = fetcher
            .fetch(&https(addr), &Validators::default())
            .await
            .expect("fetch over TLS");
        assert_eq!(resp.body.as_deref(), Some(&b"HTTP/2.0"[..]));
    }
    // HTTP/2 multiplexes: concurrent requests share the connection.
    let fetches = (0..8).map(|_| {
        let fetcher = fetcher.clone();
        async move { fetcher.fetch(&https(addr), &Validators::default()).await }
    });
    for result in futures::future::join_all(fetches).await {
        let resp = result.expect("concurrent fetch over h2");
        assert_eq!(resp.body.as_deref(), Some(&b"HTTP/2.0"[..]));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn http2_headers_over_max_header_bytes_are_refused() {
    let (addr, _) = tls_server(&[b"h2", b"http/1.1"]).await;
    let url = Url::parse(&format!("https://localhost:{}/big-headers", addr.port())).expect("url");
    let started = Instant::now();
    let err = trusting_test_ca()
        .fetch(&url, &Validators::default())
        .await
        .expect_err("headers too large");
    // h2 refuses the stream as it decodes the header block; it gives the
    // same reason for other malformed answers, hence a Transport error that
    // says what most likely happened.
    assert_eq!(err.code(), "network_error", "{err:?}");
    assert!(err.to_string().contains("headers were too large"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // With room for them, the same headers pass, so the refusal above was
    // the limit.
    let roomy = Fetcher::new(FetchConfig {
        extra_root_certificates: vec![CA_PEM.to_owned()],
        max_header_bytes: 1 << 20,
        ..config()
    })
    .expect("fetcher");
    let resp = roomy
        .fetch(&url, &Validators::default())
        .await
        .expect("headers within the limit");
    assert_eq!(resp.body.as_deref(), Some(&b"<rss/>"[..]));
}

#[tokio::test]
async fn https_servers_without_h2_get_http1() {
    let (addr, _) = tls_server(&[b"http/1.1"]).await;
    let resp = trusting_test_ca()
        .fetch(&https(addr), &Validators::default())
        .await
        .expect("fetch over TLS");
    assert_eq!(resp.body.as_deref(), Some(&b"HTTP/1.1"[..]));
}

#[tokio::test]
async fn unknown_certificate_authority_is_a_clear_error() {
    let (addr, _) = tls_server(&[b"h2", b"http/1.1"]).await;
    let err = Fetcher::new(config())
        .expect("fetcher")
        .fetch(&https(addr), &Validators::default())
        .await
        .expect_err("untrusted certificate");
    assert_eq!(err.code(), "network_error");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    let err = Fetcher::new(FetchConfig {
        extra_root_certificates: vec!["not a certificate".to_owned()],
        ..config()
    })
    .expect_err("bad PEM");
    assert_eq!(err.code(), "invalid_config");
    assert!(err.to_string().contains("root certificate 1"), "{err}");
}
