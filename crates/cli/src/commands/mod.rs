//! One module per group of commands; `run` dispatches.

pub mod article;
pub mod config;
mod daemon;
mod digest;
mod fetch;
pub mod migrate_db;
mod parse;
pub mod proxy;
mod publish;
pub mod rules;
mod search;
mod serve;
mod subscriptions;
mod user;
pub mod webhook;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tributary_fetch::Fetcher;
use tributary_refresh::{RefreshConfig, Refresher};
use tributary_store::Store;
use tributary_websub::{Subscriber, WebSubConfig};

use crate::args::{Cli, Command};
use crate::settings::Settings;

/// Run the command `cli` names with the resolved `settings`.
pub async fn run(cli: Cli, settings: Settings) -> Result<ExitCode> {
    // `parse` touches no database.
    if let Command::Parse { sources, json } = &cli.command {
        return parse::run_many(sources, *json, None, &settings.fetch).await;
    }
    if let Command::MigrateDb(args) = &cli.command {
        return migrate_db::run(args).await;
    }
    let url = crate::settings::database_url(cli.database.as_deref())?;
    let store = Store::open(&url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            tributary_store::redact_database_url(&url)
        )
    })?;
    // Commands about accounts do not create the command line's user.
    match cli.command {
        Command::Serve(args) => {
            let refresher = refresher(store.clone(), &settings, settings.refresh.clone())?;
            return serve::run(store, refresher, &settings, &args).await;
        }
        Command::User(command) => return user::run(&store, command).await,
        Command::Proxy(command) => return proxy::run(&store, &settings, &command).await,
        Command::Config(_) => unreachable!("handled in main"),
        _ => {}
    }
    let user = store.default_user().await?;
    match cli.command {
        Command::Add {
            url,
            category,
            no_fetch,
        } => {
            subscriptions::add(
                &refresher(store, &settings, settings.refresh.clone())?,
                user,
                &url,
                category.as_deref(),
                no_fetch,
            )
            .await
        }
        Command::Remove { feed } => subscriptions::remove(&store, user, &feed).await,
        Command::Import { file } => {
            subscriptions::import(
                &refresher(store, &settings, settings.refresh.clone())?,
                user,
                &file,
            )
            .await
        }
        Command::Export { output } => subscriptions::export(&store, user, output.as_deref()).await,
        Command::Feeds { json } => subscriptions::feeds(&store, user, json).await,
        Command::Fetch(args) => {
            let mut config = settings.refresh.clone();
            if let Some(n) = args.concurrency {
                config.concurrency = usize::from(n);
            }
            if let Some(n) = args.per_host {
                config.per_host = usize::from(n);
            }
            fetch::run(&refresher(store, &settings, config)?, &args).await
        }
        Command::Daemon(args) => {
            let refresher = refresher(store, &settings, settings.refresh.clone())?;
            daemon::run_with_websub(refresher, &settings, &args).await
        }
        Command::Digest(args) => digest::run(&store, user, &settings, &args).await,
        Command::Search(args) => search::run(&store, user, &args).await,
        Command::Rules(args) => rules::run(&store, user, &args).await,
        Command::Publish(args) => publish::run(&store, user, &settings, &args).await,
        Command::Webhook(command) => webhook::run(&store, user, &settings, command).await,
        Command::Article(command) => article::run(&store, user, &settings, command).await,
        Command::Parse { .. }
        | Command::MigrateDb(_)
        | Command::Serve(_)
        | Command::User(_)
        | Command::Proxy(_)
        | Command::Config(_) => {
            unreachable!("handled above")
        }
    }
}

pub(crate) fn refresher(
    store: Store,
    settings: &Settings,
    config: RefreshConfig,
) -> Result<Refresher> {
    let fetcher = Fetcher::new(settings.fetch.clone()).context("cannot set up the HTTP client")?;
    let websub = WebSubConfig {
        enabled: settings.websub.enabled,
        public_base_url: settings.websub.public_url.clone(),
        lease_seconds: u32::try_from(settings.websub.lease.as_secs()).unwrap_or(u32::MAX),
        ..WebSubConfig::default()
    };
    let subscriber = Subscriber::new(store.clone(), fetcher.clone(), websub);
    Ok(Refresher::new(store, fetcher, config).with_websub(subscriber))
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
