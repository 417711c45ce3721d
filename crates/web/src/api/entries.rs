//! Entries: listing with Miniflux's filters and paging, one entry, reading
//! state, bookmarks.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use tributary_model::{CategoryId, EntryId, FeedId, UserId};
use tributary_store::{ApiEntryQuery, ApiItem, ApiOrder};

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::model::Lookup;
use super::{categories, feeds, no_content, parse_id, parse_json, Params};
use crate::AppState;

/// Largest page (the store's limit); `limit=0` asks for this many.
const MAX_LIMIT: i64 = 10_000;

/// A unix time (seconds) parameter; values of 0 or less are ignored, as
/// Miniflux does.
fn unix(params: &Params, name: &str) -> ApiResult<Option<DateTime<Utc>>> {
    match params.int(name)? {
        Some(secs) if secs > 0 => DateTime::from_timestamp(secs, 0)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("{name} is not a valid unix time"))),
        _ => Ok(None),
    }
}

/// The entry query of a request's parameters, within `feed` or `category`
/// when the path names one. `None` when the statuses asked for can match
/// nothing (only `removed`: Tributary removes no entries).
async fn query(
    state: &AppState,
    user: UserId,
    params: &Params,
    feed: Option<FeedId>,
    category: Option<CategoryId>,
) -> ApiResult<Option<ApiEntryQuery>> {
    let mut q = ApiEntryQuery {
        feed,
        category,
        with_total: true,
        ..Default::default()
    };
    let statuses = params.all("status");
    for s in &statuses {
        if !matches!(*s, "read" | "unread" | "removed") {
            return Err(ApiError::bad_request(format!(
                "Invalid entry status {s:?}: use read, unread or removed"
            )));
        }
    }
    if !statuses.is_empty() {
        let read = statuses.contains(&"read");
        let unread = statuses.contains(&"unread");
        q.read = match (read, unread) {
            (true, true) => None,
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => return Ok(None),
        };
    }
    q.order = match params.get("order").unwrap_or("published_at") {
        "id" => ApiOrder::Id,
        "status" => ApiOrder::Status,
        "published_at" => ApiOrder::Published,
        "created_at" => ApiOrder::Created,
        "changed_at" => ApiOrder::Changed,
        "category_title" => ApiOrder::CategoryTitle,
        "category_id" => ApiOrder::CategoryId,
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid order {other:?}: use id, status, published_at, created_at, \
                 changed_at, category_title or category_id"
            )))
        }
    };
    q.descending = match params.get("direction").unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid direction {other:?}: use asc or desc"
            )))
        }
    };
    if q.order == ApiOrder::Status {
        // Miniflux sorts the status words: ascending is "read" before
        // "unread"; the store's ascending status order is unread first.
        q.descending = !q.descending;
    }
    let limit = params.int("limit")?.unwrap_or(100);
    if limit < 0 {
        return Err(ApiError::bad_request("limit must be 0 or more"));
    }
    q.limit = Some(if limit == 0 {
        MAX_LIMIT
    } else {
        limit.min(MAX_LIMIT)
    } as u32);
    let offset = params.int("offset")?.unwrap_or(0);
    q.offset = u32::try_from(offset)
        .map_err(|_| ApiError::bad_request("offset must be between 0 and 4294967295"))?;
    for (name, after) in [
        ("after", true),
        ("published_after", true),
        ("before", false),
        ("published_before", false),
    ] {
        if let Some(t) = unix(params, name)? {
            if after {
                q.published_after = Some(q.published_after.map_or(t, |o| o.max(t)));
            } else {
                q.published_before = Some(q.published_before.map_or(t, |o| o.min(t)));
            }
        }
    }
    q.changed_after = unix(params, "changed_after")?;
    q.changed_before = unix(params, "changed_before")?;
    if let Some(id) = params.int("after_entry_id")?.filter(|id| *id > 0) {
        q.after_id = Some(EntryId(id));
    }
    if let Some(id) = params.int("before_entry_id")?.filter(|id| *id > 0) {
        q.before_id = Some(EntryId(id));
    }
    q.starred = params.bool("starred")?;
    q.search = params.get("search").map(str::to_owned);
    if params.has("tags") {
        return Err(ApiError::bad_request(
            "the tags filter is not supported by Tributary",
        ));
    }
    if let Some(id) = params.int("feed_id")?.filter(|id| *id > 0) {
        if state
            .store
            .subscription_view(user, FeedId(id))
            .await?
            .is_none()
        {
            return Err(ApiError::bad_request("invalid feed ID"));
        }
        q.feed = Some(FeedId(id));
    }
    if let Some(id) = params.int("category_id")?.filter(|id| *id > 0) {
        let ours = state.store.categories(user).await?;
        if !ours.iter().any(|c| c.id.0 == id) {
            return Err(ApiError::bad_request("invalid category ID"));
        }
        q.category = Some(CategoryId(id));
    }
    Ok(Some(q))
}

/// `{"total": N, "entries": [...]}` of a request.
async fn find(
    state: &AppState,
    user: UserId,
    raw_query: Option<&str>,
    feed: Option<FeedId>,
    category: Option<CategoryId>,
) -> ApiResult<Json<Value>> {
    let params = Params::parse(raw_query);
    let Some(q) = query(state, user, &params, feed, category).await? else {
        return Ok(Json(json!({ "total": 0, "entries": [] })));
    };
    let mut page = state.store.api_entries(user, &q).await?;
    crate::privacy::serve_api_items(state, user, &mut page.items).await?;
    let lookup = Lookup::load(state, user, &page.items).await?;
    let entries = lookup.entries(&page.items);
    let total = page.total.unwrap_or(entries.len() as i64);
    Ok(Json(json!({ "total": total, "entries": entries })))
}

/// `GET /v1/entries`.
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    find(&state, user.id, q.as_deref(), None, None).await
}

/// `GET /v1/feeds/{id}/entries`.
pub async fn feed_entries(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let view = feeds::owned(&state, &user, &raw).await?;
    find(
        &state,
        user.0.id,
        q.as_deref(),
        Some(view.subscription.feed.id),
        None,
    )
    .await
}

/// `GET /v1/categories/{id}/entries`.
pub async fn category_entries(
    State(state): State<AppState>,
    user: ApiUser,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let category = categories::owned(&state, &user, &raw).await?;
    find(&state, user.0.id, q.as_deref(), None, Some(category.id)).await
}

/// One entry of the user (within a feed or category), or 404.
async fn one(
    state: &AppState,
    user: UserId,
    id: EntryId,
    feed: Option<FeedId>,
    category: Option<CategoryId>,
) -> ApiResult<ApiItem> {
    let q = ApiEntryQuery {
        ids: Some(vec![id]),
        feed,
        category,
        limit: Some(1),
        ..Default::default()
    };
    state
        .store
        .api_entries(user, &q)
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(ApiError::not_found)
}

/// An entry as JSON.
async fn show(state: &AppState, user: UserId, item: &ApiItem) -> ApiResult<Json<Value>> {
    let mut item = item.clone();
    crate::privacy::serve_api_items(state, user, std::slice::from_mut(&mut item)).await?;
    let item = &item;
    let mut shown = Lookup::load(state, user, std::slice::from_ref(item))
        .await?
        .entries(std::slice::from_ref(item));
    Ok(Json(shown.pop().unwrap_or(Value::Null)))
}

/// `GET /v1/entries/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = EntryId(parse_id(&raw, "entry")?);
    let item = one(&state, user.id, id, None, None).await?;
    show(&state, user.id, &item).await
}

/// `GET /v1/feeds/{id}/entries/{entry}`.
pub async fn feed_entry(
    State(state): State<AppState>,
    user: ApiUser,
    Path((raw, raw_entry)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let view = feeds::owned(&state, &user, &raw).await?;
    let id = EntryId(parse_id(&raw_entry, "entry")?);
    let item = one(&state, user.0.id, id, Some(view.subscription.feed.id), None).await?;
    show(&state, user.0.id, &item).await
}

/// `GET /v1/categories/{id}/entries/{entry}`.
pub async fn category_entry(
    State(state): State<AppState>,
    user: ApiUser,
    Path((raw, raw_entry)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let category = categories::owned(&state, &user, &raw).await?;
    let id = EntryId(parse_id(&raw_entry, "entry")?);
    let item = one(&state, user.0.id, id, None, Some(category.id)).await?;
    show(&state, user.0.id, &item).await
}

#[derive(Deserialize)]
pub(crate) struct StatusChange {
    entry_ids: Option<Vec<i64>>,
    status: Option<String>,
}

/// `PUT /v1/entries` `{"entry_ids": [...], "status": "read"|"unread"}` → 204.
/// Ids that are not the user's are skipped.
pub async fn set_status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> ApiResult<Response> {
    let req: StatusChange = parse_json(&body)?;
    let ids = req.entry_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "The list of entries cannot be empty.",
        ));
    }
    if let Some(bad) = ids.iter().find(|id| **id <= 0) {
        return Err(ApiError::bad_request(format!("invalid entry ID: {bad}")));
    }
    let read = match req.status.as_deref() {
        Some("read") => true,
        Some("unread") => false,
        Some("removed") => {
            return Err(ApiError::bad_request(
                "Tributary does not remove entries: status must be read or unread",
            ))
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid entry status {other:?}: use read or unread"
            )))
        }
        None => return Err(ApiError::bad_request("The status is required.")),
    };
    let ids: Vec<EntryId> = ids.into_iter().map(EntryId).collect();
    state.store.set_read_many(user.id, &ids, read).await?;
    Ok(no_content())
}

/// `PUT /v1/entries/{id}/bookmark` (and `/star`): toggle the star → 204.
pub async fn toggle_bookmark(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = EntryId(parse_id(&raw, "entry")?);
    let item = one(&state, user.id, id, None, None).await?;
    state
        .store
        .set_starred_many(user.id, &[id], !item.item.starred)
        .await?;
    Ok(no_content())
}

/// `PUT /v1/entries/{id}`: Tributary keeps entries as their feed gave them → 400.
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = EntryId(parse_id(&raw, "entry")?);
    one(&state, user.id, id, None, None).await?;
    Err(ApiError::bad_request(
        "Tributary does not edit entries: they stay as their feed gave them",
    ))
}

/// `POST /v1/entries/{id}/save`: no third-party services → 400, as Miniflux
/// answers when none is set up.
pub async fn save(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = EntryId(parse_id(&raw, "entry")?);
    one(&state, user.id, id, None, None).await?;
    Err(ApiError::bad_request("no third-party integration enabled"))
}

/// `GET /v1/entries/{id}/fetch-content`: fetch the entry's original article
/// now (readability or the host's site rule, sanitized) and answer
/// `{"content": HTML, "reading_time": MINUTES}` as Miniflux does. The article is stored beside the
/// feed's content (Miniflux's `update_content=true` is what Tributary
/// always does, without overwriting the feed's own content) and shown in
/// place of it wherever the feed's full-content mode is not `off`. A page
/// that cannot be fetched or has no article is a 400 with the reason.
pub async fn fetch_content(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = EntryId(parse_id(&raw, "entry")?);
    one(&state, user.id, id, None, None).await?;
    let articles = crate::ui::articles::articles(&state)
        .ok_or_else(|| ApiError::bad_request("this server does not fetch pages"))?;
    match articles.fetch_entry(id).await {
        Ok(a) if a.status == tributary_store::ArticleStatus::Ok && a.last_error.is_none() => {
            let mut content = a.content_html.unwrap_or_default();
            // Served like every entry's content: trackers out, media
            // through the proxy where this user has it.
            let view = crate::privacy::ServeView::for_api(&state, user.id).await?;
            let rewrite = view.rewrite();
            if !rewrite.is_noop() {
                content = rewrite.html(&content);
            }
            let reading_time = super::model::reading_time(&content);
            Ok(axum::response::IntoResponse::into_response(Json(
                json!({ "content": content, "reading_time": reading_time }),
            )))
        }
        Ok(a) => Err(ApiError::bad_request(
            a.last_error.unwrap_or_else(|| "no article".to_owned()),
        )),
        Err(tributary_articles::ArticleError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::bad_request(e.to_string())),
    }
}

/// `PUT|DELETE /v1/flush-history`: Tributary keeps read entries → 400.
pub async fn flush_history(_user: ApiUser) -> ApiResult<Response> {
    Err(ApiError::bad_request(
        "Tributary does not flush read entries: they stay in the history",
    ))
}
