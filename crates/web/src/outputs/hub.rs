//! Telling the WebSub hub that the public outputs changed.

use tributary_fetch::{FetchConfig, Fetcher};
use url::Url;

use super::{paging, planet_user, PATHS};
use crate::{AppState, WebError};

/// The absolute URLs of the public planet's outputs: the river, the merged
/// feeds, the OPML and every category feed. Empty when there is no planet
/// or no `WebConfig::public_url` (a hub needs absolute URLs).
pub async fn public_urls(state: &AppState) -> Result<Vec<String>, WebError> {
    let Some(public) = &state.config.public_url else {
        return Ok(Vec::new());
    };
    let Some(user) = planet_user(state).await? else {
        return Ok(Vec::new());
    };
    let base = public.as_str().trim_end_matches('/');
    let mut urls: Vec<String> = PATHS
        .iter()
        .map(|(_, path)| format!("{base}{path}"))
        .collect();
    for category in state.store.categories(user.id).await? {
        for ext in ["atom", "rss", "json"] {
            urls.push(format!(
                "{base}/feeds/category/{}.{ext}",
                paging::encode(&category.path)
            ));
        }
    }
    Ok(urls)
}

/// Ping `WebConfig::hub_url` (when set) with `hub.mode=publish` for each
/// public output URL. Uses the refresher's fetcher, so the SSRF guard and
/// timeouts apply (a guarded default fetcher without a refresher). Failures
/// are logged, never returned: a hub being down must not stop fetching.
pub async fn notify_hub(state: &AppState) {
    let Some(hub) = &state.config.hub_url else {
        return;
    };
    let urls = match public_urls(state).await {
        Ok(urls) => urls,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the public outputs for the hub");
            return;
        }
    };
    if urls.is_empty() {
        tracing::debug!("no public outputs to announce (no planet user or no web.public_url)");
        return;
    }
    let own;
    let fetcher = match &state.refresher {
        Some(r) => r.fetcher(),
        None => match Fetcher::new(FetchConfig::default()) {
            Ok(f) => {
                own = f;
                &own
            }
            Err(e) => {
                tracing::warn!(error = %e, "no HTTP client to ping the hub");
                return;
            }
        },
    };
    ping(fetcher, hub, &urls).await;
}

async fn ping(fetcher: &Fetcher, hub: &Url, urls: &[String]) {
    for url in urls {
        let form = [("hub.mode", "publish"), ("hub.url", url.as_str())];
        match fetcher.post_form(hub, &form).await {
            Ok(r) if r.is_success() => {
                tracing::debug!(hub = %hub, url = %url, status = r.status, "hub pinged");
            }
            Ok(r) => {
                tracing::warn!(hub = %hub, url = %url, status = r.status, body = %r.body.chars().take(200).collect::<String>(), "the hub refused the publish ping");
            }
            Err(e) => {
                tracing::warn!(hub = %hub, url = %url, error = %e, "could not ping the hub");
            }
        }
    }
}
