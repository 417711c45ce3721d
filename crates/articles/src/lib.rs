//! Full article content for excerpt-only feeds (docs/ARTICLES.md).
//!
//! [`Articles`] fetches an entry's linked page, extracts its article
//! (`tributary-extract`: readability, or the host's site rule from the
//! store), sanitizes it exactly like feed content (the normalize crate's
//! sanitizer, the page's final URL as base) and stores it beside the
//! entry's own content (`Store::record_article`). A failure is stored too
//! (code, message, when to try again: [`backoff`]) and never stops the
//! other pages.
//!
//! Article fetches obey the feed fetches' rules because they *are* feed
//! fetches' rules: the same [`Fetcher`] (its SSRF guard on every hop and
//! after DNS, its user agent, time and body-size limits; a page cut at the
//! size limit is refused, not half-extracted) and a [`HostLimits`] of
//! their own with the same per-host setting, so the article worker never
//! takes a slot from feed refresh and never hits one host harder than feed
//! refresh may.
//!
//! [`worker::spawn`] runs in `serve` and `daemon`: every `interval` it asks
//! the store for entries to look at ([`Store::article_candidates`]), lets
//! the truncation detector decide for `auto` subscriptions, and fetches
//! the rest, `concurrency` at a time. It is never called from feed refresh,
//! so a slow article site never slows a feed.

#![warn(missing_docs)]

pub mod worker;

use std::time::Duration;

use chrono::{DateTime, Utc};
use once_cell::sync::Lazy;
use regex::bytes::Regex;
use tracing::{debug, instrument};
use tributary_extract::{ExtractError, Extractor, SiteRule};
use tributary_fetch::{FetchError, Fetcher};
use tributary_model::EntryId;
use tributary_refresh::HostLimits;
use tributary_store::{ArticleSite, EntryArticle, FullContent, Store, StoreError};
use url::Url;

pub use worker::{spawn, WorkerReport};

/// Settings of article fetching (`[articles]` of the config file).
#[derive(Debug, Clone)]
pub struct ArticleSettings {
    /// The mode of subscriptions that chose none.
    pub default: FullContent,
    /// Article fetches at once (the worker's own limit, apart from feed refresh's).
    pub concurrency: usize,
    /// Article fetches at once from one host.
    pub per_host: usize,
    /// How often the worker looks for work.
    pub interval: Duration,
    /// Entries stored longer ago than this are left alone.
    pub window: Duration,
    /// Entries looked at per round, at most.
    pub batch: u32,
    /// Failed attempts after which an entry's article is given up.
    pub max_attempts: u32,
}

impl Default for ArticleSettings {
    fn default() -> Self {
        ArticleSettings {
            default: FullContent::Auto,
            concurrency: 4,
            per_host: 2,
            interval: Duration::from_secs(60),
            window: Duration::from_secs(7 * 24 * 3600),
            batch: 100,
            max_attempts: 6,
        }
    }
}

/// Why an article could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    /// No such entry.
    #[error("no entry {0}")]
    NoEntry(EntryId),
    /// The entry has no link to follow.
    #[error("entry {0} has no link to an article")]
    NoLink(EntryId),
    /// The link is not an http(s) URL.
    #[error("{url:?} is not an http(s) URL: {reason}")]
    BadUrl {
        /// The link.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The fetch failed (the fetcher's error: refused address, HTTP status, timeout …).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The page is larger than the fetcher's body limit.
    #[error("the page at {url} is larger than the {limit}-byte limit (fetch.max_body_bytes)")]
    TooLarge {
        /// The page.
        url: Url,
        /// The limit.
        limit: u64,
    },
    /// The answer is not an HTML page.
    #[error("{url} is not an HTML page (content type {content_type})")]
    NotHtml {
        /// The page.
        url: Url,
        /// What it said it is.
        content_type: String,
    },
    /// No article came out of the page.
    #[error("{url}: {source}")]
    Extract {
        /// The page.
        url: Url,
        /// Why.
        #[source]
        source: ExtractError,
    },
    /// The extraction itself crashed (a bug in the extraction library on this page).
    #[error("extracting the article of {url} failed unexpectedly")]
    Crashed {
        /// The page.
        url: Url,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ArticleError {
    /// A stable code, stored as the article's `last_error_code`.
    pub fn code(&self) -> &'static str {
        match self {
            ArticleError::NoEntry(_) => "no_entry",
            ArticleError::NoLink(_) => "no_link",
            ArticleError::BadUrl { .. } => "bad_url",
            ArticleError::Fetch(e) => e.code(),
            ArticleError::TooLarge { .. } => "body_too_large",
            ArticleError::NotHtml { .. } => "not_html",
            ArticleError::Extract { source, .. } => source.code(),
            ArticleError::Crashed { .. } => "extract_crashed",
            ArticleError::Store(_) => "store_error",
        }
    }
}

/// An article fetched and extracted (not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The page's final URL (after redirects).
    pub url: Url,
    /// The page's title, when readability found one.
    pub title: Option<String>,
    /// The article, sanitized like feed content.
    pub html: String,
    /// Its plain text.
    pub text: String,
    /// The host whose site rule was used, if one was.
    pub site_rule: Option<String>,
}

/// When to try a failed article again: 10 minutes after the first
/// failure, doubling, at most a day.
pub fn backoff(failures: u32) -> Duration {
    let minutes = 10u64.saturating_mul(1u64 << failures.saturating_sub(1).min(16));
    Duration::from_secs(minutes.saturating_mul(60).min(24 * 3600))
}

/// Article fetching: the store, the fetcher, the extractor, the per-host limits.
#[derive(Clone, Debug)]
pub struct Articles {
    store: Store,
    fetcher: Fetcher,
    extractor: Extractor,
    settings: ArticleSettings,
    limits: HostLimits,
}

impl Articles {
    /// Article fetching with `fetcher`'s policy (use the feed fetcher: see the module docs).
    pub fn new(store: Store, fetcher: Fetcher, settings: ArticleSettings) -> Articles {
        let limits = HostLimits::new(settings.concurrency, settings.per_host);
        Articles {
            store,
            fetcher,
            extractor: Extractor::default(),
            settings,
            limits,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ArticleSettings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Fetch and extract the article at `url` without storing it (the CLI's
    /// `article extract`, to try a site rule). The stored rule of the
    /// page's host is used unless `rule` is given.
    #[instrument(skip_all, fields(url = %url))]
    pub async fn extract_url(
        &self,
        url: &Url,
        rule: Option<&SiteRule>,
    ) -> Result<Extracted, ArticleError> {
        let (final_url, html) = self.fetch_page(url).await?;
        let stored = match rule {
            Some(_) => None,
            None => self.site_rule(&final_url).await?,
        };
        let rule = rule.cloned().or(stored);
        let extractor = self.extractor.clone();
        let base = final_url.clone();
        let rule_for_task = rule.clone();
        let article = tokio::task::spawn_blocking(move || {
            extractor.extract(&html, &base, rule_for_task.as_ref())
        })
        .await
        .map_err(|_| ArticleError::Crashed {
            url: final_url.clone(),
        })?
        .map_err(|source| ArticleError::Extract {
            url: final_url.clone(),
            source,
        })?;
        let clean = tributary_normalize::sanitize::sanitize(&article.html, Some(&final_url));
        if clean.text.trim().is_empty() {
            return Err(ArticleError::Extract {
                url: final_url,
                source: ExtractError::NoArticle {
                    reason: "nothing was left after sanitizing".into(),
                },
            });
        }
        Ok(Extracted {
            url: final_url,
            title: article.title,
            html: clean.html,
            text: clean.text,
            site_rule: rule.map(|r| r.host),
        })
    }

    /// Fetch `entry`'s article now and store it (the UI's "Fetch original",
    /// the CLI's `article fetch`, the Miniflux `fetch-content`). A failure
    /// is stored as well (with its retry time) and returned.
    #[instrument(skip_all, fields(entry.id = %entry))]
    pub async fn fetch_entry(&self, entry: EntryId) -> Result<EntryArticle, ArticleError> {
        let stored = self
            .store
            .entry(entry)
            .await?
            .ok_or(ArticleError::NoEntry(entry))?;
        let link = stored.url.ok_or(ArticleError::NoLink(entry))?;
        let failures = self
            .store
            .entry_article(entry)
            .await?
            .map_or(0, |a| a.attempts);
        self.fetch_and_store(entry, &link, failures, Utc::now())
            .await?;
        self.store
            .entry_article(entry)
            .await?
            .ok_or(ArticleError::NoEntry(entry))
    }

    /// Fetch `link`, store the article or the failure; `failures`: failed
    /// attempts so far. Errors are returned after being stored (only a
    /// store error may leave nothing stored).
    pub(crate) async fn fetch_and_store(
        &self,
        entry: EntryId,
        link: &str,
        failures: u32,
        now: DateTime<Utc>,
    ) -> Result<(), ArticleError> {
        let result = match tributary_fetch::parse_http_url(link) {
            Ok(url) => self.extract_url(&url, None).await,
            Err(e) => Err(ArticleError::BadUrl {
                url: link.to_owned(),
                reason: e.to_string(),
            }),
        };
        match result {
            Ok(article) => {
                self.store
                    .record_article(entry, article.url.as_str(), &article.html, Utc::now())
                    .await?;
                debug!(entry = %entry, "article stored");
                Ok(())
            }
            Err(ArticleError::Store(e)) => Err(ArticleError::Store(e)),
            Err(e) => {
                let wait = match &e {
                    ArticleError::Fetch(f) => f.retry_after().unwrap_or_default(),
                    _ => Duration::ZERO,
                }
                .max(backoff(failures + 1));
                let next = now
                    + chrono::Duration::from_std(wait)
                        .unwrap_or_else(|_| chrono::Duration::days(1));
                self.store
                    .record_article_failure(entry, link, e.code(), &e.to_string(), now, next)
                    .await?;
                Err(e)
            }
        }
    }

    async fn site_rule(&self, url: &Url) -> Result<Option<SiteRule>, ArticleError> {
        let Some(host) = url.host_str() else {
            return Ok(None);
        };
        let host = host.to_ascii_lowercase();
        Ok(self.store.article_site(&host).await?.map(rule_of))
    }

    /// GET the page (under the host limit), refuse what is not a whole HTML
    /// page, and decode it.
    async fn fetch_page(&self, url: &Url) -> Result<(Url, String), ArticleError> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let response = {
            let _permit = self.limits.acquire(&host).await;
            self.fetcher.get_page(url).await?
        };
        if response.truncated {
            return Err(ArticleError::TooLarge {
                url: response.final_url,
                limit: self.fetcher.config().max_body_bytes,
            });
        }
        let content_type = response.content_type.clone().unwrap_or_default();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !(mime.is_empty() || mime == "text/html" || mime == "application/xhtml+xml") {
            return Err(ArticleError::NotHtml {
                url: response.final_url,
                content_type,
            });
        }
        let body = response.body.unwrap_or_default();
        Ok((response.final_url, decode(&body, &content_type)))
    }
}

/// The store's site rule as the extractor takes it.
pub fn rule_of(site: ArticleSite) -> SiteRule {
    SiteRule {
        host: site.host,
        content_selector: site.content_selector,
        remove_selectors: site.remove_selectors,
    }
}

/// `<meta charset=…>` or `<meta http-equiv=… content="…; charset=…">` near the start.
static META_CHARSET: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?i)<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-z0-9_\-:.]{1,40})"#)
        .expect("valid regex")
});

/// The page's text: the charset of the `Content-Type`, else of a `<meta>`
/// in the first 2 KiB, else a BOM, else UTF-8 (invalid bytes replaced).
fn decode(body: &[u8], content_type: &str) -> String {
    let from_header = content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset")).then(|| v.trim().trim_matches('"').to_owned())
    });
    let from_meta = || {
        let head = &body[..body.len().min(2048)];
        META_CHARSET
            .captures(head)
            .and_then(|c| c.get(1))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    let encoding = from_header
        .or_else(from_meta)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_minutes_to_a_day() {
        let m = |n| backoff(n).as_secs() / 60;
        assert_eq!([m(0), m(1), m(2), m(3), m(4)], [10, 10, 20, 40, 80]);
        assert_eq!(m(9), 24 * 60);
        assert_eq!(m(u32::MAX), 24 * 60);
    }

    #[test]
    fn pages_are_decoded_by_header_meta_or_utf8() {
        let latin1 = b"<p>caf\xe9</p>";
        assert_eq!(
            decode(latin1, "text/html; charset=ISO-8859-1"),
            "<p>café</p>"
        );
        let meta = b"<html><head><meta charset=\"windows-1252\"></head><p>caf\xe9</p>";
        assert!(decode(meta, "text/html").contains("café"));
        let meta2 = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><p>caf\xe9</p>";
        assert!(decode(meta2, "").contains("café"));
        assert_eq!(decode("<p>café</p>".as_bytes(), "text/html"), "<p>café</p>");
        assert!(decode(b"\xff broken", "text/html; charset=nonsense").contains("broken"));
    }
}
