//! The river pages: unread, all, starred, history, one category, one feed;
//! keyset paging, and "mark all as read" with its confirmation step.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tributary_model::{CategoryId, FeedId};
use tributary_store::{Category, EntryQuery, ReadScope, View};

use super::views::{cursor_text, parse_cursor, EntryRow};
use super::{flash_message, parse_id, render, safe_back, see_other, wants_json, Page};
use crate::auth::{CsrfForm, CurrentUser};
use crate::{AppState, WebError};

/// Query of a listing: `after` (paging) and the flash of a redirect.
pub type ListQuery = Query<HashMap<String, String>>;

/// Which listing a page is.
struct Listing {
    view: View,
    feed: Option<FeedId>,
    category: Option<CategoryId>,
    title: String,
    nav: &'static str,
    path: String,
    /// Whether "mark all as read" is offered, and for what.
    mark_scope: Option<(&'static str, i64)>,
    /// Link to the feed's settings (feed pages).
    settings: Option<i64>,
    /// Feed status line (feed pages).
    note: Option<String>,
    empty: &'static str,
}

/// `GET /`: unread entries, newest first.
pub async fn unread(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): ListQuery,
) -> Result<Response, WebError> {
    let listing = Listing {
        view: View::Unread,
        feed: None,
        category: None,
        title: "Unread".to_owned(),
        nav: "unread",
        path: "/".to_owned(),
        mark_scope: Some(("all", 0)),
        settings: None,
        note: None,
        empty: "Nothing unread. New entries appear here as your feeds publish them.",
    };
    show(&state, &user, listing, &q).await
}

/// `GET /all`: every entry, newest first.
pub async fn all(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): ListQuery,
) -> Result<Response, WebError> {
    let listing = Listing {
        view: View::All,
        feed: None,
        category: None,
        title: "All entries".to_owned(),
        nav: "all",
        path: "/all".to_owned(),
        mark_scope: Some(("all", 0)),
        settings: None,
        note: None,
        empty: "No entries yet. Add a feed on the Subscriptions page.",
    };
    show(&state, &user, listing, &q).await
}

/// `GET /starred`: starred entries.
pub async fn starred(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): ListQuery,
) -> Result<Response, WebError> {
    let listing = Listing {
        view: View::Starred,
        feed: None,
        category: None,
        title: "Starred".to_owned(),
        nav: "starred",
        path: "/starred".to_owned(),
        mark_scope: None,
        settings: None,
        note: None,
        empty: "No starred entries. Star an entry (or press s) to keep it here.",
    };
    show(&state, &user, listing, &q).await
}

/// `GET /history`: read entries, most recently read first.
pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): ListQuery,
) -> Result<Response, WebError> {
    let listing = Listing {
        view: View::History,
        feed: None,
        category: None,
        title: "History".to_owned(),
        nav: "history",
        path: "/history".to_owned(),
        mark_scope: None,
        settings: None,
        note: None,
        empty: "You have not read anything yet.",
    };
    show(&state, &user, listing, &q).await
}

/// `GET /category/{id}`: entries of a category and its sub-categories.
pub async fn category(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): ListQuery,
) -> Result<Response, WebError> {
    let id = CategoryId(parse_id(&id)?);
    let categories = state.store.categories(user.user.id).await?;
    let cat = categories
        .iter()
        .find(|c| c.id == id)
        .ok_or(WebError::NotFound)?;
    let listing = Listing {
        view: View::All,
        feed: None,
        category: Some(id),
        title: cat.path.clone(),
        nav: "",
        path: format!("/category/{}", id.0),
        mark_scope: Some(("category", id.0)),
        settings: None,
        note: None,
        empty: "No entries in this category.",
    };
    show(&state, &user, listing, &q).await
}

/// `GET /feed/{id}`: entries of one feed.
pub async fn feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): ListQuery,
) -> Result<Response, WebError> {
    let id = FeedId(parse_id(&id)?);
    let sub = state
        .store
        .subscription_view(user.user.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let note = sub
        .subscription
        .feed
        .last_error
        .clone()
        .map(|e| format!("The last fetch failed: {e}"));
    let listing = Listing {
        view: View::All,
        feed: Some(id),
        category: None,
        title: sub.subscription.display_title().to_owned(),
        nav: "",
        path: format!("/feed/{}", id.0),
        mark_scope: Some(("feed", id.0)),
        settings: Some(id.0),
        note,
        empty: "No entries from this feed yet.",
    };
    show(&state, &user, listing, &q).await
}

#[derive(Serialize)]
struct ListingView<'a> {
    title: &'a str,
    path: &'a str,
    entries: Vec<EntryRow>,
    older: Option<String>,
    first_page: bool,
    mark_scope: Option<&'static str>,
    mark_id: i64,
    older_than: Option<String>,
    settings: Option<i64>,
    note: Option<&'a str>,
    empty: &'a str,
    categories: &'a [Category],
    unread_total: i64,
}

async fn show(
    state: &AppState,
    user: &CurrentUser,
    listing: Listing,
    q: &HashMap<String, String>,
) -> Result<Response, WebError> {
    let after = match q.get("after").map(String::as_str).filter(|s| !s.is_empty()) {
        Some(raw) => Some(parse_cursor(raw).ok_or_else(|| {
            WebError::BadRequest(format!(
                "The page position “{raw}” is not valid; start again from the first page."
            ))
        })?),
        None => None,
    };
    let page = state
        .store
        .entries(
            user.user.id,
            &EntryQuery {
                view: listing.view,
                feed: listing.feed,
                category: listing.category,
                after,
                limit: state.config.page_size,
                ..Default::default()
            },
        )
        .await?;
    let categories = state.store.categories(user.user.id).await?;
    let unread_total = state.store.unread_total(user.user.id).await?;
    let now = Utc::now();
    let newest: Option<DateTime<Utc>> = page.items.iter().map(|i| i.entry.published).max();
    let mut entries: Vec<EntryRow> = page
        .items
        .iter()
        .map(|i| crate::privacy::row(state, EntryRow::new(i, now)))
        .collect();
    super::rules::attach_tags(state, user, &mut entries).await?;
    let here = match q.get("after") {
        Some(a) => super::with_query(&listing.path, "after", a),
        None => listing.path.clone(),
    };
    let n = q.get("n").and_then(|n| n.parse().ok());
    let page_ctx = Page::new(state, user, listing.nav, here)
        .with_flash(flash_message(q.get("done").map(String::as_str), n));
    let has_unread = entries.iter().any(|e| !e.read);
    let view = ListingView {
        title: &listing.title,
        path: &listing.path,
        older: page
            .next
            .as_ref()
            .map(|c| super::with_query(&listing.path, "after", &cursor_text(c))),
        first_page: after.is_none(),
        mark_scope: listing.mark_scope.filter(|_| has_unread).map(|(s, _)| s),
        mark_id: listing.mark_scope.map_or(0, |(_, id)| id),
        older_than: newest.map(|t| t.timestamp_micros().to_string()),
        settings: listing.settings,
        note: listing.note.as_deref(),
        empty: listing.empty,
        unread_total,
        categories: &categories,
        entries,
    };
    render(
        state,
        "river.html",
        &page_ctx,
        minijinja::Value::from_serialize(&view),
    )
}

/// The "mark all as read" form.
#[derive(Debug, Deserialize)]
pub struct MarkAllForm {
    /// `all`, `feed` or `category`.
    scope: Option<String>,
    /// The feed or category id.
    id: Option<String>,
    /// Unix microseconds: newest entry shown when the page was rendered.
    older_than: Option<String>,
    back: Option<String>,
    /// Set by the confirmation page.
    confirmed: Option<String>,
}

/// `POST /mark-all-read`: first a confirmation page, then (with
/// `confirmed=1`) marks read what was published at or before `older_than`.
pub async fn mark_all_read(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<MarkAllForm>,
) -> Result<Response, WebError> {
    let raw = form.older_than.as_deref().unwrap_or("").trim();
    let older_than = raw
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .ok_or_else(|| {
            WebError::BadRequest(
                "The form did not say which entries were shown; reload the page and try again."
                    .to_owned(),
            )
        })?;
    let id = form.id.as_deref().unwrap_or("").trim();
    let (scope, what) = match form.scope.as_deref().unwrap_or("all") {
        "all" => (ReadScope::All, "all your unread entries".to_owned()),
        "feed" => {
            let feed = FeedId(parse_id(id)?);
            let sub = state
                .store
                .subscription_view(user.user.id, feed)
                .await?
                .ok_or(WebError::NotFound)?;
            (
                ReadScope::Feed(feed),
                format!(
                    "the unread entries of “{}”",
                    sub.subscription.display_title()
                ),
            )
        }
        "category" => {
            let cat = CategoryId(parse_id(id)?);
            let categories = state.store.categories(user.user.id).await?;
            let c = categories
                .iter()
                .find(|c| c.id == cat)
                .ok_or(WebError::NotFound)?;
            (
                ReadScope::Category(cat),
                format!("the unread entries in “{}”", c.path),
            )
        }
        other => {
            return Err(WebError::BadRequest(format!(
                "“{other}” is not something that can be marked read."
            )))
        }
    };
    let back = safe_back(form.back.as_deref());
    if !super::forms::flag(form.confirmed.as_deref()) {
        let page = Page::new(&state, &user, "", back.clone());
        return render(
            &state,
            "mark_all_read.html",
            &page,
            minijinja::context! {
                what => what,
                scope => form.scope.as_deref().unwrap_or("all"),
                id => id,
                older_than => raw,
                older_than_text => super::views::time_text(older_than),
                back => back,
            },
        );
    }
    let n = state
        .store
        .mark_all_read(user.user.id, scope, older_than)
        .await?;
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({ "marked": n })).into_response());
    }
    let to = super::with_query(&strip_query(&back), "done", "marked");
    Ok(see_other(&super::with_query(&to, "n", &n.to_string())))
}

/// `path` without its query (paging starts over after marking).
fn strip_query(path: &str) -> String {
    path.split('?').next().unwrap_or("/").to_owned()
}
