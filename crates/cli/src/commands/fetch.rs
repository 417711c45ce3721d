//! `fetch`: refresh due feeds, all feeds, or the given ones.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tributary_refresh::{FeedOutcome, Refresher, DISK_FULL};
use tributary_store::FeedSelector;

use crate::args::FetchArgs;

pub async fn run(refresher: &Refresher, args: &FetchArgs) -> Result<ExitCode> {
    let selector = if args.all {
        FeedSelector::All
    } else if !args.urls.is_empty() {
        FeedSelector::Urls(args.urls.iter().map(|u| u.trim().to_string()).collect())
    } else {
        FeedSelector::Due(Utc::now())
    };
    let feeds = refresher.store().feeds_to_fetch(&selector).await?;
    if let FeedSelector::Urls(urls) = &selector {
        let unknown: Vec<&String> = urls
            .iter()
            .filter(|u| {
                !feeds
                    .iter()
                    .any(|f| &f.url == *u || f.previous_urls.contains(u))
            })
            .collect();
        if !unknown.is_empty() {
            let list: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            bail!("not subscribed: {}", list.join(", "));
        }
    }

    let bar = if std::io::stderr().is_terminal() {
        let bar =
            ProgressBar::with_draw_target(Some(feeds.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} feeds {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    // Feeds whose outcome could not be stored because the disk is full
    // (and the first such message).
    let disk_full = std::sync::Mutex::new((0usize, None::<String>));
    let summary = refresher
        .refresh_many(feeds, |feed, outcome| {
            bar.inc(1);
            if let FeedOutcome::Failed { code, message } = outcome {
                if code == DISK_FULL {
                    let mut full = disk_full.lock().unwrap_or_else(|e| e.into_inner());
                    full.0 += 1;
                    full.1.get_or_insert_with(|| message.clone());
                }
                bar.suspend(|| eprintln!("failed: {}: {message}", feed.url));
            } else if let FeedOutcome::Skipped { reason } = outcome {
                bar.suspend(|| eprintln!("skipped: {}: {reason}", feed.url));
            } else {
                bar.set_message(feed.url.clone());
            }
        })
        .await;
    bar.finish_and_clear();
    println!(
        "fetched {}, not modified {}, failed {}, new entries {} ({} updated) in {:.1}s",
        summary.fetched,
        summary.not_modified,
        summary.failed,
        summary.new_entries,
        summary.updated_entries,
        started.elapsed().as_secs_f64()
    );
    if summary.skipped > 0 {
        println!(
            "skipped {}: other workers on this database were fetching them",
            summary.skipped
        );
    }
    // A full disk is not the feeds' failure: nothing of them was stored,
    // not even the failure; the command did not do its job.
    let (full, message) = disk_full.into_inner().unwrap_or_else(|e| e.into_inner());
    if full > 0 {
        bail!(
            "{full} fetched feeds could not be stored: {}",
            message.unwrap_or_default()
        );
    }
    // Per-feed failures are reported above and recorded on the feeds; the
    // command itself did its job.
    Ok(ExitCode::SUCCESS)
}
