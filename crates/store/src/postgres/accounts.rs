//! Users, sessions, output tokens and settings.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tributary_model::UserId;

use crate::postgres::{begin_write, subscriptions};
use crate::rows::{user_columns, SessionRow, UserRow};
use crate::{time, Session, StoreError, StoreResult, User};

/// Longest user name, in bytes.
const MAX_USERNAME: usize = 64;

/// Why `name` cannot be a user name, if it cannot.
pub(crate) fn check_username(name: &str) -> StoreResult<()> {
    if name.is_empty() {
        return Err(StoreError::Invalid("the user name is empty".to_owned()));
    }
    if name.len() > MAX_USERNAME {
        return Err(StoreError::Invalid(format!(
            "the user name is longer than {MAX_USERNAME} bytes"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(StoreError::Invalid(format!(
            "the user name may only have letters, digits, '.', '_', '-' and '@', not {bad:?}"
        )));
    }
    Ok(())
}

/// Whether PostgreSQL can hold `s`: its text cannot have a NUL character
/// (binding one is an error, where SQLite stores it). A value it cannot
/// hold matches nothing stored, so look-ups answer "none" without asking.
pub(crate) fn storable(s: &str) -> bool {
    !s.contains('\0')
}

/// `Invalid` naming `what` if PostgreSQL cannot hold `s` (see [`storable`]).
pub(crate) fn require_storable(what: &str, s: &str) -> StoreResult<()> {
    if storable(s) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "the {what} has a NUL character"
        )))
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub(crate) async fn create_user(
    pool: &PgPool,
    username: &str,
    password_hash: &str,
    is_admin: bool,
) -> StoreResult<User> {
    check_username(username)?;
    let id: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, is_admin, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(username)
    .bind(password_hash)
    .bind(is_admin)
    .bind(time::to_db(Utc::now()))
    .fetch_one(pool)
    .await;
    match id {
        Ok(id) => user(pool, UserId(id))
            .await?
            .ok_or_else(|| no_user(UserId(id))),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "a user named {username:?} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn user_in(conn: &mut PgConnection, id: i64) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn bootstrap_admin(
    pool: &PgPool,
    username: &str,
    password_hash: &str,
) -> StoreResult<Option<User>> {
    check_username(username)?;
    let mut tx = begin_write(pool).await?;
    // Two first starts at once must not both make an admin: the lock (which
    // conflicts with itself and with every write to `users`, not with reads)
    // holds the count below true until the commit.
    sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let with_password: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")
            .fetch_one(&mut *tx)
            .await?;
    if with_password > 0 {
        return Ok(None);
    }
    // The named user if there is one, else the CLI's `default` user.
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE username IN ($1, $2) \
         ORDER BY username = $1 DESC LIMIT 1",
    )
    .bind(username)
    .bind(subscriptions::DEFAULT_USERNAME)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE users SET username = $1, password_hash = $2, is_admin = TRUE WHERE id = $3",
            )
            .bind(username)
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, is_admin, created_at) \
                 VALUES ($1, $2, TRUE, $3) RETURNING id",
            )
            .bind(username)
            .bind(password_hash)
            .bind(time::to_db(Utc::now()))
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let user = user_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(user)
}

pub(crate) async fn default_user(pool: &PgPool) -> StoreResult<UserId> {
    let admin: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE is_admin ORDER BY id LIMIT 1")
            .fetch_optional(pool)
            .await?;
    match admin {
        Some(id) => Ok(UserId(id)),
        None => subscriptions::ensure_user(pool, subscriptions::DEFAULT_USERNAME).await,
    }
}

pub(crate) async fn users(pool: &PgPool) -> StoreResult<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u ORDER BY u.username"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn user(pool: &PgPool, id: UserId) -> StoreResult<Option<User>> {
    let mut conn = pool.acquire().await?;
    user_in(&mut conn, id.0).await
}

pub(crate) async fn user_by_name(pool: &PgPool, username: &str) -> StoreResult<Option<User>> {
    if !storable(username) {
        return Ok(None);
    }
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.username = $1"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn password_hash(pool: &PgPool, user: UserId) -> StoreResult<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(pool)
            .await?;
    Ok(hash.flatten())
}

fn no_user(user: UserId) -> StoreError {
    StoreError::NotFound(format!("user {user}"))
}

pub(crate) async fn set_password_hash(
    pool: &PgPool,
    user: UserId,
    password_hash: &str,
) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(no_user(user));
    }
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `Invalid` if `user` is the only admin; `NotFound` if unknown.
///
/// Locks `user`'s row and every admin's (in id order, so two of these never
/// wait on each other crosswise) until the transaction ends: two admins
/// demoting or removing each other at once cannot both pass.
async fn refuse_last_admin(conn: &mut PgConnection, user: UserId, doing: &str) -> StoreResult<()> {
    let locked: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT id, is_admin FROM users WHERE is_admin OR id = $1 ORDER BY id FOR UPDATE",
    )
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await?;
    // After a wait, a locked row is re-read: one demoted meanwhile shows
    // `is_admin` false here.
    let is_admin = locked
        .iter()
        .find(|(id, _)| *id == user.0)
        .map(|(_, admin)| *admin)
        .ok_or_else(|| no_user(user))?;
    if is_admin {
        let admins = locked.iter().filter(|(_, admin)| *admin).count();
        if admins <= 1 {
            return Err(StoreError::Invalid(format!(
                "cannot {doing} the last admin; make another user admin first"
            )));
        }
    }
    Ok(())
}

pub(crate) async fn set_admin(pool: &PgPool, user: UserId, is_admin: bool) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    if !is_admin {
        refuse_last_admin(&mut tx, user, "take admin rights from").await?;
    }
    let done = sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
        .bind(is_admin)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(no_user(user));
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn remove_user(pool: &PgPool, user: UserId) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    refuse_last_admin(&mut tx, user, "remove").await?;
    let feeds: Vec<i64> =
        sqlx::query_scalar("SELECT feed_id FROM subscriptions WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(&mut *tx)
            .await?;
    // Subscriptions, categories, states and sessions go with the user (ON DELETE CASCADE).
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    if !feeds.is_empty() {
        // Lock the feeds first (as an unsubscribe does): a subscription
        // another user adds meanwhile holds a key-share lock on its feed, so
        // it is either committed before the delete's snapshot, and keeps the
        // feed, or waits for this commit and creates the feed anew — never
        // deleted in passing by the cascade.
        sqlx::query("SELECT id FROM feeds WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&feeds)
            .execute(&mut *tx)
            .await?;
        // Entries (and their search index rows) go with the feed.
        sqlx::query(
            "DELETE FROM feeds WHERE id = ANY($1) \
               AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE feed_id = feeds.id)",
        )
        .bind(&feeds)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(user.id = %user, "user removed");
    Ok(())
}

pub(crate) async fn create_session(
    pool: &PgPool,
    user: UserId,
    token_hash: &str,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         SELECT $1, id, $2, $3, $4 FROM users WHERE id = $5",
    )
    .bind(token_hash)
    .bind(csrf_token)
    .bind(time::to_db(Utc::now()))
    .bind(time::to_db(expires_at))
    .bind(user.0)
    .execute(pool)
    .await;
    match done {
        Ok(done) if done.rows_affected() == 0 => Err(no_user(user)),
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(
            "a session with this token already exists".to_owned(),
        )),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn session(
    pool: &PgPool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Session>> {
    if !storable(token_hash) {
        return Ok(None);
    }
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        ", s.csrf_token AS csrf_token, s.expires_at AS expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.api_token_id IS NULL"
    ))
    .bind(token_hash)
    .bind(time::to_db(now))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn delete_session(pool: &PgPool, token_hash: &str) -> StoreResult<()> {
    if !storable(token_hash) {
        return Ok(());
    }
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn prune_sessions(pool: &PgPool, now: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(time::to_db(now))
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// 32 random bytes from the operating system, as hex.
fn new_token() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        StoreError::Invalid(format!("the system gave no random bytes for a token: {e}"))
    })?;
    Ok(hex::encode(bytes))
}

pub(crate) async fn output_token(pool: &PgPool, user: UserId, rotate: bool) -> StoreResult<String> {
    let mut tx = begin_write(pool).await?;
    let current: Option<Option<String>> =
        // Locked: two first asks at once get the same token.
        sqlx::query_scalar("SELECT output_token FROM users WHERE id = $1 FOR UPDATE")
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
    let current = current.ok_or_else(|| no_user(user))?;
    if let (Some(token), false) = (current, rotate) {
        return Ok(token);
    }
    let token = new_token()?;
    sqlx::query("UPDATE users SET output_token = $1 WHERE id = $2")
        .bind(&token)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(token)
}

pub(crate) async fn user_by_output_token(pool: &PgPool, token: &str) -> StoreResult<Option<User>> {
    if token.is_empty() || !storable(token) {
        return Ok(None);
    }
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.output_token = $1"
    ))
    .bind(token)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn setting(pool: &PgPool, key: &str) -> StoreResult<Option<String>> {
    if !storable(key) {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?,
    )
}

pub(crate) async fn setting_or_insert(
    pool: &PgPool,
    key: &str,
    value: &str,
) -> StoreResult<String> {
    require_storable("setting's name", key)?;
    require_storable("setting's value", value)?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn set_setting(pool: &PgPool, key: &str, value: Option<&str>) -> StoreResult<()> {
    require_storable("setting's name", key)?;
    if let Some(value) = value {
        require_storable("setting's value", value)?;
    }
    match value {
        Some(value) => {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM settings WHERE key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}
