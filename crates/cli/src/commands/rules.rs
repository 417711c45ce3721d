//! `rules list|add|remove|enable|disable|preview`: a user's rules from the
//! command line. `add` and `preview` read the expression with the rules
//! crate first: a bad one is refused with the parser's message (its
//! column) and a non-zero exit, and nothing is stored.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use tributary_model::UserId;
use tributary_rules::{Action, Condition, Rule, Scope};
use tributary_store::{NewRule, RuleScope, Store, StoreError};

use super::search::{category_id, feed_id};

/// `rules` and its `--user`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Whose rules [default: the command line's user].
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// What a rule does and where (for `add` and `preview`).
#[derive(Debug, Args)]
pub struct RuleSpec {
    /// The condition, e.g. 'title:sponsored OR (category:podcast AND NOT enclosure:audio/mpeg)'.
    pub expression: String,
    /// block, keep-only, read, star or tag.
    #[arg(long, short, default_value = "block")]
    pub action: String,
    /// The tag a `tag` rule gives.
    #[arg(long, short)]
    pub tag: Option<String>,
    /// Only this category (and its sub-categories), e.g. "Networking/Vendors".
    #[arg(long, short, conflicts_with = "feed")]
    pub category: Option<String>,
    /// Only this feed (URL or id, see `feeds`).
    #[arg(long)]
    pub feed: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules: id, state, action, scope, how many entries each acted on.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add a rule; it applies to entries that arrive from now on.
    Add(RuleSpec),
    /// Delete a rule (what it did to entries stays).
    Remove {
        /// Its id (see `rules list`).
        id: i64,
    },
    /// Enable a rule.
    Enable {
        /// Its id.
        id: i64,
    },
    /// Disable a rule (kept, not evaluated).
    Disable {
        /// Its id.
        id: i64,
    },
    /// What a rule would have done to the last 500 entries in its scope (nothing is changed).
    Preview(RuleSpec),
}

pub async fn run(store: &Store, cli_user: UserId, args: &RulesArgs) -> Result<ExitCode> {
    let user = match &args.user {
        Some(name) => match store.user_by_name(name).await? {
            Some(u) => u.id,
            None => bail!("unknown user {name:?} (see `tributary user list`)"),
        },
        None => cli_user,
    };
    let mut out = std::io::stdout().lock();
    match &args.command {
        RulesCommand::List { json } => list(store, user, *json, &mut out).await?,
        RulesCommand::Add(spec) => {
            let (rule, scope) = read(store, user, spec).await?;
            let stored = store
                .add_rule(
                    user,
                    &NewRule {
                        scope,
                        action: rule.action.name().to_owned(),
                        tag: rule.action.tag().map(str::to_owned),
                        expression: rule.condition.source().to_owned(),
                    },
                )
                .await?;
            let preview = tributary_refresh::rules::preview(store, user, &rule).await?;
            writeln!(out, "added rule {}", stored.id)?;
            writeln!(out, "{}", preview.sentence(&rule.action))?;
        }
        RulesCommand::Preview(spec) => {
            let (rule, _) = read(store, user, spec).await?;
            let preview = tributary_refresh::rules::preview(store, user, &rule).await?;
            writeln!(out, "{}", preview.sentence(&rule.action))?;
            for (id, title) in &preview.examples {
                writeln!(out, "  {id}  {title}")?;
            }
        }
        RulesCommand::Remove { id } => {
            store.remove_rule(user, *id).await.map_err(not_found(*id))?;
            writeln!(out, "removed rule {id}")?;
        }
        RulesCommand::Enable { id } | RulesCommand::Disable { id } => {
            let enable = matches!(args.command, RulesCommand::Enable { .. });
            store
                .set_rule_enabled(user, *id, enable)
                .await
                .map_err(not_found(*id))?;
            writeln!(
                out,
                "{} rule {id}",
                if enable { "enabled" } else { "disabled" }
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn not_found(id: i64) -> impl Fn(StoreError) -> anyhow::Error {
    move |e| match e {
        StoreError::NotFound(_) => anyhow::anyhow!("no rule {id} (see `tributary rules list`)"),
        other => other.into(),
    }
}

/// The spec as a rule, or the reason it is not one.
async fn read(store: &Store, user: UserId, spec: &RuleSpec) -> Result<(Rule, RuleScope)> {
    let condition = match Condition::parse(&spec.expression) {
        Ok(c) => c,
        Err(e) => bail!("the expression {:?} is not valid {e}", spec.expression),
    };
    let action = match Action::parse(&spec.action, spec.tag.as_deref()) {
        Ok(a) => a,
        Err(e) => bail!("{e}"),
    };
    if spec.tag.is_some() && action.tag().is_none() {
        bail!("--tag goes with --action tag only");
    }
    let scope = match (&spec.category, &spec.feed) {
        (Some(path), _) => RuleScope::Category(category_id(store, user, path).await?),
        (None, Some(feed)) => RuleScope::Feed(feed_id(store, user, feed).await?),
        (None, None) => RuleScope::All,
    };
    let rule = Rule {
        id: 0,
        scope: match scope {
            RuleScope::All => Scope::All,
            RuleScope::Category(c) => Scope::Category(c),
            RuleScope::Feed(f) => Scope::Feed(f),
        },
        action,
        condition,
    };
    Ok((rule, scope))
}

#[derive(Serialize)]
struct RuleJson {
    id: i64,
    enabled: bool,
    action: String,
    tag: Option<String>,
    expression: String,
    scope: String,
    match_count: i64,
    created_at: String,
    last_matched_at: Option<String>,
}

async fn list(store: &Store, user: UserId, json: bool, out: &mut impl Write) -> Result<()> {
    let rules = store.rules(user).await?;
    let categories = store.categories(user).await?;
    let subs = store.subscriptions(user).await?;
    let scope_text = |s: RuleScope| match s {
        RuleScope::All => "all feeds".to_owned(),
        RuleScope::Category(c) => categories.iter().find(|x| x.id == c).map_or_else(
            || format!("category {c}"),
            |x| format!("category {}", x.path),
        ),
        RuleScope::Feed(f) => subs.iter().find(|x| x.feed.id == f).map_or_else(
            || format!("feed {f} (unsubscribed)"),
            |x| format!("feed {}", x.feed.url),
        ),
    };
    if json {
        let rows: Vec<RuleJson> = rules
            .iter()
            .map(|r| RuleJson {
                id: r.id,
                enabled: r.enabled,
                action: r.action.clone(),
                tag: r.tag.clone(),
                expression: r.expression.clone(),
                scope: scope_text(r.scope),
                match_count: r.match_count,
                created_at: r.created_at.to_rfc3339(),
                last_matched_at: r.last_matched_at.map(|t| t.to_rfc3339()),
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if rules.is_empty() {
        writeln!(
            out,
            "no rules (add one with `tributary rules add EXPRESSION`)"
        )?;
        return Ok(());
    }
    for r in &rules {
        let action = match &r.tag {
            Some(t) => format!("tag {t:?}"),
            None => r.action.clone(),
        };
        writeln!(
            out,
            "{:>4}  {:<3}  {:<10}  {}  [{}]  acted on {}",
            r.id,
            if r.enabled { "on" } else { "off" },
            action,
            r.expression,
            scope_text(r.scope),
            r.match_count
        )?;
    }
    Ok(())
}
