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
    let rows: Vec<(i64, String, &str)> = fetches
        .iter()
        .map(|(feed, at, outcome)| (feed.0, time::to_db(*at), outcome.as_str()))
        .collect();
    let json = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO fetch_log (feed_id, at, outcome) \
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)",
    )
    .bind(json)
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
    let done = sqlx::query("DELETE FROM fetch_log WHERE at < ?")
        .bind(cutoff)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
