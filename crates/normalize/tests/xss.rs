//! XSS filter-evasion vectors (in the style of OWASP's "XSS Filter Evasion
//! Cheat Sheet") through [`sanitize_html`], each checked structurally.
//!
//! The output of every vector is parsed back with `scraper` (html5ever, the
//! parser a browser-like reader would use) and must satisfy [`violations`]:
//! only allow-listed elements, no `on*`, `id`, `name` or `class` attribute,
//! `style` only without anything that fetches, binds or positions, every URL-bearing
//! attribute absent or `http(s)`/`mailto` after entity decoding and removal
//! of white space and control characters, no `<base>`, `<meta>`, `<link>`,
//! `<script>`, `<style>`, and frames only from allow-listed players over https.
//! Each vector is run with and without a base URL, and the output sanitized a
//! second time must be safe too (a reader may store and re-sanitize).
//!
//! Most rows also name a fragment of markup that must *survive*, so a
//! sanitizer that simply returned nothing would fail them.
//!
//! The list and the checker live in `support/xss.rs` (shared with the web
//! crate's end-to-end XSS test).

#[path = "support/xss.rs"]
mod support;

use support::{base, violations, VECTORS};
use tributary_normalize::sanitize::sanitize_html;
use url::Url;

#[test]
fn at_least_sixty_vectors() {
    eprintln!("{} vectors", VECTORS.len());
    assert!(VECTORS.len() >= 60, "only {} vectors", VECTORS.len());
}

#[test]
fn no_vector_survives() {
    let b = base();
    let mut failures = Vec::new();
    for (vector, must_keep) in VECTORS {
        for base in [Some(&b), None] {
            let once = sanitize_html(vector, base);
            let twice = sanitize_html(&once, base);
            for (pass, out) in [("once", &once), ("twice", &twice)] {
                let bad = violations(out);
                if !bad.is_empty() {
                    failures.push(format!(
                        "{vector:?} (base {:?}, sanitized {pass}) -> {out:?}: {bad:?}",
                        base.map(Url::as_str)
                    ));
                }
            }
            if base.is_some() && !once.contains(must_keep) {
                failures.push(format!(
                    "{vector:?} -> {once:?}: expected {must_keep:?} to remain"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The checker itself must catch what it is meant to catch: run it over
/// unsanitized vectors.
#[test]
fn checker_flags_raw_vectors() {
    for raw in [
        r#"<a href="jav&#x09;ascript:alert(1)">x</a>"#,
        r#"<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">x</a>"#,
        "<img src=x onerror=alert(1)>",
        r#"<div style="background:url(javascript:alert(1))">d</div>"#,
        r#"<p style="position:fixed;top:0">d</p>"#,
        r#"<svg><set attributeName="href" to="javascript:alert(1)"/></svg>"#,
        r#"<span id="x" class="y">d</span>"#,
        r#"<svg><a xlink:href="javascript:alert(1)">t</a></svg>"#,
        r#"<img srcset="ok.png 1x, javascript:alert(1) 2x">"#,
        r#"<base href="https://evil.example/">"#,
        r#"<iframe src="https://evil.example/"></iframe>"#,
        r#"<form action="https://evil.example/"></form>"#,
        r#"<button formaction="data:text/html,x">b</button>"#,
        r#"<object data="data:text/html,x"></object>"#,
    ] {
        assert!(!violations(raw).is_empty(), "checker missed {raw:?}");
    }
    assert!(violations(r#"<a href="https://ok.example/">ok</a><p>t</p>"#).is_empty());
}
