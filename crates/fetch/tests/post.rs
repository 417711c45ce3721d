//! `Fetcher::post_form` against a real HTTP server on loopback: the form
//! arrives as sent, statuses (redirects included) come back as they are, the
//! body is cut at 64 KiB, and the SSRF guard refuses loopback unless private
//! networks are allowed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Form, Router};
use tributary_fetch::{FetchConfig, FetchError, Fetcher, POST_BODY_LIMIT};
use url::Url;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

fn fetcher(allow_private_networks: bool) -> Fetcher {
    Fetcher::new(FetchConfig {
        allow_private_networks,
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
    .unwrap()
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

type Seen = Arc<Mutex<Vec<(Option<String>, HashMap<String, String>)>>>;

#[tokio::test]
async fn form_fields_arrive_and_the_status_comes_back() {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/hub",
        post(
            move |headers: HeaderMap, Form(form): Form<HashMap<String, String>>| {
                let log = log.clone();
                async move {
                    let ct = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    log.lock().unwrap().push((ct, form));
                    (axum::http::StatusCode::ACCEPTED, "queued")
                }
            },
        ),
    );
    let addr = serve(app).await;

    let resp = fetcher(true)
        .post_form(
            &url(addr, "/hub"),
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", "http://example.com/feed?a=1&b=é"),
                ("hub.callback", "http://me.example/cb/x y"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 202);
    assert!(resp.is_success());
    assert_eq!(resp.body, "queued");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (ct, form) = &seen[0];
    assert_eq!(ct.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(form["hub.mode"], "subscribe");
    assert_eq!(form["hub.topic"], "http://example.com/feed?a=1&b=é");
    assert_eq!(form["hub.callback"], "http://me.example/cb/x y");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let hits = Arc::new(Mutex::new(0u32));
    let count = hits.clone();
    let app = Router::new()
        .route(
            "/old",
            post(|| async {
                (
                    axum::http::StatusCode::TEMPORARY_REDIRECT,
                    [("location", "/new")],
                    "moved",
                )
            }),
        )
        .route(
            "/new",
            post(move || {
                let count = count.clone();
                async move {
                    *count.lock().unwrap() += 1;
                    "new"
                }
            }),
        );
    let addr = serve(app).await;
    let resp = fetcher(true)
        .post_form(&url(addr, "/old"), &[("a", "b")])
        .await
        .unwrap();
    assert_eq!(resp.status, 307);
    assert_eq!(resp.location.as_deref(), Some("/new"));
    assert!(!resp.is_success());
    assert_eq!(
        *hits.lock().unwrap(),
        0,
        "the redirect must not be followed"
    );
}

#[tokio::test]
async fn error_bodies_are_kept_up_to_the_limit() {
    let app = Router::new().route(
        "/big",
        post(|| async {
            (
                axum::http::StatusCode::BAD_REQUEST,
                "x".repeat(POST_BODY_LIMIT * 3),
            )
        }),
    );
    let addr = serve(app).await;
    let resp = fetcher(true)
        .post_form(&url(addr, "/big"), &[])
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body.len(), POST_BODY_LIMIT);
}

#[tokio::test]
async fn guard_refuses_loopback_unless_allowed() {
    let hits = Arc::new(Mutex::new(0u32));
    let count = hits.clone();
    let app = Router::new().route(
        "/hub",
        post(move || {
            let count = count.clone();
            async move {
                *count.lock().unwrap() += 1;
                "ok"
            }
        }),
    );
    let addr = serve(app).await;

    match fetcher(false)
        .post_form(&url(addr, "/hub"), &[("a", "b")])
        .await
    {
        Err(FetchError::Blocked { range, .. }) => assert_eq!(range, "loopback"),
        other => panic!("expected Blocked, got {other:?}"),
    }
    // A name that resolves to loopback is refused by the resolver.
    let named = Url::parse(&format!("http://localhost:{}/hub", addr.port())).unwrap();
    match fetcher(false).post_form(&named, &[("a", "b")]).await {
        Err(FetchError::Blocked { range, .. }) => assert_eq!(range, "loopback"),
        other => panic!("expected Blocked, got {other:?}"),
    }
    assert_eq!(*hits.lock().unwrap(), 0);

    let ok = fetcher(true)
        .post_form(&url(addr, "/hub"), &[("a", "b")])
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(*hits.lock().unwrap(), 1);
}

#[tokio::test]
async fn slow_hub_times_out() {
    let app = Router::new().route(
        "/slow",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let addr = serve(app).await;
    let quick = Fetcher::new(FetchConfig {
        allow_private_networks: true,
        total_timeout: Duration::from_millis(300),
        ..FetchConfig::default()
    })
    .unwrap();
    assert!(matches!(
        quick.post_form(&url(addr, "/slow"), &[]).await,
        Err(FetchError::Timeout { .. })
    ));
}
