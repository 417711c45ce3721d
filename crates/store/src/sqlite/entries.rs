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

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sqlx::{Row, SqliteConnection, SqlitePool};
use tributary_model::{Entry, EntryId, FeedId, NewEntry, UserId};

use crate::rows::{entry_columns, EntryRow};
use crate::sqlite::later::Later;
use crate::sqlite::{begin_write, feeds, fetch_log, fts};
use crate::{time, FetchSuccess, StoreError, StoreResult, UpsertReport};

/// Store one fetch outcome inside the caller's transaction (the write
/// queue's batch, in a savepoint of its own); its search index rows, fetch
/// log row and entry count go to `later` (see [`Later`]).
pub(crate) async fn record_in<'a>(
    tx: &mut SqliteConnection,
    feed: FeedId,
    outcome: &'a FetchSuccess,
    later: &mut Later<'a>,
) -> StoreResult<UpsertReport> {
    let meta = &outcome.meta;
    // Metadata the document does not give keeps its stored value; the
    // validators are replaced, since stale ones would make the next
    // conditional GET wrong.
    let done: Option<sqlx::sqlite::SqliteRow> = sqlx::query(
        "UPDATE feeds SET title = COALESCE(?, title), site_url = COALESCE(?, site_url), \
                description = COALESCE(?, description), language = COALESCE(?, language), \
                image_url = COALESCE(?, image_url), etag = ?, last_modified = ?, \
                status = 'ok', last_error = NULL, last_error_code = NULL, error_count = 0, \
                failing_since = NULL, disabled_at = NULL, \
                last_fetched_at = ?, last_success_at = ?, next_fetch_at = ?, \
                next_fetch_reason = ?, schedule_hints = ?, status_note = ?, body_hash = ? \
          WHERE id = ? RETURNING url",
    )
    .bind(&meta.title)
    .bind(&meta.site_url)
    .bind(&meta.description)
    .bind(&meta.language)
    .bind(&meta.image_url)
    .bind(&outcome.etag)
    .bind(&outcome.last_modified)
    .bind(time::to_db(outcome.fetched_at))
    .bind(time::to_db(outcome.fetched_at))
    .bind(time::to_db(outcome.next_fetch_at))
    .bind(&outcome.next_fetch_reason)
    // Plain data: serializing it cannot fail; `{}` would only forget hints.
    .bind(serde_json::to_string(&outcome.schedule_hints).unwrap_or_else(|_| "{}".to_owned()))
    .bind(&outcome.status_note)
    .bind(&outcome.body_hash)
    .bind(feed.0)
    .fetch_optional(&mut *tx)
    .await?;
    // The URL before any move (the update above does not change it).
    let current: String = match done {
        Some(row) => row.try_get(0)?,
        None => return Err(StoreError::NotFound(format!("feed {feed}"))),
    };

    if let Some(new_url) = outcome.moved_to.as_deref() {
        if new_url != current {
            feeds::apply_move(&mut *tx, feed, &current, new_url, outcome.fetched_at).await?;
        }
    }

    let batch_keys: HashSet<&str> = outcome.entries.iter().map(|e| e.key.as_str()).collect();
    let mut known = Known::load(&mut *tx, feed).await?;
    let now = time::to_db(Utc::now());
    let mut report = UpsertReport::default();
    let mut pending: Vec<&NewEntry> = Vec::new();
    for entry in &outcome.entries {
        let result = upsert(
            &mut *tx,
            entry,
            &batch_keys,
            &mut known,
            &mut pending,
            later,
        )
        .await
        .map_err(|source| StoreError::entry(feed, &entry.key, source))?;
        match result {
            Upserted::New => report.new += 1,
            Upserted::Updated => report.updated += 1,
            Upserted::Unchanged => report.unchanged += 1,
            Upserted::Tombstoned => report.tombstoned += 1,
        }
    }
    // New entries go in with a few multi-row INSERTs: one statement per
    // entry cost a round trip to the database thread each.
    for chunk in pending.chunks(INSERT_CHUNK) {
        let source = match insert_many(&mut *tx, feed, chunk, &now, later).await {
            Ok(ids) => {
                report.new_ids.extend(ids);
                continue;
            }
            Err(source) => source,
        };
        // A full disk: SQLite may have rolled the whole transaction
        // back already, and statements run now would each commit on
        // their own. Nothing more goes into it.
        if crate::error::is_disk_full(&source) {
            return Err(StoreError::from(source));
        }
        // Name the entry that failed: SQLite undid only the statement,
        // so the rows can be tried one by one (the transaction is
        // rolled back either way).
        for entry in chunk {
            if let Err(source) = insert_many(&mut *tx, feed, &[entry], &now, later).await {
                return Err(StoreError::entry(feed, &entry.key, source));
            }
        }
        return Err(StoreError::entry(feed, &chunk[0].key, source));
    }
    let outcome_kind = if report.new + report.updated > 0 {
        fetch_log::Outcome::New
    } else {
        fetch_log::Outcome::Unchanged
    };
    later
        .fetched(&mut *tx, feed, outcome.fetched_at, outcome_kind)
        .await?;
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

/// One stored entry of the feed, as far as the duplicate rules look at it.
struct StoredEntry {
    id: i64,
    key: String,
    canonical_url: Option<String>,
    title: String,
    published: String,
    published_from_feed: bool,
}

/// What the feed already holds, read in two queries per fetch so the rules
/// are decided in memory: a query per rule and entry made a cold fetch of
/// 1,000 feeds spend most of its time waking the database thread.
struct Known {
    stored: Vec<StoredEntry>,
    /// Current key → (row id, content hash), kept up to date as the batch is stored.
    by_key: HashMap<String, (i64, String)>,
    tombstoned_keys: HashSet<String>,
    tombstoned_canonical: HashSet<String>,
}

impl Known {
    async fn load(conn: &mut SqliteConnection, feed: FeedId) -> Result<Known, sqlx::Error> {
        type Row = (i64, String, String, Option<String>, String, String, bool);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, key, content_hash, canonical_url, title, published, published_from_feed \
               FROM entries WHERE feed_id = ? ORDER BY id",
        )
        .bind(feed.0)
        .fetch_all(&mut *conn)
        .await?;
        let tombstones: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT key, canonical_url FROM entry_tombstones WHERE feed_id = ?")
                .bind(feed.0)
                .fetch_all(&mut *conn)
                .await?;
        let mut by_key = HashMap::with_capacity(rows.len());
        let mut stored = Vec::with_capacity(rows.len());
        for (id, key, hash, canonical_url, title, published, published_from_feed) in rows {
            by_key.insert(key.clone(), (id, hash));
            stored.push(StoredEntry {
                id,
                key,
                canonical_url,
                title,
                published,
                published_from_feed,
            });
        }
        let mut tombstoned_keys = HashSet::new();
        let mut tombstoned_canonical = HashSet::new();
        for (key, canonical) in tombstones {
            tombstoned_keys.insert(key);
            tombstoned_canonical.extend(canonical);
        }
        Ok(Known {
            stored,
            by_key,
            tombstoned_keys,
            tombstoned_canonical,
        })
    }

    /// The first stored entry (oldest first) matching `is_same` whose key the
    /// feed no longer lists: an entry still listed under its own key is not
    /// a re-issue.
    fn reissued(
        &self,
        batch_keys: &HashSet<&str>,
        is_same: impl Fn(&StoredEntry) -> bool,
    ) -> Option<usize> {
        self.stored
            .iter()
            .position(|s| !batch_keys.contains(s.key.as_str()) && is_same(s))
    }

    /// Record that the stored entry at `index` now carries `entry`.
    fn rekey(&mut self, index: usize, entry: &NewEntry) {
        let stored = &mut self.stored[index];
        self.by_key.remove(&stored.key);
        stored.key.clone_from(&entry.key);
        stored.canonical_url.clone_from(&entry.canonical_url);
        stored.title.clone_from(&entry.title);
        if entry.published_from_feed {
            stored.published = time::to_db(entry.published);
            stored.published_from_feed = true;
        }
        self.by_key
            .insert(entry.key.clone(), (stored.id, entry.content_hash.clone()));
    }
}

/// Rows per multi-row INSERT (17 parameters each, far under SQLite's limit).
const INSERT_CHUNK: usize = 64;

/// `by_key` id of an entry not inserted yet: `-1 - index` into `pending`.
fn pending_id(index: usize) -> i64 {
    -1 - i64::try_from(index).unwrap_or(i64::MAX - 1)
}

/// Apply the duplicate rules (see the module docs) to one entry. New
/// entries are queued in `pending` (inserted by the caller at the end).
async fn upsert<'a>(
    conn: &mut SqliteConnection,
    entry: &'a NewEntry,
    batch_keys: &HashSet<&str>,
    known: &mut Known,
    pending: &mut Vec<&'a NewEntry>,
    later: &mut Later<'a>,
) -> Result<Upserted, sqlx::Error> {
    // 1. Deleted before.
    if known.tombstoned_keys.contains(&entry.key) {
        return Ok(Upserted::Tombstoned);
    }

    // 2. Same key.
    if let Some((id, hash)) = known.by_key.get(&entry.key) {
        if *hash == entry.content_hash {
            return Ok(Upserted::Unchanged);
        }
        let id = *id;
        if id < 0 {
            // The same key twice in one document, not stored yet: the
            // later one is what gets inserted.
            let at = usize::try_from(-1 - id).unwrap_or(usize::MAX);
            if let Some(slot) = pending.get_mut(at) {
                *slot = entry;
            }
        } else {
            update(conn, id, entry, later).await?;
        }
        known
            .by_key
            .insert(entry.key.clone(), (id, entry.content_hash.clone()));
        return Ok(Upserted::Updated);
    }

    // 3. Same canonical link under a new key.
    if let Some(canonical) = entry.canonical_url.as_deref() {
        if let Some(at) = known.reissued(batch_keys, |s| {
            s.canonical_url.as_deref() == Some(canonical)
        }) {
            update(conn, known.stored[at].id, entry, later).await?;
            known.rekey(at, entry);
            return Ok(Upserted::Updated);
        }
        // 3b. A deleted entry re-issued under a new key stays deleted.
        if known.tombstoned_canonical.contains(canonical) {
            return Ok(Upserted::Tombstoned);
        }
    }

    // 4. Same title and same date, when the date is the feed's own (a
    // fetch-time date says nothing about identity).
    if entry.published_from_feed {
        let published = time::to_db(entry.published);
        if let Some(at) = known.reissued(batch_keys, |s| {
            s.published_from_feed && s.title == entry.title && s.published == published
        }) {
            update(conn, known.stored[at].id, entry, later).await?;
            known.rekey(at, entry);
            return Ok(Upserted::Updated);
        }
    }

    // 5. New.
    known.by_key.insert(
        entry.key.clone(),
        (pending_id(pending.len()), entry.content_hash.clone()),
    );
    pending.push(entry);
    Ok(Upserted::New)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Insert `entries` (at most [`INSERT_CHUNK`]) in one statement. Strings
/// are bound borrowed, not copied.
async fn insert_many<'a>(
    conn: &mut SqliteConnection,
    feed: FeedId,
    entries: &[&'a NewEntry],
    now: &str,
    later: &mut Later<'a>,
) -> Result<Vec<EntryId>, sqlx::Error> {
    let mut sql = String::from(
        "INSERT INTO entries (feed_id, key, guid, url, canonical_url, title, author, \
                content_html, summary_html, excerpt, published, published_from_feed, updated, \
                enclosures, categories, content_hash, created_at) VALUES ",
    );
    for i in 0..entries.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    sql.push_str(" RETURNING id");
    let encoded: Vec<(String, Option<String>, String, String)> = entries
        .iter()
        .map(|e| {
            Ok((
                time::to_db(e.published),
                time::opt_to_db(e.updated),
                json(&e.enclosures)?,
                json(&e.categories)?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let mut query = sqlx::query(&sql);
    for (e, (published, updated, enclosures, categories)) in entries.iter().zip(&encoded) {
        query = query
            .bind(feed.0)
            .bind(e.key.as_str())
            .bind(e.guid.as_deref())
            .bind(e.url.as_deref())
            .bind(e.canonical_url.as_deref())
            .bind(e.title.as_str())
            .bind(e.author.as_deref())
            .bind(e.content_html.as_deref())
            .bind(e.summary_html.as_deref())
            .bind(e.excerpt.as_str())
            .bind(published.as_str())
            .bind(e.published_from_feed)
            .bind(updated.as_deref())
            .bind(enclosures.as_str())
            .bind(categories.as_str())
            .bind(e.content_hash.as_str())
            .bind(now);
    }
    let ids: Vec<EntryId> = query
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>(0).map(EntryId))
        .collect::<Result<_, _>>()?;
    // The search index gets the new rows in the same transaction.
    let docs = entries.iter().map(|e| fts::NewDoc::of(feed, e)).collect();
    let added = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    later.inserted(&mut *conn, feed, added, docs).await?;
    Ok(ids)
}

/// Overwrite a stored entry (row id, and so read state, kept) with `e`.
/// A date that is only the fetch time does not replace the stored date: an
/// undated entry keeps the time it was first seen.
async fn update<'a>(
    conn: &mut SqliteConnection,
    id: i64,
    e: &'a NewEntry,
    later: &mut Later<'a>,
) -> Result<(), sqlx::Error> {
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
    .execute(&mut *conn)
    .await?;
    later.changed(conn, fts::Doc::of(id, e)).await
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
            "INSERT INTO entry_states (user_id, entry_id, feed_id, read, read_at, updated_at) \
             VALUES (?1, ?2, (SELECT feed_id FROM entries WHERE id = ?2), ?3, \
                     CASE WHEN ?3 THEN ?4 END, ?4) \
             ON CONFLICT (user_id, entry_id) DO UPDATE SET read = ?3, \
                 read_at = CASE WHEN ?3 THEN ?4 END, updated_at = ?4"
        }
        Flag::Starred => {
            "INSERT INTO entry_states (user_id, entry_id, feed_id, starred, updated_at) \
             VALUES (?1, ?2, (SELECT feed_id FROM entries WHERE id = ?2), ?3, ?4) \
             ON CONFLICT (user_id, entry_id) DO UPDATE SET starred = ?3, updated_at = ?4"
        }
    };
    let mut tx = begin_write(pool).await?;
    let user_exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = ?")
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?;
    if user_exists.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    // Only entries of feeds the user follows: anything else does not exist for them.
    let visible: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM entries e JOIN subscriptions s ON s.feed_id = e.feed_id \
          WHERE e.id = ? AND s.user_id = ?",
    )
    .bind(entry.0)
    .bind(user.0)
    .fetch_optional(&mut *tx)
    .await?;
    if visible.is_none() {
        return Err(StoreError::NotFound(format!("entry {entry}")));
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
