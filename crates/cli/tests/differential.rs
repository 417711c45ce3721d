//! Differential test against Python feedparser (issue 3, item 3).
//!
//! For every feed of `../shared/corpus/realworld/` that both feedparser and
//! `tributary parse FILE --json` accept, compare the number of entries and,
//! entry by entry, titles, links and publication dates (to the minute). The
//! set of disagreements must be exactly the allow-list in
//! `conformance/differential/known.tsv` (path, field, entries, reason): a new
//! disagreement fails, and so does a listed one that went away (remove it).
//! The rules that put both outputs in the same terms are in
//! `docs/DIFFERENTIAL.md`; each is marked `Rule n` below.
//!
//! feedparser runs once for all feeds (`conformance/differential/
//! feedparser_dump.py`, JSON lines) while Tributary runs once per feed, on
//! two threads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::Value;
use url::Url;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/realworld"
);
const DUMP_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/differential/feedparser_dump.py"
);
const KNOWN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/differential/known.tsv"
);

/// One entry as feedparser saw it.
struct FpEntry {
    /// Rule 2: the title as plain text (made so by the Python script).
    title_text: Option<String>,
    link: Option<String>,
    date: Option<DateTime<Utc>>,
}

/// One entry as Tributary published it; `date` is `None` when it is the
/// fetch-time fallback (Rule 5).
struct OurEntry {
    title: String,
    link: Option<String>,
    date: Option<DateTime<Utc>>,
}

/// A disagreement: (path, field, entry index; `usize::MAX` for the count).
type Key = (String, String, usize);

/// The feeds to compare: every file INDEX.tsv lists, minus feed-rs's
/// expected outputs and the folders that hold no feeds.
fn feed_paths() -> Vec<String> {
    let index = Path::new(CORPUS).join("INDEX.tsv");
    let text = std::fs::read_to_string(&index).unwrap_or_else(|e| {
        panic!(
            "the real-world corpus is missing: cannot read {}: {e}",
            index.display()
        )
    });
    text.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|p| !p.is_empty())
        .filter(|p| {
            !(p.ends_with(".serde.json")
                || p.contains("/html/")
                || p.contains("/opml/")
                || p.contains("expected-fragments/"))
        })
        .map(str::to_owned)
        .collect()
}

/// feedparser's view of every feed, keyed by path; `None` for a feed it
/// does not accept (no version recognised and no entry).
fn feedparser_all(paths: &[String]) -> HashMap<String, Option<Vec<FpEntry>>> {
    let mut child = Command::new("python3")
        .arg(DUMP_SCRIPT)
        .current_dir(CORPUS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 (needed for feedparser): {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(paths.join("\n").as_bytes())
            .expect("write paths to the feedparser script");
    }
    let out = child
        .wait_with_output()
        .expect("wait for feedparser script");
    assert!(
        out.status.success(),
        "the feedparser script failed (is feedparser 6.0.14 installed? `pip install feedparser==6.0.14`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("feedparser script printed bad JSON ({e}): {line}"));
        let path = v["path"].as_str().unwrap_or_default().to_owned();
        let entries = v["entries"].as_array().cloned().unwrap_or_default();
        let accepted = !v["version"].as_str().unwrap_or_default().is_empty() || !entries.is_empty();
        let entries = entries
            .iter()
            .map(|e| FpEntry {
                title_text: e["title_text"].as_str().map(str::to_owned),
                link: e["link"].as_str().map(str::to_owned),
                // Rule 6: feedparser's `published`, else its `updated` —
                // the same fallback Tributary applies.
                date: e["published"]
                    .as_str()
                    .or_else(|| e["updated"].as_str())
                    .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                    .map(|d| d.with_timezone(&Utc)),
            })
            .collect();
        all.insert(path, accepted.then_some(entries));
    }
    assert_eq!(
        all.len(),
        paths.len(),
        "the feedparser script answered for {} of {} feeds",
        all.len(),
        paths.len()
    );
    all
}

/// Tributary's view of one feed; `None` when `tributary parse` refuses it.
fn tributary_one(path: &str) -> Option<Vec<OurEntry>> {
    // Rule 5: a date inside the run's time window is the fetch-time
    // fallback (the feed gave no usable date), not a date from the feed.
    let before = Utc::now() - Duration::seconds(1);
    let out = Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(["parse", path, "--json"])
        .current_dir(CORPUS)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tributary: {e}"));
    let after = Utc::now() + Duration::seconds(1);
    if !out.status.success() {
        return None;
    }
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("`tributary parse {path} --json` printed bad JSON: {e}"));
    let items = doc["items"].as_array().cloned().unwrap_or_default();
    Some(
        items
            .iter()
            .map(|i| OurEntry {
                title: i["title"].as_str().unwrap_or_default().to_owned(),
                link: i["url"].as_str().map(str::to_owned),
                date: i["date_published"]
                    .as_str()
                    .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                    .map(|d| d.with_timezone(&Utc))
                    .filter(|d| !(before..=after).contains(d)),
            })
            .collect(),
    )
}

/// Every feed through Tributary, on two threads (the machine has two cores).
fn tributary_all(paths: &[String]) -> HashMap<String, Option<Vec<OurEntry>>> {
    let half = paths.len().div_ceil(2);
    std::thread::scope(|s| {
        let workers: Vec<_> = paths
            .chunks(half.max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| (p.clone(), tributary_one(p)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("tributary worker thread"))
            .collect()
    })
}

/// Rule 1: whitespace folded.
fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rule 3: links compared as parsed URLs (host case, an empty path and `/`
/// are the same). `None` when the link cannot be compared: Rule 4, a link
/// that only resolves against the file's own path (a `file:` URL).
fn comparable_link(link: Option<&str>) -> Option<Option<String>> {
    let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) else {
        return Some(None);
    };
    match Url::parse(link) {
        Ok(u) if u.scheme() == "file" => None,
        Ok(u) => Some(Some(u.to_string())),
        Err(_) => Some(Some(link.to_owned())),
    }
}

/// Rule 7: to the minute.
fn minute(d: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    d.and_then(|d| d.with_second(0))
        .and_then(|d| d.with_nanosecond(0))
}

/// Compares one feed; pushes every disagreement with a description.
fn compare(path: &str, fp: &[FpEntry], ours: &[OurEntry], found: &mut BTreeMap<Key, String>) {
    if fp.len() != ours.len() {
        found.insert(
            (path.to_owned(), "count".into(), usize::MAX),
            format!("feedparser {} entries, tributary {}", fp.len(), ours.len()),
        );
        return;
    }
    for (i, (a, b)) in fp.iter().zip(ours).enumerate() {
        // Rule 8: no title from the feed means ours is a fallback (the
        // excerpt's start or "Untitled"): nothing to compare.
        if let Some(t) = a.title_text.as_deref().filter(|t| !t.trim().is_empty()) {
            if fold(t) != fold(&b.title) {
                found.insert(
                    (path.to_owned(), "title".into(), i),
                    format!("feedparser {t:?}, tributary {:?}", b.title),
                );
            }
        }
        if let Some(theirs) = comparable_link(a.link.as_deref()) {
            let mine = comparable_link(b.link.as_deref()).flatten();
            if theirs != mine {
                found.insert(
                    (path.to_owned(), "link".into(), i),
                    format!("feedparser {theirs:?}, tributary {mine:?}"),
                );
            }
        }
        if minute(a.date) != minute(b.date) {
            found.insert(
                (path.to_owned(), "date".into(), i),
                format!("feedparser {:?}, tributary {:?}", a.date, b.date),
            );
        }
    }
}

/// `0,3,5-9` → indices; `-` → the count (no index).
fn parse_entries(spec: &str, line: usize) -> Vec<usize> {
    if spec == "-" {
        return vec![usize::MAX];
    }
    let num = |s: &str| -> usize {
        s.trim()
            .parse()
            .unwrap_or_else(|_| panic!("known.tsv line {line}: bad entry index {s:?}"))
    };
    spec.split(',')
        .flat_map(|part| match part.split_once('-') {
            Some((a, b)) => (num(a)..=num(b)).collect::<Vec<_>>(),
            None => vec![num(part)],
        })
        .collect()
}

fn known() -> BTreeSet<Key> {
    let text = std::fs::read_to_string(KNOWN)
        .unwrap_or_else(|e| panic!("cannot read the allow-list {KNOWN}: {e}"));
    let mut set = BTreeSet::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 4 && !cols[3].trim().is_empty(),
            "known.tsv line {}: want path, field, entries, reason (tab-separated)",
            n + 1
        );
        assert!(
            ["count", "title", "link", "date"].contains(&cols[1]),
            "known.tsv line {}: unknown field {:?}",
            n + 1,
            cols[1]
        );
        for i in parse_entries(cols[2], n + 1) {
            set.insert((cols[0].to_owned(), cols[1].to_owned(), i));
        }
    }
    set
}

fn show(k: &Key) -> String {
    let entry = if k.2 == usize::MAX {
        "-".to_owned()
    } else {
        k.2.to_string()
    };
    format!("{}\t{}\t{}", k.0, k.1, entry)
}

#[test]
fn agrees_with_feedparser_on_the_realworld_corpus() {
    assert!(
        PathBuf::from(CORPUS).is_dir(),
        "the real-world corpus is missing at {CORPUS}"
    );
    let paths = feed_paths();
    assert!(
        paths.len() >= 250,
        "INDEX.tsv lists only {} feeds",
        paths.len()
    );
    // feedparser (one process) runs while the tributary workers do.
    let (fp, ours) = std::thread::scope(|s| {
        let fp = s.spawn(|| feedparser_all(&paths));
        let ours = tributary_all(&paths);
        (fp.join().expect("feedparser thread"), ours)
    });

    let mut found = BTreeMap::new();
    let (mut feeds, mut entries) = (0, 0);
    for path in &paths {
        let (Some(Some(a)), Some(Some(b))) = (fp.get(path), ours.get(path)) else {
            continue; // one side refuses the document: not compared
        };
        feeds += 1;
        entries += a.len().min(b.len());
        compare(path, a, b, &mut found);
    }
    eprintln!(
        "differential: {feeds} feeds accepted by both, {entries} entries compared, {} disagreements",
        found.len()
    );
    // Most feeds must be compared, or the harness proves nothing.
    assert!(feeds >= 200, "only {feeds} feeds were accepted by both");

    let known = known();
    let new: Vec<String> = found
        .iter()
        .filter(|(k, _)| !known.contains(*k))
        .map(|(k, why)| format!("{}\t{why}", show(k)))
        .collect();
    let gone: Vec<String> = known
        .iter()
        .filter(|k| !found.contains_key(*k))
        .map(show)
        .collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "the disagreements with feedparser differ from conformance/differential/known.tsv\n\
         new (fix them, or list them with a reason):\n{}\n\
         gone (remove them from the list):\n{}",
        new.join("\n"),
        gone.join("\n")
    );
}
