//! The full-text index `entries_fts` (rowid = entry id): written with every
//! entry insert and update, in the caller's transaction (deletions are a
//! trigger of the schema), and filled once for entries stored before it
//! existed.

use sqlx::{SqliteConnection, SqlitePool};
use tributary_model::NewEntry;

use crate::sqlite::begin_write;
use crate::text::html_to_text;
use crate::StoreResult;

/// Setting recording that entries stored before the index existed are in it.
const BACKFILLED: &str = "search.backfilled";

/// Entries indexed per statement when filling the index.
const BACKFILL_CHUNK: i64 = 500;

/// Rows per multi-row INSERT (4 parameters each).
const INSERT_CHUNK: usize = 64;

/// One entry's indexed text.
pub(crate) struct Doc<'a> {
    pub id: i64,
    pub title: &'a str,
    pub author: Option<&'a str>,
    pub body: String,
}

impl<'a> Doc<'a> {
    /// The text of an incoming entry stored under `id`.
    pub(crate) fn of_new(id: i64, e: &'a NewEntry) -> Doc<'a> {
        Doc {
            id,
            title: &e.title,
            author: e.author.as_deref(),
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

/// Index new entries.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    docs: &[Doc<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in docs.chunks(INSERT_CHUNK) {
        let mut sql = String::from("INSERT INTO entries_fts (rowid, title, author, body) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?,?,?)");
        }
        let mut query = sqlx::query(&sql);
        for d in chunk {
            query = query
                .bind(d.id)
                .bind(d.title)
                .bind(d.author)
                .bind(d.body.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Re-index an updated entry (also when it was not indexed yet).
pub(crate) async fn replace(conn: &mut SqliteConnection, doc: &Doc<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM entries_fts WHERE rowid = ?")
        .bind(doc.id)
        .execute(&mut *conn)
        .await?;
    insert(conn, std::slice::from_ref(doc)).await
}

/// Index the entries stored before the index existed, once (recorded in
/// `settings`); later opens only read the setting.
pub(crate) async fn backfill(writer: &SqlitePool) -> StoreResult<u64> {
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
        type Row = (i64, String, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.id, e.title, e.author, e.content_html, e.summary_html FROM entries e \
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
        let docs: Vec<Doc<'_>> = rows
            .iter()
            .map(|(id, title, author, content, summary)| Doc {
                id: *id,
                title,
                author: author.as_deref(),
                body: body_of(content.as_deref(), summary.as_deref()),
            })
            .collect();
        insert(&mut tx, &docs).await?;
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
