//! Table tests of the rule language: matching, boolean combinations,
//! errors with their columns, and the limits on regular expressions and
//! on evaluation time.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use tributary_model::{Enclosure, Entry, EntryId, FeedId};
use tributary_rules::{
    check_tag, evaluate, Action, Condition, EntryText, Rule, Scope, MAX_FIELD_BYTES,
};

fn entry() -> EntryText {
    EntryText {
        title: "Sponsored: the Best VPN deals of 2026".into(),
        content: "Our partner sent us a C++ gadget. Read the full review on example.org.".into(),
        author: "Jane Doe".into(),
        url: "https://blog.example.net/2026/05/vpn-deals?utm_source=x".into(),
        categories: vec!["Podcast".into(), "Off Topic".into()],
        enclosure_types: vec!["audio/mp4".into()],
    }
}

fn holds(expr: &str) -> bool {
    Condition::parse(expr)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .matches(&entry())
}

#[test]
fn terms_match_whole_words_case_insensitively_in_their_field() {
    let cases = [
        ("sponsored", true),
        ("SPONSORED", true),
        ("sponsor", false), // word-bounded
        ("title:vpn", true),
        ("content:vpn", false),
        ("title:\"best vpn\"", true),
        ("title:\"best   VPN deals\"", true),
        ("title:\"vpn best\"", false),
        ("gadget", true), // no field: title or content
        ("jane", false),  // … not author
        ("author:jane", true),
        ("author:\"jane doe\"", true),
        ("author:doe", true),
        ("c++", true), // ends in a non-word character: no boundary needed
        ("content:example.org", true),
        ("url:example.net", true),
        ("url:utm_source", true),
        ("url:example.org", false),
        ("category:podcast", true),
        ("category:\"off topic\"", true),
        ("category:topic", true),
        ("category:music", false),
        ("enclosure:audio/mp4", true),
        ("enclosure:audio", true),
        ("enclosure:audio/mpeg", false),
        ("enclosure:video", false),
        ("Title:vpn", true), // field names in any case
        ("and", false),      // lower-case operators are words
    ];
    for (expr, want) in cases {
        assert_eq!(holds(expr), want, "{expr}");
    }
}

#[test]
fn regular_expressions_match_as_written() {
    let cases = [
        ("/VPN/", true),
        ("/vpn/", false), // case-sensitive without i
        ("/vpn/i", true),
        ("title:/^Sponsored:/", true),
        ("title:/^the/i", false),
        ("url:/\\/2026\\/\\d{2}\\//", true),
        ("url:/2026/05/", false), // `/` ends the pattern: /2026/ then `05/`?
        ("category:/^pod/i", true),
        ("category:/^topic/i", false), // anchored per category
        ("enclosure:/^audio\\/(mp4|mpeg)$/", true),
        ("author:/D.e$/", true),
    ];
    for (expr, want) in cases {
        match Condition::parse(expr) {
            Ok(c) => assert_eq!(c.matches(&entry()), want, "{expr}"),
            // `/2026/05/` is the pattern `2026` followed by junk: refused.
            Err(e) => assert!(!want, "{expr}: {e}"),
        }
    }
}

#[test]
fn boolean_combinations() {
    let cases = [
        ("sponsored AND vpn", true),
        ("sponsored vpn", true), // side by side: AND
        ("sponsored AND music", false),
        ("music OR vpn", true),
        ("music OR jazz", false),
        ("NOT music", true),
        ("NOT sponsored", false),
        ("NOT NOT sponsored", true),
        ("music OR jazz OR vpn", true),
        ("sponsored AND (music OR jazz)", false),
        ("sponsored AND (music OR vpn)", true),
        ("(sponsored AND music) OR jazz", false),
        // AND binds tighter than OR.
        ("jazz AND music OR vpn", true),
        ("vpn OR jazz AND music", true),
        ("(vpn OR jazz) AND music", false),
        (
            "title:sponsored OR (category:podcast AND NOT enclosure:audio/mpeg)",
            true,
        ),
        (
            "title:music OR (category:podcast AND NOT enclosure:audio/mp4)",
            false,
        ),
        (
            "title:music OR (category:podcast AND NOT enclosure:audio/mpeg)",
            true,
        ),
        ("NOT (music OR jazz) AND author:jane", true),
        ("((((vpn))))", true),
    ];
    for (expr, want) in cases {
        assert_eq!(holds(expr), want, "{expr}");
    }
}

#[test]
fn errors_name_the_column_and_the_problem() {
    let cases: [(&str, usize, &str); 16] = [
        ("", 1, "empty"),
        ("   ", 1, "empty"),
        ("title:", 7, "expected a word"),
        ("title: vpn", 7, "after `title:`"),
        ("vpn AND", 8, "`AND` at column 5 needs a condition"),
        ("vpn OR", 7, "found the end"),
        ("NOT", 4, "`NOT` at column 1"),
        ("AND vpn", 1, "found `AND`"),
        ("(vpn", 1, "never closed"),
        ("vpn)", 4, "without a matching `(`"),
        ("()", 2, "empty parentheses"),
        ("\"best vpn", 1, "never closed"),
        ("/vpn", 1, "never closed"),
        ("titel:vpn", 1, "`titel:` is not a field"),
        ("vpn /a(/", 5, "not valid"),
        ("/a/x", 4, "`x` is not a flag"),
    ];
    for (expr, col, text) in cases {
        let e = Condition::parse(expr).expect_err(expr);
        assert_eq!(e.position, col, "{expr}: {e}");
        assert!(e.message.contains(text), "{expr}: {e}");
        assert!(e.to_string().starts_with(&format!("at column {col}: ")));
    }
}

#[test]
fn pathological_regular_expressions_are_refused_or_bounded() {
    // Refused when compiled: too big, or needing backtracking.
    let refused = [
        ("/a{10000}{10000}/", "too large once compiled"),
        ("/(x{1000}){1000}/", "too large once compiled"),
        ("/\\w{5000}/", "too large once compiled"),
        ("/(a)\\1/", "not valid"),  // backreference
        ("/(?=a)b/", "not valid"),  // look-ahead
        ("/(?<!a)b/", "not valid"), // look-behind
        (
            "/((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))/",
            "not valid",
        ), // nesting
    ];
    for (expr, text) in refused {
        let e = Condition::parse(expr).expect_err(expr);
        assert!(e.message.contains(text), "{expr}: {e}");
        assert_eq!(e.position, 1, "{expr}");
    }
    let long = format!("/{}/", "a".repeat(301));
    assert!(Condition::parse(&long)
        .unwrap_err()
        .message
        .contains("at most 300"));
    let many = vec!["word"; 65].join(" OR ");
    assert!(Condition::parse(&many)
        .unwrap_err()
        .message
        .contains("65 terms"));
    let huge = "a ".repeat(1500);
    assert!(Condition::parse(&huge)
        .unwrap_err()
        .message
        .contains("at most 2000"));
    let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    assert!(Condition::parse(&deep)
        .unwrap_err()
        .message
        .contains("nested"));
    let nots = format!("{}a", "NOT ".repeat(40));
    assert!(Condition::parse(&nots)
        .unwrap_err()
        .message
        .contains("nested"));

    // Accepted and linear: the classic catastrophic-backtracking patterns
    // take microseconds over the longest text a field can hold.
    let bounded = ["/(a+)+$/", "/(a|aa)+b/", "/(.*a){12}/", "/^(\\w+\\s?)*$/"];
    let text = EntryText {
        title: "a".repeat(MAX_FIELD_BYTES) + "!",
        ..Default::default()
    };
    for expr in bounded {
        let c = Condition::parse(&format!("title:{expr}")).expect(expr);
        let start = std::time::Instant::now();
        c.matches(&text);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{expr} took {:?}",
            start.elapsed()
        );
    }
}

fn stored(title: &str, html: &str) -> Entry {
    Entry {
        id: EntryId(1),
        feed_id: FeedId(1),
        key: "k".into(),
        guid: None,
        url: Some("https://example.org/a".into()),
        canonical_url: None,
        title: title.into(),
        author: None,
        content_html: Some(html.into()),
        summary_html: None,
        excerpt: "the excerpt".into(),
        published: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        updated: None,
        enclosures: vec![Enclosure {
            url: "https://example.org/a.mp3".into(),
            mime_type: Some("Audio/MPEG".into()),
            length: None,
            duration_secs: None,
        }],
        categories: vec!["News".into()],
    }
}

#[test]
fn entry_text_drops_markup_and_is_bounded() {
    let t = EntryText::of(&stored(
        "T",
        "<p class=\"sponsored\">Fish &amp; chips</p><a href=\"https://ads.example/\">x</a>",
    ));
    assert!(t.content.contains("Fish & chips"), "{}", t.content);
    // Attributes are not text: a class or a link target does not match.
    assert!(!Condition::parse("content:sponsored").unwrap().matches(&t));
    assert!(!Condition::parse("ads").unwrap().matches(&t));
    assert_eq!(t.enclosure_types, ["audio/mpeg"]);
    // No content: the excerpt.
    assert_eq!(EntryText::of(&stored("T", "  ")).content, "the excerpt");
    // Huge content is cut at MAX_FIELD_BYTES, on a character boundary.
    let big = EntryText::of(&stored("T", &"é".repeat(200_000)));
    assert!(big.content.len() <= MAX_FIELD_BYTES);
    assert!(big.content.len() > MAX_FIELD_BYTES - 4);
}

fn rule(expr: &str, action: Action) -> Rule {
    Rule {
        id: 0,
        scope: Scope::All,
        action,
        condition: Condition::parse(expr).unwrap(),
    }
}

#[test]
fn evaluation_decides_each_action_and_counts_what_each_rule_did() {
    let texts: Vec<EntryText> = ["Sponsored deal", "Rust 2.0 released", "Weekly links"]
        .iter()
        .map(|t| EntryText {
            title: (*t).into(),
            ..Default::default()
        })
        .collect();
    let rules = [
        rule("sponsored", Action::Block),
        rule("rust", Action::Star),
        rule("weekly", Action::MarkRead),
        rule("rust OR weekly", Action::Tag("keep".into())),
        rule("NOT links", Action::KeepOnly),
    ];
    let ev = evaluate(&rules, &texts, Duration::from_secs(10));
    assert_eq!(ev.skipped, 0);
    assert_eq!(ev.acted, [1, 1, 1, 2, 1]);
    let v = &ev.verdicts;
    assert!(v[0].hide && v[0].read && !v[0].star && v[0].tags.is_empty());
    assert!(!v[1].hide && !v[1].read && v[1].star && v[1].tags.contains("keep"));
    // Weekly links: read by one rule, hidden by keep-only "NOT links".
    assert!(v[2].hide && v[2].read && v[2].tags.contains("keep"));
}

#[test]
fn the_time_budget_skips_whole_entries() {
    let texts = vec![
        EntryText {
            title: "sponsored".into(),
            ..Default::default()
        };
        50
    ];
    let rules = [rule("sponsored", Action::Block)];
    // No time at all: the first entry is still done, the rest skipped.
    let ev = evaluate(&rules, &texts, Duration::ZERO);
    assert_eq!(ev.verdicts.len(), 1);
    assert_eq!(ev.skipped, 49);
    assert_eq!(ev.acted, [1]);
}

#[test]
fn actions_and_tags_are_checked() {
    assert_eq!(Action::parse("block", None), Ok(Action::Block));
    assert_eq!(Action::parse("Keep-Only", None), Ok(Action::KeepOnly));
    assert_eq!(Action::parse("keep_only", None), Ok(Action::KeepOnly));
    assert_eq!(Action::parse("read", None), Ok(Action::MarkRead));
    assert_eq!(Action::parse("star", None), Ok(Action::Star));
    assert_eq!(
        Action::parse("tag", Some(" to read ")),
        Ok(Action::Tag("to read".into()))
    );
    assert!(Action::parse("tag", None)
        .unwrap_err()
        .contains("needs the tag"));
    assert!(Action::parse("delete", None)
        .unwrap_err()
        .contains("not an action"));
    assert!(check_tag("a/b").unwrap_err().contains("`/`"));
    assert!(check_tag(&"x".repeat(41)).is_err());
    assert!(check_tag("café-2026_v1.0").is_ok());
    assert_eq!(Action::Tag("x".into()).past_tense(), "tagged “x”");
    assert_eq!(Action::KeepOnly.past_tense(), "hidden");
}
