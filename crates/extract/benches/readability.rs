//! The measured comparison the readability implementation was chosen by
//! (docs/ARTICLES.md): every candidate crate on every generated page of
//! `tributary_extract::samples`, scored on quality (article paragraphs kept,
//! noise strings leaked; the text of each candidate's HTML taken the same
//! way, with our `html_to_text`) and on speed (mean time per page over
//! `--rounds N` rounds, default 20).
//!
//! ```text
//! cargo bench -p tributary-extract --bench readability -- --rounds 20
//! # --verbose: also list each noise string a candidate kept (on stderr)
//! ```
//!
//! Prints a Markdown table per engine and the totals. The `hard` page is
//! shown apart: it is built for readability to fail (the case site rules exist for).

use std::time::{Duration, Instant};

use tributary_extract::samples::{self, SamplePage};
use tributary_normalize::text::html_to_text;
use url::Url;

type Candidate = (&'static str, fn(&str, &Url) -> Option<String>);

fn dom_smoothie(html: &str, url: &Url) -> Option<String> {
    let mut r = dom_smoothie::Readability::new(html, Some(url.as_str()), None).ok()?;
    r.parse().ok().map(|a| a.content.to_string())
}

fn legible(html: &str, url: &Url) -> Option<String> {
    legible::parse(html, Some(url.as_str()), None)
        .ok()
        .map(|a| a.content)
}

fn readability(html: &str, url: &Url) -> Option<String> {
    readability::extractor::extract(&mut html.as_bytes(), url)
        .ok()
        .map(|p| p.content)
}

fn readabilityrs(html: &str, url: &Url) -> Option<String> {
    readabilityrs::Readability::new(html, Some(url.as_str()), None)
        .ok()?
        .parse()
        .and_then(|a| a.content)
}

/// What our own wrapper gives (the winner, plus our fallbacks).
fn ours(html: &str, url: &Url) -> Option<String> {
    tributary_extract::Extractor::default()
        .extract(html, url, None)
        .ok()
        .map(|a| a.html)
}

const CANDIDATES: &[Candidate] = &[
    ("dom_smoothie 0.19", dom_smoothie),
    ("legible 0.5", legible),
    ("readability 0.3 (kumabook)", readability),
    ("readabilityrs 0.1", readabilityrs),
    ("tributary-extract (ours)", ours),
];

#[derive(Default, Clone, Copy)]
struct Tally {
    kept: f64,
    leaked: f64,
    failed: usize,
    pages: usize,
    time: Duration,
}

fn run(candidate: &Candidate, page: &SamplePage, rounds: u32, verbose: bool) -> Tally {
    let url = Url::parse(&format!(
        "https://{}.example/posts/{}/",
        page.engine, page.name
    ))
    .expect("a valid URL");
    let out = (candidate.1)(&page.html, &url);
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box((candidate.1)(std::hint::black_box(&page.html), &url));
    }
    let time = start.elapsed() / rounds.max(1);
    match out {
        Some(html) => {
            let text = html_to_text(&html);
            let s = samples::score(page, &text);
            if verbose {
                let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
                for n in &page.noise {
                    let n: String = n.split_whitespace().collect::<Vec<_>>().join(" ");
                    if folded.contains(&n) {
                        eprintln!("{} on {}: leaked {:.60}", candidate.0, page.name, n);
                    }
                }
            }
            Tally {
                kept: s.kept,
                leaked: s.leaked,
                failed: 0,
                pages: 1,
                time,
            }
        }
        None => Tally {
            kept: 0.0,
            leaked: 0.0,
            failed: 1,
            pages: 1,
            time,
        },
    }
}

fn add(a: &mut Tally, b: Tally) {
    a.kept += b.kept;
    a.leaked += b.leaked;
    a.failed += b.failed;
    a.pages += b.pages;
    a.time += b.time;
}

fn row(name: &str, t: &Tally) -> String {
    let n = t.pages.max(1) as f64;
    format!(
        "| {name} | {:.1} % | {:.1} % | {} | {:.0} µs |",
        100.0 * t.kept / n,
        100.0 * t.leaked / n,
        t.failed,
        t.time.as_secs_f64() * 1e6 / n
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(20u32);
    let verbose = args.iter().any(|a| a == "--verbose");
    let pages = samples::pages();
    let header = "| candidate | paragraphs kept | noise leaked | failed | time per page |\n|---|---|---|---|---|";
    let mut totals = vec![Tally::default(); CANDIDATES.len()];
    let mut hard = vec![Tally::default(); CANDIDATES.len()];
    for engine in ["wordpress", "ghost", "hugo", "blogger", "hard"] {
        println!("\n### {engine}\n\n{header}");
        for (i, c) in CANDIDATES.iter().enumerate() {
            let mut t = Tally::default();
            for p in pages.iter().filter(|p| p.engine == engine) {
                add(&mut t, run(c, p, rounds, verbose));
            }
            println!("{}", row(c.0, &t));
            if engine == "hard" {
                add(&mut hard[i], t);
            } else {
                add(&mut totals[i], t);
            }
        }
    }
    println!("\n### all 12 engine pages (mean per page; {rounds} rounds)\n\n{header}");
    for (i, c) in CANDIDATES.iter().enumerate() {
        println!("{}", row(c.0, &totals[i]));
    }
    let _ = hard;
}
