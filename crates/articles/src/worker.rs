//! The background article worker of `serve` and `daemon`.
//!
//! One round ([`Articles::run_once`]): the store names the entries to look
//! at (followed by someone whose mode is `on` or `auto`, never looked at
//! or failed and due again); entries only `auto` wants are given to the
//! truncation detector, and those that look complete are marked skipped;
//! the rest are fetched, at most `concurrency` at a time (and `per_host`
//! per host). Each result — article or error — is stored on its own, so
//! one bad page never stops the others. A round that had a full batch is
//! followed a second later by the next; otherwise the worker sleeps `interval`.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tracing::{info, warn};
use tributary_extract::truncation;
use tributary_store::{ArticleCandidate, CandidateQuery, StoreError};

use crate::{ArticleError, Articles};

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Entries the store handed over.
    pub candidates: usize,
    /// Articles stored.
    pub fetched: usize,
    /// Attempts that failed (stored with their error and retry time).
    pub failed: usize,
    /// `auto` entries that look complete.
    pub skipped: usize,
}

impl Articles {
    /// One round of the worker at `now` (see the module docs). Only a
    /// database failure while asking for work is an error; every page's
    /// failure is stored and counted.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<WorkerReport, StoreError> {
        let s = self.settings();
        let window = chrono::Duration::from_std(s.window).unwrap_or(chrono::Duration::days(7));
        let candidates = self
            .store()
            .article_candidates(&CandidateQuery {
                default: s.default,
                now,
                since: now - window,
                max_attempts: s.max_attempts,
                limit: s.batch.max(1),
            })
            .await?;
        let mut report = WorkerReport {
            candidates: candidates.len(),
            ..Default::default()
        };
        let mut to_fetch: Vec<ArticleCandidate> = Vec::new();
        for c in candidates {
            let html = c
                .content_html
                .as_deref()
                .filter(|h| !h.trim().is_empty())
                .or(c.summary_html.as_deref())
                .unwrap_or("");
            if c.forced || truncation(html, true).is_some() {
                to_fetch.push(c);
            } else {
                match self.store().record_article_skipped(c.entry_id, now).await {
                    Ok(()) => report.skipped += 1,
                    Err(e) => {
                        warn!(entry = %c.entry_id, error = %e, "cannot mark an article skipped")
                    }
                }
            }
        }
        let results: Vec<Result<(), ArticleError>> = futures::stream::iter(to_fetch)
            .map(|c| async move {
                self.fetch_and_store(c.entry_id, &c.url, c.attempts, now)
                    .await
                    .inspect_err(|e| {
                        warn!(entry = %c.entry_id, url = %c.url, code = e.code(), error = %e, "article fetch failed")
                    })
            })
            .buffer_unordered(s.concurrency.max(1))
            .collect()
            .await;
        for r in results {
            match r {
                Ok(()) => report.fetched += 1,
                Err(_) => report.failed += 1,
            }
        }
        Ok(report)
    }
}

/// Run the worker until the runtime ends: a round, then a sleep of
/// `interval` (a second after a full batch). A round's database failure is
/// logged and the next round tries again. The one call `serve` and
/// `daemon` make.
pub fn spawn(articles: Articles) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let full = match articles.run_once(Utc::now()).await {
                Ok(r) => {
                    if r.fetched + r.failed + r.skipped > 0 {
                        info!(
                            fetched = r.fetched,
                            failed = r.failed,
                            skipped = r.skipped,
                            "article round"
                        );
                    }
                    r.candidates >= articles.settings().batch as usize
                }
                Err(e) => {
                    warn!(error = %e, "article worker cannot read its work");
                    false
                }
            };
            let pause = if full {
                std::time::Duration::from_secs(1)
            } else {
                articles.settings().interval
            };
            tokio::time::sleep(pause).await;
        }
    })
}
