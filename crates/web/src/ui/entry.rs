//! One entry: its page (which marks it read), and the read and star forms.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use chrono::Utc;
use serde::Deserialize;
use tributary_model::EntryId;

use super::views::EntryFull;
use super::{csrf_token, flash_message, parse_id, render, safe_back, see_other, wants_json, Page};
use crate::auth::CurrentUser;
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
    let entry = EntryFull::new(&item, Utc::now());
    render(
        &state,
        "entry.html",
        &page,
        minijinja::context! {
            entry => entry,
            marked_now => marked_now,
            back => safe_back(q.get("back").map(String::as_str)),
        },
    )
}

/// The read and star forms.
#[derive(Debug, Deserialize)]
pub struct FlagForm {
    csrf: Option<String>,
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
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<FlagForm>,
) -> Result<Response, WebError> {
    user.check_csrf(csrf_token(&headers, form.csrf.as_deref()))?;
    let id = EntryId(parse_id(&id)?);
    let read = one_or_zero(form.read.as_deref(), "read")?;
    let item = state
        .store
        .entry_for_user(user.user.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    state.store.set_read(user.user.id, id, read).await?;
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({
            "id": id.0, "read": read, "starred": item.starred,
        }))
        .into_response());
    }
    let back = safe_back(form.back.as_deref());
    Ok(see_other(&back))
}

/// `POST /entry/{id}/star` with `starred=1|0`.
pub async fn set_star(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<FlagForm>,
) -> Result<Response, WebError> {
    user.check_csrf(csrf_token(&headers, form.csrf.as_deref()))?;
    let id = EntryId(parse_id(&id)?);
    let starred = one_or_zero(form.starred.as_deref(), "starred")?;
    let item = state
        .store
        .entry_for_user(user.user.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    state.store.set_starred(user.user.id, id, starred).await?;
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({
            "id": id.0, "read": item.read, "starred": starred,
        }))
        .into_response());
    }
    Ok(see_other(&safe_back(form.back.as_deref())))
}
