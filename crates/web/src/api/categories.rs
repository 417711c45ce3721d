//! Categories. Tributary's categories nest (`Networking/Vendors`): `title`
//! is a category's own name, `tributary_path` its full path; a title with
//! `/` creates the path.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use tributary_model::CategoryId;
use tributary_store::{Category, FeedSelector, ReadScope};

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::{created, feeds, model, no_content, parse_id, parse_json, Params};
use crate::AppState;

/// The caller's category with this path id, or 404.
pub(crate) async fn owned(state: &AppState, user: &ApiUser, raw: &str) -> ApiResult<Category> {
    let id = CategoryId(parse_id(raw, "category")?);
    state
        .store
        .categories(user.0.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)
}

/// `GET /v1/categories` (`?counts=true` adds `feed_count` and `total_unread`).
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let counts = Params::parse(query.as_deref())
        .bool("counts")?
        .unwrap_or(false);
    let categories = state.store.categories(user.id).await?;
    Ok(Json(Value::Array(
        categories
            .iter()
            .map(|c| model::category(user.id, c, counts))
            .collect(),
    )))
}

#[derive(Deserialize)]
pub(crate) struct CategoryBody {
    title: Option<String>,
}

/// The `title` of a request, trimmed; 400 when missing or blank.
fn title(body: &Bytes) -> ApiResult<String> {
    let req: CategoryBody = parse_json(body)?;
    let title = req.title.unwrap_or_default().trim().to_owned();
    if title.is_empty() {
        return Err(ApiError::bad_request("The title is mandatory."));
    }
    Ok(title)
}

/// `POST /v1/categories` `{title}` → 201 category; 400 if it exists.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> ApiResult<Response> {
    let title = title(&body)?;
    let wanted: Vec<&str> = title
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let path = wanted.join("/");
    let existing = state.store.categories(user.id).await?;
    if existing.iter().any(|c| c.path.eq_ignore_ascii_case(&path)) {
        return Err(ApiError::bad_request("This category already exists."));
    }
    let category = state.store.create_category(user.id, &path).await?;
    Ok(created(model::category(user.id, &category, false)))
}

/// `PUT /v1/categories/{id}` `{title}`: rename → 201 category.
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let category = owned(&state, &user, &raw).await?;
    let title = title(&body)?;
    if title.contains('/') {
        return Err(ApiError::bad_request(
            "A category's title cannot contain '/' (it separates nested categories).",
        ));
    }
    let renamed = if title == category.name {
        category
    } else {
        state
            .store
            .rename_category(user.0.id, category.id, &title)
            .await
            .map_err(|e| match e {
                tributary_store::StoreError::Conflict(_) => {
                    ApiError::bad_request("This category already exists.")
                }
                other => other.into(),
            })?
    };
    Ok(created(model::category(user.0.id, &renamed, false)))
}

/// `DELETE /v1/categories/{id}` → 204; its feeds become uncategorized.
pub async fn remove(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let category = owned(&state, &user, &raw).await?;
    state.store.delete_category(user.0.id, category.id).await?;
    Ok(no_content())
}

/// `GET /v1/categories/{id}/feeds`: the feeds directly in it.
pub async fn feeds(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let category = owned(&state, &user, &raw).await?;
    let all = feeds::all(&state, user.0.id).await?;
    Ok(Json(Value::Array(
        all.into_iter()
            .filter(|f| f["category"]["id"] == category.id.0)
            .collect(),
    )))
}

/// `PUT /v1/categories/{id}/mark-all-as-read` → 204 (sub-categories too).
pub async fn mark_all_read(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let category = owned(&state, &user, &raw).await?;
    state
        .store
        .mark_all_read(user.0.id, ReadScope::Category(category.id), Utc::now())
        .await?;
    Ok(no_content())
}

/// `PUT /v1/categories/{id}/refresh`: fetch its feeds in the background → 204.
pub async fn refresh(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    // The categories once: the one named, and those under it.
    let id = CategoryId(parse_id(&raw, "category")?);
    let categories = state.store.categories(user.0.id).await?;
    let category = categories
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    let under = format!("{}/", category.path);
    let inside: Vec<i64> = categories
        .iter()
        .filter(|c| c.id == id || c.path.starts_with(&under))
        .map(|c| c.id.0)
        .collect();
    let views = state.store.subscription_views(user.0.id).await?;
    let urls = views
        .into_iter()
        .filter(|v| !v.settings.paused)
        .filter(|v| v.category_id.is_some_and(|c| inside.contains(&c.0)))
        .map(|v| v.subscription.feed.url)
        .collect();
    feeds::spawn_refresh(&state, FeedSelector::Urls(urls)).await?;
    Ok(no_content())
}
