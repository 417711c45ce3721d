//! The full-text index `entries_fts` (rowid = entry id): written with every
//! entry insert and update, in the caller's transaction (deletions are a
//! trigger of the schema), and filled once for entries stored before it
//! existed.

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

/// Index rows from a JSON array of `[feed id, key, body]`: the entry's id,
/// title and author, one lookup in the `(feed_id, key)` index each.
const BY_KEY: &str = "SELECT e.id, e.title, e.author, d.value ->> 2 \
                        FROM json_each(?) d CROSS JOIN entries e \
                       WHERE e.feed_id = d.value ->> 0 AND e.key = d.value ->> 1";

/// Index rows from a JSON array of `[entry id, body]`.
const BY_ID: &str = "SELECT e.id, e.title, e.author, d.value ->> 1 \
                       FROM json_each(?) d CROSS JOIN entries e \
                      WHERE e.id = d.value ->> 0";

/// Index new entries (rows the index does not have).
pub(crate) async fn insert_new(
    conn: &mut PgConnection,
    docs: &[NewDoc<'_>],
) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, &str, &str)> = docs
        .iter()
        .map(|d| (d.feed, d.key, d.body.as_str()))
        .collect();
    write(conn, "INSERT", BY_KEY, &rows).await
}

/// Index stored entries; `replace`: they may be indexed already (`OR
/// REPLACE` drops a row's old terms first).
pub(crate) async fn insert(
    conn: &mut PgConnection,
    docs: &[Doc],
    replace: bool,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, &str)> = docs.iter().map(|d| (d.id, d.body.as_str())).collect();
    let verb = if replace {
        "INSERT OR REPLACE"
    } else {
        "INSERT"
    };
    write(conn, verb, BY_ID, &rows).await
}

/// One statement for all of `rows`, whatever their number: they go in as
/// one JSON array. FTS5 writes its pending terms to disk at the start of
/// every later statement of the transaction (the statement's savepoint),
/// so a statement per chunk of rows made a small index segment per chunk,
/// to be merged again later.
async fn write<T: serde::Serialize>(
    conn: &mut PgConnection,
    verb: &str,
    select: &str,
    rows: &[T],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&format!(
        "{verb} INTO entries_fts (rowid, title, author, body) {select}"
    ))
    .bind(json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Index the entries stored before the index existed, once (recorded in
/// `settings`); later opens only read the setting.
pub(crate) async fn backfill(writer: &PgPool) -> StoreResult<u64> {
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
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
              WHERE e.id > ? AND NOT EXISTS (SELECT 1 FROM entries_fts x WHERE x.rowid = e.id) \
              ORDER BY e.id LIMIT ?",
        )
        .bind(after)
        .bind(BACKFILL_CHUNK)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES (?, 'yes') ON CONFLICT (key) DO NOTHING",
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
