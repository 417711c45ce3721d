//! Full-text search of one user's entries on PostgreSQL, with SQLite's
//! semantics (see `crate::sqlite::search`): what the user typed is read by
//! the same rules (words and `"phrases"` all required, `word*` a prefix,
//! `-term` excluded, `OR` between alternatives, anything else just words)
//! and becomes a `tsquery` over the words of the index (`fts`); matches
//! are ranked with `ts_rank_cd` (title 1.0, author 0.5, body 0.1: the
//! 10 : 5 : 1 of SQLite's bm25 weights) and come with a snippet made here
//! the way FTS5's `snippet()` makes it, from the stored text and the
//! positions of the matching words.
//!
//! Where the engines still differ:
//! * ranking: `ts_rank_cd` has no inverse document frequency (bm25 ranks a
//!   match of a rare word of an `OR` above one of a common word; here the
//!   field weights decide) and rewards words that stand close together;
//!   both divide by (a function of) the entry's length;
//! * folding: unaccent removes more than FTS5's remove_diacritics 2 (ß, æ,
//!   ø, ł, ligatures, Greek accents fold here, not on SQLite), so a search
//!   on PostgreSQL can find an entry SQLite does not;
//! * words: a letter is what Rust calls alphabetic, which takes in some
//!   combining vowel signs (Indic scripts) that split words in unicode61;
//! * long texts: positions stop at 16383 and a word keeps at most 256 of
//!   them (PostgreSQL's limits), so in a very long body a phrase past that
//!   is not found and its hits are not marked; at most 900 kB of a body's
//!   words are indexed.

use std::collections::HashMap;
use std::ops::Range;

use sqlx::{PgPool, Row};
use tributary_model::UserId;

use crate::postgres::args::{Arg, Sql};
use crate::postgres::fts::{is_word_char, word_spans};
use crate::postgres::pages::{
    item_columns, push_category, require_category_of, require_feed_of, NOT_HIDDEN, VISIBLE,
};
use crate::rows::SearchRow;
use crate::text::{HIT_END, HIT_START};
use crate::{time, SearchHit, SearchQuery, SearchResults, SnippetPart, StoreError, StoreResult};

/// Largest page of hits.
const MAX_LIMIT: u32 = 200;
/// Page size when none is asked for.
const DEFAULT_LIMIT: u32 = 50;
/// Tokens of context in a snippet.
const SNIPPET_TOKENS: i64 = 24;
/// What stands for left-out text at either end of a snippet.
const ELLIPSIS: &str = "…";
/// Weights of `ts_rank_cd` for D (unused), C (body), B (author), A (title).
const WEIGHTS: &str = "'{0, 0.1, 0.5, 1.0}'";
/// The highest position a tsvector holds: later words all have it, so a
/// match there cannot be placed in the text.
const LAST_POSITION: i64 = 16383;

/// One term the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    /// The text, as one phrase (several words if it has several).
    text: String,
    prefix: bool,
}

impl Term {
    /// The term's words, lower-cased, as the index cuts them.
    fn words(&self) -> Vec<String> {
        word_spans(&self.text)
            .into_iter()
            .map(|r| self.text[r].to_lowercase())
            .collect()
    }
}

/// A search as typed: alternatives (each a list of terms that must all
/// match) and the terms no match may have.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    groups: Vec<Vec<Term>>,
    excluded: Vec<Term>,
}

/// A term is searchable if it has a letter or digit (the tokenizer drops the rest).
fn searchable(s: &str) -> bool {
    s.chars().any(is_word_char)
}

/// Read what the user typed: words and `"phrases"` must all match,
/// `word*` matches a prefix, `-term` excludes, `OR` between terms gives
/// alternatives. `Invalid` when nothing is left to look for. The same
/// rules as SQLite's `to_fts`.
fn parse(input: &str) -> StoreResult<Parsed> {
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
    Ok(Parsed { groups, excluded })
}

/// A search made into SQL: the `tsquery` expression, and the words it
/// binds in order (for the snippets).
struct Match {
    /// A `tsquery` expression over bound words (`concat(…)::tsquery`).
    expr: String,
    /// The phrases to mark in snippets (the terms looked for), each as
    /// indexes into the bound words and whether its last word is a prefix.
    phrases: Vec<(Vec<usize>, bool)>,
    /// The placeholders of the bound words, in order.
    words: Vec<String>,
    /// The placeholders of the words that are prefixes.
    prefixes: Vec<String>,
}

/// Bind the words of `parsed` and build its `tsquery`: a phrase is its
/// words joined by `<->` (the last one `:*` for a prefix), the terms of a
/// group are joined by `&`, groups by `|`, exclusions are `& !(…)`. Each
/// word goes through `tributary_query_word` (folded like the index's words,
/// quoted), so nothing the user typed is ever read as tsquery syntax.
fn build_match(sql: &mut Sql, parsed: &Parsed) -> Match {
    let mut pieces: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut phrases = Vec::new();
    // Fixed fragments only: tsquery operators and parentheses, no quotes.
    let lit = |pieces: &mut Vec<String>, s: &str| pieces.push(format!("'{s}'"));
    let mut phrase = |sql: &mut Sql, pieces: &mut Vec<String>, term: &Term| {
        let mut indexes = Vec::new();
        lit(pieces, "(");
        for (i, word) in term.words().into_iter().enumerate() {
            if i > 0 {
                lit(pieces, " <-> ");
            }
            let p = sql.arg(Arg::Text(word));
            pieces.push(format!("tributary_query_word({p})"));
            indexes.push(words.len());
            words.push(p);
        }
        if term.prefix {
            lit(pieces, ":*");
            prefixes.extend(words.last().cloned());
        }
        lit(pieces, ")");
        (indexes, term.prefix)
    };
    let excluding = !parsed.excluded.is_empty();
    if excluding {
        lit(&mut pieces, "(");
    }
    for (g, group) in parsed.groups.iter().enumerate() {
        if g > 0 {
            lit(&mut pieces, " | ");
        }
        lit(&mut pieces, "(");
        for (t, term) in group.iter().enumerate() {
            if t > 0 {
                lit(&mut pieces, " & ");
            }
            phrases.push(phrase(sql, &mut pieces, term));
        }
        lit(&mut pieces, ")");
    }
    if excluding {
        lit(&mut pieces, ") & !(");
        for (t, term) in parsed.excluded.iter().enumerate() {
            if t > 0 {
                lit(&mut pieces, " | ");
            }
            phrase(sql, &mut pieces, term);
        }
        lit(&mut pieces, ")");
    }
    Match {
        expr: format!("concat({})::tsquery", pieces.join(", ")),
        phrases,
        words,
        prefixes,
    }
}

/// Append ` doc @@ <the search>` for the index row `x` (the reader APIs'
/// search filter): `Invalid` as for [`search`].
pub(crate) fn push_match(sql: &mut Sql, index_row: &str, text: &str) -> StoreResult<()> {
    let parsed = parse(text)?;
    let m = build_match(sql, &parsed);
    sql.push(&format!(" {index_row}.doc @@ {}", m.expr));
    Ok(())
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

/// `WITH q AS (…)`: the search's tsquery `q.q`, its folded words
/// `q.words` in the order they were bound, and those that are prefixes
/// `q.prefixes`.
fn push_with(sql: &mut Sql, m: &Match) {
    let folded = |words: &[String]| {
        words
            .iter()
            .map(|w| format!("tributary_fold({w})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    sql.push(&format!(
        "WITH q AS (SELECT {} AS q, ARRAY[{}]::text[] AS words, ARRAY[{}]::text[] AS prefixes) ",
        m.expr,
        folded(&m.words),
        folded(&m.prefixes)
    ));
}

/// `FROM … WHERE …` of a search, with its filters; returns the
/// placeholder of the user.
fn push_from_where(sql: &mut Sql, user: UserId, query: &SearchQuery) -> String {
    let u = sql.arg(Arg::Int(user.0));
    sql.push(&format!(
        " FROM q, entries_search x \
           JOIN entries e ON e.id = x.entry_id \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
           JOIN feeds f ON f.id = e.feed_id \
           LEFT JOIN entry_states st ON st.user_id = {u} AND st.entry_id = e.id \
          WHERE x.doc @@ q.q AND {VISIBLE} AND {NOT_HIDDEN}"
    ));
    if let Some(feed) = query.feed {
        sql.push(" AND e.feed_id = ").bind(Arg::Int(feed.0));
    }
    if let Some(category) = query.category {
        push_category(sql, &u, category);
    }
    if query.unread_only {
        sql.push(" AND NOT COALESCE(st.read, FALSE)");
    }
    if query.starred_only {
        sql.push(" AND COALESCE(st.starred, FALSE)");
    }
    if let Some(since) = query.since {
        sql.push(" AND e.published >= ")
            .bind(Arg::Text(time::to_db(since)));
    }
    if let Some(until) = query.until {
        sql.push(" AND e.published < ")
            .bind(Arg::Text(time::to_db(until)));
    }
    u
}

pub(crate) async fn search(
    pool: &PgPool,
    user: UserId,
    query: &SearchQuery,
) -> StoreResult<SearchResults> {
    let parsed = parse(&query.text)?;
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
    let m = build_match(&mut count, &parsed);
    push_with(&mut count, &m);
    count.push("SELECT count(*)");
    push_from_where(&mut count, user, query);
    let total: i64 = count.query().fetch_one(&mut *conn).await?.try_get(0)?;

    // Rank every match, keep one page, and only then read the text and
    // the positions of the matching words for the snippets.
    let mut page = Sql::default();
    let m = build_match(&mut page, &parsed);
    push_with(&mut page, &m);
    page.push(&format!(
        ", top AS (SELECT e.id AS id, ts_rank_cd({WEIGHTS}, x.doc, q.q, 1)::float8 AS score"
    ));
    let u = push_from_where(&mut page, user, query);
    page.push(" ORDER BY score DESC, e.id DESC LIMIT ")
        .bind(Arg::Int(i64::from(limit)))
        .push(" OFFSET ")
        .bind(Arg::Int(i64::from(query.offset)));
    page.push(&format!(
        ") SELECT {}, top.score AS score, NULL::text AS snippet, \
                x.title AS x_title, x.author AS x_author, x.body AS x_body, q.words AS x_words, \
                (SELECT COALESCE(json_agg(json_build_array(w.lexeme, w.positions)), '[]')::text \
                   FROM unnest(x.doc) w \
                  WHERE w.lexeme = ANY(q.words) \
                     OR EXISTS (SELECT 1 FROM unnest(q.prefixes) p \
                                 WHERE p <> '' AND starts_with(w.lexeme, p))) AS x_hits \
           FROM top CROSS JOIN q \
           JOIN entries_search x ON x.entry_id = top.id \
           JOIN entries e ON e.id = top.id \
           JOIN subscriptions s ON s.feed_id = e.feed_id AND s.user_id = {u} \
           JOIN feeds f ON f.id = e.feed_id \
           LEFT JOIN entry_states st ON st.user_id = {u} AND st.entry_id = e.id \
          ORDER BY top.score DESC, e.id DESC",
        item_columns!()
    ));
    let rows = page.query().fetch_all(&mut *conn).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        use sqlx::FromRow;
        let SearchRow(item, rank, _) = SearchRow::from_row(&row)?;
        let title: String = row.try_get("x_title")?;
        let author: Option<String> = row.try_get("x_author")?;
        let body: String = row.try_get("x_body")?;
        let words: Vec<String> = row.try_get("x_words")?;
        let found: String = row.try_get("x_hits")?;
        let found: Vec<(String, Vec<i64>)> =
            serde_json::from_str(&found).map_err(|e| sqlx::Error::ColumnDecode {
                index: "x_hits".to_owned(),
                source: Box::new(e),
            })?;
        let columns = [
            title.as_str(),
            author.as_deref().unwrap_or(""),
            body.as_str(),
        ];
        let marked = snippet(&columns, &m.phrases, &words, &found);
        hits.push(SearchHit {
            item,
            snippet: snippet_parts(&marked),
            rank,
        });
    }
    Ok(SearchResults { hits, total })
}

/// One match of a phrase in a column (FTS5's "phrase instance").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Instance {
    phrase: usize,
    column: usize,
    /// The word it starts at, counted from 0 in its column.
    offset: i64,
    /// Its length in words.
    size: i64,
}

/// Where the phrases match in `columns`, in column and word order: from
/// `found`, the index's lexemes that are (or start with) a searched word,
/// with their positions. The n-th word of the title has position n, the
/// author's and the body's follow, each one past the end of the field
/// before (see `tributary_search_doc`).
fn instances(
    columns: &[Vec<Range<usize>>],
    phrases: &[(Vec<usize>, bool)],
    words: &[String],
    found: &[(String, Vec<i64>)],
) -> Vec<Instance> {
    let mut at: HashMap<i64, &str> = HashMap::new();
    for (lexeme, positions) in found {
        for &p in positions {
            if p < LAST_POSITION {
                at.insert(p, lexeme);
            }
        }
    }
    let mut out = Vec::new();
    let mut base = 0i64;
    for (column, spans) in columns.iter().enumerate() {
        let n = spans.len() as i64;
        for (phrase, (indexes, prefix)) in phrases.iter().enumerate() {
            let size = indexes.len() as i64;
            if size == 0 {
                continue;
            }
            for offset in 0..=(n - size) {
                let all = indexes.iter().enumerate().all(|(i, &w)| {
                    let word = words.get(w).map_or("", String::as_str);
                    let last = i + 1 == indexes.len();
                    at.get(&(base + offset + i as i64 + 1))
                        .is_some_and(|lexeme| {
                            !word.is_empty()
                                && (*lexeme == word
                                    || (last && *prefix && lexeme.starts_with(word)))
                        })
                });
                if all {
                    out.push(Instance {
                        phrase,
                        column,
                        offset,
                        size,
                    });
                }
            }
        }
        base += n + 1;
    }
    out.sort_by_key(|i| (i.column, i.offset, i.phrase));
    out
}

/// The words that start a sentence in `text` (FTS5's rule: the first
/// word, and any word after white space that follows a `.` or a `:`).
fn sentence_starts(text: &str, spans: &[Range<usize>]) -> Vec<i64> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    for (k, span) in spans.iter().enumerate() {
        if k == 0 {
            starts.push(0);
            continue;
        }
        let mut i = span.start;
        while i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
            i -= 1;
        }
        if i != span.start && i > 0 && matches!(bytes[i - 1], b'.' | b':') {
            starts.push(k as i64);
        }
    }
    starts
}

/// FTS5's score of the window of `SNIPPET_TOKENS` words from `from` in
/// `column`: 1000 for each phrase seen in it, 1 for each further match;
/// and where the window would start to center its matches.
fn window_score(insts: &[Instance], column: usize, from: i64, words_in_column: i64) -> (i64, i64) {
    let mut seen = std::collections::HashSet::new();
    let (mut score, mut first, mut last) = (0i64, -1i64, 0i64);
    for i in insts
        .iter()
        .filter(|i| i.column == column && i.offset >= from && i.offset < from + SNIPPET_TOKENS)
    {
        score += if seen.insert(i.phrase) { 1000 } else { 1 };
        if first < 0 {
            first = i.offset;
        }
        last = i.offset + i.size;
    }
    let mut start = first - (SNIPPET_TOKENS - (last - first)) / 2;
    if start + SNIPPET_TOKENS > words_in_column {
        start = words_in_column - SNIPPET_TOKENS;
    }
    (score, start.max(0))
}

/// The matches of one column merged where they overlap, as FTS5 marks
/// them: `(first word, last word)`.
fn merged(insts: &[Instance], column: usize) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for i in insts.iter().filter(|i| i.column == column) {
        let end = i.offset + i.size - 1;
        match out.last_mut() {
            Some(last) if i.offset <= last.1 => last.1 = last.1.max(end),
            _ => out.push((i.offset, end)),
        }
    }
    out
}

/// The snippet of a hit, as FTS5's `snippet(…, -1, HIT_START, HIT_END,
/// '…', 24)` makes it: the window of 24 words with the most distinct
/// phrases (sentence starts preferred), from whichever column has it, its
/// matches marked, `…` where text is left out.
fn snippet(
    columns: &[&str],
    phrases: &[(Vec<usize>, bool)],
    words: &[String],
    found: &[(String, Vec<i64>)],
) -> String {
    let spans: Vec<Vec<Range<usize>>> = columns.iter().map(|c| word_spans(c)).collect();
    let insts = instances(&spans, phrases, words, found);
    let (mut best_score, mut best_column, mut best_start) = (0i64, 0usize, 0i64);
    for (column, text) in columns.iter().enumerate() {
        let n = spans[column].len() as i64;
        let firsts = sentence_starts(text, &spans[column]);
        for inst in insts.iter().filter(|i| i.column == column) {
            let (score, start) = window_score(&insts, column, inst.offset, n);
            if score > best_score {
                (best_score, best_column, best_start) = (score, column, start);
            }
            if !firsts.is_empty() && n > SNIPPET_TOKENS {
                let mut j = 0;
                while j + 1 < firsts.len() && firsts[j + 1] <= inst.offset {
                    j += 1;
                }
                if firsts[j] < inst.offset {
                    let (score, _) = window_score(&insts, column, firsts[j], n);
                    let score = score + if firsts[j] == 0 { 120 } else { 100 };
                    if score > best_score {
                        (best_score, best_column, best_start) = (score, column, firsts[j]);
                    }
                }
            }
        }
    }

    let text = columns[best_column];
    let spans = &spans[best_column];
    let size = spans.len() as i64;
    let (range_start, range_end) = (best_start, best_start + SNIPPET_TOKENS - 1);
    let marks = merged(&insts, best_column);
    let mut next = marks.iter().copied().skip_while(|m| m.0 < best_start);
    let mut mark = next.next();
    let mut out = String::new();
    if best_start > 0 {
        out.push_str(ELLIPSIS);
    }
    let (mut off, mut open) = (0usize, false);
    for (k, span) in spans.iter().enumerate() {
        let k = k as i64;
        if k < range_start || k > range_end {
            continue;
        }
        if range_start > 0 && k == range_start {
            off = span.start;
        }
        let (m_start, m_end) = mark.unwrap_or((-1, -1));
        if open && (k <= m_start || m_start < 0) && span.start > off {
            out.push(HIT_END);
            open = false;
        }
        if k == m_start && !open {
            out.push_str(&text[off..span.start]);
            out.push(HIT_START);
            off = span.start;
            open = true;
        }
        if k == m_end {
            if !open {
                out.push(HIT_START);
                open = true;
            }
            out.push_str(&text[off..span.end]);
            off = span.end;
            mark = next.next();
        }
        if k == range_end {
            if open {
                let m_start = mark.map_or(-1, |m| m.0);
                if m_start >= 0 && k >= m_start {
                    out.push_str(&text[off..span.end]);
                    off = span.end;
                }
                out.push(HIT_END);
                open = false;
            }
            out.push_str(&text[off..span.end]);
            off = span.end;
        }
    }
    if open {
        out.push(HIT_END);
    }
    if range_end >= size - 1 {
        out.push_str(&text[off..]);
    } else {
        out.push_str(ELLIPSIS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The terms of each alternative and the excluded ones, as (text, prefix).
    type Terms = (Vec<Vec<(String, bool)>>, Vec<(String, bool)>);

    fn terms(input: &str) -> Terms {
        let p = parse(input).unwrap();
        let pair = |t: &Term| (t.text.clone(), t.prefix);
        (
            p.groups
                .iter()
                .map(|g| g.iter().map(pair).collect())
                .collect(),
            p.excluded.iter().map(pair).collect(),
        )
    }

    fn t(text: &str, prefix: bool) -> (String, bool) {
        (text.to_owned(), prefix)
    }

    #[test]
    fn the_query_language_reads_as_on_sqlite() {
        assert_eq!(
            terms("rust sqlite"),
            (vec![vec![t("rust", false), t("sqlite", false)]], vec![])
        );
        assert_eq!(
            terms(r#"rust OR go -"hello world""#),
            (
                vec![vec![t("rust", false)], vec![t("go", false)]],
                vec![t("hello world", false)]
            )
        );
        assert_eq!(
            terms("sql* -x"),
            (vec![vec![t("sql", true)]], vec![t("x", false)])
        );
        assert_eq!(terms("OR a OR").0, vec![vec![t("a", false)]]);
        assert_eq!(
            terms("this or that").0,
            vec![vec![t("this", false), t("or", false), t("that", false)]]
        );
        assert_eq!(
            terms(r#"ab"cd "unclosed"#).0,
            vec![vec![t("ab", false), t("cd ", false), t("unclosed", false)]]
        );
        for q in ["", "   ", "!!!", "\"\"", "*", "-", "OR", "-rust", "- -"] {
            assert!(matches!(parse(q), Err(StoreError::Invalid(_))), "{q:?}");
        }
        match parse("-rust -go") {
            Err(StoreError::Invalid(reason)) => assert!(reason.contains("only excludes")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_tsquery_quotes_every_word() {
        let mut sql = Sql::default();
        let m = build_match(&mut sql, &parse(r#"a "b c" OR d* -e"#).unwrap());
        assert_eq!(
            m.expr,
            "concat('(', '(', '(', tributary_query_word($1), ')', ' & ', '(', \
             tributary_query_word($2), ' <-> ', tributary_query_word($3), ')', ')', \
             ' | ', '(', '(', tributary_query_word($4), ':*', ')', ')', ') & !(', '(', \
             tributary_query_word($5), ')', ')')::tsquery"
        );
        assert_eq!(
            m.phrases,
            vec![(vec![0], false), (vec![1, 2], false), (vec![3], true)]
        );
        assert_eq!(m.words.len(), 5);
        assert_eq!(m.prefixes, ["$4"]);
    }

    /// Marks as FTS5's snippet() places them, for a body of `n` words
    /// `w0 … w{n-1}` matched at the words given.
    fn marked(n: usize, at: &[i64]) -> String {
        let body: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
        let body = body.join(" ") + ".";
        let words = vec!["x".to_owned()];
        // Positions: empty title and author come first (base 2).
        let found = vec![("x".to_owned(), at.iter().map(|k| k + 3).collect())];
        snippet(&["", "", &body], &[(vec![0], false)], &words, &found)
    }

    #[test]
    fn snippets_are_windows_around_the_hits() {
        assert_eq!(marked(3, &[1]), "w0 \u{1}w1\u{2} w2.");
        // A long body: 24 words around the hit, ellipses at both ends.
        let s = marked(100, &[50]);
        assert!(s.starts_with("…w39 "), "{s}");
        assert!(s.contains("\u{1}w50\u{2}"), "{s}");
        assert!(s.ends_with(" w62…"), "{s}");
        // Neighbouring hits are marked apart, as FTS5 marks them.
        assert_eq!(marked(3, &[0, 1]), "\u{1}w0\u{2} \u{1}w1\u{2} w2.");
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
