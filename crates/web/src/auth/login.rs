//! `GET/POST /login` and `POST /logout`.

use std::sync::OnceLock;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::session::{self, random_token, same_secret, set_cookie, token_hash};
use super::{
    see_other, verify_password_blocking, ClientIp, CsrfForm, CurrentUser, PageContext,
    LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::{AppState, WebError};

/// Said for an unknown user and a wrong password alike.
const WRONG: &str = "wrong user name or password";

/// `?next=` of the login form.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The login form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct LoginErrors {
    username: Option<String>,
    password: Option<String>,
    form: Option<String>,
}

/// `GET /login`: the form, with a fresh double-submit token in a cookie.
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let token = match session::cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(t) if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) => t,
        _ => random_token()?,
    };
    let next = session::safe_next(query.next.as_deref());
    render(
        &state,
        &headers,
        StatusCode::OK,
        token,
        "",
        &next,
        LoginErrors::default(),
    )
}

fn render(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    token: String,
    username: &str,
    next: &str,
    errors: LoginErrors,
) -> Result<Response, WebError> {
    let secure = session::is_https(state, headers);
    let cookie = set_cookie(LOGIN_CSRF_COOKIE, &token, "/login", None, secure);
    let ctx = PageContext::anonymous(state, token).with(minijinja::context! {
        username => username,
        next => next,
        errors => errors,
    });
    let page = state.templates.render("login.html", ctx)?;
    let mut response = (status, page).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| WebError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// A hash to check against when the user does not exist, so that an
/// unknown name takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| super::hash_password("no such user, no such password").unwrap_or_default())
}

/// `POST /login`.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let cookie_token = session::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_secret(&form.csrf, &cookie_token) {
        return Err(WebError::Csrf);
    }
    let next = session::safe_next(form.next.as_deref());
    let username = form.username.trim().to_owned();
    let mut errors = LoginErrors::default();
    if username.is_empty() {
        errors.username = Some("enter your user name".to_owned());
    }
    if form.password.is_empty() {
        errors.password = Some("enter your password".to_owned());
    }
    let again = |status, errors| {
        render(
            &state,
            &headers,
            status,
            cookie_token.clone(),
            &username,
            &next,
            errors,
        )
    };
    if errors.username.is_some() || errors.password.is_some() {
        return again(StatusCode::BAD_REQUEST, errors);
    }
    if let Err(wait) = state.throttle.check(&username, ip) {
        tracing::warn!(username = %username, ip = ?ip, wait_secs = wait, "login refused: too many failures");
        return Err(WebError::Throttled(wait));
    }
    let user = state.store.user_by_name(&username).await?;
    let hash = match &user {
        Some(u) => state.store.password_hash(u.id).await?,
        None => None,
    };
    let ok = match hash {
        Some(hash) => verify_password_blocking(form.password.clone(), hash).await,
        None => {
            verify_password_blocking(form.password.clone(), dummy_hash().to_owned()).await;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.throttle.failed(&username, ip);
        tracing::warn!(username = %username, ip = ?ip, "login failed");
        errors.form = Some(WRONG.to_owned());
        return again(StatusCode::UNAUTHORIZED, errors);
    };
    state.throttle.succeeded(&username);
    tracing::info!(username = %username, user.id = %user.id, ip = ?ip, "login succeeded");
    if let Some(old) = session::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&token_hash(&old)).await?;
    }
    // Logins are rare: a good moment to drop expired sessions.
    match state.store.prune_sessions(Utc::now()).await {
        Ok(n) if n > 0 => tracing::debug!(pruned = n, "expired sessions deleted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
    }
    let mut response = see_other(&next);
    start_session(&state, &headers, &user, &mut response).await?;
    let clear = set_cookie(
        LOGIN_CSRF_COOKIE,
        "",
        "/login",
        Some(0),
        session::is_https(&state, &headers),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(|e| WebError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// Create a new session for `user` and set its cookie on `response`.
pub(super) async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: &tributary_store::User,
    response: &mut Response,
) -> Result<(), WebError> {
    let token = random_token()?;
    let csrf = random_token()?;
    let ttl = state.config.session_ttl;
    let expires =
        Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::days(30));
    state
        .store
        .create_session(user.id, &token_hash(&token), &csrf, expires)
        .await?;
    let cookie = set_cookie(
        SESSION_COOKIE,
        &token,
        "/",
        Some(ttl.as_secs()),
        session::is_https(state, headers),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| WebError::Internal(e.to_string()))?,
    );
    Ok(())
}

/// The logout form (only its `csrf`).
#[derive(Debug, Deserialize)]
pub struct LogoutForm {}

/// `POST /logout`: end the session here and on the server.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, .. }: CsrfForm<LogoutForm>,
) -> Result<Response, WebError> {
    end_session(&state, &user).await?;
    tracing::info!(username = %user.user.username, "logout");
    let mut response = see_other("/login");
    let clear = set_cookie(
        SESSION_COOKIE,
        "",
        "/",
        Some(0),
        session::is_https(&state, &headers),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(|e| WebError::Internal(e.to_string()))?,
    );
    Ok(response)
}

async fn end_session(state: &AppState, user: &CurrentUser) -> Result<(), WebError> {
    state.store.delete_session(&user.session_hash).await?;
    Ok(())
}
