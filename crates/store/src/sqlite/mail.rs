//! SQL of the `mail_digests` and `mail_log` tables (see `crate::mail`).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use tributary_model::UserId;

use crate::mail::{
    categories_to_db, clip, mail_decoders, DigestCursor, DigestFrequency, DigestItem,
    DigestSettings, MailDigest, MailLogEntry, MailResult, MAIL_LOG_KEEP,
};
use crate::rows::entry_columns;
use crate::{time, StoreError, StoreResult};

mail_decoders!(SqliteRow);

const SELECT: &str = "SELECT d.*, u.username AS username FROM mail_digests d \
                      JOIN users u ON u.id = d.user_id";

fn decode(row: &SqliteRow) -> Result<MailDigest, sqlx::Error> {
    let enabled: i64 = row.try_get("enabled")?;
    decode_digest(row, enabled != 0)
}

pub(crate) async fn digest(pool: &SqlitePool, user: UserId) -> StoreResult<Option<MailDigest>> {
    let row = sqlx::query(&format!("{SELECT} WHERE d.user_id = ?"))
        .bind(user.0)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(decode).transpose()?)
}

pub(crate) async fn enabled(pool: &SqlitePool) -> StoreResult<Vec<MailDigest>> {
    let rows = sqlx::query(&format!("{SELECT} WHERE d.enabled = 1 ORDER BY d.user_id"))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}

pub(crate) async fn save(
    pool: &SqlitePool,
    user: UserId,
    s: &DigestSettings,
    now: DateTime<Utc>,
) -> StoreResult<MailDigest> {
    let mut tx = super::begin_write(pool).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = ?")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    let now = time::to_db(now);
    sqlx::query(
        "INSERT INTO mail_digests (user_id, address, frequency, hour, weekday, timezone, \
                categories, enabled, created_at, updated_at, cursor_created_at, cursor_entry_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9, 0) \
         ON CONFLICT (user_id) DO UPDATE SET address = excluded.address, \
                frequency = excluded.frequency, hour = excluded.hour, \
                weekday = excluded.weekday, timezone = excluded.timezone, \
                categories = excluded.categories, enabled = excluded.enabled, \
                updated_at = excluded.updated_at",
    )
    .bind(user.0)
    .bind(&s.address)
    .bind(s.frequency.as_str())
    .bind(i64::from(s.hour))
    .bind(i64::from(s.weekday))
    .bind(s.timezone.as_deref())
    .bind(categories_to_db(&s.categories))
    .bind(s.enabled)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(&format!("{SELECT} WHERE d.user_id = ?"))
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?;
    let saved = decode(&row)?;
    tx.commit().await?;
    Ok(saved)
}

pub(crate) async fn entries(
    pool: &SqlitePool,
    user: UserId,
    after: DigestCursor,
    until: DateTime<Utc>,
    categories: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<DigestItem>> {
    let rows = sqlx::query(concat!(
        with_category_paths!(),
        "SELECT ",
        entry_columns!(),
        ", COALESCE(s.title_override, f.title, f.url) AS source_title, \
           f.url AS source_url, f.site_url AS source_site_url, \
           COALESCE(st.read, 0) AS read, COALESCE(st.starred, 0) AS starred, \
           e.created_at AS digest_created_at, \
           (SELECT path FROM cat_path WHERE id = s.category_id) AS digest_category \
         FROM subscriptions s \
         JOIN feeds f ON f.id = s.feed_id \
         JOIN entries e ON e.feed_id = s.feed_id \
         LEFT JOIN entry_states st ON st.user_id = s.user_id AND st.entry_id = e.id \
         WHERE s.user_id = ?1 AND s.paused = 0 \
           AND (e.created_at > ?2 OR (e.created_at = ?2 AND e.id > ?3)) \
           AND e.created_at <= ?4 \
           AND COALESCE(st.hidden, 0) = 0 \
           AND (?5 IS NULL OR EXISTS ( \
                SELECT 1 FROM json_each(?5) j \
                 WHERE (j.value = '' AND s.category_id IS NULL) \
                    OR EXISTS (SELECT 1 FROM cat_path cp WHERE cp.id = s.category_id \
                                 AND (cp.path = j.value \
                                      OR substr(cp.path, 1, length(j.value) + 1) = j.value || '/')))) \
         ORDER BY e.created_at, e.id \
         LIMIT ?6"
    ))
    .bind(user.0)
    .bind(time::to_db(after.created_at))
    .bind(after.entry_id)
    .bind(time::to_db(until))
    .bind(categories)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(decode_item).collect::<Result<_, _>>()?)
}

pub(crate) async fn claim(
    pool: &SqlitePool,
    user: UserId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE mail_digests SET claimed_until = ?1 \
          WHERE user_id = ?2 AND (claimed_until IS NULL OR claimed_until <= ?3)",
    )
    .bind(time::to_db(until))
    .bind(user.0)
    .bind(time::to_db(now))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn add_log(
    tx: &mut sqlx::SqliteConnection,
    user: UserId,
    now: &str,
    entries: usize,
    result: MailResult,
    detail: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mail_log (user_id, at, entries, result, detail) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(user.0)
    .bind(now)
    .bind(i64::try_from(entries).unwrap_or(i64::MAX))
    .bind(result.as_str())
    .bind(detail.map(clip))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM mail_log WHERE user_id = ?1 AND id <= \
           (SELECT id FROM mail_log WHERE user_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )
    .bind(user.0)
    .bind(MAIL_LOG_KEEP)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_success(
    pool: &SqlitePool,
    user: UserId,
    now: DateTime<Utc>,
    cursor: Option<DigestCursor>,
    more: bool,
    entries: usize,
    result: MailResult,
    detail: Option<&str>,
) -> StoreResult<()> {
    let mut tx = super::begin_write(pool).await?;
    let now = time::to_db(now);
    let done = sqlx::query(
        "UPDATE mail_digests SET \
                last_sent_at = CASE WHEN ?1 THEN last_sent_at ELSE ?2 END, \
                cursor_created_at = COALESCE(?3, cursor_created_at), \
                cursor_entry_id = COALESCE(?4, cursor_entry_id), \
                failures = 0, next_attempt_at = NULL, last_error = NULL, claimed_until = NULL \
          WHERE user_id = ?5",
    )
    .bind(more)
    .bind(&now)
    .bind(cursor.map(|c| time::to_db(c.created_at)))
    .bind(cursor.map(|c| c.entry_id))
    .bind(user.0)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("mail digest of user {user}")));
    }
    add_log(&mut tx, user, &now, entries, result, detail).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn record_failure(
    pool: &SqlitePool,
    user: UserId,
    now: DateTime<Utc>,
    retry_at: DateTime<Utc>,
    entries: usize,
    error: &str,
) -> StoreResult<()> {
    let mut tx = super::begin_write(pool).await?;
    let now = time::to_db(now);
    let done = sqlx::query(
        "UPDATE mail_digests SET failures = failures + 1, next_attempt_at = ?1, \
                last_error = ?2, claimed_until = NULL WHERE user_id = ?3",
    )
    .bind(time::to_db(retry_at))
    .bind(clip(error))
    .bind(user.0)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("mail digest of user {user}")));
    }
    add_log(
        &mut tx,
        user,
        &now,
        entries,
        MailResult::Failed,
        Some(error),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn log(
    pool: &SqlitePool,
    user: UserId,
    limit: u32,
) -> StoreResult<Vec<MailLogEntry>> {
    let rows = sqlx::query(
        "SELECT at, entries, result, detail FROM mail_log WHERE user_id = ? \
          ORDER BY id DESC LIMIT ?",
    )
    .bind(user.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(decode_log).collect::<Result<_, _>>()?)
}
