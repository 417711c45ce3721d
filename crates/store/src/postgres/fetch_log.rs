//! The fetch history behind a feed's chart: one row per fetch, kept
//! [`KEEP_DAYS`] days. Rows are appended in the transaction that stores the
//! fetch; old ones are pruned every [`PRUNE_EVERY`] appends (an indexed
//! range delete), not on every write.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use tributary_model::FeedId;

use crate::time;

/// Days of history kept.
pub(crate) const KEEP_DAYS: i64 = 31;

/// Appends between two prunes.
const PRUNE_EVERY: u64 = 1000;

static APPENDS: AtomicU64 = AtomicU64::new(0);

/// What one fetch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored at least one new or updated entry.
    New,
    /// Got the feed, nothing new.
    Unchanged,
    /// Failed.
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::New => "new",
            Outcome::Unchanged => "unchanged",
            Outcome::Failed => "failed",
        }
    }
}

/// Record fetches (feed, when, outcome), in one statement.
pub(crate) async fn append_many(
    conn: &mut PgConnection,
    fetches: &[(FeedId, DateTime<Utc>, Outcome)],
) -> Result<(), sqlx::Error> {
    if fetches.is_empty() {
        return Ok(());
    }
    let feeds: Vec<i64> = fetches.iter().map(|(feed, _, _)| feed.0).collect();
    let ats: Vec<String> = fetches.iter().map(|(_, at, _)| time::to_db(*at)).collect();
    let outcomes: Vec<&str> = fetches.iter().map(|(_, _, o)| o.as_str()).collect();
    sqlx::query(
        "INSERT INTO fetch_log (feed_id, at, outcome) \
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
    )
    .bind(feeds)
    .bind(ats)
    .bind(outcomes)
    .execute(&mut *conn)
    .await?;
    let n = fetches.len() as u64;
    let before = APPENDS.fetch_add(n, Ordering::Relaxed);
    if before / PRUNE_EVERY != (before + n) / PRUNE_EVERY {
        prune(conn, Utc::now()).await?;
    }
    Ok(())
}

/// Record one fetch of `feed` at `at`.
pub(crate) async fn append(
    conn: &mut PgConnection,
    feed: FeedId,
    at: DateTime<Utc>,
    outcome: Outcome,
) -> Result<(), sqlx::Error> {
    append_many(conn, &[(feed, at, outcome)]).await
}

/// Delete history older than [`KEEP_DAYS`] before `now`; returns how many rows.
pub(crate) async fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let cutoff = time::to_db(now - Duration::days(KEEP_DAYS));
    let done = sqlx::query("DELETE FROM fetch_log WHERE at < $1")
        .bind(cutoff)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
