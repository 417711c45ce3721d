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
pub mod rules;
pub mod schedule;
mod subscribe;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;
use tracing::{debug, info, instrument, warn};
use tributary_fetch::{FetchError, Fetcher, Validators};
use tributary_model::{Feed, ScheduleHints};
use tributary_normalize::Options as NormalizeOptions;
use tributary_parse::{ParseError, ParseOptions};
use tributary_store::{FetchFailure, FetchSuccess, FetchUnchanged, Store, StoreError};
use tributary_websub::Subscriber;
use url::Url;

pub use daemon::{DaemonHandle, DaemonOptions, DaemonStatus};
pub use limits::{HostLimits, Permit};
pub use schedule::SchedulePolicy;
pub use subscribe::{AddOutcome, DiscoveredFeed, ImportReport, RefusedFeed};

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
    /// A page links to feeds, and none of them could be read: each link
    /// with its reason (a refused private address among them).
    #[error("{url} links to feeds, but none of them can be followed: {}", .failures.iter().map(|(link, reason)| format!("{link}: {reason}")).collect::<Vec<_>>().join("; "))]
    LinkedFeedsFailed {
        url: String,
        failures: Vec<(String, String)>,
    },
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
    pub schedule: SchedulePolicy,
    pub normalize: NormalizeOptions,
    /// Continuous failure after which a feed that used to work is marked
    /// `error` (until then it stays `ok`, backing off, its error visible).
    pub error_after: std::time::Duration,
    /// This process's name in fetch claims (unique among the workers on one
    /// database: `host:pid:random` by default).
    pub worker: String,
    /// How long a fetch claim holds if this worker dies before reporting
    /// back; longer than the slowest fetch (its total timeout) plus storing.
    pub lease: std::time::Duration,
}

/// A worker name unique among the processes on one database: the machine's
/// name, the process id and a random part (a restarted process with the
/// same pid is another worker).
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    let mut random = [0u8; 3];
    let _ = getrandom::getrandom(&mut random);
    format!(
        "{host}:{}:{:02x}{:02x}{:02x}",
        std::process::id(),
        random[0],
        random[1],
        random[2]
    )
}

impl Default for RefreshConfig {
    fn default() -> Self {
        RefreshConfig {
            concurrency: 32,
            per_host: 2,
            schedule: SchedulePolicy::default(),
            normalize: NormalizeOptions::default(),
            error_after: std::time::Duration::from_secs(3 * 24 * 60 * 60),
            worker: worker_name(),
            lease: DEFAULT_LEASE,
        }
    }
}

/// How long a fetch claim holds by default: five times the fetcher's
/// default total timeout (30 s), so only a dead worker's claims lapse.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(150);

/// What happened to one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// A body was fetched, parsed and stored.
    Fetched { new: usize, updated: usize },
    /// 304 Not Modified, or a 200 with the same body as last time.
    NotModified,
    /// The fetch, the parse or the store failed; the feed records why.
    Failed { code: String, message: String },
    /// Not fetched: another worker on the same database is fetching it.
    Skipped { reason: String },
}

/// Totals of a refresh run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshSummary {
    pub fetched: usize,
    pub not_modified: usize,
    pub failed: usize,
    pub new_entries: usize,
    pub updated_entries: usize,
    /// Feeds another worker was fetching.
    pub skipped: usize,
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
            FeedOutcome::Skipped { .. } => self.skipped += 1,
        }
    }
}

/// Called after every fetch with its outcome and how long it took (metrics,
/// hub pings). It runs on the fetching task: it must be quick and not block.
pub type FetchObserver = Arc<dyn Fn(&FeedOutcome, std::time::Duration) + Send + Sync>;

/// Runs feeds through the pipeline.
#[derive(Clone)]
pub struct Refresher {
    store: Store,
    fetcher: Fetcher,
    config: RefreshConfig,
    websub: Option<Subscriber>,
    observer: Option<FetchObserver>,
    /// Parses (CPU work) running at once: one per core.
    cpu: Arc<Semaphore>,
}

impl Refresher {
    pub fn new(store: Store, fetcher: Fetcher, config: RefreshConfig) -> Self {
        Refresher {
            store,
            fetcher,
            config,
            websub: None,
            observer: None,
            cpu: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        }
    }

    /// Subscribe at the WebSub hubs feeds advertise (when `subscriber` is
    /// enabled), and poll feeds whose hub pushes rarely.
    pub fn with_websub(mut self, subscriber: Subscriber) -> Self {
        self.websub = Some(subscriber).filter(Subscriber::is_enabled);
        self
    }

    /// Call `observer` after every fetch of [`Refresher::refresh_feed`]
    /// (and so of [`Refresher::refresh_many`] and the daemon) with its
    /// outcome and duration.
    pub fn with_observer(mut self, observer: FetchObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The WebSub subscriber, when WebSub is on.
    pub fn websub(&self) -> Option<&Subscriber> {
        self.websub.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// The concurrency, policy and worker name this refresher runs with.
    pub fn config(&self) -> &RefreshConfig {
        &self.config
    }

    /// Fetch, parse, normalize and store one feed. Never fails as a whole:
    /// every failure is recorded on the feed and returned as
    /// [`FeedOutcome::Failed`] (only a database failure while recording is
    /// also reported that way, with code `store_error`).
    #[instrument(skip_all, fields(feed.id = %feed.id, feed.url = %feed.url))]
    pub async fn refresh_feed(&self, feed: &Feed) -> FeedOutcome {
        let started = std::time::Instant::now();
        let now = Utc::now();
        let outcome = match self.try_refresh(feed, now).await {
            Ok(outcome) => outcome,
            Err(failure) => self.record_failure(feed, now, failure).await,
        };
        if let Some(observer) = &self.observer {
            observer(&outcome, started.elapsed());
        }
        outcome
    }

    /// Claim `feed` for this worker, then [`Refresher::refresh_feed`] it as
    /// stored now (another worker may have changed it). With `due_only`,
    /// a feed that is no longer due is left alone (`None`); a feed another
    /// worker holds is [`FeedOutcome::Skipped`]. While every fetch token of
    /// the feed's host is held by other workers, this waits for one.
    pub async fn refresh_claimed(&self, feed: &Feed, due_only: bool) -> Option<FeedOutcome> {
        let host = host_of(&feed.url);
        let claim = tributary_store::FetchClaim {
            worker: &self.config.worker,
            host: &host,
            per_host: self.config.per_host,
            lease: self.config.lease,
            due_only,
        };
        let mut wait = HOST_BUSY_WAIT;
        loop {
            match self.store.claim_fetch(feed.id, &claim, Utc::now()).await {
                Ok(tributary_store::Claim::Claimed(current)) => {
                    let outcome = Box::pin(self.refresh_feed(&current)).await;
                    if matches!(&outcome, FeedOutcome::Failed { code, .. } if code == STORE_ERROR || code == DISK_FULL)
                    {
                        // Nothing was stored, so the claim is still held: free it.
                        let _ = self.store.release_fetch(feed.id).await;
                    }
                    return Some(outcome);
                }
                Ok(tributary_store::Claim::HostBusy) => {
                    debug!(feed.id = %feed.id, host = %host, "host busy with other workers; waiting");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(HOST_BUSY_WAIT_MAX);
                }
                Ok(tributary_store::Claim::Taken { until }) => {
                    return Some(FeedOutcome::Skipped {
                        reason: format!(
                            "another worker is fetching it (its claim holds until {})",
                            until.format("%H:%M:%S UTC")
                        ),
                    })
                }
                Ok(tributary_store::Claim::NotDue { .. }) | Ok(tributary_store::Claim::Gone) => {
                    return None
                }
                Err(e) => return Some(store_failed(e)),
            }
        }
    }

    /// Record a failed attempt: back off, keep the feed `ok` while the run of
    /// failures is younger than `error_after` (it had worked before), else
    /// mark it `error`; 410 disables it.
    async fn record_failure(
        &self,
        feed: &Feed,
        now: DateTime<Utc>,
        failure: Failure,
    ) -> FeedOutcome {
        let error_count = feed.error_count + 1;
        let (next, reason) = self.next_after_failure(feed, now, error_count, failure.retry_after);
        let since = feed.failing_since.unwrap_or(now);
        let failing_for = (now - since).to_std().unwrap_or_default();
        let mark_error = feed.last_success_at.is_none() || failing_for >= self.config.error_after;
        let message = if failure.disable {
            format!(
                "{}; it was disabled on {}",
                failure.message,
                now.format("%Y-%m-%d")
            )
        } else if feed.failing_since.is_some() {
            format!(
                "{}; failing since {} ({} attempts)",
                failure.message,
                since.format("%Y-%m-%d %H:%M UTC"),
                error_count
            )
        } else {
            failure.message.clone()
        };
        let record = FetchFailure {
            fetched_at: now,
            next_fetch_at: next,
            next_fetch_reason: reason,
            code: failure.code.clone(),
            message: message.clone(),
            disable: failure.disable,
            mark_error,
        };
        warn!(code = %failure.code, error = %message, "feed failed");
        if let Err(e) = self.store.record_failure(feed.id, &record).await {
            return store_failed(e);
        }
        FeedOutcome::Failed {
            code: failure.code,
            message,
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
        let body_hash = response.body.as_deref().map(sha256_hex);
        let moved = response
            .moved_to
            .as_ref()
            .is_some_and(|m| m.as_str() != feed.url);
        // A 304, or a 200 with the very body parsed last time (servers that
        // send no validators): nothing to parse or store.
        let unchanged = response.body.is_none()
            || (!moved && body_hash.is_some() && body_hash == feed.body_hash);
        if unchanged {
            debug!(not_modified = response.body.is_none(), "unchanged");
            let push = self.push_active(feed, now).await;
            let (next, reason) =
                self.next_after_success(feed, now, &feed.schedule_hints, &response.cache, push);
            self.store
                .record_not_modified(
                    feed.id,
                    FetchUnchanged {
                        fetched_at: now,
                        next_fetch_at: next,
                        next_fetch_reason: reason,
                        etag: response.validators.etag.clone(),
                        last_modified: response.validators.last_modified.clone(),
                        // A 301 that ends in a 304 still moves the feed.
                        moved_to: response
                            .moved_to
                            .as_ref()
                            .map(Url::to_string)
                            .filter(|m| *m != feed.url),
                    },
                )
                .await
                .map_err(Failure::from_store)?;
            return Ok(FeedOutcome::NotModified);
        }

        let mut doc = self.read_document(&response, now).await?;
        let mut moved_to = response.moved_to.clone();
        let mut validators = response.validators.clone();
        let mut cache = response.cache.clone();
        let mut body_hash = body_hash;
        let mut notes: Vec<String> = doc.note.take().into_iter().collect();

        // The explicit in-feed move signal: followed only when the new
        // address answers with a feed, and then the new document is stored.
        if let Some(target) = self.move_target(feed, &response.final_url, &doc) {
            match self.fetch_document(&target, now).await {
                Ok((new_response, new_doc)) => {
                    info!(to = %target, "itunes:new-feed-url answered with a feed; moving");
                    // The address named, or where it moved for good (not where a
                    // temporary redirect happened to point).
                    moved_to = Some(new_response.moved_to.clone().unwrap_or(target.clone()));
                    validators = new_response.validators.clone();
                    cache = new_response.cache.clone();
                    body_hash = new_response.body.as_deref().map(sha256_hex);
                    notes = new_doc.note.iter().cloned().collect();
                    doc = new_doc;
                }
                Err(failure) => {
                    warn!(to = %target, error = %failure.message, "itunes:new-feed-url not followed");
                    notes.push(format!(
                        "the feed says it moved to {target} (itunes:new-feed-url), but that \
                         address did not answer with a feed ({}); staying here",
                        failure.message
                    ));
                }
            }
        }

        let hints = self.schedule_hints(&doc, &feed.schedule_hints);
        let push = self.push_active(feed, now).await;
        let (next, reason) = self.next_after_success(feed, now, &hints, &cache, push);
        let hub_links = std::mem::take(&mut doc.links);
        let moved_to = moved_to.map(|u| u.to_string()).filter(|m| *m != feed.url);
        if let Some(to) = &moved_to {
            info!(to = %to, "feed moved permanently");
        }
        let success = FetchSuccess {
            fetched_at: now,
            next_fetch_at: next,
            next_fetch_reason: reason,
            schedule_hints: hints,
            status_note: (!notes.is_empty()).then(|| notes.join("; ")),
            body_hash,
            moved_to,
            etag: validators.etag,
            last_modified: validators.last_modified,
            meta: doc.normalized.meta,
            entries: doc.normalized.entries,
        };
        let report = self
            .store
            .record_success(feed.id, success)
            .await
            .map_err(Failure::from_store)?;
        debug!(new = report.new, updated = report.updated, "stored");
        rules::apply_to_new(&self.store, feed.id, &report.new_ids).await;
        self.subscribe_at_hub(feed, &hub_links, &response.link_headers)
            .await;
        Ok(FeedOutcome::Fetched {
            new: report.new,
            updated: report.updated,
        })
    }

    /// True when a WebSub hub pushes this feed's updates (so polling is a
    /// safety net only). A database error counts as "no".
    async fn push_active(&self, feed: &Feed, now: DateTime<Utc>) -> bool {
        if self.websub.is_none() {
            return false;
        }
        self.store
            .websub_active(feed.id, now)
            .await
            .unwrap_or(false)
    }

    /// Ask the hub the feed (or its response's `Link` headers) names to push
    /// updates. Idempotent: nothing is sent while a subscription to the
    /// same hub and topic is active or waiting for verification. A hub that
    /// fails is logged and recorded on the subscription, never on the feed.
    async fn subscribe_at_hub(
        &self,
        feed: &Feed,
        document_links: &[(String, String)],
        header_links: &[(String, String)],
    ) {
        let Some(subscriber) = &self.websub else {
            return;
        };
        let Some(advert) =
            tributary_websub::discover(&borrowed(document_links), &borrowed(header_links))
        else {
            return;
        };
        match subscriber.subscribe(feed.id, &advert).await {
            Ok(outcome) => debug!(?outcome, topic = %advert.topic, "websub"),
            Err(e) => warn!(error = %e, topic = %advert.topic, "websub subscription failed"),
        }
    }

    /// Store a body a WebSub hub pushed for `feed_id` (its signature
    /// checked): parse, normalize and upsert its entries like a fetch,
    /// keeping the feed's validators, and reschedule the safety-net poll.
    pub async fn ingest_push(
        &self,
        feed_id: tributary_model::FeedId,
        body: bytes::Bytes,
        content_type: Option<String>,
    ) -> Result<tributary_store::UpsertReport, String> {
        let now = Utc::now();
        let feed = self
            .store
            .feed_by_id(feed_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("feed {feed_id} no longer exists"))?;
        let url = Url::parse(&feed.url).map_err(|e| format!("{}: {e}", feed.url))?;
        let response = tributary_fetch::Response {
            final_url: url,
            moved_to: None,
            body: Some(body),
            content_type,
            validators: Validators::default(),
            cache: Default::default(),
            content_language: None,
            content_location: None,
            truncated: false,
            link_headers: Vec::new(),
        };
        let doc = self
            .read_document(&response, now)
            .await
            .map_err(|f| f.message)?;
        let hints = self.schedule_hints(&doc, &feed.schedule_hints);
        let (next, reason) = self.next_after_success(&feed, now, &hints, &Default::default(), true);
        let success = FetchSuccess {
            fetched_at: now,
            next_fetch_at: next,
            next_fetch_reason: reason,
            schedule_hints: hints,
            status_note: feed.status_note.clone(),
            // The pushed body is not what a poll returns: keep the poll's.
            body_hash: feed.body_hash.clone(),
            moved_to: None,
            etag: feed.etag.clone(),
            last_modified: feed.last_modified.clone(),
            meta: doc.normalized.meta,
            entries: doc.normalized.entries,
        };
        let report = self
            .store
            .record_success(feed.id, success)
            .await
            .map_err(|e| e.to_string())?;
        info!(feed.id = %feed.id, new = report.new, updated = report.updated, "websub push stored");
        rules::apply_to_new(&self.store, feed.id, &report.new_ids).await;
        Ok(report)
    }

    /// Where `itunes:new-feed-url` says the feed went, when that is a new
    /// http(s) address: not the current one, not the one that just answered,
    /// and not one the feed has already left (no ping-pong between two feeds
    /// that name each other).
    fn move_target(&self, feed: &Feed, answered: &Url, doc: &Document) -> Option<Url> {
        let raw = doc.normalized.meta.new_feed_url.as_deref()?;
        let target = tributary_fetch::parse_http_url(raw).ok()?;
        let same = |u: &str| u == target.as_str();
        if same(&feed.url) || same(answered.as_str()) || feed.previous_urls.iter().any(|p| same(p))
        {
            return None;
        }
        Some(target)
    }

    /// Fetch `url` without validators and read it as a feed document.
    async fn fetch_document(
        &self,
        url: &Url,
        now: DateTime<Utc>,
    ) -> Result<(tributary_fetch::Response, Document), Failure> {
        let response = self
            .fetcher
            .fetch(url, &Validators::default())
            .await
            .map_err(Failure::from_fetch)?;
        let doc = self.read_document(&response, now).await?;
        Ok((response, doc))
    }

    /// Parse and normalize a response's body, on the blocking pool: that is
    /// the CPU work of a refresh, and run inline it would serialize every
    /// feed behind the one thread that polls them (and delay the store's
    /// round trips of the others). A panic there fails this feed only.
    async fn read_document(
        &self,
        response: &tributary_fetch::Response,
        now: DateTime<Utc>,
    ) -> Result<Document, Failure> {
        let input = DocumentInput {
            body: response.body.clone().unwrap_or_default(),
            content_type: response.content_type.clone(),
            url: response.final_url.clone(),
            content_language: response.content_language.clone(),
            content_location: response.content_location.clone(),
            truncated: response.truncated,
            max_body_bytes: self.fetcher.config().max_body_bytes,
            normalize: self.config.normalize.clone(),
            now,
        };
        // As many parses at once as there are cores: more would only add
        // threads (and their allocator arenas) without adding throughput.
        let _permit = self.cpu.acquire().await;
        tokio::task::spawn_blocking(move || input.read())
            .await
            .unwrap_or_else(|e| {
                Err(Failure {
                    code: "internal_error".to_string(),
                    message: format!("reading the feed stopped unexpectedly: {e}"),
                    retry_after: None,
                    disable: false,
                })
            })
    }

    /// Schedule hints of a fresh document: its ttl and skip rules, and the
    /// posting rate seen in the dates it gives (earlier observations kept
    /// when it gives too few).
    fn schedule_hints(&self, doc: &Document, previous: &ScheduleHints) -> ScheduleHints {
        let dates: Vec<DateTime<Utc>> = doc
            .normalized
            .entries
            .iter()
            .filter(|e| e.published_from_feed)
            .map(|e| e.published)
            .collect();
        SchedulePolicy::hints(&doc.normalized.meta, &dates, previous)
    }

    fn next_after_success(
        &self,
        feed: &Feed,
        now: DateTime<Utc>,
        hints: &ScheduleHints,
        cache: &tributary_fetch::CacheHints,
        push: bool,
    ) -> (DateTime<Utc>, String) {
        let next = self
            .config
            .schedule
            .after_success(now, feed.id.0, hints, cache, push);
        let next = SchedulePolicy::within_bounds(
            now,
            next,
            feed.min_interval_secs,
            feed.max_interval_secs,
        );
        (next.at, next.reason)
    }

    fn next_after_failure(
        &self,
        feed: &Feed,
        now: DateTime<Utc>,
        error_count: i64,
        retry_after: Option<std::time::Duration>,
    ) -> (DateTime<Utc>, String) {
        let next = self
            .config
            .schedule
            .after_failure(now, feed.id.0, error_count, retry_after);
        let next = SchedulePolicy::within_bounds(
            now,
            next,
            feed.min_interval_secs,
            feed.max_interval_secs,
        );
        (next.at, next.reason)
    }

    /// Refresh many feeds concurrently (global and per-host limits), calling
    /// `on_done` after each one. Each feed is claimed first
    /// ([`Refresher::refresh_claimed`]), so a feed that another worker on
    /// the same database is fetching is skipped. Feeds are interleaved by host so that one
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
                let outcome = Box::pin(self.refresh_claimed(&feed, false))
                    .await
                    .unwrap_or(FeedOutcome::Skipped {
                        reason: "it is gone".to_owned(),
                    });
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

/// How long a fetch waits first when other workers hold every token of its
/// host, doubling up to [`HOST_BUSY_WAIT_MAX`].
pub(crate) const HOST_BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(100);
pub(crate) const HOST_BUSY_WAIT_MAX: std::time::Duration = std::time::Duration::from_secs(2);

/// A fetched document, parsed and normalized, with a remark for the feed's status.
struct Document {
    normalized: tributary_normalize::NormalizedFeed,
    note: Option<String>,
    /// The feed's `hub` and `self` links (WebSub discovery), as (rel, href).
    links: Vec<(String, String)>,
}

/// `20 MiB`, `512 KiB`, `900 bytes`.
fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n & (MIB - 1) == 0 {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n & (KIB - 1) == 0 {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// What parsing and normalizing one body needs, owned (it runs on another thread).
struct DocumentInput {
    body: bytes::Bytes,
    content_type: Option<String>,
    url: Url,
    content_language: Option<String>,
    content_location: Option<String>,
    truncated: bool,
    max_body_bytes: u64,
    normalize: NormalizeOptions,
    now: DateTime<Utc>,
}

impl DocumentInput {
    fn read(self) -> Result<Document, Failure> {
        let parsed = tributary_parse::parse(
            &self.body,
            &ParseOptions {
                content_type: self.content_type.as_deref(),
                url: Some(&self.url),
                content_language: self.content_language.as_deref(),
                content_location: self.content_location.as_deref(),
            },
        )
        .map_err(|e| Failure {
            code: e.code().to_string(),
            message: e.to_string(),
            retry_after: None,
            disable: false,
        })?;
        let normalized =
            tributary_normalize::normalize(&parsed, &self.url, self.now, &self.normalize);
        // A body cut at the size cap still gives the complete entries before
        // the cut (feeds list the newest first); without one it is a failure.
        let note = if self.truncated {
            let limit = human_bytes(self.max_body_bytes);
            if normalized.entries.is_empty() {
                return Err(Failure {
                    code: "body_too_large".to_string(),
                    message: format!(
                        "the feed at {} is larger than {limit} (fetch.max_body_size) and no \
                         complete entry fits in that much",
                        self.url
                    ),
                    retry_after: None,
                    disable: false,
                });
            }
            Some(format!(
                "the feed is larger than {limit} (fetch.max_body_size); kept its first {} \
                 entries",
                normalized.entries.len()
            ))
        } else {
            None
        };
        let links = parsed
            .links
            .iter()
            .filter(|l| l.rel == "hub" || l.rel == "self")
            .map(|l| (l.rel.clone(), l.href.clone()))
            .collect();
        Ok(Document {
            normalized,
            note,
            links,
        })
    }
}

/// `(rel, href)` pairs as the borrowed form `discover` takes.
fn borrowed(links: &[(String, String)]) -> Vec<(&str, &str)> {
    links
        .iter()
        .map(|(r, h)| (r.as_str(), h.as_str()))
        .collect()
}

/// SHA-256 of a body, hex.
fn sha256_hex(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(body))
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
            code: store_code(&e).to_string(),
            message: e.to_string(),
            retry_after: None,
            disable: false,
        }
    }
}

/// The code of a failure to store: [`DISK_FULL`] or [`STORE_ERROR`].
fn store_code(e: &StoreError) -> &'static str {
    if e.is_full() {
        DISK_FULL
    } else {
        STORE_ERROR
    }
}

/// [`FeedOutcome::Failed`] code: the database did not take the outcome.
pub const STORE_ERROR: &str = "store_error";
/// [`FeedOutcome::Failed`] code: the disk holding the database is full, so
/// the outcome was not stored (nor can the failure be recorded).
pub const DISK_FULL: &str = "disk_full";

fn store_failed(e: StoreError) -> FeedOutcome {
    warn!(error = %e, "could not record the feed's outcome");
    FeedOutcome::Failed {
        code: store_code(&e).to_string(),
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

impl tributary_websub::PushSink for Refresher {
    async fn deliver(
        &self,
        feed: tributary_model::FeedId,
        body: bytes::Bytes,
        content_type: Option<String>,
    ) -> Result<(), String> {
        self.ingest_push(feed, body, content_type).await.map(|_| ())
    }
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

    /// The observer sees every fetch with its outcome: a stored body, then
    /// the same body again (unchanged), then a server error.
    #[tokio::test]
    async fn the_observer_is_called_after_every_fetch_with_its_outcome() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Mutex;

        let body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
                    <link>https://blog.example/</link><item><guid>g1</guid><title>One</title>\
                    <link>https://blog.example/1</link></item></channel></rss>";
        let fail = Arc::new(AtomicBool::new(false));
        let fail_app = fail.clone();
        let app = axum::Router::new().fallback(move || {
            let fail = fail_app.clone();
            async move {
                if fail.load(Ordering::SeqCst) {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new())
                } else {
                    (axum::http::StatusCode::OK, body.to_owned())
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let fetcher = Fetcher::new(tributary_fetch::FetchConfig {
            allow_private_networks: true,
            ..Default::default()
        })
        .unwrap();
        let seen: Arc<Mutex<Vec<FeedOutcome>>> = Arc::default();
        let record = seen.clone();
        let refresher = Refresher::new(store.clone(), fetcher, RefreshConfig::default())
            .with_observer(Arc::new(move |outcome, elapsed| {
                assert!(elapsed < std::time::Duration::from_secs(60));
                record.lock().unwrap().push(outcome.clone());
            }));
        let me = store.default_user().await.unwrap();
        let url = format!("http://{addr}/f.xml");
        store
            .subscribe(
                me,
                &[tributary_store::NewSubscription {
                    url: url.clone(),
                    ..Default::default()
                }],
            )
            .await
            .unwrap();
        let current = || async {
            store
                .feeds_to_fetch(&tributary_store::FeedSelector::Urls(vec![url.clone()]))
                .await
                .unwrap()
                .remove(0)
        };
        let first = refresher.refresh_feed(&current().await).await;
        let second = refresher.refresh_feed(&current().await).await;
        fail.store(true, Ordering::SeqCst);
        let third = refresher.refresh_feed(&current().await).await;
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, vec![first.clone(), second.clone(), third.clone()]);
        assert_eq!(first, FeedOutcome::Fetched { new: 1, updated: 0 });
        assert_eq!(second, FeedOutcome::NotModified);
        assert!(matches!(third, FeedOutcome::Failed { .. }), "{third:?}");
    }
}
