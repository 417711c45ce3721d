//! The Google Reader API, at `/api/greader` (and the same paths at the
//! root): what FreshRSS and Miniflux speak to NetNewsWire, Reeder, ReadKit,
//! FeedMe, newsboat (`feedhq`) and the others. See `README.md` beside this
//! file for the supported subset and the client quirks.
//!
//! - [`auth`]: `accounts/ClientLogin`, `token`, the `GoogleLogin auth=`
//!   header, and the request extractor every endpoint takes.
//! - [`ids`]: item ids and stream ids, parsed in one place.
//! - [`streams`]: `stream/contents`, `stream/items/ids`,
//!   `stream/items/contents`, `stream/items/count`, `reader/atom`,
//!   `edit-tag`, `mark-all-as-read`.
//! - [`subscriptions`]: `subscription/*`, `subscribed`, `user-info`,
//!   `preference/list`, `preference/stream/list`.
//! - [`tags`]: `tag/list`, `rename-tag`, `disable-tag`, `unread-count`.
//!
//! Clients build paths by appending to the base URL they are given, some
//! with a doubled slash (newsboat: `…/api/greader/` + `/accounts/…`), so
//! every path answers at the root, under `/api/greader/` and under
//! `/api/greader//`.

pub mod auth;
pub mod ids;
pub mod streams;
pub mod subscriptions;
pub mod tags;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tributary_store::StoreError;

use crate::{AppState, WebError};

/// Where the API lives; also answered at the root.
pub const BASE: &str = "/api/greader";

/// The Google Reader routes.
pub fn routes() -> Router<AppState> {
    let api = "/reader/api/0";
    let table: Vec<(String, MethodRouter<AppState>)> = vec![
        (
            "/accounts/ClientLogin".into(),
            get(auth::client_login).post(auth::client_login),
        ),
        (format!("{api}/token"), get(auth::token).post(auth::token)),
        (
            format!("{api}/user-info"),
            get(subscriptions::user_info).post(subscriptions::user_info),
        ),
        (
            format!("{api}/subscription/list"),
            get(subscriptions::list).post(subscriptions::list),
        ),
        (
            format!("{api}/subscription/edit"),
            post(subscriptions::edit),
        ),
        (
            format!("{api}/subscription/quickadd"),
            post(subscriptions::quickadd),
        ),
        (
            format!("{api}/subscription/export"),
            get(subscriptions::export),
        ),
        (
            format!("{api}/subscription/import"),
            post(subscriptions::import),
        ),
        (format!("{api}/subscribed"), get(subscriptions::subscribed)),
        (
            format!("{api}/preference/list"),
            get(subscriptions::preferences),
        ),
        (
            format!("{api}/preference/stream/list"),
            get(subscriptions::stream_preferences),
        ),
        (
            format!("{api}/stream/items/count"),
            get(streams::item_count),
        ),
        (format!("{api}/tag/list"), get(tags::list).post(tags::list)),
        (format!("{api}/rename-tag"), post(tags::rename)),
        (format!("{api}/disable-tag"), post(tags::disable)),
        (
            format!("{api}/unread-count"),
            get(tags::unread_count).post(tags::unread_count),
        ),
        (
            format!("{api}/stream/contents"),
            get(streams::contents_param).post(streams::contents_param),
        ),
        (
            format!("{api}/stream/contents/{{*stream}}"),
            get(streams::contents).post(streams::contents),
        ),
        (
            format!("{api}/stream/items/ids"),
            get(streams::item_ids).post(streams::item_ids),
        ),
        (
            format!("{api}/stream/items/contents"),
            get(streams::item_contents).post(streams::item_contents),
        ),
        (format!("{api}/edit-tag"), post(streams::edit_tag)),
        (
            format!("{api}/mark-all-as-read"),
            post(streams::mark_all_as_read),
        ),
        ("/reader/atom".into(), get(streams::atom_reading_list)),
        ("/reader/atom/{*stream}".into(), get(streams::atom)),
    ];
    let mut router = Router::new();
    for (path, handler) in table {
        for prefix in ["", BASE, "/api/greader/"] {
            router = router.route(&format!("{prefix}{path}"), handler.clone());
        }
    }
    router
}

/// What a Google Reader request can fail with, answered as its clients
/// expect: plain text, 401 `Error=BadAuthentication` for auth.
#[derive(Debug)]
pub enum GrError {
    /// No, wrong, expired or revoked `Auth` token (or a wrong login).
    BadAuth,
    /// A write without the session's `T` token.
    BadToken,
    /// Anything else (bad input, not found, the store).
    Web(WebError),
}

/// A Google Reader handler's result.
pub type GrResult<T> = Result<T, GrError>;

/// A 400 with `reason`.
pub fn bad_request(reason: impl Into<String>) -> GrError {
    GrError::Web(WebError::BadRequest(reason.into()))
}

impl From<WebError> for GrError {
    fn from(e: WebError) -> Self {
        match e {
            WebError::Unauthorized => GrError::BadAuth,
            e => GrError::Web(e),
        }
    }
}

impl From<StoreError> for GrError {
    fn from(e: StoreError) -> Self {
        GrError::Web(WebError::Store(e))
    }
}

/// A plain-text answer.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

impl IntoResponse for GrError {
    fn into_response(self) -> Response {
        match self {
            GrError::BadAuth => text(StatusCode::UNAUTHORIZED, "Error=BadAuthentication\n"),
            GrError::BadToken => {
                let mut r = text(
                    StatusCode::UNAUTHORIZED,
                    "the T parameter must be the token of reader/api/0/token\n",
                );
                r.headers_mut().insert(
                    "x-reader-google-bad-token",
                    HeaderValue::from_static("true"),
                );
                r
            }
            GrError::Web(e) => {
                let status = e.status();
                if status.is_server_error() {
                    tracing::error!(error = %e, "google reader request failed");
                    return text(
                        status,
                        "Something went wrong on the server; the log says what.\n",
                    );
                }
                let mut r = text(status, format!("{e}\n"));
                if let WebError::Throttled(secs) = e {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
                }
                r
            }
        }
    }
}

/// `OK`, what writes answer.
pub fn ok() -> Response {
    text(StatusCode::OK, "OK")
}

/// A JSON answer.
pub fn json(value: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}
