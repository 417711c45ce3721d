//! One entry: its page (which marks it read), and the read and star forms.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use tributary_model::EntryId;

use super::views::EntryFull;
use super::{flash_message, parse_id, render, safe_back, see_other, wants_json, Page};
use crate::auth::{CsrfForm, CurrentUser};
use crate::{AppState, WebError};

/// `GET /entry/{id}`: the entry with its content, media and original link.
/// Opening it marks it read, unless `keep_unread=1` (the "keep unread"
/// button comes back here with it).
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = EntryId(parse_id(&id)?);
    let mut item = state
        .store
        .entry_for_user(user.user.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let keep_unread = super::forms::flag(q.get("keep_unread").map(String::as_str));
    let marked_now = !item.read && !keep_unread;
    if marked_now {
        state.store.set_read(user.user.id, id, true).await?;
        item.read = true;
    }
    let here = format!("/entry/{}", id.0);
    let page = Page::new(&state, &user, "", here)
        .with_flash(flash_message(q.get("done").map(String::as_str), None));
    let view_feed = q.get("view").map(String::as_str) == Some("feed");
    let mut article = super::articles::view(&state, id, view_feed).await?;
    let can_fetch = item.entry.url.is_some() && state.refresher.is_some();
    // Trackers out, media through the proxy (the user's view), in the feed's
    // content and in the article alike; the page's policy then allows
    // images (and media) from this server only.
    let view = crate::privacy::ServeView::for_user(&state, user.user.id, String::new()).await?;
    view.apply(&mut item);
    let rewrite = view.rewrite();
    if !rewrite.is_noop() {
        if let Some(html) = &mut article.html {
            *html = rewrite.html(html);
        }
    }
    let mut entry = EntryFull::new(&item, Utc::now());
    super::rules::attach_tags(&state, &user, std::slice::from_mut(&mut entry.row)).await?;
    let mut response = render(
        &state,
        "entry.html",
        &page,
        minijinja::context! {
            entry => entry,
            marked_now => marked_now,
            article_html => article.shown(),
            article => article,
            can_fetch => can_fetch,
            back => safe_back(q.get("back").map(String::as_str)),
        },
    )?;
    if let Some(all) = view.proxies() {
        response.headers_mut().insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            super::assets::proxied_policy(all).clone(),
        );
    }
    Ok(response)
}

/// The read and star forms.
#[derive(Debug, Deserialize)]
pub struct FlagForm {
    read: Option<String>,
    starred: Option<String>,
    back: Option<String>,
}

/// `1` or `0`, else a message naming the field.
fn one_or_zero(value: Option<&str>, field: &str) -> Result<bool, WebError> {
    match value.map(str::trim) {
        Some("1") => Ok(true),
        Some("0") => Ok(false),
        _ => Err(WebError::BadRequest(format!(
            "The form must send {field}=1 or {field}=0."
        ))),
    }
}

/// `POST /entry/{id}/read` with `read=1|0`.
pub async fn set_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<FlagForm>,
) -> Result<Response, WebError> {
    set_flag(&state, &id, &headers, &user, &form, Flag::Read).await
}

/// `POST /entry/{id}/star` with `starred=1|0`.
pub async fn set_star(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<FlagForm>,
) -> Result<Response, WebError> {
    set_flag(&state, &id, &headers, &user, &form, Flag::Starred).await
}

/// Which flag a form sets.
#[derive(Debug, Clone, Copy)]
enum Flag {
    Read,
    Starred,
}

/// Set one flag of an entry. The store refuses (`NotFound`) an entry the
/// user does not follow; the script (JSON) gets both flags back, the form
/// a redirect to its `back` page.
async fn set_flag(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
    user: &CurrentUser,
    form: &FlagForm,
    flag: Flag,
) -> Result<Response, WebError> {
    let id = EntryId(parse_id(id)?);
    let me = user.user.id;
    match flag {
        Flag::Read => {
            let read = one_or_zero(form.read.as_deref(), "read")?;
            state.store.set_read(me, id, read).await?;
        }
        Flag::Starred => {
            let starred = one_or_zero(form.starred.as_deref(), "starred")?;
            state.store.set_starred(me, id, starred).await?;
        }
    }
    if wants_json(headers) {
        let item = state
            .store
            .entry_for_user(me, id)
            .await?
            .ok_or(WebError::NotFound)?;
        return Ok(Json(serde_json::json!({
            "id": id.0, "read": item.read, "starred": item.starred,
        }))
        .into_response());
    }
    Ok(see_other(&safe_back(form.back.as_deref())))
}
