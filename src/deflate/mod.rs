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
    // Largest n with 255 n (n + 1) / 2 + (n + 1) (MOD - 1) < 2^32 (zlib's NMAX).
    const NMAX: usize = 5552;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(NMAX) {
        for &byte in chunk {
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
