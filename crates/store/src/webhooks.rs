//! Webhooks: per user, a URL that new entries are POSTed to in signed
//! batches, with the delivery state and a bounded delivery log.
//!
//! The delivery itself (payload, signature, retries) lives in the
//! `tributary-webhooks` crate; this module keeps its state so that a
//! receiver's outage or a restart loses nothing and sends nothing twice:
//!
//! * `cursor` is the highest entry id delivered (or passed over because the
//!   webhook would not send it: hidden, paused, another category). Entry
//!   ids grow with every insert, so "above the cursor" is "new".
//! * A batch about to be sent is stored first ([`Store::webhook_begin_batch`])
//!   with its delivery id and exact body; retries send that body again, and
//!   only a 2xx moves the cursor to the batch's last entry
//!   ([`Store::webhook_record_attempt`] with [`AttemptEffect::Delivered`]).
//! * A process delivering a webhook holds a lease on it
//!   ([`Store::webhook_claim`]), so two processes sharing a PostgreSQL
//!   database never send the same batch at once.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::instrument;
use tributary_model::{RiverItem, UserId};

use crate::{on_engine, Store, StoreResult};

/// A webhook's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WebhookId(pub i64);

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A batch on its way: stored before the first attempt, re-sent unchanged
/// by every retry, dropped when the receiver acknowledged it.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct PendingBatch {
    /// The `X-Tributary-Delivery` id, the same on every retry.
    pub delivery_id: String,
    /// The exact JSON body (what the signature covers).
    pub body: String,
    /// The cursor once the batch is delivered (its highest entry id).
    pub last_entry_id: i64,
    /// Entries in the batch.
    pub entries: u32,
}

impl fmt::Debug for PendingBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingBatch")
            .field("delivery_id", &self.delivery_id)
            .field("body_bytes", &self.body.len())
            .field("last_entry_id", &self.last_entry_id)
            .field("entries", &self.entries)
            .finish()
    }
}

/// A webhook as stored. `Debug` leaves out the secret.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Whose subscriptions' entries it sends.
    pub user_id: UserId,
    /// Where batches are POSTed (http or https).
    pub url: String,
    /// The HMAC-SHA256 key of the signature header.
    pub secret: String,
    /// Disabled webhooks send nothing (their cursor stays where it was).
    pub enabled: bool,
    /// Only entries of feeds in this category path (and its sub-categories).
    pub category: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// The highest entry id delivered or passed over.
    pub cursor: i64,
    /// The batch on its way, if any.
    pub pending: Option<PendingBatch>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// Not before this time (a back-off after a failure); `None`: now.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last 2xx.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The first failure since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why the last attempt failed; cleared by a success.
    pub last_error: Option<String>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("enabled", &self.enabled)
            .field("category", &self.category)
            .field("cursor", &self.cursor)
            .field("pending", &self.pending)
            .field("attempts", &self.attempts)
            .field("next_attempt_at", &self.next_attempt_at)
            .field("last_success_at", &self.last_success_at)
            .field("failing_since", &self.failing_since)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// A webhook to add. `Debug` leaves out the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where to POST (validated by the caller).
    pub url: String,
    /// A fresh random secret (at least 32 characters).
    pub secret: String,
    /// Category path filter (`None`: every subscription).
    pub category: Option<String>,
}

impl fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebhook")
            .field("url", &self.url)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

/// What a logged request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryKind {
    /// A batch of entries.
    Entries,
    /// A test ping (sent from the UI or the command line).
    Ping,
}

impl DeliveryKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Entries => "entries",
            DeliveryKind::Ping => "ping",
        }
    }

    /// The kind named `s`, if any.
    pub fn parse(s: &str) -> Option<DeliveryKind> {
        match s {
            "entries" => Some(DeliveryKind::Entries),
            "ping" => Some(DeliveryKind::Ping),
            _ => None,
        }
    }
}

/// One request to a webhook, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    /// When it started.
    pub at: DateTime<Utc>,
    /// Its `X-Tributary-Delivery` id.
    pub delivery_id: String,
    /// Entries or ping.
    pub kind: DeliveryKind,
    /// Entries in the body.
    pub entries: u32,
    /// 1 for the first attempt of a batch, 2 for its first retry, …
    pub attempt: u32,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Why it failed (`None`: a 2xx).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// A logged request with its row id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryLogEntry {
    /// Row id (newer rows have higher ids).
    pub id: i64,
    /// The webhook.
    pub webhook_id: WebhookId,
    /// The request.
    #[serde(flatten)]
    pub attempt: DeliveryAttempt,
}

/// What a logged attempt does to the webhook's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEffect {
    /// The pending batch was acknowledged: the cursor moves to its last
    /// entry, the batch and the failure state are cleared.
    Delivered,
    /// The pending batch failed: one more attempt counted, the error kept,
    /// the next attempt not before this time.
    Failed {
        /// When to try again.
        next_attempt_at: DateTime<Utc>,
    },
    /// A test ping: only logged, the delivery state is left alone.
    Ping,
}

/// How much of the delivery log is kept per webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRetention {
    /// The newest this many rows.
    pub keep: u32,
    /// And none older than this.
    pub max_age: chrono::Duration,
}

impl Default for LogRetention {
    fn default() -> Self {
        LogRetention {
            keep: 200,
            max_age: chrono::Duration::days(30),
        }
    }
}

/// Longest `last_error`/log error kept (a receiver's answer is outside input).
pub(crate) const MAX_ERROR_CHARS: usize = 500;

/// `text` cut to [`MAX_ERROR_CHARS`] characters.
pub(crate) fn clip_error(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}

impl Store {
    /// Add a webhook for `user`. Its cursor starts at the newest stored
    /// entry: it sends what arrives from now on, not the backlog.
    /// `Invalid` for an empty URL or a secret under 32 characters.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn webhook_create(
        &self,
        user: UserId,
        new: &NewWebhook,
        now: DateTime<Utc>,
    ) -> StoreResult<Webhook> {
        if new.url.trim().is_empty() {
            return Err(crate::StoreError::Invalid(
                "the webhook URL is empty".into(),
            ));
        }
        if new.secret.len() < 32 {
            return Err(crate::StoreError::Invalid(
                "a webhook secret has at least 32 characters".into(),
            ));
        }
        on_engine!(self, |db| engine::webhooks::create(
            &db.writer, user, new, now
        )
        .await)
    }

    /// The user's webhooks, oldest first.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn webhooks(&self, user: UserId) -> StoreResult<Vec<Webhook>> {
        on_engine!(self, |db| engine::webhooks::list(&db.pool, Some(user))
            .await)
    }

    /// Every user's webhooks, oldest first.
    #[instrument(skip_all)]
    pub async fn all_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        on_engine!(self, |db| engine::webhooks::list(&db.pool, None).await)
    }

    /// The user's webhook `id`; `NotFound` when it is not theirs.
    #[instrument(skip_all, fields(user.id = %user, webhook.id = %id))]
    pub async fn webhook(&self, user: UserId, id: WebhookId) -> StoreResult<Webhook> {
        on_engine!(self, |db| engine::webhooks::get(&db.pool, Some(user), id)
            .await)
    }

    /// Enable or disable the user's webhook. Enabling clears the back-off,
    /// so the next pass tries at once. `NotFound` when it is not theirs.
    #[instrument(skip_all, fields(user.id = %user, webhook.id = %id, enabled))]
    pub async fn webhook_set_enabled(
        &self,
        user: UserId,
        id: WebhookId,
        enabled: bool,
    ) -> StoreResult<()> {
        on_engine!(self, |db| engine::webhooks::set_enabled(
            &db.writer, user, id, enabled
        )
        .await)
    }

    /// Delete the user's webhook and its log. `NotFound` when it is not theirs.
    #[instrument(skip_all, fields(user.id = %user, webhook.id = %id))]
    pub async fn webhook_delete(&self, user: UserId, id: WebhookId) -> StoreResult<()> {
        on_engine!(self, |db| engine::webhooks::delete(&db.writer, user, id)
            .await)
    }

    /// Enabled webhooks whose back-off has passed at `now` and that no
    /// live lease holds, oldest first.
    #[instrument(skip_all)]
    pub async fn webhooks_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<WebhookId>> {
        on_engine!(self, |db| engine::webhooks::due(&db.pool, now).await)
    }

    /// Claim webhook `id` for `owner` until `until`, when it is enabled and
    /// no other live lease holds it. `None` when it is taken, disabled or gone.
    #[instrument(skip_all, fields(webhook.id = %id))]
    pub async fn webhook_claim(
        &self,
        id: WebhookId,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<Webhook>> {
        on_engine!(self, |db| engine::webhooks::claim(
            &db.writer, id, owner, now, until
        )
        .await)
    }

    /// Give up `owner`'s lease on webhook `id` (nothing when it holds none).
    #[instrument(skip_all, fields(webhook.id = %id))]
    pub async fn webhook_release(&self, id: WebhookId, owner: &str) -> StoreResult<()> {
        on_engine!(self, |db| engine::webhooks::release(&db.writer, id, owner)
            .await)
    }

    /// The entries `hook` would send next: entries of the user's
    /// subscriptions that are not paused, in the webhook's category (if
    /// any), not hidden for the user, stored at or before `stored_before`,
    /// with ids above the cursor — in id order, at most `limit`.
    #[instrument(skip_all, fields(webhook.id = %hook.id, limit))]
    pub async fn webhook_entries(
        &self,
        hook: &Webhook,
        stored_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<RiverItem>> {
        on_engine!(self, |db| engine::webhooks::entries(
            &db.pool,
            hook,
            stored_before,
            limit
        )
        .await)
    }

    /// The highest id of an entry (of any feed) above `after` stored at or
    /// before `stored_before`: how far a webhook's cursor may move when
    /// nothing below it is for the webhook.
    #[instrument(skip_all)]
    pub async fn webhook_horizon(
        &self,
        after: i64,
        stored_before: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        on_engine!(self, |db| engine::webhooks::horizon(
            &db.pool,
            after,
            stored_before
        )
        .await)
    }

    /// Move the cursor of `owner`'s claimed webhook forward to `cursor`
    /// (never back), when no batch is pending. False when the lease is lost.
    #[instrument(skip_all, fields(webhook.id = %id, cursor))]
    pub async fn webhook_advance(
        &self,
        id: WebhookId,
        owner: &str,
        cursor: i64,
    ) -> StoreResult<bool> {
        on_engine!(self, |db| engine::webhooks::advance(
            &db.writer, id, owner, cursor
        )
        .await)
    }

    /// Store `batch` as the pending batch of `owner`'s claimed webhook
    /// (none may be pending). False when the lease is lost or a batch is
    /// pending already.
    #[instrument(skip_all, fields(webhook.id = %id))]
    pub async fn webhook_begin_batch(
        &self,
        id: WebhookId,
        owner: &str,
        batch: &PendingBatch,
    ) -> StoreResult<bool> {
        on_engine!(self, |db| engine::webhooks::begin_batch(
            &db.writer, id, owner, batch
        )
        .await)
    }

    /// Log `attempt` of webhook `id`, apply `effect` to its state (for
    /// `Delivered` and `Failed` only while `owner` holds its lease), and
    /// trim its log to `retention` — in one transaction. False when the
    /// lease was lost (the attempt is still logged).
    #[instrument(skip_all, fields(webhook.id = %id))]
    pub async fn webhook_record_attempt(
        &self,
        id: WebhookId,
        owner: &str,
        attempt: &DeliveryAttempt,
        effect: AttemptEffect,
        retention: LogRetention,
    ) -> StoreResult<bool> {
        on_engine!(self, |db| engine::webhooks::record_attempt(
            &db.writer, id, owner, attempt, effect, retention
        )
        .await)
    }

    /// The delivery log of the user's webhook, newest first, at most
    /// `limit` rows. `NotFound` when the webhook is not theirs.
    #[instrument(skip_all, fields(user.id = %user, webhook.id = %id))]
    pub async fn webhook_log(
        &self,
        user: UserId,
        id: WebhookId,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryLogEntry>> {
        on_engine!(self, |db| engine::webhooks::log(&db.pool, user, id, limit)
            .await)
    }
}
