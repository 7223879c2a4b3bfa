//! A pure-Rust zlib encoder that reproduces zlib 1.2.13's `compress()` at
//! level 6 byte for byte (what CPython's `zlib.compress(data)` returns), but
//! whose per-call setup is proportional to the input instead of zlib's fixed
//! allocations and 64 KiB hash-table clear.
//!
//! Parameters mirrored from zlib: level 6 (good 8, lazy 16, nice 128,
//! chain 128), windowBits 15, memLevel 8 (hash 15 bits, shift 5, 16K symbol
//! buffer), default strategy.

mod bits;
mod lz77;
mod trees;

use std::cell::RefCell;

use bits::BitWriter;
use lz77::Matcher;

/// Largest input for which `zlib_compress_level6` is exact (65273 bytes):
/// above it zlib slides its window, which this port does not model.
pub const MAX_EXACT_INPUT: usize = lz77::MAX_INPUT;

/// zlib header for deflate, 32K window, level 6 ("default compression" flags).
const ZLIB_HEADER: [u8; 2] = [0x78, 0x9c];

thread_local! {
    // Reused across calls: ~200 KiB of tables that need no clearing between
    // calls (see lz77.rs), so a call only touches what its input touches.
    static MATCHER: RefCell<Option<Box<Matcher>>> = const { RefCell::new(None) };
}

/// Compress `input` exactly like zlib 1.2.13 `compress2(.., 6)` /
/// CPython `zlib.compress(input)`. Returns None when the input is larger than
/// [`MAX_EXACT_INPUT`]; callers should then use real zlib.
pub fn zlib_compress_level6(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() > MAX_EXACT_INPUT {
        return None;
    }
    let out = MATCHER
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let matcher = slot.get_or_insert_with(|| Box::new(Matcher::new()));
                compress_with(matcher, input)
            }
            // Re-entered on this thread (cannot happen today): use a private state.
            Err(_) => compress_with(&mut Matcher::new(), input),
        })
        .unwrap_or_else(|_| compress_with(&mut Matcher::new(), input));
    Some(out)
}

fn compress_with(matcher: &mut Matcher, input: &[u8]) -> Vec<u8> {
    // Deflate never expands a block by more than 5 bytes over stored; the
    // writer grows if this estimate is ever short.
    let capacity = input.len() + input.len() / 1024 * 5 + 16 + 4;
    let mut out = Vec::with_capacity(ZLIB_HEADER.len() + capacity + 8);
    out.extend_from_slice(&ZLIB_HEADER);
    let mut bits = BitWriter::new(&mut out, capacity);
    matcher.compress(input, &mut bits);
    // compress() ends with an aligned writer.
    bits.write_bytes(&adler32(input).to_be_bytes());
    bits.finish();
    out
}

/// Adler-32 checksum of `data` (RFC 1950).
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    // Largest n with 255 n (n + 1) / 2 + (n + 1) (MOD - 1) < 2^32 (zlib's
    // NMAX); a multiple of LANES.
    const NMAX: usize = 5552;
    const LANES: usize = 16;
    const _: () = assert!(NMAX % LANES == 0);
    let (mut a, mut b) = (1u32, 0u32);
    if data.len() < 20 * LANES {
        // Too short for the lanes to pay for combining them (measured:
        // the lanes cost about 2.3 instructions a byte plus ~230, the
        // plain loop 3).
        for &byte in data {
            a += byte as u32;
            b += a;
        }
        return ((b % MOD) << 16) | (a % MOD);
    }
    for chunk in data.chunks(NMAX) {
        // Per lane i over the rows of LANES bytes: lane_a sums column i,
        // lane_b sums lane_a as it stood before each row. The rows then
        // contribute LANES * rows * a (the a they start from),
        // LANES * sum(lane_b) and sum((LANES - i) * lane_a[i]) to b. The
        // lanes vectorize; per lane, lane_b < 347 * 346 / 2 * 255 < 2^24.
        let rows = chunk.chunks_exact(LANES);
        let tail = rows.remainder();
        let row_count = rows.len() as u64;
        let mut lane_a = [0u32; LANES];
        let mut lane_b = [0u32; LANES];
        for row in rows {
            for i in 0..LANES {
                lane_b[i] += lane_a[i];
                lane_a[i] += row[i] as u32;
            }
        }
        let mut sum_a = a as u64;
        let mut sum_b = b as u64 + LANES as u64 * row_count * a as u64;
        for i in 0..LANES {
            sum_a += lane_a[i] as u64;
            sum_b += LANES as u64 * lane_b[i] as u64 + (LANES - i) as u64 * lane_a[i] as u64;
        }
        // sum_a < 2^32 by NMAX's choice; reduce both before the tail.
        a = (sum_a % MOD as u64) as u32;
        b = (sum_b % MOD as u64) as u32;
        for &byte in tail {
            a += byte as u32;
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bench;
