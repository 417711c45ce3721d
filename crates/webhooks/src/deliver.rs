//! Delivery: one pass over the webhooks that are due, and the worker that
//! runs passes in `serve` and `daemon`.
//!
//! Each webhook is delivered on its own (a few at once): a receiver that
//! is down, slow or refused by the SSRF guard costs its own webhook a
//! logged failure and a back-off, never the others' deliveries. Every POST
//! is bounded by `timeout`, and the answer's body is read only up to the
//! fetcher's POST cap (a few hundred characters of it are logged).

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tracing::{info, warn};
use tributary_fetch::Fetcher;
use tributary_store::{
    AttemptEffect, DeliveryAttempt, DeliveryKind, LogRetention, PendingBatch, Store, Webhook,
    WebhookId,
};
use url::Url;

use crate::backoff::{random_jitter, retry_delay};
use crate::payload::{Event, Payload};
use crate::signature::{
    sign, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_HEADER,
};
use crate::{new_delivery_id, WebhookConfig, WebhookError};

/// Batches sent for one webhook in one pass at most (a backlog drains over
/// several passes, and other webhooks get their turn in between).
const MAX_BATCHES_PER_PASS: u32 = 20;

/// How much of a refusing answer's body is kept in the log.
const LOGGED_BODY_CHARS: usize = 200;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Webhooks looked at (due, or all enabled when forced).
    pub webhooks: usize,
    /// Batches acknowledged with a 2xx.
    pub batches: usize,
    /// Entries in those batches.
    pub entries: usize,
    /// Attempts that failed (each is logged and retried later).
    pub failures: usize,
    /// Webhooks that could not be handled at all (a store error), with why.
    pub errors: Vec<(WebhookId, String)>,
}

/// What one webhook's turn did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookReport {
    /// Batches acknowledged.
    pub batches: usize,
    /// Entries in them.
    pub entries: usize,
    /// The attempt that failed, if one did (the turn ends there).
    pub failed: Option<String>,
    /// False when another process held the webhook.
    pub claimed: bool,
}

/// The answer to one POST.
struct Sent {
    status: Option<u16>,
    error: Option<String>,
    retry_after: Option<Duration>,
    duration: Duration,
}

/// Delivers webhooks: the store, the fetcher (its SSRF guard and connection
/// pool) and the policy. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    store: Store,
    fetcher: Fetcher,
    config: WebhookConfig,
    owner: String,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("config", &self.config)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

fn owner_name() -> String {
    let tag = crate::random_hex(4).unwrap_or_else(|_| "0".into());
    format!("webhooks:{}:{tag}", std::process::id())
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Deliverer {
    /// A deliverer sending through `fetcher` (whose address policy decides
    /// which destinations are allowed).
    pub fn new(store: Store, fetcher: Fetcher, config: WebhookConfig) -> Deliverer {
        Deliverer {
            store,
            fetcher,
            config,
            owner: owner_name(),
        }
    }

    /// The policy in use.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    fn retention(&self) -> LogRetention {
        LogRetention {
            keep: self.config.log_keep,
            max_age: chrono_duration(self.config.log_max_age),
        }
    }

    /// How long a claim holds: long enough for a whole turn.
    fn lease(&self) -> chrono::Duration {
        chrono_duration(
            self.config
                .timeout
                .saturating_mul(MAX_BATCHES_PER_PASS + 2)
                .max(Duration::from_secs(60)),
        )
    }

    /// One pass at `now`: every enabled webhook whose back-off has passed
    /// (every enabled one when `force`), a few at once. Never fails as a
    /// whole; a webhook's store error is reported in `errors`.
    pub async fn pass(&self, now: DateTime<Utc>, force: bool) -> PassReport {
        let ids = if force {
            self.store.all_webhooks().await.map(|hooks| {
                hooks
                    .into_iter()
                    .filter(|h| h.enabled)
                    .map(|h| h.id)
                    .collect()
            })
        } else {
            self.store.webhooks_due(now).await
        };
        let ids: Vec<WebhookId> = match ids {
            Ok(ids) => ids,
            Err(e) => {
                warn!(error = %e, "cannot list the webhooks to deliver");
                return PassReport {
                    errors: vec![(WebhookId(0), e.to_string())],
                    ..PassReport::default()
                };
            }
        };
        let mut report = PassReport {
            webhooks: ids.len(),
            ..PassReport::default()
        };
        let results: Vec<(WebhookId, Result<HookReport, WebhookError>)> =
            futures::stream::iter(ids)
                .map(|id| async move { (id, self.deliver(id, now).await) })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
        for (id, result) in results {
            match result {
                Ok(r) => {
                    report.batches += r.batches;
                    report.entries += r.entries;
                    report.failures += usize::from(r.failed.is_some());
                }
                Err(e) => {
                    warn!(webhook.id = %id, error = %e, "webhook delivery failed");
                    report.errors.push((id, e.to_string()));
                }
            }
        }
        report
    }

    /// One webhook's turn at `now`: claim it, send its pending batch and
    /// then new ones until nothing is left, an attempt fails, or the turn's
    /// batch limit is reached; release it.
    pub async fn deliver(
        &self,
        id: WebhookId,
        now: DateTime<Utc>,
    ) -> Result<HookReport, WebhookError> {
        let Some(hook) = self
            .store
            .webhook_claim(id, &self.owner, now, now + self.lease())
            .await?
        else {
            return Ok(HookReport::default());
        };
        let result = self.turn(hook, now).await;
        self.store.webhook_release(id, &self.owner).await?;
        result
    }

    async fn turn(
        &self,
        mut hook: Webhook,
        now: DateTime<Utc>,
    ) -> Result<HookReport, WebhookError> {
        let mut report = HookReport {
            claimed: true,
            ..HookReport::default()
        };
        let stored_before = now - chrono_duration(self.config.settle);
        for _ in 0..MAX_BATCHES_PER_PASS {
            let batch = match hook.pending.clone() {
                Some(batch) => batch,
                None => {
                    let items = self
                        .store
                        .webhook_entries(&hook, stored_before, self.config.batch_size.max(1))
                        .await?;
                    let Some(last) = items.last() else {
                        // Nothing to send: pass over what this webhook
                        // would never send (other users' feeds, paused or
                        // hidden entries), so the next query starts later.
                        if let Some(horizon) = self
                            .store
                            .webhook_horizon(hook.cursor, stored_before)
                            .await?
                        {
                            self.store
                                .webhook_advance(hook.id, &self.owner, horizon)
                                .await?;
                        }
                        break;
                    };
                    let delivery_id = new_delivery_id()?;
                    let body = Payload::entries(hook.id.0, &delivery_id, now, &items).to_body();
                    let batch = PendingBatch {
                        delivery_id,
                        body,
                        last_entry_id: last.entry.id.0,
                        entries: u32::try_from(items.len()).unwrap_or(u32::MAX),
                    };
                    if !self
                        .store
                        .webhook_begin_batch(hook.id, &self.owner, &batch)
                        .await?
                    {
                        // The lease was lost (or another process began a
                        // batch): leave the webhook to it.
                        break;
                    }
                    hook.attempts = 0;
                    batch
                }
            };
            let attempt_no = hook.attempts + 1;
            let sent = self
                .send(&hook, Event::Entries, &batch.delivery_id, &batch.body)
                .await;
            let attempt = DeliveryAttempt {
                at: now,
                delivery_id: batch.delivery_id.clone(),
                kind: DeliveryKind::Entries,
                entries: batch.entries,
                attempt: attempt_no,
                status: sent.status,
                error: sent.error.clone(),
                duration_ms: u64::try_from(sent.duration.as_millis()).unwrap_or(u64::MAX),
            };
            if sent.error.is_none() {
                let kept = self
                    .store
                    .webhook_record_attempt(
                        hook.id,
                        &self.owner,
                        &attempt,
                        AttemptEffect::Delivered,
                        self.retention(),
                    )
                    .await?;
                if !kept {
                    break;
                }
                report.batches += 1;
                report.entries += batch.entries as usize;
                hook.cursor = hook.cursor.max(batch.last_entry_id);
                hook.pending = None;
                hook.attempts = 0;
            } else {
                let wait = retry_delay(
                    attempt_no,
                    sent.retry_after,
                    self.config.retry_min,
                    self.config.retry_max,
                    random_jitter(),
                );
                let next_attempt_at = now + chrono_duration(wait);
                self.store
                    .webhook_record_attempt(
                        hook.id,
                        &self.owner,
                        &attempt,
                        AttemptEffect::Failed { next_attempt_at },
                        self.retention(),
                    )
                    .await?;
                info!(
                    webhook.id = %hook.id,
                    delivery = %batch.delivery_id,
                    attempt = attempt_no,
                    error = sent.error.as_deref().unwrap_or(""),
                    retry_in = ?wait,
                    "webhook delivery failed; will retry"
                );
                report.failed = sent.error;
                break;
            }
        }
        Ok(report)
    }

    /// Send a test ping to `hook` now and log it (its delivery state is
    /// left alone). Returns the logged attempt: `error` is `None` for a 2xx.
    pub async fn ping(&self, hook: &Webhook) -> Result<DeliveryAttempt, WebhookError> {
        let now = Utc::now();
        let delivery_id = new_delivery_id()?;
        let body = Payload::ping(hook.id.0, &delivery_id, now).to_body();
        let sent = self.send(hook, Event::Ping, &delivery_id, &body).await;
        let attempt = DeliveryAttempt {
            at: now,
            delivery_id,
            kind: DeliveryKind::Ping,
            entries: 0,
            attempt: 1,
            status: sent.status,
            error: sent.error,
            duration_ms: u64::try_from(sent.duration.as_millis()).unwrap_or(u64::MAX),
        };
        self.store
            .webhook_record_attempt(
                hook.id,
                &self.owner,
                &attempt,
                AttemptEffect::Ping,
                self.retention(),
            )
            .await?;
        Ok(attempt)
    }

    /// POST `body`, signed, and judge the answer.
    async fn send(&self, hook: &Webhook, event: Event, delivery_id: &str, body: &str) -> Sent {
        let started = Instant::now();
        let done = |status, error: Option<String>, retry_after| Sent {
            status,
            error,
            retry_after,
            duration: started.elapsed(),
        };
        let url = match Url::parse(&hook.url) {
            Ok(url) => url,
            Err(e) => {
                return done(
                    None,
                    Some(format!("the URL {} is not valid: {e}", hook.url)),
                    None,
                )
            }
        };
        let timestamp = Utc::now().timestamp();
        let ts = timestamp.to_string();
        let signature = sign(&hook.secret, timestamp, body.as_bytes());
        let hook_id = hook.id.to_string();
        let headers = [
            ("User-Agent", self.config.user_agent.as_str()),
            (SIGNATURE_HEADER, signature.as_str()),
            (TIMESTAMP_HEADER, ts.as_str()),
            (DELIVERY_HEADER, delivery_id),
            (EVENT_HEADER, event.as_str()),
            (WEBHOOK_HEADER, hook_id.as_str()),
        ];
        let post =
            self.fetcher
                .post_body(&url, "application/json", &headers, body.as_bytes().to_vec());
        let answer = match tokio::time::timeout(self.config.timeout, post).await {
            Err(_) => {
                return done(
                    None,
                    Some(format!(
                        "no answer within {} s",
                        self.config.timeout.as_secs_f64()
                    )),
                    None,
                )
            }
            Ok(Err(e)) => return done(None, Some(e.to_string()), None),
            Ok(Ok(answer)) => answer,
        };
        if answer.is_success() {
            return done(Some(answer.status), None, None);
        }
        let said: String = answer
            .body
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(LOGGED_BODY_CHARS)
            .collect();
        let mut error = match (answer.status, &answer.location) {
            (300..=399, Some(to)) => {
                format!("HTTP {} redirect to {to} (not followed)", answer.status)
            }
            (status, _) => format!("HTTP {status}"),
        };
        if !said.is_empty() {
            error.push_str(": ");
            error.push_str(&said);
        }
        done(Some(answer.status), Some(error), answer.retry_after)
    }
}

/// Run [`Deliverer::pass`] every `interval` until `stop` completes (the
/// turn in progress finishes first). `serve` and `daemon` start it.
pub fn spawn(
    deliverer: Deliverer,
    stop: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(deliverer.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let report = deliverer.pass(Utc::now(), false).await;
                    if report.batches > 0 || report.failures > 0 || !report.errors.is_empty() {
                        info!(?report, "webhook deliveries");
                    }
                }
                () = &mut stop => break,
            }
        }
    })
}
