//! [`Subscriber`]: subscription requests to hubs (WebSub §5.1), their
//! idempotency, unsubscription, and lease renewal.
//!
//! A request is recorded in the store *before* it is sent, since a hub may
//! verify it before it answers. The callback token and the secret are 32
//! random bytes each, in hex; they are kept across renewals and retries to
//! the same hub and topic (the spec's SHOULD to change the callback on
//! renewal is not followed: one callback per feed keeps content arriving
//! while a renewal is being verified).
//!
//! The secret is always sent, also to plain-http hubs (where the spec says it
//! SHOULD not be): without it content could not be authenticated at all, and
//! over plain http the content itself is no better protected than the secret.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tributary_fetch::Fetcher;
use tributary_model::FeedId;
use tributary_store::{NewWebSub, Store, WebSubMode, WebSubState, WebSubSubscription};
use url::Url;

use crate::callback::CALLBACK_PREFIX;
use crate::{Advert, WebSubConfig, WebSubError};

/// Redirects (307/308, WebSub §5.1.2) followed for one hub request.
const MAX_HUB_REDIRECTS: usize = 3;

/// Characters of a hub's error body kept in the error.
const HUB_BODY_CHARS: usize = 200;

/// What [`Subscriber::subscribe`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A request was sent and the hub accepted it (it verifies later).
    Requested {
        /// The hub asked.
        hub: Url,
    },
    /// Already active with this hub and topic: nothing sent (renewal is
    /// [`Subscriber::renew_due`]'s job).
    AlreadyActive,
    /// Already requested recently and not yet verified: nothing sent.
    AlreadyRequested,
    /// The hub denied this topic recently: nothing sent.
    Denied,
    /// WebSub is off: nothing sent.
    Off,
}

/// What [`Subscriber::renew_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenewReport {
    /// Feeds whose renewal the hub accepted.
    pub renewed: Vec<FeedId>,
    /// Feeds whose renewal was requested recently and awaits verification.
    pub waiting: Vec<FeedId>,
    /// Feeds whose renewal failed, with the reason (also kept in the store).
    pub failed: Vec<(FeedId, String)>,
}

/// Subscribes feeds to their hubs. Cheap to clone.
#[derive(Clone)]
pub struct Subscriber {
    store: Store,
    fetcher: Fetcher,
    config: Arc<WebSubConfig>,
    /// `{public_base_url}/websub/callback/`, when WebSub is on.
    callback_base: Option<Arc<str>>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Subscriber {
    /// A subscriber with its store, HTTP client and settings.
    ///
    /// Says in the log once (here) when WebSub is off because no public base
    /// URL is set, or because the one set is not a plain http(s) URL.
    pub fn new(store: Store, fetcher: Fetcher, config: WebSubConfig) -> Subscriber {
        let callback_base = if !config.enabled {
            tracing::info!("websub is disabled (websub.enabled = false)");
            None
        } else {
            match &config.public_base_url {
                None => {
                    tracing::info!(
                        "websub is off: no public base URL (websub.public_url) for hubs to call back"
                    );
                    None
                }
                Some(base)
                    if !matches!(base.scheme(), "http" | "https")
                        || base.host().is_none()
                        || base.query().is_some()
                        || base.fragment().is_some() =>
                {
                    tracing::warn!(
                        url = %base,
                        "websub is off: websub.public_url must be an http(s) URL without query or fragment"
                    );
                    None
                }
                Some(base) => {
                    let root = base.as_str().trim_end_matches('/');
                    Some(Arc::from(format!("{root}{CALLBACK_PREFIX}")))
                }
            }
        };
        Subscriber {
            store,
            fetcher,
            config: Arc::new(config),
            callback_base,
        }
    }

    /// True when subscriptions can be made (enabled, with a usable public URL).
    pub fn is_enabled(&self) -> bool {
        self.callback_base.is_some()
    }

    /// The settings.
    pub fn config(&self) -> &WebSubConfig {
        &self.config
    }

    /// The store the subscriptions are kept in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The callback URL for `token`, when WebSub is on.
    pub fn callback_url(&self, token: &str) -> Option<String> {
        self.callback_base
            .as_ref()
            .map(|base| format!("{base}{token}"))
    }

    /// Subscribe `feed` to the first hub of `advert` for `advert.topic`,
    /// unless that is already done or under way.
    ///
    /// Nothing is sent when the feed's subscription names the same topic and
    /// one of the advertised hubs and is active (lease not over), pending
    /// since less than `retry_after`, or denied since less than
    /// `retry_denied_after`. A 2xx answer (202 in the spec) means the hub
    /// will verify; any other answer is [`WebSubError::Refused`] with the
    /// hub's status and the start of its body, also kept as the
    /// subscription's `last_error`.
    #[tracing::instrument(skip_all, fields(feed.id = %feed, topic = %advert.topic))]
    pub async fn subscribe(
        &self,
        feed: FeedId,
        advert: &Advert,
    ) -> Result<SubscribeOutcome, WebSubError> {
        if !self.is_enabled() {
            return Ok(SubscribeOutcome::Off);
        }
        let first_hub = advert.hubs.first().ok_or(WebSubError::NoHub)?;
        let now = Utc::now();
        let topic = advert.topic.as_str();
        let current = self.store.websub_for_feed(feed).await?.filter(|s| {
            s.topic_url == topic && advert.hubs.iter().any(|h| h.as_str() == s.hub_url)
        });
        let hub = match &current {
            Some(sub) => {
                let since = now.signed_duration_since(sub.requested_at);
                match sub.state {
                    WebSubState::Active if sub.expires_at.is_some_and(|e| e > now) => {
                        return Ok(SubscribeOutcome::AlreadyActive)
                    }
                    WebSubState::Active | WebSubState::Pending
                        if sub.pending_mode == Some(WebSubMode::Subscribe)
                            && within(since, self.config.retry_after) =>
                    {
                        return Ok(SubscribeOutcome::AlreadyRequested)
                    }
                    WebSubState::Pending if within(since, self.config.retry_after) => {
                        // The last request failed recently: do not hammer the hub.
                        return Ok(SubscribeOutcome::AlreadyRequested);
                    }
                    WebSubState::Denied if within(since, self.config.retry_denied_after) => {
                        return Ok(SubscribeOutcome::Denied)
                    }
                    _ => sub.hub_url.clone(),
                }
            }
            None => first_hub.to_string(),
        };
        let new = NewWebSub {
            hub_url: hub,
            topic_url: topic.to_owned(),
            callback_token: random_hex()?,
            secret: random_hex()?,
        };
        let sub = self
            .store
            .websub_request_subscription(feed, &new, now)
            .await?;
        let hub = self.send(&sub, WebSubMode::Subscribe).await?;
        tracing::info!(%hub, "websub subscription requested");
        Ok(SubscribeOutcome::Requested { hub })
    }

    /// Ask the hub to end the feed's subscription. The hub verifies it at the
    /// callback, which then marks it `unsubscribed`. Nothing to do (`Ok`)
    /// when the feed has no subscription or it is already unsubscribed;
    /// [`WebSubError::Off`] when WebSub is off (the hub could not verify).
    #[tracing::instrument(skip_all, fields(feed.id = %feed))]
    pub async fn unsubscribe(&self, feed: FeedId) -> Result<(), WebSubError> {
        if !self.is_enabled() {
            return Err(WebSubError::Off);
        }
        match self.store.websub_for_feed(feed).await? {
            None => return Ok(()),
            Some(s) if s.state == WebSubState::Unsubscribed => return Ok(()),
            Some(_) => {}
        }
        let Some(sub) = self
            .store
            .websub_request_unsubscription(feed, Utc::now())
            .await?
        else {
            return Ok(());
        };
        self.send(&sub, WebSubMode::Unsubscribe).await?;
        Ok(())
    }

    /// Re-subscribe every active subscription whose lease ends before
    /// `now + renew_margin` (ended ones included), to the same hub, topic and
    /// callback. A renewal sent less than `retry_after` ago and not yet
    /// verified is left waiting. Failures are reported, not returned: one
    /// hub's trouble does not stop the others' renewals.
    #[tracing::instrument(skip_all)]
    pub async fn renew_due(&self, now: DateTime<Utc>) -> RenewReport {
        let mut report = RenewReport::default();
        if !self.is_enabled() {
            return report;
        }
        let margin =
            chrono::Duration::from_std(self.config.renew_margin).unwrap_or(chrono::Duration::MAX);
        let before = now
            .checked_add_signed(margin)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let due = match self.store.websub_due_for_renewal(before).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "websub: cannot list the subscriptions to renew");
                return report;
            }
        };
        for sub in due {
            let feed = sub.feed_id;
            let since = now.signed_duration_since(sub.requested_at);
            match sub.pending_mode {
                Some(WebSubMode::Unsubscribe) => continue,
                Some(WebSubMode::Subscribe) if within(since, self.config.retry_after) => {
                    report.waiting.push(feed);
                    continue;
                }
                _ => {}
            }
            let renewal = NewWebSub {
                hub_url: sub.hub_url.clone(),
                topic_url: sub.topic_url.clone(),
                callback_token: sub.callback_token.clone(),
                secret: sub.secret.clone(),
            };
            let result = match self
                .store
                .websub_request_subscription(feed, &renewal, now)
                .await
            {
                Ok(sub) => self.send(&sub, WebSubMode::Subscribe).await.map(|_| ()),
                Err(e) => Err(e.into()),
            };
            match result {
                Ok(()) => report.renewed.push(feed),
                Err(e) => {
                    tracing::warn!(feed.id = %feed, error = %e, "websub renewal failed");
                    report.failed.push((feed, e.to_string()));
                }
            }
        }
        report
    }

    /// POST the request for `sub` to its hub, following up to
    /// [`MAX_HUB_REDIRECTS`] 307/308 redirects. A failure is also stored as
    /// the subscription's `last_error` (and its request no longer pending).
    /// Returns the hub that accepted.
    async fn send(&self, sub: &WebSubSubscription, mode: WebSubMode) -> Result<Url, WebSubError> {
        let result = self.send_inner(sub, mode).await;
        if let Err(e) = &result {
            if let Err(store_err) = self
                .store
                .websub_record_error(sub.feed_id, &e.to_string())
                .await
            {
                tracing::warn!(error = %store_err, "websub: cannot record the hub's failure");
            }
        }
        result
    }

    async fn send_inner(
        &self,
        sub: &WebSubSubscription,
        mode: WebSubMode,
    ) -> Result<Url, WebSubError> {
        let callback = self
            .callback_url(&sub.callback_token)
            .ok_or(WebSubError::Off)?;
        let lease = self.config.lease_seconds.max(1).to_string();
        let mut form: Vec<(&str, &str)> = vec![
            ("hub.mode", mode.as_str()),
            ("hub.topic", &sub.topic_url),
            ("hub.callback", &callback),
        ];
        if mode == WebSubMode::Subscribe {
            form.push(("hub.secret", &sub.secret));
            form.push(("hub.lease_seconds", &lease));
        }
        let mut hub = Url::parse(&sub.hub_url).map_err(|e| WebSubError::Redirect {
            hub: sub.hub_url.clone(),
            reason: format!("the stored hub URL does not parse: {e}"),
        })?;
        for _ in 0..=MAX_HUB_REDIRECTS {
            let resp = self
                .fetcher
                .post_form(&hub, &form)
                .await
                .map_err(|source| WebSubError::Hub {
                    hub: hub.to_string(),
                    source,
                })?;
            if resp.is_success() {
                return Ok(hub);
            }
            if matches!(resp.status, 307 | 308) {
                let Some(location) = resp.location.as_deref() else {
                    return Err(WebSubError::Redirect {
                        hub: hub.to_string(),
                        reason: format!("{} without a Location", resp.status),
                    });
                };
                hub = hub.join(location).map_err(|e| WebSubError::Redirect {
                    hub: hub.to_string(),
                    reason: format!("Location {location:?} does not resolve: {e}"),
                })?;
                continue;
            }
            return Err(WebSubError::Refused {
                hub: hub.to_string(),
                mode: mode.as_str(),
                topic: sub.topic_url.clone(),
                status: resp.status,
                body: resp.body.trim().chars().take(HUB_BODY_CHARS).collect(),
            });
        }
        Err(WebSubError::Redirect {
            hub: sub.hub_url.clone(),
            reason: format!("more than {MAX_HUB_REDIRECTS} redirects"),
        })
    }
}

/// True when `since` (time since an event) is shorter than `window`.
fn within(since: chrono::Duration, window: Duration) -> bool {
    match chrono::Duration::from_std(window) {
        Ok(window) => since < window,
        Err(_) => true,
    }
}

/// 32 random bytes from the operating system, in hex (64 characters).
fn random_hex() -> Result<String, WebSubError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| WebSubError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let a = random_hex().unwrap();
        let b = random_hex().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn windows() {
        let hour = Duration::from_secs(3600);
        assert!(within(chrono::Duration::minutes(59), hour));
        assert!(!within(chrono::Duration::minutes(60), hour));
        assert!(
            within(chrono::Duration::minutes(-5), hour),
            "clock went back"
        );
    }
}
