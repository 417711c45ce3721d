//! `GET /v1/openapi.json`: the OpenAPI 3.0 document of this API, written by
//! hand beside this file and compiled in. It needs no credentials, so that
//! tools can read it before they have any.

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /v1/openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
