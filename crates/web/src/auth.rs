//! Accounts on the web: login and logout, session cookies, CSRF tokens,
//! login throttling, password hashing (argon2id), and the admin's user
//! management page.
//!
//! A handler that needs a signed-in user takes [`CurrentUser`]; a form
//! handler calls [`CurrentUser::check_csrf`] with the token its form carried.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Router;
use tributary_store::User;

use crate::{AppState, WebError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tributary_session";

/// The signed-in user of a request, with the session's CSRF token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// Token that every state-changing form of this session must send back
    /// (as the `csrf` field, or the `X-CSRF-Token` header for scripts).
    pub csrf: String,
}

impl CurrentUser {
    /// `Err(WebError::Csrf)` unless `token` is this session's CSRF token
    /// (compared in constant time).
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        todo!("web core helper: check_csrf({token})")
    }
}

/// Without a valid session: a redirect to `/login?next=PATH` for GET and
/// HEAD, `401` for other methods.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        todo!(
            "web core helper: session lookup {:?} {}",
            parts.uri,
            state.config.site_title
        )
    }
}

/// Failed logins per user name and per client address, to slow guessing.
#[derive(Debug, Default)]
pub struct Throttle {
    _private: (),
}

/// Hash a password with argon2id (a PHC string).
pub fn hash_password(password: &str) -> Result<String, WebError> {
    todo!("web core helper: hash_password({})", password.len())
}

/// Whether `password` matches the PHC `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    todo!(
        "web core helper: verify_password({}, {hash})",
        password.len()
    )
}

/// `/login`, `/logout`, `/settings/account`, `/admin/users`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
