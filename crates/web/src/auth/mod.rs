//! Accounts on the web: login and logout, session cookies, CSRF tokens,
//! login throttling, password hashing (argon2id), the account settings page
//! and the admin's page.
//!
//! - A handler that needs a signed-in user takes [`CurrentUser`]; without a
//!   session, GET and HEAD are redirected to `/login?next=…`, other methods
//!   get a 401 page.
//! - A form handler takes [`CsrfForm<T>`] instead: it is the signed-in user
//!   *and* the form, and it only exists when the form's `csrf` field (or the
//!   `X-CSRF-Token` header) carries the session's token; otherwise the
//!   request is answered 403 before the handler runs. Handlers that parse
//!   their own body (multipart uploads) call [`CurrentUser::check_csrf`].
//! - Every page of a signed-in user is rendered with a [`PageContext`]
//!   (`site_title`, `user`, `csrf`, `is_admin`) at the top level of the
//!   template context; `base.html` puts `csrf` into
//!   `<meta name="csrf-token" content="…">` for scripts. Build one with
//!   [`PageContext::new`] and add the page's own values with
//!   [`PageContext::with`].
//!
//! Sessions: the cookie [`SESSION_COOKIE`] holds 32 random bytes (hex); the
//! store keeps only their SHA-256, with a random CSRF token per session.
//! Every login makes a new session (no fixation); logout deletes it on the
//! server; a password change ends all of the user's sessions.

mod account;
mod admin;
pub mod api_keys;
mod login;
pub mod session;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tributary_store::User;

pub use throttle::Throttle;

use crate::{AppState, WebError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tributary_session";
/// Name of the cookie that protects the login form (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "tributary_login_csrf";
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The signed-in user of a request, with the session's CSRF token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// Token that every state-changing form of this session must send back
    /// (as the `csrf` field, or the `X-CSRF-Token` header for scripts).
    pub csrf: String,
    /// SHA-256 (hex) of the session cookie: the session's key in the store.
    pub session_hash: String,
}

impl CurrentUser {
    /// `Err(WebError::Csrf)` unless `token` is this session's CSRF token
    /// (compared in constant time).
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if session::same_secret(token, &self.csrf) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// The session of these request headers, if it is valid now.
    pub async fn from_headers(
        headers: &axum::http::HeaderMap,
        state: &AppState,
    ) -> Result<Option<CurrentUser>, WebError> {
        let Some(token) = session::cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let hash = session::token_hash(&token);
        let found = state.store.session(&hash, chrono::Utc::now()).await?;
        Ok(found.map(|s| CurrentUser {
            user: s.user,
            csrf: s.csrf_token,
            session_hash: hash,
        }))
    }
}

/// Without a valid session: a redirect to `/login?next=PATH` for GET and
/// HEAD, `401` for other methods.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        match CurrentUser::from_headers(&parts.headers, state).await {
            Ok(Some(user)) => {
                parts.extensions.insert(user.clone());
                Ok(user)
            }
            Ok(None) if parts.method == Method::GET || parts.method == Method::HEAD => {
                let target = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |pq| pq.as_str())
                    .to_owned();
                Err(login_redirect(&target))
            }
            Ok(None) => Err(WebError::Unauthorized.into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// 303 to the login form, coming back to `target` afterwards.
pub fn login_redirect(target: &str) -> Response {
    let next = crate::outputs::paging::encode(target);
    see_other(&format!("/login?next={next}"))
}

/// A `303 See Other` to `location`.
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A signed-in user's form, accepted only with the session's CSRF token.
///
/// The body is `application/x-www-form-urlencoded`; its `csrf` field (or
/// the `X-CSRF-Token` header) must be the session's token, else 403. A body
/// that does not fit `T` is a 400 saying what was wrong.
#[derive(Debug, Clone)]
pub struct CsrfForm<T> {
    /// Who sent it.
    pub user: CurrentUser,
    /// The form's fields.
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        let limit = state.config.max_upload_bytes.max(64 * 1024);
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            WebError::TooLarge(format!("the form is larger than {limit} bytes")).into_response()
        })?;
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let token = header_token.or_else(|| {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))
        });
        user.check_csrf(token.as_deref().unwrap_or(""))
            .map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            WebError::BadRequest(format!("the form is not valid: {e}")).into_response()
        })?;
        Ok(CsrfForm { user, form })
    }
}

/// The client's address when the server was started with connect info
/// (`into_make_service_with_connect_info::<SocketAddr>()`), else `None`.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// What every page's template gets at the top level of its context.
#[derive(Debug, Clone, Serialize)]
pub struct PageContext {
    /// `WebConfig::site_title`.
    pub site_title: String,
    /// The signed-in user (`None` on the login page).
    pub user: Option<User>,
    /// The session's CSRF token (on the login page: the login form's token).
    pub csrf: String,
    /// Whether the user is an admin (shows the admin link).
    pub is_admin: bool,
}

impl PageContext {
    /// The context of a signed-in user's page.
    pub fn new(state: &AppState, current: &CurrentUser) -> PageContext {
        PageContext {
            site_title: state.config.site_title.clone(),
            user: Some(current.user.clone()),
            csrf: current.csrf.clone(),
            is_admin: current.user.is_admin,
        }
    }

    /// The context of a page without a signed-in user.
    pub fn anonymous(state: &AppState, csrf: String) -> PageContext {
        PageContext {
            site_title: state.config.site_title.clone(),
            user: None,
            csrf,
            is_admin: false,
        }
    }

    /// This context merged with the page's own values (`extra` must
    /// serialize to a map; its keys win over the context's).
    pub fn with(&self, extra: impl Serialize) -> minijinja::Value {
        let base = minijinja::Value::from_serialize(self);
        let extra = minijinja::Value::from_serialize(&extra);
        minijinja::context! { ..extra, ..base }
    }
}

/// Hash a password with argon2id (a PHC string).
pub fn hash_password(password: &str) -> Result<String, WebError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)
        .map_err(|e| WebError::Internal(format!("the system gave no random numbers: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| WebError::Internal(format!("password salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| WebError::Internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the PHC `hash` (false for a hash that does not parse).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// [`verify_password`] on the blocking pool (argon2 takes tens of milliseconds).
pub async fn verify_password_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// [`hash_password`] on the blocking pool.
pub async fn hash_password_blocking(password: String) -> Result<String, WebError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| WebError::Internal(format!("password hashing stopped: {e}")))?
}

/// `/login`, `/logout`, `/settings/account`, `/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route(
            "/settings/account",
            get(account::page).post(account::change_password),
        )
        .route("/settings/account/token", post(account::rotate_token))
        .route(
            "/settings/account/api-passwords",
            post(account::create_api_password),
        )
        .route(
            "/settings/account/api-passwords/{id}/revoke",
            post(account::revoke_api_password),
        )
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{id}/remove", post(admin::remove_user))
        .route("/admin/planet", post(admin::set_planet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn csrf_is_checked() {
        let user = CurrentUser {
            user: User {
                id: tributary_model::UserId(1),
                username: "ann".into(),
                is_admin: false,
                has_password: true,
                created_at: chrono::Utc::now(),
            },
            csrf: "abc123".into(),
            session_hash: "h".into(),
        };
        assert!(user.check_csrf("abc123").is_ok());
        assert!(matches!(user.check_csrf("abc124"), Err(WebError::Csrf)));
        assert!(matches!(user.check_csrf(""), Err(WebError::Csrf)));
    }
}
