//! Full article content in the UI (docs/ARTICLES.md): what the entry page
//! shows of an entry's stored article, the "Fetch original" button, and
//! the full-content mode of a feed's settings page.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use tributary_articles::{ArticleError, Articles};
use tributary_model::{EntryId, FeedId, UserId};
use tributary_store::{ArticleStatus, FullContent};

use super::views::time_text;
use super::{parse_id, see_other};
use crate::auth::CsrfForm;
use crate::{AppState, WebError};

/// The entry page's view of an entry's article.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ArticleView {
    /// The sanitized article, when one is stored.
    pub html: Option<String>,
    /// When it was fetched, for people.
    pub fetched_text: Option<String>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
    /// Show the feed's own content although an article is stored (`?view=feed`).
    pub showing_feed: bool,
}

impl ArticleView {
    /// The article to show in place of the feed's content, if any.
    pub fn shown(&self) -> Option<&str> {
        (!self.showing_feed).then_some(()).and(self.html.as_deref())
    }
}

/// What the entry page shows of `entry`'s article; `view_feed`: the reader
/// asked for the feed's own content.
pub async fn view(
    state: &AppState,
    entry: EntryId,
    view_feed: bool,
) -> Result<ArticleView, WebError> {
    let Some(a) = state.store.entry_article(entry).await? else {
        return Ok(ArticleView::default());
    };
    let html = (a.status == ArticleStatus::Ok)
        .then_some(a.content_html)
        .flatten();
    Ok(ArticleView {
        fetched_text: html.as_ref().and(a.fetched_at).map(time_text),
        error: a.last_error,
        showing_feed: view_feed && html.is_some(),
        html,
    })
}

/// The article service of this server: the feed fetcher's policy, the
/// `[articles]` settings. `None` when the server fetches nothing.
pub fn articles(state: &AppState) -> Option<Articles> {
    let refresher = state.refresher.as_ref()?;
    Some(Articles::new(
        state.store.clone(),
        refresher.fetcher().clone(),
        state.config.articles.clone(),
    ))
}

/// The "Fetch original" form (only its CSRF token).
#[derive(Debug, serde::Deserialize)]
pub struct FetchForm {}

/// `POST /entry/{id}/fetch-original`: fetch the entry's article now, then
/// back to the entry page, which shows the article or why it failed.
pub async fn fetch_original(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form: _ }: CsrfForm<FetchForm>,
) -> Result<Response, WebError> {
    let id = EntryId(parse_id(&id)?);
    // Only an entry of the user's own feeds.
    state
        .store
        .entry_for_user(user.user.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let articles = articles(&state).ok_or_else(|| {
        WebError::BadRequest(
            "This server does not fetch pages (it was started without fetching).".into(),
        )
    })?;
    // A failure is stored with the entry and shown on its page.
    if let Err(ArticleError::Store(e)) = articles.fetch_entry(id).await {
        return Err(e.into());
    }
    Ok(see_other(&format!("/entry/{}?keep_unread=1", id.0)))
}

/// The modes the settings page offers: (value, label).
pub const MODES: &[(&str, &str)] = &[
    ("", "Default of this server"),
    ("off", "Off: the feed's own content"),
    (
        "auto",
        "Auto: fetch the article when the entry looks cut short",
    ),
    ("on", "On: fetch the article of every entry"),
];

/// The form value of `user`'s mode for `feed` ("" for the default).
pub async fn mode_value(state: &AppState, user: UserId, feed: FeedId) -> Result<String, WebError> {
    Ok(state
        .store
        .full_content(user, feed)
        .await?
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default())
}

/// Parse the settings form's `full_content` value: `Ok(None)` for the
/// default, an error message for anything but the offered modes.
pub fn parse_mode(value: Option<&str>) -> Result<Option<FullContent>, &'static str> {
    match value.map(str::trim).unwrap_or("") {
        "" => Ok(None),
        v => FullContent::parse(v)
            .map(Some)
            .ok_or("Choose one of the offered modes."),
    }
}
