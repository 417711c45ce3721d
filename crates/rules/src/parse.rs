//! The expression language of a rule's condition, read into an [`Expr`].
//!
//! ```text
//! expr    := and (OR and)*
//! and     := not ([AND] not)*          two conditions side by side: AND
//! not     := NOT not | primary
//! primary := "(" expr ")" | [FIELD ":"] value
//! value   := word | "a phrase" | /regular expression/[i]
//! ```
//!
//! `AND`, `OR` and `NOT` are operators only in capitals (`and` is a word).
//! A field name is one of [`Field`]'s; a word with a colon in it whose
//! prefix is not a field (`https://…`) is refused with a hint to quote it,
//! rather than silently searched for. Every error names the column (in
//! characters, from 1) and what was wrong there.

use crate::matcher::{Pattern, MAX_PATTERN_CHARS};
use crate::RuleError;

/// Longest expression, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 2000;
/// Most terms (words, phrases, regular expressions) in one expression.
pub const MAX_TERMS: usize = 64;
/// Deepest nesting of parentheses and `NOT`s.
pub const MAX_DEPTH: usize = 32;

/// What a term looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The entry's title.
    Title,
    /// Its content and summary, as text (tags dropped, entities decoded).
    Content,
    /// Its author.
    Author,
    /// Its link.
    Url,
    /// Any of the categories (tags) the feed gave it.
    Category,
    /// The MIME type of any of its enclosures (`audio/mpeg`).
    Enclosure,
}

impl Field {
    /// Every field, as written in expressions.
    pub const ALL: [(&'static str, Field); 6] = [
        ("title", Field::Title),
        ("content", Field::Content),
        ("author", Field::Author),
        ("url", Field::Url),
        ("category", Field::Category),
        ("enclosure", Field::Enclosure),
    ];

    fn named(name: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }
}

/// Which fields a term looks at: one, or (no field written) title and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `title:…` and the like.
    Field(Field),
    /// A term without a field: the title or the content.
    TitleOrContent,
}

/// A parsed condition.
#[derive(Debug, Clone)]
pub enum Expr {
    /// One word, phrase or regular expression.
    Term(Target, Pattern),
    /// Not the inner condition.
    Not(Box<Expr>),
    /// All of these.
    And(Vec<Expr>),
    /// Any of these.
    Or(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A term: its field (if one was written) and value.
    Term(Option<Field>, Value),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// A bare word or a quoted phrase: matched as words.
    Words(String),
    /// `/…/flags`: the pattern and whether `i` was given.
    Regex(String, bool),
}

/// A token and the column (1-based, in characters) it starts at.
type Spanned = (Tok, usize);

/// Read `source` into an expression.
pub fn parse(source: &str) -> Result<Expr, RuleError> {
    let chars: Vec<char> = source.chars().collect();
    if chars.len() > MAX_EXPRESSION_CHARS {
        return Err(RuleError::new(
            MAX_EXPRESSION_CHARS + 1,
            format!(
                "the expression is {} characters long; at most {MAX_EXPRESSION_CHARS} are allowed",
                chars.len()
            ),
        ));
    }
    let tokens = lex(&chars)?;
    if tokens.is_empty() {
        return Err(RuleError::new(
            1,
            "the expression is empty; write a word, a \"phrase\", a /regex/ or FIELD:value",
        ));
    }
    let terms = tokens
        .iter()
        .filter(|(t, _)| matches!(t, Tok::Term(..)))
        .count();
    if terms > MAX_TERMS {
        return Err(RuleError::new(
            1,
            format!("the expression has {terms} terms; at most {MAX_TERMS} are allowed"),
        ));
    }
    let mut p = Parser {
        tokens,
        at: 0,
        end: chars.len() + 1,
    };
    let expr = p.or(0)?;
    match p.peek() {
        None => Ok(expr),
        Some((Tok::Close, col)) => Err(RuleError::new(col, "`)` without a matching `(`")),
        Some((_, col)) => Err(RuleError::new(col, "unexpected text here")),
    }
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')' || c == '"'
}

fn lex(chars: &[char]) -> Result<Vec<Spanned>, RuleError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((Tok::Open, col));
            i += 1;
        } else if c == ')' {
            out.push((Tok::Close, col));
            i += 1;
        } else if c == '"' || c == '/' {
            let (value, next) = value_at(chars, i, None)?;
            out.push((Tok::Term(None, value), col));
            i = next;
        } else {
            let start = i;
            while i < chars.len() && !is_delimiter(chars[i]) && chars[i] != ':' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if i < chars.len() && chars[i] == ':' {
                let field = Field::named(&word).ok_or_else(|| {
                    let names: Vec<&str> = Field::ALL.iter().map(|(n, _)| *n).collect();
                    RuleError::new(
                        col,
                        format!(
                            "`{word}:` is not a field (fields: {}); to match text with a colon \
                             in it, put it in quotes",
                            names.join(", ")
                        ),
                    )
                })?;
                let (value, next) = value_at(chars, i + 1, Some(&word))?;
                out.push((Tok::Term(Some(field), value), col));
                i = next;
                continue;
            }
            let tok = match word.as_str() {
                "AND" => Tok::And,
                "OR" => Tok::Or,
                "NOT" => Tok::Not,
                _ => Tok::Term(None, Value::Words(word)),
            };
            out.push((tok, col));
        }
    }
    Ok(out)
}

/// The value starting at `i` (after `field:` when `field` is given): a
/// quoted phrase, a `/regex/` or a bare word. Returns it and the index after it.
fn value_at(chars: &[char], i: usize, field: Option<&str>) -> Result<(Value, usize), RuleError> {
    let col = i + 1;
    let after = || match field {
        Some(f) => format!(" after `{f}:`"),
        None => String::new(),
    };
    match chars.get(i) {
        Some('"') => {
            let mut text = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => {
                        return Err(RuleError::new(col, "this `\"` is never closed"));
                    }
                    Some('\\') if matches!(chars.get(j + 1), Some('"' | '\\')) => {
                        text.push(chars[j + 1]);
                        j += 2;
                    }
                    Some('"') => break,
                    Some(&c) => {
                        text.push(c);
                        j += 1;
                    }
                }
            }
            if text.split_whitespace().next().is_none() {
                return Err(RuleError::new(col, "the phrase in quotes is empty"));
            }
            Ok((Value::Words(text), j + 1))
        }
        Some('/') => {
            let mut pattern = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => {
                        return Err(RuleError::new(
                            col,
                            "this regular expression is never closed with `/` (write `\\/` for a \
                             slash inside it)",
                        ));
                    }
                    Some('\\') if chars.get(j + 1) == Some(&'/') => {
                        pattern.push('/');
                        j += 2;
                    }
                    Some('\\') => {
                        pattern.push('\\');
                        if let Some(&c) = chars.get(j + 1) {
                            pattern.push(c);
                        }
                        j += 2;
                    }
                    Some('/') => break,
                    Some(&c) => {
                        pattern.push(c);
                        j += 1;
                    }
                }
            }
            if pattern.is_empty() {
                return Err(RuleError::new(col, "the regular expression `//` is empty"));
            }
            if pattern.chars().count() > MAX_PATTERN_CHARS {
                return Err(RuleError::new(
                    col,
                    format!(
                        "the regular expression is {} characters long; at most \
                         {MAX_PATTERN_CHARS} are allowed",
                        pattern.chars().count()
                    ),
                ));
            }
            j += 1;
            let mut insensitive = false;
            while let Some(&c) = chars.get(j) {
                if is_delimiter(c) {
                    break;
                }
                if c == 'i' {
                    insensitive = true;
                    j += 1;
                } else {
                    return Err(RuleError::new(
                        j + 1,
                        format!(
                            "`{c}` is not a flag of a regular expression (only `i`, ignore case)"
                        ),
                    ));
                }
            }
            Ok((Value::Regex(pattern, insensitive), j))
        }
        Some(&c) if !is_delimiter(c) => {
            let mut j = i;
            while j < chars.len() && !is_delimiter(chars[j]) {
                j += 1;
            }
            Ok((Value::Words(chars[i..j].iter().collect()), j))
        }
        _ => Err(RuleError::new(
            col,
            format!(
                "expected a word, a \"phrase\" or a /regular expression/{}",
                after()
            ),
        )),
    }
}

struct Parser {
    tokens: Vec<Spanned>,
    at: usize,
    /// The column just after the text, for "found the end" errors.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<(Tok, usize)> {
        self.tokens.get(self.at).cloned()
    }

    fn bump(&mut self) -> Option<(Tok, usize)> {
        let t = self.peek();
        self.at += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Expr, RuleError> {
        let mut parts = vec![self.and(depth)?];
        while let Some((Tok::Or, _)) = self.peek() {
            self.bump();
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, RuleError> {
        let mut parts = vec![self.not(depth, None)?];
        loop {
            match self.peek() {
                Some((Tok::And, col)) => {
                    self.bump();
                    parts.push(self.not(depth, Some(("AND", col)))?);
                }
                // Side by side: AND.
                Some((Tok::Term(..) | Tok::Not | Tok::Open, _)) => {
                    parts.push(self.not(depth, None)?);
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    /// `after`: the operator just read, to name it when nothing follows.
    fn not(&mut self, depth: usize, after: Option<(&str, usize)>) -> Result<Expr, RuleError> {
        if depth > MAX_DEPTH {
            let col = self.peek().map_or(self.end, |(_, c)| c);
            return Err(RuleError::new(
                col,
                format!("parentheses and NOTs are nested more than {MAX_DEPTH} deep"),
            ));
        }
        match self.bump() {
            Some((Tok::Not, col)) => Ok(Expr::Not(Box::new(
                self.not(depth + 1, Some(("NOT", col)))?,
            ))),
            Some((Tok::Open, col)) => {
                if let Some((Tok::Close, c)) = self.peek() {
                    return Err(RuleError::new(c, "empty parentheses `()`"));
                }
                let inner = self.or(depth + 1)?;
                match self.bump() {
                    Some((Tok::Close, _)) => Ok(inner),
                    _ => Err(RuleError::new(col, "this `(` is never closed")),
                }
            }
            Some((Tok::Term(field, value), col)) => term(field, value, col),
            Some((tok, col)) => {
                let what = match tok {
                    Tok::And => "`AND`",
                    Tok::Or => "`OR`",
                    _ => "`)`",
                };
                Err(RuleError::new(
                    col,
                    format!("expected a condition, found {what}{}", operand(after)),
                ))
            }
            None => Err(RuleError::new(
                self.end,
                format!("expected a condition, found the end{}", operand(after)),
            )),
        }
    }
}

fn operand(after: Option<(&str, usize)>) -> String {
    match after {
        Some((op, col)) => format!(" (`{op}` at column {col} needs a condition after it)"),
        None => String::new(),
    }
}

fn term(field: Option<Field>, value: Value, col: usize) -> Result<Expr, RuleError> {
    let target = field.map_or(Target::TitleOrContent, Target::Field);
    let pattern = match value {
        Value::Words(w) => Pattern::words(&w),
        Value::Regex(r, insensitive) => Pattern::regex(&r, insensitive),
    }
    .map_err(|message| RuleError::new(col, message))?;
    Ok(Expr::Term(target, pattern))
}
