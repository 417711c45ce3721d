//! Webhooks: a user's new entries POSTed as signed JSON batches to URLs
//! they configured, retried with back-off, with a delivery log.
//!
//! The flow of one webhook, run by [`Deliverer::pass`] (from the worker
//! that `serve` and `daemon` start with [`spawn`], or from `tributary
//! webhook deliver`):
//!
//! 1. claim the webhook (a lease in the store, so processes sharing a
//!    PostgreSQL database never send one batch twice at once);
//! 2. if no batch is pending, select up to `batch_size` entries above the
//!    webhook's cursor — of the user's subscriptions that are not paused,
//!    in its category if it has one, not hidden by the user's rules, and
//!    stored at least `settle` ago — and store them as the pending batch:
//!    a fresh delivery id and the exact body ([`payload`]);
//! 3. POST the pending body through the fetcher (the SSRF guard, timeouts,
//!    the answer read only up to a cap), signed ([`signature`]);
//! 4. a 2xx moves the cursor past the batch; anything else keeps the batch
//!    and schedules the next attempt ([`backoff`]). Every attempt is logged.
//!
//! Why `settle`: rules (issue 9) hide entries right after a fetch stores
//! them, in a write of their own. An entry becomes eligible only once it
//! has been stored for `settle` (10–30 s is plenty for rules to have run),
//! so a webhook never sends an entry a rule is about to hide. The wait also
//! gathers the entries of several fetches into one batch.

#![warn(missing_docs)]

pub mod backoff;
mod deliver;
pub mod payload;
pub mod signature;
pub mod testing;

use std::time::Duration;

use tributary_fetch::{check_destination, parse_http_url, AddressPolicy};
use url::Url;

pub use deliver::{spawn, Deliverer, HookReport, PassReport};
pub use payload::{Event, Payload, PayloadEntry};
pub use signature::{sign, verify, VerifyError};

/// How webhooks are delivered (`[webhooks]` in the configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Whether `serve` and `daemon` run the delivery worker.
    pub enabled: bool,
    /// How often the worker looks for webhooks with something to send.
    pub interval: Duration,
    /// How long an entry must have been stored before it is sent.
    pub settle: Duration,
    /// Most entries in one POST.
    pub batch_size: u32,
    /// Time allowed for one POST (connect, send, answer).
    pub timeout: Duration,
    /// The wait after a first failure; doubled per failure in a row.
    pub retry_min: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// Webhooks delivered at once.
    pub concurrency: usize,
    /// Log rows kept per webhook (the newest).
    pub log_keep: u32,
    /// Log rows older than this are dropped.
    pub log_max_age: Duration,
    /// `User-Agent` of deliveries.
    pub user_agent: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            enabled: true,
            interval: Duration::from_secs(5),
            settle: Duration::from_secs(15),
            batch_size: 50,
            timeout: Duration::from_secs(10),
            retry_min: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            concurrency: 4,
            log_keep: 200,
            log_max_age: Duration::from_secs(30 * 24 * 3600),
            user_agent: default_user_agent(),
        }
    }
}

/// `Tributary-Webhook/<version> (+<project url>)`.
pub fn default_user_agent() -> String {
    format!(
        "Tributary-Webhook/{} (+https://github.com/tributary-rss/tributary)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Errors of the webhook operations (not of deliveries: a failed delivery
/// is an outcome, logged and retried).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not one a webhook may have.
    #[error("{0}")]
    BadUrl(String),
    /// The system's random source failed.
    #[error("cannot make a random secret: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] tributary_store::StoreError),
}

/// Longest webhook URL accepted.
pub const MAX_URL_CHARS: usize = 2000;

/// Check a webhook URL a user typed: an absolute http or https URL with a
/// host, no credentials, at most [`MAX_URL_CHARS`], and a destination the
/// SSRF guard allows under `policy` (a private or loopback address, or a
/// name resolving to one, is refused unless the policy allows it). Every
/// delivery checks the address again.
pub async fn check_url(raw: &str, policy: &AddressPolicy) -> Result<Url, WebhookError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(WebhookError::BadUrl(
            "Give the URL to send entries to.".into(),
        ));
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(WebhookError::BadUrl(format!(
            "The URL is longer than {MAX_URL_CHARS} characters."
        )));
    }
    let url = parse_http_url(raw).map_err(|e| WebhookError::BadUrl(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhookError::BadUrl(
            "The URL must not hold a user name or password; authenticate with the signature."
                .into(),
        ));
    }
    check_destination(&url, policy, Duration::from_secs(3))
        .await
        .map_err(|e| WebhookError::BadUrl(e.to_string()))?;
    Ok(url)
}

fn random_hex(bytes: usize) -> Result<String, WebhookError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| WebhookError::Random(e.to_string()))?;
    Ok(hex::encode(buf))
}

/// A fresh webhook secret: `whsec_` and 64 hex digits (256 random bits).
pub fn new_secret() -> Result<String, WebhookError> {
    Ok(format!("whsec_{}", random_hex(32)?))
}

/// A fresh delivery id: 32 hex digits (128 random bits).
pub fn new_delivery_id() -> Result<String, WebhookError> {
    random_hex(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed() -> AddressPolicy {
        AddressPolicy {
            allow_private_networks: false,
            allowed_networks: Vec::new(),
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        let open = AddressPolicy {
            allow_private_networks: true,
            allowed_networks: Vec::new(),
        };
        assert!(check_url("http://127.0.0.1:9/hook", &open).await.is_ok());
        for (bad, why) in [
            ("", "Give the URL"),
            ("ftp://a.example/", "ftp"),
            ("a.example/hook", ""),
            ("https://user:pw@a.example/", "user name"),
        ] {
            let e = check_url(bad, &open).await.unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = check_url("http://127.0.0.1:9/hook", &closed())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("127.0.0.1"), "{e}");
        let e = check_url("http://[::1]/hook", &closed()).await.unwrap_err();
        assert!(matches!(e, WebhookError::BadUrl(_)), "{e}");
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_CHARS));
        assert!(check_url(&long, &open).await.is_err());
    }

    #[test]
    fn secrets_and_ids_are_random() {
        let a = new_secret().unwrap();
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64);
        assert_ne!(a, new_secret().unwrap());
        let d = new_delivery_id().unwrap();
        assert_eq!(d.len(), 32);
        assert_ne!(d, new_delivery_id().unwrap());
    }
}
