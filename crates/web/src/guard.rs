//! The SSRF guard at the web's doors: every way a user hands the server a
//! feed URL to store (the add form, OPML uploads, the reader APIs) checks it
//! here first, so a private address is refused with its reason before it is
//! stored, not found later in a feed's last error.
//!
//! With a refresher the check is its fetcher's
//! ([`Refresher::check_url`](tributary_refresh::Refresher::check_url): that
//! fetcher's `allow_private_networks` and `allowed_networks`); a server
//! without one applies the default policy (everything private refused).
//! Every fetch checks again on every hop, whatever was stored.

use std::time::Duration;

use tributary_fetch::{AddressPolicy, FetchError};
use url::Url;

use crate::AppState;

/// Bound of the DNS look-up of a server without a refresher.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// `input` as an http(s) URL the guard lets through, or why not.
pub async fn check_url(state: &AppState, input: &str) -> Result<Url, FetchError> {
    match &state.refresher {
        Some(refresher) => refresher.check_url(input).await,
        None => {
            let url = tributary_fetch::parse_http_url(input)?;
            tributary_fetch::check_destination(&url, &AddressPolicy::default(), LOOKUP_TIMEOUT)
                .await?;
            Ok(url)
        }
    }
}

/// [`check_url`] for a list (an OPML upload), answers in the order given.
pub async fn check_urls(state: &AppState, inputs: &[String]) -> Vec<Result<Url, FetchError>> {
    match &state.refresher {
        Some(refresher) => refresher.check_urls(inputs).await,
        None => {
            let mut out = Vec::with_capacity(inputs.len());
            for input in inputs {
                out.push(check_url(state, input).await);
            }
            out
        }
    }
}
