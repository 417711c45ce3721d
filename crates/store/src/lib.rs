//! Storage: feeds (once per URL, shared by subscribers), subscriptions,
//! categories, entries (with tombstones) and per-user entry state.
//!
//! Every fetch outcome is written in one transaction. SQLite (WAL) is the
//! embedded engine, PostgreSQL the one for several processes on several
//! machines. The API is engine-neutral: all SQL lives in the private
//! `sqlite` and `postgres` modules (the same functions, each with its own
//! dialect and migrations), rows of both are decoded by one body in `rows`,
//! and [`Store`] only dispatches.
//!
//! ```no_run
//! # async fn demo() -> tributary_store::StoreResult<()> {
//! use tributary_store::{NewSubscription, RiverQuery, Store};
//!
//! let store = Store::open("sqlite://data/tributary.db").await?;
//! let me = store.default_user().await?;
//! store
//!     .subscribe(me, &[NewSubscription {
//!         url: "https://example.org/feed.xml".into(),
//!         category: vec!["Blogs".into()],
//!         ..Default::default()
//!     }])
//!     .await?;
//! let river = store.river(me, &RiverQuery { limit: Some(50), ..Default::default() }).await?;
//! # let _ = river;
//! # Ok(())
//! # }
//! ```
//!
//! Timestamps are stored as fixed-width ISO-8601 UTC text with microsecond
//! precision, so values read back are truncated to the microsecond.

#![warn(missing_docs)]

mod accounts;
mod api;
mod articles;
mod error;
mod lease;
mod mail;
mod postgres;
mod reading;
mod rows;
mod rules;
mod schedule;
mod sqlite;
pub mod testing;
mod text;
mod time;
pub mod transfer;
mod webhooks;
mod websub;

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{
    Entry, EntryId, Feed, FeedId, FeedMeta, NewEntry, RiverItem, ScheduleHints, Subscription,
    UserId,
};

pub use accounts::{Session, User};
pub use api::{ApiEntryPage, ApiEntryQuery, ApiItem, ApiOrder, ApiToken, EntryRef};
pub use articles::{
    ArticleCandidate, ArticleSite, ArticleStatus, CandidateQuery, EntryArticle, FullContent,
};
pub use error::{StoreError, StoreResult};
pub use lease::{Claim, FetchClaim};
pub use mail::{
    DigestCursor, DigestFrequency, DigestItem, DigestSettings, MailDigest, MailLogEntry,
    MailResult, MAIL_LOG_KEEP,
};
pub use postgres::redact as redact_database_url;
pub use reading::{
    Category, Cursor, DayFetches, EntryPage, EntryQuery, FeedActivity, ReadScope, SearchHit,
    SearchQuery, SearchResults, SnippetPart, StoreCounts, SubscriptionSettings, SubscriptionView,
    View,
};
pub use rules::{NewRule, RuleEffects, RuleScope, StoredRule, MAX_RULES_PER_USER};
pub use webhooks::{
    AttemptEffect, DeliveryAttempt, DeliveryKind, DeliveryLogEntry, LogRetention, NewWebhook,
    PendingBatch, Webhook, WebhookId,
};
pub use websub::{NewWebSub, WebSubMode, WebSubState, WebSubSubscription};

/// A subscription to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSubscription {
    /// Absolute, validated feed URL.
    pub url: String,
    /// Title to show (from OPML or discovery); kept as the feed title until the feed gives one.
    pub title: Option<String>,
    /// The site the feed belongs to, kept until the feed gives one.
    pub site_url: Option<String>,
    /// Category path segments, outermost first (`["Networking", "Vendors"]`).
    pub category: Vec<String>,
}

/// What an import or add did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribeReport {
    /// URLs newly subscribed.
    pub added: Vec<String>,
    /// URLs the user already followed.
    pub skipped: Vec<String>,
}

/// Which feeds to hand to the fetcher.
#[derive(Debug, Clone)]
pub enum FeedSelector {
    /// Not disabled and due at this time (or never fetched).
    Due(DateTime<Utc>),
    /// Every feed that is not disabled.
    All,
    /// These URLs (current or previous URLs), disabled included.
    Urls(Vec<String>),
}

/// A successful fetch with a body, ready to store.
#[derive(Debug, Clone)]
pub struct FetchSuccess {
    /// When the response arrived.
    pub fetched_at: DateTime<Utc>,
    /// When the feed is due again.
    pub next_fetch_at: DateTime<Utc>,
    /// Why it is due then ("posts ~daily").
    pub next_fetch_reason: String,
    /// What the feed said about its schedule (kept for later 304s).
    pub schedule_hints: ScheduleHints,
    /// A remark that is not an error ("kept the first 312 entries"); `None` clears it.
    pub status_note: Option<String>,
    /// SHA-256 (hex) of the body, to recognise it unchanged next time.
    pub body_hash: Option<String>,
    /// Permanent move: the feed's URL becomes this one and the old URL goes to `previous_urls`.
    pub moved_to: Option<String>,
    /// The response's `ETag`, replacing the stored one (`None` clears it).
    pub etag: Option<String>,
    /// The response's `Last-Modified`, replacing the stored one (`None` clears it).
    pub last_modified: Option<String>,
    /// Feed metadata; fields that are `None` keep their stored value.
    pub meta: FeedMeta,
    /// The document's entries, in document order.
    pub entries: Vec<NewEntry>,
}

/// A failed fetch.
#[derive(Debug, Clone)]
pub struct FetchFailure {
    /// When the attempt ended.
    pub fetched_at: DateTime<Utc>,
    /// When to try again (ignored by `Due` while the feed is disabled).
    pub next_fetch_at: DateTime<Utc>,
    /// Why then ("backoff after 3 errors").
    pub next_fetch_reason: String,
    /// Stable code (`http_not_found`).
    pub code: String,
    /// Plain-words reason.
    pub message: String,
    /// Disable the feed (410 Gone).
    pub disable: bool,
    /// Mark the feed `error` (it has failed long enough, or never worked);
    /// otherwise it stays `ok` while it backs off, with the error visible.
    pub mark_error: bool,
}

/// A fetch that got no new body: 304 Not Modified, or a 200 whose body is
/// byte for byte the one stored last time.
#[derive(Debug, Clone)]
pub struct FetchUnchanged {
    /// When the response arrived.
    pub fetched_at: DateTime<Utc>,
    /// When the feed is due again.
    pub next_fetch_at: DateTime<Utc>,
    /// Why it is due then.
    pub next_fetch_reason: String,
    /// Validators to send next time (`None` clears).
    pub etag: Option<String>,
    /// See `etag`.
    pub last_modified: Option<String>,
    /// Permanent move (a 301/308 chain that ended in 304), as in [`FetchSuccess`].
    pub moved_to: Option<String>,
}

/// What storing a fetch did to the entries (each incoming entry counts once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// The ids of the entries inserted (`new` of them), for what runs on
    /// new entries after the write (the rules of each subscriber).
    pub new_ids: Vec<EntryId>,
    /// Inserted: no stored entry matched.
    pub new: usize,
    /// A stored entry was rewritten: same key with a new content hash, or
    /// a re-issue (new key, same canonical link or same title + feed date).
    pub updated: usize,
    /// Same key, same content hash: nothing written.
    pub unchanged: usize,
    /// Skipped because the entry was deleted before (tombstone).
    pub tombstoned: usize,
}

/// Filter of a river/digest query.
#[derive(Debug, Clone, Default)]
pub struct RiverQuery {
    /// At most this many items (`None`: all).
    pub limit: Option<u32>,
    /// Only entries published at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Category path (`Networking` also matches `Networking/Vendors`).
    pub category: Option<String>,
    /// Leave out entries this user has read.
    pub unread_only: bool,
}

/// The store handle (cheap to clone: clones share the connection pools).
///
/// The engine is chosen once, by [`Store::open`]'s URL: SQLite (a file, or
/// memory) or PostgreSQL. Each engine has its own module with the same
/// functions (`sqlite::feeds::to_fetch`, `postgres::feeds::to_fetch`, …),
/// its own SQL and its own migrations; a method of `Store` picks the module
/// once per call (`on_engine!`), and no query ever asks which engine it
/// runs on.
///
/// SQLite allows one writer at a time. Writes go through a pool of one
/// connection, so concurrent writers of this process queue in order instead
/// of contending for the file lock (and failing with "database is locked"
/// after the busy timeout); reads use their own pool and run beside the
/// writer thanks to WAL. PostgreSQL reads and writes share one pool.
#[derive(Clone, Debug)]
pub struct Store {
    engine: Engine,
}

/// The open database of one engine.
#[derive(Clone, Debug)]
enum Engine {
    Sqlite(sqlite::Db),
    Postgres(postgres::Db),
}

/// Run `$body` with `$db` bound to the store's open database and `engine`
/// naming that engine's module (`engine::feeds::by_id(&db.pool, id)`).
macro_rules! on_engine {
    ($store:expr, |$db:ident| $body:expr) => {
        match &$store.engine {
            $crate::Engine::Sqlite($db) => {
                #[allow(unused_imports)]
                use $crate::sqlite as engine;
                $body
            }
            $crate::Engine::Postgres($db) => {
                #[allow(unused_imports)]
                use $crate::postgres as engine;
                $body
            }
        }
    };
}
pub(crate) use on_engine;

impl Store {
    /// Open the database at `url` and run its migrations.
    ///
    /// SQLite: `sqlite://PATH`, `sqlite:PATH` or `sqlite::memory:`. A file
    /// database is created if missing (with its parent directories) and runs
    /// in WAL mode with `synchronous=NORMAL`, foreign keys on and a 5 s busy
    /// timeout. An in-memory database uses one connection, so every query
    /// sees the same data; it disappears with the last clone of the store.
    ///
    /// PostgreSQL: `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or
    /// `postgresql://`), the database existing already. An unreachable
    /// server is [`StoreError::Unreachable`], naming the server but never
    /// the password.
    ///
    /// Both refuse a database that a newer Tributary migrated
    /// ([`StoreError::NewerSchema`]). Any other scheme is [`StoreError::BadUrl`].
    #[instrument(skip_all, err(level = "warn"))]
    pub async fn open(url: &str) -> StoreResult<Store> {
        let engine = if postgres::is_url(url) {
            Engine::Postgres(postgres::Db::open(url).await?)
        } else {
            Engine::Sqlite(sqlite::Db::open(url).await?)
        };
        Ok(Store { engine })
    }

    /// The engine this store runs on: `"sqlite"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// The user the command line acts as: the first admin (lowest id) if
    /// there is one, else the user named `default` (created on first use).
    #[instrument(skip_all)]
    pub async fn default_user(&self) -> StoreResult<UserId> {
        on_engine!(self, |db| engine::accounts::default_user(&db.writer).await)
    }

    /// The user named `username`, created if missing (`NotFound` never).
    #[instrument(skip_all)]
    pub async fn ensure_user(&self, username: &str) -> StoreResult<UserId> {
        on_engine!(self, |db| engine::subscriptions::ensure_user(
            &db.writer, username
        )
        .await)
    }

    /// Subscribe `user` to every feed in one transaction (all or nothing).
    ///
    /// A feed is found by its current or a previous URL, else created (due
    /// for fetching at once, titled from the subscription). Category paths
    /// are created as needed. A URL the user already follows — or that
    /// appears twice in `subs` — is reported in `skipped`, and its category
    /// is left as it was. `NotFound` if the user does not exist.
    #[instrument(skip_all, fields(user.id = %user, subs = subs.len()))]
    pub async fn subscribe(
        &self,
        user: UserId,
        subs: &[NewSubscription],
    ) -> StoreResult<SubscribeReport> {
        on_engine!(self, |db| engine::subscriptions::subscribe(
            &db.writer, user, subs
        )
        .await)
    }

    /// Remove the user's subscription given a feed URL (current or previous) or numeric feed id.
    /// A feed nobody follows any more is deleted with its entries. Returns the removed feed's URL.
    ///
    /// `NotFound("no subscription to …")` when the user does not follow it.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn unsubscribe(&self, user: UserId, url_or_id: &str) -> StoreResult<String> {
        on_engine!(self, |db| engine::subscriptions::unsubscribe(
            &db.writer, user, url_or_id
        )
        .await)
    }

    /// The user's subscriptions, ordered by category path (uncategorized
    /// first) then display title.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn subscriptions(&self, user: UserId) -> StoreResult<Vec<Subscription>> {
        on_engine!(self, |db| engine::subscriptions::list(&db.pool, user).await)
    }

    /// Feeds to fetch (all users').
    ///
    /// `Due` and `All` skip disabled feeds and are ordered by next fetch time
    /// (never-fetched first). `Urls` keeps the given order, includes
    /// disabled feeds, lists a feed once even if named by two of its URLs,
    /// and leaves out URLs no feed has.
    #[instrument(skip_all)]
    pub async fn feeds_to_fetch(&self, selector: &FeedSelector) -> StoreResult<Vec<Feed>> {
        on_engine!(self, |db| engine::feeds::to_fetch(&db.pool, selector).await)
    }

    /// One feed by id, or `None`.
    #[instrument(skip_all, fields(feed.id = %id))]
    pub async fn feed_by_id(&self, id: FeedId) -> StoreResult<Option<Feed>> {
        Ok(on_engine!(self, |db| engine::feeds::by_id(&db.pool, id).await)?)
    }

    /// Store a successful fetch and its entries in one transaction.
    ///
    /// Feed metadata is updated only where `outcome.meta` has a value;
    /// validators, schedule and health are replaced. `moved_to` (only this
    /// field: turning `meta.new_feed_url` into a move is the caller's call)
    /// moves the feed, keeping the old URL in `previous_urls`; if another
    /// feed already answers to the new URL, the move is skipped with a
    /// warning in the log, never merged. Entries are upserted with the
    /// duplicate rules of DESIGN.md (see [`UpsertReport`]). Any failure rolls
    /// everything of this outcome back; a failing entry is
    /// [`StoreError::Entry`]. Outcomes arriving together are committed in
    /// one transaction (each in its own savepoint); the call returns once
    /// its batch is committed.
    #[instrument(skip_all, fields(feed.id = %feed, entries = outcome.entries.len()))]
    pub async fn record_success(
        &self,
        feed: FeedId,
        outcome: FetchSuccess,
    ) -> StoreResult<UpsertReport> {
        on_engine!(self, |db| db.queue.record_success(feed, outcome).await)
    }

    /// Store a fetch without a new body (304, or the same body again): the
    /// feed is healthy again, its validators replaced, and rescheduled.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn record_not_modified(
        &self,
        feed: FeedId,
        outcome: FetchUnchanged,
    ) -> StoreResult<()> {
        on_engine!(self, |db| db.queue.record_unchanged(feed, outcome).await)
    }

    /// Store a failed fetch: error, code, one more consecutive failure (the
    /// run's start kept in `failing_since`), status `disabled` (410),
    /// `error` (when `mark_error`) or still `ok`. Entries are untouched.
    #[instrument(skip_all, fields(feed.id = %feed, code = %failure.code))]
    pub async fn record_failure(&self, feed: FeedId, failure: &FetchFailure) -> StoreResult<()> {
        on_engine!(self, |db| engine::feeds::record_failure(
            &db.writer, feed, failure
        )
        .await)
    }

    /// Entries of the user's subscriptions, newest first (published, then
    /// id, descending), with their source as this user sees it.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn river(&self, user: UserId, query: &RiverQuery) -> StoreResult<Vec<RiverItem>> {
        on_engine!(self, |db| engine::river::river(&db.pool, user, query).await)
    }

    /// One stored entry, or `None`.
    #[instrument(skip_all, fields(entry.id = %id))]
    pub async fn entry(&self, id: EntryId) -> StoreResult<Option<Entry>> {
        on_engine!(self, |db| engine::entries::by_id(&db.pool, id).await)
    }

    /// Mark an entry read or unread for `user`. `NotFound` for an unknown
    /// entry or user.
    #[instrument(skip_all, fields(user.id = %user, entry.id = %entry))]
    pub async fn set_read(&self, user: UserId, entry: EntryId, read: bool) -> StoreResult<()> {
        on_engine!(self, |db| engine::entries::set_flag(
            &db.writer,
            user,
            entry,
            engine::entries::Flag::Read,
            read
        )
        .await)
    }

    /// Star or unstar an entry for `user`. `NotFound` for an unknown entry or user.
    #[instrument(skip_all, fields(user.id = %user, entry.id = %entry))]
    pub async fn set_starred(
        &self,
        user: UserId,
        entry: EntryId,
        starred: bool,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::entries::set_flag(
            &db.writer,
            user,
            entry,
            engine::entries::Flag::Starred,
            starred,
        )
        .await)
    }

    /// Delete an entry (for every user) and leave a tombstone, so later
    /// fetches do not bring it back — under its key or, re-issued with a
    /// new guid, under its canonical URL. `NotFound` for an unknown entry.
    #[instrument(skip_all, fields(entry.id = %entry))]
    pub async fn delete_entry(&self, entry: EntryId) -> StoreResult<()> {
        on_engine!(self, |db| engine::entries::delete(&db.writer, entry).await)
    }

    /// Number of stored entries, all feeds.
    #[instrument(skip_all)]
    pub async fn entry_count(&self) -> StoreResult<i64> {
        on_engine!(self, |db| engine::entries::count(&db.pool).await)
    }

    /// Close the connections, waiting for queries in flight. Optional: they
    /// also close when the last clone is dropped.
    pub async fn close(&self) {
        on_engine!(self, |db| {
            db.pool.close().await;
            db.writer.close().await;
        })
    }
}
