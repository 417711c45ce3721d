//! The serve-time privacy rewrite (`tributary_privacy::Rewrite::html`)
//! over a typical 20 KB entry: 58 paragraphs with 116 links (half with `utm_*`),
//! 20 figure images, one with a `srcset`, one in a `picture`, a FeedBurner
//! pixel and a 1×1 image — what a long blog post looks like after the
//! sanitizer. Cases: a plain copy (the floor), tracker removal only, the
//! image proxy only, and both (what a served entry costs with
//! `media_proxy = "images"` and `strip_trackers = true`).
//!
//! `cargo bench -p tributary-bench --bench privacy`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tributary_privacy::{MediaScope, ProxyOptions, Rewrite, Signer};

/// About 20 KB of sanitized entry HTML.
fn entry() -> String {
    let mut html = String::new();
    let mut i = 0;
    while html.len() < 20_000 {
        html.push_str(&format!(
            "<p>Paragraph {i} about leaf and spine fabrics, BGP unnumbered and EVPN route types, \
             with <a href=\"https://blog.example.com/post/{i}?utm_source=rss&amp;utm_medium=feed\" rel=\"noopener noreferrer\">a link</a> \
             and <a href=\"https://docs.example.org/page/{i}#section\" rel=\"noopener noreferrer\">another</a>.</p>\n"
        ));
        if i % 3 == 0 {
            html.push_str(&format!(
                "<figure><img src=\"https://cdn.example.com/images/{i}.jpg\" alt=\"Figure {i}\" width=\"800\" height=\"450\"><figcaption>Figure {i}</figcaption></figure>\n"
            ));
        }
        i += 1;
    }
    html.push_str("<img src=\"https://cdn.example.com/hero.jpg\" srcset=\"https://cdn.example.com/hero-800.jpg 800w, https://cdn.example.com/hero-1600.jpg 1600w\" alt=\"\">\n");
    html.push_str("<picture><source srcset=\"https://cdn.example.com/p.avif\" type=\"image/avif\"><img src=\"https://cdn.example.com/p.jpg\" alt=\"\"></picture>\n");
    html.push_str("<img src=\"http://feeds.feedburner.com/~r/Blog/~4/AbCdEf\" height=\"1\" width=\"1\" alt=\"\">");
    html.push_str(
        "<img src=\"https://stats.example.com/p.gif\" width=\"1\" height=\"1\" alt=\"\">",
    );
    html
}

fn bench(c: &mut Criterion) {
    let html = entry();
    let signer = Signer::new("0123456789abcdef0123456789abcdef").unwrap();
    let proxy = ProxyOptions {
        signer: &signer,
        base: "",
        scope: MediaScope::Images,
        expires: 1_800_000_000,
    };
    let strip = Rewrite {
        strip_trackers: true,
        proxy: None,
    };
    let images = Rewrite {
        strip_trackers: false,
        proxy: Some(proxy),
    };
    let both = Rewrite {
        strip_trackers: true,
        proxy: Some(proxy),
    };
    let out = both.html(&html);
    eprintln!(
        "privacy: entry {} bytes, {} images, out {} bytes, {} proxy URLs",
        html.len(),
        html.matches("<img").count(),
        out.len(),
        out.matches("/proxy/").count()
    );
    let mut g = c.benchmark_group("privacy-20kb-entry");
    g.throughput(Throughput::Bytes(html.len() as u64));
    g.bench_function("copy", |b| {
        b.iter(|| std::hint::black_box(&html).to_owned())
    });
    g.bench_function("strip_trackers", |b| {
        b.iter(|| strip.html(std::hint::black_box(&html)))
    });
    g.bench_function("proxy_images", |b| {
        b.iter(|| images.html(std::hint::black_box(&html)))
    });
    g.bench_function("strip_and_proxy", |b| {
        b.iter(|| both.html(std::hint::black_box(&html)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
