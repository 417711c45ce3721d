//! `/admin`: users (list, add, remove) and the public planet (whose
//! subscriptions it shows, and its title). Admins only; others get 403.
//!
//! The planet is kept in the settings `planet.user` (a user name; unset
//! means no public planet) and `planet.title`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tributary_model::UserId;
use tributary_store::StoreError;

use super::{
    hash_password_blocking, see_other, CsrfForm, CurrentUser, PageContext, MIN_PASSWORD_CHARS,
};
use crate::outputs::{PLANET_TITLE, PLANET_USER};
use crate::{AppState, WebError};

fn require_admin(user: &CurrentUser) -> Result<(), WebError> {
    if user.user.is_admin {
        Ok(())
    } else {
        Err(WebError::Forbidden(
            "only admins may manage users and the planet".to_owned(),
        ))
    }
}

/// `?done=` after a change.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct AdminErrors {
    username: Option<String>,
    password: Option<String>,
    remove: Option<String>,
    planet: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct AddValues {
    username: String,
    admin: bool,
}

/// `GET /admin`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    require_admin(&user)?;
    let notice = match done.done.as_deref() {
        Some("added") => Some("The user was added."),
        Some("removed") => Some("The user was removed."),
        Some("planet") => Some("The planet settings were saved."),
        _ => None,
    };
    render(
        &state,
        &user,
        StatusCode::OK,
        notice,
        AdminErrors::default(),
        AddValues::default(),
    )
    .await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<&str>,
    errors: AdminErrors,
    add: AddValues,
) -> Result<Response, WebError> {
    let users = state.store.users().await?;
    let planet_user = state.store.setting(PLANET_USER).await?;
    let planet_title = state.store.setting(PLANET_TITLE).await?;
    let ctx = PageContext::new(state, user).with(minijinja::context! {
        notice => notice,
        errors => errors,
        add => add,
        users => users,
        planet_user => planet_user,
        planet_title => planet_title.unwrap_or_else(|| state.config.site_title.clone()),
    });
    Ok((status, state.templates.render("admin.html", ctx)?).into_response())
}

/// The add-user form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    username: String,
    password: String,
    admin: Option<String>,
}

/// `POST /admin/users`.
pub async fn add_user(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<AddForm>,
) -> Result<Response, WebError> {
    require_admin(&user)?;
    let username = form.username.trim().to_owned();
    let admin = form.admin.is_some();
    let mut errors = AdminErrors::default();
    if username.is_empty() {
        errors.username = Some("enter a user name".to_owned());
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.password = Some(format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if errors.username.is_none() && errors.password.is_none() {
        let hash = hash_password_blocking(form.password).await?;
        match state.store.create_user(&username, &hash, admin).await {
            Ok(created) => {
                tracing::info!(by = %user.user.username, username = %created.username, admin, "user added");
                return Ok(see_other("/admin?done=added"));
            }
            Err(StoreError::Conflict(_)) => {
                errors.username = Some(format!("there is already a user named {username:?}"));
            }
            Err(StoreError::Invalid(reason)) => errors.username = Some(reason),
            Err(e) => return Err(e.into()),
        }
    }
    render(
        &state,
        &user,
        StatusCode::BAD_REQUEST,
        None,
        errors,
        AddValues { username, admin },
    )
    .await
}

/// The remove-user form (only its `csrf`).
#[derive(Debug, Deserialize)]
pub struct RemoveForm {}

/// `POST /admin/users/{id}/remove`: not oneself, not the last admin.
pub async fn remove_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<RemoveForm>,
) -> Result<Response, WebError> {
    require_admin(&user)?;
    let id = id
        .parse::<i64>()
        .map(UserId)
        .map_err(|_| WebError::BadRequest(format!("{id:?} is not a user id")))?;
    let mut errors = AdminErrors::default();
    if id == user.user.id {
        errors.remove = Some("you cannot remove yourself".to_owned());
    } else {
        let Some(target) = state.store.user(id).await? else {
            return Err(WebError::NotFound);
        };
        match state.store.remove_user(id).await {
            Ok(()) => {
                tracing::info!(by = %user.user.username, username = %target.username, "user removed");
                if state.store.setting(PLANET_USER).await?.as_deref() == Some(&target.username) {
                    state.store.set_setting(PLANET_USER, None).await?;
                }
                return Ok(see_other("/admin?done=removed"));
            }
            Err(StoreError::Invalid(reason)) => errors.remove = Some(reason),
            Err(e) => return Err(e.into()),
        }
    }
    render(
        &state,
        &user,
        StatusCode::BAD_REQUEST,
        None,
        errors,
        AddValues::default(),
    )
    .await
}

/// The planet form: `user` is a user name or `none`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlanetForm {
    user: String,
    title: String,
}

/// `POST /admin/planet`.
pub async fn set_planet(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<PlanetForm>,
) -> Result<Response, WebError> {
    require_admin(&user)?;
    let name = form.user.trim();
    if name.is_empty() || name == "none" {
        state.store.set_setting(PLANET_USER, None).await?;
    } else if state.store.user_by_name(name).await?.is_some() {
        state.store.set_setting(PLANET_USER, Some(name)).await?;
    } else {
        let errors = AdminErrors {
            planet: Some(format!("there is no user named {name:?}")),
            ..AdminErrors::default()
        };
        return render(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            None,
            errors,
            AddValues::default(),
        )
        .await;
    }
    let title = form.title.trim();
    state
        .store
        .set_setting(PLANET_TITLE, Some(title).filter(|t| !t.is_empty()))
        .await?;
    tracing::info!(by = %user.user.username, planet = %name, "planet settings changed");
    Ok(see_other("/admin?done=planet"))
}
