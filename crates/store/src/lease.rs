//! Fetch leases: several fetch processes on one database, each due feed
//! fetched by exactly one of them, and the per-host limit kept across them.
//!
//! A worker *claims* a feed before fetching it ([`Store::claim_fetch`]): in
//! one transaction the feed row gets the worker's name and a lease expiry,
//! and one of the host's token rows (`host_slots`, at most the per-host
//! limit of them per host) is taken for the feed. The claim fails when
//! another worker holds the feed, when the feed is no longer due (someone
//! fetched it meanwhile), or when every token of the host is held. Storing
//! the fetch's outcome (success, 304 or failure) clears both in the same
//! transaction; [`Store::release_fetch`] clears them for a fetch given up.
//! A worker killed mid-fetch leaves its claims behind until they expire;
//! after that any worker may claim the feeds again.
//!
//! On PostgreSQL the claim locks the feed row and the token row with
//! `SELECT … FOR UPDATE SKIP LOCKED`, so two workers claiming at once never
//! wait for each other and never both win; on SQLite the claim is one
//! `BEGIN IMMEDIATE` transaction (SQLite has one writer at a time).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{Feed, FeedId};

use crate::{on_engine, Store, StoreResult};

/// What a worker asks for when it claims a feed.
#[derive(Debug, Clone)]
pub struct FetchClaim<'a> {
    /// The worker's name, unique among running workers (`host:pid:random`).
    pub worker: &'a str,
    /// The feed's host (lower case), whose tokens the fetch takes one of.
    pub host: &'a str,
    /// Fetches at once from one host, across all workers (at least 1).
    pub per_host: usize,
    /// How long the claim holds if the worker never reports back.
    pub lease: Duration,
    /// Claim only if the feed is due at `now` (the scheduler); `false`
    /// fetches it whatever its schedule (`fetch --all`, a feed just added).
    pub due_only: bool,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The feed is this worker's until the outcome is stored; here it is as stored now.
    Claimed(Box<Feed>),
    /// Another worker holds it until then.
    Taken {
        /// When that worker's lease expires.
        until: DateTime<Utc>,
    },
    /// Not due (it was fetched meanwhile): due next at this time.
    NotDue {
        /// The feed's next fetch time.
        next: DateTime<Utc>,
    },
    /// Every token of the host is held: try again shortly.
    HostBusy,
    /// The feed no longer exists.
    Gone,
}

impl Store {
    /// Claim `feed` for `claim.worker` (see the module docs).
    #[instrument(skip_all, fields(feed.id = %feed, worker = claim.worker))]
    pub async fn claim_fetch(
        &self,
        feed: FeedId,
        claim: &FetchClaim<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Claim> {
        on_engine!(self, |db| engine::lease::claim(
            &db.writer, feed, claim, now
        )
        .await)
    }

    /// Give up a claim without storing an outcome (shutdown, a fetch
    /// abandoned): the feed and its host token are free again at once.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn release_fetch(&self, feed: FeedId) -> StoreResult<()> {
        on_engine!(self, |db| engine::lease::release(&db.writer, feed).await)
    }
}
