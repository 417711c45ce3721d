//! `add`, `remove`, `import`, `export`, `feeds`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tributary_model::{FeedStatus, Subscription, UserId};
use tributary_refresh::{FeedOutcome, Refresher};
use tributary_store::{FeedSelector, Store};

use super::write_output;

pub async fn add(
    refresher: &Refresher,
    user: UserId,
    url: &str,
    category: Option<&str>,
    no_fetch: bool,
) -> Result<ExitCode> {
    let outcome = refresher
        .add(user, url, category)
        .await
        .with_context(|| format!("cannot subscribe to {url}"))?;
    let name = outcome.title.as_deref().unwrap_or(&outcome.feed_url);
    if outcome.added {
        println!("added: {name} <{}>", outcome.feed_url);
    } else {
        println!("already subscribed: {name} <{}>", outcome.feed_url);
    }
    for other in &outcome.alternatives {
        println!("  the page also offers: {other}");
    }
    if outcome.added && !no_fetch {
        let feeds = refresher
            .store()
            .feeds_to_fetch(&FeedSelector::Urls(vec![outcome.feed_url.clone()]))
            .await?;
        for feed in feeds {
            match refresher.refresh_feed(&feed).await {
                FeedOutcome::Fetched { new, .. } => println!("fetched: {new} new entries"),
                FeedOutcome::NotModified => println!("fetched: not modified"),
                FeedOutcome::Failed { message, .. } => eprintln!("fetch failed: {message}"),
                FeedOutcome::Skipped { reason } => println!("not fetched now: {reason}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn remove(store: &Store, user: UserId, feed: &str) -> Result<ExitCode> {
    let url = store.unsubscribe(user, feed.trim()).await?;
    println!("removed: {url}");
    Ok(ExitCode::SUCCESS)
}

pub async fn import(refresher: &Refresher, user: UserId, file: &Path) -> Result<ExitCode> {
    let report = refresher
        .import_opml(user, file)
        .await
        .context("import failed, nothing was imported")?;
    for url in &report.added {
        println!("added: {url}");
    }
    for url in &report.skipped {
        println!("skipped (already subscribed): {url}");
    }
    for refused in &report.refused {
        println!("refused: {}: {}", refused.url, refused.reason);
    }
    println!(
        "{} added, {} skipped, {} refused",
        report.added.len(),
        report.skipped.len(),
        report.refused.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn export(store: &Store, user: UserId, output: Option<&Path>) -> Result<ExitCode> {
    let subs = store.subscriptions(user).await?;
    let opml = tributary_publish::opml::export(&subs, "Tributary subscriptions");
    write_output(output, &opml)?;
    Ok(ExitCode::SUCCESS)
}

/// One line of `feeds --json`.
#[derive(Debug, Serialize)]
struct FeedJson<'a> {
    id: i64,
    title: &'a str,
    url: &'a str,
    previous_urls: &'a [String],
    site_url: Option<&'a str>,
    category: Option<&'a str>,
    status: FeedStatus,
    last_error: Option<&'a str>,
    last_error_code: Option<&'a str>,
    error_count: i64,
    failing_since: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    last_fetched_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    next_fetch_at: Option<DateTime<Utc>>,
    next_fetch_reason: Option<&'a str>,
    status_note: Option<&'a str>,
    entry_count: i64,
}

impl<'a> From<&'a Subscription> for FeedJson<'a> {
    fn from(s: &'a Subscription) -> Self {
        FeedJson {
            id: s.feed.id.0,
            title: s.display_title(),
            url: &s.feed.url,
            previous_urls: &s.feed.previous_urls,
            site_url: s.feed.site_url.as_deref(),
            category: s.category.as_deref(),
            status: s.feed.status,
            last_error: s.feed.last_error.as_deref(),
            last_error_code: s.feed.last_error_code.as_deref(),
            error_count: s.feed.error_count,
            failing_since: s.feed.failing_since,
            disabled_at: s.feed.disabled_at,
            last_fetched_at: s.feed.last_fetched_at,
            last_success_at: s.feed.last_success_at,
            next_fetch_at: s.feed.next_fetch_at,
            next_fetch_reason: s.feed.next_fetch_reason.as_deref(),
            status_note: s.feed.status_note.as_deref(),
            entry_count: s.entry_count,
        }
    }
}

pub async fn feeds(store: &Store, user: UserId, json: bool) -> Result<ExitCode> {
    let subs = store.subscriptions(user).await?;
    if json {
        let rows: Vec<FeedJson<'_>> = subs.iter().map(FeedJson::from).collect();
        let mut text = serde_json::to_string_pretty(&rows)?;
        text.push('\n');
        write_output(None, &text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for s in &subs {
        let fetched = s
            .feed
            .last_fetched_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "never".to_string());
        text.push_str(&format!(
            "{:>4}  {:<8}  {:>5} entries  fetched {}  {}\n      {}{}\n",
            s.feed.id,
            s.feed.status.as_str(),
            s.entry_count,
            fetched,
            s.display_title(),
            s.feed.url,
            s.category
                .as_deref()
                .map(|c| format!("  [{c}]"))
                .unwrap_or_default(),
        ));
        if let Some(err) = &s.feed.last_error {
            let code = s.feed.last_error_code.as_deref().unwrap_or("error");
            text.push_str(&format!("      last error ({code}): {err}\n"));
        }
        if let Some(note) = &s.feed.status_note {
            text.push_str(&format!("      note: {note}\n"));
        }
        if s.feed.status != FeedStatus::Disabled {
            if let Some(next) = s.feed.next_fetch_at {
                let reason = s
                    .feed
                    .next_fetch_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "      next check {}{reason}\n",
                    next.format("%Y-%m-%d %H:%M UTC")
                ));
            }
        }
    }
    text.push_str(&format!("{} feeds\n", subs.len()));
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
