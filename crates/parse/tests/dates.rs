//! Every date vector of Python feedparser's test suite
//! (`../shared/corpus/feedparser/DATES.tsv`) through [`parse_date`].
//!
//! Each row names the feedparser reader it was written for (`rfc822`,
//! `w3dtf`, `greek` …), the input, and the expected UTC result or `None`
//! ("must not parse"). We have one function for all of them, so every row
//! must hold for it — except the rows in [`DEVIATIONS`], where two readers of
//! feedparser disagree about the same shape of input and one function cannot
//! satisfy both. The test checks that those rows really do still deviate, so
//! the list cannot go stale.

use chrono::SecondsFormat;
use tributary_parse::parse_date;

const DATES_TSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/feedparser/DATES.tsv"
);

/// Rows (parser, input) we answer differently on purpose, with the reason.
const DEVIATIONS: &[(&str, &str, &str)] = &[(
    "iso8601",
    "03335",
    "five digits: feedparser's w3dtf vector `22013` must be None (year too long), \
     its iso8601 vector `03335` must be 2003's day 335; we refuse both shapes \
     rather than invent a date from a five-digit number",
)];

struct Vector {
    line: usize,
    parser: String,
    input: String,
    expected: Option<String>,
    note: String,
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(DATES_TSV).unwrap_or_else(|e| {
        panic!("the feedparser corpus is missing: cannot read {DATES_TSV}: {e}")
    });
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h).unwrap_or_default();
    assert!(
        header.starts_with("parser\tinput\texpected_utc"),
        "unexpected DATES.tsv header: {header:?}"
    );
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(cols.len() >= 3, "DATES.tsv line {}: too few columns", i + 1);
            Vector {
                line: i + 1,
                parser: cols[0].to_owned(),
                input: cols[1].to_owned(),
                expected: (cols[2] != "None").then(|| cols[2].to_owned()),
                note: cols.get(4).copied().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// Our answer in the file's notation: `YYYY-MM-DDTHH:MM:SSZ` (four-digit year).
fn ours(input: &str) -> Option<String> {
    parse_date(input).map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[test]
fn every_feedparser_date_vector() {
    let vectors = vectors();
    assert!(
        vectors.len() >= 70,
        "DATES.tsv has only {} vectors: is the corpus complete?",
        vectors.len()
    );
    let mut failures = Vec::new();
    let mut deviations_seen = 0;
    for v in &vectors {
        let got = ours(&v.input);
        let deviation = DEVIATIONS
            .iter()
            .find(|(p, i, _)| *p == v.parser && *i == v.input);
        match deviation {
            Some((_, _, reason)) => {
                deviations_seen += 1;
                if got == v.expected {
                    failures.push(format!(
                        "line {} {} {:?}: now matches feedparser ({:?}); remove it from DEVIATIONS ({reason})",
                        v.line, v.parser, v.input, got
                    ));
                }
            }
            None if got != v.expected => failures.push(format!(
                "line {} {} {:?} ({}): expected {:?}, got {:?}",
                v.line, v.parser, v.input, v.note, v.expected, got
            )),
            None => {}
        }
    }
    assert_eq!(
        deviations_seen,
        DEVIATIONS.len(),
        "a row of DEVIATIONS is no longer in DATES.tsv"
    );
    assert!(
        failures.is_empty(),
        "{} of {} date vectors fail:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

/// Every "must not parse" vector gives None — the rule the issue states
/// outright, checked on its own so its failure message is plain.
#[test]
fn invalid_vectors_give_none() {
    let bad: Vec<String> = vectors()
        .iter()
        .filter(|v| v.expected.is_none())
        .filter_map(|v| ours(&v.input).map(|got| format!("{:?} → {got}", v.input)))
        .collect();
    assert!(bad.is_empty(), "invalid dates parsed:\n{}", bad.join("\n"));
}

/// The vectors survive surrounding whitespace and never panic when cut at
/// any character boundary (feeds truncate dates in every possible place).
#[test]
fn truncated_vectors_do_not_panic() {
    for v in vectors() {
        assert_eq!(
            ours(&format!("  {}\n", v.input)),
            ours(&v.input),
            "whitespace changed the answer for {:?}",
            v.input
        );
        for (i, _) in v.input.char_indices() {
            let _ = parse_date(&v.input[..i]);
            let _ = parse_date(&v.input[i..]);
        }
    }
}
