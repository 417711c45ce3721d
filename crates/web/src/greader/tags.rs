//! Tags: `tag/list`, `rename-tag`, `disable-tag` and `unread-count`.
//!
//! Labels are Tributary's categories by full path; a label's entries and
//! unread count include its sub-categories' (`Networking` covers
//! `Networking/Vendors`). The only states are `starred` (and `read`,
//! which clients know without listing).

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};
use tributary_model::FeedId;
use tributary_store::StoreError;

use super::auth::Call;
use super::ids::{self, Stream};
use super::{bad_request, json, ok, GrError, GrResult};
use crate::AppState;

/// Whether `path` is `label` or under it.
fn within(path: &str, label: &str) -> bool {
    path == label
        || path
            .strip_prefix(label)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `tag/list`: the starred state and every category as a folder.
pub async fn list(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let categories = state.store.categories(call.user.id).await?;
    let views = state.store.subscription_views(call.user.id).await?;
    let mut tags = vec![json!({ "id": ids::STARRED })];
    for c in &categories {
        let unread: i64 = views
            .iter()
            .filter(|v| {
                v.subscription
                    .category
                    .as_deref()
                    .is_some_and(|p| within(p, &c.path))
            })
            .map(|v| v.unread_count)
            .sum();
        tags.push(json!({
            "id": ids::label_stream(&c.path),
            "type": "folder",
            "unread_count": unread,
        }));
    }
    Ok(json(json!({ "tags": tags })))
}

/// The category of an `s=user/-/label/PATH`, or 404.
async fn category_of(
    state: &AppState,
    call: &Call,
    param: &str,
) -> GrResult<tributary_store::Category> {
    // FeedHQ also took the bare label name as `t=`.
    let path = match (call.params.get(param), call.params.get("t")) {
        (Some(raw), _) => match ids::parse_stream(raw, call.me()).map_err(bad_request)? {
            Stream::Label(p) => p,
            _ => return Err(bad_request(format!("{param}={raw:?} is not a label"))),
        },
        (None, Some(name)) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => {
            return Err(bad_request(format!(
                "give the label as {param}=user/-/label/NAME (or t=NAME)"
            )))
        }
    };
    state
        .store
        .categories(call.user.id)
        .await?
        .into_iter()
        .find(|c| c.path == path)
        .ok_or_else(|| GrError::from(StoreError::NotFound(format!("you have no label {path:?}"))))
}

/// `rename-tag`: `s=user/-/label/OLD`, `dest=user/-/label/NEW`. The new
/// path must keep the parent (a rename, not a move).
pub async fn rename(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let category = category_of(&state, &call, "s").await?;
    let dest = call
        .params
        .get("dest")
        .ok_or_else(|| bad_request("rename-tag needs dest=user/-/label/NEW"))?;
    let new_path = match ids::parse_stream(dest, call.me()).map_err(bad_request)? {
        Stream::Label(p) => p,
        _ => return Err(bad_request(format!("dest={dest:?} is not a label"))),
    };
    let parent = |p: &str| p.rsplit_once('/').map(|(a, _)| a.to_owned());
    if parent(&new_path) != parent(&category.path) {
        return Err(bad_request(format!(
            "{:?} cannot become {new_path:?}: a label can be renamed, not moved to another parent",
            category.path
        )));
    }
    let name = new_path.rsplit('/').next().unwrap_or(&new_path);
    state
        .store
        .rename_category(call.user.id, category.id, name)
        .await?;
    Ok(ok())
}

/// `disable-tag`: `s=user/-/label/NAME` is deleted with its
/// sub-categories; their feeds become unfiled (not unsubscribed).
pub async fn disable(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let category = category_of(&state, &call, "s").await?;
    state
        .store
        .delete_category(call.user.id, category.id)
        .await?;
    Ok(ok())
}

/// `unread-count`: per feed, per label (with sub-categories) and the
/// reading list, each with its newest entry's time.
pub async fn unread_count(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let views = state.store.subscription_views(call.user.id).await?;
    let categories = state.store.categories(call.user.id).await?;
    // When each feed's newest entry was stored (one row per feed, not a
    // walk over every unread entry).
    let newest: HashMap<FeedId, i64> = state
        .store
        .newest_stored(call.user.id)
        .await?
        .into_iter()
        .map(|(feed, at)| (feed, at.timestamp_micros()))
        .collect();
    let mut counts: Vec<Value> = Vec::new();
    let mut total = 0i64;
    let mut total_newest = 0i64;
    for v in &views {
        let id = v.subscription.feed.id;
        let t = newest.get(&id).copied().unwrap_or(0);
        total += v.unread_count;
        total_newest = total_newest.max(t);
        counts.push(json!({
            "id": ids::feed_stream(&v.subscription.feed.url),
            "count": v.unread_count,
            "newestItemTimestampUsec": t.to_string(),
        }));
    }
    for c in &categories {
        let (count, t) = views
            .iter()
            .filter(|v| {
                v.subscription
                    .category
                    .as_deref()
                    .is_some_and(|p| within(p, &c.path))
            })
            .fold((0i64, 0i64), |(n, t), v| {
                (
                    n + v.unread_count,
                    t.max(newest.get(&v.subscription.feed.id).copied().unwrap_or(0)),
                )
            });
        counts.push(json!({
            "id": ids::label_stream(&c.path),
            "count": count,
            "newestItemTimestampUsec": t.to_string(),
        }));
    }
    counts.push(json!({
        "id": ids::READING_LIST,
        "count": total,
        "newestItemTimestampUsec": total_newest.to_string(),
    }));
    Ok(json(json!({ "max": total, "unreadcounts": counts })))
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn labels_cover_their_sub_categories_only() {
        assert!(within("Net", "Net"));
        assert!(within("Net/Vendors", "Net"));
        assert!(!within("Network", "Net"));
        assert!(!within("Net", "Net/Vendors"));
    }
}
