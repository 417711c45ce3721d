//! A feed's activity for its chart, and instance-wide counts for `/metrics`.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use tributary_model::{FeedId, FeedStatus, UserId};

use crate::postgres::feeds::not_paused;
use crate::postgres::pages::require_feed_of;
use crate::{time, DayFetches, FeedActivity, StoreCounts, StoreError, StoreResult};

/// Weeks of entries in the chart.
const WEEKS: i64 = 52;
/// Days of fetches in the chart.
const DAYS: i64 = 30;

/// The bucket of `t` among `count` buckets of `width` ending at `now`
/// (oldest first; each bucket includes its end and excludes its start).
fn bucket(now: DateTime<Utc>, t: DateTime<Utc>, width: Duration, count: i64) -> Option<usize> {
    if t > now {
        return None;
    }
    let age = now - t;
    let width_us = width.num_microseconds()?;
    let age_us = age.num_microseconds()?;
    // Bucket k (counted back from `now`) holds ages in [k × width, (k+1) × width).
    let back = age_us / width_us;
    if back >= count {
        return None;
    }
    usize::try_from(count - 1 - back).ok()
}

fn parse(s: &str) -> StoreResult<DateTime<Utc>> {
    time::from_db(s).map_err(|e| {
        StoreError::Db(sqlx::Error::ColumnDecode {
            index: "at".to_owned(),
            source: Box::new(e),
        })
    })
}

pub(crate) async fn feed_activity(
    pool: &PgPool,
    user: UserId,
    feed: FeedId,
    now: DateTime<Utc>,
) -> StoreResult<Option<FeedActivity>> {
    let mut conn = pool.acquire().await?;
    match require_feed_of(&mut conn, user, feed).await {
        Ok(()) => {}
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    let week = Duration::days(7);
    let published: Vec<String> = sqlx::query_scalar(
        "SELECT published FROM entries WHERE feed_id = $1 AND published > $2 AND published <= $3",
    )
    .bind(feed.0)
    .bind(time::to_db(now - week * WEEKS as i32))
    .bind(time::to_db(now))
    .fetch_all(&mut *conn)
    .await?;
    let mut weekly_entries = vec![0i64; WEEKS as usize];
    for p in published {
        if let Some(i) = bucket(now, parse(&p)?, week, WEEKS) {
            weekly_entries[i] += 1;
        }
    }
    let day = Duration::days(1);
    let fetches: Vec<(String, String)> = sqlx::query_as(
        "SELECT at, outcome FROM fetch_log WHERE feed_id = $1 AND at > $2 AND at <= $3",
    )
    .bind(feed.0)
    .bind(time::to_db(now - day * DAYS as i32))
    .bind(time::to_db(now))
    .fetch_all(&mut *conn)
    .await?;
    let mut daily_fetches = vec![DayFetches::default(); DAYS as usize];
    for (at, outcome) in fetches {
        if let Some(i) = bucket(now, parse(&at)?, day, DAYS) {
            let d = &mut daily_fetches[i];
            match outcome.as_str() {
                "new" => d.new += 1,
                "unchanged" => d.unchanged += 1,
                _ => d.failed += 1,
            }
        }
    }
    Ok(Some(FeedActivity {
        weekly_entries,
        daily_fetches,
    }))
}

pub(crate) async fn counts(pool: &PgPool, now: DateTime<Utc>) -> StoreResult<StoreCounts> {
    let mut conn = pool.acquire().await?;
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM feeds GROUP BY status")
            .fetch_all(&mut *conn)
            .await?;
    // Every status is listed, with 0 when no feed has it.
    let mut feeds_by_status: Vec<(FeedStatus, i64)> =
        [FeedStatus::Ok, FeedStatus::Error, FeedStatus::Disabled]
            .into_iter()
            .map(|s| (s, 0))
            .collect();
    for (status, n) in by_status {
        let status = FeedStatus::from_str(&status).map_err(|e| {
            StoreError::Db(sqlx::Error::ColumnDecode {
                index: "status".to_owned(),
                source: e.into(),
            })
        })?;
        if let Some(slot) = feeds_by_status.iter_mut().find(|(s, _)| *s == status) {
            slot.1 = n;
        }
    }
    let feeds_due: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM feeds f WHERE f.status <> 'disabled' \
           AND (f.next_fetch_at IS NULL OR f.next_fetch_at <= $1) AND ",
        not_paused!()
    ))
    .bind(time::to_db(now))
    .fetch_one(&mut *conn)
    .await?;
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM entries")
        .fetch_one(&mut *conn)
        .await?;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut *conn)
        .await?;
    Ok(StoreCounts {
        feeds_by_status,
        feeds_due,
        entries,
        users,
    })
}
