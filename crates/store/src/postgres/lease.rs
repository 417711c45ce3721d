//! Fetch claims (see `crate::lease`), PostgreSQL's way: the feed row and a
//! token row of its host are locked with `FOR UPDATE SKIP LOCKED`, so
//! workers claiming at once never wait for each other and never both win.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tributary_model::FeedId;

use crate::lease::{Claim, FetchClaim};
use crate::postgres::{begin_write, feeds};
use crate::{time, StoreResult};

pub(crate) async fn claim(
    pool: &PgPool,
    feed: FeedId,
    claim: &FetchClaim<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Claim> {
    let mut tx = begin_write(pool).await?;
    let decided = decide(&mut tx, feed, claim, now).await?;
    // Ended explicitly either way: a transaction merely dropped is rolled
    // back only when its connection is next used, and until then its row
    // locks would make the next claimer of the feed see it Taken.
    if matches!(decided, Claim::Claimed(_)) {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(decided)
}

/// The claim's answer, in `tx` (which the caller commits when it is Claimed).
async fn decide(
    tx: &mut PgConnection,
    feed: FeedId,
    claim: &FetchClaim<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Claim> {
    let now_db = time::to_db(now);
    let until = time::to_db(now + chrono::Duration::from_std(claim.lease).unwrap_or_default());
    let per_host = claim.per_host.max(1) as i64;
    // Locked rows are skipped: another worker is claiming this feed right now.
    let state: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT lease_owner, lease_until, next_fetch_at FROM feeds WHERE id = $1 \
            FOR UPDATE SKIP LOCKED",
    )
    .bind(feed.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((owner, lease_until, next)) = state else {
        let exists: Option<(Option<String>,)> =
            sqlx::query_as("SELECT lease_until FROM feeds WHERE id = $1")
                .bind(feed.0)
                .fetch_optional(&mut *tx)
                .await?;
        return Ok(match exists {
            None => Claim::Gone,
            Some((until,)) => Claim::Taken {
                until: until.and_then(|u| time::from_db(&u).ok()).unwrap_or(now),
            },
        });
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
    if !take_host_slot(tx, feed, claim, per_host, &now_db, &until).await? {
        return Ok(Claim::HostBusy);
    }
    sqlx::query("UPDATE feeds SET lease_owner = $1, lease_until = $2 WHERE id = $3")
        .bind(claim.worker)
        .bind(&until)
        .bind(feed.0)
        .execute(&mut *tx)
        .await?;
    let current = feeds::by_id(&mut *tx, feed).await?;
    Ok(current.map_or(Claim::Gone, |f| Claim::Claimed(Box::new(f))))
}

/// Take a free token of the claim's host (creating the host's tokens on its
/// first claim); `false` when all of them are held or being taken (looked
/// up twice: claimers racing at a host's first claim see its tokens appear
/// between two statements).
async fn take_host_slot(
    tx: &mut PgConnection,
    feed: FeedId,
    claim: &FetchClaim<'_>,
    per_host: i64,
    now: &str,
    until: &str,
) -> Result<bool, sqlx::Error> {
    for _ in 0..2 {
        let slot: Option<i64> = sqlx::query_scalar(
            "SELECT slot FROM host_slots \
              WHERE host = $1 AND slot < $2 AND (feed_id IS NULL OR until <= $3 OR feed_id = $4) \
              ORDER BY feed_id = $4 DESC NULLS LAST, slot LIMIT 1 \
                FOR UPDATE SKIP LOCKED",
        )
        .bind(claim.host)
        .bind(per_host)
        .bind(now)
        .bind(feed.0)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(slot) = slot {
            sqlx::query(
                "UPDATE host_slots SET feed_id = $1, owner = $2, until = $3 \
                  WHERE host = $4 AND slot = $5",
            )
            .bind(feed.0)
            .bind(claim.worker)
            .bind(until)
            .bind(claim.host)
            .bind(slot)
            .execute(&mut *tx)
            .await?;
            return Ok(true);
        }
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM host_slots WHERE host = $1")
            .bind(claim.host)
            .fetch_one(&mut *tx)
            .await?;
        if have >= per_host {
            // Full — or created by another claimer after the look-up above
            // (each statement sees what was committed when it started):
            // the next look-up tells.
            continue;
        }
        sqlx::query(
            "INSERT INTO host_slots (host, slot) SELECT $1, g FROM generate_series(0, $2 - 1) g \
             ON CONFLICT DO NOTHING",
        )
        .bind(claim.host)
        .bind(per_host)
        .execute(&mut *tx)
        .await?;
    }
    Ok(false)
}

pub(crate) async fn release(pool: &PgPool, feed: FeedId) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    release_many(&mut tx, &[feed]).await?;
    tx.commit().await?;
    Ok(())
}

/// Clear the claims of `feeds` (their outcomes are being stored), in the
/// caller's transaction.
pub(crate) async fn release_many(
    conn: &mut PgConnection,
    feeds: &[FeedId],
) -> Result<(), sqlx::Error> {
    if feeds.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = feeds.iter().map(|f| f.0).collect();
    sqlx::query(
        "UPDATE feeds SET lease_owner = NULL, lease_until = NULL \
          WHERE id = ANY($1) AND lease_owner IS NOT NULL",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE host_slots SET feed_id = NULL, owner = NULL, until = NULL \
          WHERE feed_id = ANY($1)",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
