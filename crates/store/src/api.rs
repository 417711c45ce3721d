//! What the reader APIs (Google Reader, Fever, Miniflux) need beyond the
//! UI's queries: API passwords, entries chosen by any combination of
//! filters with id or offset paging, and reading state in bulk.
//!
//! As everywhere in the store, the acting user only ever sees and changes
//! their own data: ids of other users' entries, feeds or categories are
//! skipped or `NotFound`, exactly as if they did not exist.
//!
//! Secrets are hashed by the caller (the web crate): the store keeps the
//! SHA-256 of an API password and Fever's `md5("username:password")`.

use crate::on_engine;
use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{CategoryId, EntryId, FeedId, RiverItem, UserId};

use crate::{Session, Store, StoreResult, User};

/// An API password of a user (the secret is shown once, when it is made).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    /// Id (what `revoke` takes).
    pub id: i64,
    /// Whose it is.
    pub user_id: UserId,
    /// What the user called it ("NetNewsWire on the phone").
    pub description: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Sort key of [`ApiEntryQuery`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiOrder {
    /// Entry id (the order entries were stored in).
    #[default]
    Id,
    /// Published time, ties by id.
    Published,
    /// When the entry was stored (Google Reader's crawl time), ties by id.
    Created,
    /// When the user's state of it last changed (or it was stored), ties by id.
    Changed,
    /// Unread before read (ascending), then published.
    Status,
    /// Category path of the feed as the user filed it, then published.
    CategoryTitle,
    /// Category id, then published.
    CategoryId,
}

/// Entries of the user chosen by filters that all must hold. Every time
/// bound is exclusive (`published_after: t` means published > t).
#[derive(Debug, Clone, Default)]
pub struct ApiEntryQuery {
    /// Only these ids (the user's among them; others are left out).
    pub ids: Option<Vec<EntryId>>,
    /// Only this feed (`NotFound` unless the user follows it).
    pub feed: Option<FeedId>,
    /// Only this category and its sub-categories (`NotFound` unless the user's).
    pub category: Option<CategoryId>,
    /// `Some(true)`: only read; `Some(false)`: only unread.
    pub read: Option<bool>,
    /// `Some(true)`: only starred; `Some(false)`: only not starred.
    pub starred: Option<bool>,
    /// Published after.
    pub published_after: Option<DateTime<Utc>>,
    /// Published before.
    pub published_before: Option<DateTime<Utc>>,
    /// Stored after (Google Reader's `ot` compares the crawl time).
    pub created_after: Option<DateTime<Utc>>,
    /// Stored before.
    pub created_before: Option<DateTime<Utc>>,
    /// State changed (or stored, if never changed) after.
    pub changed_after: Option<DateTime<Utc>>,
    /// State changed before.
    pub changed_before: Option<DateTime<Utc>>,
    /// Id greater than (Fever `since_id`, Miniflux `after_entry_id`).
    pub after_id: Option<EntryId>,
    /// Id less than (Fever `max_id`, Miniflux `before_entry_id`).
    pub before_id: Option<EntryId>,
    /// Full-text search, same syntax as [`crate::SearchQuery::text`]
    /// (`Invalid` with a reason if it has no words).
    pub search: Option<String>,
    /// Sort key.
    pub order: ApiOrder,
    /// Descending (newest / largest first).
    pub descending: bool,
    /// At most this many. [`Store::api_entries`]: 100 when `None`, at most
    /// 10,000. [`Store::api_entry_refs`]: all when `None`, else at most 10,000.
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: u32,
    /// Also count every match (Miniflux's `total`): one more query.
    pub with_total: bool,
}

/// One entry as an API shows it.
#[derive(Debug, Clone)]
pub struct ApiItem {
    /// The entry, its source as the user sees it, read and starred.
    pub item: RiverItem,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// When the user's state of it last changed (`created_at` if never).
    pub changed_at: DateTime<Utc>,
}

/// Entries of an [`ApiEntryQuery`].
#[derive(Debug, Clone, Default)]
pub struct ApiEntryPage {
    /// The entries, in the query's order.
    pub items: Vec<ApiItem>,
    /// Every match, when `with_total` was asked.
    pub total: Option<i64>,
}

/// An entry's id and the few fields id lists need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef {
    /// Entry id.
    pub id: EntryId,
    /// Its feed.
    pub feed_id: FeedId,
    /// Published time.
    pub published: DateTime<Utc>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Make an API password for `user`. `Invalid` for an empty description
    /// (or one over 200 characters); `NotFound` for an unknown user;
    /// `Conflict` if either hash is already in use.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn create_api_token(
        &self,
        user: UserId,
        description: &str,
        secret_hash: &str,
        fever_key: &str,
    ) -> StoreResult<ApiToken> {
        on_engine!(self, |db| engine::api::create_token(
            &db.writer,
            user,
            description,
            secret_hash,
            fever_key
        )
        .await)
    }

    /// The user's API passwords, newest first.
    pub async fn api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        on_engine!(self, |db| engine::api::tokens(&db.pool, user).await)
    }

    /// Delete one of the user's API passwords and every session it opened.
    /// `NotFound` unless it is the user's.
    #[instrument(skip_all, fields(user.id = %user, token.id = id))]
    pub async fn revoke_api_token(&self, user: UserId, id: i64) -> StoreResult<()> {
        on_engine!(self, |db| engine::api::revoke_token(&db.writer, user, id)
            .await)
    }

    /// The user and API password whose secret has this SHA-256 (hex).
    /// Records the use (`last_used_at`, at most one write a minute).
    pub async fn user_by_api_secret(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<(User, ApiToken)>> {
        on_engine!(self, |db| engine::api::by_secret(
            &db.pool,
            &db.writer,
            secret_hash
        )
        .await)
    }

    /// The user and API password with this Fever key (`md5("user:secret")`,
    /// hex; kept and compared in lower case).
    /// Records the use like [`Store::user_by_api_secret`].
    pub async fn user_by_fever_key(
        &self,
        fever_key: &str,
    ) -> StoreResult<Option<(User, ApiToken)>> {
        on_engine!(self, |db| engine::api::by_fever_key(
            &db.pool, &db.writer, fever_key
        )
        .await)
    }

    /// Start a session opened with an API password (Google Reader's
    /// `Auth=`): it ends when the password is revoked, and only
    /// [`Store::api_session`] finds it (never the UI's [`Store::session`]).
    /// Each API password keeps its 20 newest sessions: clients that sign
    /// in at every start do not pile them up.
    pub async fn create_api_session(
        &self,
        token: i64,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::api::create_session(
            &db.writer, token, token_hash, csrf_token, expires_at
        )
        .await)
    }

    /// The API session with this token hash if it has not expired at `now`.
    pub async fn api_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        on_engine!(self, |db| engine::api::session(&db.pool, token_hash, now)
            .await)
    }

    /// Entries of the user matching `query`, in its order, with the total if asked.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn api_entries(
        &self,
        user: UserId,
        query: &ApiEntryQuery,
    ) -> StoreResult<ApiEntryPage> {
        on_engine!(self, |db| engine::api::entries(&db.pool, user, query).await)
    }

    /// Like [`Store::api_entries`] but only ids and times: for id lists of
    /// tens of thousands (Fever's `unread_item_ids`, Google Reader's
    /// `stream/items/ids`). `with_total` is ignored.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn api_entry_refs(
        &self,
        user: UserId,
        query: &ApiEntryQuery,
    ) -> StoreResult<Vec<EntryRef>> {
        on_engine!(self, |db| engine::api::entry_refs(&db.pool, user, query)
            .await)
    }

    /// Star or unstar many entries in one transaction; ids the user cannot
    /// see are skipped. Returns how many changed.
    pub async fn set_starred_many(
        &self,
        user: UserId,
        entries: &[EntryId],
        starred: bool,
    ) -> StoreResult<u64> {
        on_engine!(self, |db| engine::api::set_starred_many(
            &db.writer, user, entries, starred
        )
        .await)
    }

    /// Every unread entry of the user, by id: Fever's `unread_item_ids`,
    /// asked at every sync. One statement that reads only indexes (no
    /// entry row) and hands back one JSON array, not 70,000 rows.
    pub async fn unread_ids(&self, user: UserId) -> StoreResult<Vec<EntryId>> {
        on_engine!(self, |db| engine::api::unread_ids(&db.pool, user).await)
    }

    /// Every starred entry of the user, by id (Fever's `saved_item_ids`).
    pub async fn starred_ids(&self, user: UserId) -> StoreResult<Vec<EntryId>> {
        on_engine!(self, |db| engine::api::starred_ids(&db.pool, user).await)
    }

    /// For each of the user's feeds with entries, when its newest entry
    /// (as the user sees it: before a pause) was stored. Google Reader's
    /// `newestItemTimestampUsec`; reads one entry row per feed.
    pub async fn newest_stored(&self, user: UserId) -> StoreResult<Vec<(FeedId, DateTime<Utc>)>> {
        on_engine!(self, |db| engine::api::newest_stored(&db.pool, user).await)
    }

    /// When any of the user's feeds was last fetched (Fever's
    /// `last_refreshed_on_time`); `None` before the first fetch.
    pub async fn last_refreshed(&self, user: UserId) -> StoreResult<Option<DateTime<Utc>>> {
        on_engine!(self, |db| engine::api::last_refreshed(&db.pool, user).await)
    }
}
