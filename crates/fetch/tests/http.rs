//! The fetcher against a real HTTP server on loopback whose answers each test
//! controls. Tests that must reach the server set `allow_private_networks`,
//! since 127.0.0.1 is exactly what the SSRF guard refuses otherwise.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use tributary_fetch::{FetchConfig, FetchError, Fetcher, Validators};
use url::Url;

/// Serve `app` on 127.0.0.1 on a free port, on the test's runtime.
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> axum::response::Response {
    let mut builder = axum::response::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

fn redirect(status: u16, location: &str) -> axum::response::Response {
    reply(status, &[("location", location)], "")
}

fn config() -> FetchConfig {
    FetchConfig {
        allow_private_networks: true,
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(config()).unwrap()
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

/// Header maps of the requests a route received.
type Seen = Arc<Mutex<Vec<HeaderMap>>>;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

#[tokio::test]
async fn conditional_get_then_not_modified() {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/feed",
        get(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let matches = header(&headers, "if-none-match") == Some("\"v1\"");
                log.lock().unwrap().push(headers);
                if matches {
                    reply(304, &[("cache-control", "max-age=60")], "")
                } else {
                    reply(
                        200,
                        &[
                            ("etag", "\"v1\""),
                            ("last-modified", LAST_MODIFIED),
                            ("content-type", "application/rss+xml; charset=utf-8"),
                            ("cache-control", "public, max-age=300"),
                            ("expires", "Thu, 22 Oct 2015 07:28:00 GMT"),
                        ],
                        "<rss/>",
                    )
                }
            }
        }),
    );
    let addr = serve(app).await;
    let f = fetcher();

    let first = f
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await
        .unwrap();
    assert!(!first.is_not_modified());
    assert_eq!(first.body.as_deref(), Some(&b"<rss/>"[..]));
    assert_eq!(
        first.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.validators.last_modified.as_deref(),
        Some(LAST_MODIFIED)
    );
    assert_eq!(first.cache.max_age, Some(Duration::from_secs(300)));
    assert_eq!(
        first.cache.expires.map(|d| d.to_rfc3339()),
        Some("2015-10-22T07:28:00+00:00".to_owned())
    );
    assert_eq!(first.moved_to, None);

    let second = f
        .fetch(&url(addr, "/feed"), &first.validators)
        .await
        .unwrap();
    assert!(second.is_not_modified());
    assert_eq!(second.body, None);
    // The server sent no validators with its 304: the ones sent are kept.
    assert_eq!(second.validators, first.validators);
    assert_eq!(second.cache.max_age, Some(Duration::from_secs(60)));

    let requests = seen.lock().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(header(&requests[0], "if-none-match"), None);
    assert_eq!(header(&requests[1], "if-none-match"), Some("\"v1\""));
    assert_eq!(
        header(&requests[1], "if-modified-since"),
        Some(LAST_MODIFIED)
    );
}

#[tokio::test]
async fn not_modified_with_new_validators_replaces_them() {
    let app = Router::new().route(
        "/feed",
        get(|| async { reply(304, &[("etag", "\"v2\"")], "") }),
    );
    let addr = serve(app).await;
    let sent = Validators {
        etag: Some("\"v1\"".to_owned()),
        last_modified: Some(LAST_MODIFIED.to_owned()),
    };
    let resp = fetcher().fetch(&url(addr, "/feed"), &sent).await.unwrap();
    assert!(resp.is_not_modified());
    assert_eq!(resp.validators.etag.as_deref(), Some("\"v2\""));
    assert_eq!(
        resp.validators.last_modified.as_deref(),
        Some(LAST_MODIFIED)
    );
}

#[tokio::test]
async fn gzip_body_is_decompressed() {
    let plain = "<feed>".to_owned() + &"entry ".repeat(1000) + "</feed>";
    let compressed = gzip(plain.as_bytes());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/feed",
        get(move |headers: HeaderMap| {
            let log = log.clone();
            let compressed = compressed.clone();
            async move {
                log.lock().unwrap().push(headers);
                reply(
                    200,
                    &[
                        ("content-encoding", "gzip"),
                        ("content-type", "application/atom+xml"),
                    ],
                    compressed,
                )
            }
        }),
    );
    let addr = serve(app).await;
    let resp = fetcher().get_page(&url(addr, "/feed")).await.unwrap();
    assert_eq!(resp.body.as_deref(), Some(plain.as_bytes()));
    let requests = seen.lock().unwrap();
    let accept_encoding = header(&requests[0], "accept-encoding").unwrap_or_default();
    for coding in ["gzip", "br", "deflate"] {
        assert!(
            accept_encoding.contains(coding),
            "Accept-Encoding: {accept_encoding}"
        );
    }
}

#[tokio::test]
async fn user_agent_and_accept_are_sent() {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/",
        get(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(headers);
                "ok"
            }
        }),
    );
    let addr = serve(app).await;
    let cfg = FetchConfig {
        user_agent: "Tributary-Test/1.0 (+https://example.org)".to_owned(),
        ..config()
    };
    Fetcher::new(cfg)
        .unwrap()
        .fetch(&url(addr, "/"), &Validators::default())
        .await
        .unwrap();
    let requests = seen.lock().unwrap();
    assert_eq!(
        header(&requests[0], "user-agent"),
        Some("Tributary-Test/1.0 (+https://example.org)")
    );
    let accept = header(&requests[0], "accept").unwrap_or_default();
    assert!(
        accept.starts_with("application/rss+xml, application/atom+xml"),
        "Accept: {accept}"
    );

    // The default user agent names the version.
    assert!(tributary_fetch::default_user_agent().starts_with("Tributary/0."));
}

#[tokio::test]
async fn invalid_user_agent_is_a_config_error() {
    let cfg = FetchConfig {
        user_agent: "bad\nagent".to_owned(),
        ..config()
    };
    let err = Fetcher::new(cfg).unwrap_err();
    assert_eq!(err.code(), "invalid_config");
}

/// Routes for every redirect test.
fn redirect_app() -> Router {
    Router::new()
        .route(
            "/ok/{name}",
            get(|Path(name): Path<String>| async move { format!("final {name}") }),
        )
        // 301 → 200
        .route("/p1", get(|| async { redirect(301, "/ok/p") }))
        // 301 → 302 → 200
        .route("/m1", get(|| async { redirect(301, "/m2") }))
        .route("/m2", get(|| async { redirect(302, "/ok/m") }))
        // 308 → 308 → 200
        .route("/s1", get(|| async { redirect(308, "/s2") }))
        .route("/s2", get(|| async { redirect(308, "/ok/s") }))
        // 307 → 200, and 303 → 200
        .route("/t1", get(|| async { redirect(307, "/ok/t") }))
        .route("/see", get(|| async { redirect(303, "/ok/see") }))
        // 301 → 307 → 301 → 200: one temporary hop is enough to keep the URL
        .route("/x1", get(|| async { redirect(301, "/x2") }))
        .route("/x2", get(|| async { redirect(307, "/x3") }))
        .route("/x3", get(|| async { redirect(301, "/ok/x") }))
        // relative Location
        .route("/dir/rel", get(|| async { redirect(301, "../ok/rel") }))
        // loop
        .route("/loop/a", get(|| async { redirect(302, "/loop/b") }))
        .route("/loop/b", get(|| async { redirect(302, "/loop/a") }))
        .route("/self", get(|| async { redirect(301, "/self") }))
        // n hops
        .route(
            "/hop/{n}",
            get(|Path(n): Path<u32>| async move {
                if n == 0 {
                    reply(200, &[], "landed")
                } else {
                    redirect(301, &format!("/hop/{}", n - 1))
                }
            }),
        )
        .route(
            "/to-ftp",
            get(|| async { redirect(302, "ftp://example.com/feed.xml") }),
        )
        .route("/no-location", get(|| async { reply(302, &[], "") }))
}

#[tokio::test]
async fn permanent_redirect_sets_moved_to() {
    let addr = serve(redirect_app()).await;
    let f = fetcher();

    let resp = f
        .fetch(&url(addr, "/p1"), &Validators::default())
        .await
        .unwrap();
    assert_eq!(resp.final_url, url(addr, "/ok/p"));
    assert_eq!(resp.moved_to, Some(url(addr, "/ok/p")));
    assert_eq!(resp.body.as_deref(), Some(&b"final p"[..]));

    let resp = f
        .fetch(&url(addr, "/s1"), &Validators::default())
        .await
        .unwrap();
    assert_eq!(resp.moved_to, Some(url(addr, "/ok/s")));

    let resp = f
        .fetch(&url(addr, "/dir/rel"), &Validators::default())
        .await
        .unwrap();
    assert_eq!(resp.final_url, url(addr, "/ok/rel"));
    assert_eq!(resp.moved_to, Some(url(addr, "/ok/rel")));
}

#[tokio::test]
async fn temporary_hop_in_chain_clears_moved_to() {
    let addr = serve(redirect_app()).await;
    let f = fetcher();
    for (start, end) in [
        ("/m1", "/ok/m"),
        ("/t1", "/ok/t"),
        ("/see", "/ok/see"),
        ("/x1", "/ok/x"),
    ] {
        let resp = f
            .fetch(&url(addr, start), &Validators::default())
            .await
            .unwrap();
        assert_eq!(resp.final_url, url(addr, end), "{start}");
        assert_eq!(resp.moved_to, None, "{start}");
        assert!(resp.body.is_some(), "{start}");
    }
}

#[tokio::test]
async fn no_redirect_means_no_move() {
    let addr = serve(redirect_app()).await;
    let resp = fetcher()
        .fetch(&url(addr, "/hop/0"), &Validators::default())
        .await
        .unwrap();
    assert_eq!(resp.final_url, url(addr, "/hop/0"));
    assert_eq!(resp.moved_to, None);
}

#[tokio::test]
async fn redirect_loops_are_detected() {
    let addr = serve(redirect_app()).await;
    let f = fetcher();
    for start in ["/loop/a", "/self"] {
        let err = f
            .fetch(&url(addr, start), &Validators::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::RedirectLoop { .. }),
            "{start}: {err:?}"
        );
        assert_eq!(err.code(), "redirect_loop");
    }
}

#[tokio::test]
async fn redirect_hops_are_limited() {
    let addr = serve(redirect_app()).await;
    let f = fetcher();
    assert_eq!(f.config().max_redirects, 10);

    // Exactly the limit is fine…
    let resp = f
        .fetch(&url(addr, "/hop/10"), &Validators::default())
        .await
        .unwrap();
    assert_eq!(resp.body.as_deref(), Some(&b"landed"[..]));
    assert_eq!(resp.moved_to, Some(url(addr, "/hop/0")));

    // …one more is not.
    let err = f
        .fetch(&url(addr, "/hop/11"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooManyRedirects { limit: 10, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "too_many_redirects");
}

#[tokio::test]
async fn redirect_to_other_scheme_is_refused() {
    let addr = serve(redirect_app()).await;
    let err = fetcher()
        .fetch(&url(addr, "/to-ftp"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::UnsupportedScheme { scheme, .. } if scheme == "ftp"),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirect_without_location_is_a_status_error() {
    let addr = serve(redirect_app()).await;
    let err = fetcher()
        .fetch(&url(addr, "/no-location"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 302, .. }),
        "{err:?}"
    );
}

fn status_app() -> Router {
    Router::new()
        .route("/gone", get(|| async { reply(410, &[], "gone") }))
        .route("/missing", get(|| async { reply(404, &[], "not found") }))
        .route(
            "/busy",
            get(|| async { reply(429, &[("retry-after", "120")], "slow down") }),
        )
        .route(
            "/busy-date",
            get(|| async {
                let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
                reply(429, &[("retry-after", &at)], "slow down")
            }),
        )
        .route(
            "/down",
            get(|| async { reply(503, &[("retry-after", "30")], "maintenance") }),
        )
        .route("/forbidden", get(|| async { reply(403, &[], "no") }))
        .route("/moved-gone", get(|| async { redirect(301, "/gone") }))
}

#[tokio::test]
async fn gone_is_its_own_error() {
    let addr = serve(status_app()).await;
    let err = fetcher()
        .fetch(&url(addr, "/gone"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Gone { url: u } if *u == url(addr, "/gone")),
        "{err:?}"
    );
    assert_eq!(err.code(), "http_gone");

    // Gone after a redirect names the URL that answered 410.
    let err = fetcher()
        .fetch(&url(addr, "/moved-gone"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Gone { url: u } if *u == url(addr, "/gone")),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_statuses_carry_retry_after() {
    let addr = serve(status_app()).await;
    let f = fetcher();

    let err = f
        .fetch(&url(addr, "/missing"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::Status {
                status: 404,
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "http_not_found");

    let err = f
        .fetch(&url(addr, "/forbidden"), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "http_client_error");

    let err = f
        .fetch(&url(addr, "/busy"), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "http_too_many_requests");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));

    let err = f
        .fetch(&url(addr, "/busy-date"), &Validators::default())
        .await
        .unwrap_err();
    let delay = err.retry_after().expect("Retry-After as an HTTP-date");
    // HTTP-dates have one-second resolution, and the test takes a moment.
    assert!(
        delay >= Duration::from_secs(110) && delay <= Duration::from_secs(120),
        "{delay:?}"
    );

    let err = f
        .fetch(&url(addr, "/down"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "http_server_error");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
}

fn capped(limit: u64, keep_oversized: bool) -> Fetcher {
    Fetcher::new(FetchConfig {
        max_body_bytes: limit,
        keep_oversized,
        ..config()
    })
    .unwrap()
}

#[tokio::test]
async fn body_over_the_cap_is_refused_without_keep_oversized() {
    let app = Router::new()
        .route("/exact", get(|| async { vec![b'a'; 1000] }))
        .route("/big", get(|| async { vec![b'a'; 1001] }))
        .route(
            // No Content-Length: the cap must hold while streaming.
            "/chunked",
            get(|| async {
                let chunks = (0..20).map(|_| Ok::<_, std::io::Error>(vec![b'b'; 100]));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        );
    let addr = serve(app).await;
    let f = capped(1000, false);

    let resp = f
        .fetch(&url(addr, "/exact"), &Validators::default())
        .await
        .unwrap();
    assert_eq!(resp.body.map(|b| b.len()), Some(1000));
    assert!(!resp.truncated);

    // With keep_oversized (the default) the same bodies come back cut.
    let keep = capped(1000, true);
    assert!(FetchConfig::default().keep_oversized);
    for (path, byte) in [("/exact", b'a'), ("/big", b'a'), ("/chunked", b'b')] {
        let resp = keep
            .fetch(&url(addr, path), &Validators::default())
            .await
            .unwrap();
        let body = resp.body.expect("a body");
        assert_eq!(body.len(), 1000, "{path}");
        assert!(body.iter().all(|&b| b == byte), "{path}");
        assert_eq!(resp.truncated, path != "/exact", "{path}");
    }

    for path in ["/big", "/chunked"] {
        let err = f
            .fetch(&url(addr, path), &Validators::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 1000, .. }),
            "{path}: {err:?}"
        );
        assert_eq!(err.code(), "body_too_large");
    }
}

#[tokio::test]
async fn gzip_bomb_is_cut_off() {
    let bomb = gzip(&vec![0u8; 16 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024, "bomb is {} bytes", bomb.len());
    let app = Router::new().route(
        "/bomb",
        get(move || {
            let bomb = bomb.clone();
            async move { reply(200, &[("content-encoding", "gzip")], bomb) }
        }),
    );
    let addr = serve(app).await;
    let resp = capped(1024 * 1024, true)
        .fetch(&url(addr, "/bomb"), &Validators::default())
        .await
        .unwrap();
    assert!(resp.truncated);
    assert_eq!(resp.body.map(|b| b.len()), Some(1024 * 1024));
    let err = capped(1024 * 1024, false)
        .fetch(&url(addr, "/bomb"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err:?}"
    );
}

fn impatient() -> Fetcher {
    Fetcher::new(FetchConfig {
        total_timeout: Duration::from_millis(300),
        ..config()
    })
    .unwrap()
}

#[tokio::test]
async fn slow_server_times_out() {
    let app = Router::new()
        .route(
            "/slow-headers",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/slow-body",
            get(|| async {
                let first =
                    futures::stream::once(async { Ok::<_, std::io::Error>(b"<rss>".to_vec()) });
                let stall = futures::stream::once(async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok::<_, std::io::Error>(b"</rss>".to_vec())
                });
                Body::from_stream(futures::StreamExt::chain(first, stall))
            }),
        );
    let addr = serve(app).await;
    let f = impatient();
    for path in ["/slow-headers", "/slow-body"] {
        let started = std::time::Instant::now();
        let err = f
            .fetch(&url(addr, path), &Validators::default())
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Timeout { .. }), "{path}: {err:?}");
        assert_eq!(err.code(), "timeout");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn connection_refused_is_a_clear_transport_error() {
    // Bind then drop: the port is free and nothing listens on it.
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let err = fetcher()
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await
        .unwrap_err();
    match &err {
        FetchError::Transport { message, .. } => {
            assert!(
                message.to_lowercase().contains("refused"),
                "message: {message}"
            );
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(err.code(), "network_error");
}

#[tokio::test]
async fn unknown_host_is_a_dns_error() {
    let err = fetcher()
        .fetch(
            &Url::parse("http://no-such-host.invalid/feed").unwrap(),
            &Validators::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Dns { .. }), "{err:?}");
    assert_eq!(err.code(), "dns_failed");
}

/// A server that counts the requests it receives.
async fn counting_server() -> (SocketAddr, Arc<Mutex<usize>>) {
    let count = Arc::new(Mutex::new(0usize));
    let counter = count.clone();
    let app = Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            *counter.lock().unwrap() += 1;
            "secret"
        }
    });
    (serve(app).await, count)
}

#[tokio::test]
async fn guard_blocks_loopback_literals_and_names() {
    let (addr, count) = counting_server().await;
    let port = addr.port();
    let guarded = Fetcher::new(FetchConfig {
        allow_private_networks: false,
        ..config()
    })
    .unwrap();

    for (target, shown) in [
        (format!("http://127.0.0.1:{port}/"), "127.0.0.1"),
        (format!("http://127.1:{port}/"), "127.0.0.1"),
        (format!("http://2130706433:{port}/"), "127.0.0.1"),
        (format!("http://0x7f000001:{port}/"), "127.0.0.1"),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            "::ffff:127.0.0.1",
        ),
        (format!("http://localhost:{port}/"), "127.0.0.1"),
    ] {
        let target = Url::parse(&target).unwrap();
        let err = guarded
            .fetch(&target, &Validators::default())
            .await
            .unwrap_err();
        match &err {
            FetchError::Blocked { addr, range, .. } => {
                // localhost may resolve to ::1 first on some systems.
                assert!(addr == shown || addr == "::1", "{target}: addr {addr}");
                assert_eq!(*range, "loopback", "{target}");
            }
            other => panic!("{target}: expected Blocked, got {other:?}"),
        }
        assert_eq!(err.code(), "address_blocked");
        assert!(err.to_string().contains("allow_private_networks"), "{err}");
    }
    assert_eq!(
        *count.lock().unwrap(),
        0,
        "a blocked request reached the server"
    );

    // The same targets pass with the guard off, by literal and by name.
    let open = fetcher();
    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let resp = open
            .fetch(&Url::parse(&target).unwrap(), &Validators::default())
            .await
            .unwrap();
        assert_eq!(resp.body.as_deref(), Some(&b"secret"[..]), "{target}");
    }
    assert_eq!(*count.lock().unwrap(), 2);
}
