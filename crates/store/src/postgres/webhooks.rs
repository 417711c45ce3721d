//! SQL of the `webhooks` and `webhook_deliveries` tables.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, PgPool, Row};
use tributary_model::{RiverItem, UserId};

use crate::rows::{entry_columns, RiverRow};
use crate::webhooks::{
    clip_error, AttemptEffect, DeliveryAttempt, DeliveryKind, DeliveryLogEntry, LogRetention,
    NewWebhook, PendingBatch, Webhook, WebhookId,
};
use crate::{time, StoreError, StoreResult};

const COLUMNS: &str = "id, user_id, url, secret, enabled, category, created_at, cursor_entry_id, \
                       pending_delivery_id, pending_body, pending_last_entry_id, pending_entries, \
                       attempts, next_attempt_at, last_success_at, failing_since, last_error";

fn decode_error(column: &str, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: message.into(),
    }
}

fn time_col(row: &PgRow, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let s: Option<String> = row.try_get(column)?;
    s.map(|s| time::from_db(&s).map_err(|e| decode_error(column, e.to_string())))
        .transpose()
}

fn u32_col(row: &PgRow, column: &str) -> Result<u32, sqlx::Error> {
    let v: i64 = row.try_get(column)?;
    u32::try_from(v).map_err(|_| decode_error(column, format!("{v} is out of range")))
}

fn decode(row: &PgRow) -> Result<Webhook, sqlx::Error> {
    let delivery_id: Option<String> = row.try_get("pending_delivery_id")?;
    let pending = match delivery_id {
        None => None,
        Some(delivery_id) => {
            let body: Option<String> = row.try_get("pending_body")?;
            let last: Option<i64> = row.try_get("pending_last_entry_id")?;
            let entries: Option<i64> = row.try_get("pending_entries")?;
            match (body, last, entries) {
                (Some(body), Some(last_entry_id), Some(entries)) => Some(PendingBatch {
                    delivery_id,
                    body,
                    last_entry_id,
                    entries: u32::try_from(entries).map_err(|_| {
                        decode_error("pending_entries", format!("{entries} is out of range"))
                    })?,
                }),
                _ => {
                    return Err(decode_error(
                        "pending_body",
                        "a pending delivery without its body, last entry or count".into(),
                    ))
                }
            }
        }
    };
    Ok(Webhook {
        id: WebhookId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        enabled: row.try_get("enabled")?,
        category: row.try_get("category")?,
        created_at: time_col(row, "created_at")?
            .ok_or_else(|| decode_error("created_at", "NULL".into()))?,
        cursor: row.try_get("cursor_entry_id")?,
        pending,
        attempts: u32_col(row, "attempts")?,
        next_attempt_at: time_col(row, "next_attempt_at")?,
        last_success_at: time_col(row, "last_success_at")?,
        failing_since: time_col(row, "failing_since")?,
        last_error: row.try_get("last_error")?,
    })
}

async fn by_id<'e>(
    ex: impl PgExecutor<'e>,
    user: Option<UserId>,
    id: WebhookId,
) -> StoreResult<Webhook> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE id = $1 AND ($2::bigint IS NULL OR user_id = $2)"
    );
    let user = user.map(|u| u.0);
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(user)
        .fetch_optional(ex)
        .await?;
    match row {
        Some(row) => Ok(decode(&row)?),
        None => Err(StoreError::NotFound(format!("webhook {id}"))),
    }
}

pub(crate) async fn create(
    pool: &PgPool,
    user: UserId,
    new: &NewWebhook,
    now: DateTime<Utc>,
) -> StoreResult<Webhook> {
    let mut tx = super::begin_write(pool).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhooks (user_id, url, secret, category, created_at, cursor_entry_id) \
         VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(max(id), 0) FROM entries)) RETURNING id",
    )
    .bind(user.0)
    .bind(&new.url)
    .bind(&new.secret)
    .bind(new.category.as_deref())
    .bind(time::to_db(now))
    .fetch_one(&mut *tx)
    .await?;
    let hook = by_id(&mut *tx, None, WebhookId(id)).await?;
    tx.commit().await?;
    Ok(hook)
}

pub(crate) async fn list(pool: &PgPool, user: Option<UserId>) -> StoreResult<Vec<Webhook>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE $1::bigint IS NULL OR user_id = $1 ORDER BY id"
    );
    let user = user.map(|u| u.0);
    let rows = sqlx::query(&sql).bind(user).fetch_all(pool).await?;
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}

pub(crate) async fn get(
    pool: &PgPool,
    user: Option<UserId>,
    id: WebhookId,
) -> StoreResult<Webhook> {
    by_id(pool, user, id).await
}

pub(crate) async fn set_enabled(
    pool: &PgPool,
    user: UserId,
    id: WebhookId,
    enabled: bool,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE webhooks SET enabled = $1, \
                next_attempt_at = CASE WHEN $1 THEN NULL ELSE next_attempt_at END \
          WHERE id = $2 AND user_id = $3",
    )
    .bind(enabled)
    .bind(id.0)
    .bind(user.0)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("webhook {id}")));
    }
    Ok(())
}

pub(crate) async fn delete(pool: &PgPool, user: UserId, id: WebhookId) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND user_id = $2")
        .bind(id.0)
        .bind(user.0)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("webhook {id}")));
    }
    Ok(())
}

pub(crate) async fn due(pool: &PgPool, now: DateTime<Utc>) -> StoreResult<Vec<WebhookId>> {
    let now = time::to_db(now);
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM webhooks \
          WHERE enabled \
            AND (next_attempt_at IS NULL OR next_attempt_at <= $1) \
            AND (lease_until IS NULL OR lease_until <= $1) \
          ORDER BY id",
    )
    .bind(&now)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(WebhookId).collect())
}

pub(crate) async fn claim(
    pool: &PgPool,
    id: WebhookId,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<Option<Webhook>> {
    let mut tx = super::begin_write(pool).await?;
    let done = sqlx::query(
        "UPDATE webhooks SET lease_owner = $1, lease_until = $2 \
          WHERE id = $3 AND enabled \
            AND (lease_until IS NULL OR lease_until <= $4 OR lease_owner = $1)",
    )
    .bind(owner)
    .bind(time::to_db(until))
    .bind(id.0)
    .bind(time::to_db(now))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let hook = by_id(&mut *tx, None, id).await?;
    tx.commit().await?;
    Ok(Some(hook))
}

pub(crate) async fn release(pool: &PgPool, id: WebhookId, owner: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL \
          WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id.0)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(())
}

/// Driven by the entries above the cursor (a range of the primary key, only
/// the new rows), each looked up in the user's subscriptions: the cost
/// follows what arrived since the last pass, not the user's whole history.
pub(crate) async fn entries(
    pool: &PgPool,
    hook: &Webhook,
    stored_before: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<RiverItem>> {
    let category = hook
        .category
        .as_deref()
        .map(|c| c.trim().trim_matches('/'))
        .filter(|c| !c.is_empty());
    let rows: Vec<RiverRow> = sqlx::query_as(concat!(
        with_category_paths!(),
        "SELECT ",
        entry_columns!(),
        ", COALESCE(s.title_override, f.title, f.url) AS source_title, \
           f.url AS source_url, f.site_url AS source_site_url, \
           COALESCE(st.read, FALSE) AS read, COALESCE(st.starred, FALSE) AS starred \
         FROM entries e \
         JOIN subscriptions s ON s.user_id = $1 AND s.feed_id = e.feed_id \
         JOIN feeds f ON f.id = e.feed_id \
         LEFT JOIN entry_states st ON st.user_id = s.user_id AND st.entry_id = e.id \
         WHERE s.user_id = $1 \
           AND NOT s.paused \
           AND e.id > $2 \
           AND e.created_at <= $3 \
           AND NOT COALESCE(st.hidden, FALSE) \
           AND ($4::text IS NULL OR s.category_id IN ( \
                SELECT id FROM cat_path \
                 WHERE path = $4::text OR substr(path, 1, length($4::text) + 1) = $4::text || '/')) \
         ORDER BY e.id \
         LIMIT $5"
    ))
    .bind(hook.user_id.0)
    .bind(hook.cursor)
    .bind(time::to_db(stored_before))
    .bind(category)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn horizon(
    pool: &PgPool,
    after: i64,
    stored_before: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT max(id) FROM entries WHERE id > $1 AND created_at <= $2")
            .bind(after)
            .bind(time::to_db(stored_before))
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn advance(
    pool: &PgPool,
    id: WebhookId,
    owner: &str,
    cursor: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET cursor_entry_id = GREATEST(cursor_entry_id, $1) \
          WHERE id = $2 AND lease_owner = $3 AND pending_delivery_id IS NULL",
    )
    .bind(cursor)
    .bind(id.0)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn begin_batch(
    pool: &PgPool,
    id: WebhookId,
    owner: &str,
    batch: &PendingBatch,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET pending_delivery_id = $1, pending_body = $2, \
                pending_last_entry_id = $3, pending_entries = $4, attempts = 0 \
          WHERE id = $5 AND lease_owner = $6 AND pending_delivery_id IS NULL",
    )
    .bind(&batch.delivery_id)
    .bind(&batch.body)
    .bind(batch.last_entry_id)
    .bind(i64::from(batch.entries))
    .bind(id.0)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn record_attempt(
    pool: &PgPool,
    id: WebhookId,
    owner: &str,
    attempt: &DeliveryAttempt,
    effect: AttemptEffect,
    retention: LogRetention,
) -> StoreResult<bool> {
    let mut tx = super::begin_write(pool).await?;
    let error = attempt.error.as_deref().map(clip_error);
    sqlx::query(
        "INSERT INTO webhook_deliveries \
                (webhook_id, at, delivery_id, kind, entries, attempt, status, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.0)
    .bind(time::to_db(attempt.at))
    .bind(&attempt.delivery_id)
    .bind(attempt.kind.as_str())
    .bind(i64::from(attempt.entries))
    .bind(i64::from(attempt.attempt))
    .bind(attempt.status.map(i64::from))
    .bind(error.as_deref())
    .bind(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    let kept = match effect {
        AttemptEffect::Ping => true,
        AttemptEffect::Delivered => {
            sqlx::query(
                "UPDATE webhooks SET \
                        cursor_entry_id = GREATEST(cursor_entry_id, pending_last_entry_id), \
                        pending_delivery_id = NULL, pending_body = NULL, \
                        pending_last_entry_id = NULL, pending_entries = NULL, attempts = 0, \
                        next_attempt_at = NULL, last_success_at = $1, failing_since = NULL, \
                        last_error = NULL \
                  WHERE id = $2 AND lease_owner = $3 AND pending_delivery_id = $4",
            )
            .bind(time::to_db(attempt.at))
            .bind(id.0)
            .bind(owner)
            .bind(&attempt.delivery_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        AttemptEffect::Failed { next_attempt_at } => {
            sqlx::query(
                "UPDATE webhooks SET attempts = attempts + 1, next_attempt_at = $1, \
                        failing_since = COALESCE(failing_since, $2), last_error = $3 \
                  WHERE id = $4 AND lease_owner = $5",
            )
            .bind(time::to_db(next_attempt_at))
            .bind(time::to_db(attempt.at))
            .bind(error.as_deref().unwrap_or("failed"))
            .bind(id.0)
            .bind(owner)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
    };
    let oldest = time::to_db(attempt.at - retention.max_age);
    sqlx::query(
        "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND (at < $2 OR id <= ( \
             SELECT id FROM webhook_deliveries WHERE webhook_id = $1 \
              ORDER BY id DESC LIMIT 1 OFFSET $3))",
    )
    .bind(id.0)
    .bind(oldest)
    .bind(i64::from(retention.keep))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(kept)
}

fn decode_log(row: &PgRow) -> Result<DeliveryLogEntry, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let status: Option<i64> = row.try_get("status")?;
    let duration: i64 = row.try_get("duration_ms")?;
    Ok(DeliveryLogEntry {
        id: row.try_get("id")?,
        webhook_id: WebhookId(row.try_get("webhook_id")?),
        attempt: DeliveryAttempt {
            at: time_col(row, "at")?.ok_or_else(|| decode_error("at", "NULL".into()))?,
            delivery_id: row.try_get("delivery_id")?,
            kind: DeliveryKind::parse(&kind)
                .ok_or_else(|| decode_error("kind", format!("unknown kind {kind:?}")))?,
            entries: u32_col(row, "entries")?,
            attempt: u32_col(row, "attempt")?,
            status: status
                .map(|s| u16::try_from(s).map_err(|_| decode_error("status", format!("{s}"))))
                .transpose()?,
            error: row.try_get("error")?,
            duration_ms: u64::try_from(duration)
                .map_err(|_| decode_error("duration_ms", format!("{duration}")))?,
        },
    })
}

pub(crate) async fn log(
    pool: &PgPool,
    user: UserId,
    id: WebhookId,
    limit: u32,
) -> StoreResult<Vec<DeliveryLogEntry>> {
    by_id(pool, Some(user), id).await?;
    let rows = sqlx::query(
        "SELECT id, webhook_id, at, delivery_id, kind, entries, attempt, status, error, \
                duration_ms \
           FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(decode_log).collect::<Result<_, _>>()?)
}
