//! Sanitizer options, measured on the real fragments of the real-world
//! corpus (and the farm when `TRIBUTARY_BENCH_FARM` is set), to decide how
//! `normalize` should sanitize (issue 3, item 7):
//!
//! * `tributary`: `sanitize_html` as it is: the streaming allow-list filter
//!   over html5ever's tokenizer (balanced output, URLs, CSS, plain text);
//! * `ammonia_builder_per_call`: ammonia's default policy, a new `Builder`
//!   for every fragment (what building the policy per call costs);
//! * `ammonia_builder_reused`: the same policy built once and reused;
//! * `lol_html_allowlist`: a streaming allow-list rewrite with `lol_html`
//!   using our element/attribute tables (no stack: it neither closes nor
//!   drops stray tags, resolves no URL and cleans no CSS, so it is a speed
//!   bound, not a drop-in replacement).
//!
//! Run: `cargo bench -p tributary-bench --bench sanitizers`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use lol_html::html_content::{Comment, Element};
use lol_html::{comments, element, rewrite_str, RewriteStrSettings};
use tributary_bench::{
    html_fragments, load_dir, load_paths, parse_doc, realworld_dir, realworld_feed_paths, Doc,
    Fragment,
};
use tributary_normalize::sanitize::{
    sanitize_html, DROPPED_WITH_CONTENT, HTML_ATTRIBUTES, HTML_ELEMENTS,
};

/// Streaming allow-list sanitizing with lol_html: unknown elements are
/// unwrapped, dangerous ones dropped with their content, attributes filtered.
fn lol_sanitize(html: &str) -> String {
    let settings = RewriteStrSettings {
        element_content_handlers: vec![
            element!("*", |el: &mut Element| {
                let name = el.tag_name();
                if DROPPED_WITH_CONTENT.contains(&name.as_str()) {
                    el.remove();
                    return Ok(());
                }
                if HTML_ELEMENTS.binary_search(&name.as_str()).is_err() {
                    el.remove_and_keep_content();
                    return Ok(());
                }
                let drop: Vec<String> = el
                    .attributes()
                    .iter()
                    .map(|a| a.name())
                    .filter(|n| HTML_ATTRIBUTES.binary_search(&n.as_str()).is_err())
                    .collect();
                for n in drop {
                    el.remove_attribute(&n);
                }
                Ok(())
            }),
            comments!("*", |c: &mut Comment| {
                c.remove();
                Ok(())
            }),
        ],
        ..RewriteStrSettings::new()
    };
    rewrite_str(html, settings).unwrap_or_default()
}

fn bench_fragments(c: &mut Criterion, set: &str, docs: &[Doc], measurement: Duration) {
    let parsed: Vec<_> = docs.iter().map(|d| parse_doc(d).ok()).collect();
    let fragments: Vec<Fragment> = html_fragments(docs, &parsed);
    let bytes: u64 = fragments.iter().map(|f| f.html.len() as u64).sum();
    // Output sizes, so a sanitizer that fails (empty output) cannot pass for
    // a fast one: the options must do comparable work.
    let out =
        |f: &dyn Fn(&Fragment) -> String| -> usize { fragments.iter().map(|x| f(x).len()).sum() };
    let reused = ammonia::Builder::default();
    println!(
        "sanitizers-{set}: {} fragments, {bytes} bytes in; out: tributary {}, ammonia default {}, lol_html {}",
        fragments.len(),
        out(&|f| sanitize_html(&f.html, Some(&f.base))),
        out(&|f| reused.clean(&f.html).to_string()),
        out(&|f| lol_sanitize(&f.html)),
    );

    let mut g = c.benchmark_group(format!("sanitizers-{set}"));
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(measurement)
        .throughput(Throughput::Bytes(bytes));
    g.bench_function("tributary", |b| {
        b.iter(|| {
            for f in &fragments {
                black_box(sanitize_html(&f.html, Some(&f.base)));
            }
        })
    });
    g.bench_function("ammonia_builder_per_call", |b| {
        b.iter(|| {
            for f in &fragments {
                black_box(ammonia::Builder::default().clean(&f.html).to_string());
            }
        })
    });
    g.bench_function("ammonia_builder_reused", |b| {
        b.iter(|| {
            for f in &fragments {
                black_box(reused.clean(&f.html).to_string());
            }
        })
    });
    g.bench_function("lol_html_allowlist", |b| {
        b.iter(|| {
            for f in &fragments {
                black_box(lol_sanitize(&f.html));
            }
        })
    });
    g.finish();
}

fn realworld(c: &mut Criterion) {
    let docs = realworld_feed_paths(&realworld_dir())
        .and_then(|paths| load_paths(&paths))
        .unwrap_or_else(|e| panic!("sanitizers benchmark: {e}"));
    bench_fragments(c, "realworld", &docs, Duration::from_secs(10));
}

fn farm(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("TRIBUTARY_BENCH_FARM") else {
        println!("sanitizers-farm: skipped (set TRIBUTARY_BENCH_FARM=DIR, see benches/parse.rs)");
        return;
    };
    let docs = load_dir(Path::new(&dir))
        .unwrap_or_else(|e| panic!("sanitizers benchmark (TRIBUTARY_BENCH_FARM): {e}"));
    bench_fragments(c, "farm", &docs, Duration::from_secs(20));
}

criterion_group!(benches, realworld, farm);
criterion_main!(benches);
