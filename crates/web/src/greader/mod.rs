//! The Google Reader API, at `/api/greader` (and the same paths at the
//! root): what FreshRSS and Miniflux speak to NetNewsWire, Reeder, ReadKit,
//! FeedMe, newsboat (`feedhq`) and the others. See `README.md` beside this
//! file for the supported subset and the client quirks.

use axum::Router;

use crate::AppState;

/// The Google Reader routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
