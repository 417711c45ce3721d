//! Orchestration: the only crate that knows every stage.
//!
//! * [`Refresher::refresh_feed`] runs one feed through fetch → parse →
//!   normalize → store and records the outcome in one transaction.
//! * [`Refresher::refresh_many`] does that for many feeds concurrently, with a
//!   global limit and a per-host limit.
//! * [`Refresher::add`] subscribes to a feed URL or a page that links to feeds
//!   (discovery); [`Refresher::import_opml`] subscribes to an OPML list.
//! * [`schedule`] decides when a feed is fetched next.

pub mod daemon;
pub mod limits;
pub mod schedule;
mod subscribe;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use tracing::{debug, info, instrument, warn};
use tributary_fetch::{FetchError, Fetcher, Validators};
use tributary_model::Feed;
use tributary_normalize::Options as NormalizeOptions;
use tributary_parse::{ParseError, ParseOptions};
use tributary_store::{FetchFailure, FetchSuccess, Store, StoreError};
use url::Url;

pub use daemon::{DaemonHandle, DaemonOptions, DaemonStatus};
pub use limits::{HostLimits, Permit};
pub use schedule::SchedulePolicy;
pub use subscribe::{AddOutcome, ImportReport, RefusedFeed};

/// Why a refresh-side operation failed as a whole (per-feed failures are
/// [`FeedOutcome::Failed`], not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: ParseError,
    },
    #[error("{url} is neither a feed nor a page that links to one")]
    NoFeedFound { url: String },
    #[error("{path}: {source}")]
    Opml {
        path: String,
        #[source]
        source: tributary_parse::opml::OpmlError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Concurrency and policy of a [`Refresher`].
#[derive(Debug, Clone)]
pub struct RefreshConfig {
    /// Feeds fetched at once, overall.
    pub concurrency: usize,
    /// Feeds fetched at once from one host.
    pub per_host: usize,
    /// Continuous failure after which a feed is marked `error`; until then
    /// it keeps status `ok` while backing off.
    pub error_after: std::time::Duration,
    pub schedule: SchedulePolicy,
    pub normalize: NormalizeOptions,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        RefreshConfig {
            concurrency: 32,
            per_host: 4,
            error_after: std::time::Duration::from_secs(3 * 24 * 60 * 60),
            schedule: SchedulePolicy::default(),
            normalize: NormalizeOptions::default(),
        }
    }
}

/// What happened to one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// A body was fetched, parsed and stored.
    Fetched { new: usize, updated: usize },
    /// 304 Not Modified.
    NotModified,
    /// The fetch, the parse or the store failed; the feed records why.
    Failed { code: String, message: String },
}

/// Totals of a refresh run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshSummary {
    pub fetched: usize,
    pub not_modified: usize,
    pub failed: usize,
    pub new_entries: usize,
    pub updated_entries: usize,
}

impl RefreshSummary {
    fn add(&mut self, outcome: &FeedOutcome) {
        match outcome {
            FeedOutcome::Fetched { new, updated } => {
                self.fetched += 1;
                self.new_entries += new;
                self.updated_entries += updated;
            }
            FeedOutcome::NotModified => self.not_modified += 1,
            FeedOutcome::Failed { .. } => self.failed += 1,
        }
    }
}

/// Runs feeds through the pipeline.
#[derive(Clone)]
pub struct Refresher {
    store: Store,
    fetcher: Fetcher,
    config: RefreshConfig,
}

impl Refresher {
    pub fn new(store: Store, fetcher: Fetcher, config: RefreshConfig) -> Self {
        Refresher {
            store,
            fetcher,
            config,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Fetch, parse, normalize and store one feed. Never fails as a whole:
    /// every failure is recorded on the feed and returned as
    /// [`FeedOutcome::Failed`] (only a database failure while recording is
    /// also reported that way, with code `store_error`).
    #[instrument(skip_all, fields(feed.id = %feed.id, feed.url = %feed.url))]
    pub async fn refresh_feed(&self, feed: &Feed) -> FeedOutcome {
        let now = Utc::now();
        let outcome = self.try_refresh(feed, now).await;
        match outcome {
            Ok(outcome) => outcome,
            Err(failure) => {
                let error_count = feed.error_count + 1;
                let next =
                    self.config
                        .schedule
                        .next_after_failure(now, error_count, failure.retry_after);
                let record = FetchFailure {
                    fetched_at: now,
                    next_fetch_at: next,
                    code: failure.code.clone(),
                    message: failure.message.clone(),
                    disable: failure.disable,
                };
                warn!(code = %failure.code, error = %failure.message, "feed failed");
                if let Err(e) = self.store.record_failure(feed.id, &record).await {
                    return store_failed(e);
                }
                FeedOutcome::Failed {
                    code: failure.code,
                    message: failure.message,
                }
            }
        }
    }

    async fn try_refresh(&self, feed: &Feed, now: DateTime<Utc>) -> Result<FeedOutcome, Failure> {
        let url = tributary_fetch::parse_http_url(&feed.url).map_err(Failure::from_fetch)?;
        let validators = Validators {
            etag: feed.etag.clone(),
            last_modified: feed.last_modified.clone(),
        };
        let response = self
            .fetcher
            .fetch(&url, &validators)
            .await
            .map_err(Failure::from_fetch)?;
        let next = self
            .config
            .schedule
            .next_after_success(now, None, &response.cache);
        let Some(body) = response.body.as_ref() else {
            debug!("not modified");
            self.store
                .record_not_modified(feed.id, now, next)
                .await
                .map_err(Failure::from_store)?;
            return Ok(FeedOutcome::NotModified);
        };
        let parsed = tributary_parse::parse(
            body,
            &ParseOptions {
                content_type: response.content_type.as_deref(),
                url: Some(&response.final_url),
                content_language: response.content_language.as_deref(),
                content_location: response.content_location.as_deref(),
            },
        )
        .map_err(|e| Failure {
            code: e.code().to_string(),
            message: e.to_string(),
            retry_after: None,
            disable: false,
        })?;
        let normalized = tributary_normalize::normalize(
            &parsed,
            &response.final_url,
            now,
            &self.config.normalize,
        );
        let next = self.config.schedule.next_after_success(
            now,
            normalized.meta.ttl_minutes,
            &response.cache,
        );
        let moved_to = response
            .moved_to
            .as_ref()
            .map(Url::to_string)
            .filter(|m| *m != feed.url);
        if let Some(to) = &moved_to {
            info!(to = %to, "feed moved permanently");
        }
        let success = FetchSuccess {
            fetched_at: now,
            next_fetch_at: next,
            moved_to,
            etag: response.validators.etag.clone(),
            last_modified: response.validators.last_modified.clone(),
            meta: normalized.meta,
            entries: normalized.entries,
        };
        let report = self
            .store
            .record_success(feed.id, &success)
            .await
            .map_err(Failure::from_store)?;
        debug!(new = report.new, updated = report.updated, "stored");
        Ok(FeedOutcome::Fetched {
            new: report.new,
            updated: report.updated,
        })
    }

    /// Refresh many feeds concurrently (global and per-host limits), calling
    /// `on_done` after each one. Feeds are interleaved by host so that one
    /// busy host does not hold every slot.
    pub async fn refresh_many<F>(&self, feeds: Vec<Feed>, on_done: F) -> RefreshSummary
    where
        F: Fn(&Feed, &FeedOutcome) + Send + Sync,
    {
        let limits = HostLimits::new(self.config.concurrency, self.config.per_host);
        let on_done = &on_done;
        let limits = &limits;
        // Every feed queues for its slots at once, in interleaved order (the
        // semaphores are fair); a feed waiting for a busy host holds no
        // global slot. The pipeline future is boxed so waiting feeds stay small.
        let mut results: FuturesUnordered<_> = interleave_by_host(feeds)
            .into_iter()
            .map(|feed| async move {
                let _permit = limits.acquire(&host_of(&feed.url)).await;
                let outcome = Box::pin(self.refresh_feed(&feed)).await;
                on_done(&feed, &outcome);
                outcome
            })
            .collect();
        let mut summary = RefreshSummary::default();
        while let Some(outcome) = results.next().await {
            summary.add(&outcome);
        }
        summary
    }
}

/// A per-feed failure on its way to the store.
struct Failure {
    code: String,
    message: String,
    retry_after: Option<std::time::Duration>,
    disable: bool,
}

impl Failure {
    fn from_fetch(e: FetchError) -> Self {
        Failure {
            code: e.code().to_string(),
            disable: matches!(e, FetchError::Gone { .. }),
            retry_after: e.retry_after(),
            message: e.to_string(),
        }
    }

    fn from_store(e: StoreError) -> Self {
        Failure {
            code: "store_error".to_string(),
            message: e.to_string(),
            retry_after: None,
            disable: false,
        }
    }
}

fn store_failed(e: StoreError) -> FeedOutcome {
    warn!(error = %e, "could not record the feed's outcome");
    FeedOutcome::Failed {
        code: "store_error".to_string(),
        message: e.to_string(),
    }
}

fn host_of(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default()
}

/// Round-robin over hosts: a, b, c, a, b, a …
fn interleave_by_host(feeds: Vec<Feed>) -> Vec<Feed> {
    let mut order: Vec<String> = Vec::new();
    let mut by_host: HashMap<String, std::collections::VecDeque<Feed>> = HashMap::new();
    for feed in feeds {
        let host = host_of(&feed.url);
        if !by_host.contains_key(&host) {
            order.push(host.clone());
        }
        by_host.entry(host).or_default().push_back(feed);
    }
    let mut out = Vec::new();
    loop {
        let mut any = false;
        for host in &order {
            if let Some(feed) = by_host.get_mut(host).and_then(|q| q.pop_front()) {
                out.push(feed);
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_model::FeedId;

    fn feed(id: i64, url: &str) -> Feed {
        Feed::new(FeedId(id), url)
    }

    #[test]
    fn interleaves_hosts_round_robin_keeping_order_within_a_host() {
        let feeds = vec![
            feed(1, "http://a.example/1"),
            feed(2, "http://a.example/2"),
            feed(3, "http://a.example/3"),
            feed(4, "http://b.example/1"),
            feed(5, "http://c.example/1"),
            feed(6, "http://B.example/2"),
        ];
        let ids: Vec<i64> = interleave_by_host(feeds).iter().map(|f| f.id.0).collect();
        assert_eq!(ids, vec![1, 4, 5, 2, 6, 3]);
    }
}
