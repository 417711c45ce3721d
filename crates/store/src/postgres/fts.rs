//! The full-text index `entries_search` (one row per entry: its text and
//! its weighted `tsvector`, see migrations/postgres/20261204000002_search.sql):
//! written with every entry insert and update, in the caller's transaction
//! (deletions cascade), and filled once for entries stored before it existed.

use sqlx::{PgConnection, PgPool};
use tributary_model::{FeedId, NewEntry};

use crate::postgres::begin_write;
use crate::text::html_to_text;
use crate::StoreResult;

/// Setting recording that entries stored before the index existed are in it.
const BACKFILLED: &str = "search.backfilled";

/// Entries indexed per statement when filling the index.
const BACKFILL_CHUNK: i64 = 500;

/// A new entry's indexed text; the entry is found by its feed and key (its
/// id is not known yet), title and author are read from its row.
pub(crate) struct NewDoc<'a> {
    pub feed: i64,
    pub key: &'a str,
    pub body: String,
}

impl<'a> NewDoc<'a> {
    /// The text of an incoming entry of `feed`.
    pub(crate) fn of(feed: FeedId, e: &'a NewEntry) -> NewDoc<'a> {
        NewDoc {
            feed: feed.0,
            key: &e.key,
            body: body_of(e.content_html.as_deref(), e.summary_html.as_deref()),
        }
    }
}

/// A stored entry's indexed body, by entry id (title and author are read
/// from its row).
pub(crate) struct Doc {
    pub id: i64,
    pub body: String,
}

impl Doc {
    /// The text of stored entry `id`, now carrying `e`.
    pub(crate) fn of(id: i64, e: &NewEntry) -> Doc {
        Doc {
            id,
            body: body_of(e.content_html.as_deref(), e.summary_html.as_deref()),
        }
    }
}

/// The indexed body: the content, else the summary, as plain text.
pub(crate) fn body_of(content_html: Option<&str>, summary_html: Option<&str>) -> String {
    content_html
        .filter(|c| !c.trim().is_empty())
        .or(summary_html)
        .map(html_to_text)
        .unwrap_or_default()
}

/// Index rows for new entries, found by `(feed_id, key)`: the arrays are
/// bound whole (one statement for any number of rows).
const BY_KEY: &str = "INSERT INTO entries_search (entry_id, title, author, body, doc) \
     SELECT e.id, e.title, e.author, d.body, tributary_search_doc(e.title, e.author, d.body) \
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS d(feed_id, key, body) \
       JOIN entries e ON e.feed_id = d.feed_id AND e.key = d.key \
     ON CONFLICT (entry_id) DO UPDATE SET title = excluded.title, author = excluded.author, \
        body = excluded.body, doc = excluded.doc";

/// Index rows for stored entries, by id.
const BY_ID: &str = "INSERT INTO entries_search (entry_id, title, author, body, doc) \
     SELECT e.id, e.title, e.author, d.body, tributary_search_doc(e.title, e.author, d.body) \
       FROM unnest($1::bigint[], $2::text[]) AS d(id, body) \
       JOIN entries e ON e.id = d.id \
     ON CONFLICT (entry_id) DO UPDATE SET title = excluded.title, author = excluded.author, \
        body = excluded.body, doc = excluded.doc";

/// Index new entries (rows the index does not have).
pub(crate) async fn insert_new(
    conn: &mut PgConnection,
    docs: &[NewDoc<'_>],
) -> Result<(), sqlx::Error> {
    if docs.is_empty() {
        return Ok(());
    }
    let feeds: Vec<i64> = docs.iter().map(|d| d.feed).collect();
    let keys: Vec<&str> = docs.iter().map(|d| d.key).collect();
    let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
    sqlx::query(BY_KEY)
        .bind(&feeds)
        .bind(&keys)
        .bind(&bodies)
        .execute(conn)
        .await?;
    Ok(())
}

/// Index stored entries (replacing the rows of those indexed already;
/// `replace` is SQLite's distinction, an upsert here either way).
pub(crate) async fn insert(
    conn: &mut PgConnection,
    docs: &[Doc],
    _replace: bool,
) -> Result<(), sqlx::Error> {
    if docs.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
    let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
    sqlx::query(BY_ID)
        .bind(&ids)
        .bind(&bodies)
        .execute(conn)
        .await?;
    Ok(())
}

/// Index the entries stored before the index existed, once (recorded in
/// `settings`); later opens only read the setting.
pub(crate) async fn backfill(writer: &PgPool) -> StoreResult<u64> {
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(BACKFILLED)
        .fetch_optional(writer)
        .await?;
    if done.is_some() {
        return Ok(0);
    }
    let mut indexed = 0u64;
    let mut after = 0i64;
    loop {
        // One transaction per chunk: other writers get their turn between.
        let mut tx = begin_write(writer).await?;
        type Row = (i64, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.id, e.content_html, e.summary_html FROM entries e \
              WHERE e.id > $1 AND NOT EXISTS (SELECT 1 FROM entries_search x WHERE x.entry_id = e.id) \
              ORDER BY e.id LIMIT $2",
        )
        .bind(after)
        .bind(BACKFILL_CHUNK)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, 'yes') ON CONFLICT (key) DO NOTHING",
            )
            .bind(BACKFILLED)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            break;
        };
        after = last.0;
        let docs: Vec<Doc> = rows
            .iter()
            .map(|(id, content, summary)| Doc {
                id: *id,
                body: body_of(content.as_deref(), summary.as_deref()),
            })
            .collect();
        insert(&mut tx, &docs, false).await?;
        tx.commit().await?;
        indexed += docs.len() as u64;
    }
    if indexed > 0 {
        tracing::info!(
            entries = indexed,
            "search index filled for entries stored before it"
        );
    }
    Ok(indexed)
}
