//! `/settings/digest`: the user's e-mail digest — address, daily or weekly,
//! the hour (and weekday), time zone, categories, on/off — with a "Send
//! now" button and the send log.
//!
//! Sending needs the server's `[mail]` settings: `serve` puts a
//! [`DigestMail`] extension on the router. Without one, the settings can
//! still be saved and the page says that this server sends no mail.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::Utc;
use serde::Serialize;
use std::collections::HashMap;
use tributary_mail::schedule::{next_slot, zone_of};
use tributary_mail::{DigestMailer, Outcome};
use tributary_store::{DigestFrequency, DigestSettings, MailDigest};

use super::forms::FieldErrors;
use super::{render_status, see_other, Page};
use crate::auth::{CsrfForm, CurrentUser};
use crate::{AppState, WebError};

/// The digest sender of this server, when `[mail]` is set up.
#[derive(Clone, Default)]
pub struct DigestMail(pub Option<Arc<DigestMailer>>);

/// The page's path.
pub const PATH: &str = tributary_mail::SETTINGS_PATH;

/// The routes of this page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(show).post(save))
        .route("/settings/digest/send", post(send_now))
}

/// Weekday names, Monday first (the stored 0–6).
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The form's values as shown (what was stored, or what was posted).
#[derive(Debug, Clone, Default, Serialize)]
struct Form {
    address: String,
    frequency: String,
    hour: String,
    weekday: String,
    timezone: String,
    all_categories: bool,
    categories: Vec<String>,
    enabled: bool,
}

impl Form {
    fn of(d: Option<&MailDigest>) -> Form {
        match d {
            Some(d) => {
                let s = &d.settings;
                Form {
                    address: s.address.clone(),
                    frequency: s.frequency.as_str().to_owned(),
                    hour: s.hour.to_string(),
                    weekday: s.weekday.to_string(),
                    timezone: s.timezone.clone().unwrap_or_default(),
                    all_categories: s.categories.is_none(),
                    categories: s.categories.clone().unwrap_or_default(),
                    enabled: s.enabled,
                }
            }
            None => Form {
                frequency: "daily".to_owned(),
                hour: "7".to_owned(),
                weekday: "0".to_owned(),
                all_categories: true,
                enabled: true,
                ..Form::default()
            },
        }
    }
}

#[derive(Serialize)]
struct LogLine {
    at: String,
    entries: i64,
    result: &'static str,
    detail: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    user: &CurrentUser,
    mail: Option<&DigestMailer>,
    status: StatusCode,
    form: &Form,
    errors: &FieldErrors,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let me = user.user.id;
    let digest = state.store.mail_digest(me).await?;
    let categories: Vec<String> = state
        .store
        .categories(me)
        .await?
        .into_iter()
        .map(|c| c.path)
        .collect();
    let log: Vec<LogLine> = state
        .store
        .mail_log(me, 20)
        .await?
        .into_iter()
        .map(|l| LogLine {
            at: l.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            entries: l.entries,
            result: l.result.as_str(),
            detail: l.detail,
        })
        .collect();
    let default_tz = mail.map_or(tributary_mail::Tz::UTC, |m| m.config().timezone);
    let now = Utc::now();
    let next = digest.as_ref().filter(|d| d.settings.enabled).map(|d| {
        let s = &d.settings;
        let at = match d.next_attempt_at {
            Some(retry) => retry,
            None => next_slot(s.frequency, s.hour, s.weekday, zone_of(d, default_tz), now),
        };
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    });
    let weekdays: Vec<(String, &str)> = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| (i.to_string(), *d))
        .collect();
    let hours: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let page = Page::new(state, user, "digest", PATH.to_owned()).with_flash(flash);
    render_status(
        state,
        status,
        "digest_settings.html",
        &page,
        minijinja::context! {
            form => form,
            errors => errors,
            saved => digest.is_some(),
            mail_on => mail.is_some(),
            default_tz => default_tz.name(),
            categories => categories,
            weekdays => weekdays,
            hours => hours,
            next => next,
            last_sent => digest.as_ref().and_then(|d| d.last_sent_at)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            last_error => digest.as_ref().and_then(|d| d.last_error.clone()),
            log => log,
        },
    )
}

fn flash(done: Option<&str>, n: Option<&str>) -> Option<String> {
    let n = n.unwrap_or("0");
    Some(match done? {
        "saved" => "Digest settings saved.".to_owned(),
        "sent" => format!(
            "Digest sent with {n} {}.",
            if n == "1" { "entry" } else { "entries" }
        ),
        "empty" => "Nothing new since the last digest, so nothing was sent.".to_owned(),
        "busy" => "The digest is being sent right now; look at the log in a moment.".to_owned(),
        "failed" => {
            "The digest could not be sent: see the log below. It is retried later.".to_owned()
        }
        "no-mail" => {
            "This server is not set up to send e-mail ([mail] in its configuration).".to_owned()
        }
        "no-digest" => "Save your digest settings first.".to_owned(),
        _ => return None,
    })
}

/// `GET /settings/digest`.
async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    mail: Option<Extension<DigestMail>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let mail = mail.and_then(|Extension(m)| m.0);
    let digest = state.store.mail_digest(user.user.id).await?;
    let flash = flash(
        q.get("done").map(String::as_str),
        q.get("n").map(String::as_str),
    );
    page(
        &state,
        &user,
        mail.as_deref(),
        StatusCode::OK,
        &Form::of(digest.as_ref()),
        &FieldErrors::default(),
        flash,
    )
    .await
}

/// The posted fields (`category` may repeat).
fn read_form(pairs: &[(String, String)]) -> Form {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    Form {
        address: one("address"),
        frequency: one("frequency"),
        hour: one("hour"),
        weekday: one("weekday"),
        timezone: one("timezone"),
        all_categories: one("categories") != "chosen",
        categories: pairs
            .iter()
            .filter(|(k, _)| k == "category")
            .map(|(_, v)| v.clone())
            .collect(),
        enabled: super::forms::flag(Some(&one("enabled"))),
    }
}

/// `POST /settings/digest`: check, then save; messages next to the fields.
async fn save(
    State(state): State<AppState>,
    mail: Option<Extension<DigestMail>>,
    CsrfForm { user, form: pairs }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let mail = mail.and_then(|Extension(m)| m.0);
    let form = read_form(&pairs);
    let mut errors = FieldErrors::default();
    let address = tributary_mail::check_address(&form.address).unwrap_or_else(|e| {
        errors.add("address", e);
        String::new()
    });
    let frequency = DigestFrequency::parse(&form.frequency).unwrap_or_else(|| {
        errors.add("frequency", "Choose daily or weekly.");
        DigestFrequency::Daily
    });
    let hour = match form.hour.parse::<u8>() {
        Ok(h) if h < 24 => h,
        _ => {
            errors.add("hour", "Choose an hour from 0 to 23.");
            0
        }
    };
    let weekday = match form.weekday.parse::<u8>() {
        Ok(d) if d < 7 => d,
        _ => {
            errors.add("weekday", "Choose a day of the week.");
            0
        }
    };
    let timezone = if form.timezone.is_empty() {
        None
    } else {
        match tributary_mail::config::parse_timezone(&form.timezone) {
            Ok(tz) => Some(tz.name().to_owned()),
            Err(e) => {
                errors.add("timezone", e);
                None
            }
        }
    };
    let known: Vec<String> = state
        .store
        .categories(user.user.id)
        .await?
        .into_iter()
        .map(|c| c.path)
        .collect();
    let categories = if form.all_categories {
        None
    } else {
        let mut chosen = Vec::new();
        for c in &form.categories {
            if c.is_empty() || known.contains(c) {
                if !chosen.contains(c) {
                    chosen.push(c.clone());
                }
            } else {
                errors.add(
                    "categories",
                    format!("{c:?} is not one of your categories."),
                );
            }
        }
        if chosen.is_empty() {
            errors.add(
                "categories",
                "Choose at least one category, or all of them.",
            );
        }
        Some(chosen)
    };
    if !errors.is_empty() {
        return page(
            &state,
            &user,
            mail.as_deref(),
            StatusCode::BAD_REQUEST,
            &form,
            &errors,
            None,
        )
        .await;
    }
    let settings = DigestSettings {
        address,
        frequency,
        hour,
        weekday,
        timezone,
        categories,
        enabled: form.enabled,
    };
    state
        .store
        .save_mail_digest(user.user.id, &settings, Utc::now())
        .await?;
    Ok(see_other(&format!("{PATH}?done=saved")))
}

/// `POST /settings/digest/send`: send the digest now, due or not.
async fn send_now(
    State(state): State<AppState>,
    mail: Option<Extension<DigestMail>>,
    CsrfForm { user, form: _ }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Some(mail) = mail.and_then(|Extension(m)| m.0) else {
        return Ok(see_other(&format!("{PATH}?done=no-mail")));
    };
    let Some(digest) = state.store.mail_digest(user.user.id).await? else {
        return Ok(see_other(&format!("{PATH}?done=no-digest")));
    };
    let done = match mail.run(&digest, Utc::now(), false).await? {
        Outcome::Sent { entries, .. } => format!("sent&n={entries}"),
        Outcome::Empty => "empty".to_owned(),
        Outcome::Busy => "busy".to_owned(),
        Outcome::Failed { .. } => "failed".to_owned(),
        Outcome::NotDue | Outcome::DryRun { .. } => "sent&n=0".to_owned(),
    };
    Ok(see_other(&format!("{PATH}?done={done}#log")))
}
