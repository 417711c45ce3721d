//! Storing a fetch (feed meta + entry upsert with duplicate detection),
//! deleting entries, and per-user entry state.
//!
//! Duplicate rules, in order, for each incoming entry (DESIGN.md "Identity
//! and duplicates"):
//! 1. its key is tombstoned → skipped;
//! 2. an entry of the feed has its key → updated if the content hash
//!    differs, else unchanged;
//! 3. an entry of the feed has its (non-null) canonical URL → it is that
//!    entry re-issued under a new guid: updated, key included;
//!    (3b) a deleted entry had that canonical URL → skipped as tombstoned;
//! 4. an entry of the feed has the same title and the same feed-given
//!    published date → updated likewise;
//! 5. otherwise inserted.
//!
//! Rules 3 and 4 only match stored entries whose key is *not* in the
//! incoming batch: an entry the feed still lists under its own key is not a
//! re-issue, even if it shares a link (feeds whose items all link to the
//! home page) or a title and date with a newer one.

use std::collections::HashSet;

use chrono::Utc;
use sqlx::{SqliteConnection, SqlitePool};
use tributary_model::{Entry, EntryId, FeedId, NewEntry, UserId};

use crate::rows::{entry_columns, EntryRow};
use crate::sqlite::{begin_write, feeds};
use crate::{time, FetchSuccess, StoreError, StoreResult, UpsertReport};

pub(crate) async fn record_success(
    pool: &SqlitePool,
    feed: FeedId,
    outcome: &FetchSuccess,
) -> StoreResult<UpsertReport> {
    let mut tx = begin_write(pool).await?;
    let current: Option<String> = sqlx::query_scalar("SELECT url FROM feeds WHERE id = ?")
        .bind(feed.0)
        .fetch_optional(&mut *tx)
        .await?;
    let current = current.ok_or_else(|| StoreError::NotFound(format!("feed {feed}")))?;

    let meta = &outcome.meta;
    // Metadata the document does not give keeps its stored value; the
    // validators are replaced, since stale ones would make the next
    // conditional GET wrong.
    let done = sqlx::query(
        "UPDATE feeds SET title = COALESCE(?, title), site_url = COALESCE(?, site_url), \
                description = COALESCE(?, description), language = COALESCE(?, language), \
                image_url = COALESCE(?, image_url), etag = ?, last_modified = ?, \
                status = 'ok', last_error = NULL, last_error_code = NULL, error_count = 0, \
                last_fetched_at = ?, next_fetch_at = ? \
          WHERE id = ?",
    )
    .bind(&meta.title)
    .bind(&meta.site_url)
    .bind(&meta.description)
    .bind(&meta.language)
    .bind(&meta.image_url)
    .bind(&outcome.etag)
    .bind(&outcome.last_modified)
    .bind(time::to_db(outcome.fetched_at))
    .bind(time::to_db(outcome.next_fetch_at))
    .bind(feed.0)
    .execute(&mut *tx)
    .await?;
    feeds::require_feed(done.rows_affected(), feed)?;

    if let Some(new_url) = outcome.moved_to.as_deref() {
        if new_url != current {
            feeds::apply_move(&mut tx, feed, &current, new_url, outcome.fetched_at).await?;
        }
    }

    let batch_keys: HashSet<&str> = outcome.entries.iter().map(|e| e.key.as_str()).collect();
    let now = time::to_db(Utc::now());
    let mut report = UpsertReport::default();
    for entry in &outcome.entries {
        let result = upsert(&mut tx, feed, entry, &batch_keys, &now)
            .await
            .map_err(|source| StoreError::Entry {
                feed,
                key: entry.key.clone(),
                source,
            })?;
        match result {
            Upserted::New => report.new += 1,
            Upserted::Updated => report.updated += 1,
            Upserted::Unchanged => report.unchanged += 1,
            Upserted::Tombstoned => report.tombstoned += 1,
        }
    }
    tx.commit().await?;
    tracing::debug!(
        feed.id = %feed, new = report.new, updated = report.updated,
        unchanged = report.unchanged, tombstoned = report.tombstoned, "fetch stored"
    );
    Ok(report)
}

enum Upserted {
    New,
    Updated,
    Unchanged,
    Tombstoned,
}

/// Apply the duplicate rules (see the module docs) to one entry.
async fn upsert(
    conn: &mut SqliteConnection,
    feed: FeedId,
    entry: &NewEntry,
    batch_keys: &HashSet<&str>,
    now: &str,
) -> Result<Upserted, sqlx::Error> {
    // 1. Deleted before.
    let tombstoned: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM entry_tombstones WHERE feed_id = ? AND key = ?")
            .bind(feed.0)
            .bind(&entry.key)
            .fetch_optional(&mut *conn)
            .await?;
    if tombstoned.is_some() {
        return Ok(Upserted::Tombstoned);
    }

    // 2. Same key.
    let same_key: Option<(i64, String)> =
        sqlx::query_as("SELECT id, content_hash FROM entries WHERE feed_id = ? AND key = ?")
            .bind(feed.0)
            .bind(&entry.key)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((id, hash)) = same_key {
        if hash == entry.content_hash {
            return Ok(Upserted::Unchanged);
        }
        update(conn, id, entry).await?;
        return Ok(Upserted::Updated);
    }

    // 3. Same canonical link under a new key.
    if let Some(canonical) = entry.canonical_url.as_deref() {
        let candidates: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, key FROM entries WHERE feed_id = ? AND canonical_url = ?")
                .bind(feed.0)
                .bind(canonical)
                .fetch_all(&mut *conn)
                .await?;
        if let Some(id) = reissued(&candidates, batch_keys) {
            update(conn, id, entry).await?;
            return Ok(Upserted::Updated);
        }
        // 3b. A deleted entry re-issued under a new key stays deleted.
        let tombstoned: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM entry_tombstones WHERE feed_id = ? AND canonical_url = ? LIMIT 1",
        )
        .bind(feed.0)
        .bind(canonical)
        .fetch_optional(&mut *conn)
        .await?;
        if tombstoned.is_some() {
            return Ok(Upserted::Tombstoned);
        }
    }

    // 4. Same title and same date, when the date is the feed's own (a
    // fetch-time date says nothing about identity).
    if entry.published_from_feed {
        let candidates: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, key FROM entries \
              WHERE feed_id = ? AND title = ? AND published = ? AND published_from_feed = 1",
        )
        .bind(feed.0)
        .bind(&entry.title)
        .bind(time::to_db(entry.published))
        .fetch_all(&mut *conn)
        .await?;
        if let Some(id) = reissued(&candidates, batch_keys) {
            update(conn, id, entry).await?;
            return Ok(Upserted::Updated);
        }
    }

    // 5. New.
    insert(conn, feed, entry, now).await?;
    Ok(Upserted::New)
}

/// The first stored candidate whose key the feed no longer lists.
fn reissued(candidates: &[(i64, String)], batch_keys: &HashSet<&str>) -> Option<i64> {
    candidates
        .iter()
        .find(|(_, key)| !batch_keys.contains(key.as_str()))
        .map(|(id, _)| *id)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

async fn insert(
    conn: &mut SqliteConnection,
    feed: FeedId,
    e: &NewEntry,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO entries (feed_id, key, guid, url, canonical_url, title, author, \
                content_html, summary_html, excerpt, published, published_from_feed, updated, \
                enclosures, categories, content_hash, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(feed.0)
    .bind(&e.key)
    .bind(&e.guid)
    .bind(&e.url)
    .bind(&e.canonical_url)
    .bind(&e.title)
    .bind(&e.author)
    .bind(&e.content_html)
    .bind(&e.summary_html)
    .bind(&e.excerpt)
    .bind(time::to_db(e.published))
    .bind(e.published_from_feed)
    .bind(time::opt_to_db(e.updated))
    .bind(json(&e.enclosures)?)
    .bind(json(&e.categories)?)
    .bind(&e.content_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Overwrite a stored entry (row id, and so read state, kept) with `e`.
/// A date that is only the fetch time does not replace the stored date: an
/// undated entry keeps the time it was first seen.
async fn update(conn: &mut SqliteConnection, id: i64, e: &NewEntry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE entries SET key = ?1, guid = ?2, url = ?3, canonical_url = ?4, title = ?5, \
                author = ?6, content_html = ?7, summary_html = ?8, excerpt = ?9, \
                published = CASE WHEN ?10 THEN ?11 ELSE published END, \
                published_from_feed = CASE WHEN ?10 THEN 1 ELSE published_from_feed END, \
                updated = ?12, enclosures = ?13, categories = ?14, content_hash = ?15 \
          WHERE id = ?16",
    )
    .bind(&e.key)
    .bind(&e.guid)
    .bind(&e.url)
    .bind(&e.canonical_url)
    .bind(&e.title)
    .bind(&e.author)
    .bind(&e.content_html)
    .bind(&e.summary_html)
    .bind(&e.excerpt)
    .bind(e.published_from_feed)
    .bind(time::to_db(e.published))
    .bind(time::opt_to_db(e.updated))
    .bind(json(&e.enclosures)?)
    .bind(json(&e.categories)?)
    .bind(&e.content_hash)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn by_id(pool: &SqlitePool, id: EntryId) -> StoreResult<Option<Entry>> {
    let row: Option<EntryRow> = sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries e WHERE e.id = ?"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.0))
}

pub(crate) async fn delete(pool: &SqlitePool, id: EntryId) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    let found: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT feed_id, key, canonical_url FROM entries WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    let (feed, key, canonical) =
        found.ok_or_else(|| StoreError::NotFound(format!("entry {id}")))?;
    sqlx::query(
        "INSERT INTO entry_tombstones (feed_id, key, canonical_url, deleted_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(feed)
    .bind(&key)
    .bind(&canonical)
    .bind(time::to_db(Utc::now()))
    .execute(&mut *tx)
    .await?;
    // Reading state goes with the entry (ON DELETE CASCADE).
    sqlx::query("DELETE FROM entries WHERE id = ?")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Which flag of `entry_states` to set.
#[derive(Clone, Copy)]
pub(crate) enum Flag {
    Read,
    Starred,
}

pub(crate) async fn set_flag(
    pool: &SqlitePool,
    user: UserId,
    entry: EntryId,
    flag: Flag,
    value: bool,
) -> StoreResult<()> {
    // Column names cannot be bound; these are fixed strings, not input.
    let sql = match flag {
        Flag::Read => {
            "INSERT INTO entry_states (user_id, entry_id, read, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id, entry_id) DO UPDATE SET read = ?3, updated_at = ?4"
        }
        Flag::Starred => {
            "INSERT INTO entry_states (user_id, entry_id, starred, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id, entry_id) DO UPDATE SET starred = ?3, updated_at = ?4"
        }
    };
    let mut tx = begin_write(pool).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM entries WHERE id = ?")
        .bind(entry.0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("entry {entry}")));
    }
    let user_exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = ?")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
    if user_exists.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    sqlx::query(sql)
        .bind(user.0)
        .bind(entry.0)
        .bind(value)
        .bind(time::to_db(Utc::now()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn count(pool: &SqlitePool) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM entries")
        .fetch_one(pool)
        .await?)
}
