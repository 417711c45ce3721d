//! Feed lookups, the fetch queue, and the fetch outcomes that touch only the feed row.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{Acquire, PgConnection, PgExecutor, PgPool};
use tributary_model::{Feed, FeedId};

use crate::postgres::columns::feed_columns;
use crate::postgres::later::Later;
use crate::postgres::{begin_write, fetch_log};
use crate::rows::FeedRow;
use crate::{time, FeedSelector, FetchFailure, FetchUnchanged, StoreError, StoreResult};

/// The feed whose current URL, or else one of whose previous URLs, is `url`.
pub(crate) async fn find_id<'e>(
    ex: impl PgExecutor<'e>,
    url: &str,
) -> Result<Option<FeedId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT COALESCE((SELECT id FROM feeds WHERE url = $1), \
                         (SELECT feed_id FROM feed_previous_urls WHERE url = $1))",
    )
    .bind(url)
    .fetch_one(ex)
    .await?;
    Ok(id.map(FeedId))
}

/// One feed by id.
pub(crate) async fn by_id<'e>(
    ex: impl PgExecutor<'e>,
    id: FeedId,
) -> Result<Option<Feed>, sqlx::Error> {
    let row: Option<FeedRow> = sqlx::query_as(concat!(
        "SELECT ",
        feed_columns!(),
        " FROM feeds f WHERE f.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|r| r.0))
}

/// The feed `f` has a subscriber who has not paused it (or no subscriber
/// at all): a feed every subscriber paused is not fetched.
macro_rules! not_paused {
    () => {
        "(EXISTS (SELECT 1 FROM subscriptions p WHERE p.feed_id = f.id AND NOT p.paused) \
          OR NOT EXISTS (SELECT 1 FROM subscriptions p WHERE p.feed_id = f.id))"
    };
}
pub(crate) use not_paused;

pub(crate) async fn to_fetch(pool: &PgPool, selector: &FeedSelector) -> StoreResult<Vec<Feed>> {
    let rows: Vec<FeedRow> = match selector {
        FeedSelector::Due(now) => {
            // NULL next_fetch_at (never fetched) sorts first: those are due now.
            // (PostgreSQL puts NULLs last in ascending order unless told.)
            // Checked plan (2,000 feeds, 3,000 subscriptions, 740 due): a
            // BitmapOr of the two feeds_next_fetch ranges, the paused test
            // as one hashed pass over subscriptions, a sort of the due
            // rows; 18 ms without the feed columns' per-feed subqueries.
            sqlx::query_as(concat!(
                "SELECT ",
                feed_columns!(),
                " FROM feeds f WHERE f.status <> 'disabled' \
                   AND (f.next_fetch_at IS NULL OR f.next_fetch_at <= $1) AND ",
                not_paused!(),
                " ORDER BY f.next_fetch_at NULLS FIRST, f.id"
            ))
            .bind(time::to_db(*now))
            .fetch_all(pool)
            .await?
        }
        FeedSelector::All => {
            sqlx::query_as(concat!(
                "SELECT ",
                feed_columns!(),
                " FROM feeds f WHERE f.status <> 'disabled' AND ",
                not_paused!(),
                " ORDER BY f.next_fetch_at NULLS FIRST, f.id"
            ))
            .fetch_all(pool)
            .await?
        }
        FeedSelector::Urls(urls) => {
            // One indexed lookup per URL keeps the caller's order; a feed
            // named twice (old and new URL) is listed once.
            let mut conn = pool.acquire().await?;
            let mut seen = HashSet::new();
            let mut feeds = Vec::new();
            for url in urls {
                if let Some(id) = find_id(&mut *conn, url).await? {
                    if seen.insert(id) {
                        if let Some(feed) = by_id(&mut *conn, id).await? {
                            feeds.push(feed);
                        }
                    }
                }
            }
            return Ok(feeds);
        }
    };
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Store a fetch without a new body inside the caller's transaction (the
/// write queue's batch): the feed row, and a move if a 301 chain ended in 304.
pub(crate) async fn record_unchanged_in(
    tx: &mut PgConnection,
    feed: FeedId,
    outcome: &FetchUnchanged,
    later: &mut Later<'_>,
) -> StoreResult<()> {
    let done = mark_unchanged(&mut *tx, feed, outcome).await?;
    require_feed(done, feed)?;
    later
        .fetched(
            &mut *tx,
            feed,
            outcome.fetched_at,
            fetch_log::Outcome::Unchanged,
        )
        .await?;
    if let Some(new_url) = outcome.moved_to.as_deref() {
        let current: String = sqlx::query_scalar("SELECT url FROM feeds WHERE id = $1")
            .bind(feed.0)
            .fetch_one(&mut *tx)
            .await?;
        if new_url != current {
            apply_move(&mut *tx, feed, &current, new_url, outcome.fetched_at).await?;
        }
    }
    Ok(())
}

/// The feed row after a fetch without a new body; returns the rows touched.
async fn mark_unchanged<'e>(
    ex: impl PgExecutor<'e>,
    feed: FeedId,
    outcome: &FetchUnchanged,
) -> Result<u64, sqlx::Error> {
    let fetched_at = time::to_db(outcome.fetched_at);
    let done = sqlx::query(
        "UPDATE feeds SET last_fetched_at = $1, last_success_at = $1, next_fetch_at = $2, \
                next_fetch_reason = $3, etag = $4, last_modified = $5, status = 'ok', \
                error_count = 0, failing_since = NULL, disabled_at = NULL, \
                last_error = NULL, last_error_code = NULL \
          WHERE id = $6",
    )
    .bind(&fetched_at)
    .bind(time::to_db(outcome.next_fetch_at))
    .bind(&outcome.next_fetch_reason)
    .bind(&outcome.etag)
    .bind(&outcome.last_modified)
    .bind(feed.0)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

pub(crate) async fn record_failure(
    pool: &PgPool,
    feed: FeedId,
    failure: &FetchFailure,
) -> StoreResult<()> {
    let status = if failure.disable {
        "disabled"
    } else if failure.mark_error {
        "error"
    } else {
        "ok"
    };
    let fetched_at = time::to_db(failure.fetched_at);
    let mut tx = begin_write(pool).await?;
    let done = sqlx::query(
        "UPDATE feeds SET last_error = $1, last_error_code = $2, error_count = error_count + 1, \
                last_fetched_at = $3, failing_since = COALESCE(failing_since, $3), \
                next_fetch_at = $4, next_fetch_reason = $5, status = $6, \
                disabled_at = CASE WHEN $6::text = 'disabled' THEN COALESCE(disabled_at, $3) END \
          WHERE id = $7",
    )
    .bind(&failure.message)
    .bind(&failure.code)
    .bind(&fetched_at)
    .bind(time::to_db(failure.next_fetch_at))
    .bind(&failure.next_fetch_reason)
    .bind(status)
    .bind(feed.0)
    .execute(&mut *tx)
    .await?;
    require_feed(done.rows_affected(), feed)?;
    fetch_log::append(
        &mut tx,
        feed,
        failure.fetched_at,
        fetch_log::Outcome::Failed,
    )
    .await?;
    crate::postgres::lease::release_many(&mut tx, &[feed]).await?;
    tx.commit().await?;
    Ok(())
}

/// `NotFound` when an update by feed id touched nothing.
/// Make `feed` due at `at`, leaving everything else as it is.
pub(crate) async fn set_next_fetch(
    pool: &PgPool,
    feed: FeedId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE feeds SET next_fetch_at = $1 WHERE id = $2")
        .bind(time::to_db(at))
        .bind(feed.0)
        .execute(pool)
        .await?;
    require_feed(done.rows_affected(), feed)
}

pub(crate) fn require_feed(rows_affected: u64, feed: FeedId) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound(format!("feed {feed}")))
    } else {
        Ok(())
    }
}

/// Move `feed` from `current` to `new_url`, keeping `current` as a previous URL.
///
/// When another feed already answers to `new_url` (as its current or a
/// previous URL) the move is not applied: merging two feeds' entries and
/// subscriptions is a decision for a person, and a URL must keep leading to
/// one feed. A warning is logged and `false` returned.
pub(crate) async fn apply_move(
    conn: &mut PgConnection,
    feed: FeedId,
    current: &str,
    new_url: &str,
    moved_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    if let Some(other) = find_id(&mut *conn, new_url).await? {
        if other != feed {
            tracing::warn!(
                feed.id = %feed, feed.url = current, moved_to = new_url, other.id = %other,
                "feed moved to a URL another feed already has; keeping its old URL"
            );
            return Ok(false);
        }
    }
    // In a savepoint of its own: a feed created with `new_url` by another
    // process since the look-up above makes the rename fail (unique URL),
    // and then the move is skipped as above instead of failing the fetch.
    let mut moving = (&mut *conn).begin().await?;
    match rename(&mut moving, feed, current, new_url, moved_at).await {
        Ok(()) => moving.commit().await?,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            moving.rollback().await?;
            tracing::warn!(
                feed.id = %feed, feed.url = current, moved_to = new_url,
                "feed moved to a URL another feed just took; keeping its old URL"
            );
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    tracing::info!(feed.id = %feed, from = current, to = new_url, "feed moved");
    Ok(true)
}

/// The statements of a move (see [`apply_move`]).
async fn rename(
    conn: &mut PgConnection,
    feed: FeedId,
    current: &str,
    new_url: &str,
    moved_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // Moving back to an earlier URL: it is current again, not previous.
    sqlx::query("DELETE FROM feed_previous_urls WHERE feed_id = $1 AND url = $2")
        .bind(feed.0)
        .bind(new_url)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO feed_previous_urls (feed_id, url, moved_at) VALUES ($1, $2, $3) \
         ON CONFLICT (url) DO NOTHING",
    )
    .bind(feed.0)
    .bind(current)
    .bind(time::to_db(moved_at))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE feeds SET url = $1 WHERE id = $2")
        .bind(new_url)
        .bind(feed.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
