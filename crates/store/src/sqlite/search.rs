//! Full-text search of one user's entries: what the user typed becomes a
//! safe FTS5 expression (every term quoted), matches are ranked with bm25
//! (title 10, author 5, body 1) and come with a snippet.

use sqlx::SqlitePool;
use tributary_model::UserId;

use crate::rows::SearchRow;
use crate::sqlite::args::{Arg, Sql};
use crate::sqlite::pages::{
    item_columns, push_category, require_category_of, require_feed_of, NOT_HIDDEN, VISIBLE,
};
use crate::text::{HIT_END, HIT_START};
use crate::{time, SearchHit, SearchQuery, SearchResults, SnippetPart, StoreError, StoreResult};

/// Largest page of hits.
const MAX_LIMIT: u32 = 200;
/// Page size when none is asked for.
const DEFAULT_LIMIT: u32 = 50;
/// Tokens of context in a snippet.
const SNIPPET_TOKENS: u32 = 24;

/// One term the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    /// The text, as one FTS5 string (a phrase if it has several words).
    text: String,
    prefix: bool,
}

impl Term {
    fn fts(&self) -> String {
        let quoted = format!("\"{}\"", self.text.replace('"', "\"\""));
        if self.prefix {
            quoted + "*"
        } else {
            quoted
        }
    }
}

/// A term is searchable if it has a letter or digit (the tokenizer drops the rest).
fn searchable(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

/// Turn what the user typed into an FTS5 expression: words and `"phrases"`
/// must all match, `word*` matches a prefix, `-term` excludes, `OR` between
/// terms gives alternatives. `Invalid` when nothing is left to look for.
pub(crate) fn to_fts(input: &str) -> StoreResult<String> {
    let mut groups: Vec<Vec<Term>> = vec![Vec::new()];
    let mut excluded: Vec<Term> = Vec::new();
    let mut chars = input.chars().peekable();
    let mut had_exclusions = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negative = c == '-';
        if negative {
            chars.next();
            if chars.peek().is_none_or(|c| c.is_whitespace()) {
                continue;
            }
        }
        let (text, quoted) = if chars.peek() == Some(&'"') {
            chars.next();
            let mut phrase = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                phrase.push(c);
            }
            (phrase, true)
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            (word, false)
        };
        if !quoted && !negative && text == "OR" {
            if groups.last().is_some_and(|g| !g.is_empty()) {
                groups.push(Vec::new());
            }
            continue;
        }
        let (text, prefix) = match text.strip_suffix('*') {
            Some(stem) if !quoted => (stem.trim_end_matches('*').to_owned(), true),
            _ => (text, false),
        };
        if !searchable(&text) {
            had_exclusions |= negative;
            continue;
        }
        let term = Term { text, prefix };
        if negative {
            had_exclusions = true;
            excluded.push(term);
        } else if let Some(group) = groups.last_mut() {
            group.push(term);
        }
    }
    groups.retain(|g| !g.is_empty());
    if groups.is_empty() {
        return Err(StoreError::Invalid(if had_exclusions {
            "the search only excludes words; give at least one word to look for".to_owned()
        } else {
            "the search has no words to look for (only spaces or punctuation)".to_owned()
        }));
    }
    let positive = groups
        .iter()
        .map(|g| {
            let and: Vec<String> = g.iter().map(Term::fts).collect();
            format!("({})", and.join(" AND "))
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    if excluded.is_empty() {
        Ok(positive)
    } else {
        let not: Vec<String> = excluded.iter().map(Term::fts).collect();
        Ok(format!("({positive}) NOT ({})", not.join(" OR ")))
    }
}

/// Split a snippet with hit markers into parts.
fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut hit = false;
    let mut text = String::new();
    let flush = |text: &mut String, hit: bool, parts: &mut Vec<SnippetPart>| {
        if !text.is_empty() {
            parts.push(SnippetPart {
                text: std::mem::take(text),
                hit,
            });
        }
    };
    for c in marked.chars() {
        match c {
            HIT_START => {
                flush(&mut text, hit, &mut parts);
                hit = true;
            }
            HIT_END => {
                flush(&mut text, hit, &mut parts);
                hit = false;
            }
            c => text.push(c),
        }
    }
    flush(&mut text, hit, &mut parts);
    parts
}

/// `FROM … WHERE …` of a search, with its filters; returns the
/// placeholders of the user and of the match expression.
fn push_from_where(
    sql: &mut Sql,
    user: UserId,
    expr: String,
    query: &SearchQuery,
) -> (String, String) {
    let u = sql.arg(Arg::Int(user.0));
    let m = sql.arg(Arg::Text(expr));
    sql.push(&format!(
        " FROM entries_fts \
           JOIN entries e ON e.id = entries_fts.rowid \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
           JOIN feeds f ON f.id = e.feed_id \
           LEFT JOIN entry_states st ON st.user_id = {u} AND st.entry_id = e.id \
          WHERE entries_fts MATCH {m} AND {VISIBLE} AND {NOT_HIDDEN}"
    ));
    if let Some(feed) = query.feed {
        sql.push(" AND e.feed_id = ").bind(Arg::Int(feed.0));
    }
    if let Some(category) = query.category {
        push_category(sql, &u, category);
    }
    if query.unread_only {
        sql.push(" AND COALESCE(st.read, 0) = 0");
    }
    if query.starred_only {
        sql.push(" AND COALESCE(st.starred, 0) = 1");
    }
    if let Some(since) = query.since {
        sql.push(" AND e.published >= ")
            .bind(Arg::Text(time::to_db(since)));
    }
    if let Some(until) = query.until {
        sql.push(" AND e.published < ")
            .bind(Arg::Text(time::to_db(until)));
    }
    (u, m)
}

pub(crate) async fn search(
    pool: &SqlitePool,
    user: UserId,
    query: &SearchQuery,
) -> StoreResult<SearchResults> {
    let expr = to_fts(&query.text)?;
    let mut conn = pool.acquire().await?;
    if let Some(feed) = query.feed {
        require_feed_of(&mut conn, user, feed).await?;
    }
    if let Some(category) = query.category {
        require_category_of(&mut conn, user, category).await?;
    }
    let limit = match query.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };

    let mut count = Sql::default();
    count.push("SELECT count(*)");
    push_from_where(&mut count, user, expr.clone(), query);
    let total: i64 = {
        use sqlx::Row;
        count.query().fetch_one(&mut *conn).await?.try_get(0)?
    };

    // Rank every match, keep one page, and only then make snippets (each
    // one reads and tokenizes its entry's text again).
    let mut page = Sql::default();
    page.push("WITH top AS (SELECT e.id AS id, -bm25(entries_fts, 10.0, 5.0, 1.0) AS score");
    let (u, m) = push_from_where(&mut page, user, expr, query);
    page.push(" ORDER BY score DESC, e.id DESC LIMIT ")
        .bind(Arg::Int(i64::from(limit)))
        .push(" OFFSET ")
        .bind(Arg::Int(i64::from(query.offset)));
    page.push(&format!(
        ") SELECT {}, top.score AS score, \
                snippet(entries_fts, -1, char(1), char(2), '…', {SNIPPET_TOKENS}) AS snippet \
           FROM top CROSS JOIN entries_fts ON entries_fts.rowid = top.id \
           JOIN entries e ON e.id = top.id \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
           JOIN feeds f ON f.id = e.feed_id \
           LEFT JOIN entry_states st ON st.user_id = {u} AND st.entry_id = e.id \
          WHERE entries_fts MATCH {m} \
          ORDER BY top.score DESC, e.id DESC",
        item_columns!()
    ));
    let rows: Vec<SearchRow> = page.query_as().fetch_all(&mut *conn).await?;
    Ok(SearchResults {
        hits: rows
            .into_iter()
            .map(|SearchRow(item, rank, snippet)| SearchHit {
                item,
                snippet: snippet_parts(&snippet),
                rank,
            })
            .collect(),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_all_required() {
        assert_eq!(to_fts("rust sqlite").unwrap(), r#"("rust" AND "sqlite")"#);
        // FTS5 syntax typed by the user is searched as words.
        assert_eq!(
            to_fts("title:foo NEAR(a b) ^x").unwrap(),
            r#"("title:foo" AND "NEAR(a" AND "b)" AND "^x")"#
        );
    }

    #[test]
    fn phrases_prefixes_exclusions_and_or() {
        assert_eq!(to_fts(r#""new release""#).unwrap(), r#"("new release")"#);
        assert_eq!(to_fts("sql*").unwrap(), r#"("sql"*)"#);
        assert_eq!(to_fts("rust -java").unwrap(), r#"(("rust")) NOT ("java")"#);
        assert_eq!(
            to_fts(r#"rust OR go -"hello world""#).unwrap(),
            r#"(("rust") OR ("go")) NOT ("hello world")"#
        );
        assert_eq!(to_fts("a b OR c").unwrap(), r#"("a" AND "b") OR ("c")"#);
        // A lone or dangling OR is nothing; lower-case or is a word.
        assert_eq!(to_fts("OR rust OR").unwrap(), r#"("rust")"#);
        assert_eq!(
            to_fts("this or that").unwrap(),
            r#"("this" AND "or" AND "that")"#
        );
    }

    #[test]
    fn quotes_inside_words_cannot_break_out() {
        assert_eq!(to_fts(r#"ab"cd"#).unwrap(), r#"("ab" AND "cd")"#);
        assert_eq!(
            to_fts(r#""unclosed phrase"#).unwrap(),
            r#"("unclosed phrase")"#
        );
    }

    #[test]
    fn nothing_to_look_for_is_invalid_with_a_reason() {
        for q in [
            "",
            "   ",
            "!!! ... ???",
            "\"\"",
            "*",
            "-",
            "OR",
            "-rust",
            "- -",
        ] {
            match to_fts(q) {
                Err(StoreError::Invalid(reason)) => assert!(!reason.is_empty(), "{q:?}"),
                other => panic!("{q:?} gave {other:?}"),
            }
        }
        match to_fts("-rust -go") {
            Err(StoreError::Invalid(reason)) => assert!(reason.contains("only excludes")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn snippets_split_into_hits_and_text() {
        let parts = snippet_parts("a \u{1}b\u{2} c \u{1}d\u{2}");
        let got: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.hit)).collect();
        assert_eq!(
            got,
            [("a ", false), ("b", true), (" c ", false), ("d", true)]
        );
        assert!(snippet_parts("").is_empty());
    }
}
