//! `/settings/webhooks`: the user's webhooks (docs/WEBHOOKS.md) — add one
//! (its URL checked, the SSRF guard included), see each one's state (last
//! success, failing since, next attempt), its secret and delivery log, send
//! a test ping, enable, disable and delete.
//!
//! Deliveries themselves run in the background worker
//! (`tributary_webhooks::spawn`); the only request this page sends is the
//! ping, through the server's fetcher.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tributary_fetch::AddressPolicy;
use tributary_store::{DeliveryLogEntry, NewWebhook, StoreError, Webhook, WebhookId};

use super::forms::FieldErrors;
use super::{parse_id, render, render_status, see_other, Page};
use crate::auth::{CsrfForm, CurrentUser};
use crate::{AppState, WebError};

/// Log rows shown on a webhook's page.
const LOG_ROWS: u32 = 50;

/// The add form.
#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    url: Option<String>,
    category: Option<String>,
}

/// The forms that carry only their `csrf`.
#[derive(Debug, Deserialize)]
pub struct ActionForm {}

fn when(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// A webhook as the pages show it.
#[derive(Debug, Serialize)]
struct HookView {
    id: i64,
    url: String,
    category: Option<String>,
    enabled: bool,
    /// `ok`, `failing`, `disabled` or `new`.
    state: &'static str,
    last_success: Option<String>,
    failing_since: Option<String>,
    next_attempt: Option<String>,
    last_error: Option<String>,
    attempts: u32,
    pending_entries: Option<u32>,
    created: Option<String>,
}

impl HookView {
    fn of(h: &Webhook, now: DateTime<Utc>) -> HookView {
        let state = if !h.enabled {
            "disabled"
        } else if h.failing_since.is_some() {
            "failing"
        } else if h.last_success_at.is_some() {
            "ok"
        } else {
            "new"
        };
        HookView {
            id: h.id.0,
            url: h.url.clone(),
            category: h.category.clone(),
            enabled: h.enabled,
            state,
            last_success: when(h.last_success_at),
            failing_since: when(h.failing_since),
            next_attempt: when(h.next_attempt_at.filter(|t| *t > now && h.enabled)),
            last_error: h.last_error.clone(),
            attempts: h.attempts,
            pending_entries: h.pending.as_ref().map(|p| p.entries),
            created: when(Some(h.created_at)),
        }
    }
}

/// A log row as the page shows it.
#[derive(Debug, Serialize)]
struct LogView {
    at: Option<String>,
    kind: &'static str,
    delivery_id: String,
    entries: u32,
    attempt: u32,
    ok: bool,
    status: Option<u16>,
    error: Option<String>,
    duration_ms: u64,
}

impl LogView {
    fn of(l: &DeliveryLogEntry) -> LogView {
        let a = &l.attempt;
        LogView {
            at: when(Some(a.at)),
            kind: a.kind.as_str(),
            delivery_id: a.delivery_id.clone(),
            entries: a.entries,
            attempt: a.attempt,
            ok: a.error.is_none(),
            status: a.status,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
        }
    }
}

fn flash(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "added" => "Webhook added. Its receiver checks each request with the secret below.",
            "deleted" => "Webhook deleted.",
            "enabled" => "Webhook enabled; it is tried again at once.",
            "disabled" => "Webhook disabled; nothing is sent until you enable it.",
            "ping-ok" => "Test ping delivered.",
            "ping-failed" => "The test ping failed; see the log below.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// The address policy of the server's fetcher (closed without one).
fn policy(state: &AppState) -> AddressPolicy {
    match &state.refresher {
        Some(r) => r.fetcher().config().address_policy(),
        None => AddressPolicy {
            allow_private_networks: false,
            allowed_networks: Vec::new(),
        },
    }
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    errors: FieldErrors,
    typed: &AddForm,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let hooks: Vec<HookView> = state
        .store
        .webhooks(user.user.id)
        .await?
        .iter()
        .map(|h| HookView::of(h, now))
        .collect();
    let categories: Vec<String> = state
        .store
        .categories(user.user.id)
        .await?
        .into_iter()
        .map(|c| c.path)
        .collect();
    let page = Page::new(state, user, "webhooks", "/settings/webhooks".into()).with_flash(flash);
    render_status(
        state,
        status,
        "webhooks.html",
        &page,
        minijinja::context! {
            webhooks => hooks,
            categories => categories,
            errors => errors,
            typed_url => typed.url.as_deref().unwrap_or(""),
            typed_category => typed.category.as_deref().unwrap_or(""),
        },
    )
}

/// `GET /settings/webhooks`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let flash = flash(q.get("done").map(String::as_str));
    list_page(
        &state,
        &user,
        StatusCode::OK,
        FieldErrors::default(),
        &AddForm::default(),
        flash,
    )
    .await
}

/// `POST /settings/webhooks`: add one.
pub async fn add(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<AddForm>,
) -> Result<Response, WebError> {
    let mut errors = FieldErrors::default();
    let raw = form.url.as_deref().unwrap_or("");
    let url = match tributary_webhooks::check_url(raw, &policy(&state)).await {
        Ok(url) => Some(url),
        Err(e) => {
            errors.add("url", e.to_string());
            None
        }
    };
    let category = form
        .category
        .as_deref()
        .map(|c| c.trim().trim_matches('/').to_owned())
        .filter(|c| !c.is_empty());
    if let Some(c) = &category {
        let known = state.store.categories(user.user.id).await?;
        if !known.iter().any(|k| &k.path == c) {
            errors.add("category", "Choose one of your categories.");
        }
    }
    let Some(url) = url.filter(|_| errors.is_empty()) else {
        return list_page(&state, &user, StatusCode::BAD_REQUEST, errors, &form, None).await;
    };
    let secret = tributary_webhooks::new_secret().map_err(|e| WebError::Internal(e.to_string()))?;
    let hook = state
        .store
        .webhook_create(
            user.user.id,
            &NewWebhook {
                url: url.to_string(),
                secret,
                category,
            },
            Utc::now(),
        )
        .await?;
    tracing::info!(username = %user.user.username, webhook.id = %hook.id, "webhook added");
    Ok(see_other(&format!(
        "/settings/webhooks/{}?done=added",
        hook.id
    )))
}

async fn owned(state: &AppState, user: &CurrentUser, raw: &str) -> Result<Webhook, WebError> {
    let id = WebhookId(parse_id(raw)?);
    match state.store.webhook(user.user.id, id).await {
        Ok(h) => Ok(h),
        Err(StoreError::NotFound(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `GET /settings/webhooks/{id}`: state, secret and log.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let hook = owned(&state, &user, &id).await?;
    let log: Vec<LogView> = state
        .store
        .webhook_log(user.user.id, hook.id, LOG_ROWS)
        .await?
        .iter()
        .map(LogView::of)
        .collect();
    let page = Page::new(
        &state,
        &user,
        "webhooks",
        format!("/settings/webhooks/{}", hook.id),
    )
    .with_flash(flash(q.get("done").map(String::as_str)));
    render(
        &state,
        "webhook.html",
        &page,
        minijinja::context! {
            webhook => HookView::of(&hook, Utc::now()),
            secret => hook.secret,
            log => log,
            can_ping => state.refresher.is_some(),
        },
    )
}

/// `POST /settings/webhooks/{id}/test`: send a ping now.
pub async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<ActionForm>,
) -> Result<Response, WebError> {
    let hook = owned(&state, &user, &id).await?;
    let Some(refresher) = &state.refresher else {
        return Err(WebError::BadRequest(
            "This server sends no requests (it has no fetcher), so it cannot send a test.".into(),
        ));
    };
    let deliverer = tributary_webhooks::Deliverer::new(
        state.store.clone(),
        refresher.fetcher().clone(),
        tributary_webhooks::WebhookConfig::default(),
    );
    let attempt = deliverer
        .ping(&hook)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let done = if attempt.error.is_none() {
        "ping-ok"
    } else {
        "ping-failed"
    };
    Ok(see_other(&format!(
        "/settings/webhooks/{}?done={done}#log-heading",
        hook.id
    )))
}

async fn set_enabled(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    enabled: bool,
) -> Result<Response, WebError> {
    let hook = owned(state, user, id).await?;
    state
        .store
        .webhook_set_enabled(user.user.id, hook.id, enabled)
        .await?;
    let done = if enabled { "enabled" } else { "disabled" };
    Ok(see_other(&format!(
        "/settings/webhooks/{}?done={done}",
        hook.id
    )))
}

/// `POST /settings/webhooks/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<ActionForm>,
) -> Result<Response, WebError> {
    set_enabled(&state, &user, &id, true).await
}

/// `POST /settings/webhooks/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<ActionForm>,
) -> Result<Response, WebError> {
    set_enabled(&state, &user, &id, false).await
}

/// `POST /settings/webhooks/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, .. }: CsrfForm<ActionForm>,
) -> Result<Response, WebError> {
    let hook = owned(&state, &user, &id).await?;
    state.store.webhook_delete(user.user.id, hook.id).await?;
    tracing::info!(username = %user.user.username, webhook.id = %hook.id, "webhook deleted");
    Ok(see_other("/settings/webhooks?done=deleted"))
}
