//! Users, API keys and the server's version.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use tributary_model::UserId;
use tributary_store::{ApiToken, ReadScope, User};

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::{created, model, no_content, parse_id, parse_json};
use crate::auth::{api_keys, hash_password_blocking, MIN_PASSWORD_CHARS};
use crate::AppState;

/// `GET /v1/version`.
pub async fn version(_user: ApiUser) -> Json<Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": "",
        "build_date": "",
        "go_version": "",
        "compiler": "rustc",
        "arch": std::env::consts::ARCH,
        "os": std::env::consts::OS,
        "tributary": true,
    }))
}

/// `GET /v1/integrations/status` (also under `/v1/users/`): Tributary
/// has no third-party integrations.
pub async fn integrations(_user: ApiUser) -> Json<Value> {
    Json(json!({ "has_integrations": false }))
}

/// `GET /v1/me`.
pub async fn me(ApiUser(user): ApiUser) -> Json<Value> {
    Json(model::user(&user))
}

/// `GET /v1/users` (admin).
pub async fn list(State(state): State<AppState>, caller: ApiUser) -> ApiResult<Json<Value>> {
    caller.require_admin()?;
    let users = state.store.users().await?;
    Ok(Json(Value::Array(users.iter().map(model::user).collect())))
}

#[derive(Deserialize)]
pub(crate) struct NewUser {
    username: Option<String>,
    password: Option<String>,
    #[serde(default)]
    is_admin: bool,
}

/// A password as the API accepts it (what the login form accepts).
fn check_password(password: &str) -> ApiResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(format!(
            "The password must have at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    Ok(())
}

/// `POST /v1/users` (admin): `{username, password, is_admin}` → 201 user.
pub async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    body: Bytes,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let req: NewUser = parse_json(&body)?;
    let username = req.username.unwrap_or_default();
    if username.trim().is_empty() {
        return Err(ApiError::bad_request("The username is mandatory."));
    }
    let password = req.password.unwrap_or_default();
    check_password(&password)?;
    if state.store.user_by_name(&username).await?.is_some() {
        return Err(ApiError::bad_request("This user already exists."));
    }
    let hash = hash_password_blocking(password).await?;
    let user = state
        .store
        .create_user(&username, &hash, req.is_admin)
        .await?;
    Ok(created(model::user(&user)))
}

/// The user named by a path segment: an id, else a user name.
async fn find(state: &AppState, raw: &str) -> ApiResult<Option<User>> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(state.store.user(UserId(id)).await?),
        Ok(_) => Err(ApiError::bad_request(format!("invalid user ID: {raw:?}"))),
        Err(_) => Ok(state.store.user_by_name(raw).await?),
    }
}

/// `GET /v1/users/{id}` and `GET /v1/users/{username}` (admin).
pub async fn get_one(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require_admin()?;
    let user = find(&state, &raw).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(model::user(&user)))
}

#[derive(Deserialize)]
pub(crate) struct UserChange {
    username: Option<String>,
    password: Option<String>,
    is_admin: Option<bool>,
}

/// `PUT /v1/users/{id}`: a new password and admin rights (admins only);
/// Miniflux's display settings are accepted and ignored (Tributary keeps
/// none); a different user name is refused. 201 with the user.
pub async fn update(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = UserId(parse_id(&raw, "user")?);
    let req: UserChange = parse_json(&body)?;
    let target = state
        .store
        .user(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !caller.is_admin {
        if target.id != caller.id {
            return Err(ApiError::forbidden());
        }
        if req.is_admin == Some(true) {
            return Err(ApiError::bad_request(
                "only administrators can change permissions of standard users",
            ));
        }
    }
    if let Some(name) = &req.username {
        if name != &target.username {
            return Err(ApiError::bad_request(
                "Tributary cannot rename users; the username must stay as it is.",
            ));
        }
    }
    if let Some(password) = req.password {
        check_password(&password)?;
        let hash = hash_password_blocking(password).await?;
        state.store.set_password_hash(target.id, &hash).await?;
    }
    if let Some(admin) = req.is_admin {
        if admin != target.is_admin {
            state.store.set_admin(target.id, admin).await?;
        }
    }
    let user = state
        .store
        .user(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(created(model::user(&user)))
}

/// `DELETE /v1/users/{id}` (admin; not oneself) → 204.
pub async fn remove(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let id = UserId(parse_id(&raw, "user")?);
    let target = state
        .store
        .user(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if target.id == caller.0.id {
        return Err(ApiError::bad_request("you cannot remove yourself"));
    }
    state.store.remove_user(target.id).await?;
    Ok(no_content())
}

/// `PUT /v1/users/{id}/mark-all-as-read` (only oneself) → 204.
pub async fn mark_all_read(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = UserId(parse_id(&raw, "user")?);
    if id != caller.id {
        return Err(ApiError::forbidden());
    }
    state
        .store
        .mark_all_read(caller.id, ReadScope::All, Utc::now())
        .await?;
    Ok(no_content())
}

/// An API key as Miniflux shows it; the secret only when it was just made.
fn api_key(token: &ApiToken, secret: Option<&str>) -> Value {
    json!({
        "id": token.id,
        "user_id": token.user_id.0,
        "token": secret.unwrap_or(""),
        "description": token.description,
        "last_used_at": token.last_used_at.map(model::time),
        "created_at": model::time(token.created_at),
    })
}

/// `GET /v1/api-keys`: the caller's API passwords (secrets are never shown again).
pub async fn api_keys(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Value>> {
    let tokens = state.store.api_tokens(user.id).await?;
    Ok(Json(Value::Array(
        tokens.iter().map(|t| api_key(t, None)).collect(),
    )))
}

#[derive(Deserialize)]
pub(crate) struct NewApiKey {
    description: Option<String>,
}

/// `POST /v1/api-keys` `{description}` → 201 with the new secret in `token`.
pub async fn create_api_key(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> ApiResult<Response> {
    let req: NewApiKey = parse_json(&body)?;
    let description = req.description.unwrap_or_default();
    if description.trim().is_empty() {
        return Err(ApiError::bad_request("The description is mandatory."));
    }
    let new = api_keys::create(&state.store, &user, description.trim()).await?;
    Ok(created(api_key(&new.token, Some(&new.secret))))
}

/// `DELETE /v1/api-keys/{id}` → 204 (404 unless it is the caller's).
pub async fn delete_api_key(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&raw, "API key")?;
    state.store.revoke_api_token(user.id, id).await?;
    Ok(no_content())
}
