//! Fetch claims (see `crate::lease`), SQLite's way: one `BEGIN IMMEDIATE`
//! transaction per claim, since SQLite has one writer at a time.

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};
use tributary_model::FeedId;

use crate::lease::{Claim, FetchClaim};
use crate::sqlite::{begin_write, feeds};
use crate::{time, StoreResult};

pub(crate) async fn claim(
    pool: &SqlitePool,
    feed: FeedId,
    claim: &FetchClaim<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Claim> {
    let now_db = time::to_db(now);
    let until = time::to_db(now + chrono::Duration::from_std(claim.lease).unwrap_or_default());
    let per_host = claim.per_host.max(1) as i64;
    let mut tx = begin_write(pool).await?;
    let state: Option<(Option<String>, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT lease_owner, lease_until, next_fetch_at FROM feeds WHERE id = ?")
            .bind(feed.0)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((owner, lease_until, next)) = state else {
        return Ok(Claim::Gone);
    };
    if let (Some(owner), Some(lease_until)) = (owner, lease_until) {
        if owner != claim.worker && lease_until > now_db {
            return Ok(Claim::Taken {
                until: time::from_db(&lease_until).unwrap_or(now),
            });
        }
    }
    if claim.due_only {
        if let Some(next) = next.filter(|next| *next > now_db) {
            return Ok(Claim::NotDue {
                next: time::from_db(&next).unwrap_or(now),
            });
        }
    }
    if !take_host_slot(&mut tx, feed, claim, per_host, &now_db, &until).await? {
        return Ok(Claim::HostBusy);
    }
    sqlx::query("UPDATE feeds SET lease_owner = ?, lease_until = ? WHERE id = ?")
        .bind(claim.worker)
        .bind(&until)
        .bind(feed.0)
        .execute(&mut *tx)
        .await?;
    let current = feeds::by_id(&mut *tx, feed).await?;
    tx.commit().await?;
    Ok(current.map_or(Claim::Gone, |f| Claim::Claimed(Box::new(f))))
}

/// Take a free token of the claim's host (creating the host's tokens on its
/// first claim); `false` when all of them are held.
async fn take_host_slot(
    tx: &mut SqliteConnection,
    feed: FeedId,
    claim: &FetchClaim<'_>,
    per_host: i64,
    now: &str,
    until: &str,
) -> Result<bool, sqlx::Error> {
    for _ in 0..2 {
        let taken = sqlx::query(
            "UPDATE host_slots SET feed_id = ?1, owner = ?2, until = ?3 \
              WHERE host = ?4 AND slot = (SELECT slot FROM host_slots \
                  WHERE host = ?4 AND slot < ?5 AND (feed_id IS NULL OR until <= ?6 OR feed_id = ?1) \
                  ORDER BY feed_id = ?1 DESC, slot LIMIT 1)",
        )
        .bind(feed.0)
        .bind(claim.worker)
        .bind(until)
        .bind(claim.host)
        .bind(per_host)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() > 0 {
            return Ok(true);
        }
        // The host's tokens may not exist yet (or fewer than the limit asks).
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM host_slots WHERE host = ?")
            .bind(claim.host)
            .fetch_one(&mut *tx)
            .await?;
        if have >= per_host {
            return Ok(false);
        }
        sqlx::query(
            "WITH RECURSIVE n(slot) AS (SELECT 0 UNION ALL SELECT slot + 1 FROM n WHERE slot + 1 < ?2) \
             INSERT OR IGNORE INTO host_slots (host, slot) SELECT ?1, slot FROM n",
        )
        .bind(claim.host)
        .bind(per_host)
        .execute(&mut *tx)
        .await?;
    }
    Ok(false)
}

pub(crate) async fn release(pool: &SqlitePool, feed: FeedId) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    release_many(&mut tx, &[feed]).await?;
    tx.commit().await?;
    Ok(())
}

/// Clear the claims of `feeds` (their outcomes are being stored), in the
/// caller's transaction.
pub(crate) async fn release_many(
    conn: &mut SqliteConnection,
    feeds: &[FeedId],
) -> Result<(), sqlx::Error> {
    if feeds.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = feeds.iter().map(|f| f.0).collect();
    let json = serde_json::to_string(&ids).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "UPDATE feeds SET lease_owner = NULL, lease_until = NULL \
          WHERE id IN (SELECT value FROM json_each(?1)) AND lease_owner IS NOT NULL",
    )
    .bind(&json)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE host_slots SET feed_id = NULL, owner = NULL, until = NULL \
          WHERE feed_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
