//! API passwords: the credentials reader apps use, separate from the login
//! password. One API password works for all three APIs:
//!
//! - Miniflux `/v1/`: as `X-Auth-Token: SECRET`, or HTTP Basic
//!   `username:SECRET`;
//! - Google Reader: `accounts/ClientLogin` with `Email=username&Passwd=SECRET`
//!   gives an `Auth=` token (an API session that ends with the password);
//! - Fever: `api_key = md5("username:SECRET")`, computed by the client.
//!
//! The store never sees a secret: it keeps its SHA-256 (hex) and the Fever
//! key. A secret is 20 random bytes written as 32 base32 characters
//! (lower case, no padding), short enough to type into a phone.
//!
//! Failures are counted by the login [`crate::auth::Throttle`] under the
//! user name and the client address (a bare secret, which names nobody,
//! by the address only), so an API is no faster a way to guess than the
//! login form.

use std::net::IpAddr;

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use tributary_store::{ApiToken, Store, User};

use crate::auth::session::{same_secret, token_hash};
use crate::{AppState, WebError};

/// A new API password: its record and the secret, shown once.
#[derive(Debug, Clone)]
pub struct NewApiPassword {
    /// What the store keeps.
    pub token: ApiToken,
    /// The secret to give to the app (never stored).
    pub secret: String,
}

/// SHA-256 of a secret, hex: how the store finds it.
pub fn secret_hash(secret: &str) -> String {
    token_hash(secret)
}

/// Fever's key for a user and secret: `md5("username:secret")`, hex.
pub fn fever_key(username: &str, secret: &str) -> String {
    hex::encode(Md5::digest(format!("{username}:{secret}").as_bytes()))
}

/// A new secret: 20 random bytes as 32 lower-case base32 characters.
fn new_secret() -> Result<String, WebError> {
    let mut bytes = [0u8; 20];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| WebError::Internal(format!("the system gave no random numbers: {e}")))?;
    Ok(data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase())
}

/// Make an API password for `user` (the UI, the APIs and the CLI's
/// `user token add` all come here). `BadRequest` for an empty description.
pub async fn create(
    store: &Store,
    user: &User,
    description: &str,
) -> Result<NewApiPassword, WebError> {
    let secret = new_secret()?;
    let token = store
        .create_api_token(
            user.id,
            description,
            &secret_hash(&secret),
            &fever_key(&user.username, &secret),
        )
        .await?;
    Ok(NewApiPassword { token, secret })
}

/// `Err(Throttled)` if attempts for `name` from `ip` must wait.
fn check(state: &AppState, name: &str, ip: Option<IpAddr>) -> Result<(), WebError> {
    state.throttle.check(name, ip).map_err(WebError::Throttled)
}

/// Count the outcome of an attempt for `name` from `ip`.
fn record<T>(state: &AppState, name: &str, ip: Option<IpAddr>, found: &Option<T>) {
    if found.is_some() {
        if !name.is_empty() {
            state.throttle.succeeded(name);
        }
    } else {
        state.throttle.failed(name, ip);
    }
}

/// The user of an `X-Auth-Token` (or any bare secret). Unknown secrets are
/// `Ok(None)`, counted as failures from `ip`; `Err(WebError::Throttled)` if
/// `ip` must wait.
pub async fn user_by_secret(
    state: &AppState,
    secret: &str,
    ip: Option<IpAddr>,
) -> Result<Option<User>, WebError> {
    check(state, "", ip)?;
    let found = if secret.is_empty() {
        None
    } else {
        state.store.user_by_api_secret(&secret_hash(secret)).await?
    };
    record(state, "", ip, &found);
    Ok(found.map(|(user, _)| user))
}

/// The user named `username` if `secret` is one of their API passwords
/// (HTTP Basic, ClientLogin). Throttled per name and address like logins.
pub async fn user_by_password(
    state: &AppState,
    username: &str,
    secret: &str,
    ip: Option<IpAddr>,
) -> Result<Option<(User, ApiToken)>, WebError> {
    check(state, username, ip)?;
    let found = if secret.is_empty() {
        None
    } else {
        state
            .store
            .user_by_api_secret(&secret_hash(secret))
            .await?
            .filter(|(user, _)| same_secret(&user.username, username))
    };
    record(state, username, ip, &found);
    Ok(found)
}

/// The user of a Fever `api_key` (32 hex digits, any case).
pub async fn user_by_fever_key(
    state: &AppState,
    key: &str,
    ip: Option<IpAddr>,
) -> Result<Option<User>, WebError> {
    check(state, "", ip)?;
    let key = key.trim().to_ascii_lowercase();
    let well_formed = key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit());
    let found = if well_formed {
        state.store.user_by_fever_key(&key).await?
    } else {
        None
    };
    record(state, "", ip, &found);
    Ok(found.map(|(user, _)| user))
}

/// `(username, password)` of an `Authorization: Basic …` header, if it
/// has one that decodes.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fever_key_is_md5_of_name_colon_secret() {
        // As a Fever client computes it: md5("alice:secret"), hex.
        assert_eq!(
            fever_key("alice", "secret"),
            "6f622058968bb90757e6c6ed79e5df81"
        );
        assert_eq!(fever_key("a", "b"), "d8160c9b3dc20d4e931aeb4f45262155");
    }

    #[test]
    fn secrets_are_32_base32_characters_and_differ() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn basic_credentials_decode_and_refuse_other_schemes() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "Basic YWxpY2U6czpwdw==".parse().unwrap(),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("alice".to_owned(), "s:pw".to_owned()))
        );
        h.insert(
            header::AUTHORIZATION,
            "Bearer YWxpY2U6cHc=".parse().unwrap(),
        );
        assert_eq!(basic_credentials(&h), None);
        h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert_eq!(basic_credentials(&h), None);
        h.insert(header::AUTHORIZATION, "Basic bm9jb2xvbg==".parse().unwrap());
        assert_eq!(basic_credentials(&h), None, "no colon");
    }
}
