//! The media proxy and tracker removal, over real HTTP on loopback: a real
//! media server (axum on 127.0.0.1) and the real Tributary server.
//!
//! * the proxy refuses missing, forged, truncated and expired signatures;
//! * the SSRF guard refuses private and loopback targets — by address, by
//!   DNS name and after a redirect — unless the test's fetch policy allows
//!   the media server's address (`allowed_networks = 127.0.0.1/32`);
//! * over-size and wrong-type answers are refused, ranges pass, no cookie
//!   or referrer of the reader reaches the media server;
//! * entries served by the UI and by each reader API (Google Reader, Fever,
//!   Miniflux) carry signed proxy URLs that work, without trackers and
//!   `utm_*`; a user who switches the proxy off gets the originals.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use common::Server;
use tributary_model::{Enclosure, FeedMeta, NewEntry, UserId};
use tributary_privacy::Signer;
use tributary_store::{FeedSelector, FetchSuccess, NewSubscription};
use tributary_web::privacy::{load_signer, PrivacyConfig, ProxyMode};
use tributary_web::WebConfig;

const PW: &str = "correct horse battery";
/// The bytes of the test image (the PNG signature and some more).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-the-test-image-";
/// The image limit of the test server.
const LIMIT: u64 = 64 * 1024;

/// What the media server saw: path and request headers of every request.
type Seen = Arc<Mutex<Vec<(String, HeaderMap)>>>;

/// A media server on 127.0.0.1.
struct Media {
    addr: SocketAddr,
    seen: Seen,
}

impl Media {
    async fn start() -> Media {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let app = Router::new()
            .route(
                "/img.png",
                get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
            )
            .route(
                "/page.html",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        "<script>alert(1)</script>",
                    )
                }),
            )
            .route(
                "/logo.svg",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "image/svg+xml")],
                        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
                    )
                }),
            )
            .route(
                "/big.png",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "image/png")],
                        vec![0u8; 2 * LIMIT as usize],
                    )
                }),
            )
            .route(
                "/big-stream.png",
                get(|| async {
                    let chunks = (0..32).map(|_| Ok::<_, std::io::Error>(vec![0u8; 8 * 1024]));
                    (
                        [(header::CONTENT_TYPE, "image/png")],
                        Body::from_stream(futures::stream::iter(chunks)),
                    )
                }),
            )
            .route("/audio.mp3", get(audio))
            .route(
                "/to-private",
                get(|headers: HeaderMap| async move {
                    let port = host_port(&headers);
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, format!("http://127.0.0.2:{port}/img.png"))],
                    )
                }),
            )
            .route(
                "/to-img",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/img.png")]) }),
            )
            .layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    let log = log.clone();
                    async move {
                        log.lock()
                            .unwrap()
                            .push((req.uri().path().to_owned(), req.headers().clone()));
                        next.run(req).await
                    }
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Media { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self, path: &str) -> Vec<HeaderMap> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, h)| h.clone())
            .collect()
    }
}

fn host_port(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default()
}

/// 1000 bytes of "audio", with `Range: bytes=A-B` support.
async fn audio(headers: HeaderMap) -> Response {
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
    match range {
        Some((a, b)) if a <= b && b < data.len() => (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, "audio/mpeg".to_owned()),
                (header::ACCEPT_RANGES, "bytes".to_owned()),
                (
                    header::CONTENT_RANGE,
                    format!("bytes {a}-{b}/{}", data.len()),
                ),
            ],
            data[a..=b].to_vec(),
        )
            .into_response(),
        _ => (
            [
                (header::CONTENT_TYPE, "audio/mpeg".to_owned()),
                (header::ACCEPT_RANGES, "bytes".to_owned()),
            ],
            data,
        )
            .into_response(),
    }
}

fn privacy(mode: ProxyMode) -> PrivacyConfig {
    PrivacyConfig {
        media_proxy: mode,
        max_bytes: LIMIT,
        max_media_bytes: 4096,
        url_ttl: Duration::from_secs(3600),
        ..PrivacyConfig::default()
    }
}

/// A server with the proxy in `mode` whose fetch policy allows exactly
/// 127.0.0.1 (the media server) among the private addresses.
async fn server(mode: ProxyMode) -> Server {
    let fetch = tributary_fetch::FetchConfig {
        allowed_networks: vec!["127.0.0.1/32".parse().unwrap()],
        total_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    Server::start_configured(
        |_| WebConfig {
            privacy: privacy(mode),
            ..WebConfig::default()
        },
        Some(fetch),
    )
    .await
}

async fn signer(s: &Server) -> Signer {
    load_signer(&s.store, &s.state.config.privacy)
        .await
        .unwrap()
}

fn now() -> u64 {
    tributary_web::privacy::unix_now()
}

/// GET `path` on `s` (no session).
async fn get_path(s: &Server, path: &str) -> reqwest::Response {
    s.client().get(s.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn the_proxy_serves_only_signed_unexpired_urls() {
    let media = Media::start().await;
    let s = server(ProxyMode::Images).await;
    let signer = signer(&s).await;
    let img = media.url("/img.png");

    // Signed: the image, with its type, a cache lifetime and a sandbox.
    let path = signer.path(&img, now() + 600);
    let r = get_path(&s, &path).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("sandbox") && csp.starts_with("default-src 'none'"),
        "{csp}"
    );
    let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let age: u64 = cache.rsplit('=').next().unwrap().parse().unwrap();
    assert!((500..=600).contains(&age), "{cache}");
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);

    let (sig, exp, target) = tributary_privacy::signing::split_path(&path).unwrap();
    let refusals = [
        // No signature at all: an unsigned URL in the proxy's shape.
        format!("/proxy/unsigned/{exp}/{target}"),
        // Forged: signed by another key.
        Signer::new("someone else's secret key")
            .unwrap()
            .path(&img, now() + 600),
        // Truncated signature.
        format!("/proxy/{}/{exp}/{target}", &sig[..sig.len() - 4]),
        // Another target under a real signature.
        format!(
            "/proxy/{sig}/{exp}/{}",
            tributary_privacy::signing::split_path(&signer.path(&media.url("/page.html"), 1))
                .unwrap()
                .2
        ),
        // A later expiry under a real signature.
        format!("/proxy/{sig}/{}/{target}", now() + 999_999),
        // Expired.
        signer.path(&img, now() - 1),
        // Junk expiry.
        format!("/proxy/{sig}/soon/{target}"),
    ];
    for path in &refusals {
        let r = get_path(&s, path).await;
        assert_eq!(r.status(), 403, "{path}");
        let text = r.text().await.unwrap();
        assert!(
            text.starts_with("Refused by the media proxy: "),
            "{path}: {text}"
        );
    }
    let expired = get_path(&s, &signer.path(&img, now() - 1))
        .await
        .text()
        .await
        .unwrap();
    assert!(expired.contains("expired"), "{expired}");
    let forged = get_path(&s, &refusals[1]).await.text().await.unwrap();
    assert!(forged.contains("signature"), "{forged}");
    // Not the proxy's shape: no such route.
    assert_eq!(get_path(&s, "/proxy/").await.status(), 404);
    assert_eq!(
        get_path(&s, &format!("/proxy/{sig}/{exp}")).await.status(),
        404
    );
    // Only the signed request reached the media server.
    assert_eq!(media.requests("/img.png").len(), 1);
    assert!(media.requests("/page.html").is_empty());
}

#[tokio::test]
async fn the_proxy_is_404_when_the_instance_has_it_off() {
    let media = Media::start().await;
    let s = server(ProxyMode::Off).await;
    let path = signer(&s).await.path(&media.url("/img.png"), now() + 600);
    let r = get_path(&s, &path).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("media proxy is off"));
    assert!(media.requests("/img.png").is_empty());
}

#[tokio::test]
async fn private_addresses_are_refused_directly_by_name_and_after_redirects() {
    let media = Media::start().await;
    let s = server(ProxyMode::Images).await;
    let signer = signer(&s).await;
    let port = media.addr.port();
    // 127.0.0.2 is loopback and not in the allowed network.
    for url in [
        format!("http://127.0.0.2:{port}/img.png"),
        format!("http://[::1]:{port}/img.png"),
        format!("http://10.0.0.1:{port}/img.png"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        media.url("/to-private"),
    ] {
        let r = get_path(&s, &signer.path(&url, now() + 600)).await;
        assert_eq!(r.status(), 403, "{url}");
        let text = r.text().await.unwrap();
        assert!(text.contains("refused to connect"), "{url}: {text}");
    }
    // A redirect within the allowed network is followed.
    let r = get_path(&s, &signer.path(&media.url("/to-img"), now() + 600)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);

    // A server whose policy allows no private network at all refuses the
    // media server by address and by a name that resolves to loopback.
    let strict = Server::start_configured(
        |_| WebConfig {
            privacy: privacy(ProxyMode::Images),
            ..WebConfig::default()
        },
        Some(tributary_fetch::FetchConfig::default()),
    )
    .await;
    let strict_signer = load_signer(&strict.store, &strict.state.config.privacy)
        .await
        .unwrap();
    for url in [
        media.url("/img.png"),
        format!("http://localhost:{port}/img.png"),
    ] {
        let r = get_path(&strict, &strict_signer.path(&url, now() + 600)).await;
        assert_eq!(r.status(), 403, "{url}");
        assert!(
            r.text().await.unwrap().contains("refused to connect"),
            "{url}"
        );
    }
    let before = media.requests("/img.png").len();
    assert_eq!(
        before, 1,
        "only the allowed redirect's hop reached the image"
    );
}

#[tokio::test]
async fn size_type_and_header_limits() {
    let media = Media::start().await;
    let s = server(ProxyMode::Images).await;
    let signer = signer(&s).await;
    let get_signed = |url: String| {
        let path = signer.path(&url, now() + 600);
        let s = &s;
        async move { get_path(s, &path).await }
    };

    // Announced too large.
    let r = get_signed(media.url("/big.png")).await;
    assert_eq!(r.status(), 413);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(&format!("limit of {LIMIT} bytes")));
    // Too large without an announced length: cut, never served whole.
    let r = get_signed(media.url("/big-stream.png")).await;
    let got = r.bytes().await.map(|b| b.len() as u64).unwrap_or(0);
    assert!(got <= LIMIT, "streamed {got} bytes past the limit");

    // Wrong types: HTML, and audio while only images are proxied.
    for path in ["/page.html", "/audio.mp3"] {
        let r = get_signed(media.url(path)).await;
        assert_eq!(r.status(), 403, "{path}");
        let text = r.text().await.unwrap();
        assert!(text.contains("serves only images"), "{path}: {text}");
    }
    // SVG: served, under a sandbox, as SVG.
    let r = get_signed(media.url("/logo.svg")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");

    // Nothing of the reader reaches the media server.
    let path = signer.path(&media.url("/img.png"), now() + 600);
    let r = s
        .client()
        .get(s.url(&path))
        .header("cookie", "session=reader-secret")
        .header("referer", "https://news.example/entry/1")
        .header("user-agent", "ReaderBrowser/1.0")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = media.requests("/img.png");
    let h = seen.last().unwrap();
    for name in ["cookie", "referer", "x-forwarded-for", "authorization"] {
        assert!(
            h.get(name).is_none(),
            "{name} reached the media server: {h:?}"
        );
    }
    assert!(
        h["user-agent"].to_str().unwrap().starts_with("Tributary/"),
        "{h:?}"
    );
}

#[tokio::test]
async fn audio_passes_in_ranges_with_media_proxy_all_and_obeys_its_limit() {
    let media = Media::start().await;
    let s = server(ProxyMode::All).await;
    let signer = signer(&s).await;
    let path = signer.path(&media.url("/audio.mp3"), now() + 600);
    let r = s
        .client()
        .get(s.url(&path))
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(r.headers()["content-type"], "audio/mpeg");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), (10..20u8).collect::<Vec<_>>().as_slice());
    let sent = media.requests("/audio.mp3");
    assert_eq!(sent.last().unwrap()["range"], "bytes=10-19");
    // The whole file (1000 bytes) is within the media limit (4096).
    let r = get_path(&s, &path).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 1000);
    // Still never HTML.
    let r = get_path(&s, &signer.path(&media.url("/page.html"), now() + 600)).await;
    assert_eq!(r.status(), 403);
}

/// An entry with an external image, a tracker pixel, a tracking link and
/// an audio enclosure, in a feed `user` follows. Returns its id.
async fn seed_entry(s: &Server, user: UserId, media: &Media) -> i64 {
    let feed_url = "https://blog.example/feed.xml";
    s.store
        .subscribe(
            user,
            &[NewSubscription {
                url: feed_url.to_owned(),
                title: Some("Blog".to_owned()),
                site_url: None,
                category: Vec::new(),
            }],
        )
        .await
        .unwrap();
    let feed = s
        .store
        .feeds_to_fetch(&FeedSelector::Urls(vec![feed_url.to_owned()]))
        .await
        .unwrap()[0]
        .id;
    let content = format!(
        r#"<p>Hello<img src="{img}" alt="photo" width="600" height="400"><img src="http://feeds.feedburner.com/~r/Blog/~4/abc" height="1" width="1" alt=""><img src="{pixel}" width="1" height="1"></p><p><a href="https://blog.example/other?utm_source=rss&amp;utm_medium=feed&amp;id=7">more</a></p>"#,
        img = media.url("/img.png"),
        pixel = media.url("/pixel.gif"),
    );
    let now = Utc::now();
    let link = "https://blog.example/post?utm_campaign=x&fbclid=y";
    s.store
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
                entries: vec![NewEntry {
                    key: "guid:post".to_owned(),
                    guid: Some("post".to_owned()),
                    url: Some(link.to_owned()),
                    canonical_url: Some("https://blog.example/post".to_owned()),
                    title: "A post with a photo".to_owned(),
                    author: None,
                    content_html: Some(content),
                    summary_html: None,
                    excerpt: "Hello".to_owned(),
                    published: now,
                    published_from_feed: true,
                    updated: None,
                    enclosures: vec![Enclosure {
                        url: media.url("/audio.mp3"),
                        mime_type: Some("audio/mpeg".to_owned()),
                        length: Some(1000),
                        duration_secs: None,
                    }],
                    categories: Vec::new(),
                    content_hash: "h".to_owned(),
                }],
            },
        )
        .await
        .unwrap();
    s.store
        .entries(user, &Default::default())
        .await
        .unwrap()
        .items[0]
        .entry
        .id
        .0
}

/// Every proxy URL in `text` (absolute or a path), unescaped.
fn proxy_urls(text: &str) -> Vec<String> {
    let text = common::unescape(&text.replace("\\/", "/"));
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("/proxy/") {
        let start = rest[..i].rfind(['"', ' ', '>']).map_or(0, |j| j + 1);
        let tail = &rest[i..];
        let end = tail.find(['"', ' ', ',', '<', '\\']).unwrap_or(tail.len());
        out.push(format!("{}{}", &rest[start..i], &tail[..end]));
        rest = &tail[end..];
    }
    out
}

/// Check what one served text carries: proxy URLs of our server that work
/// and point at the image (and, with `audio`, at the enclosure), no
/// direct media URL, no tracker, no tracking parameter.
async fn check_served(what: &str, s: &Server, text: &str, media: &Media, audio: bool) {
    let signer = signer(s).await;
    let urls = proxy_urls(text);
    assert!(!urls.is_empty(), "{what}: no proxy URL in {text}");
    let targets: Vec<String> = urls
        .iter()
        .map(|u| {
            signer
                .verify_path(u, now())
                .unwrap_or_else(|e| panic!("{what}: {u}: {e}"))
                .to_string()
        })
        .collect();
    assert!(
        targets.contains(&media.url("/img.png")),
        "{what}: {targets:?}"
    );
    if audio {
        assert!(
            targets.contains(&media.url("/audio.mp3")),
            "{what}: {targets:?}"
        );
    }
    let unescaped = common::unescape(&text.replace("\\/", "/"));
    let mut direct = vec![media.url("/img.png")];
    if audio {
        direct.push(media.url("/audio.mp3"));
    }
    for url in direct {
        for attr in ["src=\"", "href\":\"", "\"url\":\""] {
            let direct = format!("{attr}{url}");
            assert!(
                !unescaped.contains(&direct),
                "{what}: direct {direct} in {unescaped}"
            );
        }
    }
    for gone in ["feedburner", "pixel.gif", "utm_", "fbclid"] {
        assert!(!unescaped.contains(gone), "{what}: {gone} in {unescaped}");
    }
    assert!(
        unescaped.contains("https://blog.example/other?id=7"),
        "{what}: {unescaped}"
    );
    // The image URL works, for a client without any session.
    let image = urls
        .iter()
        .zip(&targets)
        .find(|(_, t)| **t == media.url("/img.png"))
        .map(|(u, _)| u.clone())
        .unwrap();
    let url = if image.starts_with("http") {
        image
    } else {
        s.url(&image)
    };
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200, "{what}: {url}");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG, "{what}");
}

#[tokio::test]
async fn served_entries_carry_working_proxy_urls_and_no_trackers() {
    let media = Media::start().await;
    let s = server(ProxyMode::All).await;
    let user = s.user("ann", PW, false).await;
    let id = seed_entry(&s, user.id, &media).await;

    // The UI's entry page, and its policy.
    let ui = s.login("ann", PW).await;
    let r = ui.get(s.url(&format!("/entry/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data:;") && csp.contains("media-src 'self';"),
        "{csp}"
    );
    common::assert_security_headers("entry page", &r);
    let page = r.text().await.unwrap();
    check_served("UI entry", &s, &page, &media, true).await;
    assert!(
        common::unescape(&page).contains("href=\"https://blog.example/post\""),
        "the entry's link is cleaned"
    );

    // The listing's "Original" link.
    let list = common::unescape(
        &ui.get(s.url("/all"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(list.contains("https://blog.example/post\""), "{list}");
    assert!(!list.contains("utm_campaign"), "{list}");

    let secret = tributary_web::auth::api_keys::create(&s.store, &user, "apps")
        .await
        .unwrap()
        .secret;
    // Google Reader.
    let auth = s.greader_auth("ann", &secret).await;
    let gr = s
        .client()
        .get(s.url("/api/greader/reader/api/0/stream/contents/user/-/state/com.google/reading-list?output=json"))
        .header("authorization", format!("GoogleLogin auth={auth}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gr.status(), 200);
    let gr = gr.text().await.unwrap();
    check_served("Google Reader", &s, &gr, &media, true).await;
    assert!(
        proxy_urls(&gr)
            .iter()
            .all(|u| u.starts_with(&s.url("/proxy/"))),
        "absolute for apps"
    );

    // Fever.
    let key = tributary_web::auth::api_keys::fever_key("ann", &secret);
    let fever = s
        .client()
        .post(s.url("/api/fever/?api&items"))
        .form(&[("api_key", key.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    check_served("Fever", &s, &fever, &media, false).await;

    // Miniflux.
    let v1 = s
        .client()
        .get(s.url("/v1/entries"))
        .header("x-auth-token", &secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    check_served("Miniflux", &s, &v1, &media, true).await;
    let one = s
        .client()
        .get(s.url(&format!("/v1/entries/{id}")))
        .header("x-auth-token", &secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    check_served("Miniflux entry", &s, &one, &media, true).await;

    // The entry was stored as the feed sent it: the rewrite is at serve time.
    let stored = s
        .store
        .entry_for_user(user.id, tributary_model::EntryId(id))
        .await
        .unwrap()
        .unwrap()
        .entry
        .content_html
        .unwrap();
    assert!(stored.contains("feedburner") && stored.contains(&media.url("/img.png")));
}

#[tokio::test]
async fn a_user_can_switch_the_proxy_off_and_on_again() {
    let media = Media::start().await;
    let s = server(ProxyMode::Images).await;
    let user = s.user("bob", PW, false).await;
    let id = seed_entry(&s, user.id, &media).await;
    let ui = s.login("bob", PW).await;
    let csrf = s.csrf(&ui).await;

    let page = ui.get(s.url("/settings/privacy")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("value=\"on\" checked"),
        "on by default: {page}"
    );
    let account = ui
        .get(s.url("/settings/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("href=\"/settings/privacy\""),
        "the account page links to it"
    );

    // Without the CSRF token: refused.
    let r = ui
        .post(s.url("/settings/privacy"))
        .form(&[("media_proxy", "off")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A wrong value: 400 naming the field.
    let r = ui
        .post(s.url("/settings/privacy"))
        .form(&[("media_proxy", "maybe"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("media_proxy=on or media_proxy=off"));

    let r = ui
        .post(s.url("/settings/privacy"))
        .form(&[("media_proxy", "off"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = ui.get(s.url(&format!("/entry/{id}"))).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("img-src * data:;"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(proxy_urls(&page).is_empty(), "{page}");
    assert!(common::unescape(&page).contains(&format!("src=\"{}", media.url("/img.png"))));
    // Trackers are still removed: that is the instance's, not the proxy's.
    assert!(
        !page.contains("feedburner") && !page.contains("utm_"),
        "{page}"
    );

    let r = ui
        .post(s.url("/settings/privacy"))
        .form(&[("media_proxy", "on"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = ui
        .get(s.url(&format!("/entry/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    check_served("UI after switching on", &s, &page, &media, false).await;
    // Images only: the enclosure's audio stays direct.
    assert!(common::unescape(&page).contains(&format!("src=\"{}", media.url("/audio.mp3"))));
}

#[tokio::test]
async fn without_the_proxy_and_without_stripping_entries_are_served_as_stored() {
    let media = Media::start().await;
    let s = Server::start_with(WebConfig {
        privacy: PrivacyConfig {
            strip_trackers: false,
            ..PrivacyConfig::default()
        },
        ..WebConfig::default()
    })
    .await;
    let user = s.user("cy", PW, false).await;
    let id = seed_entry(&s, user.id, &media).await;
    let ui = s.login("cy", PW).await;
    let page = ui
        .get(s.url(&format!("/entry/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("feedburner") && page.contains("utm_source"),
        "{page}"
    );
    assert!(proxy_urls(&page).is_empty());
    let settings = ui
        .get(s.url("/settings/privacy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains("has no media proxy"), "{settings}");
}
