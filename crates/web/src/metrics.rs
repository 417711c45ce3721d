//! `/healthz` and `/metrics` (Prometheus text format), and the middleware
//! that times every request.
//!
//! Metrics:
//! - `tributary_fetches_total{outcome="fetched|not_modified|failed"}` and
//!   `tributary_fetch_duration_seconds` (histogram), from [`Metrics::record_fetch`];
//! - `tributary_fetch_queue_due`, `tributary_fetch_in_flight`, from
//!   [`Metrics::set_queue`] (`due` is also refreshed from the store at scrape);
//! - `tributary_entries`, `tributary_feeds{status}`, `tributary_users`, read
//!   from `Store::counts` when `/metrics` is scraped;
//! - `tributary_http_requests_total{method,route,status}` and
//!   `tributary_http_request_duration_seconds{method,route}`, labelled by the
//!   matched route (`/feeds/{file}`), never by the raw URL.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tributary_model::FeedStatus;
use tributary_refresh::FeedOutcome;

use crate::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    method: String,
    route: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn fetch_histogram() -> Histogram {
    // 10 ms … ~82 s
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

fn request_histogram() -> Histogram {
    // 0.5 ms … ~4 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

/// The registry and the server's own metrics. Fetch metrics are recorded
/// through [`Metrics::record_fetch`] by whoever runs the scheduler.
pub struct Metrics {
    registry: Registry,
    fetches: Family<OutcomeLabels, Counter>,
    fetch_duration: Histogram,
    entries: Gauge,
    feeds: Family<StatusLabels, Gauge>,
    users: Gauge,
    queue_due: Gauge,
    in_flight: Gauge,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<LatencyLabels>,
}

impl Metrics {
    /// A registry with every metric registered at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let fetches = Family::<OutcomeLabels, Counter>::default();
        for outcome in ["fetched", "not_modified", "failed"] {
            let _ = fetches.get_or_create(&OutcomeLabels { outcome });
        }
        registry.register(
            "tributary_fetches",
            "Feed fetches by outcome",
            fetches.clone(),
        );
        let fetch_duration = fetch_histogram();
        registry.register(
            "tributary_fetch_duration_seconds",
            "Time of one feed fetch (fetch, parse, store)",
            fetch_duration.clone(),
        );
        let entries = Gauge::default();
        registry.register("tributary_entries", "Entries stored", entries.clone());
        let feeds = Family::<StatusLabels, Gauge>::default();
        registry.register("tributary_feeds", "Feeds by status", feeds.clone());
        let users = Gauge::default();
        registry.register("tributary_users", "User accounts", users.clone());
        let queue_due = Gauge::default();
        registry.register(
            "tributary_fetch_queue_due",
            "Feeds due for fetching",
            queue_due.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "tributary_fetch_in_flight",
            "Fetches running now",
            in_flight.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "tributary_http_requests",
            "HTTP requests by method, matched route and status",
            requests.clone(),
        );
        let request_duration: HistogramFamily<LatencyLabels> =
            Family::new_with_constructor(request_histogram);
        registry.register(
            "tributary_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and matched route",
            request_duration.clone(),
        );
        Metrics {
            registry,
            fetches,
            fetch_duration,
            entries,
            feeds,
            users,
            queue_due,
            in_flight,
            requests,
            request_duration,
        }
    }

    /// Count one fetch by its outcome and time it (called by the scheduler's
    /// observer for every feed fetched).
    pub fn record_fetch(&self, outcome: &FeedOutcome, elapsed: Duration) {
        let outcome = match outcome {
            FeedOutcome::Fetched { .. } => "fetched",
            FeedOutcome::NotModified => "not_modified",
            FeedOutcome::Failed { .. } => "failed",
            // Not a fetch: another worker had it.
            FeedOutcome::Skipped { .. } => return,
        };
        self.fetches.get_or_create(&OutcomeLabels { outcome }).inc();
        self.fetch_duration.observe(elapsed.as_secs_f64());
    }

    /// The scheduler's queue: feeds due and fetches in flight.
    pub fn set_queue(&self, due: i64, in_flight: i64) {
        self.queue_due.set(due);
        self.in_flight.set(in_flight);
    }

    /// Count and time one answered request.
    fn record_request(&self, method: &str, route: &str, status: StatusCode, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.request_duration
            .get_or_create(&LatencyLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Methods outside the usual ones are counted as `other`, so a client cannot
/// make up label values.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Time each request into the HTTP latency histogram.
pub async fn track_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state
        .metrics
        .record_request(method, &route, response.status(), started.elapsed());
    response
}

/// `GET /metrics`: counts from the store, then every metric, in the
/// OpenMetrics text format (or the Prometheus 0.0.4 one if the scraper
/// does not ask for OpenMetrics).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.store.counts(chrono::Utc::now()).await {
        Ok(counts) => {
            let m = &state.metrics;
            m.entries.set(counts.entries);
            m.users.set(counts.users);
            m.queue_due.set(counts.feeds_due);
            for status in [FeedStatus::Ok, FeedStatus::Error, FeedStatus::Disabled] {
                let n = counts
                    .feeds_by_status
                    .iter()
                    .filter(|(s, _)| *s == status)
                    .map(|(_, n)| *n)
                    .sum();
                m.feeds
                    .get_or_create(&StatusLabels {
                        status: status.as_str(),
                    })
                    .set(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read counts from the store"),
    }
    let body = match state.metrics.encode() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "metrics: encoding failed");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics could not be encoded\n",
            )
                .into_response();
        }
    };
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    let content_type = if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "text/plain; version=0.0.4; charset=utf-8"
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /healthz`: `{"status":"ok","database":"ok"}`, or 503 with the error.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.setting(crate::outputs::PLANET_USER).await {
        Ok(_) => Json(serde_json::json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "healthz: database query failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "error", "database": e.to_string()})),
            )
                .into_response()
        }
    }
}

/// `/healthz`, `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetches_and_requests_show_up_in_the_text() {
        let m = Metrics::new();
        m.record_fetch(&FeedOutcome::NotModified, Duration::from_millis(30));
        m.record_fetch(
            &FeedOutcome::Failed {
                code: "x".into(),
                message: "y".into(),
            },
            Duration::from_millis(30),
        );
        m.record_fetch(&FeedOutcome::NotModified, Duration::from_millis(30));
        m.set_queue(7, 3);
        m.record_request("GET", "/river", StatusCode::OK, Duration::from_millis(2));
        let text = m.encode().unwrap();
        assert!(
            text.contains("tributary_fetches_total{outcome=\"not_modified\"} 2"),
            "{text}"
        );
        assert!(text.contains("tributary_fetches_total{outcome=\"failed\"} 1"));
        assert!(text.contains("tributary_fetches_total{outcome=\"fetched\"} 0"));
        assert!(text.contains("tributary_fetch_duration_seconds_count 3"));
        assert!(text.contains("tributary_fetch_queue_due 7"));
        assert!(text.contains("tributary_fetch_in_flight 3"));
        assert!(text.contains(
            "tributary_http_requests_total{method=\"GET\",route=\"/river\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "tributary_http_request_duration_seconds_count{method=\"GET\",route=\"/river\"} 1"
        ));
    }
}
