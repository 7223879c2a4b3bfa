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
    // Deflate never expands a block by more than 5 bytes over stored.
    let mut out = Vec::with_capacity(input.len() + input.len() / 1024 * 5 + 16);
    out.extend_from_slice(&ZLIB_HEADER);
    {
        let mut bits = BitWriter::new(&mut out);
        matcher.compress(input, &mut bits);
    }
    out.extend_from_slice(&adler32(input).to_be_bytes());
    out
}

/// Adler-32 checksum of `data` (RFC 1950).
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    // Largest n with 255 n (n + 1) / 2 + (n + 1) (MOD - 1) < 2^32 (zlib's
    // NMAX); a multiple of 8.
    const NMAX: usize = 5552;
    // Eight bytes per step, summed in 16-bit lanes of a u64 (SWAR), so `a`
    // and `b` advance once per word instead of once per byte.
    const LOW_BYTES: u64 = 0x00ff_00ff_00ff_00ff;
    // Multiplying lanes [x0, x1, x2, x3] by lanes [w3, w2, w1, w0] puts
    // x0 w0 + x1 w1 + x2 w2 + x3 w3 in the top lane; no lower lane can
    // carry into it for byte-sized inputs and these weights.
    const ONES: u64 = 0x0001_0001_0001_0001;
    // Byte i of a word is in 8 - i of the word's eight running sums added
    // to `b`: even bytes 0, 2, 4, 6 weigh 8, 6, 4, 2; odd ones 7, 5, 3, 1.
    const EVEN_WEIGHTS: u64 = 8 << 48 | 6 << 32 | 4 << 16 | 2;
    const ODD_WEIGHTS: u64 = 7 << 48 | 5 << 32 | 3 << 16 | 1;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(NMAX) {
        let mut words = chunk.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes(word.try_into().unwrap());
            let even = word & LOW_BYTES;
            let odd = (word >> 8) & LOW_BYTES;
            let sum = ((even + odd).wrapping_mul(ONES) >> 48) as u32;
            let weighted =
                (even.wrapping_mul(EVEN_WEIGHTS) + odd.wrapping_mul(ODD_WEIGHTS)) >> 48;
            // Exactly b after the word byte by byte, so within zlib's bound.
            b += 8 * a + weighted as u32;
            a += sum;
        }
        for &byte in words.remainder() {
            a += u32::from(byte);
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
