//! `/settings/account`: change one's own password, see the private output
//! URLs and replace their token, and make and revoke the API passwords of
//! reader apps (shown once, on the page that answers the form).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::api_keys;
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
        Some("revoked") => Some("The API password was revoked; apps using it are signed out."),
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

/// An API password just made: shown once.
#[derive(Debug, Serialize)]
struct Shown {
    description: String,
    secret: String,
}

/// The API password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiPasswordForm {
    description: String,
}

/// `POST /settings/account/api-passwords`: make one and show it (once).
pub async fn create_api_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<ApiPasswordForm>,
) -> Result<Response, WebError> {
    let new = match api_keys::create(&state.store, &user.user, &form.description).await {
        Ok(new) => new,
        Err(WebError::Store(tributary_store::StoreError::Invalid(why))) => {
            let page = Page {
                api_error: Some(why),
                ..Page::default()
            };
            return render_page(&state, &headers, &user, StatusCode::BAD_REQUEST, page).await;
        }
        Err(e) => return Err(e),
    };
    tracing::info!(username = %user.user.username, token.id = new.token.id, "API password made");
    let page = Page {
        shown: Some(Shown {
            description: new.token.description,
            secret: new.secret,
        }),
        ..Page::default()
    };
    let mut response = render_page(&state, &headers, &user, StatusCode::OK, page).await?;
    // The secret must not linger in caches.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /settings/account/api-passwords/{id}/revoke`.
pub async fn revoke_api_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<TokenForm>,
) -> Result<Response, WebError> {
    // Not a number, or not one of the user's: the same 404.
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state.store.revoke_api_token(user.user.id, id).await?;
    tracing::info!(username = %user.user.username, token.id = id, "API password revoked");
    Ok(see_other("/settings/account?done=revoked#apps-heading"))
}

/// What a render of the page shows besides the account itself.
#[derive(Debug, Default)]
struct Page<'a> {
    notice: Option<&'a str>,
    errors: PasswordErrors,
    shown: Option<Shown>,
    api_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct ApiPasswordRow {
    id: i64,
    description: String,
    created: String,
    last_used: Option<String>,
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    status: StatusCode,
    notice: Option<&str>,
    errors: PasswordErrors,
) -> Result<Response, WebError> {
    let page = Page {
        notice,
        errors,
        ..Page::default()
    };
    render_page(state, headers, user, status, page).await
}

async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &CurrentUser,
    status: StatusCode,
    page: Page<'_>,
) -> Result<Response, WebError> {
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let api_passwords: Vec<ApiPasswordRow> = state
        .store
        .api_tokens(user.user.id)
        .await?
        .into_iter()
        .map(|t| ApiPasswordRow {
            id: t.id,
            description: t.description,
            created: when(t.created_at),
            last_used: t.last_used_at.map(when),
        })
        .collect();
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
        notice => page.notice,
        errors => page.errors,
        outputs => outputs,
        api_passwords => api_passwords,
        shown => page.shown,
        api_error => page.api_error,
        api_base => base,
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
