//! Feeds (the user's subscriptions), discovery and refreshing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tributary_model::{CategoryId, FeedId, UserId};
use tributary_refresh::RefreshError;
use tributary_store::{FeedSelector, NewSubscription, ReadScope, SubscriptionView};

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::{created, model, no_content, parse_id, parse_json};
use crate::AppState;

/// Every feed of the user, as JSON.
pub(crate) async fn all(state: &AppState, user: UserId) -> ApiResult<Vec<Value>> {
    let categories = model::by_id(state.store.categories(user).await?);
    let views = state.store.subscription_views(user).await?;
    Ok(views
        .iter()
        .map(|v| model::feed(user, v, &categories))
        .collect())
}

/// The caller's subscription to the feed with this path id, or 404.
pub(crate) async fn owned(
    state: &AppState,
    user: &ApiUser,
    raw: &str,
) -> ApiResult<SubscriptionView> {
    let id = FeedId(parse_id(raw, "feed")?);
    state
        .store
        .subscription_view(user.0.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Fetch these feeds in the background. 400 when this server does not fetch.
pub(crate) async fn spawn_refresh(state: &AppState, selector: FeedSelector) -> ApiResult<()> {
    let Some(refresher) = state.refresher.clone() else {
        return Err(ApiError::bad_request(
            "this server does not fetch feeds (it runs without a fetcher)",
        ));
    };
    if matches!(&selector, FeedSelector::Urls(urls) if urls.is_empty()) {
        return Ok(());
    }
    let feeds = state.store.feeds_to_fetch(&selector).await?;
    tokio::spawn(async move {
        refresher.refresh_many(feeds, |_, _| {}).await;
    });
    Ok(())
}

/// A fetch-side failure as the client's problem (the URL it gave), or the store's.
fn refresh_error(e: RefreshError) -> ApiError {
    match e {
        RefreshError::Store(s) => s.into(),
        other => ApiError::bad_request(other.to_string()),
    }
}

/// `GET /v1/feeds`.
pub async fn list(State(state): State<AppState>, ApiUser(user): ApiUser) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Array(all(&state, user.id).await?)))
}

/// `GET /v1/feeds/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let view = owned(&state, &user, &raw).await?;
    let categories = model::by_id(state.store.categories(user.0.id).await?);
    Ok(Json(model::feed(user.0.id, &view, &categories)))
}

/// The category path of a `category_id` (0 or absent: none); 400 unless the user's.
async fn category_path(
    state: &AppState,
    user: UserId,
    id: Option<i64>,
) -> ApiResult<Option<(CategoryId, String)>> {
    match id {
        None | Some(0) => Ok(None),
        Some(id) => state
            .store
            .categories(user)
            .await?
            .into_iter()
            .find(|c| c.id.0 == id)
            .map(|c| Some((c.id, c.path)))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "This category does not exist or does not belong to this user.",
                )
            }),
    }
}

#[derive(Deserialize)]
pub(crate) struct NewFeed {
    feed_url: Option<String>,
    category_id: Option<i64>,
    #[serde(default)]
    disabled: bool,
}

/// `POST /v1/feeds` `{feed_url, category_id}` → 201 `{"feed_id": N}`. The
/// feed is fetched before the answer (as Miniflux does), so its entries are
/// there at once; `category_id` 0 or absent leaves it uncategorized.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> ApiResult<Response> {
    let req: NewFeed = parse_json(&body)?;
    let raw_url = req.feed_url.unwrap_or_default();
    if raw_url.trim().is_empty() {
        return Err(ApiError::bad_request("The feed URL is required."));
    }
    // The SSRF guard before anything else (the fetch checks every hop again).
    let url = crate::guard::check_url(&state, &raw_url)
        .await
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let category = category_path(&state, user.id, req.category_id).await?;
    let followed = state.store.subscription_views(user.id).await?;
    let already = |u: &str| {
        followed.iter().any(|v| {
            let f = &v.subscription.feed;
            f.url == u || f.previous_urls.iter().any(|p| p == u)
        })
    };
    if already(url.as_str()) {
        return Err(ApiError::bad_request("This feed already exists."));
    }
    let feed_url = match &state.refresher {
        Some(refresher) => {
            let outcome = refresher
                .add(
                    user.id,
                    url.as_str(),
                    category.as_ref().map(|c| c.1.as_str()),
                )
                .await
                .map_err(refresh_error)?;
            if !outcome.added {
                return Err(ApiError::bad_request("This feed already exists."));
            }
            let feeds = state
                .store
                .feeds_to_fetch(&FeedSelector::Urls(vec![outcome.feed_url.clone()]))
                .await?;
            for feed in &feeds {
                refresher.refresh_feed(feed).await;
            }
            outcome.feed_url
        }
        None => {
            let report = state
                .store
                .subscribe(
                    user.id,
                    &[NewSubscription {
                        url: url.to_string(),
                        category: category
                            .as_ref()
                            .map(|c| c.1.split('/').map(str::to_owned).collect())
                            .unwrap_or_default(),
                        ..Default::default()
                    }],
                )
                .await?;
            if report.added.is_empty() {
                return Err(ApiError::bad_request("This feed already exists."));
            }
            url.to_string()
        }
    };
    let feed = state
        .store
        .feeds_to_fetch(&FeedSelector::Urls(vec![feed_url]))
        .await?
        .into_iter()
        .next()
        .ok_or_else(ApiError::not_found)?;
    if req.disabled {
        if let Some(view) = state.store.subscription_view(user.id, feed.id).await? {
            let mut settings = view.settings;
            settings.paused = true;
            state
                .store
                .update_subscription(user.id, feed.id, &settings)
                .await?;
        }
    }
    Ok(created(json!({ "feed_id": feed.id.0 })))
}

#[derive(Deserialize)]
pub(crate) struct FeedChange {
    feed_url: Option<String>,
    site_url: Option<String>,
    title: Option<String>,
    category_id: Option<i64>,
    disabled: Option<bool>,
}

/// `PUT /v1/feeds/{id}`: `title` (the user's title for it), `category_id`,
/// `disabled` (paused). Other Miniflux settings are accepted and ignored;
/// a different `feed_url` or `site_url` is refused. 201 with the feed.
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let view = owned(&state, &user, &raw).await?;
    let req: FeedChange = parse_json(&body)?;
    let feed = &view.subscription.feed;
    if let Some(u) = req.feed_url.as_deref().filter(|u| !u.is_empty()) {
        if u != feed.url {
            return Err(ApiError::bad_request(
                "Tributary cannot change a feed's URL; subscribe to the new URL instead.",
            ));
        }
    }
    if let Some(u) = req.site_url.as_deref().filter(|u| !u.is_empty()) {
        if Some(u) != feed.site_url.as_deref() {
            return Err(ApiError::bad_request(
                "Tributary takes a feed's site URL from the feed; it cannot be changed.",
            ));
        }
    }
    let mut settings = view.settings.clone();
    if let Some(title) = req
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        settings.title_override = if Some(title) == feed.title.as_deref() {
            None
        } else {
            Some(title.to_owned())
        };
    }
    if let Some(id) = req.category_id.filter(|id| *id > 0) {
        settings.category = category_path(&state, user.0.id, Some(id))
            .await?
            .map(|c| c.0);
    }
    if let Some(disabled) = req.disabled {
        settings.paused = disabled;
    }
    if settings != view.settings {
        state
            .store
            .update_subscription(user.0.id, feed.id, &settings)
            .await?;
    }
    let view = state
        .store
        .subscription_view(user.0.id, feed.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let categories = model::by_id(state.store.categories(user.0.id).await?);
    Ok(created(model::feed(user.0.id, &view, &categories)))
}

/// `DELETE /v1/feeds/{id}` → 204.
pub async fn remove(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let view = owned(&state, &user, &raw).await?;
    state
        .store
        .unsubscribe(user.0.id, &view.subscription.feed.id.0.to_string())
        .await?;
    Ok(no_content())
}

/// `PUT /v1/feeds/{id}/refresh`: fetch it in the background → 204.
pub async fn refresh(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let view = owned(&state, &user, &raw).await?;
    spawn_refresh(
        &state,
        FeedSelector::Urls(vec![view.subscription.feed.url.clone()]),
    )
    .await?;
    Ok(no_content())
}

/// `PUT /v1/feeds/refresh`: fetch every feed of the user (but paused ones)
/// in the background → 204.
pub async fn refresh_all(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Response> {
    let urls = state
        .store
        .subscription_views(user.id)
        .await?
        .into_iter()
        .filter(|v| !v.settings.paused)
        .map(|v| v.subscription.feed.url)
        .collect();
    spawn_refresh(&state, FeedSelector::Urls(urls)).await?;
    Ok(no_content())
}

/// `GET /v1/feeds/counters`: `{"reads": {id: n}, "unreads": {id: n}}`.
pub async fn counters(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Value>> {
    let views = state.store.subscription_views(user.id).await?;
    let mut reads = Map::new();
    let mut unreads = Map::new();
    for v in &views {
        let id = v.subscription.feed.id.0.to_string();
        let unread = v.unread_count;
        let read = (v.subscription.entry_count - unread).max(0);
        if read > 0 {
            reads.insert(id.clone(), json!(read));
        }
        if unread > 0 {
            unreads.insert(id, json!(unread));
        }
    }
    Ok(Json(json!({ "reads": reads, "unreads": unreads })))
}

/// `PUT /v1/feeds/{id}/mark-all-as-read` → 204.
pub async fn mark_all_read(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let view = owned(&state, &user, &raw).await?;
    state
        .store
        .mark_all_read(
            user.0.id,
            ReadScope::Feed(view.subscription.feed.id),
            Utc::now(),
        )
        .await?;
    Ok(no_content())
}

#[derive(Deserialize)]
pub(crate) struct Discover {
    url: Option<String>,
}

/// `POST /v1/discover` `{url}` → `[{url, title, type}]`; 404 when the page
/// links to no working feed. `type` is `"feed"`: Tributary reads RSS,
/// Atom and JSON Feed alike and does not tell them apart here.
pub async fn discover(
    State(state): State<AppState>,
    _user: ApiUser,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let req: Discover = parse_json(&body)?;
    let url = req.url.unwrap_or_default();
    if url.trim().is_empty() {
        return Err(ApiError::bad_request("The URL is required."));
    }
    let Some(refresher) = &state.refresher else {
        return Err(ApiError::bad_request(
            "this server does not fetch feeds (it runs without a fetcher)",
        ));
    };
    let found = refresher.discover(&url).await.map_err(refresh_error)?;
    if found.is_empty() {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "No subscription found at this URL.",
        ));
    }
    Ok(Json(Value::Array(
        found
            .into_iter()
            .map(|f| {
                json!({
                    "url": f.url,
                    "title": f.title.unwrap_or_default(),
                    "type": "feed",
                })
            })
            .collect(),
    )))
}
