//! `/settings/account`: change one's own password, see the private output
//! URLs and replace their token.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{
    hash_password_blocking, login::start_session, see_other, verify_password_blocking, CsrfForm,
    CurrentUser, PageContext, MIN_PASSWORD_CHARS,
};
use crate::{outputs, AppState, WebError};

/// `?done=` after a change.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

#[derive(Debug, Default, Serialize)]
struct PasswordErrors {
    current: Option<String>,
    new: Option<String>,
    repeat: Option<String>,
}

impl PasswordErrors {
    fn any(&self) -> bool {
        self.current.is_some() || self.new.is_some() || self.repeat.is_some()
    }
}

#[derive(Debug, Serialize)]
struct OutputLink {
    name: &'static str,
    url: String,
}

/// `GET /settings/account`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let notice = match done.done.as_deref() {
        Some("password") => Some("Your password was changed; other sessions were signed out."),
        Some("token") => Some("New private URLs were made; the old ones no longer work."),
        _ => None,
    };
    render(
        &state,
        &headers,
        &user,
        StatusCode::OK,
        notice,
        PasswordErrors::default(),
    )
    .await
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<&str>,
    errors: PasswordErrors,
) -> Result<Response, WebError> {
    let token = state.store.output_token(user.user.id).await?;
    let base = outputs::base_url(state, headers);
    let outputs = outputs::PATHS
        .iter()
        .map(|(name, path)| OutputLink {
            name,
            url: format!("{base}{path}?token={token}"),
        })
        .collect::<Vec<_>>();
    let ctx = PageContext::new(state, user).with(minijinja::context! {
        notice => notice,
        errors => errors,
        outputs => outputs,
    });
    Ok((status, state.templates.render("account.html", ctx)?).into_response())
}

/// `POST /settings/account`: change the password (current, new, repeat).
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let mut errors = PasswordErrors::default();
    let stored = state.store.password_hash(user.user.id).await?;
    let current_ok = match stored {
        Some(hash) => verify_password_blocking(form.current.clone(), hash).await,
        None => false,
    };
    if !current_ok {
        errors.current = Some("this is not your current password".to_owned());
    }
    if form.new.chars().count() < MIN_PASSWORD_CHARS {
        errors.new = Some(format!(
            "the new password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if form.repeat != form.new {
        errors.repeat = Some("the two new passwords differ".to_owned());
    }
    if errors.any() {
        return render(
            &state,
            &headers,
            &user,
            StatusCode::BAD_REQUEST,
            None,
            errors,
        )
        .await;
    }
    let hash = hash_password_blocking(form.new).await?;
    // Ends every session of the user, this one too: it gets a new one.
    state.store.set_password_hash(user.user.id, &hash).await?;
    tracing::info!(username = %user.user.username, "password changed");
    let mut response = see_other("/settings/account?done=password");
    start_session(&state, &headers, &user.user, &mut response).await?;
    Ok(response)
}

/// The token form (only its `csrf`).
#[derive(Debug, Deserialize)]
pub struct TokenForm {}

/// `POST /settings/account/token`: new private output URLs.
pub async fn rotate_token(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<TokenForm>,
) -> Result<Response, WebError> {
    state.store.rotate_output_token(user.user.id).await?;
    tracing::info!(username = %user.user.username, "output token replaced");
    Ok(see_other("/settings/account?done=token"))
}
