//! `article fetch|extract|mode|site`: full article content from the
//! command line (docs/ARTICLES.md). `fetch` stores an entry's article now;
//! `extract` prints what would be stored for a URL (to try a site rule
//! before saving it); `mode` sets a feed's full-content mode; `site`
//! manages the per-site CSS rules.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use tributary_articles::{ArticleError, Articles};
use tributary_extract::SiteRule;
use tributary_model::{EntryId, UserId};
use tributary_store::{ArticleSite, ArticleStatus, FullContent, Store};

use crate::settings::Settings;

/// `tributary article …`.
#[derive(Debug, Subcommand)]
pub enum ArticleCommand {
    /// Fetch an entry's article now and store it beside the feed's content.
    ///
    /// Prints the article's text; a failure is stored (and retried later by
    /// the worker) and the exit status is 1.
    Fetch {
        /// Entry id (as the web UI and the APIs show it).
        entry: i64,
        /// Print the stored (sanitized) HTML instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// Fetch a page and print its extracted article (nothing is stored).
    ///
    /// Uses the stored site rule of the page's host, or the one given with
    /// --content (and --remove): a way to try a rule before adding it.
    Extract {
        /// The article's URL (http or https).
        url: String,
        /// CSS selector of the article, instead of readability or the stored rule.
        #[arg(long, value_name = "SELECTOR")]
        content: Option<String>,
        /// CSS selector of elements to drop first (with --content; repeatable).
        #[arg(long, value_name = "SELECTOR", requires = "content")]
        remove: Vec<String>,
        /// Print the sanitized HTML instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// Set (or show) a feed's full-content mode: off, on, auto, or default.
    ///
    /// "default" follows `[articles] default` of the config. Without a mode,
    /// prints the feed's mode.
    Mode {
        /// Feed URL (current or previous) or numeric id (see `feeds`).
        feed: String,
        /// off | on | auto | default.
        mode: Option<String>,
    },
    /// Per-site extraction rules, for sites where readability fails.
    #[command(subcommand)]
    Site(SiteCommand),
}

/// `tributary article site …`.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Add or replace the rule of a host.
    Add {
        /// Host name, lower case (`blog.example.org`).
        host: String,
        /// CSS selector of the article (every match is kept, in order).
        #[arg(long, value_name = "SELECTOR")]
        content: String,
        /// CSS selector of elements to drop first (repeatable).
        #[arg(long, value_name = "SELECTOR")]
        remove: Vec<String>,
    },
    /// List the rules.
    List,
    /// Remove the rule of a host.
    Remove {
        /// Host name.
        host: String,
    },
}

pub async fn run(
    store: &Store,
    user: UserId,
    settings: &Settings,
    command: ArticleCommand,
) -> Result<ExitCode> {
    let articles = || -> Result<Articles> {
        let fetcher = tributary_fetch::Fetcher::new(settings.fetch.clone())
            .context("cannot set up the HTTP client")?;
        Ok(Articles::new(
            store.clone(),
            fetcher,
            settings.articles.clone(),
        ))
    };
    match command {
        ArticleCommand::Fetch { entry, html } => {
            match articles()?.fetch_entry(EntryId(entry)).await {
                Ok(a) => {
                    let body = a.content_html.unwrap_or_default();
                    if html {
                        println!("{body}");
                    } else {
                        println!("{}", tributary_normalize::text::html_to_text(&body));
                    }
                    if a.status == ArticleStatus::Ok && a.last_error.is_some() {
                        eprintln!(
                            "note: kept the article stored earlier; this fetch failed: {}",
                            a.last_error.unwrap_or_default()
                        );
                        return Ok(ExitCode::FAILURE);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(ArticleError::Store(e)) => Err(e.into()),
                Err(e) => {
                    eprintln!("error: entry {entry}: {e} ({})", e.code());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ArticleCommand::Extract {
            url,
            content,
            remove,
            html,
        } => {
            let url = tributary_fetch::parse_http_url(&url)?;
            let rule = content.map(|content_selector| SiteRule {
                host: url.host_str().unwrap_or_default().to_ascii_lowercase(),
                content_selector,
                remove_selectors: remove,
            });
            if let Some(rule) = &rule {
                rule.validate()?;
            }
            match articles()?.extract_url(&url, rule.as_ref()).await {
                Ok(a) => {
                    if let Some(title) = &a.title {
                        eprintln!("title: {title}");
                    }
                    if let Some(host) = &a.site_rule {
                        eprintln!("site rule: {host}");
                    }
                    println!("{}", if html { &a.html } else { &a.text });
                    Ok(ExitCode::SUCCESS)
                }
                Err(ArticleError::Store(e)) => Err(e.into()),
                Err(e) => {
                    eprintln!("error: {e} ({})", e.code());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ArticleCommand::Mode { feed, mode } => {
            let subs = store.subscriptions(user).await?;
            let sub = subs
                .iter()
                .find(|s| {
                    s.feed.url == feed
                        || s.feed.previous_urls.contains(&feed)
                        || feed.parse::<i64>().ok() == Some(s.feed.id.0)
                })
                .with_context(|| format!("no subscription to {feed:?} (see `tributary feeds`)"))?;
            let id = sub.feed.id;
            if let Some(mode) = mode {
                let mode = match mode.trim().to_ascii_lowercase().as_str() {
                    "default" => None,
                    other => Some(FullContent::parse(other).with_context(|| {
                        format!("mode must be off, on, auto or default, not {mode:?}")
                    })?),
                };
                store.set_full_content(user, id, mode).await?;
            }
            let now = store.full_content(user, id).await?;
            match now {
                Some(m) => println!("{}\t{}", sub.feed.url, m.as_str()),
                None => println!(
                    "{}\tdefault ({})",
                    sub.feed.url,
                    settings.articles.default.as_str()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        ArticleCommand::Site(SiteCommand::Add {
            host,
            content,
            remove,
        }) => {
            let rule = SiteRule {
                host: host.trim().to_ascii_lowercase(),
                content_selector: content.trim().to_owned(),
                remove_selectors: remove.iter().map(|s| s.trim().to_owned()).collect(),
            };
            rule.validate()?;
            store
                .put_article_site(&ArticleSite {
                    host: rule.host.clone(),
                    content_selector: rule.content_selector,
                    remove_selectors: rule.remove_selectors,
                    created_at: chrono::Utc::now(),
                })
                .await?;
            println!("saved the rule of {}", rule.host);
            Ok(ExitCode::SUCCESS)
        }
        ArticleCommand::Site(SiteCommand::List) => {
            for s in store.article_sites().await? {
                let removes = if s.remove_selectors.is_empty() {
                    String::new()
                } else {
                    format!("\tremove: {}", s.remove_selectors.join(", "))
                };
                println!("{}\t{}{removes}", s.host, s.content_selector);
            }
            Ok(ExitCode::SUCCESS)
        }
        ArticleCommand::Site(SiteCommand::Remove { host }) => {
            let host = host.trim().to_ascii_lowercase();
            match store.remove_article_site(&host).await {
                Ok(()) => {
                    println!("removed the rule of {host}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(tributary_store::StoreError::NotFound(_)) => {
                    bail!("there is no site rule for {host} (see `tributary article site list`)")
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
