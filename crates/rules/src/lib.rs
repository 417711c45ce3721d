//! Rules: what a user wants done to entries as they arrive — hide
//! (`block`), keep only what matches (`keep-only`), mark read, star, tag —
//! when a condition over the entry's title, content, author, URL,
//! categories and enclosure types holds.
//!
//! This crate is pure: it reads a condition ([`Condition::parse`], the
//! language is in `parse` and docs/RULES.md), turns an entry into the text
//! the conditions look at ([`EntryText::of`], each field cut at
//! [`MAX_FIELD_BYTES`]), and decides what a set of rules does to a batch of
//! entries within a time budget ([`evaluate`]). Storing rules, finding the
//! ones whose scope covers a feed and writing the verdicts are the store's
//! and the refresh pipeline's jobs.
//!
//! ```
//! use tributary_rules::{Condition, EntryText};
//!
//! let c = Condition::parse("title:sponsored OR (category:podcast AND NOT enclosure:audio/mpeg)").unwrap();
//! let entry = EntryText { title: "A Sponsored post".into(), ..Default::default() };
//! assert!(c.matches(&entry));
//! let err = Condition::parse("title:sponsored OR").unwrap_err();
//! assert_eq!(err.position, 19);
//! ```

#![warn(missing_docs)]

mod matcher;
mod parse;

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

use tributary_model::{CategoryId, Entry, FeedId};

pub use matcher::{Pattern, COMPILED_SIZE_LIMIT, DFA_SIZE_LIMIT, MAX_PATTERN_CHARS};
pub use parse::{Expr, Field, Target, MAX_DEPTH, MAX_EXPRESSION_CHARS, MAX_TERMS};

/// Longest text of one field a condition looks at, in bytes (longer
/// content is cut there, on a character boundary), so one huge entry
/// cannot make matching slow.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Longest HTML read to make the content text (the text is cut at
/// [`MAX_FIELD_BYTES`] afterwards).
const MAX_HTML_BYTES: usize = 4 * MAX_FIELD_BYTES;
/// Longest tag name, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// A condition or rule that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at column {position}: {message}")]
pub struct RuleError {
    /// Column (in characters, from 1) where the problem is.
    pub position: usize,
    /// What is wrong there, in plain words.
    pub message: String,
}

impl RuleError {
    fn new(position: usize, message: impl Into<String>) -> RuleError {
        RuleError {
            position,
            message: message.into(),
        }
    }
}

/// A parsed, compiled condition.
#[derive(Debug, Clone)]
pub struct Condition {
    expr: Expr,
    source: String,
}

impl Condition {
    /// Read and compile `source` (see the module docs of `parse` and
    /// docs/RULES.md for the language).
    pub fn parse(source: &str) -> Result<Condition, RuleError> {
        let expr = parse::parse(source)?;
        Ok(Condition {
            expr,
            source: source.trim().to_owned(),
        })
    }

    /// The expression as written (trimmed).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether the condition holds for `entry`.
    pub fn matches(&self, entry: &EntryText) -> bool {
        eval(&self.expr, entry)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn eval(expr: &Expr, e: &EntryText) -> bool {
    match expr {
        Expr::Term(target, p) => match target {
            Target::TitleOrContent => p.is_match(&e.title) || p.is_match(&e.content),
            Target::Field(Field::Title) => p.is_match(&e.title),
            Target::Field(Field::Content) => p.is_match(&e.content),
            Target::Field(Field::Author) => p.is_match(&e.author),
            Target::Field(Field::Url) => p.is_match(&e.url),
            Target::Field(Field::Category) => e.categories.iter().any(|c| p.is_match(c)),
            Target::Field(Field::Enclosure) => e.enclosure_types.iter().any(|t| p.is_match(t)),
        },
        Expr::Not(inner) => !eval(inner, e),
        Expr::And(parts) => parts.iter().all(|p| eval(p, e)),
        Expr::Or(parts) => parts.iter().any(|p| eval(p, e)),
    }
}

/// The text of an entry that conditions look at; every field at most
/// [`MAX_FIELD_BYTES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryText {
    /// Plain-text title.
    pub title: String,
    /// Content and summary as text (tags dropped, entities decoded).
    pub content: String,
    /// Author, or empty.
    pub author: String,
    /// Link, or empty.
    pub url: String,
    /// The categories the feed gave the entry.
    pub categories: Vec<String>,
    /// MIME types of its enclosures, lower case.
    pub enclosure_types: Vec<String>,
}

impl EntryText {
    /// The text of a stored entry.
    pub fn of(entry: &Entry) -> EntryText {
        let mut content = String::new();
        for html in [&entry.content_html, &entry.summary_html]
            .into_iter()
            .flatten()
        {
            if content.len() >= MAX_FIELD_BYTES {
                break;
            }
            content.push_str(&html_text(html));
            content.push('\n');
        }
        if content.trim().is_empty() {
            content = entry.excerpt.clone();
        }
        EntryText {
            title: cut(&entry.title).to_owned(),
            content: cut(&content).to_owned(),
            author: cut(entry.author.as_deref().unwrap_or("")).to_owned(),
            url: cut(entry.url.as_deref().unwrap_or("")).to_owned(),
            categories: entry.categories.iter().map(|c| cut(c).to_owned()).collect(),
            enclosure_types: entry
                .enclosures
                .iter()
                .filter_map(|e| e.mime_type.as_deref())
                .map(|t| cut(t).trim().to_ascii_lowercase())
                .collect(),
        }
    }
}

/// `s` cut to at most [`MAX_FIELD_BYTES`], on a character boundary.
fn cut(s: &str) -> &str {
    cut_at(s, MAX_FIELD_BYTES)
}

fn cut_at(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Sanitized HTML as text: tags become spaces, entities are decoded.
fn html_text(html: &str) -> String {
    let html = cut_at(html, MAX_HTML_BYTES);
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    html_escape::decode_html_entities(&text).into_owned()
}

/// What a rule does to the entries its condition picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Hide matching entries from this user (and mark them read).
    Block,
    /// Hide the entries of the scope that do *not* match.
    KeepOnly,
    /// Mark matching entries read.
    MarkRead,
    /// Star matching entries.
    Star,
    /// Give matching entries this tag.
    Tag(String),
}

impl Action {
    /// The action named `name` (`block`, `keep-only`, `read`, `star`,
    /// `tag`); `tag` needs the tag's name (see [`check_tag`]).
    pub fn parse(name: &str, tag: Option<&str>) -> Result<Action, String> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "block" => Ok(Action::Block),
            "keep-only" | "keep" => Ok(Action::KeepOnly),
            "read" | "mark-read" => Ok(Action::MarkRead),
            "star" => Ok(Action::Star),
            "tag" => {
                let tag = tag.map(str::trim).unwrap_or("");
                check_tag(tag)?;
                Ok(Action::Tag(tag.to_owned()))
            }
            other => Err(format!(
                "`{other}` is not an action (actions: block, keep-only, read, star, tag)"
            )),
        }
    }

    /// The action's name as stored and written (`keep-only`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::KeepOnly => "keep-only",
            Action::MarkRead => "read",
            Action::Star => "star",
            Action::Tag(_) => "tag",
        }
    }

    /// The tag of a `tag` action.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Action::Tag(t) => Some(t),
            _ => None,
        }
    }

    /// What the action did, for "this rule would have hidden 12 of …".
    pub fn past_tense(&self) -> String {
        match self {
            Action::Block | Action::KeepOnly => "hidden".to_owned(),
            Action::MarkRead => "marked read".to_owned(),
            Action::Star => "starred".to_owned(),
            Action::Tag(t) => format!("tagged “{t}”"),
        }
    }
}

/// `Ok` when `tag` is a usable tag name: 1 to [`MAX_TAG_CHARS`] letters,
/// digits, spaces, `-`, `_` or `.`, not only spaces.
pub fn check_tag(tag: &str) -> Result<(), String> {
    if tag.trim().is_empty() {
        return Err("a tag rule needs the tag's name".to_owned());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!("the tag is longer than {MAX_TAG_CHARS} characters"));
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')))
    {
        return Err(format!(
            "a tag may hold letters, digits, spaces, `-`, `_` and `.`; `{bad}` is not allowed"
        ));
    }
    Ok(())
}

/// Which of the user's entries a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every feed of the user.
    All,
    /// The feeds of a category and of its sub-categories.
    Category(CategoryId),
    /// One feed.
    Feed(FeedId),
}

/// A rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The stored rule's id (0 for one not saved yet, as in a preview).
    pub id: i64,
    /// Where it applies.
    pub scope: Scope,
    /// What it does.
    pub action: Action,
    /// When it does it.
    pub condition: Condition,
}

/// What the rules decided for one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Hide it (block, or outside a keep-only rule's condition); hidden
    /// entries are also marked read.
    pub hide: bool,
    /// Mark it read.
    pub read: bool,
    /// Star it.
    pub star: bool,
    /// Tags to give it.
    pub tags: BTreeSet<String>,
}

impl Verdict {
    /// Whether any rule did anything.
    pub fn is_empty(&self) -> bool {
        !self.hide && !self.read && !self.star && self.tags.is_empty()
    }
}

/// What [`evaluate`] decided.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// One verdict per evaluated entry, in order: the first
    /// `verdicts.len()` entries; the rest were skipped.
    pub verdicts: Vec<Verdict>,
    /// Per rule (in the order given): on how many entries it acted.
    pub acted: Vec<usize>,
    /// Entries not evaluated because the time budget ran out.
    pub skipped: usize,
}

/// Apply `rules` (all covering these entries: the caller picks the rules
/// whose scope holds the entries) to `entries`, until `budget` has passed.
///
/// Each entry is evaluated against every rule or not at all: when the
/// budget runs out, the remaining entries are counted in
/// [`Evaluation::skipped`] and get no verdict, never half of one. A rule
/// "acts" on an entry when it matches (block, read, star, tag) or when it
/// does not (keep-only).
pub fn evaluate(rules: &[Rule], entries: &[EntryText], budget: Duration) -> Evaluation {
    let deadline = Instant::now() + budget;
    let mut out = Evaluation {
        verdicts: Vec::with_capacity(entries.len()),
        acted: vec![0; rules.len()],
        skipped: 0,
    };
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 && Instant::now() >= deadline {
            out.skipped = entries.len() - i;
            break;
        }
        let mut v = Verdict::default();
        for (r, rule) in rules.iter().enumerate() {
            let matched = rule.condition.matches(entry);
            let acts = match &rule.action {
                Action::KeepOnly => !matched,
                _ => matched,
            };
            if !acts {
                continue;
            }
            out.acted[r] += 1;
            match &rule.action {
                Action::Block | Action::KeepOnly => v.hide = true,
                Action::MarkRead => v.read = true,
                Action::Star => v.star = true,
                Action::Tag(t) => {
                    v.tags.insert(t.clone());
                }
            }
        }
        if v.hide {
            v.read = true;
        }
        out.verdicts.push(v);
    }
    out
}
