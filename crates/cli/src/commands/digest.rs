//! `digest`: the river as text, HTML, Atom, RSS or JSON Feed.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use tributary_model::UserId;
use tributary_publish::digest::{render, DigestOptions, Format};
use tributary_store::{RiverQuery, Store};

use super::write_output;
use crate::args::{DigestArgs, DigestFormat};

pub async fn run(store: &Store, user: UserId, args: &DigestArgs) -> Result<ExitCode> {
    let now = Utc::now();
    let since = match args.since {
        Some(d) => Some(
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now.checked_sub_signed(d))
                .context("--since is too long")?,
        ),
        None => None,
    };
    let query = RiverQuery {
        limit: Some(args.limit),
        since,
        category: args.category.clone(),
        unread_only: args.unread,
    };
    let items = store.river(user, &query).await?;
    let format = match args.format {
        DigestFormat::Text => Format::Text,
        DigestFormat::Html => Format::Html,
        DigestFormat::Atom => Format::Atom,
        DigestFormat::Rss => Format::Rss,
        DigestFormat::Json => Format::Json,
    };
    let opts = DigestOptions {
        title: args.title.clone(),
        link: args.link.clone(),
        generated_at: now,
        links: Default::default(),
    };
    write_output(args.output.as_deref(), &render(&items, format, &opts))?;
    Ok(ExitCode::SUCCESS)
}
