//! `digest`: the river as text, HTML, Atom, RSS or JSON Feed; with
//! `--mail`, each due user's e-mail digest sent now (`tributary_mail`), for
//! cron users.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use tributary_model::UserId;
use tributary_publish::digest::{render, DigestOptions, Format};
use tributary_store::{RiverQuery, Store};

use super::write_output;
use crate::args::{DigestArgs, DigestFormat};
use crate::settings::Settings;

pub async fn run(
    store: &Store,
    user: UserId,
    settings: &Settings,
    args: &DigestArgs,
) -> Result<ExitCode> {
    if args.mail {
        return mail(store, settings, args).await;
    }
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

/// `digest --mail [--user NAME] [--force] [--dry-run]`: one line per
/// digest on standard output (the messages themselves with --dry-run);
/// exit status 1, with the reasons, when a digest could not be sent.
async fn mail(store: &Store, settings: &Settings, args: &DigestArgs) -> Result<ExitCode> {
    use std::io::Write as _;
    use tributary_mail::{DigestMailer, Outcome, RunOptions};

    let config = settings.mail.clone().context(
        "e-mail is not set up: set [mail] host and from in the configuration \
         (see docs/MAIL.md)",
    )?;
    let mailer = DigestMailer::new(store.clone(), config)?;
    let opts = RunOptions {
        user: args.user.clone(),
        force: args.force,
        dry_run: args.dry_run,
    };
    let now = Utc::now();
    let outcomes = mailer.run_due(now, &opts).await?;
    let mut out = std::io::stdout().lock();
    let mut failed = Vec::new();
    if outcomes.is_empty() {
        writeln!(out, "no e-mail digest is set up (Settings → E-mail digest)")?;
    }
    for o in &outcomes {
        let who = format!("{} <{}>", o.username, o.address);
        match &o.outcome {
            Outcome::Sent {
                entries,
                message_id,
                more,
            } => writeln!(
                out,
                "{who}: sent {entries} {} {message_id}{}",
                if *entries == 1 { "entry" } else { "entries" },
                if *more {
                    " (more follow in the next message)"
                } else {
                    ""
                }
            )?,
            Outcome::Empty => writeln!(out, "{who}: nothing new, nothing sent")?,
            Outcome::NotDue => {
                let digest = store.user_by_name(&o.username).await?;
                let next = match digest {
                    Some(u) => store.mail_digest(u.id).await?.map(|d| {
                        let s = &d.settings;
                        tributary_mail::schedule::next_slot(
                            s.frequency,
                            s.hour,
                            s.weekday,
                            tributary_mail::schedule::zone_of(&d, mailer.config().timezone),
                            now,
                        )
                    }),
                    None => None,
                };
                match next {
                    Some(next) => writeln!(
                        out,
                        "{who}: not due (next at {}; --force sends now)",
                        next.format("%Y-%m-%d %H:%M UTC")
                    )?,
                    None => writeln!(out, "{who}: not due")?,
                }
            }
            Outcome::Busy => writeln!(out, "{who}: being sent by another process")?,
            Outcome::DryRun { entries, message } => {
                writeln!(out, "{who}: would send {entries} entries:")?;
                writeln!(out, "{}", message.replace("\r\n", "\n"))?;
            }
            Outcome::Failed { error, retry_at } => {
                writeln!(
                    out,
                    "{who}: FAILED: {error} (retried after {})",
                    retry_at.format("%Y-%m-%d %H:%M UTC")
                )?;
                failed.push(format!("{who}: {error}"));
            }
        }
    }
    out.flush()?;
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!(
            "{} e-mail digest{} not sent (the entries go out with the next one):\n  {}",
            failed.len(),
            if failed.len() == 1 { " was" } else { "s were" },
            failed.join("\n  ")
        )
    }
}
