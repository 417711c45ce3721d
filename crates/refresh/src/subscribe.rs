//! Subscribing: one URL (a feed, or a page that links to feeds) or an OPML list.

use std::path::Path;

use futures::StreamExt;
use tributary_fetch::{FetchError, Validators};
use tributary_model::UserId;
use tributary_parse::discover::{discover, looks_like_html};
use tributary_parse::opml::{parse_opml, OpmlError};
use tributary_parse::{ParseOptions, ParsedFeed};
use tributary_store::NewSubscription;
use url::Url;

use crate::{RefreshError, Refresher};

/// What [`Refresher::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOutcome {
    /// The feed URL subscribed to (after discovery and permanent redirects).
    pub feed_url: String,
    pub title: Option<String>,
    /// False when the user already followed it.
    pub added: bool,
    /// Other feeds the page announced (not subscribed).
    pub alternatives: Vec<String>,
}

/// A feed that [`Refresher::discover`] found and fetched successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredFeed {
    /// The feed URL (after permanent redirects).
    pub url: String,
    /// Its title, from the feed itself, else from the page's link.
    pub title: Option<String>,
}

/// A subscription of an OPML list that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedFeed {
    pub url: String,
    pub reason: String,
}

/// What [`Refresher::import_opml`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub skipped: Vec<String>,
    pub refused: Vec<RefusedFeed>,
}

/// Split a category path `A/B` into its segments, blanks dropped.
pub(crate) fn category_path(category: Option<&str>) -> Vec<String> {
    category
        .unwrap_or_default()
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Refresher {
    /// Subscribe `user` to `input`: a feed URL, or a page whose
    /// `<link rel="alternate">` announces feeds (the first one is taken).
    pub async fn add(
        &self,
        user: UserId,
        input: &str,
        category: Option<&str>,
    ) -> Result<AddOutcome, RefreshError> {
        let url = tributary_fetch::parse_http_url(input)?;
        let (feed_url, parsed, alternatives) = match self.fetch_feed(&url).await? {
            Fetched::Feed(final_url, parsed) => (final_url, parsed, Vec::new()),
            Fetched::Page(page_url, html) => {
                let links = discover(&html, &page_url);
                let mut found = None;
                let mut alternatives = Vec::new();
                let mut failures = Vec::new();
                for link in links {
                    if found.is_some() {
                        alternatives.push(link.url.to_string());
                        continue;
                    }
                    match self.fetch_feed(&link.url).await {
                        Ok(Fetched::Feed(final_url, parsed)) => found = Some((final_url, parsed)),
                        Ok(Fetched::Page(..)) => failures.push((
                            link.url.to_string(),
                            "it is a web page, not a feed".to_owned(),
                        )),
                        Err(e) => failures.push((link.url.to_string(), e.to_string())),
                    }
                }
                match found {
                    Some((final_url, parsed)) => (final_url, parsed, alternatives),
                    None => return Err(no_feed(&url, failures)),
                }
            }
        };
        let title = feed_title(&parsed);
        let site_url = parsed
            .site_url
            .as_deref()
            .and_then(|s| tributary_normalize::url::absolutize(s, Some(&feed_url)));
        let report = self
            .store
            .subscribe(
                user,
                &[NewSubscription {
                    url: feed_url.to_string(),
                    title: title.clone(),
                    site_url,
                    category: category_path(category),
                }],
            )
            .await?;
        Ok(AddOutcome {
            feed_url: feed_url.to_string(),
            title,
            added: !report.added.is_empty(),
            alternatives,
        })
    }

    /// The feeds behind `input`, without subscribing: a feed URL gives
    /// itself; a page gives the feeds its `<link rel="alternate">` tags
    /// announce that actually answer with a feed (in page order, each once).
    /// An empty list when the page links to no working feed; an error when
    /// `input` is not an http(s) URL or cannot be fetched or read.
    pub async fn discover(&self, input: &str) -> Result<Vec<DiscoveredFeed>, RefreshError> {
        let url = tributary_fetch::parse_http_url(input)?;
        match self.fetch_feed(&url).await? {
            Fetched::Feed(final_url, parsed) => Ok(vec![DiscoveredFeed {
                url: final_url.to_string(),
                title: feed_title(&parsed),
            }]),
            Fetched::Page(page_url, html) => {
                let mut found: Vec<DiscoveredFeed> = Vec::new();
                let mut failures = Vec::new();
                for link in discover(&html, &page_url) {
                    let fetched = self.fetch_feed(&link.url).await;
                    if let Err(e) = &fetched {
                        failures.push((link.url.to_string(), e.to_string()));
                    }
                    if let Ok(Fetched::Feed(final_url, parsed)) = fetched {
                        let url = final_url.to_string();
                        if found.iter().any(|f| f.url == url) {
                            continue;
                        }
                        let title = feed_title(&parsed).or_else(|| {
                            link.title
                                .map(|t| t.trim().to_owned())
                                .filter(|t| !t.is_empty())
                        });
                        found.push(DiscoveredFeed { url, title });
                    }
                }
                // Links that all fail (a private address, a 404) are an
                // error that says why, not an empty list.
                if found.is_empty() && !failures.is_empty() {
                    return Err(no_feed(&url, failures));
                }
                Ok(found)
            }
        }
    }

    /// Fetch `url` and tell a feed from an HTML page.
    async fn fetch_feed(&self, url: &Url) -> Result<Fetched, RefreshError> {
        let response = self.fetcher.fetch(url, &Validators::default()).await?;
        // A permanent redirect on the way is where the feed lives now; a
        // temporary one is not, so keep the URL the user gave.
        let feed_url = response.moved_to.clone().unwrap_or_else(|| url.clone());
        let body = response.body.unwrap_or_default();
        match tributary_parse::parse(
            &body,
            &ParseOptions {
                content_type: response.content_type.as_deref(),
                url: Some(&response.final_url),
                content_language: response.content_language.as_deref(),
                content_location: response.content_location.as_deref(),
            },
        ) {
            Ok(parsed) => Ok(Fetched::Feed(feed_url, Box::new(parsed))),
            Err(_) if looks_like_html(&body) => Ok(Fetched::Page(
                response.final_url,
                String::from_utf8_lossy(&body).into_owned(),
            )),
            Err(source) => Err(RefreshError::Parse {
                url: url.to_string(),
                source,
            }),
        }
    }

    /// Parse `input` as an http(s) URL and check, before anything is
    /// stored, that the SSRF guard lets it through
    /// ([`Fetcher::check_destination`](tributary_fetch::Fetcher::check_destination):
    /// IP literals, and what a host name resolves to now). The error names
    /// the reason (`unsupported URL scheme`, `a loopback address`, …).
    pub async fn check_url(&self, input: &str) -> Result<Url, FetchError> {
        checked_url(&self.fetcher, input).await
    }

    /// [`Refresher::check_url`] for many URLs (an OPML list), a few at a
    /// time, answers in the order given.
    pub async fn check_urls(&self, inputs: &[String]) -> Vec<Result<Url, FetchError>> {
        // Owned inputs and a clone of the fetcher per check: a stream of
        // futures that borrow from here is not `Send` for every lifetime,
        // which axum handlers need.
        let checks = inputs.iter().cloned().map(|input| {
            let fetcher = self.fetcher.clone();
            async move { checked_url(&fetcher, &input).await }
        });
        futures::stream::iter(checks)
            .buffered(CHECKS_AT_ONCE)
            .collect()
            .await
    }

    /// Subscribe `user` to every feed of the OPML file at `path`, in one
    /// transaction. An unreadable or malformed file imports nothing; a
    /// subscription whose URL is not http(s), or that the SSRF guard
    /// refuses ([`Refresher::check_url`]: a private address, a name that
    /// resolves to one), is refused with its reason and the others are
    /// imported.
    pub async fn import_opml(
        &self,
        user: UserId,
        path: &Path,
    ) -> Result<ImportReport, RefreshError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| RefreshError::Opml {
            path: shown.clone(),
            source: OpmlError::NotOpml(format!("cannot read the file: {e}")),
        })?;
        let outlines = parse_opml(&bytes).map_err(|source| RefreshError::Opml {
            path: shown.clone(),
            source,
        })?;
        let mut report = ImportReport::default();
        let mut subs = Vec::new();
        let urls: Vec<String> = outlines.iter().map(|o| o.xml_url.clone()).collect();
        let checked = self.check_urls(&urls).await;
        for (outline, checked) in outlines.into_iter().zip(checked) {
            match checked {
                Ok(url) => subs.push(NewSubscription {
                    url: url.to_string(),
                    title: outline.title.filter(|t| !t.trim().is_empty()),
                    site_url: outline
                        .html_url
                        .as_deref()
                        .and_then(|s| tributary_normalize::url::absolutize(s, Some(&url))),
                    category: outline.category,
                }),
                Err(e) => report.refused.push(RefusedFeed {
                    url: outline.xml_url,
                    reason: e.to_string(),
                }),
            }
        }
        let stored = self.store.subscribe(user, &subs).await?;
        report.added = stored.added;
        report.skipped = stored.skipped;
        Ok(report)
    }
}

/// `input` as an http(s) URL that `fetcher`'s SSRF guard lets through.
async fn checked_url(fetcher: &tributary_fetch::Fetcher, input: &str) -> Result<Url, FetchError> {
    let url = tributary_fetch::parse_http_url(input)?;
    fetcher.check_destination(&url).await?;
    Ok(url)
}

/// DNS look-ups of [`Refresher::check_urls`] in flight at once.
const CHECKS_AT_ONCE: usize = 16;

/// The error of a page none of whose feed links could be read.
fn no_feed(url: &Url, failures: Vec<(String, String)>) -> RefreshError {
    if failures.is_empty() {
        RefreshError::NoFeedFound {
            url: url.to_string(),
        }
    } else {
        RefreshError::LinkedFeedsFailed {
            url: url.to_string(),
            failures,
        }
    }
}

/// A parsed feed's title as plain text, `None` when it has none.
fn feed_title(parsed: &ParsedFeed) -> Option<String> {
    parsed
        .title
        .as_ref()
        .map(|t| tributary_normalize::text::html_to_text(&t.value))
        .filter(|t| !t.is_empty())
}

enum Fetched {
    Feed(Url, Box<ParsedFeed>),
    Page(Url, String),
}

#[cfg(test)]
mod tests {
    use super::category_path;

    #[test]
    fn category_paths_split_on_slashes_and_drop_blanks() {
        assert_eq!(category_path(None), Vec::<String>::new());
        assert_eq!(category_path(Some("")), Vec::<String>::new());
        assert_eq!(
            category_path(Some(" Net / Vendors/")),
            vec!["Net", "Vendors"]
        );
    }
}
