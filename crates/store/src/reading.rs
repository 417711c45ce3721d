//! What the web UI, the APIs and the outputs read and change for one user:
//! categories, subscription settings, pages of entries, search, reading
//! state in bulk, and each feed's activity for its chart.
//!
//! Every method takes the acting user and only ever sees or changes that
//! user's data: an entry, feed or category of someone else is `NotFound`,
//! exactly as if it did not exist.

use crate::on_engine;
use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{CategoryId, EntryId, FeedId, FeedStatus, RiverItem, Subscription, UserId};

use crate::{Store, StoreResult};

/// A user's category (folder).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Category {
    /// Id.
    pub id: CategoryId,
    /// Enclosing category, `None` at the top.
    pub parent: Option<CategoryId>,
    /// Own name (`Vendors`).
    pub name: String,
    /// Full path (`Networking/Vendors`).
    pub path: String,
    /// Feeds directly in it.
    pub feed_count: i64,
    /// Unread entries of the feeds directly in it.
    pub unread_count: i64,
}

/// Per-subscription settings, as a form edits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionSettings {
    /// Title to show instead of the feed's (`None`: the feed's).
    pub title_override: Option<String>,
    /// Category (`None`: uncategorized).
    pub category: Option<CategoryId>,
    /// Fetch no more often than this (seconds); the feed's schedule is
    /// bounded by the most eager subscriber's bounds.
    pub min_interval_secs: Option<i64>,
    /// Fetch at least this often (seconds).
    pub max_interval_secs: Option<i64>,
    /// Paused: the user sees no new entries fetched for it, and a feed all
    /// of whose subscribers paused it is not fetched.
    pub paused: bool,
}

/// One of the user's subscriptions with what the UI shows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    /// The subscription and its feed.
    pub subscription: Subscription,
    /// Category id, if any.
    pub category_id: Option<CategoryId>,
    /// Its settings.
    pub settings: SubscriptionSettings,
    /// Unread entries of it.
    pub unread_count: i64,
    /// When its newest entry was published.
    pub newest_entry_at: Option<DateTime<Utc>>,
}

/// Which entries a page lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// Unread only, newest first.
    #[default]
    Unread,
    /// Read and unread, newest first.
    All,
    /// Starred, newest first.
    Starred,
    /// Read entries, most recently read first.
    History,
}

/// Keyset position in a listing: the items strictly after this one (in the
/// view's order). `at` is the published time, or the read time in `History`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Sort time of the last item shown.
    pub at: DateTime<Utc>,
    /// Its id (ties on `at` are ordered by id, descending).
    pub id: EntryId,
}

/// A page request.
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    /// Which entries.
    pub view: View,
    /// Only this feed (must be one of the user's).
    pub feed: Option<FeedId>,
    /// Only this category and its sub-categories.
    pub category: Option<CategoryId>,
    /// Only entries published at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only entries published before.
    pub until: Option<DateTime<Utc>>,
    /// Continue after this item.
    pub after: Option<Cursor>,
    /// Page size (capped at 1000; 0 means 50).
    pub limit: u32,
}

/// A page of entries.
#[derive(Debug, Clone, Default)]
pub struct EntryPage {
    /// The entries, in the view's order.
    pub items: Vec<RiverItem>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// A full-text search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the user typed: words (all must match, prefixes with `*`),
    /// `"quoted phrases"`, `-word` to exclude, `OR` between alternatives.
    /// Never FTS5 syntax passed through: anything else is searched as words.
    pub text: String,
    /// Only this feed.
    pub feed: Option<FeedId>,
    /// Only this category and its sub-categories.
    pub category: Option<CategoryId>,
    /// Only unread entries.
    pub unread_only: bool,
    /// Only starred entries.
    pub starred_only: bool,
    /// Only entries published at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only entries published before.
    pub until: Option<DateTime<Utc>>,
    /// Page size (capped at 200; 0 means 50).
    pub limit: u32,
    /// Results to skip (ranked results page by offset).
    pub offset: u32,
}

/// A piece of a search snippet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnippetPart {
    /// Plain text (not HTML: the caller escapes it).
    pub text: String,
    /// Whether this piece matched the query.
    pub hit: bool,
}

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The entry.
    pub item: RiverItem,
    /// Matching passage of the title, content or author, with hits marked.
    pub snippet: Vec<SnippetPart>,
    /// Relevance (bm25, higher is better; titles weigh more than content).
    pub rank: f64,
}

/// Search results.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// This page of hits, best first.
    pub hits: Vec<SearchHit>,
    /// How many entries match in all.
    pub total: i64,
}

/// What "mark all as read" covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadScope {
    /// Every subscription.
    #[default]
    All,
    /// One feed.
    Feed(FeedId),
    /// A category and its sub-categories.
    Category(CategoryId),
}

/// Fetch outcomes of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DayFetches {
    /// Fetches that stored at least one new or updated entry.
    pub new: i64,
    /// Fetches that got the feed without changes (304, same body, nothing new).
    pub unchanged: i64,
    /// Failed fetches.
    pub failed: i64,
}

/// A feed's activity for its chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedActivity {
    /// Entries published per week over the last 52 weeks, oldest first;
    /// the last element is the week ending at `now`.
    pub weekly_entries: Vec<i64>,
    /// Fetch outcomes per day over the last 30 days, oldest first; the last
    /// element is the day ending at `now`.
    pub daily_fetches: Vec<DayFetches>,
}

/// Instance-wide counts for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Feeds by status.
    pub feeds_by_status: Vec<(FeedStatus, i64)>,
    /// Feeds due at `now`.
    pub feeds_due: i64,
    /// Entries stored.
    pub entries: i64,
    /// Users.
    pub users: i64,
}

impl Store {
    /// The user's categories, by path.
    pub async fn categories(&self, user: UserId) -> StoreResult<Vec<Category>> {
        on_engine!(self, |db| engine::categories::list(&db.pool, user).await)
    }

    /// Create a category path (`Net/Vendors`; missing parents too) and
    /// return the innermost. An existing path is returned as is.
    /// `Invalid` for an empty path or segment.
    pub async fn create_category(&self, user: UserId, path: &str) -> StoreResult<Category> {
        on_engine!(self, |db| engine::categories::create(
            &db.writer, user, path
        )
        .await)
    }

    /// Rename a category (its own name, not the path). `Conflict` if a
    /// sibling has that name; `Invalid` for an empty name or one with `/`.
    pub async fn rename_category(
        &self,
        user: UserId,
        id: CategoryId,
        name: &str,
    ) -> StoreResult<Category> {
        on_engine!(self, |db| engine::categories::rename(
            &db.writer, user, id, name
        )
        .await)
    }

    /// Delete a category and its sub-categories; their feeds become uncategorized.
    pub async fn delete_category(&self, user: UserId, id: CategoryId) -> StoreResult<()> {
        on_engine!(self, |db| engine::categories::delete(&db.writer, user, id)
            .await)
    }

    /// The user's subscriptions with settings and unread counts, ordered as
    /// [`Store::subscriptions`].
    pub async fn subscription_views(&self, user: UserId) -> StoreResult<Vec<SubscriptionView>> {
        on_engine!(self, |db| engine::subscription_views::list(&db.pool, user)
            .await)
    }

    /// The user's subscriptions to these feeds (feeds the user does not
    /// follow are left out), ordered as [`Store::subscriptions`]: what a
    /// page of entries needs, without the other 1,000 subscriptions.
    pub async fn subscription_views_of(
        &self,
        user: UserId,
        feeds: &[FeedId],
    ) -> StoreResult<Vec<SubscriptionView>> {
        on_engine!(self, |db| engine::subscription_views::some(
            &db.pool, user, feeds
        )
        .await)
    }

    /// One subscription of the user (`None` if the user does not follow the feed).
    pub async fn subscription_view(
        &self,
        user: UserId,
        feed: FeedId,
    ) -> StoreResult<Option<SubscriptionView>> {
        on_engine!(self, |db| engine::subscription_views::one(
            &db.pool, user, feed
        )
        .await)
    }

    /// Replace a subscription's settings. `NotFound` if the user does not
    /// follow the feed or the category is not theirs; `Invalid` if
    /// min > max or a bound is not positive.
    pub async fn update_subscription(
        &self,
        user: UserId,
        feed: FeedId,
        settings: &SubscriptionSettings,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::subscription_views::update(
            &db.writer, user, feed, settings
        )
        .await)
    }

    /// A page of the user's entries.
    pub async fn entries(&self, user: UserId, query: &EntryQuery) -> StoreResult<EntryPage> {
        on_engine!(self, |db| engine::pages::entries(&db.pool, user, query)
            .await)
    }

    /// One entry as this user sees it, `None` unless the user follows its feed.
    pub async fn entry_for_user(
        &self,
        user: UserId,
        entry: EntryId,
    ) -> StoreResult<Option<RiverItem>> {
        on_engine!(self, |db| engine::pages::entry_for_user(
            &db.pool, user, entry
        )
        .await)
    }

    /// Unread entries per feed of the user (feeds with none are left out).
    pub async fn unread_counts(&self, user: UserId) -> StoreResult<Vec<(FeedId, i64)>> {
        on_engine!(self, |db| engine::pages::unread_counts(&db.pool, user)
            .await)
    }

    /// All unread entries of the user: the sum of [`Store::unread_counts`],
    /// in one row (every river page shows it).
    pub async fn unread_total(&self, user: UserId) -> StoreResult<i64> {
        on_engine!(self, |db| engine::pages::unread_total(&db.pool, user).await)
    }

    /// Mark or unmark many entries read in one transaction; ids the user
    /// cannot see are skipped. Returns how many changed.
    pub async fn set_read_many(
        &self,
        user: UserId,
        entries: &[EntryId],
        read: bool,
    ) -> StoreResult<u64> {
        on_engine!(self, |db| engine::pages::set_read_many(
            &db.writer, user, entries, read
        )
        .await)
    }

    /// Mark as read every unread entry in `scope` published at or before
    /// `older_than` (the "mark all read" guard: entries that arrived after
    /// the page was shown stay unread). Returns how many changed.
    pub async fn mark_all_read(
        &self,
        user: UserId,
        scope: ReadScope,
        older_than: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_engine!(self, |db| engine::pages::mark_all_read(
            &db.writer, user, scope, older_than
        )
        .await)
    }

    /// Full-text search over title, content and author of the user's
    /// entries. `Invalid` with a reason for a query with no words.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn search(&self, user: UserId, query: &SearchQuery) -> StoreResult<SearchResults> {
        on_engine!(self, |db| engine::search::search(&db.pool, user, query)
            .await)
    }

    /// The chart data of one of the user's feeds (`None` if not theirs).
    pub async fn feed_activity(
        &self,
        user: UserId,
        feed: FeedId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<FeedActivity>> {
        on_engine!(self, |db| engine::activity::feed_activity(
            &db.pool, user, feed, now
        )
        .await)
    }

    /// Counts for `/metrics`.
    pub async fn counts(&self, now: DateTime<Utc>) -> StoreResult<StoreCounts> {
        on_engine!(self, |db| engine::activity::counts(&db.pool, now).await)
    }
}
