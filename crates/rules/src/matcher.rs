//! One term's matcher: words and phrases (case-insensitive, whole words)
//! and regular expressions, all compiled to bounded [`regex::Regex`]es.
//!
//! Rust's `regex` crate runs in time linear in the text (no backtracking,
//! so `(a+)+$` cannot explode), and refuses what would need backtracking
//! (backreferences, look-around). What is left to bound is the size of a
//! compiled expression — `a{10000}{10000}` is a hundred million states —
//! and of the lazy DFA's cache: both are capped here, and a pattern that
//! needs more is refused with a sentence saying so.

use regex::{Regex, RegexBuilder};

/// Longest regular expression, in characters.
pub const MAX_PATTERN_CHARS: usize = 300;
/// Largest compiled program of one term, in bytes.
pub const COMPILED_SIZE_LIMIT: usize = 256 * 1024;
/// Largest lazy-DFA cache of one term, in bytes.
pub const DFA_SIZE_LIMIT: usize = 1024 * 1024;
/// Deepest nesting of groups and repetitions inside one regular expression.
const NEST_LIMIT: u32 = 32;

/// A compiled term.
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: Regex,
}

impl Pattern {
    /// A word or a phrase: its words in order, separated by any white
    /// space, case-insensitive, each end on a word boundary when it is a
    /// letter or digit (so `c++` and `#rust` still match).
    pub fn words(text: &str) -> Result<Pattern, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            return Err("an empty word".to_owned());
        };
        let body = words
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join(r"\s+");
        let starts_word = first.chars().next().is_some_and(is_word_char);
        let ends_word = last.chars().last().is_some_and(is_word_char);
        let pattern = format!(
            "(?i){}{body}{}",
            if starts_word { r"\b" } else { "" },
            if ends_word { r"\b" } else { "" }
        );
        compile(&pattern).map(|regex| Pattern { regex })
    }

    /// A regular expression in the `regex` crate's syntax; `insensitive`:
    /// the `i` flag.
    pub fn regex(source: &str, insensitive: bool) -> Result<Pattern, String> {
        if source.chars().count() > MAX_PATTERN_CHARS {
            return Err(format!(
                "the regular expression is longer than {MAX_PATTERN_CHARS} characters"
            ));
        }
        let pattern = if insensitive {
            format!("(?i){source}")
        } else {
            source.to_owned()
        };
        compile(&pattern).map(|regex| Pattern { regex })
    }

    /// Whether the pattern occurs in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(COMPILED_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "the regular expression is too large once compiled (more than {} KiB); \
                 use smaller or fewer repetitions",
                limit / 1024
            ),
            regex::Error::Syntax(text) => {
                // The crate's message spans several lines with a caret
                // under the spot; its last line says what is wrong.
                let reason = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("not understood")
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned();
                format!("the regular expression is not valid: {reason}")
            }
            other => format!("the regular expression is not valid: {other}"),
        })
}
