//! Who is calling: `X-Auth-Token: SECRET`, or HTTP Basic
//! `username:SECRET`, where SECRET is one of the user's API passwords
//! (never the login password). Anything else is 401 with a JSON
//! `error_message`, like Miniflux.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tributary_store::User;

use super::error::ApiError;
use crate::auth::{api_keys, ClientIp};
use crate::AppState;

/// The user an API request acts as.
#[derive(Debug, Clone)]
pub struct ApiUser(pub User);

impl ApiUser {
    /// `Err(403)` unless the user is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.is_admin {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        if let Some(token) = parts.headers.get("x-auth-token") {
            let token = token.to_str().unwrap_or("").trim();
            return match api_keys::user_by_secret(state, token, ip).await? {
                Some(user) => Ok(ApiUser(user)),
                None => Err(ApiError::unauthorized()),
            };
        }
        let Some((username, password)) = api_keys::basic_credentials(&parts.headers) else {
            return Err(ApiError::unauthorized());
        };
        if username.is_empty() || password.is_empty() {
            return Err(ApiError::unauthorized());
        }
        match api_keys::user_by_password(state, &username, &password, ip).await? {
            Some((user, _)) => Ok(ApiUser(user)),
            None => Err(ApiError::unauthorized()),
        }
    }
}
