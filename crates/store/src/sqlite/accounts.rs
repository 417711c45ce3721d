//! Users, sessions, output tokens and settings.

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};
use tributary_model::UserId;

use crate::rows::{user_columns, SessionRow, UserRow};
use crate::sqlite::{begin_write, subscriptions};
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

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub(crate) async fn create_user(
    pool: &SqlitePool,
    username: &str,
    password_hash: &str,
    is_admin: bool,
) -> StoreResult<User> {
    check_username(username)?;
    let id: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, is_admin, created_at) \
         VALUES (?, ?, ?, ?) RETURNING id",
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

async fn user_in(conn: &mut SqliteConnection, id: i64) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.id = ?"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn bootstrap_admin(
    pool: &SqlitePool,
    username: &str,
    password_hash: &str,
) -> StoreResult<Option<User>> {
    check_username(username)?;
    let mut tx = begin_write(pool).await?;
    let with_password: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")
            .fetch_one(&mut *tx)
            .await?;
    if with_password > 0 {
        return Ok(None);
    }
    // The named user if there is one, else the CLI's `default` user.
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE username = ?1 \
         UNION ALL SELECT id FROM users WHERE username = ?2 LIMIT 1",
    )
    .bind(username)
    .bind(subscriptions::DEFAULT_USERNAME)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE users SET username = ?, password_hash = ?, is_admin = 1 WHERE id = ?",
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
                 VALUES (?, ?, 1, ?) RETURNING id",
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

pub(crate) async fn default_user(pool: &SqlitePool) -> StoreResult<UserId> {
    let admin: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE is_admin = 1 ORDER BY id LIMIT 1")
            .fetch_optional(pool)
            .await?;
    match admin {
        Some(id) => Ok(UserId(id)),
        None => subscriptions::ensure_user(pool, subscriptions::DEFAULT_USERNAME).await,
    }
}

pub(crate) async fn users(pool: &SqlitePool) -> StoreResult<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u ORDER BY u.username"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn user(pool: &SqlitePool, id: UserId) -> StoreResult<Option<User>> {
    let mut conn = pool.acquire().await?;
    user_in(&mut conn, id.0).await
}

pub(crate) async fn user_by_name(pool: &SqlitePool, username: &str) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.username = ?"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn password_hash(pool: &SqlitePool, user: UserId) -> StoreResult<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(user.0)
            .fetch_optional(pool)
            .await?;
    Ok(hash.flatten())
}

fn no_user(user: UserId) -> StoreError {
    StoreError::NotFound(format!("user {user}"))
}

pub(crate) async fn set_password_hash(
    pool: &SqlitePool,
    user: UserId,
    password_hash: &str,
) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(password_hash)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(no_user(user));
    }
    sqlx::query("DELETE FROM sessions WHERE user_id = ?")
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `Invalid` if `user` is the only admin; `NotFound` if unknown.
async fn refuse_last_admin(
    conn: &mut SqliteConnection,
    user: UserId,
    doing: &str,
) -> StoreResult<()> {
    let is_admin: Option<bool> = sqlx::query_scalar("SELECT is_admin FROM users WHERE id = ?")
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?;
    let is_admin = is_admin.ok_or_else(|| no_user(user))?;
    if is_admin {
        let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE is_admin = 1")
            .fetch_one(&mut *conn)
            .await?;
        if admins <= 1 {
            return Err(StoreError::Invalid(format!(
                "cannot {doing} the last admin; make another user admin first"
            )));
        }
    }
    Ok(())
}

pub(crate) async fn set_admin(pool: &SqlitePool, user: UserId, is_admin: bool) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    if !is_admin {
        refuse_last_admin(&mut tx, user, "take admin rights from").await?;
    }
    let done = sqlx::query("UPDATE users SET is_admin = ? WHERE id = ?")
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

pub(crate) async fn remove_user(pool: &SqlitePool, user: UserId) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    refuse_last_admin(&mut tx, user, "remove").await?;
    let feeds: Vec<i64> = sqlx::query_scalar("SELECT feed_id FROM subscriptions WHERE user_id = ?")
        .bind(user.0)
        .fetch_all(&mut *tx)
        .await?;
    // Subscriptions, categories, states and sessions go with the user (ON DELETE CASCADE).
    sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    for feed in feeds {
        // Entries (and their search index rows) go with the feed.
        sqlx::query(
            "DELETE FROM feeds WHERE id = ? \
               AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE feed_id = feeds.id)",
        )
        .bind(feed)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(user.id = %user, "user removed");
    Ok(())
}

pub(crate) async fn create_session(
    pool: &SqlitePool,
    user: UserId,
    token_hash: &str,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         SELECT ?, id, ?, ?, ? FROM users WHERE id = ?",
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
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        ", s.csrf_token AS csrf_token, s.expires_at AS expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = ? AND s.expires_at > ? AND s.api_token_id IS NULL"
    ))
    .bind(token_hash)
    .bind(time::to_db(now))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn delete_session(pool: &SqlitePool, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn prune_sessions(pool: &SqlitePool, now: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
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

pub(crate) async fn output_token(
    pool: &SqlitePool,
    user: UserId,
    rotate: bool,
) -> StoreResult<String> {
    let mut tx = begin_write(pool).await?;
    let current: Option<Option<String>> =
        sqlx::query_scalar("SELECT output_token FROM users WHERE id = ?")
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
    let current = current.ok_or_else(|| no_user(user))?;
    if let (Some(token), false) = (current, rotate) {
        return Ok(token);
    }
    let token = new_token()?;
    sqlx::query("UPDATE users SET output_token = ? WHERE id = ?")
        .bind(&token)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(token)
}

pub(crate) async fn user_by_output_token(
    pool: &SqlitePool,
    token: &str,
) -> StoreResult<Option<User>> {
    if token.is_empty() {
        return Ok(None);
    }
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.output_token = ?"
    ))
    .bind(token)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn setting(pool: &SqlitePool, key: &str) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(pool)
            .await?,
    )
}

pub(crate) async fn setting_or_insert(
    pool: &SqlitePool,
    key: &str,
    value: &str,
) -> StoreResult<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn set_setting(
    pool: &SqlitePool,
    key: &str,
    value: Option<&str>,
) -> StoreResult<()> {
    match value {
        Some(value) => {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM settings WHERE key = ?")
                .bind(key)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}
