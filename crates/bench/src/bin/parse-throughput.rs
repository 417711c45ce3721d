//! `parse-throughput`: Tributary's counterpart of the peer drivers in
//! `../shared/bench/` (`feedparser_bench.py`, `gofeed_bench`).
//!
//! ```text
//! parse-throughput --dir DIR [--mode parse|full] [--threads N] [--runs N]
//! ```
//!
//! Reads every file of `DIR/f/` (a `feedfarm.py` farm) or else of `DIR` into
//! memory first, then times only the work:
//!
//! * `--mode parse`: `tributary_parse::parse` alone;
//! * `--mode full` (default): parse, then `tributary_normalize::normalize`
//!   (sanitizing HTML, absolute URLs, excerpts, keys): the pure part of a refresh.
//!
//! `--threads 1` (default) is a single thread; `--threads 0` uses every core
//! (`std::thread::available_parallelism`). Threads take documents from a
//! shared counter, as gofeed's `-j` does, so one large feed does not leave
//! the other threads idle at the end of a static split.
//!
//! Output, like the peers: one JSON line per run, then a summary line with
//! the medians and memory (`peak_rss_kib` = `VmHWM`, which includes the
//! documents held in memory, reported apart as `loaded_rss_kib`). Run one
//! mode per process so each mode's peak memory is its own.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tributary_bench::{
    load_dir, parse_doc, parse_normalize_doc, proc_status_kib, total_bytes, Doc,
};

/// What is timed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Parse,
    Full,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Parse => "parse",
            Mode::Full => "parse+normalize",
        }
    }
}

struct Args {
    dir: PathBuf,
    mode: Mode,
    threads: usize,
    runs: usize,
}

const USAGE: &str = "usage: parse-throughput --dir DIR [--mode parse|full] [--threads N (0 = all cores)] [--runs N]";

fn parse_args() -> Result<Args, String> {
    let mut dir = None;
    let mut mode = Mode::Full;
    let mut threads = 1;
    let mut runs = 3;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--mode" => {
                mode = match value()?.as_str() {
                    "parse" => Mode::Parse,
                    "full" => Mode::Full,
                    other => return Err(format!("--mode is parse or full, not {other:?}")),
                }
            }
            "--threads" => {
                let v = value()?;
                threads = v
                    .parse()
                    .map_err(|_| format!("--threads needs a number, not {v:?}"))?;
            }
            "--runs" => {
                let v = value()?;
                runs = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--runs needs a positive number, not {v:?}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let dir = dir.ok_or_else(|| format!("--dir is required\n{USAGE}"))?;
    if threads == 0 {
        threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    }
    Ok(Args {
        dir,
        mode,
        threads,
        runs,
    })
}

/// Totals of one pass over every document.
#[derive(Default, Clone, Copy)]
struct Counts {
    entries: u64,
    errors: u64,
}

/// Process documents from the shared cursor until none is left.
fn worker(docs: &[Doc], next: &AtomicUsize, mode: Mode) -> Counts {
    let mut c = Counts::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(doc) = docs.get(i) else { return c };
        // black_box: the results are dropped unread, and must still be built.
        let n = match mode {
            Mode::Parse => black_box(parse_doc(doc)).map(|f| f.entries.len()),
            Mode::Full => black_box(parse_normalize_doc(doc)).map(|f| f.entries.len()),
        };
        match n {
            Ok(n) => c.entries += n as u64,
            Err(_) => c.errors += 1,
        }
    }
}

/// One timed pass: seconds and totals.
fn one_run(docs: &[Doc], mode: Mode, threads: usize) -> (f64, Counts) {
    let next = AtomicUsize::new(0);
    let t0 = Instant::now();
    let counts = if threads <= 1 {
        worker(docs, &next, mode)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| s.spawn(|| worker(docs, &next, mode)))
                .collect();
            handles
                .into_iter()
                .fold(Counts::default(), |acc, h| match h.join() {
                    Ok(c) => Counts {
                        entries: acc.entries + c.entries,
                        errors: acc.errors + c.errors,
                    },
                    // A panicking parser is a bug the count must show.
                    Err(_) => Counts {
                        errors: acc.errors + 1,
                        ..acc
                    },
                })
        })
    };
    (t0.elapsed().as_secs_f64(), counts)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("parse-throughput: {e}");
            return ExitCode::from(2);
        }
    };
    let docs = match load_dir(&args.dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("parse-throughput: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bytes = total_bytes(&docs) as f64;
    let loaded_kib = proc_status_kib("VmRSS").unwrap_or(0);
    let mut secs = Vec::new();
    let mut last = Counts::default();
    for run in 1..=args.runs {
        let (s, c) = one_run(&docs, args.mode, args.threads);
        let s = s.max(1e-9);
        println!(
            "{{\"run\":{run},\"seconds\":{s:.4},\"MB_per_s\":{:.2},\"items_per_s\":{:.1},\"items\":{},\"errors\":{}}}",
            bytes / s / 1e6,
            c.entries as f64 / s,
            c.entries,
            c.errors
        );
        secs.push(s);
        last = c;
    }
    let med = median(secs);
    println!(
        "{{\"tool\":\"tributary\",\"mode\":\"{}\",\"threads\":{},\"feeds\":{},\"bytes\":{},\"runs\":{},\"items\":{},\"errors\":{},\"median_seconds\":{med:.4},\"median_MB_per_s\":{:.2},\"median_items_per_s\":{:.1},\"loaded_rss_kib\":{loaded_kib},\"peak_rss_kib\":{}}}",
        args.mode.name(),
        args.threads,
        docs.len(),
        bytes as u64,
        args.runs,
        last.entries,
        last.errors,
        bytes / med / 1e6,
        last.entries as f64 / med,
        proc_status_kib("VmHWM").unwrap_or(0)
    );
    ExitCode::SUCCESS
}
