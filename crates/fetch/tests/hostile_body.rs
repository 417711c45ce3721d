//! Hostile response bodies, measured: a gzip bomb that inflates to 1 GiB and
//! a body that never ends must both be cut off at `max_body_bytes` in bounded
//! time and memory: with `keep_oversized` off as `TooLarge` (`body_too_large`),
//! with it on (the default) as a body of exactly the limit, `truncated`.
//!
//! One test function in its own test binary, so that the process's peak
//! memory is this test's (the harness runs the tests of a file in parallel).

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::routing::get;
use axum::Router;
use tributary_fetch::{FetchConfig, FetchError, Fetcher, Validators};
use url::Url;

/// Bits written least-significant first, as DEFLATE packs them.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl BitWriter {
    fn bits(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.len;
        self.len += count;
        while self.len >= 8 {
            self.out.push((self.acc & 0xff) as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    /// A Huffman code: its bits go most-significant first.
    fn code(&mut self, code: u32, count: u32) {
        self.bits(code.reverse_bits() >> (32 - count), count);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push((self.acc & 0xff) as u8);
        }
        self.out
    }
}

/// A raw DEFLATE stream of `1 + 258 * repeats` zero bytes: one fixed-Huffman
/// block holding a literal 0 and then `repeats` copies of "length 258,
/// distance 1" (13 bits each, a ratio of about 160:1), built directly rather
/// than by compressing a gigabyte.
fn deflate_zeros(repeats: usize) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(1, 2); // BTYPE = fixed Huffman codes
    w.code(0x30, 8); // literal 0
    for _ in 0..repeats {
        w.code(0xc5, 8); // length code 285: 258 bytes
        w.code(0, 5); // distance code 0: distance 1
    }
    w.code(0, 7); // end of block
    w.finish()
}

/// `deflate` in a gzip member. The CRC is left 0: the fetcher must stop long
/// before the trailer, and one that read that far would fail on it.
fn gzip_member(deflate: &[u8], size: u64) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(deflate);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&((size & 0xffff_ffff) as u32).to_le_bytes());
    out
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reset the peak (`/proc/self/clear_refs`) and return the resident size.
fn reset_peak() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_kib("VmRSS:")
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    addr
}

const LIMIT: u64 = 8 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_and_endless_bodies_are_cut_off_in_bounded_time_and_memory() {
    // The generator itself, checked on a small stream.
    let small = deflate_zeros(1000);
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(&small[..])
        .read_to_end(&mut inflated)
        .expect("a valid DEFLATE stream");
    assert_eq!(inflated.len(), 1 + 258 * 1000);
    assert!(inflated.iter().all(|&b| b == 0));

    const INFLATED: u64 = 1 << 30;
    let repeats = usize::try_from((INFLATED - 1) / 258).expect("fits");
    let bomb = Bytes::from(gzip_member(&deflate_zeros(repeats), INFLATED));
    assert!(bomb.len() < 8 << 20, "the bomb is {} bytes", bomb.len());

    let app = Router::new()
        .route(
            "/bomb",
            get(move || {
                let bomb = bomb.clone();
                async move {
                    axum::response::Response::builder()
                        .header("content-type", "application/rss+xml")
                        .header("content-encoding", "gzip")
                        .body(Body::from(bomb))
                        .expect("response")
                }
            }),
        )
        .route(
            "/endless",
            get(|| async {
                // 64 KiB chunks for ever, with no Content-Length.
                let chunk = Bytes::from(vec![b' '; 64 << 10]);
                let stream =
                    futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
                Body::from_stream(stream)
            }),
        );
    let addr = serve(app).await;
    for (path, keep_oversized) in [
        ("/bomb", false),
        ("/endless", false),
        ("/bomb", true),
        ("/endless", true),
    ] {
        let fetcher = Fetcher::new(FetchConfig {
            allow_private_networks: true,
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: LIMIT,
            keep_oversized,
            ..FetchConfig::default()
        })
        .expect("fetcher");
        let url = Url::parse(&format!("http://{addr}{path}")).expect("url");
        let before = reset_peak();
        let started = Instant::now();
        let result = fetcher.fetch(&url, &Validators::default()).await;
        let took = started.elapsed();
        let peak = status_kib("VmHWM:");
        if keep_oversized {
            let resp = result.expect("the body up to the limit");
            assert!(resp.truncated, "{path}");
            let body = resp.body.expect("a body");
            assert_eq!(body.len() as u64, LIMIT, "{path}");
            drop(body);
        } else {
            let err = result.expect_err("cut off");
            assert!(
                matches!(err, FetchError::TooLarge { limit: LIMIT, .. }),
                "{path}: {err:?}"
            );
            assert_eq!(err.code(), "body_too_large");
            assert!(err.to_string().contains("8 MiB limit"), "{err}");
        }
        assert!(took < Duration::from_secs(10), "{path}: took {took:?}");
        if let (Some(before), Some(peak)) = (before, peak) {
            let grown = peak.saturating_sub(before) << 10;
            eprintln!(
                "{path} (keep_oversized {keep_oversized}): cut off after {took:?}, peak memory +{} KiB",
                grown >> 10
            );
            // The body up to the limit, plus buffers; the whole gigabyte
            // (or an endless body) would be far beyond.
            assert!(
                grown < 4 * LIMIT + (32 << 20),
                "{path}: peak memory grew by {} MiB",
                grown >> 20
            );
        }
    }
}
