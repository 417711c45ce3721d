//! The full-text index `entries_search` (one row per entry: its text and
//! its weighted `tsvector`, see migrations/postgres/20261204000002_search.sql):
//! written with every entry insert and update, in the caller's transaction
//! (deletions cascade), and filled once for entries stored before it existed.
//!
//! The words are cut here, the way SQLite's unicode61 tokenizer cuts them
//! (runs of letters and digits, lower-cased), so that both engines find
//! the same entries for the same words whatever the server's locale;
//! PostgreSQL only removes their diacritics and places them.

use std::ops::Range;

use sqlx::{PgConnection, PgPool};
use tributary_model::{FeedId, NewEntry};

use crate::postgres::begin_write;
use crate::text::html_to_text;
use crate::StoreResult;

/// Setting recording that entries stored before the index existed are in it.
const BACKFILLED: &str = "search.backfilled";

/// Entries indexed per statement when filling the index.
const BACKFILL_CHUNK: i64 = 500;

/// Most bytes of words given for one field: a tsvector holds at most 1 MB
/// (lexemes, positions and their headers), so the words of a body beyond
/// this are not indexed.
const MAX_WORD_BYTES: usize = 900_000;

/// What separates the words given to `tributary_search_doc`: no word
/// holds it, nor does what unaccent makes of a word.
const WORD_SEPARATOR: char = '\u{1}';

/// Whether `c` is part of a word: letters and digits, as FTS5's unicode61
/// tokenizer (categories L*, N* and Co) cuts them; everything else
/// separates words.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// The byte ranges of the words of `text`, in order: the index gives the
/// n-th word of a field the n-th position of the field.
pub(crate) fn word_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push(s..text.len());
    }
    spans
}

/// The words of `text`, lower-cased and separated by U+0001, as
/// `tributary_search_doc` takes them (it removes the diacritics).
pub(crate) fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for span in word_spans(text) {
        let word = text[span].to_lowercase();
        if out.len() + word.len() + 1 > MAX_WORD_BYTES {
            break;
        }
        if !out.is_empty() {
            out.push(WORD_SEPARATOR);
        }
        out.push_str(&word);
    }
    out
}

/// A new entry's indexed text; the entry is found by its feed and key (its
/// id is not known yet).
pub(crate) struct NewDoc<'a> {
    pub feed: i64,
    pub key: &'a str,
    pub title: &'a str,
    pub author: Option<&'a str>,
    pub body: String,
}

impl<'a> NewDoc<'a> {
    /// The text of an incoming entry of `feed`.
    pub(crate) fn of(feed: FeedId, e: &'a NewEntry) -> NewDoc<'a> {
        NewDoc {
            feed: feed.0,
            key: &e.key,
            title: &e.title,
            author: e.author.as_deref(),
            body: body_of(e.content_html.as_deref(), e.summary_html.as_deref()),
        }
    }
}

/// A stored entry's indexed text, by entry id.
pub(crate) struct Doc {
    pub id: i64,
    pub title: String,
    pub author: Option<String>,
    pub body: String,
}

impl Doc {
    /// The text of stored entry `id`, now carrying `e`.
    pub(crate) fn of(id: i64, e: &NewEntry) -> Doc {
        Doc {
            id,
            title: e.title.clone(),
            author: e.author.clone(),
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

/// What every index write sets, from `d(title, author, body, tw, aw, bw)`:
/// the text, and the tsvector of its words.
const SET: &str = "ON CONFLICT (entry_id) DO UPDATE SET title = excluded.title, \
        author = excluded.author, body = excluded.body, doc = excluded.doc";

/// Index rows for new entries, found by `(feed_id, key)`: the arrays are
/// bound whole (one statement for any number of rows).
fn by_key() -> String {
    format!(
        "INSERT INTO entries_search (entry_id, title, author, body, doc) \
         SELECT e.id, d.title, d.author, d.body, tributary_search_doc(d.tw, d.aw, d.bw) \
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
                       $6::text[], $7::text[], $8::text[]) \
                AS d(feed_id, key, title, author, body, tw, aw, bw) \
           JOIN entries e ON e.feed_id = d.feed_id AND e.key = d.key {SET}"
    )
}

/// Index rows for stored entries, by id.
fn by_id() -> String {
    format!(
        "INSERT INTO entries_search (entry_id, title, author, body, doc) \
         SELECT e.id, d.title, d.author, d.body, tributary_search_doc(d.tw, d.aw, d.bw) \
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], \
                       $5::text[], $6::text[], $7::text[]) \
                AS d(id, title, author, body, tw, aw, bw) \
           JOIN entries e ON e.id = d.id {SET}"
    )
}

/// The last of the items with the same key, in their order: one upsert
/// cannot change a row twice.
fn last_of_each<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<&T> = items.iter().rev().filter(|d| seen.insert(key(d))).collect();
    kept.reverse();
    kept
}

/// Index new entries (rows the index does not have).
pub(crate) async fn insert_new(
    conn: &mut PgConnection,
    docs: &[NewDoc<'_>],
) -> Result<(), sqlx::Error> {
    if docs.is_empty() {
        return Ok(());
    }
    let docs = last_of_each(docs, |d| (d.feed, d.key));
    let feeds: Vec<i64> = docs.iter().map(|d| d.feed).collect();
    let keys: Vec<&str> = docs.iter().map(|d| d.key).collect();
    let titles: Vec<&str> = docs.iter().map(|d| d.title).collect();
    let authors: Vec<Option<&str>> = docs.iter().map(|d| d.author).collect();
    let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
    let (tw, aw, bw) = word_arrays(&titles, &authors, &bodies);
    sqlx::query(&by_key())
        .bind(&feeds)
        .bind(&keys)
        .bind(&titles)
        .bind(&authors)
        .bind(&bodies)
        .bind(&tw)
        .bind(&aw)
        .bind(&bw)
        .execute(conn)
        .await?;
    Ok(())
}

/// The words of each title, author and body.
fn word_arrays(
    titles: &[&str],
    authors: &[Option<&str>],
    bodies: &[&str],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        titles.iter().map(|t| words(t)).collect(),
        authors.iter().map(|a| words(a.unwrap_or(""))).collect(),
        bodies.iter().map(|b| words(b)).collect(),
    )
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
    let docs = last_of_each(docs, |d| d.id);
    let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
    let titles: Vec<&str> = docs.iter().map(|d| d.title.as_str()).collect();
    let authors: Vec<Option<&str>> = docs.iter().map(|d| d.author.as_deref()).collect();
    let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
    let (tw, aw, bw) = word_arrays(&titles, &authors, &bodies);
    sqlx::query(&by_id())
        .bind(&ids)
        .bind(&titles)
        .bind(&authors)
        .bind(&bodies)
        .bind(&tw)
        .bind(&aw)
        .bind(&bw)
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
        type Row = (i64, String, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.id, e.title, e.author, e.content_html, e.summary_html FROM entries e \
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
            .map(|(id, title, author, content, summary)| Doc {
                id: *id,
                title: title.clone(),
                author: author.clone(),
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
