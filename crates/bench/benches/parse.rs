//! Criterion benchmarks of the pure stages, each over a whole document set
//! per iteration (throughput in input bytes):
//!
//! * `parse`: `tributary_parse::parse` alone;
//! * `normalize`: `tributary_normalize::normalize` on already parsed feeds
//!   (throughput over the bytes of the documents that parsed);
//! * `sanitize`: `sanitize_html` alone on every HTML content/summary of the
//!   parsed feeds (throughput over the HTML bytes);
//! * `html_to_text`: the excerpt's HTML → text step on the same fragments;
//! * `parse_normalize`: both stages, as a refresh runs them.
//!
//! Sets: `realworld` (every feed of `../shared/corpus/realworld`, required:
//! a missing corpus aborts with a message) and `farm` (the directory named by
//! `TRIBUTARY_BENCH_FARM`, written by
//! `python3 ../shared/bench/feedfarm.py generate --feeds 1000 --items 50 --outdir DIR`;
//! skipped with a note when unset).
//!
//! Run: `cargo bench -p tributary-bench` (filter: `-- realworld/sanitize`).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use tributary_bench::{
    html_fragments, load_dir, load_paths, normalize_doc, parse_doc, parse_normalize_doc,
    realworld_dir, realworld_feed_paths, total_bytes, Doc,
};
use tributary_normalize::{sanitize::sanitize_html, text::html_to_text};

/// Benchmark every stage over one document set.
fn bench_set(c: &mut Criterion, set: &str, docs: &[Doc], measurement: Duration) {
    let parsed: Vec<_> = docs.iter().map(|d| parse_doc(d).ok()).collect();
    let parsed_bytes: u64 = docs
        .iter()
        .zip(&parsed)
        .filter(|(_, p)| p.is_some())
        .map(|(d, _)| d.bytes.len() as u64)
        .sum();
    let fragments = html_fragments(docs, &parsed);
    let fragment_bytes: u64 = fragments.iter().map(|f| f.html.len() as u64).sum();
    println!(
        "{set}: {} documents, {} bytes ({} parse), {} HTML fragments of {} bytes",
        docs.len(),
        total_bytes(docs),
        parsed.iter().flatten().count(),
        fragments.len(),
        fragment_bytes
    );

    let mut g = c.benchmark_group(set);
    // One iteration is a whole corpus (0.1–7 s): few samples, and flat
    // sampling (the same iteration count per sample) so a run takes about
    // `measurement` instead of criterion's linear 1+2+…+10 iterations.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(measurement);

    g.throughput(Throughput::Bytes(total_bytes(docs)));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for d in docs {
                let _ = black_box(parse_doc(d));
            }
        })
    });

    g.throughput(Throughput::Bytes(parsed_bytes));
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for (d, p) in docs.iter().zip(&parsed) {
                if let Some(p) = p {
                    black_box(normalize_doc(d, p));
                }
            }
        })
    });

    g.throughput(Throughput::Bytes(fragment_bytes));
    g.bench_function("sanitize", |b| {
        b.iter(|| {
            for f in &fragments {
                black_box(sanitize_html(&f.html, Some(&f.base)));
            }
        })
    });
    g.bench_function("html_to_text", |b| {
        b.iter(|| {
            for f in &fragments {
                black_box(html_to_text(&f.html));
            }
        })
    });

    g.throughput(Throughput::Bytes(total_bytes(docs)));
    g.bench_function("parse_normalize", |b| {
        b.iter(|| {
            for d in docs {
                let _ = black_box(parse_normalize_doc(d));
            }
        })
    });
    g.finish();
}

fn realworld(c: &mut Criterion) {
    let dir = realworld_dir();
    let docs = realworld_feed_paths(&dir)
        .and_then(|paths| load_paths(&paths))
        .unwrap_or_else(|e| panic!("realworld benchmark: {e}"));
    bench_set(c, "realworld", &docs, Duration::from_secs(20));
}

fn farm(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("TRIBUTARY_BENCH_FARM") else {
        println!(
            "farm: skipped (set TRIBUTARY_BENCH_FARM=DIR, a directory written by \
             `python3 ../shared/bench/feedfarm.py generate --feeds 1000 --items 50 --outdir DIR`)"
        );
        return;
    };
    let docs = load_dir(Path::new(&dir))
        .unwrap_or_else(|e| panic!("farm benchmark (TRIBUTARY_BENCH_FARM): {e}"));
    bench_set(c, "farm", &docs, Duration::from_secs(40));
}

criterion_group!(benches, realworld, farm);
criterion_main!(benches);
