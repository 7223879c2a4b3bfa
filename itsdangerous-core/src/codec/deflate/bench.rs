//! Timing and profiling harness, ignored by default:
//!   cargo test --release --lib deflate::bench -- --ignored --nocapture --test-threads=1
//! The `profile_*` tests are small fixed workloads for
//!   valgrind --tool=callgrind <test binary> --ignored --exact deflate::bench::profile_libz_160

use std::hint::black_box;

use flate2::{Compress, Compression, FlushCompress, Status};

use super::zlib_compress_level6;
use crate::test_support::per_call_ns;

/// A Flask-style session payload of roughly `target` bytes (compact JSON).
fn session_json(target: usize) -> Vec<u8> {
    let mut out = String::from("{\"_fresh\":true,\"_id\":\"3f9a1c0e8b7d6a5f4e3d2c1b0a998877\"");
    out.push_str(",\"csrf_token\":\"4c7a2e9f0b1d3c5e7f9a1b3c5d7e9f0a2b4c6d8e\"");
    let mut i = 0u64;
    while out.len() + 2 < target {
        let item = format!(
            ",\"cart_{i}\":{{\"sku\":\"SKU-{:06}\",\"qty\":{},\"price\":{}.{:02}}}",
            (i * 7919) % 1_000_000,
            1 + i % 5,
            3 + (i * 37) % 200,
            (i * 13) % 100
        );
        out.push_str(&item);
        i += 1;
    }
    out.push('}');
    let mut bytes = out.into_bytes();
    if bytes.len() > target {
        // Keep it valid-looking: cut inside the last value, close the object.
        bytes.truncate(target - 1);
        bytes.push(b'}');
    }
    bytes
}

/// The small benchmark session's shape (Flask-Login: a 128-hex `_id` and a
/// 40-hex `csrf_token`), 238 bytes of tagged JSON; hex makes it a dynamic
/// block with about 45 literal codes.
fn login_session_json() -> Vec<u8> {
    let mut rng = crate::test_support::Rng(7);
    let mut hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[rng.below(16)]))
            .collect()
    };
    let (id, csrf) = (hex(128), hex(40));
    format!(
        "{{\"_user_id\":\"1042\",\"_fresh\":true,\"_id\":\"{id}\",\"csrf_token\":\"{csrf}\",\"counter\":1}}"
    )
    .into_bytes()
}

/// CPython's pattern: a fresh stream, one deflate(Z_FINISH).
fn libz_fresh(input: &[u8], out: &mut Vec<u8>) {
    let mut z = Compress::new(Compression::new(6), true);
    out.clear();
    out.reserve(input.len() + 64);
    let status = z.compress_vec(input, out, FlushCompress::Finish).unwrap();
    assert_eq!(status, Status::StreamEnd);
}

/// One stream kept around and deflateReset between inputs.
fn libz_reused(z: &mut Compress, input: &[u8], out: &mut Vec<u8>) {
    z.reset();
    out.clear();
    out.reserve(input.len() + 64);
    let status = z.compress_vec(input, out, FlushCompress::Finish).unwrap();
    assert_eq!(status, Status::StreamEnd);
}

#[test]
#[ignore]
fn timings() {
    println!("per call, ns: median (10th percentile) over 2000 batches of 20 calls");
    println!(
        "{:>6} {:>5} {:>4} {:>16} {:>16} {:>16}",
        "in", "out", "blk", "rust", "libz fresh", "libz reset"
    );
    let inputs = [160, 1024, 3584].map(session_json);
    for input in std::iter::once(login_session_json()).chain(inputs) {
        let ours = zlib_compress_level6(&input).unwrap();
        let mut out = Vec::new();
        libz_fresh(&input, &mut out);
        assert_eq!(ours, out, "not identical");

        let (batches, calls) = (2000, 20);
        let rust = per_call_ns(batches, calls, || {
            black_box(zlib_compress_level6(black_box(&input)));
        });
        let fresh = per_call_ns(batches, calls, || libz_fresh(black_box(&input), &mut out));
        let mut z = Compress::new(Compression::new(6), true);
        let reused = per_call_ns(batches, calls, || {
            libz_reused(&mut z, black_box(&input), &mut out)
        });
        let cell = |(median, p10): (f64, f64)| format!("{median:.0} ({p10:.0})");
        println!(
            "{:>6} {:>5} {:>4} {:>16} {:>16} {:>16}",
            input.len(),
            ours.len(),
            // BTYPE of the first block: 0 stored, 1 static, 2 dynamic.
            (ours[2] >> 1) & 3,
            cell(rust),
            cell(fresh),
            cell(reused)
        );
    }
}

const PROFILE_CALLS: usize = 1000;

#[test]
#[ignore]
fn profile_libz_160() {
    let input = session_json(160);
    let mut out = Vec::new();
    for _ in 0..PROFILE_CALLS {
        libz_fresh(black_box(&input), &mut out);
    }
}

#[test]
#[ignore]
fn profile_libz_reused_160() {
    let input = session_json(160);
    let mut out = Vec::new();
    let mut z = Compress::new(Compression::new(6), true);
    for _ in 0..PROFILE_CALLS {
        libz_reused(&mut z, black_box(&input), &mut out);
    }
}

fn profile_rust(target: usize) {
    let input = session_json(target);
    for _ in 0..PROFILE_CALLS {
        black_box(zlib_compress_level6(black_box(&input)));
    }
}

#[test]
#[ignore]
fn profile_rust_login() {
    let input = login_session_json();
    for _ in 0..PROFILE_CALLS {
        black_box(zlib_compress_level6(black_box(&input)));
    }
}

#[test]
#[ignore]
fn profile_rust_160() {
    profile_rust(160);
}

#[test]
#[ignore]
fn profile_rust_1024() {
    profile_rust(1024);
}

#[test]
#[ignore]
fn profile_rust_3584() {
    profile_rust(3584);
}

/// The login compress with caches warm, and after a 1 MiB sweep that
/// evicts L2 (as a request's other work may): medians of batches, the
/// sweep's own time subtracted, best of five interleaved rounds.
#[test]
#[ignore]
fn cold_cache() {
    let json = login_session_json();
    let mut sweep = vec![1u8; 1 << 20];
    let mut touch = move || {
        for i in (0..sweep.len()).step_by(64) {
            sweep[i] = sweep[i].wrapping_add(1);
        }
        black_box(&sweep);
    };
    let compress = || {
        black_box(zlib_compress_level6(black_box(&json)));
    };
    let (mut warm, mut only, mut with) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..5 {
        warm = warm.min(per_call_ns(80, 20, compress).0);
        only = only.min(per_call_ns(80, 20, &mut touch).0);
        with = with.min(
            per_call_ns(80, 20, || {
                touch();
                compress();
            })
            .0,
        );
    }
    println!("warm {warm:.0} ns, cold {:.0} ns (sweep {only:.0})", with - only);
}

/// Adler-32: the SSE2 version against libz's (already linked), at session sizes.
#[test]
#[ignore]
fn adler32_against_libz() {
    for len in [238usize, 1008, 3579] {
        let data = session_json(len);
        let libz = || unsafe { libz_sys::adler32(1, data.as_ptr(), data.len() as _) } as u32;
        assert_eq!(super::adler32(&data), libz());
        for round in 0..5 {
            let (ours, _) = per_call_ns(200, 2000, || {
                black_box(super::adler32(black_box(&data)));
            });
            let (zlib, _) = per_call_ns(200, 2000, || {
                black_box(unsafe { libz_sys::adler32(1, black_box(data.as_ptr()), data.len() as _) });
            });
            println!("adler32 {len:>5} B round {round}: sse2 {ours:7.1} ns, libz {zlib:7.1} ns");
        }
    }
}
