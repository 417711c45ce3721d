//! The reading UI: the river (unread, by category, by feed, starred,
//! history), the entry view, search, and the subscriptions pages.

use axum::Router;

use crate::AppState;

/// The UI routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
