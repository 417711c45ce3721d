//! Accounts: users with password hashes, login sessions, the unguessable
//! tokens of private outputs, and instance-wide settings.
//!
//! Hashing is the caller's job (the web crate uses argon2id); the store
//! keeps the PHC string as given. Session ids and CSRF tokens are stored as
//! given too — the web crate stores a SHA-256 of the session id, so a leaked
//! database does not hand out live sessions.

use crate::on_engine;
use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::UserId;

use crate::{Store, StoreResult};

/// A user account (never carries the password hash: see [`Store::password_hash`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login name (unique, compared exactly).
    pub username: String,
    /// May manage users and instance settings.
    pub is_admin: bool,
    /// Whether a password is set (the CLI's `default` user has none until `user passwd`).
    pub has_password: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A live login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose session it is.
    pub user: User,
    /// The CSRF token every state-changing form of this session must carry.
    pub csrf_token: String,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Create a user. `StoreError::Conflict` if the name is taken;
    /// `StoreError::Invalid` if the name is empty, longer than 64 bytes or
    /// has characters other than letters, digits, `.`, `_`, `-`, `@`.
    #[instrument(skip_all, fields(username))]
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> StoreResult<User> {
        on_engine!(self, |db| engine::accounts::create_user(
            &db.writer,
            username,
            password_hash,
            is_admin
        )
        .await)
    }

    /// On first start of `serve`: if no user has a password yet, give one
    /// to an admin named `username` and return it. A password-less user of
    /// the CLI (the `default` user, with its subscriptions) becomes that
    /// admin (renamed); otherwise it is created. `None` when some user
    /// already has a password (nothing changes).
    #[instrument(skip_all)]
    pub async fn bootstrap_admin(
        &self,
        username: &str,
        password_hash: &str,
    ) -> StoreResult<Option<User>> {
        on_engine!(self, |db| engine::accounts::bootstrap_admin(
            &db.writer,
            username,
            password_hash
        )
        .await)
    }

    /// All users, by name.
    pub async fn users(&self) -> StoreResult<Vec<User>> {
        on_engine!(self, |db| engine::accounts::users(&db.pool).await)
    }

    /// A user by id.
    pub async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        on_engine!(self, |db| engine::accounts::user(&db.pool, id).await)
    }

    /// A user by login name.
    pub async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        on_engine!(self, |db| engine::accounts::user_by_name(
            &db.pool, username
        )
        .await)
    }

    /// The stored password hash (PHC string), `None` if none is set.
    pub async fn password_hash(&self, user: UserId) -> StoreResult<Option<String>> {
        on_engine!(self, |db| engine::accounts::password_hash(&db.pool, user)
            .await)
    }

    /// Replace the password hash and end every session of the user.
    /// `NotFound` for an unknown user.
    pub async fn set_password_hash(&self, user: UserId, password_hash: &str) -> StoreResult<()> {
        on_engine!(self, |db| engine::accounts::set_password_hash(
            &db.writer,
            user,
            password_hash
        )
        .await)
    }

    /// Make a user admin or not. Refuses (`Invalid`) to take the last admin's rights.
    pub async fn set_admin(&self, user: UserId, is_admin: bool) -> StoreResult<()> {
        on_engine!(self, |db| engine::accounts::set_admin(
            &db.writer, user, is_admin
        )
        .await)
    }

    /// Delete a user with everything of theirs (subscriptions, categories,
    /// states, sessions, tokens); feeds nobody follows any more go too.
    /// Refuses (`Invalid`) to remove the last admin. `NotFound` if unknown.
    pub async fn remove_user(&self, user: UserId) -> StoreResult<()> {
        on_engine!(self, |db| engine::accounts::remove_user(&db.writer, user)
            .await)
    }

    /// Start a session. `token_hash` is what [`Store::session`] is later asked for.
    pub async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::accounts::create_session(
            &db.writer, user, token_hash, csrf_token, expires_at
        )
        .await)
    }

    /// The session with this token hash if it has not expired at `now`.
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        on_engine!(self, |db| engine::accounts::session(
            &db.pool, token_hash, now
        )
        .await)
    }

    /// End one session (logout). Unknown hashes are fine.
    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        on_engine!(self, |db| engine::accounts::delete_session(
            &db.writer, token_hash
        )
        .await)
    }

    /// Delete sessions that expired before `now`; returns how many.
    pub async fn prune_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_engine!(self, |db| engine::accounts::prune_sessions(&db.writer, now)
            .await)
    }

    /// The user's token for private output URLs (`/feeds/all.atom?token=…`),
    /// created (32 random bytes, hex) on first use.
    pub async fn output_token(&self, user: UserId) -> StoreResult<String> {
        on_engine!(self, |db| engine::accounts::output_token(
            &db.writer, user, false
        )
        .await)
    }

    /// Replace the output token (old private URLs stop working).
    pub async fn rotate_output_token(&self, user: UserId) -> StoreResult<String> {
        on_engine!(self, |db| engine::accounts::output_token(
            &db.writer, user, true
        )
        .await)
    }

    /// Whose output token this is.
    pub async fn user_by_output_token(&self, token: &str) -> StoreResult<Option<User>> {
        on_engine!(self, |db| engine::accounts::user_by_output_token(
            &db.pool, token
        )
        .await)
    }

    /// An instance-wide setting (`planet.user`, `planet.title`, …).
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        on_engine!(self, |db| engine::accounts::setting(&db.pool, key).await)
    }

    /// The setting `key`, first set to `value` if it has none: the first
    /// writer wins, so processes sharing one database agree (the media
    /// proxy's generated secret).
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        on_engine!(self, |db| engine::accounts::setting_or_insert(
            &db.writer, key, value
        )
        .await)
    }

    /// Set (`Some`) or clear (`None`) an instance-wide setting.
    pub async fn set_setting(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        on_engine!(self, |db| engine::accounts::set_setting(
            &db.writer, key, value
        )
        .await)
    }
}
