//! SQL of the `websub_subscriptions` table.

use chrono::{DateTime, Duration, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, PgPool, Row};
use tributary_model::FeedId;

use crate::websub::{NewWebSub, WebSubMode, WebSubState, WebSubSubscription};
use crate::{time, StoreError, StoreResult};

const COLUMNS: &str = "feed_id, hub_url, topic_url, callback_token, secret, state, pending_mode, \
                       lease_seconds, expires_at, requested_at, verified_at, last_push_at, \
                       last_error";

/// Longest `last_error` kept (a hub's reason is outside input).
const MAX_ERROR_CHARS: usize = 1000;

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

fn decode(row: &PgRow) -> Result<WebSubSubscription, sqlx::Error> {
    let state: String = row.try_get("state")?;
    let state = WebSubState::parse(&state)
        .ok_or_else(|| decode_error("state", format!("unknown state {state:?}")))?;
    let mode: Option<String> = row.try_get("pending_mode")?;
    let pending_mode = match mode {
        None => None,
        Some(m) => Some(
            WebSubMode::parse(&m)
                .ok_or_else(|| decode_error("pending_mode", format!("unknown mode {m:?}")))?,
        ),
    };
    let lease: Option<i64> = row.try_get("lease_seconds")?;
    let lease_seconds = lease
        .map(|l| u32::try_from(l).map_err(|_| decode_error("lease_seconds", format!("{l}"))))
        .transpose()?;
    Ok(WebSubSubscription {
        feed_id: FeedId(row.try_get("feed_id")?),
        hub_url: row.try_get("hub_url")?,
        topic_url: row.try_get("topic_url")?,
        callback_token: row.try_get("callback_token")?,
        secret: row.try_get("secret")?,
        state,
        pending_mode,
        lease_seconds,
        expires_at: time_col(row, "expires_at")?,
        requested_at: time_col(row, "requested_at")?
            .ok_or_else(|| decode_error("requested_at", "NULL".to_owned()))?,
        verified_at: time_col(row, "verified_at")?,
        last_push_at: time_col(row, "last_push_at")?,
        last_error: row.try_get("last_error")?,
    })
}

pub(crate) async fn for_feed<'e>(
    ex: impl PgExecutor<'e>,
    feed: FeedId,
) -> StoreResult<Option<WebSubSubscription>> {
    let sql = format!("SELECT {COLUMNS} FROM websub_subscriptions WHERE feed_id = $1");
    let row = sqlx::query(&sql).bind(feed.0).fetch_optional(ex).await?;
    Ok(row.as_ref().map(decode).transpose()?)
}

pub(crate) async fn by_token(
    pool: &PgPool,
    token: &str,
) -> StoreResult<Option<WebSubSubscription>> {
    let sql = format!("SELECT {COLUMNS} FROM websub_subscriptions WHERE callback_token = $1");
    let row = sqlx::query(&sql).bind(token).fetch_optional(pool).await?;
    Ok(row.as_ref().map(decode).transpose()?)
}

pub(crate) async fn request_subscription(
    pool: &PgPool,
    feed: FeedId,
    new: &NewWebSub,
    now: DateTime<Utc>,
) -> StoreResult<WebSubSubscription> {
    let mut tx = super::begin_write(pool).await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM feeds WHERE id = $1 FOR KEY SHARE")
            .bind(feed.0)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("feed {feed}")));
    }
    let current = for_feed(&mut *tx, feed).await?;
    let same = current
        .as_ref()
        .is_some_and(|c| c.hub_url == new.hub_url && c.topic_url == new.topic_url);
    if same {
        sqlx::query(
            "UPDATE websub_subscriptions SET pending_mode = 'subscribe', requested_at = $1, \
                    state = CASE state WHEN 'active' THEN 'active' ELSE 'pending' END \
              WHERE feed_id = $2",
        )
        .bind(time::to_db(now))
        .bind(feed.0)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO websub_subscriptions \
                    (feed_id, hub_url, topic_url, callback_token, secret, state, pending_mode, \
                     requested_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 'subscribe', $6) \
             ON CONFLICT (feed_id) DO UPDATE SET \
                    hub_url = excluded.hub_url, topic_url = excluded.topic_url, \
                    callback_token = excluded.callback_token, secret = excluded.secret, \
                    state = 'pending', pending_mode = 'subscribe', lease_seconds = NULL, \
                    expires_at = NULL, requested_at = excluded.requested_at, \
                    verified_at = NULL, last_push_at = NULL, last_error = NULL",
        )
        .bind(feed.0)
        .bind(&new.hub_url)
        .bind(&new.topic_url)
        .bind(&new.callback_token)
        .bind(&new.secret)
        .bind(time::to_db(now))
        .execute(&mut *tx)
        .await?;
    }
    let stored = for_feed(&mut *tx, feed)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("websub subscription of feed {feed}")))?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn request_unsubscription(
    pool: &PgPool,
    feed: FeedId,
    now: DateTime<Utc>,
) -> StoreResult<Option<WebSubSubscription>> {
    let mut tx = super::begin_write(pool).await?;
    sqlx::query(
        "UPDATE websub_subscriptions SET pending_mode = 'unsubscribe', requested_at = $1 \
          WHERE feed_id = $2",
    )
    .bind(time::to_db(now))
    .bind(feed.0)
    .execute(&mut *tx)
    .await?;
    let stored = for_feed(&mut *tx, feed).await?;
    tx.commit().await?;
    Ok(stored)
}

fn require(rows_affected: u64, feed: FeedId) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound(format!(
            "websub subscription of feed {feed}"
        )))
    } else {
        Ok(())
    }
}

fn cap(message: &str) -> String {
    match message.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_owned(),
    }
}

pub(crate) async fn mark_verified(
    pool: &PgPool,
    feed: FeedId,
    lease_seconds: u32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let expires = now + Duration::seconds(i64::from(lease_seconds));
    let done = sqlx::query(
        "UPDATE websub_subscriptions SET state = 'active', pending_mode = NULL, \
                lease_seconds = $1, expires_at = $2, verified_at = $3, last_error = NULL \
          WHERE feed_id = $4",
    )
    .bind(i64::from(lease_seconds))
    .bind(time::to_db(expires))
    .bind(time::to_db(now))
    .bind(feed.0)
    .execute(pool)
    .await?;
    require(done.rows_affected(), feed)
}

pub(crate) async fn mark_denied(
    pool: &PgPool,
    feed: FeedId,
    reason: Option<&str>,
) -> StoreResult<()> {
    let message = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("denied by the hub: {}", cap(reason)),
        None => "denied by the hub (no reason given)".to_owned(),
    };
    let done = sqlx::query(
        "UPDATE websub_subscriptions SET state = 'denied', pending_mode = NULL, \
                lease_seconds = NULL, expires_at = NULL, last_error = $1 \
          WHERE feed_id = $2",
    )
    .bind(message)
    .bind(feed.0)
    .execute(pool)
    .await?;
    require(done.rows_affected(), feed)
}

pub(crate) async fn mark_unsubscribed(pool: &PgPool, feed: FeedId) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE websub_subscriptions SET state = 'unsubscribed', pending_mode = NULL, \
                lease_seconds = NULL, expires_at = NULL \
          WHERE feed_id = $1",
    )
    .bind(feed.0)
    .execute(pool)
    .await?;
    require(done.rows_affected(), feed)
}

pub(crate) async fn record_push(
    pool: &PgPool,
    feed: FeedId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE websub_subscriptions SET last_push_at = $1 WHERE feed_id = $2")
        .bind(time::to_db(now))
        .bind(feed.0)
        .execute(pool)
        .await?;
    require(done.rows_affected(), feed)
}

pub(crate) async fn record_error(pool: &PgPool, feed: FeedId, message: &str) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE websub_subscriptions SET last_error = $1, pending_mode = NULL WHERE feed_id = $2",
    )
    .bind(cap(message))
    .bind(feed.0)
    .execute(pool)
    .await?;
    require(done.rows_affected(), feed)
}

pub(crate) async fn due_for_renewal(
    pool: &PgPool,
    before: DateTime<Utc>,
) -> StoreResult<Vec<WebSubSubscription>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM websub_subscriptions \
          WHERE state = 'active' AND expires_at < $1 ORDER BY expires_at, feed_id"
    );
    let rows = sqlx::query(&sql)
        .bind(time::to_db(before))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}

pub(crate) async fn active(pool: &PgPool, feed: FeedId, now: DateTime<Utc>) -> StoreResult<bool> {
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM websub_subscriptions \
          WHERE feed_id = $1 AND state = 'active' AND expires_at > $2",
    )
    .bind(feed.0)
    .bind(time::to_db(now))
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}
