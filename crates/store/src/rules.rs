//! Rules (issue 9) as stored: each user's rules, the ones that apply to a
//! feed's new entries, what they did (hidden, read, starred, tagged), and
//! the tags.
//!
//! The store keeps a rule's expression and action as text; reading and
//! evaluating them is the rules crate's job (the store does not depend on
//! it), and callers check a rule with it before [`Store::add_rule`].
//! Entries are shared by every subscriber of a feed, so a rule never
//! deletes one: hiding sets `entry_states.hidden` (and `read`, so unread
//! counts stay exact without looking at it) for that user only, and every
//! listing of that user leaves hidden entries out.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tracing::instrument;
use tributary_model::{CategoryId, Entry, EntryId, FeedId, UserId};

use crate::{on_engine, Cursor, EntryPage, Store, StoreError, StoreResult};

/// Which of the user's entries a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleScope {
    /// Every feed the user follows.
    All,
    /// The feeds of this category and of its sub-categories.
    Category(CategoryId),
    /// This feed.
    Feed(FeedId),
}

/// A rule to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// Where it applies.
    pub scope: RuleScope,
    /// `block`, `keep-only`, `read`, `star` or `tag`.
    pub action: String,
    /// The tag of a `tag` rule (`None` for the others).
    pub tag: Option<String>,
    /// The condition, as written (checked by the caller).
    pub expression: String,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// Its id.
    pub id: i64,
    /// Whose rule it is.
    pub user: UserId,
    /// Where it applies.
    pub scope: RuleScope,
    /// `block`, `keep-only`, `read`, `star` or `tag`.
    pub action: String,
    /// The tag of a `tag` rule.
    pub tag: Option<String>,
    /// The condition, as written.
    pub expression: String,
    /// Disabled rules are kept but not evaluated.
    pub enabled: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// On how many new entries it has acted so far.
    pub match_count: i64,
    /// When it last acted.
    pub last_matched_at: Option<DateTime<Utc>>,
}

/// What one user's rules decided for new entries, to write in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEffects {
    /// Whose entries.
    pub user: UserId,
    /// Entries to hide (and mark read).
    pub hide: Vec<EntryId>,
    /// Entries to mark read.
    pub read: Vec<EntryId>,
    /// Entries to star.
    pub star: Vec<EntryId>,
    /// Tags to give.
    pub tags: Vec<(EntryId, String)>,
    /// Rule id → on how many of these entries it acted.
    pub acted: Vec<(i64, u64)>,
}

/// A stored rule's row as both engines read it.
pub(crate) type RuleRow = (
    i64,            // id
    i64,            // user_id
    Option<i64>,    // feed_id
    Option<i64>,    // category_id
    String,         // action
    Option<String>, // tag
    String,         // expression
    bool,           // enabled
    String,         // created_at
    i64,            // match_count
    Option<String>, // last_matched_at
);

/// The columns of [`RuleRow`], in order.
pub(crate) const RULE_COLUMNS: &str = "r.id, r.user_id, r.feed_id, r.category_id, r.action, \
     r.tag, r.expression, r.enabled, r.created_at, r.match_count, r.last_matched_at";

pub(crate) fn decode(row: RuleRow) -> StoreResult<StoredRule> {
    let (id, user, feed, category, action, tag, expression, enabled, created, count, last) = row;
    let time = |s: &str| {
        crate::time::from_db(s)
            .map_err(|e| StoreError::Invalid(format!("rules.created_at {s:?}: {e}")))
    };
    Ok(StoredRule {
        id,
        user: UserId(user),
        scope: match (feed, category) {
            (Some(f), _) => RuleScope::Feed(FeedId(f)),
            (None, Some(c)) => RuleScope::Category(CategoryId(c)),
            (None, None) => RuleScope::All,
        },
        action,
        tag,
        expression,
        enabled,
        created_at: time(&created)?,
        match_count: count,
        last_matched_at: last.as_deref().map(time).transpose()?,
    })
}

/// `rules` (enabled rules of subscribers of one feed, each with the
/// category its owner filed the feed in) narrowed to those whose scope
/// covers the feed: every feed, the feed itself, or the category or one
/// of its ancestors (`parents`: category id → parent id).
pub(crate) fn covering(
    rules: Vec<(StoredRule, Option<i64>)>,
    parents: &HashMap<i64, Option<i64>>,
) -> Vec<StoredRule> {
    rules
        .into_iter()
        .filter(|(rule, filed_in)| match rule.scope {
            RuleScope::All | RuleScope::Feed(_) => true,
            RuleScope::Category(c) => {
                let mut seen = HashSet::new();
                let mut at = *filed_in;
                while let Some(id) = at {
                    if id == c.0 {
                        return true;
                    }
                    if !seen.insert(id) {
                        break;
                    }
                    at = parents.get(&id).copied().flatten();
                }
                false
            }
        })
        .map(|(rule, _)| rule)
        .collect()
}

/// Most rules one user may have.
pub const MAX_RULES_PER_USER: i64 = 200;

impl Store {
    /// Store a rule for `user` (enabled). Its scope must be the user's: a
    /// feed they follow or a category of theirs (`NotFound` otherwise); a
    /// user has at most [`MAX_RULES_PER_USER`] rules (`Invalid` beyond).
    /// The expression is stored as given: check it with the rules crate first.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn add_rule(&self, user: UserId, rule: &NewRule) -> StoreResult<StoredRule> {
        if rule.expression.trim().is_empty() {
            return Err(StoreError::Invalid("a rule needs a condition".to_owned()));
        }
        if (rule.action == "tag") != rule.tag.is_some() {
            return Err(StoreError::Invalid(
                "a tag rule, and only a tag rule, names a tag".to_owned(),
            ));
        }
        on_engine!(self, |db| engine::rules::add(&db.writer, user, rule).await)
    }

    /// The user's rules, oldest first.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn rules(&self, user: UserId) -> StoreResult<Vec<StoredRule>> {
        on_engine!(self, |db| engine::rules::list(&db.pool, user).await)
    }

    /// Enable or disable one of the user's rules (`NotFound` if it is not theirs).
    #[instrument(skip_all, fields(user.id = %user, rule.id = id))]
    pub async fn set_rule_enabled(&self, user: UserId, id: i64, enabled: bool) -> StoreResult<()> {
        on_engine!(self, |db| engine::rules::set_enabled(
            &db.writer, user, id, enabled
        )
        .await)
    }

    /// Delete one of the user's rules (`NotFound` if it is not theirs).
    /// What it did to entries stays (hidden entries stay hidden).
    #[instrument(skip_all, fields(user.id = %user, rule.id = id))]
    pub async fn remove_rule(&self, user: UserId, id: i64) -> StoreResult<()> {
        on_engine!(self, |db| engine::rules::remove(&db.writer, user, id).await)
    }

    /// The enabled rules of every subscriber of `feed` whose scope covers
    /// it, grouped by user (users in id order, rules oldest first).
    #[instrument(skip_all, fields(feed.id = %feed))]
    pub async fn rules_for_feed(&self, feed: FeedId) -> StoreResult<Vec<StoredRule>> {
        let (rules, parents) =
            on_engine!(self, |db| engine::rules::for_feed(&db.pool, feed).await)?;
        Ok(covering(rules, &parents))
    }

    /// Stored entries by id (any feed), in id order; unknown ids are left out.
    #[instrument(skip_all, fields(ids = ids.len()))]
    pub async fn entries_by_ids(&self, ids: &[EntryId]) -> StoreResult<Vec<Entry>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        on_engine!(self, |db| engine::rules::entries_by_ids(&db.pool, ids)
            .await)
    }

    /// Write what rules decided, every user's in one transaction: hidden
    /// entries are hidden and read, read ones read, starred ones starred,
    /// tags added (once), and each rule's match count raised.
    #[instrument(skip_all, fields(users = effects.len()))]
    pub async fn apply_rule_effects(&self, effects: &[RuleEffects]) -> StoreResult<()> {
        if effects.is_empty() {
            return Ok(());
        }
        on_engine!(self, |db| engine::rules::apply(&db.writer, effects).await)
    }

    /// The tags of these entries for `user`: (entry, tag), by entry then tag.
    #[instrument(skip_all, fields(user.id = %user, ids = ids.len()))]
    pub async fn entry_tags(
        &self,
        user: UserId,
        ids: &[EntryId],
    ) -> StoreResult<Vec<(EntryId, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        on_engine!(self, |db| engine::rules::tags_of(&db.pool, user, ids).await)
    }

    /// The user's tags with how many visible entries carry each, by name.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn tags(&self, user: UserId) -> StoreResult<Vec<(String, i64)>> {
        on_engine!(self, |db| engine::rules::tags(&db.pool, user).await)
    }

    /// A page of the user's entries carrying `tag`, newest first (hidden
    /// ones left out), continuing after `after`; `limit` 0 means 50.
    #[instrument(skip_all, fields(user.id = %user))]
    pub async fn tagged_entries(
        &self,
        user: UserId,
        tag: &str,
        after: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<EntryPage> {
        let limit = match limit {
            0 => 50,
            n => n.min(1000),
        };
        on_engine!(self, |db| engine::rules::tagged(
            &db.pool, user, tag, after, limit
        )
        .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, scope: RuleScope) -> StoredRule {
        StoredRule {
            id,
            user: UserId(1),
            scope,
            action: "block".into(),
            tag: None,
            expression: "x".into(),
            enabled: true,
            created_at: Utc::now(),
            match_count: 0,
            last_matched_at: None,
        }
    }

    #[test]
    fn a_category_rule_covers_its_sub_categories_only() {
        // 1 ← 2 ← 3; 4 apart; 5 ↔ 6 a (corrupt) cycle.
        let parents: HashMap<i64, Option<i64>> = [
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, None),
            (5, Some(6)),
            (6, Some(5)),
        ]
        .into_iter()
        .collect();
        let cat = |c| RuleScope::Category(CategoryId(c));
        let cases = [
            (cat(1), Some(3), true),
            (cat(2), Some(3), true),
            (cat(3), Some(3), true),
            (cat(3), Some(2), false),
            (cat(4), Some(3), false),
            (cat(1), None, false),
            (cat(1), Some(5), false),
            (RuleScope::All, None, true),
            (RuleScope::Feed(FeedId(9)), None, true),
        ];
        for (scope, filed_in, want) in cases {
            let got = covering(vec![(rule(1, scope), filed_in)], &parents);
            assert_eq!(got.len() == 1, want, "{scope:?} {filed_in:?}");
        }
    }
}
