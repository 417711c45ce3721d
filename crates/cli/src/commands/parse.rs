//! `parse FILE|URL [--json]`: one feed through parse + normalize, nothing stored.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use tributary_fetch::{Fetcher, Validators};
use tributary_model::{Entry, EntryId, FeedId, RiverItem, Source};
use tributary_normalize::{normalize, NormalizedFeed, Options};
use tributary_parse::{parse, ParseOptions};
use tributary_publish::digest::{render, DigestOptions, Format};
use url::Url;

use super::write_output;
use crate::settings;

pub async fn run(source: &str, json: bool) -> Result<ExitCode> {
    let (bytes, content_type, url) = if source.contains("://") {
        let url = tributary_fetch::parse_http_url(source)?;
        let fetcher = Fetcher::new(settings::fetch_config()?)?;
        let response = fetcher.fetch(&url, &Validators::default()).await?;
        let body = response.body.unwrap_or_default().to_vec();
        (body, response.content_type, response.final_url)
    } else {
        let path = std::path::Path::new(source);
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {source}"))?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let url = Url::from_file_path(&absolute)
            .map_err(|()| anyhow::anyhow!("cannot make a file URL of {source}"))?;
        (bytes, None, url)
    };
    let parsed = parse(
        &bytes,
        &ParseOptions {
            content_type: content_type.as_deref(),
            url: Some(&url),
        },
    )
    .with_context(|| format!("cannot parse {source}"))?;
    let now = Utc::now();
    let feed = normalize(&parsed, &url, now, &Options::default());
    let text = if json {
        json_feed(&feed, &url, now)
    } else {
        human(&feed, &format!("{:?}", parsed.format))
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

/// The normalized feed as JSON Feed 1.1, through the same writer as `digest --format json`.
fn json_feed(feed: &NormalizedFeed, url: &Url, now: chrono::DateTime<Utc>) -> String {
    let source = Source {
        feed_id: FeedId(0),
        title: feed.meta.title.clone().unwrap_or_else(|| url.to_string()),
        feed_url: url.to_string(),
        site_url: feed.meta.site_url.clone(),
    };
    let items: Vec<RiverItem> = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| RiverItem {
            entry: Entry {
                id: EntryId(i64::try_from(i).unwrap_or(i64::MAX)),
                feed_id: FeedId(0),
                key: e.key.clone(),
                guid: e.guid.clone(),
                url: e.url.clone(),
                canonical_url: None, // keep every entry: this is one feed, not a river
                title: e.title.clone(),
                author: e.author.clone(),
                content_html: e.content_html.clone(),
                summary_html: e.summary_html.clone(),
                excerpt: e.excerpt.clone(),
                published: e.published,
                updated: e.updated,
                enclosures: e.enclosures.clone(),
                categories: e.categories.clone(),
            },
            source: source.clone(),
            read: false,
            starred: false,
        })
        .collect();
    let opts = DigestOptions {
        title: source.title.clone(),
        link: feed.meta.site_url.clone(),
        generated_at: now,
    };
    // Document order, as the feed gives it (render keeps the order it is given).
    render(&items, Format::Json, &opts)
}

fn human(feed: &NormalizedFeed, format: &str) -> String {
    let mut out = String::new();
    let m = &feed.meta;
    out.push_str(&format!("format:   {format}\n"));
    out.push_str(&format!(
        "title:    {}\n",
        m.title.as_deref().unwrap_or("(none)")
    ));
    if let Some(site) = &m.site_url {
        out.push_str(&format!("site:     {site}\n"));
    }
    if let Some(lang) = &m.language {
        out.push_str(&format!("language: {lang}\n"));
    }
    if let Some(new) = &m.new_feed_url {
        out.push_str(&format!("moved to: {new}\n"));
    }
    out.push_str(&format!("entries:  {}\n", feed.entries.len()));
    for e in &feed.entries {
        out.push('\n');
        out.push_str(&format!(
            "{}  {}\n",
            e.published.format("%Y-%m-%d %H:%M"),
            e.title
        ));
        if let Some(url) = &e.url {
            out.push_str(&format!("  {url}\n"));
        }
        if !e.excerpt.is_empty() {
            out.push_str(&format!("  {}\n", e.excerpt));
        }
        for enc in &e.enclosures {
            out.push_str(&format!(
                "  enclosure: {} ({})\n",
                enc.url,
                enc.mime_type.as_deref().unwrap_or("unknown type")
            ));
        }
    }
    out
}
