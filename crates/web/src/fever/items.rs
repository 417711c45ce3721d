//! Fever's groups, feeds, items, id lists and marks, on the store.
//!
//! Groups are Tributary's categories, flattened: each category is a group
//! titled with its full path (`Networking/Vendors`), and a feed belongs to
//! the group of its own category (uncategorized feeds to none). Marking a
//! group read covers its sub-categories too, as the UI does; group 0 is
//! every feed (Fever's "Kindling").

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Map, Value};
use tributary_model::{CategoryId, EntryId, FeedId};
use tributary_store::{ApiEntryQuery, ApiOrder, ReadScope, User};

use super::Params;
use crate::{AppState, WebError};

/// Items per `items` answer (Fever's own page size).
pub(crate) const PAGE: u32 = 50;
/// What `unread_recently_read` brings back: entries read this recently.
const RECENTLY: Duration = Duration::hours(1);

pub(crate) async fn groups_and_feeds(
    state: &AppState,
    user: &User,
    params: &Params,
    out: &mut Map<String, Value>,
) -> Result<(), WebError> {
    let views = state.store.subscription_views(user.id).await?;
    if params.has("groups") {
        let categories = state.store.categories(user.id).await?;
        let groups: Vec<Value> = categories
            .iter()
            .map(|c| json!({ "id": c.id.0, "title": c.path }))
            .collect();
        out.insert("groups".into(), json!(groups));
    }
    if params.has("feeds") {
        let feeds: Vec<Value> = views
            .iter()
            .map(|v| {
                let feed = &v.subscription.feed;
                json!({
                    "id": feed.id.0,
                    "favicon_id": 0,
                    "title": v.subscription.display_title(),
                    "url": feed.url,
                    "site_url": feed.site_url.clone().unwrap_or_default(),
                    "is_spark": 0,
                    "last_updated_on_time": feed.last_fetched_at.map_or(0, |t| t.timestamp()),
                })
            })
            .collect();
        out.insert("feeds".into(), json!(feeds));
    }
    // Both `groups` and `feeds` answers carry feeds_groups.
    let mut by_group: Vec<(CategoryId, Vec<i64>)> = Vec::new();
    for v in &views {
        if let Some(c) = v.category_id {
            match by_group.iter_mut().find(|(g, _)| *g == c) {
                Some((_, ids)) => ids.push(v.subscription.feed.id.0),
                None => by_group.push((c, vec![v.subscription.feed.id.0])),
            }
        }
    }
    by_group.sort_by_key(|(g, _)| g.0);
    let feeds_groups: Vec<Value> = by_group
        .into_iter()
        .map(|(g, ids)| json!({ "group_id": g.0, "feed_ids": join(ids) }))
        .collect();
    out.insert("feeds_groups".into(), json!(feeds_groups));
    Ok(())
}

/// Ids as Fever writes them: `"1,2,3"`.
fn join(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `with_ids=1,2,3`: at most [`PAGE`] ids, each a number.
fn with_ids(list: &str) -> Result<Vec<EntryId>, WebError> {
    let ids: Vec<EntryId> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>().map(EntryId).map_err(|_| {
                WebError::BadRequest(format!(
                    "with_ids must be numbers separated by commas, not {s:?}"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    if ids.len() > PAGE as usize {
        return Err(WebError::BadRequest(format!(
            "with_ids takes at most {PAGE} ids, not {}",
            ids.len()
        )));
    }
    Ok(ids)
}

pub(crate) async fn items(
    state: &AppState,
    user: &User,
    params: &Params,
    out: &mut Map<String, Value>,
) -> Result<(), WebError> {
    let mut query = ApiEntryQuery {
        order: ApiOrder::Id,
        limit: Some(PAGE),
        ..Default::default()
    };
    if let Some(list) = params.get("with_ids") {
        query.ids = Some(with_ids(list)?);
    } else if let Some(max) = params.int("max_id")? {
        // The page below max_id, newest first; max_id=0 is the newest page.
        if max > 0 {
            query.before_id = Some(EntryId(max));
        }
        query.descending = true;
    } else {
        // since_id (default 0): the page above it, oldest first.
        query.after_id = Some(EntryId(params.int("since_id")?.unwrap_or(0)));
    }
    let mut page = state.store.api_entries(user.id, &query).await?;
    crate::privacy::serve_api_items(state, user.id, &mut page.items).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|i| {
            let e = &i.item.entry;
            let html = e
                .content_html
                .clone()
                .or_else(|| e.summary_html.clone())
                .unwrap_or_else(|| html_escape::encode_text(&e.excerpt).into_owned());
            json!({
                "id": e.id.0,
                "feed_id": e.feed_id.0,
                "title": e.title,
                "author": e.author.clone().unwrap_or_default(),
                "html": html,
                "url": e.url.clone().unwrap_or_default(),
                "is_saved": u8::from(i.item.starred),
                "is_read": u8::from(i.item.read),
                "created_on_time": e.published.timestamp(),
            })
        })
        .collect();
    // total_items counts every item of the user, not this page's matches.
    let all = ApiEntryQuery {
        limit: Some(0),
        with_total: true,
        ..Default::default()
    };
    let total = state.store.api_entries(user.id, &all).await?.total;
    out.insert("items".into(), json!(items));
    out.insert("total_items".into(), json!(total.unwrap_or(0)));
    Ok(())
}

/// Which id list.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IdList {
    /// `unread_item_ids`.
    Unread,
    /// `saved_item_ids` (starred).
    Saved,
}

/// The user's unread or saved entry ids, ascending, as `"1,2,3"`.
pub(crate) async fn id_list(
    state: &AppState,
    user: &User,
    list: IdList,
) -> Result<String, WebError> {
    let ids = match list {
        IdList::Unread => state.store.unread_ids(user.id).await?,
        IdList::Saved => state.store.starred_ids(user.id).await?,
    };
    Ok(join(ids.into_iter().map(|id| id.0)))
}

/// `before=UNIX`: only entries published at or before it (default: now).
fn before(params: &Params) -> Result<DateTime<Utc>, WebError> {
    match params.int("before")? {
        None | Some(0) => Ok(Utc::now()),
        Some(t) => Utc
            .timestamp_opt(t, 0)
            .single()
            .ok_or_else(|| WebError::BadRequest(format!("before={t} is not a time"))),
    }
}

/// `mark=item|feed|group&as=…&id=…[&before=…]`; adds the id list the
/// mark changed (`unread_item_ids` or `saved_item_ids`) to the answer.
pub(crate) async fn mark(
    state: &AppState,
    user: &User,
    params: &Params,
    out: &mut Map<String, Value>,
) -> Result<(), WebError> {
    let what = params.get("mark").unwrap_or("");
    let as_ = params.get("as").unwrap_or("");
    let id = params
        .int("id")?
        .ok_or_else(|| WebError::BadRequest(format!("mark={what} needs an id")))?;
    let store = &state.store;
    match (what, as_) {
        ("item", "read" | "unread") => {
            store
                .set_read_many(user.id, &[EntryId(id)], as_ == "read")
                .await?;
            let ids = id_list(state, user, IdList::Unread).await?;
            out.insert("unread_item_ids".into(), json!(ids));
        }
        ("item", "saved" | "unsaved") => {
            store
                .set_starred_many(user.id, &[EntryId(id)], as_ == "saved")
                .await?;
            let ids = id_list(state, user, IdList::Saved).await?;
            out.insert("saved_item_ids".into(), json!(ids));
        }
        ("feed", "read") => {
            store
                .mark_all_read(user.id, ReadScope::Feed(FeedId(id)), before(params)?)
                .await?;
            let ids = id_list(state, user, IdList::Unread).await?;
            out.insert("unread_item_ids".into(), json!(ids));
        }
        ("group", "read") => {
            // 0 is every feed ("Kindling"); -1 are Fever's Sparks (none here).
            let scope = match id {
                0 => Some(ReadScope::All),
                -1 => None,
                id => Some(ReadScope::Category(CategoryId(id))),
            };
            if let Some(scope) = scope {
                store.mark_all_read(user.id, scope, before(params)?).await?;
            }
            let ids = id_list(state, user, IdList::Unread).await?;
            out.insert("unread_item_ids".into(), json!(ids));
        }
        _ => {
            return Err(WebError::BadRequest(format!(
                "cannot mark {what:?} as {as_:?}: items can be read, unread, saved or unsaved; \
                 feeds and groups can be read"
            )))
        }
    }
    Ok(())
}

/// `unread_recently_read=1`: entries read within the last hour become unread.
pub(crate) async fn unread_recently_read(state: &AppState, user: &User) -> Result<(), WebError> {
    let refs = state
        .store
        .api_entry_refs(
            user.id,
            &ApiEntryQuery {
                read: Some(true),
                changed_after: Some(Utc::now() - RECENTLY),
                ..Default::default()
            },
        )
        .await?;
    let ids: Vec<EntryId> = refs.into_iter().map(|r| r.id).collect();
    state.store.set_read_many(user.id, &ids, false).await?;
    Ok(())
}
