//! Subscriptions: the list with each feed's health and chart, adding a
//! feed (with discovery), OPML import and export, per-feed settings,
//! unsubscribing, and "refresh now".

use std::collections::HashMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tributary_model::{CategoryId, FeedId, FeedStatus};
use tributary_store::{
    Category, FeedSelector, NewSubscription, SubscriptionSettings, SubscriptionView,
};

use super::forms::{self, FieldErrors};
use super::views::{ago, time_text};
use super::{
    csrf_token, flash_message, parse_id, render, render_status, safe_back, see_other, wants_json,
    Page,
};
use crate::auth::{CsrfForm, CurrentUser};
use crate::guard;
use crate::{AppState, WebError};

/// A feed as the subscriptions page shows it.
#[derive(Serialize)]
struct FeedRow {
    id: i64,
    title: String,
    url: String,
    site_url: Option<String>,
    /// `ok`, `error`, `disabled` or `paused` (a CSS class too).
    status: &'static str,
    /// The status in plain words.
    status_text: String,
    last_error: Option<String>,
    note: Option<String>,
    last_fetch: Option<String>,
    next_fetch: Option<String>,
    next_reason: Option<String>,
    entries: i64,
    unread: i64,
    chart: String,
}

#[derive(Serialize)]
struct Group {
    name: String,
    feeds: Vec<FeedRow>,
}

/// The status of a subscription: (class, words).
fn status(view: &SubscriptionView) -> (&'static str, String) {
    let feed = &view.subscription.feed;
    if view.settings.paused {
        return (
            "paused",
            "Paused by you: new entries are not fetched for you.".into(),
        );
    }
    match feed.status {
        FeedStatus::Disabled => (
            "disabled",
            match feed.disabled_at {
                Some(at) => format!("Disabled since {}: it is no longer fetched.", time_text(at)),
                None => "Disabled: it is no longer fetched.".into(),
            },
        ),
        FeedStatus::Error => (
            "error",
            match feed.failing_since {
                Some(at) => format!(
                    "Failing since {} ({} failed fetches in a row).",
                    time_text(at),
                    feed.error_count
                ),
                None => "Failing.".into(),
            },
        ),
        FeedStatus::Ok if feed.last_fetched_at.is_none() => {
            ("ok", "Waiting for its first fetch.".into())
        }
        FeedStatus::Ok if feed.last_error.is_some() => (
            "error",
            "Working until recently; the last fetch failed and it is being retried.".into(),
        ),
        FeedStatus::Ok => ("ok", "Working.".into()),
    }
}

/// `GET /subscriptions`: every feed grouped by category.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let views = state.store.subscription_views(user.user.id).await?;
    let now = Utc::now();
    let mut groups: Vec<Group> = Vec::new();
    let mut flash = flash_message(q.get("done").map(String::as_str), None);
    for view in &views {
        let feed = &view.subscription.feed;
        let title = view.subscription.display_title().to_owned();
        if q.get("added").and_then(|a| a.parse::<i64>().ok()) == Some(feed.id.0) {
            flash = Some(format!("Subscribed to “{title}”."));
        }
        if q.get("already").and_then(|a| a.parse::<i64>().ok()) == Some(feed.id.0) {
            flash = Some(format!("You already follow “{title}”."));
        }
        let activity = state
            .store
            .feed_activity(user.user.id, feed.id, now)
            .await?
            .unwrap_or_default();
        let (status, status_text) = status(view);
        let row = FeedRow {
            id: feed.id.0,
            chart: super::chart::svg(&title, &activity),
            title,
            url: feed.url.clone(),
            site_url: feed.site_url.clone(),
            status,
            status_text,
            last_error: feed.last_error.clone(),
            note: feed.status_note.clone(),
            last_fetch: feed
                .last_fetched_at
                .map(|t| format!("{} ({})", ago(t, now), time_text(t))),
            next_fetch: feed
                .next_fetch_at
                .filter(|_| feed.status != FeedStatus::Disabled)
                .map(|t| {
                    if t <= now {
                        "due now".to_owned()
                    } else {
                        time_text(t)
                    }
                }),
            next_reason: feed.next_fetch_reason.clone(),
            entries: view.subscription.entry_count,
            unread: view.unread_count,
        };
        let name = view
            .subscription
            .category
            .clone()
            .unwrap_or_else(|| "Uncategorized".to_owned());
        match groups.last_mut() {
            Some(g) if g.name == name => g.feeds.push(row),
            _ => groups.push(Group {
                name,
                feeds: vec![row],
            }),
        }
    }
    let page = Page::new(&state, &user, "subscriptions", "/subscriptions".into()).with_flash(flash);
    render(
        &state,
        "subscriptions.html",
        &page,
        minijinja::context! { groups => groups, count => views.len(), has_refresher => state.refresher.is_some() },
    )
}

/// The add form.
#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    /// What the user typed: a feed or a page.
    url: Option<String>,
    /// The feed chosen on the choice page.
    feed: Option<String>,
    /// Category id (blank: uncategorized).
    category: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    url: String,
    title: Option<String>,
}

fn render_add(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    form: &AddForm,
    categories: &[Category],
    errors: &FieldErrors,
    choices: &[Choice],
) -> Result<Response, WebError> {
    let page = Page::new(state, user, "subscriptions", "/subscriptions/add".into());
    render_status(
        state,
        status,
        "add_feed.html",
        &page,
        minijinja::context! {
            url => form.url.as_deref().unwrap_or(""),
            category => form.category.as_deref().unwrap_or(""),
            categories => categories,
            errors => errors,
            choices => choices,
            has_refresher => state.refresher.is_some(),
        },
    )
}

/// `GET /subscriptions/add`.
pub async fn add_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let categories = state.store.categories(user.user.id).await?;
    let form = AddForm {
        url: q.get("url").cloned(),
        ..AddForm::default()
    };
    render_add(
        &state,
        &user,
        StatusCode::OK,
        &form,
        &categories,
        &FieldErrors::default(),
        &[],
    )
}

/// An http(s) URL, or what is wrong with it.
fn http_url(input: &str) -> Result<url::Url, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter the address of a feed or of a site.".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        Ok(u) => Err(format!(
            "“{input}” has an unsupported URL scheme ({}): only http and https addresses can be followed.",
            u.scheme()
        )),
        Err(e) => Err(format!("“{input}” is not a web address ({e}).")),
    }
}

/// `POST /subscriptions/add`: discovery, then subscribe (one feed), offer
/// a choice (several), or say what went wrong next to the field (none).
pub async fn add(
    State(state): State<AppState>,
    _headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<AddForm>,
) -> Result<Response, WebError> {
    let categories = state.store.categories(user.user.id).await?;
    let mut errors = FieldErrors::default();
    let category: Vec<String> = match forms::id(form.category.as_deref(), "categories") {
        Ok(Some(id)) => match categories.iter().find(|c| c.id.0 == id) {
            Some(c) => c.path.split('/').map(str::to_owned).collect(),
            None => {
                errors.add("category", "That category is not one of yours.");
                Vec::new()
            }
        },
        Ok(None) => Vec::new(),
        Err(e) => {
            errors.add("category", e);
            Vec::new()
        }
    };
    let bad = |errors: &FieldErrors| {
        render_add(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            &form,
            &categories,
            errors,
            &[],
        )
    };
    // A feed picked on the choice page was found by discovery, but the
    // form field is the client's word: the guard checks it again.
    if let Some(chosen) = forms::non_empty(form.feed.as_deref()) {
        return match http_url(chosen) {
            Ok(url) if errors.is_empty() => match guard::check_url(&state, url.as_str()).await {
                Ok(url) => subscribe_and_fetch(&state, &user, url.as_str(), None, category).await,
                Err(e) => {
                    errors.add("url", e.to_string());
                    bad(&errors)
                }
            },
            Ok(_) => bad(&errors),
            Err(e) => {
                errors.add("url", e);
                bad(&errors)
            }
        };
    }
    let url = match http_url(form.url.as_deref().unwrap_or("")) {
        Ok(url) => url,
        Err(e) => {
            errors.add("url", e);
            return bad(&errors);
        }
    };
    if !errors.is_empty() {
        return bad(&errors);
    }
    let Some(refresher) = &state.refresher else {
        // No fetching on this server: follow the address as given, if the
        // guard lets it through.
        return match guard::check_url(&state, url.as_str()).await {
            Ok(url) => subscribe_and_fetch(&state, &user, url.as_str(), None, category).await,
            Err(e) => {
                errors.add("url", e.to_string());
                bad(&errors)
            }
        };
    };
    match refresher.discover(url.as_str()).await {
        Ok(found) if found.is_empty() => {
            errors.add(
                "url",
                format!("{url} is a web page, but it links to no feed that works."),
            );
            bad(&errors)
        }
        Ok(mut found) if found.len() == 1 => {
            let feed = found.remove(0);
            subscribe_and_fetch(&state, &user, &feed.url, feed.title, category).await
        }
        Ok(found) => {
            let choices: Vec<Choice> = found
                .into_iter()
                .map(|f| Choice {
                    url: f.url,
                    title: f.title,
                })
                .collect();
            render_add(
                &state,
                &user,
                StatusCode::OK,
                &form,
                &categories,
                &errors,
                &choices,
            )
        }
        Err(e) => {
            errors.add("url", e.to_string());
            bad(&errors)
        }
    }
}

/// Subscribe to `url`, fetch it right away (when this server fetches),
/// and go to the subscriptions page, which says what happened.
async fn subscribe_and_fetch(
    state: &AppState,
    user: &CurrentUser,
    url: &str,
    title: Option<String>,
    category: Vec<String>,
) -> Result<Response, WebError> {
    let report = state
        .store
        .subscribe(
            user.user.id,
            &[NewSubscription {
                url: url.to_owned(),
                title,
                site_url: None,
                category,
            }],
        )
        .await?;
    let feeds = state
        .store
        .feeds_to_fetch(&FeedSelector::Urls(vec![url.to_owned()]))
        .await?;
    let Some(feed) = feeds.into_iter().next() else {
        return Ok(see_other("/subscriptions"));
    };
    if report.added.is_empty() {
        return Ok(see_other(&format!("/subscriptions?already={}", feed.id.0)));
    }
    if let Some(refresher) = &state.refresher {
        refresher.refresh_feed(&feed).await;
    }
    Ok(see_other(&format!("/subscriptions?added={}", feed.id.0)))
}

/// What an import did, for its page.
#[derive(Serialize, Default)]
struct ImportResult {
    added: Vec<String>,
    skipped: Vec<String>,
    refused: Vec<(String, String)>,
}

fn render_import(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    error: Option<String>,
    result: Option<ImportResult>,
) -> Result<Response, WebError> {
    let page = Page::new(state, user, "subscriptions", "/subscriptions/import".into());
    render_status(
        state,
        status,
        "import.html",
        &page,
        minijinja::context! {
            error => error,
            result => result,
            limit => super::views::size_text(state.config.max_upload_bytes as u64),
        },
    )
}

/// `GET /subscriptions/import`: the upload form.
pub async fn import_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    render_import(&state, &user, StatusCode::OK, None, None)
}

/// `POST /subscriptions/import`: a multipart upload with `csrf` and the
/// `opml` file; larger than `max_upload_bytes` is refused with 413.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    // Not a multipart body: nothing to read a `csrf` field from, so the
    // header token decides between 403 and "not an upload".
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(rejection) => {
            user.check_csrf(csrf_token(&headers, None))?;
            return Err(WebError::BadRequest(format!(
                "the upload could not be read: {}",
                rejection.body_text()
            )));
        }
    };
    let limit = state.config.max_upload_bytes;
    let too_large = |state: &AppState| {
        render_import(
            state,
            &user,
            StatusCode::PAYLOAD_TOO_LARGE,
            Some(format!(
                "The file is too large: this server accepts OPML files of up to {}.",
                super::views::size_text(limit as u64)
            )),
            None,
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // The multipart framing adds a little; a body far over the limit is
    // refused before reading it.
    if declared.is_some_and(|n| n > limit.saturating_add(64 * 1024)) {
        return too_large(&state);
    }
    let mut csrf = String::new();
    let mut opml: Option<Vec<u8>> = None;
    let mut read = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return render_import(
                    &state,
                    &user,
                    StatusCode::BAD_REQUEST,
                    Some(format!("The upload could not be read: {e}")),
                    None,
                )
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let mut field = field;
        let mut bytes = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if read > limit {
                        return too_large(&state);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return render_import(
                        &state,
                        &user,
                        StatusCode::BAD_REQUEST,
                        Some(format!("The upload could not be read: {e}")),
                        None,
                    )
                }
            }
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "opml" => opml = Some(bytes),
            _ => {}
        }
    }
    user.check_csrf(csrf_token(&headers, Some(&csrf)))?;
    let Some(bytes) = opml.filter(|b| !b.is_empty()) else {
        return render_import(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            Some("Choose an OPML file to import.".into()),
            None,
        );
    };
    let outlines = match tributary_parse::opml::parse_opml(&bytes) {
        Ok(o) => o,
        Err(e) => {
            return render_import(
                &state,
                &user,
                StatusCode::BAD_REQUEST,
                Some(format!("This file cannot be imported: {e}.")),
                None,
            )
        }
    };
    let mut result = ImportResult::default();
    let mut subs = Vec::new();
    let mut candidates = Vec::new();
    for outline in outlines {
        match http_url(&outline.xml_url) {
            Ok(url) if outline.xml_url.contains("://") => candidates.push((url, outline)),
            Ok(_) => result.refused.push((
                outline.xml_url.clone(),
                "it is not a full address (it must start with http:// or https://)".into(),
            )),
            Err(reason) => result.refused.push((outline.xml_url, reason)),
        }
    }
    // The SSRF guard, per outline: a private address is refused with its
    // reason, the others are imported.
    let urls: Vec<String> = candidates.iter().map(|(u, _)| u.to_string()).collect();
    let checked = guard::check_urls(&state, &urls).await;
    for ((url, outline), checked) in candidates.into_iter().zip(checked) {
        match checked {
            Ok(_) => subs.push(NewSubscription {
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
            Err(e) => result.refused.push((outline.xml_url, e.to_string())),
        }
    }
    let report = state.store.subscribe(user.user.id, &subs).await?;
    result.added = report.added;
    result.skipped = report.skipped;
    if let Some(refresher) = state.refresher.clone() {
        if !result.added.is_empty() {
            let feeds = state
                .store
                .feeds_to_fetch(&FeedSelector::Urls(result.added.clone()))
                .await?;
            tokio::spawn(async move {
                refresher.refresh_many(feeds, |_, _| {}).await;
            });
        }
    }
    render_import(&state, &user, StatusCode::OK, None, Some(result))
}

/// `GET /subscriptions/export`: the user's subscriptions as OPML.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let subs = state.store.subscriptions(user.user.id).await?;
    let title = format!(
        "{} subscriptions of {}",
        state.config.site_title, user.user.username
    );
    let body = tributary_publish::opml::export(&subs, &title);
    Ok((
        [
            (header::CONTENT_TYPE, "text/x-opml; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"subscriptions.opml\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// The settings form of a feed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SettingsForm {
    title: Option<String>,
    category: Option<String>,
    min_interval: Option<String>,
    max_interval: Option<String>,
    paused: Option<String>,
    /// Full-content mode ("" default, off, on, auto; see `super::articles`).
    full_content: Option<String>,
}

async fn own_subscription(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<SubscriptionView, WebError> {
    let id = FeedId(parse_id(id)?);
    state
        .store
        .subscription_view(user.user.id, id)
        .await?
        .ok_or(WebError::NotFound)
}

#[allow(clippy::too_many_arguments)]
fn render_settings(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    view: &SubscriptionView,
    form: &SettingsForm,
    categories: &[Category],
    errors: &FieldErrors,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let id = view.subscription.feed.id.0;
    let page =
        Page::new(state, user, "subscriptions", format!("/feed/{id}/settings")).with_flash(flash);
    render_status(
        state,
        status,
        "feed_settings.html",
        &page,
        minijinja::context! {
            id => id,
            feed_title => view.subscription.display_title(),
            feed_url => &view.subscription.feed.url,
            original_title => view.subscription.feed.title.as_deref().unwrap_or(""),
            form => form,
            paused => forms::flag(form.paused.as_deref()),
            full_content_modes => super::articles::MODES,
            full_content_default => state.config.articles.default.as_str(),
            categories => categories,
            errors => errors,
        },
    )
}

/// `GET /feed/{id}/settings`.
pub async fn settings_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let view = own_subscription(&state, &user, &id).await?;
    let categories = state.store.categories(user.user.id).await?;
    let s = &view.settings;
    let form = SettingsForm {
        title: s.title_override.clone(),
        category: s.category.map(|c| c.0.to_string()),
        min_interval: s.min_interval_secs.map(|v| (v / 60).max(1).to_string()),
        max_interval: s.max_interval_secs.map(|v| (v / 60).max(1).to_string()),
        paused: s.paused.then(|| "1".to_owned()),
        full_content: Some(
            super::articles::mode_value(&state, user.user.id, view.subscription.feed.id).await?,
        ),
    };
    let flash = flash_message(q.get("done").map(String::as_str), None);
    render_settings(
        &state,
        &user,
        StatusCode::OK,
        &view,
        &form,
        &categories,
        &FieldErrors::default(),
        flash,
    )
}

/// `POST /feed/{id}/settings`: validate, then save; messages next to the fields.
pub async fn save_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<SettingsForm>,
) -> Result<Response, WebError> {
    let view = own_subscription(&state, &user, &id).await?;
    let categories = state.store.categories(user.user.id).await?;
    let mut errors = FieldErrors::default();
    let title = forms::non_empty(form.title.as_deref()).map(str::to_owned);
    if title.as_ref().is_some_and(|t| t.chars().count() > 200) {
        errors.add("title", "Keep the title under 200 characters.");
    }
    let category = match forms::id(form.category.as_deref(), "categories") {
        Ok(Some(c)) if categories.iter().any(|k| k.id.0 == c) => Some(CategoryId(c)),
        Ok(Some(_)) => {
            errors.add("category", "That category is not one of yours.");
            None
        }
        Ok(None) => None,
        Err(e) => {
            errors.add("category", e);
            None
        }
    };
    let min = forms::minutes(form.min_interval.as_deref()).unwrap_or_else(|e| {
        errors.add("min_interval", e);
        None
    });
    let max = forms::minutes(form.max_interval.as_deref()).unwrap_or_else(|e| {
        errors.add("max_interval", e);
        None
    });
    let full_content =
        super::articles::parse_mode(form.full_content.as_deref()).unwrap_or_else(|e| {
            errors.add("full_content", e);
            None
        });
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            errors.add(
                "max_interval",
                "The longest wait must be at least the shortest one.",
            );
        }
    }
    if !errors.is_empty() {
        return render_settings(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            &view,
            &form,
            &categories,
            &errors,
            None,
        );
    }
    let settings = SubscriptionSettings {
        title_override: title,
        category,
        min_interval_secs: min.map(|m| m * 60),
        max_interval_secs: max.map(|m| m * 60),
        paused: forms::flag(form.paused.as_deref()),
    };
    match state
        .store
        .update_subscription(user.user.id, view.subscription.feed.id, &settings)
        .await
    {
        Ok(()) => {
            state
                .store
                .set_full_content(user.user.id, view.subscription.feed.id, full_content)
                .await?;
            Ok(see_other(&format!(
                "/feed/{}/settings?done=saved",
                view.subscription.feed.id.0
            )))
        }
        Err(tributary_store::StoreError::Invalid(message)) => {
            errors.add("max_interval", message);
            render_settings(
                &state,
                &user,
                StatusCode::BAD_REQUEST,
                &view,
                &form,
                &categories,
                &errors,
                None,
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /feed/{id}/delete`: the confirmation page.
pub async fn delete_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = own_subscription(&state, &user, &id).await?;
    let page = Page::new(&state, &user, "subscriptions", format!("/feed/{id}/delete"));
    render(
        &state,
        "feed_delete.html",
        &page,
        minijinja::context! {
            id => view.subscription.feed.id.0,
            feed_title => view.subscription.display_title(),
            entries => view.subscription.entry_count,
        },
    )
}

/// The unsubscribe and refresh forms.
#[derive(Debug, Deserialize)]
pub struct PlainForm {
    back: Option<String>,
}

/// `POST /feed/{id}/delete`: unsubscribe.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _headers: HeaderMap,
    CsrfForm { user, form: _ }: CsrfForm<PlainForm>,
) -> Result<Response, WebError> {
    let view = own_subscription(&state, &user, &id).await?;
    state
        .store
        .unsubscribe(user.user.id, &view.subscription.feed.id.0.to_string())
        .await?;
    Ok(see_other("/subscriptions?done=deleted"))
}

/// `POST /refresh`: fetch the user's feeds now, in the background.
pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm<PlainForm>,
) -> Result<Response, WebError> {
    let back = safe_back(form.back.as_deref());
    let Some(refresher) = state.refresher.clone() else {
        if wants_json(&headers) {
            return Ok(Json(serde_json::json!({
                "refreshing": false,
                "message": flash_message(Some("no-refresher"), None),
            }))
            .into_response());
        }
        return Ok(see_other(&super::with_query(&back, "done", "no-refresher")));
    };
    let feeds: Vec<_> = state
        .store
        .subscription_views(user.user.id)
        .await?
        .into_iter()
        .filter(|v| !v.settings.paused && v.subscription.feed.status != FeedStatus::Disabled)
        .map(|v| v.subscription.feed)
        .collect();
    let count = feeds.len();
    tokio::spawn(async move {
        let summary = refresher.refresh_many(feeds, |_, _| {}).await;
        tracing::info!(
            fetched = summary.fetched,
            failed = summary.failed,
            new = summary.new_entries,
            "refresh asked from the web finished"
        );
    });
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({
            "refreshing": true,
            "feeds": count,
            "message": flash_message(Some("refreshing"), None),
        }))
        .into_response());
    }
    Ok(see_other(&super::with_query(&back, "done", "refreshing")))
}
