//! Throughput of `sanitize` alone over the CDATA-wrapped HTML of a feed farm
//! (`python3 ../shared/bench/feedfarm.py generate`), for profiling:
//! `cargo build --release -p tributary-normalize --example prof_sanitize &&
//! valgrind --tool=callgrind target/release/examples/prof_sanitize /tmp/farm/f 1`.

use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut frags = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let s = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let mut rest = s.as_str();
        while let Some(i) = rest.find("<![CDATA[") {
            let after = &rest[i + 9..];
            let Some(j) = after.find("]]>") else { break };
            frags.push(after[..j].to_owned());
            rest = &after[j..];
        }
    }
    let bytes: usize = frags.iter().map(|f| f.len()).sum();
    let base = url::Url::parse("https://example.com/blog/post/").unwrap();
    let runs: usize = std::env::args().nth(2).map_or(3, |n| n.parse().unwrap());
    for _ in 0..runs {
        let t = Instant::now();
        let mut out = 0;
        for f in &frags {
            out += tributary_normalize::sanitize::sanitize(f, Some(&base))
                .html
                .len();
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{} frags {} bytes -> {} in {:.3}s = {:.1} MB/s",
            frags.len(),
            bytes,
            out,
            s,
            bytes as f64 / s / 1e6
        );
    }
}
