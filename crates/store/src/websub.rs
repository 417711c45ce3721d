//! WebSub subscriptions of feeds: the hub, the topic, the callback token and
//! secret, and where the subscription is in its life (requested, verified by
//! the hub, denied, unsubscribed), with its lease.
//!
//! One subscription per feed, to one hub. The protocol itself lives in the
//! `tributary-websub` crate; this module only keeps its state.

use crate::on_engine;
use std::fmt;

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::FeedId;

use crate::{Store, StoreResult};

/// Where a WebSub subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebSubState {
    /// Requested; the hub has not verified it yet.
    Pending,
    /// Verified by the hub; content arrives until the lease expires.
    Active,
    /// The hub refused it (`hub.mode=denied`).
    Denied,
    /// Ended by an unsubscription the hub verified.
    Unsubscribed,
}

impl WebSubState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            WebSubState::Pending => "pending",
            WebSubState::Active => "active",
            WebSubState::Denied => "denied",
            WebSubState::Unsubscribed => "unsubscribed",
        }
    }

    /// The state named `s`, if any.
    pub fn parse(s: &str) -> Option<WebSubState> {
        Some(match s {
            "pending" => WebSubState::Pending,
            "active" => WebSubState::Active,
            "denied" => WebSubState::Denied,
            "unsubscribed" => WebSubState::Unsubscribed,
            _ => return None,
        })
    }
}

/// The request sent to the hub and awaiting its verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebSubMode {
    /// `hub.mode=subscribe` (a first subscription or a renewal).
    Subscribe,
    /// `hub.mode=unsubscribe`.
    Unsubscribe,
}

impl WebSubMode {
    /// The `hub.mode` value (also the stored name).
    pub fn as_str(self) -> &'static str {
        match self {
            WebSubMode::Subscribe => "subscribe",
            WebSubMode::Unsubscribe => "unsubscribe",
        }
    }

    /// The mode named `s` (`subscribe`, `unsubscribe`), if any.
    pub fn parse(s: &str) -> Option<WebSubMode> {
        match s {
            "subscribe" => Some(WebSubMode::Subscribe),
            "unsubscribe" => Some(WebSubMode::Unsubscribe),
            _ => None,
        }
    }
}

/// A feed's WebSub subscription as stored.
///
/// `Debug` leaves out the callback token and the secret: both are
/// credentials (the token authenticates the hub's callbacks, the secret signs
/// the content).
#[derive(Clone, PartialEq, Eq)]
pub struct WebSubSubscription {
    /// The feed whose content the subscription delivers.
    pub feed_id: FeedId,
    /// The hub, as the feed advertised it.
    pub hub_url: String,
    /// The topic (the feed's `rel=self` URL).
    pub topic_url: String,
    /// The last path segment of the callback URL.
    pub callback_token: String,
    /// The `hub.secret` the hub signs content with.
    pub secret: String,
    /// Where the subscription is in its life.
    pub state: WebSubState,
    /// The request sent and not yet verified or denied.
    pub pending_mode: Option<WebSubMode>,
    /// The lease the hub granted in its last verification.
    pub lease_seconds: Option<u32>,
    /// When that lease ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the last (un)subscription request was made.
    pub requested_at: DateTime<Utc>,
    /// When the hub last verified a subscription.
    pub verified_at: Option<DateTime<Utc>>,
    /// When content was last delivered (signature checked).
    pub last_push_at: Option<DateTime<Utc>>,
    /// Why the last request failed or was denied; cleared by a verification.
    pub last_error: Option<String>,
}

impl fmt::Debug for WebSubSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSubSubscription")
            .field("feed_id", &self.feed_id)
            .field("hub_url", &self.hub_url)
            .field("topic_url", &self.topic_url)
            .field("callback_token", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("state", &self.state)
            .field("pending_mode", &self.pending_mode)
            .field("lease_seconds", &self.lease_seconds)
            .field("expires_at", &self.expires_at)
            .field("requested_at", &self.requested_at)
            .field("verified_at", &self.verified_at)
            .field("last_push_at", &self.last_push_at)
            .field("last_error", &self.last_error)
            .finish()
    }
}

/// A subscription request about to be sent to a hub.
///
/// `callback_token` and `secret` are used only when the feed has no
/// subscription to the same hub and topic yet; otherwise the stored ones are
/// kept, so a renewal or a retry reaches the same callback.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWebSub {
    /// The hub to ask.
    pub hub_url: String,
    /// The topic to subscribe to.
    pub topic_url: String,
    /// A fresh random token (at least 32 characters).
    pub callback_token: String,
    /// A fresh random secret.
    pub secret: String,
}

impl fmt::Debug for NewWebSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebSub")
            .field("hub_url", &self.hub_url)
            .field("topic_url", &self.topic_url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Record a subscription request for `feed` (before it is sent, since a
    /// hub may verify it before answering).
    ///
    /// Same hub and topic as the stored subscription: the token and secret
    /// are kept, `pending_mode` becomes `subscribe`, `requested_at` is
    /// `now`, and the state stays `active` if it was (a renewal), else
    /// becomes `pending`. Otherwise (no subscription, or another hub or
    /// topic) the row is replaced by a new pending one with `new`'s token
    /// and secret. Returns the stored subscription. `NotFound` for an
    /// unknown feed; a token already used by another feed is a database
    /// (unique constraint) error.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_request_subscription(
        &self,
        feed: FeedId,
        new: &NewWebSub,
        now: DateTime<Utc>,
    ) -> StoreResult<WebSubSubscription> {
        on_engine!(self, |db| engine::websub::request_subscription(
            &db.writer, feed, new, now
        )
        .await)
    }

    /// Record an unsubscription request for `feed` (`pending_mode` becomes
    /// `unsubscribe`; the state is unchanged until the hub verifies it).
    /// `None` when the feed has no subscription.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_request_unsubscription(
        &self,
        feed: FeedId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebSubSubscription>> {
        on_engine!(self, |db| engine::websub::request_unsubscription(
            &db.writer, feed, now
        )
        .await)
    }

    /// The subscription whose callback token is `token`, or `None`.
    #[instrument(skip_all)]
    pub async fn websub_by_token(&self, token: &str) -> StoreResult<Option<WebSubSubscription>> {
        on_engine!(self, |db| engine::websub::by_token(&db.pool, token).await)
    }

    /// The feed's subscription, or `None`.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_for_feed(&self, feed: FeedId) -> StoreResult<Option<WebSubSubscription>> {
        on_engine!(self, |db| engine::websub::for_feed(&db.pool, feed).await)
    }

    /// The hub verified a subscription: `active`, no pending request, the
    /// lease and `expires_at = now + lease`, `verified_at = now`, error
    /// cleared. `NotFound` when the feed has no subscription.
    #[instrument(skip_all, fields(feed.id = %feed, lease_seconds))]
    pub async fn websub_mark_verified(
        &self,
        feed: FeedId,
        lease_seconds: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::websub::mark_verified(
            &db.writer,
            feed,
            lease_seconds,
            now
        )
        .await)
    }

    /// The hub denied the subscription: `denied`, no pending request, the
    /// lease gone, `last_error` naming the hub's reason. `NotFound` when the
    /// feed has no subscription.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_mark_denied(&self, feed: FeedId, reason: Option<&str>) -> StoreResult<()> {
        on_engine!(self, |db| engine::websub::mark_denied(
            &db.writer, feed, reason
        )
        .await)
    }

    /// The hub verified an unsubscription: `unsubscribed`, no pending
    /// request, the lease gone. `NotFound` when the feed has no subscription.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_mark_unsubscribed(&self, feed: FeedId) -> StoreResult<()> {
        on_engine!(self, |db| engine::websub::mark_unsubscribed(
            &db.writer, feed
        )
        .await)
    }

    /// Content was delivered at `now`. `NotFound` when the feed has no subscription.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_record_push(&self, feed: FeedId, now: DateTime<Utc>) -> StoreResult<()> {
        on_engine!(self, |db| engine::websub::record_push(
            &db.writer, feed, now
        )
        .await)
    }

    /// A request to the hub failed: `last_error`, and no request is pending
    /// any more (the state is unchanged). `NotFound` when the feed has no
    /// subscription.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_record_error(&self, feed: FeedId, message: &str) -> StoreResult<()> {
        on_engine!(self, |db| engine::websub::record_error(
            &db.writer, feed, message
        )
        .await)
    }

    /// Active subscriptions whose lease ends before `before` (expired ones
    /// included), soonest first.
    #[instrument(skip_all)]
    pub async fn websub_due_for_renewal(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<WebSubSubscription>> {
        on_engine!(self, |db| engine::websub::due_for_renewal(&db.pool, before)
            .await)
    }

    /// True when the feed has an active subscription whose lease runs past
    /// `now`, so content arrives by push and polling can slow down.
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn websub_active(&self, feed: FeedId, now: DateTime<Utc>) -> StoreResult<bool> {
        on_engine!(self, |db| engine::websub::active(&db.pool, feed, now).await)
    }
}
