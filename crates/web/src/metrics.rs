//! `/healthz` and `/metrics` (Prometheus text format), and the middleware
//! that times every request.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

use crate::AppState;

/// The registry and the server's own metrics. Fetch metrics are recorded
/// through [`Metrics::fetch_observer`] by whoever runs the scheduler.
pub struct Metrics {
    _private: (),
}

impl Metrics {
    /// A registry with every metric registered at zero.
    pub fn new() -> Metrics {
        Metrics { _private: () }
    }

    /// Count one fetch by its outcome and time it (called by the scheduler's
    /// observer for every feed fetched).
    pub fn record_fetch(
        &self,
        outcome: &tributary_refresh::FeedOutcome,
        elapsed: std::time::Duration,
    ) {
        let _ = (outcome, elapsed); // web core helper: fill in
    }

    /// The scheduler's queue: feeds due and fetches in flight.
    pub fn set_queue(&self, due: i64, in_flight: i64) {
        let _ = (due, in_flight); // web core helper: fill in
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Time each request into the HTTP latency histogram.
pub async fn track_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let _ = &state.metrics;
    next.run(request).await
}

/// `/healthz`, `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
