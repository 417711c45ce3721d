//! Tributary's native REST API at `/v1/`: the paths, JSON shapes, status
//! codes and auth of Miniflux's API, so Miniflux clients work unchanged,
//! plus Tributary's own additions (fields named `tributary_…`). Described
//! by `/v1/openapi.json`; see `README.md` beside this file and `docs/API.md`.
//!
//! Every handler takes an [`auth::ApiUser`] and only ever reads or changes
//! that user's data: another user's feed, entry or category id is 404.
//! Ids, query parameters and bodies are parsed here, not by axum's
//! extractors, so that every malformed request gets a JSON 400 naming what
//! was wrong.

pub mod auth;
mod categories;
mod entries;
pub mod error;
mod feeds;
mod icons;
mod model;
mod openapi;
mod opml;
mod users;

use axum::body::Bytes;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::AppState;
use error::{ApiError, ApiResult};

/// The `/v1/` routes (and Miniflux's `/healthcheck`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/version", get(users::version))
        .route("/v1/me", get(users::me))
        .route("/v1/users", get(users::list).post(users::create))
        .route(
            "/v1/users/{id}",
            get(users::get_one).put(users::update).delete(users::remove),
        )
        .route("/v1/users/{id}/mark-all-as-read", put(users::mark_all_read))
        .route("/v1/integrations/status", get(users::integrations))
        .route("/v1/users/integrations/status", get(users::integrations))
        .route(
            "/v1/api-keys",
            get(users::api_keys).post(users::create_api_key),
        )
        .route(
            "/v1/api-keys/{id}",
            axum::routing::delete(users::delete_api_key),
        )
        .route(
            "/v1/categories",
            get(categories::list).post(categories::create),
        )
        .route(
            "/v1/categories/{id}",
            put(categories::update).delete(categories::remove),
        )
        .route("/v1/categories/{id}/feeds", get(categories::feeds))
        .route(
            "/v1/categories/{id}/entries",
            get(entries::category_entries),
        )
        .route(
            "/v1/categories/{id}/entries/{entry}",
            get(entries::category_entry),
        )
        .route(
            "/v1/categories/{id}/mark-all-as-read",
            put(categories::mark_all_read),
        )
        .route("/v1/categories/{id}/refresh", put(categories::refresh))
        .route("/v1/discover", post(feeds::discover))
        .route("/v1/feeds", get(feeds::list).post(feeds::create))
        .route("/v1/feeds/counters", get(feeds::counters))
        .route("/v1/feeds/refresh", put(feeds::refresh_all))
        .route(
            "/v1/feeds/{id}",
            get(feeds::get_one).put(feeds::update).delete(feeds::remove),
        )
        .route("/v1/feeds/{id}/refresh", put(feeds::refresh))
        .route("/v1/feeds/{id}/icon", get(icons::feed_icon))
        .route("/v1/feeds/{id}/mark-all-as-read", put(feeds::mark_all_read))
        .route("/v1/feeds/{id}/entries", get(entries::feed_entries))
        .route("/v1/feeds/{id}/entries/{entry}", get(entries::feed_entry))
        .route("/v1/entries", get(entries::list).put(entries::set_status))
        .route(
            "/v1/entries/{id}",
            get(entries::get_one).put(entries::update),
        )
        .route("/v1/entries/{id}/bookmark", put(entries::toggle_bookmark))
        .route("/v1/entries/{id}/star", put(entries::toggle_bookmark))
        .route("/v1/entries/{id}/save", post(entries::save))
        .route(
            "/v1/entries/{id}/fetch-content",
            get(entries::fetch_content),
        )
        .route("/v1/icons/{id}", get(icons::icon))
        .route("/v1/export", get(opml::export))
        .route("/v1/import", post(opml::import))
        .route(
            "/v1/flush-history",
            put(entries::flush_history).delete(entries::flush_history),
        )
        .route("/v1", any(unknown))
        .route("/v1/", any(unknown))
        .route("/v1/{*rest}", any(unknown))
        .layer(axum::middleware::from_fn(preflight))
        .layer(axum::middleware::map_response(cors))
        .route("/healthcheck", get(|| async { "OK" }))
        .route("//v1/{*rest}", any(double_slash))
}

/// CORS headers on every answer (as Miniflux sends them).
async fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("X-Auth-Token, Authorization, Content-Type, Accept"),
    );
    response
}

/// A CORS preflight (`OPTIONS`) is 200 without credentials, as in Miniflux.
async fn preflight(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == Method::OPTIONS {
        return (StatusCode::OK, [(header::ACCESS_CONTROL_MAX_AGE, "3600")]).into_response();
    }
    next.run(request).await
}

/// Paths under `/v1/` that do not exist: a JSON 404.
async fn unknown() -> Response {
    ApiError::not_found().into_response()
}

/// `//v1/…` (a base URL given with a trailing slash, as newsboat's
/// `miniflux-url "https://host/"` makes it): 308 to `/v1/…`, which keeps
/// the method and the body.
async fn double_slash(uri: axum::http::Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let target = match uri.query() {
        Some(q) => format!("/{path}?{q}"),
        None => format!("/{path}"),
    };
    match HeaderValue::from_str(&target) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => ApiError::bad_request("the path is not valid").into_response(),
    }
}

/// A positive id from a path segment; 400 `invalid WHAT ID` otherwise.
pub(crate) fn parse_id(raw: &str, what: &str) -> ApiResult<i64> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "invalid {what} ID: {raw:?} is not a positive whole number"
        ))),
    }
}

/// A JSON request body (whatever its Content-Type: the Python client sends
/// none). 400 naming what is wrong when it does not parse.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object, and it is empty",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid: {e}")))
}

/// The parameters of a query string (a name may repeat).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parse a raw query string.
    pub(crate) fn parse(query: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Whether `name` is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The last non-empty value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every non-empty value of `name`, in order (`status=read&status=unread`).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// A whole-number parameter; 400 naming it if it is not one.
    pub(crate) fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("{name} must be a whole number, not {v:?}"))
            }),
        }
    }

    /// A boolean parameter (`true`/`false`, `1`/`0`, `t`/`f`, any case).
    pub(crate) fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "t" | "true" => Ok(Some(true)),
                "0" | "f" | "false" => Ok(Some(false)),
                _ => Err(ApiError::bad_request(format!(
                    "{name} must be true or false, not {v:?}"
                ))),
            },
        }
    }
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// 201 Created with a JSON body.
pub(crate) fn created(value: serde_json::Value) -> Response {
    (StatusCode::CREATED, axum::Json(value)).into_response()
}
