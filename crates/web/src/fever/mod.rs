//! The Fever API, at `/api/fever/` (also `/api/fever`, `/api/fever.php` and
//! Miniflux's `/fever/`): for Reeder, Unread, FeedMe, Fiery Feeds and other
//! Fever clients. See `README.md` beside this file for the supported subset.
//!
//! Every request is `?api` plus the operations wanted (`&groups&feeds…`),
//! with `api_key` = md5(`username:API-password`) in the POST body (or the
//! query). Parameters are read from both the query and a form body. The
//! answer is always a JSON object with `api_version: 3` and `auth`; a
//! wrong key is `{"api_version":3,"auth":0}` with status 200, which is what
//! Fever clients look for.

mod items;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};
use tributary_store::User;

use crate::auth::api_keys;
use crate::auth::ClientIp;
use crate::{AppState, WebError};

/// Version the answers claim (the last Fever API).
pub const API_VERSION: u32 = 3;
/// Largest form body accepted.
const MAX_BODY: usize = 64 * 1024;

/// The Fever routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/fever/", any(endpoint))
        .route("/api/fever", any(endpoint))
        .route("/api/fever.php", any(endpoint))
        .route("/fever/", any(endpoint))
}

/// The request's parameters: the query's, then the form body's (a body
/// value wins over a query value of the same name).
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    fn parse(query: Option<&str>, body: &[u8]) -> Params {
        let mut map = HashMap::new();
        for source in [query.unwrap_or("").as_bytes(), body] {
            if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(source) {
                map.extend(pairs);
            }
        }
        Params(map)
    }

    /// Whether the parameter is present (with or without a value).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Its value, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A non-negative integer parameter: `Ok(None)` if absent or empty,
    /// `BadRequest` naming it if it is not a number.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, WebError> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                WebError::BadRequest(format!("{name} must be a whole number, not {v:?}"))
            }),
        }
    }
}

/// A Fever answer: `api_version`, `auth`, and what was asked.
fn answer(status: StatusCode, auth: bool, fields: Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("api_version".into(), json!(API_VERSION));
    body.insert("auth".into(), json!(u8::from(auth)));
    body.extend(fields);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Value::Object(body).to_string(),
    )
        .into_response()
}

/// An error as Fever clients can show it: the usual envelope (authorized,
/// since the key was right) with an `error` message.
fn error_answer(e: WebError) -> Response {
    let status = e.status();
    if status.is_server_error() {
        tracing::error!(error = %e, "fever request failed");
    }
    let message = if status.is_server_error() {
        "Something went wrong on the server; the log says what.".to_owned()
    } else {
        e.to_string()
    };
    let mut fields = Map::new();
    fields.insert("error".into(), json!(message));
    answer(status, true, fields)
}

async fn endpoint(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if body.len() > MAX_BODY {
        return error_answer(WebError::TooLarge(format!(
            "the request body is larger than {MAX_BODY} bytes"
        )));
    }
    let params = Params::parse(query.as_deref(), &body);
    let key = params.get("api_key").unwrap_or("");
    let user = match api_keys::user_by_fever_key(&state, key, ip).await {
        Ok(Some(user)) => user,
        Ok(None) => return answer(StatusCode::OK, false, Map::new()),
        Err(WebError::Throttled(secs)) => {
            let mut response = answer(StatusCode::TOO_MANY_REQUESTS, false, Map::new());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(1)));
            return response;
        }
        Err(e) => return error_answer(e),
    };
    match respond(&state, &user, &params).await {
        Ok(fields) => answer(StatusCode::OK, true, fields),
        Err(e) => error_answer(e),
    }
}

/// Everything the request asked for, in one object.
async fn respond(
    state: &AppState,
    user: &User,
    params: &Params,
) -> Result<Map<String, Value>, WebError> {
    let mut out = Map::new();
    // A mark first, so the lists asked for in the same request show it.
    if params.has("mark") {
        items::mark(state, user, params, &mut out).await?;
    }
    if params.has("unread_recently_read") {
        items::unread_recently_read(state, user).await?;
    }
    let last = state.store.last_refreshed(user.id).await?;
    out.insert(
        "last_refreshed_on_time".into(),
        json!(last.map_or(0, |t| t.timestamp())),
    );
    if params.has("groups") || params.has("feeds") {
        items::groups_and_feeds(state, user, params, &mut out).await?;
    }
    if params.has("favicons") {
        // Tributary keeps no favicons: every feed has favicon_id 0.
        out.insert("favicons".into(), json!([]));
    }
    if params.has("items") {
        items::items(state, user, params, &mut out).await?;
    }
    if params.has("links") {
        // Hot links are a Fever feature Tributary does not have.
        out.insert("links".into(), json!([]));
    }
    if params.has("unread_item_ids") {
        let ids = items::id_list(state, user, items::IdList::Unread).await?;
        out.insert("unread_item_ids".into(), json!(ids));
    }
    if params.has("saved_item_ids") {
        let ids = items::id_list(state, user, items::IdList::Saved).await?;
        out.insert("saved_item_ids".into(), json!(ids));
    }
    Ok(out)
}
