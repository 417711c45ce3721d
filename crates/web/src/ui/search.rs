//! `/search`: full-text search with filters (feed, category, unread,
//! starred, date range), hits marked in snippets, paged by page number.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use serde::Serialize;
use tributary_model::{CategoryId, FeedId};
use tributary_store::{SearchQuery, SnippetPart, StoreError};

use super::forms::{self, FieldErrors};
use super::views::EntryRow;
use super::{render_status, Page};
use crate::auth::CurrentUser;
use crate::{AppState, WebError};

/// Results per page.
const PER_PAGE: u32 = 25;

#[derive(Serialize)]
struct Hit {
    entry: EntryRow,
    snippet: Vec<SnippetPart>,
}

#[derive(Serialize)]
struct Choice {
    id: i64,
    name: String,
}

/// `GET /search?q=&feed=&category=&unread=1&starred=1&since=&until=&page=`.
pub async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let get = |k: &str| q.get(k).map(String::as_str);
    let mut errors = FieldErrors::default();
    let text = get("q").unwrap_or("").trim().to_owned();
    let feeds = state.store.subscription_views(user.user.id).await?;
    let categories = state.store.categories(user.user.id).await?;

    let feed = match forms::id(get("feed"), "feeds") {
        Ok(Some(id)) if feeds.iter().any(|f| f.subscription.feed.id.0 == id) => Some(FeedId(id)),
        Ok(Some(_)) => {
            errors.add("feed", "That feed is not one of your subscriptions.");
            None
        }
        Ok(None) => None,
        Err(e) => {
            errors.add("feed", e);
            None
        }
    };
    let category = match forms::id(get("category"), "categories") {
        Ok(Some(id)) if categories.iter().any(|c| c.id.0 == id) => Some(CategoryId(id)),
        Ok(Some(_)) => {
            errors.add("category", "That category is not one of yours.");
            None
        }
        Ok(None) => None,
        Err(e) => {
            errors.add("category", e);
            None
        }
    };
    let since = forms::date(get("since")).unwrap_or_else(|e| {
        errors.add("since", e);
        None
    });
    // `until` names the last day included.
    let until = forms::date(get("until"))
        .unwrap_or_else(|e| {
            errors.add("until", e);
            None
        })
        .map(|d| d + Duration::days(1));
    if let (Some(s), Some(u)) = (since, until) {
        if u <= s {
            errors.add("until", "The end date is before the start date.");
        }
    }
    let page_no = match forms::non_empty(get("page")) {
        None => 1,
        Some(p) => match p.parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                errors.add("page", format!("“{p}” is not a page number."));
                1
            }
        },
    };
    let unread_only = forms::flag(get("unread"));
    let starred_only = forms::flag(get("starred"));

    let mut hits = Vec::new();
    let mut total = None;
    if errors.is_empty() && !text.is_empty() {
        let query = SearchQuery {
            text: text.clone(),
            feed,
            category,
            unread_only,
            starred_only,
            since,
            until,
            limit: PER_PAGE,
            offset: (page_no - 1) * PER_PAGE,
        };
        match state.store.search(user.user.id, &query).await {
            Ok(results) => {
                let now = Utc::now();
                total = Some(results.total);
                hits = results
                    .hits
                    .iter()
                    .map(|h| Hit {
                        entry: crate::privacy::row(&state, EntryRow::new(&h.item, now)),
                        snippet: h.snippet.clone(),
                    })
                    .collect();
            }
            Err(StoreError::Invalid(message)) => errors.add("q", message),
            Err(e) => return Err(e.into()),
        }
    }

    // Links to the neighbouring pages keep every filter.
    let link = |n: u32| {
        let mut pairs: Vec<(&str, String)> = q
            .iter()
            .filter(|(k, v)| k.as_str() != "page" && !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("page", n.to_string()));
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", forms::encode(k), forms::encode(v)))
            .collect();
        format!("/search?{}", query.join("&"))
    };
    let pages = total.map_or(0, |t| (t.max(0) as u64).div_ceil(u64::from(PER_PAGE)));
    let newer = (page_no > 1 && total.is_some()).then(|| link(page_no - 1));
    let older = (u64::from(page_no) < pages).then(|| link(page_no + 1));

    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let here = link(page_no);
    let page = Page::new(&state, &user, "search", here);
    render_status(
        &state,
        status,
        "search.html",
        &page,
        minijinja::context! {
            q => text,
            feed => get("feed").unwrap_or(""),
            category => get("category").unwrap_or(""),
            since => get("since").unwrap_or(""),
            until => get("until").unwrap_or(""),
            unread => unread_only,
            starred => starred_only,
            errors => errors,
            entries => hits.iter().map(|h| &h.entry).collect::<Vec<_>>(),
            snippets => hits.iter().map(|h| &h.snippet).collect::<Vec<_>>(),
            total => total,
            page_no => page_no,
            pages => pages,
            newer => newer,
            older => older,
            feeds => feeds.iter().map(|f| Choice {
                id: f.subscription.feed.id.0,
                name: f.subscription.display_title().to_owned(),
            }).collect::<Vec<_>>(),
            categories => categories.iter().map(|c| Choice {
                id: c.id.0,
                name: c.path.clone(),
            }).collect::<Vec<_>>(),
        },
    )
}
