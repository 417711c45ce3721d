//! The live outputs: `/river`, `/feeds/all.{atom,rss,json}`,
//! `/feeds/category/NAME.{atom,rss,json}` and `/opml`, per user (private,
//! with the user's token in the URL) or for the admin-chosen public planet.
//! Conditional GET (ETag) on all of them; RFC 5005 paging; a WebSub hub
//! advertised and pinged.

use axum::Router;

use crate::AppState;

/// The output routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
