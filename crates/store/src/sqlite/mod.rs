//! The SQLite backend: connection set-up and every SQL statement.
//!
//! Write operations run in `BEGIN IMMEDIATE` transactions: they take the
//! write lock up front (waiting up to the busy timeout), instead of starting
//! as readers and failing with `SQLITE_BUSY` when another connection wrote
//! in between.

/// A CTE `cat_path(id, path)` with the full path (`Net/Vendors`) of every
/// category of the user bound as `?1`, built by walking down from the roots.
macro_rules! with_category_paths {
    () => {
        "WITH RECURSIVE cat_path(id, path) AS ( \
            SELECT id, name FROM categories WHERE user_id = ?1 AND parent_id IS NULL \
            UNION ALL \
            SELECT c.id, p.path || '/' || c.name \
              FROM categories c JOIN cat_path p ON c.parent_id = p.id) "
    };
}

pub(crate) mod accounts;
pub(crate) mod activity;
pub(crate) mod api;
pub(crate) mod args;
pub(crate) mod articles;
pub(crate) mod batch;
pub(crate) mod categories;
pub(crate) mod entries;
pub(crate) mod feeds;
pub(crate) mod fetch_log;
pub(crate) mod fts;
pub(crate) mod later;
pub(crate) mod lease;
pub(crate) mod mail;
pub(crate) mod pages;
pub(crate) mod river;
pub(crate) mod rules;
pub(crate) mod search;
pub(crate) mod subscription_views;
pub(crate) mod subscriptions;
pub(crate) mod transfer;
pub(crate) mod webhooks;
pub(crate) mod websub;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::{StoreError, StoreResult};

/// An open SQLite database: the read pool, the one-connection write pool,
/// and the queue that groups fetch outcomes into transactions.
#[derive(Clone, Debug)]
pub(crate) struct Db {
    pub pool: SqlitePool,
    pub writer: SqlitePool,
    pub queue: batch::WriteQueue,
}

impl Db {
    /// Open (creating if missing) the database at `url` and run migrations.
    pub(crate) async fn open(url: &str) -> StoreResult<Db> {
        let (pool, writer) = open(url).await?;
        let queue = batch::WriteQueue::start(writer.clone());
        Ok(Db {
            pool,
            writer,
            queue,
        })
    }
}

/// How long a connection waits for another one's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections to a database file: WAL lets readers run beside the one writer.
const FILE_POOL_SIZE: u32 = 4;

/// How long a write waits for its turn on the writer connection.
const WRITE_QUEUE_TIMEOUT: Duration = Duration::from_secs(120);

/// The statement that opens a write transaction.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Where a `sqlite:` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Memory,
    File(PathBuf),
}

/// Parse `sqlite::memory:`, `sqlite://PATH` or `sqlite:PATH`.
pub(crate) fn parse_url(url: &str) -> StoreResult<Location> {
    let bad = |reason: &str| StoreError::BadUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| bad("expected sqlite://PATH, sqlite:PATH or sqlite::memory:"))?;
    if rest == ":memory:" {
        return Ok(Location::Memory);
    }
    if rest.is_empty() {
        return Err(bad("the database file path is empty"));
    }
    // sqlx would read these as URI parameters; we take a plain path so the
    // directory can be created, and the settings are ours to choose.
    if rest.contains('?') {
        return Err(bad(
            "query parameters are not supported; give a plain file path",
        ));
    }
    Ok(Location::File(PathBuf::from(rest)))
}

/// Open (creating if missing) the database and run the migrations. Returns
/// the pool for reads and the one-connection pool for writes (the same pool
/// for an in-memory database, which has only one connection).
pub(crate) async fn open(url: &str) -> StoreResult<(SqlitePool, SqlitePool)> {
    let location = parse_url(url)?;
    let pools = match &location {
        Location::Memory => {
            // An in-memory database lives as long as its connection: one
            // connection that never expires, so every query sees the same DB.
            let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .min_connections(1)
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            (pool.clone(), pool)
        }
        Location::File(path) => {
            create_parent_dir(path)?;
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT);
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .before_acquire(|conn, _| Box::pin(async move { Ok(usable(conn)) }))
                // Queued writers wait for the connection, not for the file lock.
                .acquire_timeout(WRITE_QUEUE_TIMEOUT)
                .connect_with(options.clone())
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
            let readers = SqlitePoolOptions::new()
                .max_connections(FILE_POOL_SIZE)
                .before_acquire(|conn, _| Box::pin(async move { Ok(usable(conn)) }))
                .connect_with(options)
                .await?;
            (readers, writer)
        }
    };
    fts::backfill(&pools.1).await?;
    tracing::debug!(?location, "database opened and migrated");
    Ok(pools)
}

/// Whether a pooled connection may be handed out again: not while sqlx
/// still counts it inside a transaction. That happens when SQLite rolled a
/// transaction back by itself (it may, on a full disk) and the `ROLLBACK`
/// sqlx sent after it failed: every later `BEGIN` on the connection would
/// fail ("attempted to call begin_with at non-zero transaction depth"), so
/// with one writer connection no write would go in again. Such a
/// connection is closed and the pool opens a new one. (The pool's ping
/// before this check lets a rollback still on its way finish first.)
fn usable(conn: &mut sqlx::SqliteConnection) -> bool {
    use sqlx::Connection;
    let ok = !conn.is_in_transaction();
    if !ok {
        tracing::warn!(
            "a database connection was left inside a transaction that could not be rolled \
             back (SQLite had rolled it back itself); opening a new connection"
        );
    }
    ok
}

fn create_parent_dir(path: &Path) -> StoreResult<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// Start a write transaction.
pub(crate) async fn begin_write(pool: &SqlitePool) -> StoreResult<Transaction<'static, Sqlite>> {
    Ok(pool.begin_with(BEGIN_WRITE).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse_url("sqlite::memory:").unwrap(), Location::Memory);
        assert_eq!(
            parse_url("sqlite:///var/lib/t.db").unwrap(),
            Location::File(PathBuf::from("/var/lib/t.db"))
        );
        assert_eq!(
            parse_url("sqlite://data/t.db").unwrap(),
            Location::File(PathBuf::from("data/t.db"))
        );
        assert_eq!(
            parse_url("sqlite:t.db").unwrap(),
            Location::File(PathBuf::from("t.db"))
        );
    }

    #[test]
    fn rejects_other_forms_with_a_reason() {
        for url in ["", "t.db", "mysql://x", "sqlite://", "sqlite:x.db?mode=ro"] {
            match parse_url(url) {
                Err(StoreError::BadUrl { url: u, reason }) => {
                    assert_eq!(u, url);
                    assert!(!reason.is_empty());
                }
                other => panic!("{url:?} gave {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn in_memory_database_is_shared_by_all_queries() {
        let (pool, _) = open("sqlite::memory:").await.unwrap();
        sqlx::query("INSERT INTO users (username, created_at) VALUES ('a', 'x')")
            .execute(&pool)
            .await
            .unwrap();
        // Several acquisitions in a row must all see the row.
        for _ in 0..3 {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
    }

    /// SQLite rolls a transaction back by itself when the database is
    /// full (here: `max_page_count`); the writer connection must take
    /// writes again afterwards, and the error must be `StoreError::Full`.
    #[tokio::test]
    async fn a_full_database_does_not_spoil_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let (_, writer) = open(&url).await.unwrap();
        // No page more than the file has now (a per-connection limit).
        sqlx::query("PRAGMA max_page_count = 1")
            .execute(&writer)
            .await
            .unwrap();
        let mut tx = begin_write(&writer).await.unwrap();
        let e = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('big', hex(randomblob(1000000)))",
        )
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)
        .unwrap_err();
        assert!(e.is_full(), "{e:?}");
        assert!(
            e.to_string().contains("disk holding the database is full"),
            "{e}"
        );
        drop(tx);
        // The same pool writes again (a fresh connection has no page limit).
        let mut tx = begin_write(&writer)
            .await
            .expect("BEGIN after a full database");
        sqlx::query("INSERT INTO settings (key, value) VALUES ('small', 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM settings WHERE key = 'small'")
            .fetch_one(&writer)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn file_database_uses_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/t.db");
        let (pool, _) = open(&format!("sqlite://{}", path.display())).await.unwrap();
        assert!(path.exists());
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
    }
}
