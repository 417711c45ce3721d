//! Shared plumbing of Tributary's speed measurements (not shipped).
//!
//! Two consumers use it, and they must measure the same thing:
//!
//! * the criterion benches (`benches/parse.rs`): parse, normalize, sanitize
//!   and parse + normalize over the real-world corpus and a generated farm;
//! * the `parse-throughput` driver (`src/bin/parse-throughput.rs`), run by
//!   `bench/parse-vs-peers` next to Python feedparser and Go gofeed.
//!
//! Everything here is about *inputs*: which files are feeds, reading them
//! into memory before anything is timed (as the peer drivers do), and the
//! fixed URL and fetch time normalize needs so runs are deterministic. The
//! measured work is only ever [`parse_doc`] and [`parse_normalize_doc`],
//! i.e. the public `tributary_parse::parse` and
//! `tributary_normalize::normalize` exactly as `refresh` calls them.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use tributary_normalize::{NormalizedFeed, Options};
use tributary_parse::{ParseError, ParseOptions, ParsedFeed, TextKind};
use url::Url;

/// One feed document held in memory, with the URL it is "fetched" from.
#[derive(Debug, Clone)]
pub struct Doc {
    /// File name (for messages only).
    pub name: String,
    /// The raw bytes, exactly as on disk.
    pub bytes: Vec<u8>,
    /// A made-up but stable feed URL (`https://bench.example/<name>`): the
    /// base of relative links, as the real fetch URL would be.
    pub url: Url,
}

/// The real-world corpus folder (`../shared/corpus/realworld` next to the repo).
pub fn realworld_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/realworld"
    ))
    .to_path_buf()
}

/// The fetch time every normalization is given (fixed, so runs are repeatable).
pub fn fetched_at() -> DateTime<Utc> {
    // 2026-01-01T00:00:00Z; `single()` cannot fail for a valid timestamp, but
    // we never unwrap: fall back to the epoch rather than panic.
    Utc.timestamp_opt(1_767_225_600, 0)
        .single()
        .unwrap_or_default()
}

/// Whether an `INDEX.tsv` format column names a feed our parser should read.
///
/// Expected outputs (`.serde.json`), HTML fragments and pages, OPML lists and
/// the RSS-in-JSON oddity are not feeds; timing them would measure how fast
/// we say "not a feed".
pub fn is_feed_format(format: &str) -> bool {
    format.starts_with("atom")
        || format.starts_with("rss ")
        || format.starts_with("jsonfeed")
        || format == "xml root=entry"
}

/// Paths of the feed documents of the real-world corpus, in `INDEX.tsv` order.
///
/// Errors (with the path) when the corpus or its index is missing or lists
/// no feed: a benchmark over nothing must not pass silently.
pub fn realworld_feed_paths(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let index = dir.join("INDEX.tsv");
    let text = fs::read_to_string(&index).map_err(|e| {
        format!(
            "cannot read the real-world corpus index {}: {e} (the corpus must sit at ../shared/corpus next to the repository)",
            index.display()
        )
    })?;
    let paths: Vec<PathBuf> = text
        .lines()
        .skip(1) // header
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let path = cols.next()?;
            let _bytes = cols.next()?;
            let format = cols.next()?;
            is_feed_format(format).then(|| dir.join(path))
        })
        .collect();
    if paths.is_empty() {
        return Err(format!("{} lists no feed document", index.display()));
    }
    Ok(paths)
}

/// Read the given files into memory.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Doc>, String> {
    paths
        .iter()
        .map(|p| {
            let bytes = fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Doc {
                url: doc_url(&name)?,
                name,
                bytes,
            })
        })
        .collect()
}

/// Read every regular file of a directory into memory, sorted by name.
///
/// Like the peer drivers, a farm written by `feedfarm.py generate` keeps its
/// feeds in `DIR/f/`: that sub-folder is used when it exists, else `DIR`.
pub fn load_dir(dir: &Path) -> Result<Vec<Doc>, String> {
    let farm = dir.join("f");
    let dir = if farm.is_dir() {
        farm
    } else {
        dir.to_path_buf()
    };
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(format!("no files in {}", dir.display()));
    }
    paths.sort();
    load_paths(&paths)
}

/// The made-up feed URL of a file name (percent-encoded by `Url::join`).
fn doc_url(name: &str) -> Result<Url, String> {
    Url::parse("https://bench.example/")
        .and_then(|base| base.join(name))
        .map_err(|e| format!("no URL for file name {name:?}: {e}"))
}

/// Total size of the documents in bytes (the throughput denominator).
pub fn total_bytes(docs: &[Doc]) -> u64 {
    docs.iter().map(|d| d.bytes.len() as u64).sum()
}

/// Parse one document the way `refresh` does (no content type: files on
/// disk have none; the URL as base).
pub fn parse_doc(doc: &Doc) -> Result<ParsedFeed, ParseError> {
    let opts = ParseOptions {
        content_type: None,
        url: Some(&doc.url),
        ..Default::default()
    };
    tributary_parse::parse(&doc.bytes, &opts)
}

/// Normalize an already parsed document (sanitize, URLs, excerpt, keys).
pub fn normalize_doc(doc: &Doc, parsed: &ParsedFeed) -> NormalizedFeed {
    tributary_normalize::normalize(parsed, &doc.url, fetched_at(), &Options::default())
}

/// Parse then normalize one document: the whole pure part of a refresh.
pub fn parse_normalize_doc(doc: &Doc) -> Result<NormalizedFeed, ParseError> {
    parse_doc(doc).map(|parsed| normalize_doc(doc, &parsed))
}

/// One HTML fragment as normalize would hand it to the sanitizer.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The unsanitized HTML.
    pub html: String,
    /// Its base URL (the entry's `xml:base`, else the feed URL).
    pub base: Url,
}

/// Every HTML content and summary of the parsed documents: the sanitizer's
/// real input, so `sanitize` can be timed apart from the rest of normalize.
pub fn html_fragments(docs: &[Doc], parsed: &[Option<ParsedFeed>]) -> Vec<Fragment> {
    let mut out = Vec::new();
    for (doc, feed) in docs.iter().zip(parsed) {
        let Some(feed) = feed else { continue };
        for entry in &feed.entries {
            let base = entry
                .base_url
                .as_deref()
                .and_then(|b| Url::parse(b).ok())
                .unwrap_or_else(|| doc.url.clone());
            for text in [&entry.content, &entry.summary].into_iter().flatten() {
                if text.kind == TextKind::Html && !text.value.is_empty() {
                    out.push(Fragment {
                        html: text.value.clone(),
                        base: base.clone(),
                    });
                }
            }
        }
    }
    out
}

/// A field of `/proc/self/status` in KiB (`VmHWM` = peak resident set,
/// `VmRSS` = current); `None` where procfs is unavailable.
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, field)
}

/// The value in KiB of `field` in a `/proc/<pid>/status` text.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_kib() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(1234));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(1000));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
        // A prefix of another field's name is not that field.
        assert_eq!(parse_status_kib(status, "VmH"), None);
    }

    #[test]
    fn own_peak_memory_is_reported_on_linux() {
        // One snapshot: other tests allocate concurrently, so two reads of
        // the file could see the resident set grow past an earlier peak.
        let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        let peak = parse_status_kib(&status, "VmHWM").expect("VmHWM in /proc/self/status");
        let now = parse_status_kib(&status, "VmRSS").expect("VmRSS in /proc/self/status");
        assert!(peak >= now && now > 0, "peak {peak} KiB, now {now} KiB");
    }

    #[test]
    fn feed_formats_are_told_from_other_files() {
        for f in [
            "atom 1.0",
            "rss 2.0",
            "rss 1.0 (rdf)",
            "jsonfeed 1.1",
            "xml root=entry",
        ] {
            assert!(is_feed_format(f), "{f}");
        }
        for f in [
            "expected-output (feed-rs serde model)",
            "html",
            "opml",
            "xml root=html",
            "rss-in-json",
            "format",
        ] {
            assert!(!is_feed_format(f), "{f}");
        }
    }

    #[test]
    fn realworld_corpus_loads_and_parses() {
        let dir = realworld_dir();
        let paths = realworld_feed_paths(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(paths.len() > 200, "only {} feeds listed", paths.len());
        let docs = load_paths(&paths).unwrap_or_else(|e| panic!("{e}"));
        assert!(total_bytes(&docs) > 10_000_000, "corpus unexpectedly small");
        let parsed: Vec<_> = docs.iter().map(|d| parse_doc(d).ok()).collect();
        let ok = parsed.iter().flatten().count();
        // Nearly every listed feed parses; a benchmark over errors would
        // measure the wrong thing.
        assert!(ok * 10 >= docs.len() * 9, "{ok} of {} parse", docs.len());
        let fragments = html_fragments(&docs, &parsed);
        assert!(fragments.len() > 1000, "{} HTML fragments", fragments.len());
        let feed = docs.iter().find_map(|d| parse_normalize_doc(d).ok());
        assert!(feed.is_some_and(|f| !f.entries.is_empty()));
    }

    #[test]
    fn load_dir_prefers_the_farm_subfolder_and_reports_empty_dirs() {
        let root = std::env::temp_dir().join(format!("tributary-bench-{}", std::process::id()));
        let farm = root.join("f");
        fs::create_dir_all(&farm).expect("temp dir");
        let err = load_dir(&root).expect_err("empty farm");
        assert!(err.contains("no files"), "{err}");
        fs::write(farm.join("b.rss"), b"<rss/>").expect("write");
        fs::write(farm.join("a.rss"), b"<rss version=\"2.0\"/>").expect("write");
        fs::write(root.join("ignored.rss"), b"x").expect("write");
        let docs = load_dir(&root).expect("load");
        let names: Vec<_> = docs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a.rss", "b.rss"]);
        assert_eq!(docs[0].url.as_str(), "https://bench.example/a.rss");
        fs::remove_dir_all(&root).ok();
    }
}
