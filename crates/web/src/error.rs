//! Errors of a request, turned into pages (or plain text for outputs).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tributary_store::StoreError;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page, or one the user may not see (the same answer, on purpose).
    #[error("not found")]
    NotFound,
    /// Not signed in (pages redirect to the login form instead).
    #[error("sign in first")]
    Unauthorized,
    /// Signed in but not allowed (admin pages).
    #[error("{0}")]
    Forbidden(String),
    /// A form or query was wrong; the message says what.
    #[error("{0}")]
    BadRequest(String),
    /// The CSRF token of a form was missing or wrong.
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    /// An upload larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// Too many failed logins.
    #[error("too many failed sign-ins; try again in {0} s")]
    Throttled(u64),
    /// A template failed to load or render.
    #[error("template {name}: {message}")]
    Template {
        /// Template file name.
        name: String,
        /// What minijinja said (with line number).
        message: String,
    },
    /// Something on the server failed (the message is logged, not shown).
    #[error("{0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebError {
    /// The status code this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            WebError::Store(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
            WebError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            WebError::Template { .. } | WebError::Internal(_) | WebError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let message = if status.is_server_error() {
            "Something went wrong on the server; the log says what.".to_owned()
        } else {
            self.to_string()
        };
        let mut response = (status, Html(error_page(status, &message))).into_response();
        if let WebError::Throttled(secs) = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs.max(1)),
            );
        }
        response
    }
}

/// A self-contained error page (no template, so it works when templates fail).
pub fn error_page(status: StatusCode, message: &str) -> String {
    let title = status.canonical_reason().unwrap_or("Error");
    let esc = html_escape::encode_double_quoted_attribute;
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{code} {title}</title></head><body><main><h1>{title}</h1><p>{msg}</p>\
         <p><a href=\"/\">Back to the river</a></p></main></body></html>",
        code = status.as_u16(),
        title = esc(title),
        msg = esc(message),
    )
}

/// The fallback: a proper 404 page for unknown routes.
pub async fn not_found() -> WebError {
    WebError::NotFound
}
