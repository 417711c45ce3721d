//! A fresh, empty database for a test, on the engine the test run asks for.
//!
//! Tests call [`scratch`] instead of naming `sqlite://…` themselves, so one
//! test suite runs against both engines: by default each test gets an
//! SQLite file in a temporary directory; with `TRIBUTARY_TEST_POSTGRES` set
//! to a server URL (`postgres://USER@127.0.0.1:PORT/postgres`, as
//! `scripts/postgres.sh` prints it) each test gets a database of its own,
//! created on that server and dropped when the guard is.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::PgPoolOptions;
use sqlx::Executor;

use crate::{Store, StoreError, StoreResult};

/// The variable naming the PostgreSQL server tests should use.
pub const POSTGRES_ENV: &str = "TRIBUTARY_TEST_POSTGRES";

/// Keeps a scratch database alive; dropping it removes the database.
#[derive(Debug)]
pub struct Scratch {
    url: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server: String, name: String },
}

impl Scratch {
    /// The database URL to give to [`Store::open`] (or `--database`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match self.kind {
            Kind::Sqlite(_) => "sqlite",
            Kind::Postgres { .. } => "postgres",
        }
    }

    /// Open the scratch database.
    pub async fn open(&self) -> StoreResult<Store> {
        Store::open(&self.url).await
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Kind::Postgres { server, name } = &self.kind {
            // Best effort, on a thread of its own: Drop cannot await, and the
            // test's runtime may be shutting down.
            let (server, name) = (server.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(pool) = PgPoolOptions::new()
                            .max_connections(1)
                            .connect(&server)
                            .await
                        {
                            let _ = pool
                                .execute(
                                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
                                        .as_str(),
                                )
                                .await;
                            pool.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// A fresh empty database (not yet migrated: [`Scratch::open`] does that).
pub async fn scratch() -> StoreResult<Scratch> {
    match std::env::var(POSTGRES_ENV) {
        Ok(server) if !server.is_empty() => postgres(&server).await,
        _ => sqlite(),
    }
}

fn sqlite() -> StoreResult<Scratch> {
    let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
        path: std::env::temp_dir().display().to_string(),
        source,
    })?;
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    Ok(Scratch {
        url,
        kind: Kind::Sqlite(dir),
    })
}

async fn postgres(server: &str) -> StoreResult<Scratch> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        random_suffix()
    );
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(server)
        .await
        .map_err(|source| StoreError::Unreachable {
            server: crate::postgres::redact(server),
            source,
        })?;
    pool.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    pool.close().await;
    // Same server and credentials, other database.
    let base = match server.rfind('/') {
        Some(i) if i > server.find("://").map_or(0, |j| j + 2) => &server[..i],
        _ => server,
    };
    let query = server.find('?').map_or("", |i| &server[i..]);
    let url = format!("{base}/{name}{query}");
    Ok(Scratch {
        url,
        kind: Kind::Postgres {
            server: server.to_owned(),
            name,
        },
    })
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 4];
    // Uniqueness comes from the pid and the counter; this only keeps two
    // runs that reuse a pid apart.
    let _ = getrandom::getrandom(&mut bytes);
    hex::encode(bytes)
}
