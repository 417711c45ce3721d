//! Storage: feeds (once per URL, shared by subscribers), subscriptions,
//! categories, entries (with tombstones) and per-user entry state.
//!
//! Every fetch outcome is written in one transaction. SQLite (WAL) is the
//! embedded backend; the API is backend-neutral so PostgreSQL can follow.

use chrono::{DateTime, Utc};
use tributary_model::{Feed, FeedId, FeedMeta, NewEntry, RiverItem, Subscription, UserId};

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid database URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A subscription to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewSubscription {
    /// Absolute, validated feed URL.
    pub url: String,
    /// Title to show (from OPML or discovery); kept as the feed title until the feed gives one.
    pub title: Option<String>,
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
    pub fetched_at: DateTime<Utc>,
    pub next_fetch_at: DateTime<Utc>,
    /// Permanent move: the feed's URL becomes this one and the old URL goes to `previous_urls`.
    pub moved_to: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub meta: FeedMeta,
    pub entries: Vec<NewEntry>,
}

/// A failed fetch.
#[derive(Debug, Clone)]
pub struct FetchFailure {
    pub fetched_at: DateTime<Utc>,
    pub next_fetch_at: DateTime<Utc>,
    /// Stable code (`http_not_found`).
    pub code: String,
    /// Plain-words reason.
    pub message: String,
    /// Disable the feed (410 Gone).
    pub disable: bool,
}

/// What storing a fetch did to the entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertReport {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Skipped because the entry was deleted before (tombstone).
    pub tombstoned: usize,
}

/// Filter of a river/digest query.
#[derive(Debug, Clone, Default)]
pub struct RiverQuery {
    pub limit: Option<u32>,
    pub since: Option<DateTime<Utc>>,
    /// Category path (`Networking` also matches `Networking/Vendors`).
    pub category: Option<String>,
    pub unread_only: bool,
}

/// The store handle (cheap to clone).
#[derive(Clone)]
pub struct Store {
    _priv: (),
}

impl Store {
    /// Open (creating if missing) the database at `url` (`sqlite://PATH`, `sqlite::memory:`) and run migrations.
    pub async fn open(url: &str) -> StoreResult<Store> {
        let _ = url;
        todo!()
    }

    /// The default user (created on first use).
    pub async fn default_user(&self) -> StoreResult<UserId> {
        todo!()
    }

    /// Subscribe `user` to every feed in one transaction (all or nothing).
    pub async fn subscribe(&self, user: UserId, subs: &[NewSubscription]) -> StoreResult<SubscribeReport> {
        let _ = (user, subs);
        todo!()
    }

    /// Remove the user's subscription given a feed URL (current or previous) or numeric feed id.
    /// A feed nobody follows any more is deleted with its entries. Returns the removed feed's URL.
    pub async fn unsubscribe(&self, user: UserId, url_or_id: &str) -> StoreResult<String> {
        let _ = (user, url_or_id);
        todo!()
    }

    /// The user's subscriptions, ordered by category then title.
    pub async fn subscriptions(&self, user: UserId) -> StoreResult<Vec<Subscription>> {
        let _ = user;
        todo!()
    }

    /// Feeds to fetch (all users').
    pub async fn feeds_to_fetch(&self, selector: &FeedSelector) -> StoreResult<Vec<Feed>> {
        let _ = selector;
        todo!()
    }

    /// Store a successful fetch and its entries in one transaction.
    pub async fn record_success(&self, feed: FeedId, outcome: &FetchSuccess) -> StoreResult<UpsertReport> {
        let _ = (feed, outcome);
        todo!()
    }

    /// Store a 304 Not Modified.
    pub async fn record_not_modified(&self, feed: FeedId, fetched_at: DateTime<Utc>, next_fetch_at: DateTime<Utc>) -> StoreResult<()> {
        let _ = (feed, fetched_at, next_fetch_at);
        todo!()
    }

    /// Store a failed fetch.
    pub async fn record_failure(&self, feed: FeedId, failure: &FetchFailure) -> StoreResult<()> {
        let _ = (feed, failure);
        todo!()
    }

    /// Entries of the user's subscriptions, newest first.
    pub async fn river(&self, user: UserId, query: &RiverQuery) -> StoreResult<Vec<RiverItem>> {
        let _ = (user, query);
        todo!()
    }
}
