//! The PostgreSQL backend: connection set-up and every SQL statement.
//!
//! The modules mirror `crate::sqlite` function for function (same names,
//! same signatures, `PgPool` for `SqlitePool`); only the SQL differs. The
//! schema mirrors SQLite's too (see `migrations/postgres`): text timestamps,
//! BIGINT integers, BOOLEAN flags and "C" collation, so the two engines
//! order and compare alike.
//!
//! PostgreSQL takes concurrent writers itself, so reads and writes share one
//! pool (`writer` is a clone of `pool`). Write transactions that must not
//! interleave with another process's (claims of fetch work) lock their rows
//! with `FOR UPDATE SKIP LOCKED`.

/// A CTE `cat_path(id, path)` with the full path (`Net/Vendors`) of every
/// category of the user bound as `$1`, built by walking down from the roots.
macro_rules! with_category_paths {
    () => {
        "WITH RECURSIVE cat_path(id, path) AS ( \
            SELECT id, name FROM categories WHERE user_id = $1 AND parent_id IS NULL \
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
pub(crate) mod columns;
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

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::{StoreError, StoreResult};

/// Connections per process. Several processes share one server, whose
/// default `max_connections` is 100: ten web or fetch processes fit.
const POOL_SIZE: u32 = 8;

/// How long a query waits for a free connection (or for a new one to open).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the first connection may take at start-up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with its password (if any) replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // userinfo ends at the last '@' before the path.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                None => userinfo.to_owned(),
            };
            format!("{scheme}://{user}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

/// An open PostgreSQL database: one pool for reads and writes, and the
/// queue that groups fetch outcomes into transactions.
#[derive(Clone, Debug)]
pub(crate) struct Db {
    pub pool: PgPool,
    pub writer: PgPool,
    pub queue: batch::WriteQueue,
}

impl Db {
    /// Connect to `url` and run the migrations.
    pub(crate) async fn open(url: &str) -> StoreResult<Db> {
        let shown = redact(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl {
                url: shown.clone(),
                reason: match e {
                    sqlx::Error::Configuration(inner) => inner.to_string(),
                    other => other.to_string(),
                },
            })?
            // The store's statements are short index walks; the JIT's
            // compile time (tens of milliseconds for the unread-count
            // expression, see pages.rs) is never won back.
            .options([("jit", "off")]);
        // One connection first: a refused or unknown server fails at once
        // (the pool would retry until its acquire timeout).
        let unreachable = |source| StoreError::Unreachable {
            server: shown.clone(),
            source,
        };
        let first = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| unreachable(sqlx::Error::PoolTimedOut))?
            .map_err(unreachable)?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        first.close().await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        fts::backfill(&pool).await?;
        tracing::debug!(server = %shown, "database opened and migrated");
        let queue = batch::WriteQueue::start(pool.clone());
        Ok(Db {
            writer: pool.clone(),
            pool,
            queue,
        })
    }
}

/// Start a write transaction.
pub(crate) async fn begin_write(pool: &PgPool) -> StoreResult<Transaction<'static, Postgres>> {
    Ok(pool.begin().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db.example:5432/trib"),
            "postgres://app:***@db.example:5432/trib"
        );
        assert_eq!(
            redact("postgresql://app:p%40ss@[::1]:5433/t?sslmode=disable"),
            "postgresql://app:***@[::1]:5433/t?sslmode=disable"
        );
        assert_eq!(redact("postgres://app@db/trib"), "postgres://app@db/trib");
        assert_eq!(redact("postgres://db/trib"), "postgres://db/trib");
    }

    #[test]
    fn only_postgres_schemes_are_postgres() {
        assert!(is_url("postgres://x/y"));
        assert!(is_url("postgresql://x/y"));
        assert!(!is_url("sqlite://x"));
        assert!(!is_url("postgres:x"));
    }
}
