//! `user add|passwd|remove|list|token`: the accounts of the web UI and
//! their API passwords.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use tributary_store::{Store, StoreError, User};

use crate::args::{TokenCommand, UserCommand};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

pub async fn run(store: &Store, command: UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::Add {
            name,
            admin,
            password_file,
        } => {
            if store.user_by_name(&name).await?.is_some() {
                bail!("the name {name:?} is taken: pick another one, or `user passwd {name}`");
            }
            let password = read_password(&name, password_file.as_deref())?;
            let hash = hash(&password)?;
            let user = store
                .create_user(&name, &hash, admin)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => anyhow::anyhow!("the name {name:?} is taken"),
                    StoreError::Invalid(why) => anyhow::anyhow!("cannot add {name:?}: {why}"),
                    other => anyhow::Error::new(other),
                })?;
            println!(
                "added {}{}",
                user.username,
                if user.is_admin { " (admin)" } else { "" }
            );
        }
        UserCommand::Passwd {
            name,
            password_file,
        } => {
            let user = find(store, &name).await?;
            let password = read_password(&name, password_file.as_deref())?;
            store.set_password_hash(user.id, &hash(&password)?).await?;
            println!("password of {name} changed; their sessions were ended");
        }
        UserCommand::Remove { name, yes } => {
            let user = find(store, &name).await?;
            if !yes
                && !confirm(&format!(
                    "Remove {name} with all their subscriptions and reading state? [y/N] "
                ))?
            {
                println!("nothing removed");
                return Ok(ExitCode::from(1));
            }
            store.remove_user(user.id).await.map_err(|e| match e {
                StoreError::Invalid(why) => anyhow::anyhow!("cannot remove {name}: {why}"),
                other => anyhow::Error::new(other),
            })?;
            println!("removed {name}");
        }
        UserCommand::List { json } => list(store, json).await?,
        UserCommand::Token(command) => token(store, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The user named `name`, or an error saying there is none.
async fn find(store: &Store, name: &str) -> Result<User> {
    match store.user_by_name(name).await? {
        Some(user) => Ok(user),
        None => {
            let names: Vec<String> = store
                .users()
                .await?
                .into_iter()
                .map(|u| u.username)
                .collect();
            if names.is_empty() {
                bail!("unknown user {name:?}: there are no users yet");
            }
            bail!("unknown user {name:?} (users: {})", names.join(", "))
        }
    }
}

#[derive(Serialize)]
struct TokenRow {
    id: i64,
    description: String,
    created: String,
    last_used: Option<String>,
}

async fn token(store: &Store, command: TokenCommand) -> Result<()> {
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    match command {
        TokenCommand::Add { name, description } => {
            let user = find(store, &name).await?;
            let new = tributary_web::auth::api_keys::create(store, &user, &description)
                .await
                .map_err(|e| anyhow::anyhow!("cannot make an API password for {name}: {e}"))?;
            eprintln!(
                "API password {} of {name} ({}); it is shown only now:",
                new.token.id, new.token.description
            );
            println!("{}", new.secret);
        }
        TokenCommand::List { name, json } => {
            let user = find(store, &name).await?;
            let rows: Vec<TokenRow> = store
                .api_tokens(user.id)
                .await?
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id,
                    description: t.description,
                    created: when(t.created_at),
                    last_used: t.last_used_at.map(when),
                })
                .collect();
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else if rows.is_empty() {
                writeln!(
                    out,
                    "{name} has no API passwords (`tributary user token add {name}` makes one)"
                )?;
            } else {
                writeln!(
                    out,
                    "{:>5}  {:20}  {:20}  DESCRIPTION",
                    "ID", "CREATED", "LAST USED"
                )?;
                for r in &rows {
                    let used = r.last_used.as_deref().unwrap_or("never");
                    writeln!(
                        out,
                        "{:>5}  {:20}  {used:20}  {}",
                        r.id, r.created, r.description
                    )?;
                }
            }
        }
        TokenCommand::Revoke { name, id } => {
            let user = find(store, &name).await?;
            store
                .revoke_api_token(user.id, id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound(_) => anyhow::anyhow!(
                        "{name} has no API password {id} (see `tributary user token list {name}`)"
                    ),
                    other => anyhow::Error::new(other),
                })?;
            println!("revoked API password {id} of {name}; apps using it are signed out");
        }
    }
    Ok(())
}

fn hash(password: &str) -> Result<String> {
    tributary_web::auth::hash_password(password)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// The password: from `file` (its first line), else asked twice on the
/// terminal without echo, else one line of standard input.
fn read_password(name: &str, file: Option<&Path>) -> Result<String> {
    let password = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the password file {}", path.display()))?;
            text.lines().next().unwrap_or_default().to_owned()
        }
        None if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password(format!("Password for {name}: "))
                .context("cannot read the password from the terminal")?;
            check(&first)?;
            let again = rpassword::prompt_password("Again: ")
                .context("cannot read the password from the terminal")?;
            if first != again {
                bail!("the two passwords differ; nothing was changed");
            }
            first
        }
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    check(&password)?;
    Ok(password)
}

fn check(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        bail!("the password must have at least {MIN_PASSWORD_LEN} characters");
    }
    Ok(())
}

/// Ask a yes/no question on the terminal; without one, refuse.
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("not removing without confirmation: standard input is not a terminal, add --yes");
    }
    let mut out = std::io::stderr().lock();
    write!(out, "{question}")?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[derive(Serialize)]
struct Row {
    name: String,
    admin: bool,
    has_password: bool,
    created: String,
    subscriptions: usize,
}

async fn list(store: &Store, json: bool) -> Result<()> {
    let mut rows = Vec::new();
    for user in store.users().await? {
        rows.push(Row {
            subscriptions: store.subscriptions(user.id).await?.len(),
            name: user.username,
            admin: user.is_admin,
            has_password: user.has_password,
            created: user.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        });
    }
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(
            out,
            "no users yet (`tributary serve` creates the admin on its first start)"
        )?;
        return Ok(());
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "{:width$}  ADMIN  CREATED               SUBSCRIPTIONS",
        "NAME"
    )?;
    for r in &rows {
        let admin = if r.admin { "yes" } else { "no" };
        let note = if r.has_password {
            ""
        } else {
            "  (no password)"
        };
        writeln!(
            out,
            "{:width$}  {admin:5}  {:20}  {:>13}{note}",
            r.name, r.created, r.subscriptions
        )?;
    }
    Ok(())
}
