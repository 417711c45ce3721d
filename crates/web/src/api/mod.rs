//! Tributary's native REST API at `/v1/`: the paths, JSON shapes, status
//! codes and auth of Miniflux's API, so Miniflux clients work unchanged,
//! plus Tributary's own additions. Described by `/v1/openapi.json`; see
//! `README.md` beside this file and `docs/API.md`.

use axum::Router;

use crate::AppState;

/// The `/v1/` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
