//! One module per group of commands; `run` dispatches.

mod digest;
mod fetch;
mod parse;
mod subscriptions;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tributary_fetch::Fetcher;
use tributary_refresh::{RefreshConfig, Refresher};
use tributary_store::Store;

use crate::args::{Cli, Command};
use crate::settings;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    // `parse` touches no database.
    if let Command::Parse { sources, json } = &cli.command {
        return parse::run_many(sources, *json, None).await;
    }
    let url = settings::database_url(cli.database.as_deref())?;
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    let user = store.default_user().await?;
    match cli.command {
        Command::Add {
            url,
            category,
            no_fetch,
        } => {
            subscriptions::add(
                &refresher(store, RefreshConfig::default())?,
                user,
                &url,
                category.as_deref(),
                no_fetch,
            )
            .await
        }
        Command::Remove { feed } => subscriptions::remove(&store, user, &feed).await,
        Command::Import { file } => {
            subscriptions::import(&refresher(store, RefreshConfig::default())?, user, &file).await
        }
        Command::Export { output } => subscriptions::export(&store, user, output.as_deref()).await,
        Command::Feeds { json } => subscriptions::feeds(&store, user, json).await,
        Command::Fetch(args) => {
            let config = RefreshConfig {
                concurrency: usize::from(args.concurrency),
                per_host: usize::from(args.per_host),
                ..RefreshConfig::default()
            };
            fetch::run(&refresher(store, config)?, &args).await
        }
        Command::Digest(args) => digest::run(&store, user, &args).await,
        Command::Parse { .. } => unreachable!("handled above"),
    }
}

fn refresher(store: Store, config: RefreshConfig) -> Result<Refresher> {
    let fetcher =
        Fetcher::new(settings::fetch_config()?).context("cannot set up the HTTP client")?;
    Ok(Refresher::new(store, fetcher, config))
}

/// Write `text` to `path`, or to stdout when `path` is None.
fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}
