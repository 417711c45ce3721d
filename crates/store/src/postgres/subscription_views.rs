//! Subscriptions as the UI shows and edits them: settings, unread counts,
//! newest entry.

use chrono::Utc;
use sqlx::PgPool;
use tributary_model::{FeedId, UserId};

use crate::postgres::begin_write;
use crate::postgres::columns::feed_columns;
use crate::postgres::pages::{require_category_of, require_feed_of, unread_of_subscription};
use crate::rows::SubscriptionViewRow;
use crate::{time, StoreError, StoreResult, SubscriptionSettings, SubscriptionView};

/// All of the user's subscriptions, or (`$2` not NULL) one, or (`$3` not
/// NULL, an array of feed ids) those.
const VIEWS_SQL: &str = concat!(
    with_category_paths!(),
    "SELECT ",
    feed_columns!(),
    ", s.title_override AS title_override, cp.path AS category_path, \
       f.entry_count AS entry_count, \
       s.category_id AS category_id, s.min_interval_secs AS min_interval_secs, \
       s.max_interval_secs AS max_interval_secs, s.paused AS paused, ",
    unread_of_subscription!(),
    " AS unread_count, \
       (SELECT max(e.published) FROM entries e WHERE e.feed_id = f.id) AS newest_entry_at \
     FROM subscriptions s \
     JOIN feeds f ON f.id = s.feed_id \
     LEFT JOIN cat_path cp ON cp.id = s.category_id \
     WHERE s.user_id = $1 AND ($2::bigint IS NULL OR s.feed_id = $2) \
       AND ($3::bigint[] IS NULL OR s.feed_id = ANY($3)) \
     ORDER BY COALESCE(cp.path, ''), lower(COALESCE(s.title_override, f.title, f.url)), f.id"
);

pub(crate) async fn list(pool: &PgPool, user: UserId) -> StoreResult<Vec<SubscriptionView>> {
    let rows: Vec<SubscriptionViewRow> = sqlx::query_as(VIEWS_SQL)
        .bind(user.0)
        .bind(None::<i64>)
        .bind(None::<Vec<i64>>)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn some(
    pool: &PgPool,
    user: UserId,
    feeds: &[FeedId],
) -> StoreResult<Vec<SubscriptionView>> {
    let ids: Vec<i64> = feeds.iter().map(|f| f.0).collect();
    let rows: Vec<SubscriptionViewRow> = sqlx::query_as(VIEWS_SQL)
        .bind(user.0)
        .bind(None::<i64>)
        .bind(ids)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(crate) async fn one(
    pool: &PgPool,
    user: UserId,
    feed: FeedId,
) -> StoreResult<Option<SubscriptionView>> {
    let row: Option<SubscriptionViewRow> = sqlx::query_as(VIEWS_SQL)
        .bind(user.0)
        .bind(feed.0)
        .bind(None::<Vec<i64>>)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Why `settings` cannot be stored, if they cannot.
fn check(settings: &SubscriptionSettings) -> StoreResult<()> {
    for (name, value) in [
        ("minimum", settings.min_interval_secs),
        ("maximum", settings.max_interval_secs),
    ] {
        if let Some(v) = value {
            if v <= 0 {
                return Err(StoreError::Invalid(format!(
                    "the {name} fetch interval must be a positive number of seconds, not {v}"
                )));
            }
        }
    }
    if let (Some(min), Some(max)) = (settings.min_interval_secs, settings.max_interval_secs) {
        if min > max {
            return Err(StoreError::Invalid(format!(
                "the minimum fetch interval ({min} s) is longer than the maximum ({max} s)"
            )));
        }
    }
    Ok(())
}

pub(crate) async fn update(
    pool: &PgPool,
    user: UserId,
    feed: FeedId,
    settings: &SubscriptionSettings,
) -> StoreResult<()> {
    check(settings)?;
    let title = settings
        .title_override
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    // PostgreSQL text cannot hold NUL.
    if title.is_some_and(|t| t.contains('\0')) {
        return Err(StoreError::Invalid(
            "a title cannot contain a NUL character".to_owned(),
        ));
    }
    let mut tx = begin_write(pool).await?;
    require_feed_of(&mut tx, user, feed).await?;
    if let Some(category) = settings.category {
        require_category_of(&mut tx, user, category).await?;
    }
    sqlx::query(
        "UPDATE subscriptions SET title_override = $1, category_id = $2, \
                min_interval_secs = $3, max_interval_secs = $4, paused = $5, \
                paused_at = CASE WHEN $5 THEN COALESCE(paused_at, $6) END \
          WHERE user_id = $7 AND feed_id = $8",
    )
    .bind(title)
    .bind(settings.category.map(|c| c.0))
    .bind(settings.min_interval_secs)
    .bind(settings.max_interval_secs)
    .bind(settings.paused)
    .bind(time::to_db(Utc::now()))
    .bind(user.0)
    .bind(feed.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
