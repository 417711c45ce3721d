//! Continuous fetching: every feed is fetched when it is due, with no batches.
//!
//! [`run`] keeps a min-heap of every feed's next fetch time (a feed never
//! fetched is due at once), loaded from the store and refreshed from it every
//! [`DaemonOptions::rescan`] (or at once after [`DaemonHandle::wake`]) so that
//! added, removed, disabled or rescheduled feeds are picked up. It sleeps
//! until the earliest feed is due, then starts the refresh of each due feed
//! as its own task, subject to the [`HostLimits`] of the refresher's
//! configuration; when a refresh ends, the feed is read back from the store
//! and its new next fetch time goes on the heap. A feed in flight is never
//! started twice. Heap entries are invalidated lazily: an entry counts only
//! while it matches the feed's current slot.
//!
//! Several schedulers may run on one database (fetch workers in several
//! processes). Before fetching, a task claims its feed
//! ([`tributary_store::Store::claim_fetch`]): a feed another worker holds is
//! looked at again when that claim lapses, a feed fetched meanwhile is
//! rescheduled at its new time, and a feed whose host has no free fetch
//! token (the per-host limit counts every worker's fetches) is retried a
//! fraction of a second later. A claim that fails (the database does not
//! answer, or its disk is full) holds the feed back for a minute, doubled for
//! every claim that failed in a row, up to 15 minutes, and is logged once a
//! minute with a count of the rest; rescans do not bring held feeds forward.
//! A rescan that fails is retried with backoff, and the schedule already
//! known is kept.
//!
//! Shutdown stops starting fetches, lets the fetches in flight finish for at
//! most [`DaemonOptions::shutdown_grace`], aborts the rest and returns.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{debug, info, warn};
use tributary_model::{FeedId, FeedStatus};
use tributary_store::{Claim, FeedSelector, FetchClaim};

use crate::limits::HostLimits;
use crate::{host_of, FeedOutcome, RefreshSummary, Refresher};

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// How often the store is re-read for added, removed or rescheduled feeds.
    pub rescan: Duration,
    /// How long fetches in flight may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Shared with whoever wants to watch the scheduler or wake it.
    pub handle: DaemonHandle,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            rescan: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            handle: DaemonHandle::new(),
        }
    }
}

/// A view into a running scheduler (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct DaemonHandle {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    wake: Notify,
    feeds: AtomicUsize,
    waiting: AtomicUsize,
    fetching: AtomicUsize,
    fetches: AtomicU64,
    claims: ClaimTrouble,
}

/// Claims that failed in a row, and when that was last logged.
#[derive(Debug, Default)]
struct ClaimTrouble {
    in_a_row: AtomicU32,
    /// Failures not logged one by one since the last warning.
    unlogged: AtomicU64,
    last_warning: std::sync::Mutex<Option<Instant>>,
}

impl ClaimTrouble {
    /// A claim failed with `error`: log it (at most once per
    /// [`CLAIM_WARN_EVERY`]) and say how long the feed waits.
    fn failed(&self, id: FeedId, error: &tributary_store::StoreError) -> Duration {
        let in_a_row = self.in_a_row.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let warn_now = {
            let mut last = self
                .last_warning
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = match *last {
                Some(at) => now.duration_since(at) >= CLAIM_WARN_EVERY,
                None => true,
            };
            if due {
                *last = Some(now);
            }
            due
        };
        let wait = claim_retry(in_a_row);
        if warn_now {
            let others = self.unlogged.swap(0, Ordering::Relaxed);
            warn!(
                feed.id = %id,
                error = %error,
                failed_in_a_row = in_a_row + 1,
                not_logged = others,
                retry_in = ?wait,
                "cannot claim the feed; retrying later"
            );
        } else {
            self.unlogged.fetch_add(1, Ordering::Relaxed);
            debug!(feed.id = %id, error = %error, "cannot claim the feed; retrying later");
        }
        wait
    }

    /// A claim answered: the database works (again).
    fn answered(&self) {
        if self.in_a_row.swap(0, Ordering::Relaxed) > 0 {
            let others = self.unlogged.swap(0, Ordering::Relaxed);
            *self
                .last_warning
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            info!(not_logged = others, "claims work again");
        }
    }
}

/// How long a feed waits after the claim that failed with `in_a_row` earlier
/// failures in a row.
fn claim_retry(in_a_row: u32) -> Duration {
    REFETCH_FLOOR
        .saturating_mul(1u32 << in_a_row.min(16))
        .min(CLAIM_RETRY_MAX)
}

/// Counts of a running scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DaemonStatus {
    /// Feeds the scheduler knows (not disabled).
    pub feeds: usize,
    /// Feeds due and waiting for a fetch slot.
    pub due: usize,
    /// Fetches running now.
    pub in_flight: usize,
    /// Fetches finished since the start.
    pub fetches: u64,
}

impl DaemonHandle {
    /// A handle for a scheduler not started yet.
    pub fn new() -> DaemonHandle {
        DaemonHandle::default()
    }

    /// Re-read the store now (e.g. after subscribing to a feed in this process).
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// The scheduler's counts right now.
    pub fn status(&self) -> DaemonStatus {
        DaemonStatus {
            feeds: self.shared.feeds.load(Ordering::Relaxed),
            due: self.shared.waiting.load(Ordering::Relaxed),
            in_flight: self.shared.fetching.load(Ordering::Relaxed),
            fetches: self.shared.fetches.load(Ordering::Relaxed),
        }
    }
}

/// Counts one task in a counter for as long as it lives.
struct Counted(Arc<Shared>, fn(&Shared) -> &AtomicUsize);

impl Counted {
    fn new(shared: &Arc<Shared>, counter: fn(&Shared) -> &AtomicUsize) -> Counted {
        counter(shared).fetch_add(1, Ordering::Relaxed);
        Counted(shared.clone(), counter)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        (self.1)(&self.0).fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where a scheduled feed stands.
#[derive(Debug, Clone)]
struct Slot {
    at: DateTime<Utc>,
    host: String,
}

/// What a feed's task reports back.
struct Done {
    id: FeedId,
    /// When to fetch next and from which host; `None`: the feed is gone or disabled.
    next: Option<Slot>,
    /// `None` when nothing was fetched (rescheduled elsewhere, gone, shutdown).
    outcome: Option<FeedOutcome>,
    /// `next` is a hold of this scheduler's (the claim failed, or another
    /// worker holds the feed), not a time the store knows: a rescan must not
    /// move the feed earlier than it.
    hold: bool,
}

/// A feed just fetched is not started again sooner than this, whatever the
/// store says (a failure to record the outcome must not make a hot loop).
const REFETCH_FLOOR: Duration = Duration::from_secs(60);
/// A fetch that finds every token of its host held waits this long first,
/// then twice as long each time, up to [`HOST_BUSY_MAX`].
const HOST_BUSY_FIRST: Duration = Duration::from_millis(20);
const HOST_BUSY_MAX: Duration = Duration::from_secs(1);
/// After a claim fails (the database does not answer, or is full), the feed
/// waits [`REFETCH_FLOOR`], doubled for every claim that failed in a row in
/// this scheduler, up to this: a broken database is not hammered by every
/// due feed, and neither are the logs.
const CLAIM_RETRY_MAX: Duration = Duration::from_secs(15 * 60);
/// While claims keep failing, one warning per this interval; the rest are
/// counted in it.
const CLAIM_WARN_EVERY: Duration = Duration::from_secs(60);
/// The first retry after a failed rescan (then doubling, up to the rescan interval).
const RESCAN_RETRY_FIRST: Duration = Duration::from_secs(1);
/// How often the summary line is logged.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// Fetch every feed of `refresher`'s store when it is due, until `shutdown`
/// completes; then wait (bounded) for the fetches in flight and return.
pub async fn run(refresher: Refresher, opts: DaemonOptions, shutdown: impl Future<Output = ()>) {
    let mut scheduler = Scheduler::new(refresher, &opts);
    let rescan_every = opts.rescan.max(Duration::from_millis(100));
    tokio::pin!(shutdown);
    let mut next_rescan = Instant::now();
    let mut failed_rescans: u32 = 0;
    let mut next_summary = Instant::now() + SUMMARY_EVERY;
    info!(rescan = ?rescan_every, "scheduler started");
    loop {
        if Instant::now() >= next_rescan {
            // A database that does not answer is asked again sooner, backing
            // off (1 s, 2 s, 4 s … up to the rescan interval), not given up on.
            let wait = match scheduler.rescan().await {
                Ok(()) => {
                    if failed_rescans > 0 {
                        info!(attempts = failed_rescans, "the database answers again");
                    }
                    failed_rescans = 0;
                    rescan_every
                }
                Err(e) => {
                    failed_rescans += 1;
                    let wait = RESCAN_RETRY_FIRST
                        .saturating_mul(1 << failed_rescans.min(16).saturating_sub(1))
                        .min(rescan_every);
                    warn!(
                        error = %e,
                        attempts = failed_rescans,
                        retry_in = ?wait,
                        "cannot read the feeds; keeping the current schedule"
                    );
                    wait
                }
            };
            next_rescan = Instant::now() + wait;
        }
        scheduler.start_due();
        if Instant::now() >= next_summary {
            scheduler.log_summary();
            next_summary = Instant::now() + SUMMARY_EVERY;
        }
        let deadline = scheduler
            .next_due()
            .map_or(next_rescan, |due| due.min(next_rescan))
            .min(next_summary);
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep_until(deadline) => {}
            () = opts.handle.shared.wake.notified() => next_rescan = Instant::now(),
            Some(done) = scheduler.tasks.join_next_with_id(), if !scheduler.tasks.is_empty() => {
                scheduler.finish(done);
            }
        }
    }
    scheduler.shut_down(opts.shutdown_grace).await;
}

struct Scheduler {
    refresher: Refresher,
    limits: HostLimits,
    shared: Arc<Shared>,
    heap: BinaryHeap<Reverse<(DateTime<Utc>, FeedId)>>,
    scheduled: HashMap<FeedId, Slot>,
    in_flight: HashSet<FeedId>,
    /// Feeds held back by this scheduler until then (see [`Done::hold`]).
    held: HashMap<FeedId, DateTime<Utc>>,
    tasks: JoinSet<Done>,
    task_feeds: HashMap<tokio::task::Id, FeedId>,
    stop: watch::Sender<bool>,
    /// Outcomes since the last summary line.
    minute: RefreshSummary,
}

impl Scheduler {
    fn new(refresher: Refresher, opts: &DaemonOptions) -> Scheduler {
        let limits = HostLimits::new(refresher.config.concurrency, refresher.config.per_host);
        Scheduler {
            refresher,
            limits,
            shared: opts.handle.shared.clone(),
            heap: BinaryHeap::new(),
            scheduled: HashMap::new(),
            in_flight: HashSet::new(),
            held: HashMap::new(),
            tasks: JoinSet::new(),
            task_feeds: HashMap::new(),
            stop: watch::channel(false).0,
            minute: RefreshSummary::default(),
        }
    }

    /// Re-read every feed that is not disabled; schedule new or moved ones,
    /// forget removed ones. Feeds in flight are left alone.
    async fn rescan(&mut self) -> Result<(), tributary_store::StoreError> {
        let feeds = self
            .refresher
            .store()
            .feeds_to_fetch(&FeedSelector::All)
            .await?;
        let now = Utc::now();
        let mut seen = HashSet::with_capacity(feeds.len());
        for feed in feeds {
            seen.insert(feed.id);
            if self.in_flight.contains(&feed.id) {
                continue;
            }
            let stored = feed.next_fetch_at.unwrap_or(now);
            let at = match self.held.get(&feed.id) {
                Some(&until) if until > stored => until,
                _ => stored,
            };
            let host = host_of(&feed.url);
            match self.scheduled.get_mut(&feed.id) {
                Some(slot) if slot.at == at => slot.host = host,
                _ => self.schedule(feed.id, Slot { at, host }),
            }
        }
        self.scheduled.retain(|id, _| seen.contains(id));
        self.held
            .retain(|id, until| seen.contains(id) && *until > now);
        // Stale heap entries are skipped when popped; rebuild when they pile up.
        if self.heap.len() > 2 * self.scheduled.len() + 1024 {
            self.heap = self
                .scheduled
                .iter()
                .map(|(id, slot)| Reverse((slot.at, *id)))
                .collect();
        }
        self.publish_counts();
        debug!(
            feeds = self.scheduled.len() + self.in_flight.len(),
            "rescanned"
        );
        Ok(())
    }

    fn schedule(&mut self, id: FeedId, slot: Slot) {
        self.heap.push(Reverse((slot.at, id)));
        self.scheduled.insert(id, slot);
    }

    fn publish_counts(&self) {
        self.shared.feeds.store(
            self.scheduled.len() + self.in_flight.len(),
            Ordering::Relaxed,
        );
    }

    /// When the earliest scheduled feed is due, as a monotonic instant.
    fn next_due(&mut self) -> Option<Instant> {
        // Drop stale entries so the sleep is not cut short by them.
        while let Some(Reverse((at, id))) = self.heap.peek() {
            if self.scheduled.get(id).is_some_and(|s| s.at == *at) {
                let wait = (*at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                return Some(Instant::now() + wait);
            }
            self.heap.pop();
        }
        None
    }

    /// Start a task for every feed due now.
    fn start_due(&mut self) {
        let now = Utc::now();
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            let slot = match self.scheduled.remove(&id) {
                Some(slot) if slot.at == at => slot,
                Some(other) => {
                    // A stale entry: the feed was rescheduled since.
                    self.scheduled.insert(id, other);
                    continue;
                }
                None => continue,
            };
            self.in_flight.insert(id);
            self.spawn(id, slot);
        }
    }

    fn spawn(&mut self, id: FeedId, slot: Slot) {
        let refresher = self.refresher.clone();
        let limits = self.limits.clone();
        let shared = self.shared.clone();
        let mut stop = self.stop.subscribe();
        let waiting = Counted::new(&shared, |s| &s.waiting);
        let handle = self.tasks.spawn(async move {
            let gone = Done {
                id,
                next: None,
                outcome: None,
                hold: false,
            };
            let _permit = tokio::select! {
                biased;
                _ = stop.wait_for(|stopped| *stopped) => return gone,
                permit = limits.acquire(&slot.host) => permit,
            };
            drop(waiting);
            let _fetching = Counted::new(&shared, |s| &s.fetching);
            let store = refresher.store();
            // Claim it: other workers on the same database may be fetching
            // it, may have fetched it meanwhile, or may hold every fetch
            // token of its host. The claim also reads it fresh (validators
            // may have changed; it may have been removed or disabled).
            let host = slot.host.clone();
            let claim = FetchClaim {
                worker: &refresher.config.worker,
                host: &host,
                per_host: refresher.config.per_host,
                lease: refresher.config.lease,
                due_only: true,
            };
            let retry = |at: DateTime<Utc>, hold: bool| Done {
                id,
                next: Some(Slot {
                    at,
                    host: host.clone(),
                }),
                outcome: None,
                hold,
            };
            // Every fetch token of the host held by other workers: wait for
            // one here, holding this worker's own host slot, backing off —
            // so each worker polls at most `per_host` claims per busy host
            // instead of cycling all the host's due feeds through the store.
            let mut busy_wait = HOST_BUSY_FIRST;
            let feed = loop {
                let answer = store.claim_fetch(id, &claim, Utc::now()).await;
                if answer.is_ok() {
                    shared.claims.answered();
                }
                match answer {
                    Ok(Claim::Claimed(feed)) if feed.status != FeedStatus::Disabled => break *feed,
                    Ok(Claim::Claimed(_)) => {
                        let _ = store.release_fetch(id).await;
                        return gone;
                    }
                    Ok(Claim::Gone) => return gone,
                    Ok(Claim::NotDue { next }) => {
                        debug!(feed.id = %id, next = %next, "rescheduled meanwhile; not fetching");
                        return retry(next, false);
                    }
                    Ok(Claim::Taken { until }) => {
                        // Look again when that claim would lapse; by then the
                        // other worker has stored the outcome and the feed is
                        // due later (or it died, and the feed is ours to take).
                        debug!(feed.id = %id, until = %until, "another worker is fetching it");
                        return retry(
                            until + chrono::Duration::milliseconds(jitter_ms(id, 500)),
                            true,
                        );
                    }
                    Ok(Claim::HostBusy) => {
                        debug!(feed.id = %id, host = %host, "host busy with other workers");
                        let wait = busy_wait
                            + Duration::from_millis(jitter_ms(
                                id,
                                busy_wait.as_millis() as i64 / 2 + 1,
                            ) as u64);
                        tokio::select! {
                            biased;
                            _ = stop.wait_for(|stopped| *stopped) => return gone,
                            () = tokio::time::sleep(wait) => {}
                        }
                        busy_wait = (busy_wait * 2).min(HOST_BUSY_MAX);
                    }
                    Err(e) => {
                        let wait = shared.claims.failed(id, &e);
                        let spread = jitter_ms(id, wait.as_millis() as i64 / 10 + 1);
                        return retry(
                            Utc::now()
                                + chrono_duration(wait)
                                + chrono::Duration::milliseconds(spread),
                            true,
                        );
                    }
                }
            };
            let outcome = Box::pin(refresher.refresh_feed(&feed)).await;
            debug!(feed.id = %id, feed.url = %feed.url, ?outcome, "fetched");
            let finished = Utc::now();
            let floor = finished + chrono_duration(REFETCH_FLOOR);
            let next = match store.feed_by_id(id).await {
                Ok(Some(after)) if after.status != FeedStatus::Disabled => Some(Slot {
                    at: after.next_fetch_at.map_or(floor, |at| at.max(floor)),
                    host: host_of(&after.url),
                }),
                Ok(_) => None,
                Err(e) => {
                    warn!(feed.id = %id, error = %e, "cannot read the feed back");
                    let wait = refresher.config.schedule.default_interval;
                    Some(Slot {
                        at: finished + chrono_duration(wait),
                        ..slot
                    })
                }
            };
            Done {
                id,
                next,
                outcome: Some(outcome),
                hold: false,
            }
        });
        self.task_feeds.insert(handle.id(), id);
    }

    /// A task ended: reschedule its feed.
    fn finish(&mut self, result: Result<(tokio::task::Id, Done), tokio::task::JoinError>) {
        match result {
            Ok((task, done)) => {
                self.task_feeds.remove(&task);
                self.in_flight.remove(&done.id);
                if let Some(outcome) = &done.outcome {
                    self.minute.add(outcome);
                    self.shared.fetches.fetch_add(1, Ordering::Relaxed);
                }
                match &done.next {
                    Some(slot) if done.hold => {
                        self.held.insert(done.id, slot.at);
                    }
                    _ => {
                        self.held.remove(&done.id);
                    }
                }
                if let Some(slot) = done.next {
                    self.schedule(done.id, slot);
                }
            }
            Err(e) => {
                // A panicked or aborted task: the next rescan schedules its
                // feed again from the store.
                if let Some(id) = self.task_feeds.remove(&e.id()) {
                    warn!(feed.id = %id, error = %e, "refresh task ended abnormally");
                    self.in_flight.remove(&id);
                }
            }
        }
        self.publish_counts();
    }

    fn log_summary(&mut self) {
        let m = std::mem::take(&mut self.minute);
        let status = DaemonHandle {
            shared: self.shared.clone(),
        }
        .status();
        info!(
            fetched = m.fetched,
            not_modified = m.not_modified,
            failed = m.failed,
            new_entries = m.new_entries,
            updated_entries = m.updated_entries,
            feeds = status.feeds,
            due = status.due,
            in_flight = status.in_flight,
            "last minute"
        );
    }

    /// Stop starting fetches; give the running ones `grace` to finish.
    async fn shut_down(mut self, grace: Duration) {
        self.stop.send_replace(true);
        let running = self.shared.fetching.load(Ordering::Relaxed);
        info!(in_flight = running, "scheduler stopping");
        let drain = async {
            while let Some(done) = self.tasks.join_next().await {
                if let Ok(Done {
                    outcome: Some(outcome),
                    ..
                }) = &done
                {
                    self.minute.add(outcome);
                }
            }
        };
        if tokio::time::timeout(grace, drain).await.is_err() {
            warn!(
                in_flight = self.shared.fetching.load(Ordering::Relaxed),
                "fetches still running after the grace period; aborting them"
            );
            self.tasks.shutdown().await;
        }
        info!("scheduler stopped");
    }
}

/// A spread of up to `range` ms, different per feed and per call, so that
/// workers that lost the same claims do not all come back at once.
fn jitter_ms(id: FeedId, range: i64) -> i64 {
    let nanos = i64::from(Utc::now().timestamp_subsec_nanos());
    (id.0.wrapping_mul(7919) ^ nanos).rem_euclid(range.max(1))
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use axum::extract::State;
    use axum::http::Uri;
    use tributary_fetch::{FetchConfig, Fetcher};
    use tributary_store::{FetchFailure, NewSubscription, Store};

    use crate::RefreshConfig;

    #[derive(Default)]
    struct Seen {
        hits: HashMap<String, usize>,
        now: HashMap<String, usize>,
        max: HashMap<String, usize>,
    }

    type Shared = Arc<(Mutex<Seen>, Duration)>;

    async fn slow(
        State(state): State<Shared>,
        uri: Uri,
    ) -> ([(&'static str, &'static str); 1], &'static str) {
        let path = uri.path().to_string();
        {
            let mut s = state.0.lock().unwrap();
            *s.hits.entry(path.clone()).or_default() += 1;
            let n = s.now.entry(path.clone()).or_default();
            *n += 1;
            let n = *n;
            let m = s.max.entry(path.clone()).or_default();
            *m = (*m).max(n);
        }
        tokio::time::sleep(state.1).await;
        *state.0.lock().unwrap().now.get_mut(&path).unwrap() -= 1;
        (
            [("content-type", "application/rss+xml")],
            "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title>\
             <guid>a</guid><link>http://example.org/a</link></item></channel></rss>",
        )
    }

    /// A slow feed server, a store with `paths` subscribed, and a refresher.
    async fn setup(delay: Duration, paths: &[&str]) -> (Shared, Refresher, tempfile::TempDir) {
        let state: Shared = Arc::new((Mutex::new(Seen::default()), delay));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(slow).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("d.db").display()))
            .await
            .unwrap();
        let user = store.default_user().await.unwrap();
        let subs: Vec<NewSubscription> = paths
            .iter()
            .map(|p| NewSubscription {
                url: format!("http://{addr}{p}"),
                ..Default::default()
            })
            .collect();
        store.subscribe(user, &subs).await.unwrap();
        let fetcher = Fetcher::new(FetchConfig {
            allow_private_networks: true,
            ..FetchConfig::default()
        })
        .unwrap();
        let refresher = Refresher::new(store, fetcher, RefreshConfig::default());
        (state, refresher, dir)
    }

    #[test]
    fn failed_claims_back_off_doubling_up_to_the_cap_and_reset_when_one_answers() {
        assert_eq!(claim_retry(0), REFETCH_FLOOR);
        assert_eq!(claim_retry(1), REFETCH_FLOOR * 2);
        assert_eq!(claim_retry(3), REFETCH_FLOOR * 8);
        assert_eq!(claim_retry(40), CLAIM_RETRY_MAX);
        let trouble = ClaimTrouble::default();
        let error = tributary_store::StoreError::Full("database or disk is full".into());
        let waits: Vec<Duration> = (0..6).map(|i| trouble.failed(FeedId(i), &error)).collect();
        assert_eq!(waits[0], REFETCH_FLOOR);
        assert!(waits.windows(2).all(|w| w[1] >= w[0]), "{waits:?}");
        assert_eq!(waits[3], REFETCH_FLOOR * 8);
        assert_eq!(waits[5], CLAIM_RETRY_MAX);
        // Only the first failure of the minute is a warning; the rest are counted.
        assert_eq!(trouble.unlogged.load(Ordering::Relaxed), 5);
        trouble.answered();
        assert_eq!(trouble.in_a_row.load(Ordering::Relaxed), 0);
        assert_eq!(trouble.unlogged.load(Ordering::Relaxed), 0);
        assert_eq!(trouble.failed(FeedId(9), &error), REFETCH_FLOOR);
    }

    #[tokio::test]
    async fn a_rescan_does_not_bring_a_held_feed_forward_but_a_later_store_time_wins() {
        let (_state, refresher, _dir) = setup(Duration::ZERO, &["/a.xml", "/b.xml"]).await;
        let mut scheduler = Scheduler::new(refresher, &DaemonOptions::default());
        scheduler.rescan().await.unwrap();
        let ids: Vec<FeedId> = scheduler.scheduled.keys().copied().collect();
        assert_eq!(ids.len(), 2);
        // Both were never fetched: due now. Hold the first for ten minutes,
        // the way a failed claim does.
        let until = Utc::now() + chrono::Duration::minutes(10);
        scheduler.finish(Ok((
            tokio::spawn(async {}).id(),
            Done {
                id: ids[0],
                next: Some(Slot {
                    at: until,
                    host: "127.0.0.1".into(),
                }),
                outcome: None,
                hold: true,
            },
        )));
        scheduler.rescan().await.unwrap();
        assert_eq!(scheduler.scheduled[&ids[0]].at, until, "the hold is kept");
        assert!(
            scheduler.scheduled[&ids[1]].at <= Utc::now(),
            "the other is due"
        );
        // A claim that answers ends the hold: the store's time counts again.
        scheduler.finish(Ok((
            tokio::spawn(async {}).id(),
            Done {
                id: ids[0],
                next: None,
                outcome: None,
                hold: false,
            },
        )));
        scheduler.rescan().await.unwrap();
        assert!(scheduler.scheduled[&ids[0]].at <= Utc::now());
        assert!(scheduler.held.is_empty());
    }

    fn hits(state: &Shared, path: &str) -> usize {
        state.0.lock().unwrap().hits.get(path).copied().unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_feed_in_flight_is_not_started_again_and_disabled_feeds_are_skipped() {
        let (state, refresher, _dir) =
            setup(Duration::from_millis(800), &["/slow.xml", "/off.xml"]).await;
        let store = refresher.store().clone();
        let off = store
            .feeds_to_fetch(&FeedSelector::All)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.url.ends_with("/off.xml"))
            .unwrap();
        let now = Utc::now();
        store
            .record_failure(
                off.id,
                &FetchFailure {
                    fetched_at: now,
                    next_fetch_at: now,
                    next_fetch_reason: "disabled".into(),
                    code: "http_gone".into(),
                    message: "gone".into(),
                    disable: true,
                    mark_error: false,
                },
            )
            .await
            .unwrap();
        let handle = DaemonHandle::new();
        let opts = DaemonOptions {
            rescan: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(5),
            handle: handle.clone(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let daemon = tokio::spawn(run(refresher, opts, async {
            let _ = rx.await;
        }));
        // The store says "due" all along the slow fetch, and it is rescanned
        // several times meanwhile.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let status = handle.status();
        assert_eq!(status.feeds, 1, "the disabled feed is not scheduled");
        assert_eq!(status.in_flight, 1);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(hits(&state, "/slow.xml"), 1);
        assert_eq!(state.0.lock().unwrap().max.get("/slow.xml"), Some(&1));
        assert_eq!(hits(&state, "/off.xml"), 0);
        assert_eq!(handle.status().fetches, 1);
        tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), daemon)
            .await
            .expect("the daemon stops")
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_lets_the_fetch_in_flight_finish() {
        let (state, refresher, _dir) = setup(Duration::from_millis(600), &["/a.xml"]).await;
        let store = refresher.store().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let opts = DaemonOptions {
            rescan: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            handle: DaemonHandle::new(),
        };
        let daemon = tokio::spawn(run(refresher, opts, async {
            let _ = rx.await;
        }));
        while hits(&state, "/a.xml") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Mid-request: stop.
        tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), daemon)
            .await
            .expect("the daemon stops")
            .unwrap();
        let feed = store.feeds_to_fetch(&FeedSelector::All).await.unwrap();
        assert!(
            feed[0].last_fetched_at.is_some(),
            "the fetch in flight was completed and recorded"
        );
        assert!(feed[0].next_fetch_at.is_some_and(|at| at > Utc::now()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_aborts_fetches_after_the_grace_period() {
        let (state, refresher, _dir) = setup(Duration::from_secs(20), &["/stuck.xml"]).await;
        let store = refresher.store().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let opts = DaemonOptions {
            rescan: Duration::from_secs(30),
            shutdown_grace: Duration::from_millis(200),
            handle: DaemonHandle::new(),
        };
        let daemon = tokio::spawn(run(refresher, opts, async {
            let _ = rx.await;
        }));
        while hits(&state, "/stuck.xml") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let stopping = std::time::Instant::now();
        tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), daemon)
            .await
            .expect("the daemon stops")
            .unwrap();
        assert!(stopping.elapsed() < Duration::from_secs(2));
        let feed = store.feeds_to_fetch(&FeedSelector::All).await.unwrap();
        assert!(feed[0].last_fetched_at.is_none(), "the fetch was abandoned");
    }
}
