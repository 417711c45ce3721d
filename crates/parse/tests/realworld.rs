//! Every real-world feed in the shared corpus either parses or fails with a
//! clear error, and nothing panics. Feeds that INDEX.tsv lists as RSS/Atom/JSON
//! with items must give at least one entry, except the known-broken ones below.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tributary_parse::{parse, ParseOptions};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/realworld"
);

/// Feeds INDEX.tsv counts items in but that cannot give entries, with why.
const KNOWN_BROKEN: &[(&str, &str)] = &[];

/// INDEX.tsv: path → (format, items).
fn index() -> HashMap<String, (String, usize)> {
    let text =
        std::fs::read_to_string(Path::new(CORPUS).join("INDEX.tsv")).expect("INDEX.tsv readable");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let items = cols.get(8).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
            Some((cols.first()?.to_string(), (cols.get(2)?.to_string(), items)))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "html" | "opml" | "expected-fragments") {
                walk(&path, out);
            }
        } else if !name.ends_with(".serde.json")
            && !name.starts_with("LICENSE")
            && !name.ends_with(".md")
            && !name.ends_with(".tsv")
        {
            out.push(path);
        }
    }
}

#[test]
fn realworld_corpus_parses_without_panics() {
    let index = index();
    let mut files = Vec::new();
    walk(Path::new(CORPUS), &mut files);
    files.sort();
    assert!(files.len() > 200, "corpus not found at {CORPUS}");

    let url = url::Url::parse("https://example.com/feed").expect("static URL");
    let (mut ok, mut failed, mut entries) = (0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(CORPUS)
            .expect("under corpus")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).expect("readable");
        let result = std::panic::catch_unwind(|| {
            parse(
                &bytes,
                &ParseOptions {
                    content_type: None,
                    url: Some(&url),
                    ..Default::default()
                },
            )
        });
        let Ok(result) = result else {
            problems.push(format!("{rel}: PANIC"));
            continue;
        };
        let (format, items) = index.get(&rel).cloned().unwrap_or_default();
        let expect_entries = items > 0
            && (format.starts_with("rss")
                || format.starts_with("atom")
                || format.starts_with("jsonfeed"))
            && format != "rss-in-json";
        let known_broken = KNOWN_BROKEN.iter().any(|(p, _)| *p == rel);
        match result {
            Ok(feed) => {
                ok += 1;
                entries += feed.entries.len();
                if items > 0 && feed.entries.len() != items {
                    eprintln!(
                        "note {rel}: {} entries, INDEX counts {items} item/entry tags",
                        feed.entries.len()
                    );
                }
                if expect_entries && feed.entries.is_empty() && !known_broken {
                    problems.push(format!("{rel}: parsed with 0 entries, INDEX says {items}"));
                }
            }
            Err(e) => {
                failed += 1;
                assert!(!e.to_string().is_empty());
                if expect_entries && !known_broken {
                    problems.push(format!("{rel}: {e} ({format}, {items} items)"));
                } else {
                    eprintln!("expected failure {rel}: {e}");
                }
            }
        }
    }
    println!(
        "realworld: {} files, {ok} parsed ({entries} entries), {failed} refused",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
