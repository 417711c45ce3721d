//! `/rules`: the user's rules (list, add with a preview, enable, disable,
//! delete), tags shown on entries, and `/tag/{name}`, the entries of a tag.
//!
//! A rule's form posts to `/rules` with `op=preview` or `op=save`: both
//! read the expression with the rules crate, so a bad one shows the
//! parser's message (with its column) next to the field, never an error
//! page (a refused save answers 400; a preview answers 200, the message
//! being its answer); a preview evaluates the rule against the user's
//! newest entries in its scope and changes nothing.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tributary_model::{CategoryId, EntryId, FeedId};
use tributary_rules::{Action, Condition, Rule, Scope};
use tributary_store::{NewRule, RuleScope, StoreError, StoredRule};

use super::forms::FieldErrors;
use super::views::{cursor_text, parse_cursor, EntryRow};
use super::{parse_id, render_status, see_other, Page};
use crate::auth::{CsrfForm, CurrentUser};
use crate::{AppState, WebError};

/// The rule form.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct RuleForm {
    /// The condition.
    #[serde(default)]
    expression: String,
    /// `block`, `keep-only`, `read`, `star` or `tag`.
    #[serde(default)]
    action: String,
    /// The tag of a tag rule.
    #[serde(default)]
    tag: String,
    /// `all`, `category:ID` or `feed:ID`.
    #[serde(default)]
    scope: String,
    /// `preview` or `save`.
    #[serde(default)]
    op: String,
}

/// A tag with the path of its page.
#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    /// The tag.
    pub name: String,
    /// `/tag/NAME`, percent-encoded.
    pub path: String,
    /// Entries with it (on the rules page; 0 elsewhere).
    pub count: i64,
}

impl TagLink {
    /// The link of `name`.
    pub fn new(name: &str, count: i64) -> TagLink {
        TagLink {
            name: name.to_owned(),
            path: tag_path(name),
            count,
        }
    }
}

/// `/tag/NAME`, the name percent-encoded as a path segment.
pub fn tag_path(name: &str) -> String {
    format!("/tag/{}", super::forms::encode(name).replace('+', "%20"))
}

/// A choice of the scope select.
#[derive(Debug, Serialize)]
struct ScopeChoice {
    value: String,
    label: String,
}

/// A rule as the list shows it.
#[derive(Debug, Serialize)]
struct RuleView {
    id: i64,
    expression: String,
    action: String,
    tag: Option<TagLink>,
    scope: String,
    enabled: bool,
    match_count: i64,
}

/// A preview as the page shows it.
#[derive(Debug, Serialize)]
struct PreviewView {
    sentence: String,
    acted: usize,
    looked_at: usize,
    examples: Vec<(i64, String)>,
}

async fn scope_choices(state: &AppState, user: &CurrentUser) -> Result<Vec<ScopeChoice>, WebError> {
    let mut out = vec![ScopeChoice {
        value: "all".into(),
        label: "All my feeds".into(),
    }];
    for c in state.store.categories(user.user.id).await? {
        out.push(ScopeChoice {
            value: format!("category:{}", c.id.0),
            label: format!("Category: {}", c.path),
        });
    }
    for s in state.store.subscriptions(user.user.id).await? {
        out.push(ScopeChoice {
            value: format!("feed:{}", s.feed.id.0),
            label: format!("Feed: {}", s.display_title()),
        });
    }
    Ok(out)
}

fn scope_value(scope: RuleScope) -> String {
    match scope {
        RuleScope::All => "all".into(),
        RuleScope::Category(c) => format!("category:{}", c.0),
        RuleScope::Feed(f) => format!("feed:{}", f.0),
    }
}

fn view_of(rule: &StoredRule, choices: &[ScopeChoice]) -> RuleView {
    let value = scope_value(rule.scope);
    RuleView {
        id: rule.id,
        expression: rule.expression.clone(),
        action: rule.action.clone(),
        tag: rule.tag.as_deref().map(|t| TagLink::new(t, 0)),
        scope: choices.iter().find(|c| c.value == value).map_or_else(
            || "a feed you no longer follow".to_owned(),
            |c| c.label.clone(),
        ),
        enabled: rule.enabled,
        match_count: rule.match_count,
    }
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    form: &RuleForm,
    errors: FieldErrors,
    preview: Option<PreviewView>,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let choices = scope_choices(state, user).await?;
    let rules: Vec<RuleView> = state
        .store
        .rules(user.user.id)
        .await?
        .iter()
        .map(|r| view_of(r, &choices))
        .collect();
    let tags: Vec<TagLink> = state
        .store
        .tags(user.user.id)
        .await?
        .iter()
        .map(|(t, n)| TagLink::new(t, *n))
        .collect();
    let page = Page::new(state, user, "rules", "/rules".into()).with_flash(flash);
    render_status(
        state,
        status,
        "rules.html",
        &page,
        minijinja::context! {
            rules => rules,
            scopes => choices,
            form => form,
            errors => errors,
            preview => preview,
            tags => tags,
            actions => ["block", "keep-only", "read", "star", "tag"],
        },
    )
}

/// `GET /rules`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let flash = match q.get("done").map(String::as_str) {
        Some("added") => {
            Some("Rule saved; it applies to entries that arrive from now on.".to_owned())
        }
        Some("enabled") => Some("Rule enabled.".to_owned()),
        Some("disabled") => Some("Rule disabled.".to_owned()),
        Some("deleted") => Some("Rule deleted; what it already did stays.".to_owned()),
        _ => None,
    };
    let form = RuleForm {
        action: "block".into(),
        scope: "all".into(),
        ..Default::default()
    };
    page(
        &state,
        &user,
        StatusCode::OK,
        &form,
        FieldErrors::default(),
        None,
        flash,
    )
    .await
}

/// Read the form into a rule, or the messages per field.
fn read_form(form: &RuleForm) -> Result<(Rule, RuleScope), FieldErrors> {
    let mut errors = FieldErrors::default();
    let condition = match Condition::parse(&form.expression) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.add("expression", e.to_string());
            None
        }
    };
    let tag = (form.action == "tag").then_some(form.tag.as_str());
    let action = match Action::parse(&form.action, tag) {
        Ok(a) => Some(a),
        Err(e) if form.action == "tag" => {
            errors.add("tag", e);
            None
        }
        Err(e) => {
            errors.add("action", e);
            None
        }
    };
    let scope = match form.scope.split_once(':') {
        None if form.scope == "all" || form.scope.is_empty() => Some(RuleScope::All),
        Some(("category", id)) => id
            .parse()
            .ok()
            .map(|id| RuleScope::Category(CategoryId(id))),
        Some(("feed", id)) => id.parse().ok().map(|id| RuleScope::Feed(FeedId(id))),
        _ => None,
    };
    if scope.is_none() {
        errors.add(
            "scope",
            format!("“{}” is not a scope this form offers", form.scope),
        );
    }
    match (condition, action, scope) {
        (Some(condition), Some(action), Some(scope)) if errors.is_empty() => Ok((
            Rule {
                id: 0,
                scope: match scope {
                    RuleScope::All => Scope::All,
                    RuleScope::Category(c) => Scope::Category(c),
                    RuleScope::Feed(f) => Scope::Feed(f),
                },
                action,
                condition,
            },
            scope,
        )),
        _ => Err(errors),
    }
}

/// `POST /rules`: preview (`op=preview`) or save the rule.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<RuleForm>,
) -> Result<Response, WebError> {
    let (rule, scope) = match read_form(&form) {
        Ok(r) => r,
        Err(errors) => {
            // A preview is a question ("what would this do?"), and "it does
            // not parse, here is why" is its answer; saving it is a refused form.
            let status = if form.op == "preview" {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            };
            return page(&state, &user, status, &form, errors, None, None).await;
        }
    };
    if form.op == "preview" {
        let preview =
            match tributary_refresh::rules::preview(&state.store, user.user.id, &rule).await {
                Ok(p) => p,
                Err(StoreError::NotFound(_)) => {
                    let mut errors = FieldErrors::default();
                    errors.add("scope", "that feed or category is not yours".to_owned());
                    return page(
                        &state,
                        &user,
                        StatusCode::BAD_REQUEST,
                        &form,
                        errors,
                        None,
                        None,
                    )
                    .await;
                }
                Err(e) => return Err(e.into()),
            };
        let view = PreviewView {
            sentence: preview.sentence(&rule.action),
            acted: preview.acted,
            looked_at: preview.looked_at,
            examples: preview
                .examples
                .iter()
                .map(|(id, t)| (id.0, t.clone()))
                .collect(),
        };
        return page(
            &state,
            &user,
            StatusCode::OK,
            &form,
            FieldErrors::default(),
            Some(view),
            None,
        )
        .await;
    }
    let new = NewRule {
        scope,
        action: rule.action.name().to_owned(),
        tag: rule.action.tag().map(str::to_owned),
        expression: rule.condition.source().to_owned(),
    };
    match state.store.add_rule(user.user.id, &new).await {
        Ok(_) => Ok(see_other("/rules?done=added")),
        Err(StoreError::NotFound(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("scope", "that feed or category is not yours".to_owned());
            page(
                &state,
                &user,
                StatusCode::BAD_REQUEST,
                &form,
                errors,
                None,
                None,
            )
            .await
        }
        Err(StoreError::Invalid(m)) => {
            let mut errors = FieldErrors::default();
            errors.add("expression", m);
            page(
                &state,
                &user,
                StatusCode::BAD_REQUEST,
                &form,
                errors,
                None,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The enable/disable form.
#[derive(Debug, Deserialize)]
pub struct EnableForm {
    enabled: Option<String>,
}

/// `POST /rules/{id}/enable` with `enabled=1|0`.
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form }: CsrfForm<EnableForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    // Someone else's rule does not exist, whatever the form says.
    if !state
        .store
        .rules(user.user.id)
        .await?
        .iter()
        .any(|r| r.id == id)
    {
        return Err(WebError::NotFound);
    }
    let enabled = match form.enabled.as_deref().map(str::trim) {
        Some("1") => true,
        Some("0") => false,
        _ => {
            return Err(WebError::BadRequest(
                "The form must send enabled=1 or enabled=0.".to_owned(),
            ))
        }
    };
    match state
        .store
        .set_rule_enabled(user.user.id, id, enabled)
        .await
    {
        Ok(()) => Ok(see_other(if enabled {
            "/rules?done=enabled"
        } else {
            "/rules?done=disabled"
        })),
        Err(StoreError::NotFound(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The delete form (only the CSRF token).
#[derive(Debug, Deserialize)]
pub struct DeleteForm {}

/// `POST /rules/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { user, form: _ }: CsrfForm<DeleteForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    match state.store.remove_rule(user.user.id, id).await {
        Ok(()) => Ok(see_other("/rules?done=deleted")),
        Err(StoreError::NotFound(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Fill in the tags of listed entries.
pub async fn attach_tags(
    state: &AppState,
    user: &CurrentUser,
    rows: &mut [EntryRow],
) -> Result<(), WebError> {
    let ids: Vec<EntryId> = rows.iter().map(|r| EntryId(r.id)).collect();
    let mut by_entry: HashMap<i64, Vec<TagLink>> = HashMap::new();
    for (entry, tag) in state.store.entry_tags(user.user.id, &ids).await? {
        by_entry
            .entry(entry.0)
            .or_default()
            .push(TagLink::new(&tag, 0));
    }
    for row in rows {
        if let Some(tags) = by_entry.remove(&row.id) {
            row.tags = tags;
        }
    }
    Ok(())
}

/// What `river.html` needs for a tag's entries.
#[derive(Serialize)]
struct TagListing<'a> {
    title: String,
    path: String,
    entries: Vec<EntryRow>,
    older: Option<String>,
    first_page: bool,
    mark_scope: Option<&'static str>,
    mark_id: i64,
    older_than: Option<String>,
    settings: Option<i64>,
    note: Option<&'a str>,
    empty: &'a str,
    categories: Vec<tributary_store::Category>,
    unread_total: i64,
}

/// `GET /tag/{name}`: the user's entries with this tag, newest first.
pub async fn tag(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let after = match q.get("after").map(String::as_str).filter(|s| !s.is_empty()) {
        Some(raw) => Some(parse_cursor(raw).ok_or_else(|| {
            WebError::BadRequest(format!(
                "The page position “{raw}” is not valid; start again from the first page."
            ))
        })?),
        None => None,
    };
    let page = state
        .store
        .tagged_entries(user.user.id, &name, after, state.config.page_size)
        .await?;
    let now = Utc::now();
    let mut entries: Vec<EntryRow> = page.items.iter().map(|i| EntryRow::new(i, now)).collect();
    attach_tags(&state, &user, &mut entries).await?;
    let path = tag_path(&name);
    let here = match q.get("after") {
        Some(a) => super::with_query(&path, "after", a),
        None => path.clone(),
    };
    let view = TagListing {
        title: format!("Tag: {name}"),
        older: page
            .next
            .as_ref()
            .map(|c| super::with_query(&path, "after", &cursor_text(c))),
        path,
        first_page: after.is_none(),
        mark_scope: None,
        mark_id: 0,
        older_than: None,
        settings: None,
        note: None,
        empty: "No entries have this tag. Tag rules (on the Rules page) give entries tags as they arrive.",
        categories: state.store.categories(user.user.id).await?,
        unread_total: state.store.unread_total(user.user.id).await?,
        entries,
    };
    let page_ctx = Page::new(&state, &user, "rules", here);
    super::render(
        &state,
        "river.html",
        &page_ctx,
        minijinja::Value::from_serialize(&view),
    )
}
