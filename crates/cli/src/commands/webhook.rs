//! `webhook add|list|remove|enable|disable|log|test|deliver`: a user's
//! webhooks (docs/WEBHOOKS.md). `deliver` runs one delivery pass now, for
//! cron users and tests; `serve` and `daemon` deliver on their own.

use std::process::ExitCode;

use anyhow::{bail, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;
use tributary_fetch::Fetcher;
use tributary_model::UserId;
use tributary_store::{NewWebhook, Store, StoreError, Webhook, WebhookId};
use tributary_webhooks::{check_url, new_secret, Deliverer};

use crate::settings::Settings;

/// `tributary webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook: new entries of your subscriptions are POSTed to URL
    /// in signed JSON batches. Prints its id and secret.
    Add {
        /// Where to POST (http or https).
        url: String,
        /// Only entries of feeds in this category path (and below).
        #[arg(long, short)]
        category: Option<String>,
        #[command(flatten)]
        user: UserArg,
    },
    /// List webhooks with their state (secrets with --json only).
    List {
        /// Print a JSON array (with the secrets).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        user: UserArg,
    },
    /// Delete a webhook and its delivery log.
    Remove {
        /// Its id (see `webhook list`).
        id: i64,
        #[command(flatten)]
        user: UserArg,
    },
    /// Enable a webhook (and try again at once if it was backing off).
    Enable {
        /// Its id.
        id: i64,
        #[command(flatten)]
        user: UserArg,
    },
    /// Disable a webhook: nothing is sent until it is enabled again (entries
    /// that arrive meanwhile are sent then).
    Disable {
        /// Its id.
        id: i64,
        #[command(flatten)]
        user: UserArg,
    },
    /// Show the delivery log, newest first.
    Log {
        /// Its id.
        id: i64,
        /// At most this many attempts.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        user: UserArg,
    },
    /// Send a test ping to a webhook now (logged; no entries).
    Test {
        /// Its id.
        id: i64,
        #[command(flatten)]
        user: UserArg,
    },
    /// Run one delivery pass now over every user's due webhooks.
    Deliver {
        /// Also webhooks that are backing off after failures.
        #[arg(long)]
        force: bool,
    },
}

/// `--user NAME`.
#[derive(Debug, Args)]
pub struct UserArg {
    /// Whose webhooks [default: the command line's user].
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

async fn who(store: &Store, cli_user: UserId, arg: &UserArg) -> Result<UserId> {
    match &arg.user {
        None => Ok(cli_user),
        Some(name) => match store.user_by_name(name).await? {
            Some(user) => Ok(user.id),
            None => bail!("unknown user {name:?} (see `tributary user list`)"),
        },
    }
}

fn not_found(id: i64) -> anyhow::Error {
    anyhow::anyhow!("no webhook {id} (see `tributary webhook list`)")
}

fn found<T>(result: Result<T, StoreError>, id: i64) -> Result<T> {
    result.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(id),
        other => anyhow::Error::new(other),
    })
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The state of a webhook in words.
fn status(h: &Webhook, now: DateTime<Utc>) -> String {
    if !h.enabled {
        return "disabled".into();
    }
    match (h.failing_since, h.next_attempt_at) {
        (Some(since), Some(next)) if next > now => format!(
            "failing since {}, next attempt {}",
            time(Some(since)),
            time(Some(next))
        ),
        (Some(since), _) => format!("failing since {}, retrying now", time(Some(since))),
        _ => "ok".into(),
    }
}

#[derive(Serialize)]
struct HookJson<'a> {
    #[serde(flatten)]
    hook: &'a Webhook,
    status: String,
}

/// Run a `webhook` command.
pub async fn run(
    store: &Store,
    cli_user: UserId,
    settings: &Settings,
    command: WebhookCommand,
) -> Result<ExitCode> {
    let fetcher = || {
        Fetcher::new(settings.fetch.clone())
            .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))
    };
    match command {
        WebhookCommand::Add {
            url,
            category,
            user,
        } => {
            let user = who(store, cli_user, &user).await?;
            let url = check_url(&url, &settings.fetch.address_policy())
                .await
                .map_err(|e| anyhow::anyhow!("cannot add the webhook: {e}"))?;
            let category = category
                .map(|c| c.trim().trim_matches('/').to_owned())
                .filter(|c| !c.is_empty());
            if let Some(c) = &category {
                if !store.categories(user).await?.iter().any(|k| &k.path == c) {
                    bail!("no category {c:?} (see `tributary feeds` or the Categories page)");
                }
            }
            let hook = store
                .webhook_create(
                    user,
                    &NewWebhook {
                        url: url.to_string(),
                        secret: new_secret()?,
                        category,
                    },
                    Utc::now(),
                )
                .await?;
            println!("added webhook {} → {}", hook.id, hook.url);
            println!("secret: {}", hook.secret);
            println!("(the receiver checks X-Tributary-Signature with it; see docs/WEBHOOKS.md)");
        }
        WebhookCommand::List { json, user } => {
            let user = who(store, cli_user, &user).await?;
            let hooks = store.webhooks(user).await?;
            let now = Utc::now();
            if json {
                let rows: Vec<HookJson> = hooks
                    .iter()
                    .map(|h| HookJson {
                        hook: h,
                        status: status(h, now),
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if hooks.is_empty() {
                println!("no webhooks (add one with `tributary webhook add URL`)");
            } else {
                for h in &hooks {
                    println!(
                        "{:>4}  {}{}\n      {}; last success {}{}",
                        h.id,
                        h.url,
                        h.category
                            .as_deref()
                            .map(|c| format!("  [category {c}]"))
                            .unwrap_or_default(),
                        status(h, now),
                        time(h.last_success_at),
                        h.last_error
                            .as_deref()
                            .map(|e| format!("; last error: {e}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        WebhookCommand::Remove { id, user } => {
            let user = who(store, cli_user, &user).await?;
            found(store.webhook_delete(user, WebhookId(id)).await, id)?;
            println!("removed webhook {id}");
        }
        WebhookCommand::Enable { id, user } => {
            let user = who(store, cli_user, &user).await?;
            found(
                store.webhook_set_enabled(user, WebhookId(id), true).await,
                id,
            )?;
            println!("enabled webhook {id}");
        }
        WebhookCommand::Disable { id, user } => {
            let user = who(store, cli_user, &user).await?;
            found(
                store.webhook_set_enabled(user, WebhookId(id), false).await,
                id,
            )?;
            println!("disabled webhook {id}");
        }
        WebhookCommand::Log {
            id,
            limit,
            json,
            user,
        } => {
            let user = who(store, cli_user, &user).await?;
            let log = found(store.webhook_log(user, WebhookId(id), limit).await, id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&log)?);
            } else if log.is_empty() {
                println!("nothing delivered to webhook {id} yet");
            } else {
                for l in &log {
                    let a = &l.attempt;
                    println!(
                        "{}  {:<7} {}  {:>3} entries  attempt {}  {}  {} ms",
                        time(Some(a.at)),
                        a.kind.as_str(),
                        a.delivery_id,
                        a.entries,
                        a.attempt,
                        match (&a.error, a.status) {
                            (None, Some(s)) => format!("ok {s}"),
                            (Some(e), _) => format!("failed: {e}"),
                            (None, None) => "ok".into(),
                        },
                        a.duration_ms
                    );
                }
            }
        }
        WebhookCommand::Test { id, user } => {
            let user = who(store, cli_user, &user).await?;
            let hook = found(store.webhook(user, WebhookId(id)).await, id)?;
            let deliverer = Deliverer::new(store.clone(), fetcher()?, settings.webhooks.clone());
            let attempt = deliverer.ping(&hook).await?;
            match attempt.error {
                None => println!(
                    "ping {} answered {} in {} ms",
                    attempt.delivery_id,
                    attempt.status.unwrap_or(0),
                    attempt.duration_ms
                ),
                Some(e) => {
                    println!("ping {} failed: {e}", attempt.delivery_id);
                    return Ok(ExitCode::from(1));
                }
            }
        }
        WebhookCommand::Deliver { force } => {
            let deliverer = Deliverer::new(store.clone(), fetcher()?, settings.webhooks.clone());
            let report = deliverer.pass(Utc::now(), force).await;
            println!(
                "{} webhooks: {} batches ({} entries) delivered, {} attempts failed",
                report.webhooks, report.batches, report.entries, report.failures
            );
            for (id, e) in &report.errors {
                eprintln!("webhook {id}: {e}");
            }
            if !report.errors.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
