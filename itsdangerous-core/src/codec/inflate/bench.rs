//! Timing and profiling harness, ignored by default:
//!   cargo test --release --lib inflate::bench -- --ignored --nocapture --test-threads=1
//! The `profile_*` tests are small fixed workloads for
//!   valgrind --tool=callgrind <test binary> --ignored --exact inflate::bench::profile_fast_small

use std::hint::black_box;

use super::inflate_zlib;
use crate::codec::compress::{compress, decompress_with_zlib};
use crate::test_support::per_call_ns;

/// The packaged sample sessions as compact JSON, deflated like a cookie.
fn sample_stream(name: &str) -> (Vec<u8>, Vec<u8>) {
    let text = match name {
        "small" => include_str!("../../../../python/itsdangerous_rs/samples/small.json"),
        "medium" => include_str!("../../../../python/itsdangerous_rs/samples/medium.json"),
        _ => include_str!("../../../../python/itsdangerous_rs/samples/large.json"),
    };
    let value = crate::codec::json::from_slice(text.as_bytes()).expect("sample is JSON");
    let options = crate::codec::json::Options {
        ensure_ascii: true,
        sort_keys: false,
        compact: true,
    };
    let json = crate::codec::json::to_vec(&value, &options);
    (compress(&json), json)
}

#[test]
#[ignore]
fn timings() {
    println!("per call, ns: median (10th percentile) over 2000 batches of 20 calls");
    println!(
        "{:>7} {:>6} {:>16} {:>16} {:>7}",
        "sample", "in", "rust", "libz", "ratio"
    );
    for name in ["small", "medium", "large"] {
        let (stream, json) = sample_stream(name);
        assert_eq!(inflate_zlib(&stream, 1 << 20).as_deref(), Some(&json[..]));
        let cap = 1 << 20;
        // Interleave the two so machine noise hits both alike.
        let (mut rust, mut libz) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            rust.push(per_call_ns(400, 20, || {
                black_box(inflate_zlib(black_box(&stream), cap));
            }));
            libz.push(per_call_ns(400, 20, || {
                black_box(decompress_with_zlib(black_box(&stream), cap).ok());
            }));
        }
        let best = |v: &[(f64, f64)]| {
            let median = v.iter().map(|s| s.0).fold(f64::MAX, f64::min);
            let p10 = v.iter().map(|s| s.1).fold(f64::MAX, f64::min);
            (median, p10)
        };
        let (rust, libz) = (best(&rust), best(&libz));
        let cell = |(median, p10): (f64, f64)| format!("{median:.0} ({p10:.0})");
        println!(
            "{:>7} {:>6} {:>16} {:>16} {:>6.2}x",
            name,
            stream.len(),
            cell(rust),
            cell(libz),
            libz.0 / rust.0
        );
    }
}

/// Calls per profile run; `INFLATE_PROFILE_CALLS` raises it for sampling profilers.
fn profile_calls() -> usize {
    std::env::var("INFLATE_PROFILE_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

fn profile(name: &str, fast: bool) {
    let (stream, _) = sample_stream(name);
    for _ in 0..profile_calls() {
        if fast {
            black_box(inflate_zlib(black_box(&stream), 1 << 20));
        } else {
            black_box(decompress_with_zlib(black_box(&stream), 1 << 20).ok());
        }
    }
}

#[test]
#[ignore]
fn profile_fast_small() {
    profile("small", true);
}

#[test]
#[ignore]
fn profile_libz_small() {
    profile("small", false);
}

#[test]
#[ignore]
fn profile_fast_large() {
    profile("large", true);
}

#[test]
#[ignore]
fn profile_libz_large() {
    profile("large", false);
}
