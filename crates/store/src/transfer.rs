//! Copying an installation from one database to another, of either engine
//! (`tributary migrate-db`): every table, verified by row counts and
//! checksums, resumable after an interruption.
//!
//! The two engines hold one schema shape (see `migrations/postgres`): the
//! same tables and columns, text timestamps, 64-bit integers, and flags
//! that are BOOLEAN on PostgreSQL and INTEGER 0/1 on SQLite. [`TABLES`]
//! lists what is copied, in foreign-key order; before anything is copied
//! both databases' columns are compared with it, so a migration that adds
//! a column this list does not know stops the copy instead of losing data.
//!
//! How a copy runs ([`migrate`]):
//! * both databases are opened with [`Store::open`], which migrates them
//!   (the target gets the schema; an older source is upgraded first);
//! * the target must be empty, or a partial copy of this very source: the
//!   setting [`MARKER`] (the source's location, never a password) is
//!   written to the target before the first row, and a non-empty target
//!   without it is refused unless `force`, which empties it first;
//! * each table is copied in primary-key order, in batches each inserted
//!   in one transaction, starting after the target's highest key: a run
//!   that was killed is continued by running it again;
//! * derived data is not copied but made again on the target: the search
//!   index (filled from the entries, as at an upgrade), and
//!   `subscriptions.read_count`, inserted as 0 and counted by the target's
//!   triggers as the reading states arrive. Transient rows are left out:
//!   per-host fetch tokens (`host_slots`) and fetch leases
//!   (`feeds.lease_owner`, `lease_until`, NULL on the target);
//! * PostgreSQL identity sequences are moved past the copied ids, so rows
//!   created later on the target do not collide;
//! * every table is verified: its rows on both sides, and a SHA-256 over a
//!   canonical text form of each row in key order (flags as 0/1, NULL
//!   distinct from ''). A copy that verifies is marked complete
//!   ([`COMPLETE`]); running it again only verifies.
//!
//! The source must not change during the copy (stop Tributary first):
//! rows changed after they were copied show as a checksum mismatch.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::{on_engine, postgres, sqlite, Store, StoreError, StoreResult};

/// The target's setting naming the source it is a copy of (its location,
/// see [`location`]); written before the first row is copied.
pub const MARKER: &str = "migrate-db.source";

/// The target's setting recording when its copy was verified complete.
pub const COMPLETE: &str = "migrate-db.complete";

/// Rows per batch unless told otherwise.
pub const DEFAULT_BATCH: usize = 1000;

/// How a column's values are typed (SQLite: declared type; PostgreSQL: column type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// INTEGER / BIGINT.
    Int,
    /// TEXT.
    Text,
    /// INTEGER 0/1 / BOOLEAN.
    Bool,
}

/// One copied column.
#[derive(Debug)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Kept by the target's triggers: inserted as 0, counted as the rows
    /// it counts are copied.
    pub counted: bool,
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
        counted: false,
    }
}
const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        counted: false,
    }
}
const fn flag(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bool,
        counted: false,
    }
}
const fn counted(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
        counted: true,
    }
}

/// One copied table.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// Every copied column; the first `key` of them are the primary key,
    /// the order of copying and checksums.
    pub columns: &'static [Column],
    pub key: usize,
    /// The key column `id` is an identity (PostgreSQL: a sequence to advance).
    pub identity: bool,
    /// Rows may share a key (no primary key; the key is the index that
    /// orders them): batches hold whole keys, and rows of one key are put
    /// in the order of their canonical form.
    pub repeats: bool,
    /// Only rows matching this condition (SQL common to both engines) are copied.
    pub filter: Option<&'static str>,
}

impl Table {
    pub(crate) fn key_columns(&self) -> &'static [Column] {
        &self.columns[..self.key]
    }

    /// `a, b, c`
    pub(crate) fn column_list(&self) -> String {
        names(self.columns)
    }

    /// `a, b` of the key.
    pub(crate) fn key_list(&self) -> String {
        names(self.key_columns())
    }
}

fn names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What is copied, parents before children.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns: &[
            int("id"),
            text("username"),
            text("created_at"),
            text("password_hash"),
            flag("is_admin"),
            text("output_token"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    // A category's parent is always older (lower id) than it: categories
    // are created parents first and never move.
    Table {
        name: "categories",
        columns: &[
            int("id"),
            int("user_id"),
            int("parent_id"),
            text("name"),
            text("created_at"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "feeds",
        columns: &[
            int("id"),
            text("url"),
            text("title"),
            text("site_url"),
            text("description"),
            text("language"),
            text("image_url"),
            text("status"),
            text("last_error"),
            text("last_error_code"),
            int("error_count"),
            text("etag"),
            text("last_modified"),
            text("last_fetched_at"),
            text("next_fetch_at"),
            text("created_at"),
            text("failing_since"),
            text("last_success_at"),
            text("next_fetch_reason"),
            text("status_note"),
            text("schedule_hints"),
            text("body_hash"),
            text("disabled_at"),
            // Written by the store with every insert (not a trigger): copied.
            int("entry_count"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "feed_previous_urls",
        columns: &[int("id"), int("feed_id"), text("url"), text("moved_at")],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "subscriptions",
        columns: &[
            int("user_id"),
            int("feed_id"),
            text("title_override"),
            int("category_id"),
            text("created_at"),
            int("min_interval_secs"),
            int("max_interval_secs"),
            flag("paused"),
            text("paused_at"),
            counted("read_count"),
            text("full_content"),
        ],
        key: 2,
        identity: false,
        repeats: false,
        filter: None,
    },
    Table {
        name: "entries",
        columns: &[
            int("id"),
            int("feed_id"),
            text("key"),
            text("guid"),
            text("url"),
            text("canonical_url"),
            text("title"),
            text("author"),
            text("content_html"),
            text("summary_html"),
            text("excerpt"),
            text("published"),
            flag("published_from_feed"),
            text("updated"),
            text("enclosures"),
            text("categories"),
            text("content_hash"),
            text("created_at"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "entry_tombstones",
        columns: &[
            int("feed_id"),
            text("key"),
            text("canonical_url"),
            text("deleted_at"),
        ],
        key: 2,
        identity: false,
        repeats: false,
        filter: None,
    },
    Table {
        name: "entry_states",
        columns: &[
            int("user_id"),
            int("entry_id"),
            flag("read"),
            flag("starred"),
            text("updated_at"),
            text("read_at"),
            int("feed_id"),
            flag("hidden"),
        ],
        key: 2,
        identity: false,
        repeats: false,
        filter: None,
    },
    Table {
        name: "websub_subscriptions",
        columns: &[
            int("feed_id"),
            text("hub_url"),
            text("topic_url"),
            text("callback_token"),
            text("secret"),
            text("state"),
            text("pending_mode"),
            int("lease_seconds"),
            text("expires_at"),
            text("requested_at"),
            text("verified_at"),
            text("last_push_at"),
            text("last_error"),
        ],
        key: 1,
        identity: false,
        repeats: false,
        filter: None,
    },
    Table {
        name: "api_tokens",
        columns: &[
            int("id"),
            int("user_id"),
            text("description"),
            text("secret_hash"),
            text("fever_key"),
            text("created_at"),
            text("last_used_at"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "sessions",
        columns: &[
            text("token_hash"),
            int("user_id"),
            text("csrf_token"),
            text("created_at"),
            text("expires_at"),
            int("api_token_id"),
        ],
        key: 1,
        identity: false,
        repeats: false,
        filter: None,
    },
    // Rules (issue 9) and the tags they gave entries.
    Table {
        name: "rules",
        columns: &[
            int("id"),
            int("user_id"),
            int("feed_id"),
            int("category_id"),
            text("action"),
            text("tag"),
            text("expression"),
            flag("enabled"),
            text("created_at"),
            int("match_count"),
            text("last_matched_at"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "entry_tags",
        columns: &[
            int("user_id"),
            int("entry_id"),
            text("tag"),
            text("created_at"),
        ],
        key: 3,
        identity: false,
        repeats: false,
        filter: None,
    },
    // Full article content (issue 9, docs/ARTICLES.md).
    Table {
        name: "article_sites",
        columns: &[
            text("host"),
            text("content_selector"),
            text("remove_selectors"),
            text("created_at"),
        ],
        key: 1,
        identity: false,
        repeats: false,
        filter: None,
    },
    Table {
        name: "entry_articles",
        columns: &[
            int("entry_id"),
            text("status"),
            text("url"),
            text("content_html"),
            text("fetched_at"),
            text("attempted_at"),
            int("attempts"),
            text("next_attempt_at"),
            text("last_error"),
            text("last_error_code"),
        ],
        key: 1,
        identity: false,
        repeats: false,
        filter: None,
    },
    // Not copied: the copy's own markers, and the note that the search
    // index was filled (derived: the target fills its own).
    Table {
        name: "settings",
        columns: &[text("key"), text("value")],
        key: 1,
        identity: false,
        repeats: false,
        filter: Some("key <> 'search.backfilled' AND substr(key, 1, 11) <> 'migrate-db.'"),
    },
    // E-mail digests (issue 9); `claimed_until` is transient (NULL on the target).
    Table {
        name: "mail_digests",
        columns: &[
            int("user_id"),
            text("address"),
            text("frequency"),
            int("hour"),
            int("weekday"),
            text("timezone"),
            text("categories"),
            flag("enabled"),
            text("created_at"),
            text("updated_at"),
            text("last_sent_at"),
            text("cursor_created_at"),
            int("cursor_entry_id"),
            int("failures"),
            text("next_attempt_at"),
            text("last_error"),
        ],
        key: 1,
        identity: false,
        repeats: false,
        filter: None,
    },
    Table {
        name: "mail_log",
        columns: &[
            int("id"),
            int("user_id"),
            text("at"),
            int("entries"),
            text("result"),
            text("detail"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "webhooks",
        columns: &[
            int("id"),
            int("user_id"),
            text("url"),
            text("secret"),
            flag("enabled"),
            text("category"),
            text("created_at"),
            int("cursor_entry_id"),
            text("pending_delivery_id"),
            text("pending_body"),
            int("pending_last_entry_id"),
            int("pending_entries"),
            int("attempts"),
            text("next_attempt_at"),
            text("last_success_at"),
            text("failing_since"),
            text("last_error"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "webhook_deliveries",
        columns: &[
            int("id"),
            int("webhook_id"),
            text("at"),
            text("delivery_id"),
            text("kind"),
            int("entries"),
            int("attempt"),
            int("status"),
            text("error"),
            int("duration_ms"),
        ],
        key: 1,
        identity: true,
        repeats: false,
        filter: None,
    },
    Table {
        name: "fetch_log",
        columns: &[int("feed_id"), text("at"), text("outcome")],
        key: 2,
        identity: false,
        repeats: true,
        filter: None,
    },
];

/// Tables of either schema that are deliberately not copied: the
/// migrations' own bookkeeping, transient fetch tokens, and the search
/// index (SQLite's FTS5 table and its shadow tables; PostgreSQL's search
/// table), which the target rebuilds from the entries.
const NOT_COPIED: &[&str] = &[
    "_sqlx_migrations",
    "host_slots",
    "entries_fts",
    "entries_search",
];

/// Columns that are deliberately not copied (transient: NULL on the target).
const TRANSIENT_COLUMNS: &[(&str, &str)] = &[
    ("feeds", "lease_owner"),
    ("feeds", "lease_until"),
    ("mail_digests", "claimed_until"),
    ("webhooks", "lease_owner"),
    ("webhooks", "lease_until"),
];

/// Whether `table` of a database's schema is one [`NOT_COPIED`] means.
fn not_copied(table: &str) -> bool {
    NOT_COPIED.contains(&table) || table.starts_with("entries_fts_") || table.starts_with("sqlite_")
}

/// A value of one column, as either engine holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Blob(Vec<u8>),
}

impl Value {
    /// The canonical text of the value in a checksum: typed, length-prefixed
    /// (so NULL, '' and 'NULL' differ), flags as the integers 0 and 1.
    fn canonical(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"N;"),
            Value::Int(i) => out.extend_from_slice(format!("I{i};").as_bytes()),
            Value::Bool(b) => out.extend_from_slice(if *b { b"I1;" } else { b"I0;" }),
            Value::Real(r) => out.extend_from_slice(format!("R{r:?};").as_bytes()),
            Value::Text(s) => {
                out.extend_from_slice(format!("T{}:", s.len()).as_bytes());
                out.extend_from_slice(s.as_bytes());
                out.push(b';');
            }
            Value::Blob(b) => {
                out.extend_from_slice(format!("B{}:", b.len()).as_bytes());
                out.extend_from_slice(hex::encode(b).as_bytes());
                out.push(b';');
            }
        }
    }
}

/// One row read from a table: the values of its copied columns.
pub(crate) type Record = Vec<Value>;

/// Which rows to read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Range<'a> {
    /// Up to this many rows after this key (from the first if `None`).
    After(Option<&'a [Value]>, usize),
    /// Every row with this key.
    Key(&'a [Value]),
}

/// A column of a database's schema: table, column, declared type.
pub(crate) type SchemaColumn = (String, String, String);

// Each engine's half of the work: `sqlite::transfer` and `postgres::transfer`
// (the same functions, each with its own SQL).

async fn schema_columns(store: &Store) -> StoreResult<Vec<SchemaColumn>> {
    on_engine!(store, |db| engine::transfer::columns(&db.pool).await)
}

fn accepts(store: &Store, kind: Kind, declared: &str) -> bool {
    on_engine!(store, |db| {
        let _ = db;
        engine::transfer::accepts(kind, declared)
    })
}

async fn count(store: &Store, table: &Table) -> StoreResult<u64> {
    on_engine!(store, |db| engine::transfer::count(&db.pool, table).await)
}

async fn last_key(store: &Store, table: &Table) -> StoreResult<Option<Vec<Value>>> {
    on_engine!(store, |db| engine::transfer::last_key(&db.pool, table)
        .await)
}

async fn read_range(store: &Store, table: &Table, range: Range<'_>) -> StoreResult<Vec<Record>> {
    on_engine!(store, |db| engine::transfer::read_batch(
        &db.pool, table, range
    )
    .await)
}

/// The next batch of `table` after the key `after`: up to `limit` rows
/// (whole keys only where rows share keys), and whether more may follow.
async fn read_batch(
    store: &Store,
    table: &Table,
    after: Option<&[Value]>,
    limit: usize,
) -> StoreResult<(Vec<Record>, bool)> {
    let mut rows = read_range(store, table, Range::After(after, limit)).await?;
    let more = rows.len() >= limit;
    if table.repeats {
        if more {
            // The last key may go on in the next rows: leave it to the next
            // batch, or read it whole if it is all this batch has.
            let last = rows[rows.len() - 1][..table.key].to_vec();
            let keep = rows
                .iter()
                .rposition(|r| r[..table.key] != last[..])
                .map_or(0, |i| i + 1);
            if keep == 0 {
                rows = read_range(store, table, Range::Key(&last)).await?;
            } else {
                rows.truncate(keep);
            }
        }
        // Rows of one key in one order on either engine.
        for run in rows.chunk_by_mut(|a, b| a[..table.key] == b[..table.key]) {
            run.sort_by_cached_key(|r| canonical_row(r));
        }
    }
    Ok((rows, more))
}

/// The canonical form of a row (see [`Value::canonical`]), ending in a newline.
fn canonical_row(row: &[Value]) -> Vec<u8> {
    let mut line = Vec::new();
    for v in row {
        v.canonical(&mut line);
    }
    line.push(b'\n');
    line
}

async fn insert_batch(store: &Store, table: &Table, rows: &[Record]) -> StoreResult<()> {
    on_engine!(store, |db| engine::transfer::insert_batch(
        &db.writer, table, rows
    )
    .await)
}

async fn empty(store: &Store) -> StoreResult<()> {
    on_engine!(store, |db| engine::transfer::empty(&db.writer, TABLES)
        .await)
}

async fn advance_sequence(store: &Store, table: &Table) -> StoreResult<()> {
    on_engine!(store, |db| engine::transfer::advance_sequence(
        &db.writer, table
    )
    .await)
}

async fn rebuild_search(store: &Store) -> StoreResult<u64> {
    on_engine!(store, |db| engine::transfer::rebuild_search(&db.writer)
        .await)
}

async fn forget_search(store: &Store) -> StoreResult<()> {
    on_engine!(store, |db| engine::transfer::forget_search(&db.writer)
        .await)
}

/// Compare the columns of `store`'s database with [`TABLES`]: every table
/// and column it has must be copied or be known not to need it, and every
/// copied column must exist with a type of its kind. `Err` says what
/// differs, one line per difference.
pub async fn check_schema(store: &Store) -> StoreResult<Result<(), String>> {
    let columns = schema_columns(store).await?;
    let mut problems = Vec::new();
    for (table, column, declared) in &columns {
        if not_copied(table) || TRANSIENT_COLUMNS.contains(&(table.as_str(), column.as_str())) {
            continue;
        }
        let Some(spec) = TABLES.iter().find(|t| t.name == table) else {
            if !problems
                .iter()
                .any(|p: &String| p.contains(&format!("table {table} ")))
            {
                problems.push(format!("table {table} is not known to migrate-db"));
            }
            continue;
        };
        match spec.columns.iter().find(|c| c.name == column) {
            None => problems.push(format!(
                "column {table}.{column} ({declared}) is not known to migrate-db"
            )),
            Some(c) if !accepts(store, c.kind, declared) => problems.push(format!(
                "column {table}.{column} is {declared}, migrate-db expects {:?}",
                c.kind
            )),
            Some(_) => {}
        }
    }
    for spec in TABLES {
        for c in spec.columns {
            if !columns
                .iter()
                .any(|(t, n, _)| t == spec.name && n == c.name)
            {
                problems.push(format!("column {}.{} is missing", spec.name, c.name));
            }
        }
    }
    Ok(if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    })
}

/// Row count and checksum of one table of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    /// The table.
    pub table: &'static str,
    /// Rows copied or to copy.
    pub rows: u64,
    /// SHA-256 (hex) of the canonical form of every row, in key order.
    pub checksum: String,
}

/// The count and checksum of every copied table of `store`, in copy order.
pub async fn checksums(store: &Store, batch: usize) -> StoreResult<Vec<TableSum>> {
    let mut sums = Vec::new();
    for table in TABLES {
        sums.push(checksum(store, table, batch).await?);
    }
    Ok(sums)
}

async fn checksum(store: &Store, table: &'static Table, batch: usize) -> StoreResult<TableSum> {
    let mut hash = Sha256::new();
    let mut rows = 0u64;
    let mut after: Option<Vec<Value>> = None;
    loop {
        let (batch_rows, more) = read_batch(store, table, after.as_deref(), batch).await?;
        for r in &batch_rows {
            hash.update(canonical_row(r));
        }
        rows += batch_rows.len() as u64;
        match batch_rows.last() {
            Some(last) if more => after = Some(last[..table.key].to_vec()),
            _ => break,
        }
    }
    Ok(TableSum {
        table: table.name,
        rows,
        checksum: hex::encode(hash.finalize()),
    })
}

/// How to copy.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// Rows per batch (each batch is one transaction on the target).
    pub batch: usize,
    /// Empty a non-empty target first, whatever it holds.
    pub force: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            batch: DEFAULT_BATCH,
            force: false,
        }
    }
}

/// What a copy is doing, for a progress display.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Copying of `table` starts: the source has `total` rows, `done` of
    /// them are on the target already (an interrupted copy).
    Table {
        /// The table.
        table: &'static str,
        /// Rows of the source.
        total: u64,
        /// Rows on the target before this run.
        done: u64,
    },
    /// A batch of `rows` rows of `table` was committed on the target.
    Rows {
        /// The table.
        table: &'static str,
        /// Rows in the batch.
        rows: u64,
    },
    /// The target's search index is being filled from its entries.
    Search,
    /// Both sides of `table` are being read for the checksums.
    Verify {
        /// The table.
        table: &'static str,
    },
}

/// How the target stood when the copy began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Empty: a new copy.
    Fresh,
    /// A partial copy of this source: continued.
    Resumed,
    /// A complete copy of this source: only verified.
    Complete,
    /// Not empty, and emptied first (`force`).
    Emptied,
}

/// One table's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub table: &'static str,
    /// Rows copied by this run.
    pub copied: u64,
    /// Count and checksum on the source.
    pub source: TableSum,
    /// Count and checksum on the target.
    pub target: TableSum,
}

impl TableReport {
    /// Same rows, same checksum.
    pub fn ok(&self) -> bool {
        self.source.rows == self.target.rows && self.source.checksum == self.target.checksum
    }
}

/// What a copy did.
#[derive(Debug, Clone)]
pub struct MigrateReport {
    /// How the target stood.
    pub start: Start,
    /// Per table, in copy order.
    pub tables: Vec<TableReport>,
    /// Entries added to the target's search index.
    pub indexed: u64,
    /// How long it took.
    pub elapsed: Duration,
}

impl MigrateReport {
    /// Every table verified.
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableReport::ok)
    }

    /// Rows copied by this run, all tables.
    pub fn copied(&self) -> u64 {
        self.tables.iter().map(|t| t.copied).sum()
    }
}

/// Which database a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `--from`.
    Source,
    /// `--to`.
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "source",
            Side::Target => "target",
        })
    }
}

/// Why a copy did not run or stopped. Database URLs in messages never show
/// a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// A URL that is not an SQLite file or a PostgreSQL database.
    #[error("the {side} database URL {url:?} is not one migrate-db can use: {reason}")]
    BadUrl {
        /// Which one.
        side: Side,
        /// The URL (redacted).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The source SQLite file does not exist.
    #[error("the source database {path} does not exist")]
    NoSource {
        /// The file.
        path: String,
    },
    /// Both URLs name one database.
    #[error("the source and the target are the same database ({url})")]
    SameDatabase {
        /// Its location.
        url: String,
    },
    /// Opening, reading or writing one of the databases failed.
    ///
    /// The message includes `error`'s (which is not also given as the
    /// error's source: printing the chain would say it twice).
    #[error("the {side} database {url}: {error}")]
    Store {
        /// Which one.
        side: Side,
        /// Its URL (redacted).
        url: String,
        /// What failed.
        error: StoreError,
    },
    /// A database's tables or columns are not the ones this version copies.
    #[error(
        "the {side} database {url} has a schema migrate-db does not know: {problems} \
         (are both databases from this version of Tributary?)"
    )]
    Schema {
        /// Which one.
        side: Side,
        /// Its URL (redacted).
        url: String,
        /// What differs.
        problems: String,
    },
    /// The target holds data and is not a copy of this source.
    #[error(
        "the target database {url} is not empty ({what}); migrate-db copies into an \
         empty database only — pass --force to delete everything in it first"
    )]
    NotEmpty {
        /// Its URL (redacted).
        url: String,
        /// Row counts of its non-empty tables (`users: 2, feeds: 10`).
        what: String,
    },
    /// The target holds a partial copy of another database.
    #[error(
        "the target database {url} holds a copy of another database ({other}), not of \
         {source_location}; pass --force to delete everything in it and start over"
    )]
    OtherSource {
        /// Its URL (redacted).
        url: String,
        /// The other source, as its marker names it.
        other: String,
        /// This source.
        source_location: String,
    },
}

/// Where a database URL points, as a stable name: `sqlite:///absolute/path`,
/// or `postgres://user@host:port/database` (never a password). Two URLs of
/// one database give one location; it is the target's copy marker.
pub fn location(url: &str) -> Result<String, String> {
    if postgres::is_url(url) {
        let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| match e {
            sqlx::Error::Configuration(inner) => inner.to_string(),
            other => other.to_string(),
        })?;
        let host = match options.get_socket() {
            Some(dir) => dir.display().to_string(),
            None => options.get_host().to_owned(),
        };
        return Ok(format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            host,
            options.get_port(),
            options.get_database().unwrap_or(options.get_username())
        ));
    }
    if !url.starts_with("sqlite:") {
        return Err("expected sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE".into());
    }
    match sqlite::parse_url(url).map_err(|e| match e {
        StoreError::BadUrl { reason, .. } => reason,
        other => other.to_string(),
    })? {
        sqlite::Location::Memory => {
            Err("an in-memory database cannot be copied from or to; give a file".into())
        }
        sqlite::Location::File(path) => Ok(format!("sqlite://{}", absolute(&path).display())),
    }
}

/// `path` made absolute, symbolic links resolved as far as it exists.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let path = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(path.clone(), |d| d.join(name)),
        _ => path,
    }
}

/// Copy the installation at `from` into `to` (see the module's notes),
/// reporting progress to `progress`, and verify it.
///
/// The report's [`MigrateReport::ok`] says whether every table verified;
/// a mismatch is not an error of this function (the report says which
/// tables differ).
pub async fn migrate(
    from: &str,
    to: &str,
    options: &MigrateOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<MigrateReport, MigrateError> {
    let started = Instant::now();
    let batch = options.batch.max(1);
    let (from_shown, to_shown) = (postgres::redact(from), postgres::redact(to));
    let bad = |side, url: &str, reason| MigrateError::BadUrl {
        side,
        url: url.to_owned(),
        reason,
    };
    let source_location = location(from).map_err(|r| bad(Side::Source, &from_shown, r))?;
    let target_location = location(to).map_err(|r| bad(Side::Target, &to_shown, r))?;
    if source_location == target_location {
        return Err(MigrateError::SameDatabase {
            url: source_location,
        });
    }
    if let Ok(sqlite::Location::File(path)) = sqlite::parse_url(from) {
        if !path.is_file() {
            return Err(MigrateError::NoSource {
                path: path.display().to_string(),
            });
        }
    }
    let on_source = |error| MigrateError::Store {
        side: Side::Source,
        url: from_shown.clone(),
        error,
    };
    let on_target = |error| MigrateError::Store {
        side: Side::Target,
        url: to_shown.clone(),
        error,
    };
    let source = Store::open(from).await.map_err(on_source)?;
    let target = Store::open(to).await.map_err(on_target)?;
    let result = run(
        &source,
        &target,
        &source_location,
        (&from_shown, &to_shown),
        batch,
        options.force,
        progress,
    )
    .await;
    source.close().await;
    target.close().await;
    let (start, tables, indexed) = result?;
    Ok(MigrateReport {
        start,
        tables,
        indexed,
        elapsed: started.elapsed(),
    })
}

#[allow(clippy::too_many_arguments)]
async fn run(
    source: &Store,
    target: &Store,
    source_location: &str,
    (from_shown, to_shown): (&str, &str),
    batch: usize,
    force: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Start, Vec<TableReport>, u64), MigrateError> {
    let on_source = |error| MigrateError::Store {
        side: Side::Source,
        url: from_shown.to_owned(),
        error,
    };
    let on_target = |error| MigrateError::Store {
        side: Side::Target,
        url: to_shown.to_owned(),
        error,
    };
    for (side, store, shown) in [
        (Side::Source, source, from_shown),
        (Side::Target, target, to_shown),
    ] {
        let checked = check_schema(store)
            .await
            .map_err(|error| MigrateError::Store {
                side,
                url: shown.to_owned(),
                error,
            })?;
        if let Err(problems) = checked {
            return Err(MigrateError::Schema {
                side,
                url: shown.to_owned(),
                problems,
            });
        }
    }

    // What the target holds decides how to start.
    let mut held = Vec::new();
    for table in TABLES {
        let n = count(target, table).await.map_err(on_target)?;
        if n > 0 {
            held.push(format!("{}: {n}", table.name));
        }
    }
    let marker = target.setting(MARKER).await.map_err(on_target)?;
    let complete = target.setting(COMPLETE).await.map_err(on_target)?;
    let start = if force && !held.is_empty() {
        empty(target).await.map_err(on_target)?;
        Start::Emptied
    } else if held.is_empty() {
        Start::Fresh
    } else {
        match marker.as_deref() {
            Some(m) if m == source_location && complete.is_some() => Start::Complete,
            Some(m) if m == source_location => Start::Resumed,
            Some(m) => {
                return Err(MigrateError::OtherSource {
                    url: to_shown.to_owned(),
                    other: m.to_owned(),
                    source_location: source_location.to_owned(),
                })
            }
            None => {
                return Err(MigrateError::NotEmpty {
                    url: to_shown.to_owned(),
                    what: held.join(", "),
                })
            }
        }
    };

    let mut copied = vec![0u64; TABLES.len()];
    let mut indexed = 0;
    if start != Start::Complete {
        // Before the first row: the marker, and the search index to be
        // filled (by this run, or by the next open if this one is cut short).
        target
            .set_setting(COMPLETE, None)
            .await
            .map_err(on_target)?;
        target
            .set_setting(MARKER, Some(source_location))
            .await
            .map_err(on_target)?;
        forget_search(target).await.map_err(on_target)?;

        for (i, table) in TABLES.iter().enumerate() {
            let total = count(source, table).await.map_err(on_source)?;
            let done = count(target, table).await.map_err(on_target)?;
            progress(Progress::Table {
                table: table.name,
                total,
                done,
            });
            let mut after = last_key(target, table).await.map_err(on_target)?;
            loop {
                let (rows, more) = read_batch(source, table, after.as_deref(), batch)
                    .await
                    .map_err(on_source)?;
                let Some(last) = rows.last() else { break };
                insert_batch(target, table, &rows)
                    .await
                    .map_err(on_target)?;
                let n = rows.len() as u64;
                copied[i] += n;
                progress(Progress::Rows {
                    table: table.name,
                    rows: n,
                });
                if !more {
                    break;
                }
                after = Some(last[..table.key].to_vec());
            }
            if table.identity {
                advance_sequence(target, table).await.map_err(on_target)?;
            }
        }
        progress(Progress::Search);
        indexed = rebuild_search(target).await.map_err(on_target)?;
    }

    let mut tables = Vec::new();
    for (i, table) in TABLES.iter().enumerate() {
        progress(Progress::Verify { table: table.name });
        // Reading for checksums commits nothing: batches as large as usual at least.
        let reads = batch.max(DEFAULT_BATCH);
        let (s, t) = tokio::join!(
            checksum(source, table, reads),
            checksum(target, table, reads)
        );
        tables.push(TableReport {
            table: table.name,
            copied: copied[i],
            source: s.map_err(on_source)?,
            target: t.map_err(on_target)?,
        });
    }
    if start != Start::Complete && tables.iter().all(TableReport::ok) {
        let now = crate::time::to_db(chrono::Utc::now());
        target
            .set_setting(COMPLETE, Some(&now))
            .await
            .map_err(on_target)?;
    }
    Ok((start, tables, indexed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lead_every_table_and_names_are_unique() {
        for t in TABLES {
            assert!(t.key >= 1 && t.key <= t.columns.len(), "{}", t.name);
            if t.identity {
                assert_eq!(t.columns[0].name, "id", "{}", t.name);
            }
            let mut names: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "{}", t.name);
        }
    }

    #[test]
    fn canonical_form_tells_null_empty_and_types_apart() {
        let enc = |v: Value| {
            let mut out = Vec::new();
            v.canonical(&mut out);
            String::from_utf8(out).unwrap()
        };
        let all = [
            enc(Value::Null),
            enc(Value::Text(String::new())),
            enc(Value::Text("N;".into())),
            enc(Value::Int(1)),
            enc(Value::Text("1".into())),
        ];
        let mut unique = all.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "{all:?}");
        assert_eq!(enc(Value::Bool(true)), enc(Value::Int(1)));
        assert_eq!(enc(Value::Bool(false)), enc(Value::Int(0)));
    }

    #[test]
    fn locations_name_the_database_without_its_password() {
        assert_eq!(
            location("postgres://app:s3cret@db.example:5433/trib").unwrap(),
            "postgres://app@db.example:5433/trib"
        );
        assert_eq!(
            location("postgresql://app:x@db.example/trib?sslmode=disable").unwrap(),
            "postgres://app@db.example:5432/trib"
        );
        let dir = tempfile::tempdir().unwrap();
        let a = location(&format!("sqlite://{}/t.db", dir.path().display())).unwrap();
        let b = location(&format!("sqlite:{}/./t.db", dir.path().display())).unwrap();
        assert_eq!(a, b);
        assert!(location("sqlite::memory:").is_err());
        assert!(location("mysql://x/y").is_err());
    }
}
