//! Arbitrary HTML → `tributary_normalize::sanitize::sanitize_html`, with and
//! without a base URL. Invariants: those of
//! `crates/normalize/tests/sanitize_props.rs` (no `<script`, no `on*`
//! handlers, no `srcdoc`/`formaction`/`id`/`class`/`name`, only clean CSS in
//! `style`, no dropped elements, only safe absolute (or empty) URLs, frames
//! only from the allow-list); see `violations` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    tributary_fuzz::check_sanitize(&html);
});
