//! The writes that go with storing a fetch but need not be done inside its
//! savepoint: its search index rows, its fetch log row, its feed's entry
//! count, and the release of its fetch claim (`crate::lease`). Done at
//! once, or held by the write queue and done for the whole batch by
//! [`Later::flush`], still in the batch's transaction (so the index and the
//! counts are never out of step with `entries`).
//!
//! Held, a batch makes a handful of statements instead of a handful per
//! outcome (on SQLite this also keeps FTS5 from writing an index segment
//! per savepoint; here it saves round trips).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tributary_model::FeedId;

use crate::postgres::fetch_log::{self, Outcome};
use crate::postgres::fts::{self, Doc, NewDoc};
use crate::postgres::lease;

/// Writes of one or more stored fetches (see the module docs).
pub(crate) struct Later<'a> {
    held: Option<Held<'a>>,
}

#[derive(Default)]
struct Held<'a> {
    new: Vec<NewDoc<'a>>,
    changed: Vec<Doc>,
    fetches: Vec<(FeedId, DateTime<Utc>, Outcome)>,
    /// Feed → entries inserted.
    added: BTreeMap<i64, i64>,
}

impl<'a> Later<'a> {
    /// Every write is done at once.
    pub(crate) fn now() -> Later<'a> {
        Later { held: None }
    }

    /// Writes are held until [`Later::flush`].
    pub(crate) fn held() -> Later<'a> {
        Later {
            held: Some(Held::default()),
        }
    }

    /// `entries` new rows of `feed`, stored; `docs` their index text.
    pub(crate) async fn inserted(
        &mut self,
        conn: &mut PgConnection,
        feed: FeedId,
        entries: i64,
        docs: Vec<NewDoc<'a>>,
    ) -> Result<(), sqlx::Error> {
        match &mut self.held {
            Some(held) => {
                held.new.extend(docs);
                *held.added.entry(feed.0).or_default() += entries;
                Ok(())
            }
            None => {
                fts::insert_new(&mut *conn, &docs).await?;
                add_counts(conn, &[(feed.0, entries)]).await
            }
        }
    }

    /// An entry was overwritten; `doc` is its new index text.
    pub(crate) async fn changed(
        &mut self,
        conn: &mut PgConnection,
        doc: Doc,
    ) -> Result<(), sqlx::Error> {
        match &mut self.held {
            Some(held) => {
                held.changed.push(doc);
                Ok(())
            }
            None => fts::insert(conn, std::slice::from_ref(&doc), true).await,
        }
    }

    /// `feed` was fetched at `at`.
    pub(crate) async fn fetched(
        &mut self,
        conn: &mut PgConnection,
        feed: FeedId,
        at: DateTime<Utc>,
        outcome: Outcome,
    ) -> Result<(), sqlx::Error> {
        match &mut self.held {
            Some(held) => {
                held.fetches.push((feed, at, outcome));
                Ok(())
            }
            None => {
                fetch_log::append_many(&mut *conn, &[(feed, at, outcome)]).await?;
                lease::release_many(conn, &[feed]).await
            }
        }
    }

    /// Add the writes held by `other` (an outcome of the batch, stored) to these.
    pub(crate) fn absorb(&mut self, other: Later<'a>) {
        if let (Some(mine), Some(theirs)) = (&mut self.held, other.held) {
            mine.new.extend(theirs.new);
            mine.changed.extend(theirs.changed);
            mine.fetches.extend(theirs.fetches);
            for (feed, n) in theirs.added {
                *mine.added.entry(feed).or_default() += n;
            }
        }
    }

    /// Do the held writes. The index last, so its rows are written out once,
    /// at the commit (a later statement would write them out at its start);
    /// new rows before updated ones: an entry inserted and then updated by a
    /// later fetch of the same batch ends with its update.
    pub(crate) async fn flush(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let Some(held) = self.held else {
            return Ok(());
        };
        let added: Vec<(i64, i64)> = held.added.into_iter().collect();
        add_counts(&mut *conn, &added).await?;
        fetch_log::append_many(&mut *conn, &held.fetches).await?;
        let fetched: Vec<FeedId> = held.fetches.iter().map(|(feed, _, _)| *feed).collect();
        lease::release_many(&mut *conn, &fetched).await?;
        fts::insert_new(&mut *conn, &held.new).await?;
        fts::insert(conn, &held.changed, true).await
    }
}

/// Entry counts from two arrays, feed ids and entries added; the feeds
/// are found by id.
const ADD_COUNTS: &str = "UPDATE feeds SET entry_count = feeds.entry_count + d.added \
      FROM unnest($1::bigint[], $2::bigint[]) AS d(id, added) \
     WHERE feeds.id = d.id";

/// Add to the stored entry count of each feed (feed id, entries added).
async fn add_counts(conn: &mut PgConnection, added: &[(i64, i64)]) -> Result<(), sqlx::Error> {
    let (ids, counts): (Vec<i64>, Vec<i64>) =
        added.iter().filter(|(_, n)| *n != 0).copied().unzip();
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(ADD_COUNTS)
        .bind(ids)
        .bind(counts)
        .execute(conn)
        .await?;
    Ok(())
}
