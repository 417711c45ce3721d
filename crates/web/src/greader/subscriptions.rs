//! `user-info` and the subscriptions: `subscription/list`, `edit`,
//! `quickadd`, `export` and `import` (OPML).
//!
//! A feed's stream id is `feed/` + its URL; its label is its Tributary
//! category, by full path (`user/-/label/Networking/Vendors`).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tributary_store::{FeedSelector, NewSubscription, SubscriptionSettings, SubscriptionView};

use super::auth::Call;
use super::ids::{self, Stream};
use super::{bad_request, json, ok, GrError, GrResult};
use crate::AppState;

/// `user-info`.
pub async fn user_info(call: Call) -> Response {
    json(json!({
        "userId": call.user.id.0.to_string(),
        "userName": call.user.username,
        "userProfileId": call.user.id.0.to_string(),
        "userEmail": "",
        "isBloggerUser": false,
        "signupTimeSec": call.user.created_at.timestamp(),
        "isMultiLoginEnabled": false,
    }))
}

/// The label object of a category path.
fn label(path: &str) -> Value {
    json!({ "id": ids::label_stream(path), "label": path })
}

/// `subscription/list`.
pub async fn list(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let views = state.store.subscription_views(call.user.id).await?;
    let subs: Vec<Value> = views
        .iter()
        .map(|v| {
            let s = &v.subscription;
            json!({
                "id": ids::feed_stream(&s.feed.url),
                "title": s.display_title(),
                "categories": s.category.as_deref().map(label).into_iter().collect::<Vec<_>>(),
                "url": s.feed.url,
                "htmlUrl": s.feed.site_url.clone().unwrap_or_default(),
                "iconUrl": "",
                "sortid": format!("{:08X}", s.feed.id.0),
                "firstitemmsec": "0",
            })
        })
        .collect();
    Ok(json(json!({ "subscriptions": subs })))
}

/// The feed URL of an `s=feed/URL` (a bare URL is accepted too).
fn feed_url(call: &Call, raw: &str) -> GrResult<String> {
    let raw = raw.trim();
    if raw.starts_with("http://") || raw.starts_with("https://") {
        return Ok(raw.to_owned());
    }
    match ids::parse_stream(raw, call.me()).map_err(bad_request)? {
        Stream::Feed(url) => Ok(url),
        _ => Err(bad_request(format!("s={raw:?} is not a feed (feed/URL)"))),
    }
}

/// The category path of an `a=user/-/label/NAME`.
fn label_path(call: &Call, raw: &str) -> GrResult<String> {
    match ids::parse_stream(raw, call.me()).map_err(bad_request)? {
        Stream::Label(path) => Ok(path),
        _ => Err(bad_request(format!(
            "{raw:?} is not a label (user/-/label/NAME)"
        ))),
    }
}

/// The user's subscription to `url` (current or earlier URL).
async fn view_of(state: &AppState, call: &Call, url: &str) -> GrResult<SubscriptionView> {
    ids::followed(&state.store, call.user.id, url)
        .await?
        .ok_or_else(|| {
            GrError::from(tributary_store::StoreError::NotFound(format!(
                "you do not follow the feed {url}"
            )))
        })
}

/// Fetch newly added feeds in the background, when the server fetches.
fn fetch_soon(state: &AppState, urls: Vec<String>) {
    let Some(refresher) = state.refresher.clone() else {
        return;
    };
    if urls.is_empty() {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Ok(feeds) = store.feeds_to_fetch(&FeedSelector::Urls(urls)).await {
            refresher.refresh_many(feeds, |_, _| {}).await;
        }
    });
}

/// An http(s) URL the SSRF guard lets through, or a 400 saying why not.
async fn http_url(state: &AppState, raw: &str) -> GrResult<String> {
    crate::guard::check_url(state, raw)
        .await
        .map(|u| u.to_string())
        .map_err(|e| bad_request(format!("{raw:?} cannot be followed: {e}")))
}

/// `subscription/edit`: `ac=subscribe|unsubscribe|edit`, `s=feed/URL`
/// (repeatable for unsubscribe), `t=` title, `a=` label to file it under,
/// `r=` label to take it out of.
pub async fn edit(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let ac = call.params.get("ac").unwrap_or("edit").trim().to_owned();
    let streams: Vec<String> = call
        .params
        .all("s")
        .map(|s| feed_url(&call, s))
        .collect::<GrResult<_>>()?;
    if streams.is_empty() {
        return Err(bad_request("subscription/edit needs s=feed/URL"));
    }
    let title = call
        .params
        .get("t")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let add = call
        .params
        .get("a")
        .filter(|a| !a.trim().is_empty())
        .map(|a| label_path(&call, a))
        .transpose()?;
    let remove = call
        .params
        .get("r")
        .filter(|r| !r.trim().is_empty())
        .map(|r| label_path(&call, r))
        .transpose()?;
    match ac.as_str() {
        "subscribe" => {
            let mut subs = Vec::new();
            for url in &streams {
                subs.push(NewSubscription {
                    url: http_url(&state, url).await?,
                    title: title.clone(),
                    site_url: None,
                    category: add
                        .as_deref()
                        .map(|p| p.split('/').map(str::to_owned).collect())
                        .unwrap_or_default(),
                });
            }
            let report = state.store.subscribe(call.user.id, &subs).await?;
            fetch_soon(&state, report.added);
        }
        "unsubscribe" => {
            for url in &streams {
                state.store.unsubscribe(call.user.id, url).await?;
            }
        }
        "edit" => {
            for url in &streams {
                let view = view_of(&state, &call, url).await?;
                let mut settings: SubscriptionSettings = view.settings.clone();
                if let Some(t) = &title {
                    settings.title_override = Some(t.clone());
                }
                if let Some(r) = &remove {
                    if view.subscription.category.as_deref() == Some(r.as_str()) {
                        settings.category = None;
                    }
                }
                if let Some(a) = &add {
                    settings.category =
                        Some(state.store.create_category(call.user.id, a).await?.id);
                }
                state
                    .store
                    .update_subscription(call.user.id, view.subscription.feed.id, &settings)
                    .await?;
            }
        }
        other => {
            return Err(bad_request(format!(
                "ac must be subscribe, unsubscribe or edit, not {other:?}"
            )))
        }
    }
    Ok(ok())
}

/// `subscription/quickadd`: `quickadd=URL` of a feed or of a page that
/// links to one. Discovers the feed when the server fetches; otherwise
/// subscribes to the URL as given.
pub async fn quickadd(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let raw = call
        .params
        .get("quickadd")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| bad_request("subscription/quickadd needs quickadd=URL"))?
        .to_owned();
    let raw = raw
        .strip_prefix(ids::FEED_PREFIX)
        .unwrap_or(&raw)
        .to_owned();
    let url = http_url(&state, &raw).await?;
    let (feed_url, title) = match &state.refresher {
        Some(refresher) => {
            let found = refresher
                .discover(&url)
                .await
                .map_err(|e| bad_request(format!("{url} cannot be added: {e}")))?;
            let first = found
                .into_iter()
                .next()
                .ok_or_else(|| bad_request(format!("{url} is not a feed and links to none")))?;
            (first.url, first.title)
        }
        None => (url.clone(), None),
    };
    let report = state
        .store
        .subscribe(
            call.user.id,
            &[NewSubscription {
                url: feed_url.clone(),
                title: title.clone(),
                site_url: None,
                category: Vec::new(),
            }],
        )
        .await?;
    fetch_soon(&state, report.added);
    Ok(json(json!({
        "query": raw,
        "numResults": 1,
        "streamId": ids::feed_stream(&feed_url),
        "streamName": title.unwrap_or_else(|| feed_url.clone()),
    })))
}

/// `subscription/export`: OPML.
pub async fn export(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let subs = state.store.subscriptions(call.user.id).await?;
    let title = format!(
        "{} subscriptions of {}",
        state.config.site_title, call.user.username
    );
    let body = tributary_publish::opml::try_export_at(&subs, &title, chrono::Utc::now())
        .map_err(|e| GrError::Web(crate::WebError::Internal(format!("OPML export: {e}"))))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")],
        body,
    )
        .into_response())
}

/// `subscription/import`: an OPML document as the body (or an `opml`
/// form field). Answers text, as FeedHQ did: `OK: <added count>`, then a
/// line per URL `added …`, `skipped …` (already followed) and
/// `refused …: reason` (not http(s), or an address the SSRF guard refuses).
pub async fn import(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    call.require_token()?;
    let bytes: Vec<u8> = match call.params.get("opml") {
        Some(o) => o.as_bytes().to_vec(),
        None => call.body.to_vec(),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(bad_request(
            "subscription/import needs an OPML document as the body",
        ));
    }
    let outlines = tributary_parse::opml::parse_opml(&bytes)
        .map_err(|e| bad_request(format!("this OPML cannot be imported: {e}")))?;
    let mut subs = Vec::new();
    let mut refused = Vec::new();
    // The SSRF guard, per outline: a private address is refused with its reason.
    let urls: Vec<String> = outlines.iter().map(|o| o.xml_url.clone()).collect();
    let checked = crate::guard::check_urls(&state, &urls).await;
    for (outline, checked) in outlines.into_iter().zip(checked) {
        match checked {
            Ok(url) => subs.push(NewSubscription {
                url: url.to_string(),
                title: outline.title.filter(|t| !t.trim().is_empty()),
                site_url: outline
                    .html_url
                    .as_deref()
                    .and_then(|s| url.join(s).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .map(|u| u.to_string()),
                category: outline.category,
            }),
            Err(e) => refused.push(format!("refused {}: {e}\n", outline.xml_url)),
        }
    }
    let report = state.store.subscribe(call.user.id, &subs).await?;
    let mut answer = format!("OK: {}\n", report.added.len());
    for url in &report.added {
        answer.push_str(&format!("added {url}\n"));
    }
    for url in &report.skipped {
        answer.push_str(&format!("skipped {url}\n"));
    }
    answer.extend(refused);
    fetch_soon(&state, report.added);
    Ok(super::text(StatusCode::OK, answer))
}

/// `subscribed?s=feed/URL`: `true` or `false`.
pub async fn subscribed(State(state): State<AppState>, call: Call) -> GrResult<Response> {
    let raw = call
        .params
        .get("s")
        .ok_or_else(|| bad_request("subscribed needs s=feed/URL"))?;
    let url = feed_url(&call, raw)?;
    let found = ids::followed(&state.store, call.user.id, &url)
        .await?
        .is_some();
    Ok(super::text(
        StatusCode::OK,
        if found { "true" } else { "false" },
    ))
}

/// `preference/list`: no preferences, subscriptions sorted alphabetically.
pub async fn preferences(_call: Call) -> Response {
    json(json!({
        "prefs": [{ "id": "lhn-prefs", "value": "{\"subscriptions\":{\"ssa\":\"true\"}}" }]
    }))
}

/// `preference/stream/list`: none.
pub async fn stream_preferences(_call: Call) -> Response {
    json(json!({ "streamprefs": {} }))
}
