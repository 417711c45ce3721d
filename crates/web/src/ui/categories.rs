//! `/categories`: create, rename and delete the user's categories (feeds
//! move between them on each feed's settings page).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use tributary_model::CategoryId;
use tributary_store::StoreError;

use super::forms::FieldErrors;
use super::{csrf_token, flash_message, parse_id, render_status, see_other, Page};
use crate::auth::CurrentUser;
use crate::{AppState, WebError};

/// The category forms.
#[derive(Debug, Default, Deserialize)]
pub struct CategoryForm {
    csrf: Option<String>,
    /// New path (create) or new name (rename).
    name: Option<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    errors: FieldErrors,
    error_for: Option<i64>,
    typed: &str,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let categories = state.store.categories(user.user.id).await?;
    let page = Page::new(state, user, "categories", "/categories".into()).with_flash(flash);
    render_status(
        state,
        status,
        "categories.html",
        &page,
        minijinja::context! {
            categories => categories,
            errors => errors,
            error_for => error_for,
            typed => typed,
        },
    )
}

/// `GET /categories`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let flash = flash_message(q.get("done").map(String::as_str), None);
    page(
        &state,
        &user,
        StatusCode::OK,
        FieldErrors::default(),
        None,
        "",
        flash,
    )
    .await
}

/// A store refusal as a message next to the field, other errors as they are.
fn field_error(e: StoreError) -> Result<String, WebError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

/// `POST /categories`: create a category path (`Net/Vendors`).
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(form): Form<CategoryForm>,
) -> Result<Response, WebError> {
    user.check_csrf(csrf_token(&headers, form.csrf.as_deref()))?;
    let name = form.name.as_deref().unwrap_or("").trim();
    let mut errors = FieldErrors::default();
    if name.is_empty() {
        errors.add("name", "Give the category a name.");
    } else if name.chars().count() > 200 {
        errors.add("name", "Keep the name under 200 characters.");
    } else {
        match state.store.create_category(user.user.id, name).await {
            Ok(_) => return Ok(see_other("/categories?done=category-created")),
            Err(e) => errors.add("name", field_error(e)?),
        }
    }
    page(
        &state,
        &user,
        StatusCode::BAD_REQUEST,
        errors,
        None,
        name,
        None,
    )
    .await
}

/// `POST /categories/{id}/rename`.
pub async fn rename(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CategoryForm>,
) -> Result<Response, WebError> {
    user.check_csrf(csrf_token(&headers, form.csrf.as_deref()))?;
    let id = CategoryId(parse_id(&id)?);
    let categories = state.store.categories(user.user.id).await?;
    if !categories.iter().any(|c| c.id == id) {
        return Err(WebError::NotFound);
    }
    let name = form.name.as_deref().unwrap_or("").trim();
    let mut errors = FieldErrors::default();
    if name.is_empty() {
        errors.add("rename", "Give the category a name.");
    } else if name.contains('/') {
        errors.add(
            "rename",
            "A name cannot contain “/”; create a sub-category instead.",
        );
    } else {
        match state.store.rename_category(user.user.id, id, name).await {
            Ok(_) => return Ok(see_other("/categories?done=category-renamed")),
            Err(StoreError::NotFound(_)) => return Err(WebError::NotFound),
            Err(e) => errors.add("rename", field_error(e)?),
        }
    }
    page(
        &state,
        &user,
        StatusCode::BAD_REQUEST,
        errors,
        Some(id.0),
        "",
        None,
    )
    .await
}

/// `POST /categories/{id}/delete`: its feeds become uncategorized.
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CategoryForm>,
) -> Result<Response, WebError> {
    user.check_csrf(csrf_token(&headers, form.csrf.as_deref()))?;
    let id = CategoryId(parse_id(&id)?);
    let categories = state.store.categories(user.user.id).await?;
    if !categories.iter().any(|c| c.id == id) {
        return Err(WebError::NotFound);
    }
    state.store.delete_category(user.user.id, id).await?;
    Ok(see_other("/categories?done=category-deleted"))
}
