//! Full article content (docs/ARTICLES.md): each subscription's full-content
//! mode, the extracted article of an entry stored beside the feed's own
//! content (with its fetch time, last error and retry time), and the
//! admin-managed per-site extraction rules.
//!
//! The article of an entry is shared by every subscriber of its feed, like
//! the entry; whether a user is shown it is their subscription's mode.

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{EntryId, FeedId, UserId};

use crate::{on_engine, Store, StoreError, StoreResult};

/// Whether the articles of a subscription's entries are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FullContent {
    /// Never (the feed's own content only).
    Off,
    /// For every entry with a link.
    On,
    /// For entries that look truncated (an excerpt).
    Auto,
}

impl FullContent {
    /// The stored (and configured) name: `off`, `on`, `auto`.
    pub fn as_str(self) -> &'static str {
        match self {
            FullContent::Off => "off",
            FullContent::On => "on",
            FullContent::Auto => "auto",
        }
    }

    /// The mode named `s` (`off`, `on`, `auto`; case-insensitive), if any.
    pub fn parse(s: &str) -> Option<FullContent> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Some(FullContent::Off),
            "on" => Some(FullContent::On),
            "auto" => Some(FullContent::Auto),
            _ => None,
        }
    }
}

/// Where an entry's article is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleStatus {
    /// Extracted and stored.
    Ok,
    /// The last attempt failed (see the error); retried later.
    Failed,
    /// `auto` judged the entry complete: nothing fetched.
    Skipped,
}

impl ArticleStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Ok => "ok",
            ArticleStatus::Failed => "failed",
            ArticleStatus::Skipped => "skipped",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<ArticleStatus> {
        match s {
            "ok" => Some(ArticleStatus::Ok),
            "failed" => Some(ArticleStatus::Failed),
            "skipped" => Some(ArticleStatus::Skipped),
            _ => None,
        }
    }
}

/// An entry's article as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryArticle {
    /// The entry.
    pub entry_id: EntryId,
    /// Where it is.
    pub status: ArticleStatus,
    /// The page it was (to be) fetched from.
    pub url: Option<String>,
    /// The sanitized article HTML (`Ok` only; kept through a later failure).
    pub content_html: Option<String>,
    /// When the article was last fetched successfully.
    pub fetched_at: Option<DateTime<Utc>>,
    /// When it was last attempted (or skipped).
    pub attempted_at: DateTime<Utc>,
    /// Failed attempts in a row (0 after a success).
    pub attempts: u32,
    /// When a failed article is tried again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Stable code of that error (`address_blocked`, `body_too_large`, `no_article` …).
    pub last_error_code: Option<String>,
}

/// An entry whose article the worker should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleCandidate {
    /// The entry.
    pub entry_id: EntryId,
    /// Its link.
    pub url: String,
    /// The feed's content, for the truncation detector.
    pub content_html: Option<String>,
    /// The feed's summary, for the truncation detector.
    pub summary_html: Option<String>,
    /// Some subscriber's mode is `on` (fetch whatever the detector says).
    pub forced: bool,
    /// Failed attempts so far (for the backoff).
    pub attempts: u32,
}

/// What the worker asks for: entries whose article nobody looked at yet,
/// or whose failed attempt is due again.
#[derive(Debug, Clone)]
pub struct CandidateQuery {
    /// The mode of subscriptions that chose none (`[articles] default`).
    pub default: FullContent,
    /// Now (failed attempts due at or before it are retried).
    pub now: DateTime<Utc>,
    /// Only entries stored at or after this time (older ones are left alone).
    pub since: DateTime<Utc>,
    /// Failed attempts after which an entry is given up.
    pub max_attempts: u32,
    /// At most this many.
    pub limit: u32,
}

/// A per-site extraction rule as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSite {
    /// Lower-case host.
    pub host: String,
    /// CSS selector of the article.
    pub content_selector: String,
    /// CSS selectors of elements dropped first.
    pub remove_selectors: Vec<String>,
    /// When the rule was (last) saved.
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Set `user`'s full-content mode of their subscription to `feed`
    /// (`None`: follow the server's default). `NotFound` when they do not follow it.
    #[instrument(skip_all, fields(user.id = %user, feed.id = %feed))]
    pub async fn set_full_content(
        &self,
        user: UserId,
        feed: FeedId,
        mode: Option<FullContent>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::articles::set_mode(
            &db.writer, user, feed, mode
        )
        .await)
    }

    /// `user`'s full-content mode of their subscription to `feed` (`None`:
    /// the default). `NotFound` when they do not follow it.
    #[instrument(skip_all, fields(user.id = %user, feed.id = %feed))]
    pub async fn full_content(
        &self,
        user: UserId,
        feed: FeedId,
    ) -> StoreResult<Option<FullContent>> {
        on_engine!(self, |db| engine::articles::mode(&db.pool, user, feed)
            .await)
    }

    /// Entries the article worker should look at, newest first: linked,
    /// stored since `query.since`, followed by someone whose mode (or the
    /// default) is `on` or `auto`, and either never looked at, failed and
    /// due again (fewer than `max_attempts` failures), or skipped by `auto`
    /// while someone's mode is now `on`.
    #[instrument(skip_all)]
    pub async fn article_candidates(
        &self,
        query: &CandidateQuery,
    ) -> StoreResult<Vec<ArticleCandidate>> {
        on_engine!(self, |db| engine::articles::candidates(&db.pool, query)
            .await)
    }

    /// The stored article of `entry`, if any.
    #[instrument(skip_all, fields(entry.id = %entry))]
    pub async fn entry_article(&self, entry: EntryId) -> StoreResult<Option<EntryArticle>> {
        on_engine!(self, |db| engine::articles::get(&db.pool, entry).await)
    }

    /// The stored articles among `entries` that `user` is shown: those of
    /// entries in feeds whose mode for them (or `default`) is not `off`.
    /// Entries of feeds they do not follow are left out.
    #[instrument(skip_all, fields(user.id = %user, entries = entries.len()))]
    pub async fn articles_shown(
        &self,
        user: UserId,
        entries: &[EntryId],
        default: FullContent,
    ) -> StoreResult<std::collections::HashMap<EntryId, String>> {
        if entries.is_empty() {
            return Ok(Default::default());
        }
        on_engine!(self, |db| engine::articles::shown(
            &db.pool, user, entries, default
        )
        .await)
    }

    /// Store `entry`'s extracted (sanitized) article, fetched from `url` at `now`.
    #[instrument(skip_all, fields(entry.id = %entry))]
    pub async fn record_article(
        &self,
        entry: EntryId,
        url: &str,
        content_html: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::articles::record_ok(
            &db.writer,
            entry,
            url,
            content_html,
            now
        )
        .await)
    }

    /// Store a failed attempt at `entry`'s article: one more failure, the
    /// error, and when to try again. An article stored earlier is kept.
    #[instrument(skip_all, fields(entry.id = %entry, code))]
    pub async fn record_article_failure(
        &self,
        entry: EntryId,
        url: &str,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::articles::record_failed(
            &db.writer,
            entry,
            url,
            code,
            message,
            now,
            next_attempt_at
        )
        .await)
    }

    /// Note that `auto` judged `entry` complete (nothing fetched).
    #[instrument(skip_all, fields(entry.id = %entry))]
    pub async fn record_article_skipped(
        &self,
        entry: EntryId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::articles::record_skipped(
            &db.writer, entry, now
        )
        .await)
    }

    /// Add or replace the extraction rule of `site.host`.
    #[instrument(skip_all, fields(host = %site.host))]
    pub async fn put_article_site(&self, site: &ArticleSite) -> StoreResult<()> {
        if site.host.is_empty() || site.content_selector.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a site rule needs a host and a content selector".into(),
            ));
        }
        on_engine!(self, |db| engine::articles::put_site(&db.writer, site)
            .await)
    }

    /// Every site rule, by host.
    #[instrument(skip_all)]
    pub async fn article_sites(&self) -> StoreResult<Vec<ArticleSite>> {
        on_engine!(self, |db| engine::articles::sites(&db.pool).await)
    }

    /// The rule of `host` (lower case), if any.
    #[instrument(skip_all)]
    pub async fn article_site(&self, host: &str) -> StoreResult<Option<ArticleSite>> {
        on_engine!(self, |db| engine::articles::site(&db.pool, host).await)
    }

    /// Remove the rule of `host`. `NotFound` when there is none.
    #[instrument(skip_all)]
    pub async fn remove_article_site(&self, host: &str) -> StoreResult<()> {
        on_engine!(self, |db| engine::articles::remove_site(&db.writer, host)
            .await)
    }
}

/// Split stored remove-selectors (one per line).
pub(crate) fn split_selectors(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
