//! `search QUERY`: full-text search over the command line user's entries.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde::Serialize;
use tributary_model::{CategoryId, FeedId, UserId};
use tributary_store::{SearchHit, SearchQuery, SnippetPart, Store, StoreError};

use crate::args::SearchArgs;

pub async fn run(store: &Store, user: UserId, args: &SearchArgs) -> Result<ExitCode> {
    let since = match args.since {
        Some(d) => Some(
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| Utc::now().checked_sub_signed(d))
                .context("--since is too long")?,
        ),
        None => None,
    };
    let query = SearchQuery {
        text: args.query.clone(),
        feed: match &args.feed {
            Some(feed) => Some(feed_id(store, user, feed).await?),
            None => None,
        },
        category: match &args.category {
            Some(path) => Some(category_id(store, user, path).await?),
            None => None,
        },
        unread_only: args.unread,
        starred_only: args.starred,
        since,
        until: None,
        limit: args.limit,
        offset: 0,
    };
    let results = store.search(user, &query).await.map_err(|e| match e {
        StoreError::Invalid(why) => anyhow::anyhow!("cannot search for {:?}: {why}", args.query),
        other => anyhow::Error::new(other),
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let hits: Vec<JsonHit> = results.hits.iter().map(JsonHit::from).collect();
        let doc = serde_json::json!({ "total": results.total, "hits": hits });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        if results.hits.is_empty() {
            writeln!(out, "nothing matches {:?}", args.query)?;
        }
        for (i, hit) in results.hits.iter().enumerate() {
            print_hit(&mut out, i + 1, hit)?;
        }
        if results.total > i64::try_from(results.hits.len()).unwrap_or(i64::MAX) {
            writeln!(
                out,
                "{} of {} matches shown (--limit for more)",
                results.hits.len(),
                results.total
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A snippet on one line, hits in `[brackets]`.
pub fn marked(snippet: &[SnippetPart]) -> String {
    let text: String = snippet
        .iter()
        .map(|p| {
            if p.hit {
                format!("[{}]", p.text)
            } else {
                p.text.clone()
            }
        })
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn print_hit(out: &mut impl Write, n: usize, hit: &SearchHit) -> Result<()> {
    let e = &hit.item.entry;
    let title = if e.title.trim().is_empty() {
        "(untitled)"
    } else {
        e.title.trim()
    };
    writeln!(out, "{n}. {title}")?;
    writeln!(
        out,
        "   {} · {}",
        hit.item.source.title,
        e.published.format("%Y-%m-%d %H:%M UTC")
    )?;
    let snippet = marked(&hit.snippet);
    if !snippet.is_empty() {
        writeln!(out, "   {snippet}")?;
    }
    if let Some(url) = e.url.as_deref().filter(|u| !u.trim().is_empty()) {
        writeln!(out, "   {url}")?;
    }
    writeln!(out)?;
    Ok(())
}

#[derive(Serialize)]
struct JsonHit<'a> {
    id: i64,
    title: &'a str,
    url: Option<&'a str>,
    source: &'a str,
    feed_id: i64,
    published: String,
    read: bool,
    starred: bool,
    rank: f64,
    snippet: String,
    snippet_parts: &'a [SnippetPart],
}

impl<'a> From<&'a SearchHit> for JsonHit<'a> {
    fn from(hit: &'a SearchHit) -> Self {
        let e = &hit.item.entry;
        JsonHit {
            id: e.id.0,
            title: &e.title,
            url: e.url.as_deref(),
            source: &hit.item.source.title,
            feed_id: hit.item.source.feed_id.0,
            published: e.published.to_rfc3339(),
            read: hit.item.read,
            starred: hit.item.starred,
            rank: hit.rank,
            snippet: marked(&hit.snippet),
            snippet_parts: &hit.snippet,
        }
    }
}

/// One of the user's feeds, by id or by (current or previous) URL.
pub async fn feed_id(store: &Store, user: UserId, feed: &str) -> Result<FeedId> {
    let feed = feed.trim();
    let subs = store.subscriptions(user).await?;
    let found = subs.iter().find(|s| {
        feed.parse::<i64>().is_ok_and(|id| s.feed.id.0 == id)
            || s.feed.url == feed
            || s.feed.previous_urls.iter().any(|p| p == feed)
    });
    match found {
        Some(s) => Ok(s.feed.id),
        None => bail!("you do not follow a feed {feed:?} (see `tributary feeds`)"),
    }
}

/// One of the user's categories, by path (exactly, else ignoring case).
pub async fn category_id(store: &Store, user: UserId, path: &str) -> Result<CategoryId> {
    let path = path.trim().trim_matches('/');
    let categories = store.categories(user).await?;
    let found = categories.iter().find(|c| c.path == path).or_else(|| {
        categories
            .iter()
            .find(|c| c.path.eq_ignore_ascii_case(path))
    });
    match found {
        Some(c) => Ok(c.id),
        None if categories.is_empty() => bail!("unknown category {path:?}: you have no categories"),
        None => bail!(
            "unknown category {path:?} (categories: {})",
            categories
                .iter()
                .map(|c| c.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_are_bracketed_and_whitespace_folded() {
        let parts = [
            SnippetPart {
                text: "…the ".into(),
                hit: false,
            },
            SnippetPart {
                text: "spine".into(),
                hit: true,
            },
            SnippetPart {
                text: "\n switches ".into(),
                hit: false,
            },
            SnippetPart {
                text: "sizing".into(),
                hit: true,
            },
        ];
        assert_eq!(marked(&parts), "…the [spine] switches [sizing]");
    }
}
