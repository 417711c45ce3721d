//! `parse FILE|URL… [--json]`: feeds through parse + normalize, nothing stored.
//!
//! With `--json` the output is JSON Feed 1.1 (the same writer as `digest
//! --format json`) plus a `_tributary` extension object, at feed and item
//! level, carrying what JSON Feed has no room for: the detected version, the
//! encoding, whether the document needed repairs (feedparser's `bozo`), the
//! parser's raw view (`parsed`: text kinds, authors with e-mail and URI,
//! enclosures …) and the normalized one (`normalized`/`meta`). The
//! conformance harness (`conformance/run.py`) reads these. Several sources
//! print one compact JSON document per line (JSON Lines), so a harness can
//! parse thousands of files with one process; a source that fails then prints
//! `{"_tributary":{"source":…,"error":…,"error_code":…}}` and the exit
//! status is 1.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use serde_json::{json, Value};
use tributary_fetch::{FetchConfig, Fetcher, Validators};
use tributary_model::{Entry, EntryId, FeedId, RiverItem, Source};
use tributary_normalize::{normalize, NormalizedFeed, Options};
use tributary_parse::{parse_with_report, ParseOptions, ParseReport, ParsedFeed};
use tributary_publish::digest::{render, DigestOptions, Format};
use url::Url;

use super::write_output;

/// One source, printed for people or as pretty JSON; several sources, one
/// after the other (with `json`, one JSON line each). `content_type` stands in for the HTTP header of local
/// files (to test how a served document would be read); fetched URLs use
/// their server's.
pub async fn run_many(
    sources: &[String],
    json: bool,
    content_type: Option<&str>,
    fetch: &FetchConfig,
) -> Result<ExitCode> {
    if let [source] = sources {
        let text = one(source, json, content_type, fetch).await?;
        write_output(None, &text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let mut failed = false;
    for source in sources {
        match one(source, json, content_type, fetch).await {
            Ok(text) if json => {
                // Pretty JSON → one line.
                let value: Value = serde_json::from_str(&text)?;
                out.push_str(&serde_json::to_string(&value)?);
                out.push('\n');
            }
            Ok(text) => {
                out.push_str(&format!("== {source}\n{text}\n"));
            }
            Err(err) => {
                failed = true;
                let code = if err.downcast_ref::<NotAFeed>().is_some() {
                    "not_a_feed"
                } else {
                    err.chain()
                        .find_map(|c| c.downcast_ref::<tributary_parse::ParseError>())
                        .map_or("error", tributary_parse::ParseError::code)
                };
                if json {
                    let line = json!({"_tributary": {
                        "source": source, "error": format!("{err:#}"), "error_code": code,
                    }});
                    out.push_str(&line.to_string());
                    out.push('\n');
                } else {
                    out.push_str(&format!("== {source}\nerror: {err:#}\n\n"));
                }
            }
        }
    }
    write_output(None, &out)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Read, parse, normalize and print one source.
///
/// A document that is not a feed is an error that says what it is instead
/// ([`NotAFeed`]); a feed that had to be repaired or salvaged (a truncated
/// download keeps its complete entries) is printed, with a warning on stderr.
async fn one(
    source: &str,
    json: bool,
    content_type: Option<&str>,
    fetch: &FetchConfig,
) -> Result<String> {
    let mut headers: (Option<String>, Option<String>) = (None, None);
    let (bytes, content_type, url) = if source.contains("://") {
        let url = tributary_fetch::parse_http_url(source)?;
        let fetcher = Fetcher::new(fetch.clone())?;
        let response = fetcher.fetch(&url, &Validators::default()).await?;
        let body = response.body.unwrap_or_default().to_vec();
        headers = (response.content_language, response.content_location);
        (body, response.content_type, response.final_url)
    } else {
        let path = std::path::Path::new(source);
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {source}"))?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let url = Url::from_file_path(&absolute)
            .map_err(|()| anyhow::anyhow!("cannot make a file URL of {source}"))?;
        (bytes, content_type.map(str::to_string), url)
    };
    let parsed = parse_with_report(
        &bytes,
        &ParseOptions {
            content_type: content_type.as_deref(),
            url: Some(&url),
            content_language: headers.0.as_deref(),
            content_location: headers.1.as_deref(),
        },
    );
    let (parsed, report) = match parsed {
        Ok(ok) => ok,
        Err(err) => {
            if let Some(not_a_feed) =
                NotAFeed::explain(source, &bytes, content_type.as_deref(), &url, &err)
            {
                return Err(not_a_feed.into());
            }
            return Err(anyhow::Error::new(err).context(format!("cannot parse {source}")));
        }
    };
    if let Some(reason) = &report.repaired {
        eprintln!("warning: {source} is not a well-formed feed as given: {reason}");
    }
    let now = Utc::now();
    let feed = normalize(&parsed, &url, now, &Options::default());
    Ok(if json {
        json_feed(&feed, &parsed, &report, &url, now)?
    } else {
        human(&feed, &format!("{:?}", parsed.format))
    })
}

/// A document that is not a feed, with what it is instead (an HTML page and
/// the feeds it links to, an OPML list, plain text, another XML document).
#[derive(Debug)]
struct NotAFeed {
    source: String,
    what: String,
}

impl std::fmt::Display for NotAFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a feed: this is {}", self.source, self.what)
    }
}

impl std::error::Error for NotAFeed {}

impl NotAFeed {
    /// What the document is, when `err` says it is not a feed.
    fn explain(
        source: &str,
        bytes: &[u8],
        content_type: Option<&str>,
        url: &Url,
        err: &tributary_parse::ParseError,
    ) -> Option<NotAFeed> {
        let tributary_parse::ParseError::NotAFeed(what) = err else {
            return None;
        };
        let served_as_html = content_type.is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("text/html")
        });
        let what = if served_as_html || tributary_parse::discover::looks_like_html(bytes) {
            let page = String::from_utf8_lossy(bytes);
            let links = tributary_parse::discover::discover(&page, url);
            if links.is_empty() {
                "an HTML page, and it links to no feed".to_string()
            } else {
                let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
                format!(
                    "an HTML page; it links to {}: {}",
                    if urls.len() == 1 {
                        "this feed"
                    } else {
                        "these feeds"
                    },
                    urls.join(", ")
                )
            }
        } else if what.contains("OPML") {
            let import = if source.contains("://") {
                "save it and use `tributary import FILE`".to_string()
            } else {
                format!("use `tributary import {source}`")
            };
            match tributary_parse::opml::parse_opml(bytes) {
                Ok(feeds) => format!(
                    "an OPML subscription list ({} feed{}); {import}",
                    feeds.len(),
                    if feeds.len() == 1 { "" } else { "s" }
                ),
                Err(e) => format!("an OPML subscription list that cannot be read ({e})"),
            }
        } else {
            what.clone()
        };
        Some(NotAFeed {
            source: source.to_string(),
            what,
        })
    }
}

/// The normalized feed as JSON Feed 1.1, through the same writer as `digest --format json`.
fn json_feed(
    feed: &NormalizedFeed,
    parsed: &ParsedFeed,
    report: &ParseReport,
    url: &Url,
    now: chrono::DateTime<Utc>,
) -> Result<String> {
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
        links: Default::default(),
    };
    // Document order, as the feed gives it (render keeps the order it is given).
    let mut doc: Value = serde_json::from_str(&render(&items, Format::Json, &opts))
        .context("the JSON Feed writer produced invalid JSON")?;
    add_extensions(&mut doc, feed, parsed, report)?;
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

/// Adds the `_tributary` objects (see the module documentation). Items are
/// matched by position: normalize keeps one entry per parsed entry, in order,
/// and the writer keeps that order.
fn add_extensions(
    doc: &mut Value,
    feed: &NormalizedFeed,
    parsed: &ParsedFeed,
    report: &ParseReport,
) -> Result<()> {
    let mut parsed_feed = serde_json::to_value(parsed)?;
    if let Some(obj) = parsed_feed.as_object_mut() {
        obj.remove("entries");
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "_tributary".into(),
            json!({
                "version": report.version,
                "encoding": report.encoding,
                "bozo": report.repaired.is_some(),
                "bozo_reason": report.repaired,
                "meta": feed.meta,
                "parsed": parsed_feed,
            }),
        );
    }
    let items = doc.get_mut("items").and_then(Value::as_array_mut);
    for (i, item) in items.into_iter().flatten().enumerate() {
        let ext = item
            .as_object_mut()
            .map(|o| o.entry("_tributary").or_insert_with(|| json!({})));
        if let Some(ext) = ext.and_then(Value::as_object_mut) {
            if let Some(p) = parsed.entries.get(i) {
                ext.insert("parsed".into(), serde_json::to_value(p)?);
            }
            if let Some(n) = feed.entries.get(i) {
                ext.insert("normalized".into(), serde_json::to_value(n)?);
            }
        }
    }
    Ok(())
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
