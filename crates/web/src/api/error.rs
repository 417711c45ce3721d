//! Errors of the `/v1/` API as Miniflux answers them: a JSON object
//! `{"error_message": "…"}` with the status code Miniflux uses (401 without
//! valid credentials, 403 for admin-only calls, 404 for what is not the
//! user's, 400 for bad input, duplicates included).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tributary_store::StoreError;

use crate::WebError;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    /// Status code.
    pub status: StatusCode,
    /// What went wrong, shown to the client.
    pub message: String,
    /// Seconds to wait (429 only).
    pub retry_after: Option<u64>,
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with a reason.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404, as Miniflux words it.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Resource Not Found")
    }

    /// 401, as Miniflux words it.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Access Unauthorized")
    }

    /// 403, as Miniflux words it.
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Access Forbidden")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(_) => ApiError::not_found(),
            // Miniflux answers duplicates ("This category already exists") with 400.
            StoreError::Invalid(m) | StoreError::Conflict(m) => ApiError::bad_request(m),
            other => {
                tracing::error!(error = %other, "API request failed in the store");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server; the log says what.",
                )
            }
        }
    }
}

impl From<WebError> for ApiError {
    fn from(e: WebError) -> ApiError {
        match e {
            WebError::Store(s) => s.into(),
            WebError::NotFound => ApiError::not_found(),
            WebError::Unauthorized => ApiError::unauthorized(),
            WebError::Forbidden(_) | WebError::Csrf => ApiError::forbidden(),
            WebError::Throttled(secs) => ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: format!("too many failed sign-ins; try again in {secs} s"),
                retry_after: Some(secs.max(1)),
            },
            other => {
                let status = other.status();
                if status.is_server_error() {
                    tracing::error!(error = %other, "API request failed");
                    ApiError::new(
                        status,
                        "Something went wrong on the server; the log says what.",
                    )
                } else {
                    ApiError::new(status, other.to_string())
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error_message": self.message }).to_string();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Restricted\""),
            );
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
