//! The callback the hubs call: `/websub/callback/{token}`.
//!
//! `GET` is the hub's verification of intent (WebSub §5.3) or its denial
//! (§5.2): the token must be known, `hub.mode` must be the request we have
//! pending (or `subscribe` for an active subscription with nothing pending:
//! a hub's optional reconfirmation) and `hub.topic` the topic we asked for,
//! else 404 as the spec requires. A confirmed verification echoes `hub.challenge` (at most
//! [`MAX_CHALLENGE_BYTES`] printable characters) as `text/plain` with
//! `X-Content-Type-Options: nosniff`, so the echo cannot be used for
//! reflected content. A denial is recorded with its `hub.reason`.
//!
//! `POST` is content distribution (§7, §8). Bodies over the configured
//! limit get 413. The `X-Hub-Signature` must be the HMAC of the body under
//! the subscription's secret (always set by this subscriber); content with a
//! missing, malformed or wrong signature is logged and discarded, *not*
//! delivered. The answer to a signed-or-not push is the same `202 Accepted`
//! either way, as §8 allows, so the answer tells a forger nothing. A good
//! push goes to the [`PushSink`]; if the sink fails the answer is 500, so
//! the hub retries. Unknown tokens and ended subscriptions get `410 Gone`,
//! which tells the hub to drop the subscription (§7).

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use tributary_model::FeedId;
use tributary_store::{WebSubMode, WebSubState, WebSubSubscription};

use crate::signature::Signature;
use crate::Subscriber;

/// The path under the public base URL that callbacks live at (the token follows).
pub const CALLBACK_PREFIX: &str = "/websub/callback/";

/// Longest `hub.challenge` echoed (the spec asks subscribers to bound it).
pub const MAX_CHALLENGE_BYTES: usize = 1024;

/// Longest token looked up (ours are 64 characters).
const MAX_TOKEN_BYTES: usize = 128;

/// Where verified pushed content goes (the refresh pipeline, in the server).
///
/// A plain trait with an `impl Future` return (no `async_trait`, no boxing);
/// it is used as a generic parameter, never as `dyn PushSink`.
pub trait PushSink: Send + Sync + 'static {
    /// Take the body of a content distribution for `feed`, whose signature
    /// has been checked: parse and store it. `content_type` is the request's
    /// `Content-Type` (the topic's). An `Err` is logged and answered with
    /// 500, so the hub delivers again later.
    fn deliver(
        &self,
        feed: FeedId,
        body: Bytes,
        content_type: Option<String>,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

struct CallbackState<S> {
    subscriber: Subscriber,
    sink: Arc<S>,
}

impl<S> Clone for CallbackState<S> {
    fn clone(&self) -> Self {
        CallbackState {
            subscriber: self.subscriber.clone(),
            sink: self.sink.clone(),
        }
    }
}

/// The callback routes (`GET` and `POST /websub/callback/{token}`), with the
/// body limit `subscriber.config().max_push_bytes`. Merge it into the
/// server's router; it carries its own state.
pub fn router<S: PushSink>(subscriber: Subscriber, sink: Arc<S>) -> Router {
    let limit = subscriber.config().max_push_bytes;
    Router::new()
        .route(
            "/websub/callback/{token}",
            get(verify::<S>).post(distribute::<S>),
        )
        .layer(DefaultBodyLimit::max(limit))
        .with_state(CallbackState { subscriber, sink })
}

fn status(code: StatusCode, text: &'static str) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn not_found() -> Response {
    status(StatusCode::NOT_FOUND, "no such pending request\n")
}

fn server_error(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %error, "websub callback: store failure");
    status(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
}

async fn lookup<S: PushSink>(
    state: &CallbackState<S>,
    token: &str,
) -> Result<Option<WebSubSubscription>, Response> {
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Ok(None);
    }
    state
        .subscriber
        .store()
        .websub_by_token(token)
        .await
        .map_err(|e| server_error(&e))
}

/// The first value of each parameter the hub sends.
#[derive(Default)]
struct HubQuery {
    mode: Option<String>,
    topic: Option<String>,
    challenge: Option<String>,
    lease_seconds: Option<String>,
    reason: Option<String>,
}

impl HubQuery {
    fn parse(query: &str) -> HubQuery {
        let mut q = HubQuery::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "hub.mode" => &mut q.mode,
                "hub.topic" => &mut q.topic,
                "hub.challenge" => &mut q.challenge,
                "hub.lease_seconds" => &mut q.lease_seconds,
                "hub.reason" => &mut q.reason,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        q
    }
}

/// The topic the hub names is ours: the same string, or the same URL once parsed
/// (hubs may re-encode it).
fn same_topic(stored: &str, given: &str) -> bool {
    stored == given
        || match (url::Url::parse(stored), url::Url::parse(given)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

async fn verify<S: PushSink>(
    State(state): State<CallbackState<S>>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let sub = match lookup(&state, &token).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return not_found(),
        Err(response) => return response,
    };
    let q = HubQuery::parse(query.as_deref().unwrap_or(""));
    let feed = sub.feed_id;
    let topic_matches = q
        .topic
        .as_deref()
        .is_some_and(|t| same_topic(&sub.topic_url, t));
    let store = state.subscriber.store();

    match q.mode.as_deref() {
        Some("denied") => {
            if !topic_matches {
                tracing::info!(feed.id = %feed, "websub denial for another topic ignored");
                return not_found();
            }
            let reason: Option<String> = q
                .reason
                .map(|r| r.chars().filter(|c| !c.is_control()).take(500).collect());
            if let Err(e) = store.websub_mark_denied(feed, reason.as_deref()).await {
                return server_error(&e);
            }
            tracing::warn!(feed.id = %feed, hub = %sub.hub_url, reason = ?reason, "websub subscription denied by the hub");
            status(StatusCode::OK, "")
        }
        Some(mode @ ("subscribe" | "unsubscribe")) => {
            let mode = WebSubMode::parse(mode);
            // Hubs may reconfirm an active subscription unasked (§5): we
            // still want it, so that is agreed to as well. An unsubscription
            // we did not ask for never is.
            let reconfirmation = mode == Some(WebSubMode::Subscribe)
                && sub.state == WebSubState::Active
                && sub.pending_mode.is_none();
            if (mode != sub.pending_mode && !reconfirmation) || !topic_matches {
                tracing::info!(
                    feed.id = %feed,
                    mode = ?mode,
                    pending = ?sub.pending_mode,
                    "websub verification refused: no such pending request"
                );
                return not_found();
            }
            let Some(challenge) = q.challenge.filter(|c| {
                !c.is_empty() && c.len() <= MAX_CHALLENGE_BYTES && !c.chars().any(char::is_control)
            }) else {
                return status(
                    StatusCode::BAD_REQUEST,
                    "hub.challenge is missing, too long or not text\n",
                );
            };
            let now = Utc::now();
            let result = if mode == Some(WebSubMode::Subscribe) {
                let lease = match q.lease_seconds.as_deref().map(|l| l.trim().parse::<u64>()) {
                    // Required by the spec; a hub that leaves it out gets what we asked for.
                    None => state.subscriber.config().lease_seconds.max(1),
                    Some(Ok(l)) if l > 0 => u32::try_from(l).unwrap_or(u32::MAX),
                    Some(_) => {
                        return status(
                            StatusCode::BAD_REQUEST,
                            "hub.lease_seconds is not a positive integer\n",
                        )
                    }
                };
                tracing::info!(feed.id = %feed, lease_seconds = lease, "websub subscription verified");
                store.websub_mark_verified(feed, lease, now).await
            } else {
                tracing::info!(feed.id = %feed, "websub unsubscription verified");
                store.websub_mark_unsubscribed(feed).await
            };
            if let Err(e) = result {
                return server_error(&e);
            }
            let mut response = (StatusCode::OK, challenge).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        _ => status(
            StatusCode::BAD_REQUEST,
            "hub.mode must be subscribe, unsubscribe or denied\n",
        ),
    }
}

async fn distribute<S: PushSink>(
    State(state): State<CallbackState<S>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sub = match lookup(&state, &token).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return status(StatusCode::GONE, "no such subscription\n"),
        Err(response) => return response,
    };
    if matches!(sub.state, WebSubState::Unsubscribed | WebSubState::Denied) {
        return status(StatusCode::GONE, "subscription ended\n");
    }
    let feed = sub.feed_id;
    let accepted = || status(StatusCode::ACCEPTED, "");

    let Some(value) = headers.get("x-hub-signature") else {
        tracing::warn!(feed.id = %feed, bytes = body.len(), "websub push without X-Hub-Signature discarded");
        return accepted();
    };
    let signature = match value
        .to_str()
        .map_err(|_| None)
        .and_then(|v| Signature::parse(v).map_err(Some))
    {
        Ok(signature) => signature,
        Err(reason) => {
            let reason = reason.map_or_else(|| "not text".to_owned(), |e| e.to_string());
            tracing::warn!(feed.id = %feed, %reason, "websub push with a malformed signature discarded");
            return accepted();
        }
    };
    if !signature.verify(sub.secret.as_bytes(), &body) {
        tracing::warn!(feed.id = %feed, method = signature.method.as_str(), "websub push with a wrong signature discarded");
        return accepted();
    }

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = body.len();
    if let Err(e) = state.sink.deliver(feed, body, content_type).await {
        tracing::warn!(feed.id = %feed, error = %e, "websub push could not be processed");
        return status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not process the content\n",
        );
    }
    if let Err(e) = state
        .subscriber
        .store()
        .websub_record_push(feed, Utc::now())
        .await
    {
        tracing::warn!(feed.id = %feed, error = %e, "websub: cannot record the push");
    }
    tracing::debug!(feed.id = %feed, bytes, "websub push delivered");
    accepted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_of_each_parameter_wins() {
        let q = HubQuery::parse(
            "hub.mode=subscribe&hub.topic=https%3A%2F%2Fa.example%2Ff&hub.mode=denied\
             &hub.challenge=x%20y&hub.lease_seconds=60&other=1",
        );
        assert_eq!(q.mode.as_deref(), Some("subscribe"));
        assert_eq!(q.topic.as_deref(), Some("https://a.example/f"));
        assert_eq!(q.challenge.as_deref(), Some("x y"));
        assert_eq!(q.lease_seconds.as_deref(), Some("60"));
        assert_eq!(q.reason, None);
    }

    #[test]
    fn topics_compare_as_urls() {
        assert!(same_topic("https://a.example/f", "https://a.example/f"));
        assert!(same_topic("https://A.example:443/f", "https://a.example/f"));
        assert!(!same_topic("https://a.example/f", "https://a.example/g"));
        assert!(!same_topic("https://a.example/f", "not a url"));
    }
}
