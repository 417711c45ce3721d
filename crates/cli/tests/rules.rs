//! `tributary rules`, the real binary: rules added from the command line
//! act on entries the next `fetch` brings (hidden from the digest), bad
//! expressions are refused with the parser's message and a failing exit,
//! and list, preview, enable, disable and remove do what they say.

mod common;

use std::process::Output;

use chrono::{Duration, Utc};
use common::{rss, start_feeds, Env};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn rules_from_the_command_line() {
    let feeds = start_feeds();
    let recent = (Utc::now() - Duration::hours(1)).to_rfc2822();
    let first = [
        ("1", "Sponsored: a VPN", "Buy it.", recent.as_str()),
        ("2", "Rust notes", "Ownership.", recent.as_str()),
    ];
    feeds.set("/blog.xml", &rss("Blog", &first));
    let env = Env::new();
    env.ok(&["add", &feeds.url("/blog.xml"), "--category", "Net"]);

    // Refused: the parser's message, a failing exit, nothing stored.
    for (args, message) in [
        (vec!["rules", "add", "title:sponsored OR"], "at column 19"),
        (vec!["rules", "add", "titel:x"], "`titel:` is not a field"),
        (
            vec!["rules", "add", "/a{10000}{10000}/"],
            "too large once compiled",
        ),
        (
            vec!["rules", "add", "x", "--action", "delete"],
            "not an action",
        ),
        (
            vec!["rules", "add", "x", "--action", "tag"],
            "needs the tag",
        ),
        (
            vec!["rules", "add", "x", "--category", "Nope"],
            "unknown category",
        ),
        (vec!["rules", "preview", "(x"], "never closed"),
        (vec!["rules", "list", "--user", "nobody"], "unknown user"),
        (vec!["rules", "remove", "42"], "no rule 42"),
    ] {
        let out = env.run(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    assert!(env.ok(&["rules", "list"]).contains("no rules"));

    // Preview changes nothing.
    let out = env.ok(&["rules", "preview", "title:sponsored"]);
    assert!(
        out.contains("This rule would have hidden 1 of the last 2 entries."),
        "{out}"
    );
    assert!(out.contains("Sponsored: a VPN"), "{out}");
    assert!(env.ok(&["digest"]).contains("Sponsored: a VPN"));

    let out = env.ok(&["rules", "add", "title:sponsored"]);
    assert!(out.contains("added rule 1"), "{out}");
    let out = env.ok(&[
        "rules",
        "add",
        "rust",
        "--action",
        "tag",
        "--tag",
        "lang",
        "--category",
        "Net",
    ]);
    assert!(
        out.contains("added rule 2") && out.contains("tagged “lang” 1 of the last 2"),
        "{out}"
    );
    let list = env.ok(&["rules", "list"]);
    assert!(
        list.contains("title:sponsored") && list.contains("category Net"),
        "{list}"
    );

    // The next fetch: the new sponsored entry is hidden, the old one stays
    // (rules act on what arrives).
    let second = [
        ("1", "Sponsored: a VPN", "Buy it.", recent.as_str()),
        ("2", "Rust notes", "Ownership.", recent.as_str()),
        ("3", "SPONSORED: a mattress", "Sleep.", recent.as_str()),
        ("4", "More Rust", "Traits.", recent.as_str()),
    ];
    feeds.set("/blog.xml", &rss("Blog", &second));
    env.ok(&["fetch", "--all"]);
    let digest = env.ok(&["digest"]);
    assert!(!digest.contains("a mattress"), "{digest}");
    assert!(
        digest.contains("More Rust") && digest.contains("Sponsored: a VPN"),
        "{digest}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["rules", "list", "--json"])).unwrap();
    assert_eq!(json[0]["match_count"], 1, "{json}");
    assert_eq!(json[1]["match_count"], 1, "{json}");
    assert_eq!(json[1]["tag"], "lang");

    env.ok(&["rules", "disable", "1"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["rules", "list", "--json"])).unwrap();
    assert_eq!(json[0]["enabled"], false);
    env.ok(&["rules", "enable", "1"]);
    assert!(env.ok(&["rules", "remove", "1"]).contains("removed rule 1"));
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["rules", "list", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);

    // --user: another account's rules.
    env.ok(&[
        "user",
        "add",
        "ann",
        "--password-file",
        &write(&env, "pw", "pw-ann-123456"),
    ]);
    assert!(env
        .ok(&["rules", "list", "--user", "ann"])
        .contains("no rules"));
}

fn write(env: &Env, name: &str, text: &str) -> String {
    let path = env.path(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}
