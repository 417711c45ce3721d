//! Icons. Tributary stores no favicons, so every feed's `icon` is `null`
//! and these answer 404 with a reason (after checking the feed is the
//! caller's, so the answer tells nothing about other users' feeds).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::{feeds, parse_id};
use crate::AppState;

/// `GET /v1/feeds/{id}/icon` → 404 (no icons are stored).
pub async fn feed_icon(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    feeds::owned(&state, &user, &raw).await?;
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "This feed doesn't have any icon: Tributary stores no favicons.",
    ))
}

/// `GET /v1/icons/{id}` → 404 (no icons are stored).
pub async fn icon(_user: ApiUser, Path(raw): Path<String>) -> ApiResult<Response> {
    parse_id(&raw, "icon")?;
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "No such icon: Tributary stores no favicons.",
    ))
}
