//! The reading UI: the river (unread, by category, by feed, starred,
//! history), the entry view, search, and the subscriptions pages.
//!
//! One module per group of pages; [`routes`] lists every route. Pages are
//! rendered from the templates with a [`Page`] context (site title, user,
//! CSRF token, flash message) plus what the page shows. Forms post back
//! with the session's CSRF token and answer `303 See Other` to a same-site
//! `back` path; the small script (`/static/app.js`) sends the same forms with
//! `Accept: application/json` and gets JSON instead.

pub mod articles;
pub mod assets;
pub mod categories;
pub mod chart;
pub mod digest;
pub mod entry;
pub mod forms;
pub mod reading;
pub mod rules;
pub mod search;
pub mod subscriptions;
pub mod views;
pub mod webhooks;

#[cfg(test)]
mod render_tests;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::{AppState, WebError};

pub use assets::security_headers;

/// The UI routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(reading::unread))
        .route("/all", get(reading::all))
        .route("/starred", get(reading::starred))
        .route("/history", get(reading::history))
        .route("/category/{id}", get(reading::category))
        .route("/feed/{id}", get(reading::feed))
        .route("/mark-all-read", post(reading::mark_all_read))
        .route("/entry/{id}", get(entry::show))
        .route("/entry/{id}/read", post(entry::set_read))
        .route("/entry/{id}/star", post(entry::set_star))
        .route("/entry/{id}/fetch-original", post(articles::fetch_original))
        .route("/search", get(search::search))
        .route("/subscriptions", get(subscriptions::list))
        .route(
            "/subscriptions/add",
            get(subscriptions::add_form).post(subscriptions::add),
        )
        .route(
            "/subscriptions/import",
            get(subscriptions::import_form)
                .post(subscriptions::import)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/subscriptions/export", get(subscriptions::export))
        .route(
            "/feed/{id}/settings",
            get(subscriptions::settings_form).post(subscriptions::save_settings),
        )
        .route(
            "/feed/{id}/delete",
            get(subscriptions::delete_form).post(subscriptions::delete),
        )
        .route("/refresh", post(subscriptions::refresh))
        .route(
            "/categories",
            get(categories::list).post(categories::create),
        )
        .route("/categories/{id}/rename", post(categories::rename))
        .route("/categories/{id}/delete", post(categories::delete))
        .merge(digest::routes())
        .route("/rules", get(rules::list).post(rules::create))
        .route("/rules/{id}/enable", post(rules::enable))
        .route("/rules/{id}/delete", post(rules::delete))
        .route("/tag/{name}", get(rules::tag))
        .route(
            "/settings/webhooks",
            get(webhooks::list).post(webhooks::add),
        )
        .route("/settings/webhooks/{id}", get(webhooks::show))
        .route("/settings/webhooks/{id}/test", post(webhooks::test))
        .route("/settings/webhooks/{id}/enable", post(webhooks::enable))
        .route("/settings/webhooks/{id}/disable", post(webhooks::disable))
        .route("/settings/webhooks/{id}/delete", post(webhooks::delete))
}

/// Every route of the UI as (method, path pattern), for route walks and docs.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/all"),
    ("GET", "/starred"),
    ("GET", "/history"),
    ("GET", "/category/{id}"),
    ("GET", "/feed/{id}"),
    ("POST", "/mark-all-read"),
    ("GET", "/entry/{id}"),
    ("POST", "/entry/{id}/read"),
    ("POST", "/entry/{id}/star"),
    ("GET", "/search"),
    ("GET", "/subscriptions"),
    ("GET", "/subscriptions/add"),
    ("POST", "/subscriptions/add"),
    ("GET", "/subscriptions/import"),
    ("POST", "/subscriptions/import"),
    ("GET", "/subscriptions/export"),
    ("GET", "/feed/{id}/settings"),
    ("POST", "/feed/{id}/settings"),
    ("GET", "/feed/{id}/delete"),
    ("POST", "/feed/{id}/delete"),
    ("POST", "/refresh"),
    ("GET", "/categories"),
    ("POST", "/categories"),
    ("POST", "/categories/{id}/rename"),
    ("POST", "/categories/{id}/delete"),
    ("GET", "/settings/digest"),
    ("POST", "/settings/digest"),
    ("POST", "/settings/digest/send"),
    ("GET", "/rules"),
    ("POST", "/rules"),
    ("POST", "/rules/{id}/enable"),
    ("POST", "/rules/{id}/delete"),
    ("GET", "/tag/{name}"),
    ("GET", "/settings/webhooks"),
    ("POST", "/settings/webhooks"),
    ("GET", "/settings/webhooks/{id}"),
    ("POST", "/settings/webhooks/{id}/test"),
    ("POST", "/settings/webhooks/{id}/enable"),
    ("POST", "/settings/webhooks/{id}/disable"),
    ("POST", "/settings/webhooks/{id}/delete"),
];

/// What every page of a signed-in user gets: the layout's data.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// What every page's layout gets (site title, user, CSRF token, admin link).
    #[serde(flatten)]
    pub layout: crate::auth::PageContext,
    /// A message about what the last action did, shown once.
    pub flash: Option<String>,
    /// Which navigation item is current (`unread`, `search`, …).
    pub nav: &'static str,
    /// Path and query of this page, for the forms' `back` field.
    pub here: String,
}

impl Page {
    /// The layout data for `user` on the page `here`.
    pub fn new(state: &AppState, user: &CurrentUser, nav: &'static str, here: String) -> Page {
        Page {
            layout: crate::auth::PageContext::new(state, user),
            flash: None,
            nav,
            here,
        }
    }

    /// Show `flash` (when there is one).
    pub fn with_flash(mut self, flash: Option<String>) -> Page {
        self.flash = flash;
        self
    }
}

/// Render `template` with the layout data `page` merged with `extra`.
pub fn render(
    state: &AppState,
    template: &str,
    page: &Page,
    extra: minijinja::Value,
) -> Result<Response, WebError> {
    render_status(state, StatusCode::OK, template, page, extra)
}

/// [`render`] with another status code (400 for a form with errors).
pub fn render_status(
    state: &AppState,
    status: StatusCode,
    template: &str,
    page: &Page,
    extra: minijinja::Value,
) -> Result<Response, WebError> {
    let ctx = minijinja::value::merge_maps([extra, minijinja::Value::from_serialize(page)]);
    let html = state.templates.render(template, ctx)?;
    Ok((status, [(header::CACHE_CONTROL, "no-store")], html).into_response())
}

/// Whether the client asked for JSON (the page script does).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The CSRF token a form sent: its `csrf` field, else the `X-CSRF-Token`
/// header (scripts).
pub fn csrf_token<'a>(headers: &'a HeaderMap, field: Option<&'a str>) -> &'a str {
    field
        .filter(|f| !f.is_empty())
        .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
        .unwrap_or("")
}

/// `back` if it is a path on this site, else `/` (never an open redirect).
pub fn safe_back(back: Option<&str>) -> String {
    crate::auth::session::safe_next(back)
}

/// `path` with `key=value` added to its query.
pub fn with_query(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={}", forms::encode(value))
}

pub use crate::auth::see_other;

/// Parse a numeric id from a path segment; anything else is "not found".
pub fn parse_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>().map_err(|_| WebError::NotFound)
}

/// Messages of the `done=` query parameter that a redirect adds.
pub fn flash_message(done: Option<&str>, n: Option<u64>) -> Option<String> {
    let n = n.unwrap_or(0);
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    Some(match done? {
        "marked" => format!("Marked {} as read.", plural(n, "entry", "entries")),
        "refreshing" => {
            "Fetching your feeds now; reload the page in a moment to see new entries.".to_owned()
        }
        "no-refresher" => {
            "This server does not fetch feeds itself, so nothing was refreshed.".to_owned()
        }
        "read" => "Marked as read.".to_owned(),
        "unread" => "Kept as unread.".to_owned(),
        "starred" => "Starred.".to_owned(),
        "unstarred" => "Star removed.".to_owned(),
        "saved" => "Settings saved.".to_owned(),
        "deleted" => "Unsubscribed.".to_owned(),
        "category-created" => "Category created.".to_owned(),
        "category-renamed" => "Category renamed.".to_owned(),
        "category-deleted" => "Category deleted; its feeds are now uncategorized.".to_owned(),
        _ => return None,
    })
}
