//! WebSub subscriber (W3C Recommendation, <https://www.w3.org/TR/websub/>):
//! feeds that advertise a hub are pushed to us instead of polled.
//!
//! * [`discover`] reads the hubs and the topic (`rel=hub`, `rel=self`) from a
//!   fetched feed's `Link` headers and document links.
//! * [`Subscriber`] asks a hub for a subscription (form POST through the
//!   guarded [`Fetcher`](tributary_fetch::Fetcher)), keeps its state in the
//!   [`Store`](tributary_store::Store), and renews leases before they end.
//!   Calling [`Subscriber::subscribe`] after every fetch is fine: a
//!   subscription that is active, or was just requested, is not requested again.
//! * [`router`] serves the callback, `/websub/callback/{token}`: the hub's
//!   verification of intent (GET) and its content distribution (POST), whose
//!   `X-Hub-Signature` is checked against the subscription's secret before
//!   the body goes to a [`PushSink`] (the refresh pipeline, in the server).
//!
//! WebSub needs a public base URL the hubs can reach
//! ([`WebSubConfig::public_base_url`]); without one it is off.
//!
//! ```no_run
//! # async fn demo(store: tributary_store::Store, fetcher: tributary_fetch::Fetcher,
//! #               feed: tributary_model::FeedId) -> Result<(), tributary_websub::WebSubError> {
//! use tributary_websub::{discover, Subscriber, WebSubConfig};
//!
//! let config = WebSubConfig {
//!     public_base_url: Some("https://reader.example/".parse().unwrap()),
//!     ..WebSubConfig::default()
//! };
//! let subscriber = Subscriber::new(store, fetcher, config);
//! let links = [("hub", "https://hub.example/"), ("self", "https://blog.example/feed")];
//! if let Some(advert) = discover(&links, &[]) {
//!     subscriber.subscribe(feed, &advert).await?;
//! }
//! # Ok(())
//! # }
//! ```

// `WebSubError` carries a `FetchError`, which carries a `Url`; it is built
// once per failed exchange with a hub.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

mod callback;
mod discover;
mod signature;
mod subscriber;

use std::time::Duration;

use tributary_fetch::FetchError;
use tributary_store::StoreError;
use url::Url;

pub use callback::{router, PushSink, CALLBACK_PREFIX};
pub use discover::{discover, Advert, MAX_HUBS};
pub use signature::{Signature, SignatureError, SignatureMethod};
pub use subscriber::{RenewReport, SubscribeOutcome, Subscriber};

/// WebSub settings (config keys `websub.enabled`, `websub.public_url`,
/// `websub.lease`). Passed in as a value.
#[derive(Debug, Clone)]
pub struct WebSubConfig {
    /// Subscribe to hubs at all (`websub.enabled`, default true; without a
    /// public base URL WebSub is off anyway).
    pub enabled: bool,
    /// The URL at which hubs reach this server (`websub.public_url`); callback
    /// URLs are `{public_base_url}/websub/callback/{token}`. `None`: WebSub is off.
    pub public_base_url: Option<Url>,
    /// Lease asked of hubs, in seconds (`websub.lease`, default 10 days).
    /// Hubs decide; the lease they grant is what is stored.
    pub lease_seconds: u32,
    /// Renew a subscription when its lease ends within this margin (default 1 day).
    pub renew_margin: Duration,
    /// A request the hub has neither verified nor denied after this long is
    /// sent again (default 1 hour).
    pub retry_after: Duration,
    /// A denial is respected this long before the same hub and topic are
    /// asked again (default 7 days).
    pub retry_denied_after: Duration,
    /// Largest content distribution body accepted; larger ones get 413
    /// (default 20 MiB).
    pub max_push_bytes: usize,
}

impl Default for WebSubConfig {
    fn default() -> Self {
        WebSubConfig {
            enabled: true,
            public_base_url: None,
            lease_seconds: 10 * 24 * 3600,
            renew_margin: Duration::from_secs(24 * 3600),
            retry_after: Duration::from_secs(3600),
            retry_denied_after: Duration::from_secs(7 * 24 * 3600),
            max_push_bytes: 20 * 1024 * 1024,
        }
    }
}

/// Why a WebSub request did not happen or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebSubError {
    /// WebSub is off (disabled, or no public base URL).
    #[error("websub is off (set websub.public_url to a URL hubs can reach)")]
    Off,
    /// The advert names no hub.
    #[error("the feed advertises no hub")]
    NoHub,
    /// The hub could not be reached (refused address, DNS, timeout…).
    #[error("websub hub {hub}: {source}")]
    Hub {
        /// The hub asked.
        hub: String,
        /// What went wrong.
        #[source]
        source: FetchError,
    },
    /// The hub answered with an error status.
    #[error("websub hub {hub} refused to {mode} {topic}: {status} {body:?}")]
    Refused {
        /// The hub that answered.
        hub: String,
        /// `subscribe` or `unsubscribe`.
        mode: &'static str,
        /// The topic asked for.
        topic: String,
        /// Its status.
        status: u16,
        /// The start of its body (at most 200 characters).
        body: String,
    },
    /// The hub redirected more than a few times, or to a URL that does not resolve.
    #[error("websub hub {hub}: {reason}")]
    Redirect {
        /// The hub asked.
        hub: String,
        /// What was wrong with the redirect.
        reason: String,
    },
    /// No random numbers for the token and secret.
    #[error("cannot generate a random callback token: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebSubError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebSubError::Off => "websub_off",
            WebSubError::NoHub => "websub_no_hub",
            WebSubError::Hub { .. } => "websub_hub_unreachable",
            WebSubError::Refused { .. } => "websub_hub_refused",
            WebSubError::Redirect { .. } => "websub_hub_redirect",
            WebSubError::Random(_) => "websub_random",
            WebSubError::Store(_) => "websub_store",
        }
    }
}
