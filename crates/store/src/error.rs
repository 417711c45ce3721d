//! The one error type at the store's boundary.

use tributary_model::FeedId;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The named feed, subscription, entry or user does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The name (user, category) is already taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A value given to the store is not acceptable (the message says why).
    #[error("{0}")]
    Invalid(String),
    /// The database URL is not one this build can open.
    #[error("invalid database URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database server did not answer, or refused the connection.
    #[error("cannot connect to the database at {server}: {source}")]
    Unreachable {
        /// Where the server was looked for (`postgres://tributary@db:5432/tributary`),
        /// without the password.
        server: String,
        /// What the connection attempt said.
        #[source]
        source: sqlx::Error,
    },
    /// The database was migrated by a newer Tributary than this one.
    #[error(
        "the database was created or upgraded by a newer Tributary (its schema has \
         migration {version}, which this version does not know); upgrade Tributary \
         or point it at another database"
    )]
    NewerSchema {
        /// The newest migration applied to the database.
        version: i64,
    },
    /// The directory of the database file could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// Why it could not be created.
        #[source]
        source: std::io::Error,
    },
    /// Storing one entry of a fetch failed (the whole fetch was rolled back).
    #[error("storing entry {key:?} of feed {feed} failed: {source}")]
    Entry {
        /// The feed being stored.
        feed: FeedId,
        /// The entry's identity key.
        key: String,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// The disk (file system) holding the database is full: the write was
    /// not stored, and nothing stored before is lost. Free space on it and
    /// the next write goes in.
    #[error(
        "the disk holding the database is full: this write was not stored (what was \
         stored before is intact); free space on that file system ({0})"
    )]
    Full(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    /// A migration the database has and this build does not know means a
    /// newer Tributary migrated it: [`StoreError::NewerSchema`].
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        match e {
            sqlx::migrate::MigrateError::VersionMissing(version) => {
                StoreError::NewerSchema { version }
            }
            other => StoreError::Migrate(other),
        }
    }
}

/// Whether `e` says the disk holding the database is full: SQLite's
/// `SQLITE_FULL` (13), PostgreSQL's `disk_full` (53100).
pub(crate) fn is_disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => matches!(db.code().as_deref(), Some("13" | "53100")),
        _ => false,
    }
}

impl StoreError {
    /// Storing entry `key` of `feed` failed with `source`; a full disk is
    /// [`StoreError::Full`], whichever entry met it.
    pub(crate) fn entry(feed: FeedId, key: &str, source: sqlx::Error) -> StoreError {
        if is_disk_full(&source) {
            return StoreError::from(source);
        }
        StoreError::Entry {
            feed,
            key: key.to_owned(),
            source,
        }
    }

    /// Whether this is [`StoreError::Full`]: the disk holding the database is full.
    pub fn is_full(&self) -> bool {
        matches!(self, StoreError::Full(_))
    }
}

impl From<sqlx::Error> for StoreError {
    /// Text PostgreSQL cannot hold (a NUL character) is bad input, not a
    /// database failure: [`StoreError::Invalid`]. A full disk is
    /// [`StoreError::Full`].
    fn from(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if is_disk_full(&e) {
                return StoreError::Full(db.message().to_owned());
            }
            // 22021 character_not_in_repertoire, 22P05 untranslatable_character
            if matches!(db.code().as_deref(), Some("22021" | "22P05")) {
                return StoreError::Invalid(format!(
                    "text with a character the database cannot store: {}",
                    db.message()
                ));
            }
        }
        StoreError::Db(e)
    }
}

/// Result of every store operation.
pub type StoreResult<T> = Result<T, StoreError>;
