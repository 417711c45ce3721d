//! The rules hook of the pipeline: after a fetch (or a WebSub push) stored
//! new entries, every subscriber's rules that cover the feed are applied to
//! them, and what they decided is written in one transaction.
//!
//! Evaluation is bounded: each field an expression looks at is cut at
//! `tributary_rules::MAX_FIELD_BYTES`, and one store write gets
//! [`BUDGET`] of evaluation in all; entries left when it runs out are
//! skipped (and logged), never half-evaluated. A rule stored with an
//! expression this version cannot read (it was checked when saved) is
//! skipped with a warning. A failure here is logged and never fails the
//! fetch: the entries are stored either way.

use std::time::Duration;

use tracing::{debug, warn};
use tributary_model::{EntryId, FeedId, UserId};
use tributary_rules::{evaluate, Action, Condition, EntryText, Rule, Scope};
use tributary_store::{RuleEffects, RuleScope, Store, StoreResult, StoredRule};

/// Evaluation time allowed for the new entries of one store write.
pub const BUDGET: Duration = Duration::from_millis(250);

/// What applying rules to one write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RulesReport {
    /// Users whose rules were evaluated.
    pub users: usize,
    /// (user, entry) pairs some rule acted on.
    pub acted: usize,
    /// (user, entry) pairs not evaluated: the time budget ran out.
    pub skipped: usize,
}

/// Apply the rules covering `feed` to its new entries `new`; errors are
/// logged, never returned.
pub async fn apply_to_new(store: &Store, feed: FeedId, new: &[EntryId]) -> RulesReport {
    if new.is_empty() {
        return RulesReport::default();
    }
    match try_apply(store, feed, new, BUDGET).await {
        Ok(report) => {
            if report.skipped > 0 {
                warn!(
                    feed.id = %feed, skipped = report.skipped, budget_ms = BUDGET.as_millis() as u64,
                    "rules: time budget ran out; some new entries were not evaluated"
                );
            }
            debug!(feed.id = %feed, users = report.users, acted = report.acted, "rules applied");
            report
        }
        Err(e) => {
            warn!(feed.id = %feed, error = %e, "rules: could not apply the rules to new entries");
            RulesReport::default()
        }
    }
}

/// A stored rule ready to evaluate, or `None` (logged) if it cannot be read.
pub fn compile(rule: &StoredRule) -> Option<Rule> {
    let action = match Action::parse(&rule.action, rule.tag.as_deref()) {
        Ok(a) => a,
        Err(e) => {
            warn!(rule.id = rule.id, error = %e, "rules: skipping a rule with an unknown action");
            return None;
        }
    };
    let condition = match Condition::parse(&rule.expression) {
        Ok(c) => c,
        Err(e) => {
            warn!(rule.id = rule.id, error = %e, "rules: skipping a rule that does not parse");
            return None;
        }
    };
    Some(Rule {
        id: rule.id,
        scope: match rule.scope {
            RuleScope::All => Scope::All,
            RuleScope::Category(c) => Scope::Category(c),
            RuleScope::Feed(f) => Scope::Feed(f),
        },
        action,
        condition,
    })
}

/// [`apply_to_new`] with its errors and its budget.
pub async fn try_apply(
    store: &Store,
    feed: FeedId,
    new: &[EntryId],
    budget: Duration,
) -> StoreResult<RulesReport> {
    let stored = store.rules_for_feed(feed).await?;
    if stored.is_empty() {
        return Ok(RulesReport::default());
    }
    let entries = store.entries_by_ids(new).await?;
    let texts: Vec<EntryText> = entries.iter().map(EntryText::of).collect();
    // Rules come grouped by user.
    let mut by_user: Vec<(UserId, Vec<Rule>)> = Vec::new();
    for rule in &stored {
        let Some(compiled) = compile(rule) else {
            continue;
        };
        match by_user.last_mut() {
            Some((u, rules)) if *u == rule.user => rules.push(compiled),
            _ => by_user.push((rule.user, vec![compiled])),
        }
    }
    let started = std::time::Instant::now();
    let mut report = RulesReport::default();
    let mut all = Vec::new();
    for (user, rules) in &by_user {
        let left = budget.saturating_sub(started.elapsed());
        let ev = evaluate(rules, &texts, left);
        report.users += 1;
        report.skipped += ev.skipped;
        let mut fx = RuleEffects {
            user: *user,
            hide: vec![],
            read: vec![],
            star: vec![],
            tags: vec![],
            acted: vec![],
        };
        for (entry, v) in entries.iter().zip(&ev.verdicts) {
            if v.is_empty() {
                continue;
            }
            report.acted += 1;
            if v.hide {
                fx.hide.push(entry.id);
            } else if v.read {
                fx.read.push(entry.id);
            }
            if v.star {
                fx.star.push(entry.id);
            }
            fx.tags.extend(v.tags.iter().map(|t| (entry.id, t.clone())));
        }
        fx.acted = rules
            .iter()
            .zip(&ev.acted)
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| (r.id, *n as u64))
            .collect();
        all.push(fx);
    }
    store.apply_rule_effects(&all).await?;
    Ok(report)
}

/// Entries a preview looks at: the user's newest in the rule's scope.
pub const PREVIEW_ENTRIES: u32 = 500;
/// Examples a preview lists.
pub const PREVIEW_EXAMPLES: usize = 5;

/// What a rule would have done to the user's recent entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Entries looked at (at most [`PREVIEW_ENTRIES`], newest first).
    pub looked_at: usize,
    /// How many of them the rule would have acted on.
    pub acted: usize,
    /// A few of those: (entry id, title), newest first.
    pub examples: Vec<(EntryId, String)>,
    /// Entries not evaluated in time (see [`BUDGET`]).
    pub skipped: usize,
}

impl Preview {
    /// "This rule would have hidden 12 of the last 500 entries."
    pub fn sentence(&self, action: &Action) -> String {
        let of = if self.looked_at == 1 {
            "the last entry".to_owned()
        } else {
            format!("the last {} entries", self.looked_at)
        };
        let mut s = format!(
            "This rule would have {} {} of {of}",
            action.past_tense(),
            self.acted
        );
        if self.skipped > 0 {
            s.push_str(&format!(
                " ({} not evaluated: the time limit ran out)",
                self.skipped
            ));
        }
        s.push('.');
        s
    }
}

/// Evaluate `rule` for `user` against their newest [`PREVIEW_ENTRIES`]
/// visible entries in its scope, without changing anything.
pub async fn preview(store: &Store, user: UserId, rule: &Rule) -> StoreResult<Preview> {
    let (feed, category) = match rule.scope {
        Scope::All => (None, None),
        Scope::Feed(f) => (Some(f), None),
        Scope::Category(c) => (None, Some(c)),
    };
    let page = store
        .entries(
            user,
            &tributary_store::EntryQuery {
                view: tributary_store::View::All,
                feed,
                category,
                limit: PREVIEW_ENTRIES,
                ..Default::default()
            },
        )
        .await?;
    let texts: Vec<EntryText> = page.items.iter().map(|i| EntryText::of(&i.entry)).collect();
    let ev = evaluate(std::slice::from_ref(rule), &texts, BUDGET);
    let acting: Vec<&tributary_model::RiverItem> = page
        .items
        .iter()
        .zip(&ev.verdicts)
        .filter(|(_, v)| !v.is_empty())
        .map(|(i, _)| i)
        .collect();
    Ok(Preview {
        looked_at: page.items.len(),
        acted: acting.len(),
        examples: acting
            .iter()
            .take(PREVIEW_EXAMPLES)
            .map(|i| (i.entry.id, i.entry.title.clone()))
            .collect(),
        skipped: ev.skipped,
    })
}
