//! The live outputs: `/river`, `/feeds/all.{atom,rss,json}`,
//! `/feeds/category/NAME.{atom,rss,json}` and `/opml`, per user (private,
//! with the user's token in the URL) or for the admin-chosen public planet.
//! Conditional GET (ETag) on all of them; RFC 5005 paging; a WebSub hub
//! advertised and pinged.
//!
//! Whose output: `?token=T` is the user with that output token (an unknown
//! token is a 404, like a page that does not exist); without a token it is
//! the planet's user (setting `planet.user`), and a 404 when there is none.
//!
//! Paging: a page holds `WebConfig::page_size` entries, newest first;
//! `?after=<unix-micros>-<id>` continues after that entry. Each feed names
//! `self`, `first`, `next` (older, when there is more) and `previous`
//! (the first page, on later pages).

mod conditional;
mod hub;
pub mod paging;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tributary_model::RiverItem;
use tributary_publish::digest::{self, DigestOptions, FeedLinks, Format};
use tributary_store::{EntryQuery, User, View};

pub use hub::{notify_hub, public_urls};
pub use paging::base_url;

use crate::{AppState, WebError};

/// Setting: user name whose subscriptions are the public planet.
pub const PLANET_USER: &str = "planet.user";
/// Setting: title of the public planet.
pub const PLANET_TITLE: &str = "planet.title";

/// The outputs' paths, with a name for the account page.
pub const PATHS: &[(&str, &str)] = &[
    ("River (HTML)", "/river"),
    ("Atom", "/feeds/all.atom"),
    ("RSS", "/feeds/all.rss"),
    ("JSON Feed", "/feeds/all.json"),
    ("OPML", "/opml"),
];

/// The output routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/river", get(river))
        .route("/feeds/{file}", get(all_feed))
        .route("/feeds/category/{*file}", get(category_feed))
        .route("/opml", get(opml))
}

/// The query of every output.
#[derive(Debug, Default, Deserialize)]
pub struct OutputQuery {
    token: Option<String>,
    after: Option<String>,
}

/// Whose output is asked for.
struct Owner {
    user: User,
    /// The token of a private output (`None`: the public planet).
    token: Option<String>,
    title: String,
}

/// The planet's user, if `planet.user` names one.
pub async fn planet_user(state: &AppState) -> Result<Option<User>, WebError> {
    match state.store.setting(PLANET_USER).await? {
        Some(name) => Ok(state.store.user_by_name(&name).await?),
        None => Ok(None),
    }
}

/// The planet's title: `planet.title`, else the site title.
pub async fn planet_title(state: &AppState) -> Result<String, WebError> {
    Ok(state
        .store
        .setting(PLANET_TITLE)
        .await?
        .unwrap_or_else(|| state.config.site_title.clone()))
}

async fn owner(state: &AppState, token: Option<&str>) -> Result<Owner, WebError> {
    match token {
        Some(t) => {
            let user = state
                .store
                .user_by_output_token(t)
                .await?
                .ok_or(WebError::NotFound)?;
            Ok(Owner {
                title: format!("{}: {}", state.config.site_title, user.username),
                user,
                token: Some(t.to_owned()),
            })
        }
        None => {
            let user = planet_user(state).await?.ok_or(WebError::NotFound)?;
            Ok(Owner {
                user,
                token: None,
                title: planet_title(state).await?,
            })
        }
    }
}

/// `NAME.ext` split into the name and a feed format (atom, rss, json).
fn split_file(file: &str) -> Result<(&str, Format), WebError> {
    let (name, ext) = file.rsplit_once('.').ok_or(WebError::NotFound)?;
    let format = match ext {
        "atom" => Format::Atom,
        "rss" => Format::Rss,
        "json" => Format::Json,
        _ => return Err(WebError::NotFound),
    };
    if name.is_empty() {
        return Err(WebError::NotFound);
    }
    Ok((name, format))
}

/// `GET /river`.
async fn river(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<OutputQuery>,
) -> Result<Response, WebError> {
    serve_digest(
        &state,
        &headers,
        &query,
        Format::Html,
        "/river".to_owned(),
        None,
    )
    .await
}

/// `GET /feeds/all.{atom,rss,json}`.
async fn all_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(query): Query<OutputQuery>,
) -> Result<Response, WebError> {
    let (name, format) = split_file(&file)?;
    if name != "all" {
        return Err(WebError::NotFound);
    }
    let path = format!("/feeds/{file}");
    serve_digest(&state, &headers, &query, format, path, None).await
}

/// `GET /feeds/category/NAME.{atom,rss,json}` (NAME: the category path).
async fn category_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(query): Query<OutputQuery>,
) -> Result<Response, WebError> {
    let (name, format) = split_file(&file)?;
    let path = format!(
        "/feeds/category/{}.{}",
        paging::encode(name),
        format.file_extension()
    );
    serve_digest(
        &state,
        &headers,
        &query,
        format,
        path,
        Some(name.to_owned()),
    )
    .await
}

/// Render one page of a digest output and answer it conditionally.
async fn serve_digest(
    state: &AppState,
    headers: &HeaderMap,
    query: &OutputQuery,
    format: Format,
    path: String,
    category: Option<String>,
) -> Result<Response, WebError> {
    let after = query
        .after
        .as_deref()
        .map(paging::decode_cursor)
        .transpose()?;
    let owner = owner(state, query.token.as_deref()).await?;
    let mut title = owner.title.clone();
    let category_id = match &category {
        Some(name) => {
            let found = state
                .store
                .categories(owner.user.id)
                .await?
                .into_iter()
                .find(|c| c.path == *name)
                .ok_or(WebError::NotFound)?;
            title = format!("{title}: {}", found.path);
            Some(found.id)
        }
        None => None,
    };
    let page = state
        .store
        .entries(
            owner.user.id,
            &EntryQuery {
                view: View::All,
                category: category_id,
                after,
                limit: state.config.page_size.max(1),
                ..EntryQuery::default()
            },
        )
        .await?;
    let base = base_url(state, headers);
    let token = owner.token.as_deref();
    let self_url = paging::page_url(&base, &path, token, after.as_ref());
    let first = paging::page_url(&base, &path, token, None);
    let links = FeedLinks {
        self_url: Some(self_url.clone()),
        first: Some(first.clone()),
        previous: after.map(|_| first.clone()),
        next: page
            .next
            .as_ref()
            .map(|c| paging::page_url(&base, &path, token, Some(c))),
        hub: state.config.hub_url.as_ref().map(|u| u.to_string()),
    };
    let link = if format == Format::Html {
        self_url.clone()
    } else {
        paging::page_url(&base, "/river", token, None)
    };
    let opts = DigestOptions {
        title,
        link: Some(link),
        generated_at: newest(&page.items),
        links,
    };
    let body = digest::try_render(&page.items, format, &opts)
        .map_err(|e| WebError::Internal(format!("rendering the {format} output: {e}")))?;
    Ok(conditional_response(
        state,
        headers,
        body,
        format.media_type(),
        owner.token.is_some(),
        Some(&self_url),
    ))
}

/// The newest time of the page (so that the same entries give the same
/// bytes, and the same ETag); the epoch for an empty page.
fn newest(items: &[RiverItem]) -> DateTime<Utc> {
    items
        .iter()
        .map(|i| {
            i.entry
                .updated
                .unwrap_or(i.entry.published)
                .max(i.entry.published)
        })
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// `GET /opml`: the owner's subscriptions.
async fn opml(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<OutputQuery>,
) -> Result<Response, WebError> {
    let owner = owner(&state, query.token.as_deref()).await?;
    let subs = state.store.subscriptions(owner.user.id).await?;
    let body = tributary_publish::opml::try_export_at(&subs, &owner.title, owner.user.created_at)
        .map_err(|e| WebError::Internal(format!("rendering the OPML output: {e}")))?;
    let self_url = paging::page_url(
        &base_url(&state, &headers),
        "/opml",
        owner.token.as_deref(),
        None,
    );
    Ok(conditional_response(
        &state,
        &headers,
        body,
        "text/x-opml; charset=utf-8",
        owner.token.is_some(),
        Some(&self_url),
    ))
}

/// 200 with the body, or 304 when `If-None-Match` matches; ETag,
/// Cache-Control, and the hub's `Link` header either way.
fn conditional_response(
    state: &AppState,
    headers: &HeaderMap,
    body: String,
    media_type: &'static str,
    private: bool,
    self_url: Option<&str>,
) -> Response {
    let etag = conditional::etag(body.as_bytes());
    let mut response = if conditional::not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, media_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if private {
            "private, max-age=60"
        } else {
            "public, max-age=60"
        }),
    );
    if let (Some(hub), Some(self_url)) = (&state.config.hub_url, self_url) {
        let link = format!("<{hub}>; rel=\"hub\", <{self_url}>; rel=\"self\"");
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert(header::LINK, v);
        }
    }
    response
}
