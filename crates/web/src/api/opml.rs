//! OPML export and import.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tributary_store::{FeedSelector, NewSubscription};

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::{created, feeds};
use crate::AppState;

/// `GET /v1/export`: the user's subscriptions as OPML 2.0.
pub async fn export(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Response> {
    let subs = state.store.subscriptions(user.id).await?;
    let title = format!(
        "{} subscriptions of {}",
        state.config.site_title, user.username
    );
    let body = tributary_publish::opml::export(&subs, &title);
    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response())
}

/// `POST /v1/import` with an OPML body → 201 `{"message": …}` plus what was
/// done (`tributary_added`, `tributary_skipped`, `tributary_refused`). The
/// new feeds are fetched in the background. A body that is not OPML is 400.
pub async fn import(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> ApiResult<Response> {
    if body.len() > state.config.max_upload_bytes {
        return Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the OPML file is larger than {} bytes",
                state.config.max_upload_bytes
            ),
        ));
    }
    let outlines = tributary_parse::opml::parse_opml(&body).map_err(|e| {
        ApiError::bad_request(format!("this is not an OPML file Tributary can read: {e}"))
    })?;
    let mut subs = Vec::new();
    let mut refused = Vec::new();
    // The SSRF guard, per outline: a private address is refused with its reason.
    let urls: Vec<String> = outlines.iter().map(|o| o.xml_url.clone()).collect();
    let checked = crate::guard::check_urls(&state, &urls).await;
    for (outline, checked) in outlines.into_iter().zip(checked) {
        match checked {
            Ok(url) => subs.push(NewSubscription {
                url: url.to_string(),
                title: outline.title.filter(|t| !t.trim().is_empty()),
                site_url: outline
                    .html_url
                    .as_deref()
                    .and_then(|s| url.join(s).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .map(|u| u.to_string()),
                category: outline.category,
            }),
            Err(e) => refused.push(json!({ "url": outline.xml_url, "reason": e.to_string() })),
        }
    }
    let report = state.store.subscribe(user.id, &subs).await?;
    if state.refresher.is_some() && !report.added.is_empty() {
        feeds::spawn_refresh(&state, FeedSelector::Urls(report.added.clone())).await?;
    }
    Ok(created(json!({
        "message": "Feeds imported successfully",
        "tributary_added": report.added,
        "tributary_skipped": report.skipped,
        "tributary_refused": refused,
    })))
}
