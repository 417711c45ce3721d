//! `/metrics` and `/healthz` over real HTTP.

mod common;

use std::time::Duration;

use common::{seed, Server};
use reqwest::StatusCode;
use tributary_refresh::FeedOutcome;

/// The value of the sample `name{labels}` (exact line prefix) in the text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn metrics_parse_and_count_requests_and_fetches() {
    let server = Server::start().await;
    let ann = server.user("ann", "correct horse", false).await;
    seed(
        &server.store,
        ann.id,
        "https://ann.example/feed",
        None,
        4,
        chrono::Utc::now(),
    )
    .await;
    for _ in 0..3 {
        server
            .client()
            .get(server.url("/login"))
            .send()
            .await
            .unwrap();
    }
    server
        .client()
        .get(server.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    server.state.metrics.record_fetch(
        &FeedOutcome::Fetched { new: 4, updated: 0 },
        Duration::from_millis(120),
    );
    server.state.metrics.set_queue(5, 2);

    let r = server
        .client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();

    // Every line is a comment or `name{labels} value`.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        assert!(value.parse::<f64>().is_ok(), "value of {line:?}");
        let name = series.split('{').next().unwrap();
        assert!(name.starts_with("tributary_"), "{line:?}");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line:?}"
        );
    }
    assert_eq!(
        sample(
            &text,
            "tributary_http_requests_total{method=\"GET\",route=\"/login\",status=\"200\"}"
        ),
        Some(3.0),
        "{text}"
    );
    // An unknown URL is counted, but not by its raw path.
    assert!(!text.contains("/no/such/thing"));
    assert_eq!(
        sample(
            &text,
            "tributary_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "tributary_fetches_total{outcome=\"fetched\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "tributary_fetches_total{outcome=\"failed\"}"),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "tributary_fetch_duration_seconds_count"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "tributary_fetch_in_flight"), Some(2.0));
    assert_eq!(sample(&text, "tributary_entries"), Some(4.0));
    assert_eq!(sample(&text, "tributary_users"), Some(1.0));
    assert_eq!(sample(&text, "tributary_feeds{status=\"ok\"}"), Some(1.0));
    assert_eq!(
        sample(&text, "tributary_feeds{status=\"error\"}"),
        Some(0.0)
    );
    assert!(text.contains("tributary_http_request_duration_seconds_bucket{"));

    // OpenMetrics when asked for.
    let r = server
        .client()
        .get(server.url("/metrics"))
        .header("Accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(r.text().await.unwrap().trim_end().ends_with("# EOF"));

    // The scrape itself was counted.
    let text = server
        .client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sample(
            &text,
            "tributary_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}"
        )
        .unwrap()
            >= 2.0
    );
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let server = Server::start().await;
    let r = server
        .client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v, serde_json::json!({"status": "ok", "database": "ok"}));

    server.store.close().await;
    let r = server
        .client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "error");
    assert!(!v["database"].as_str().unwrap().is_empty());
}
