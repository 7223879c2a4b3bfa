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

const ADLER_MOD: u32 = 65521;
/// Bytes per 16-byte-block pass: the largest multiple of 16 not above zlib's
/// NMAX (5552), the most bytes before `b` can pass 2^32 unreduced.
const ADLER_NMAX: usize = 5552;
const _: () = assert!(ADLER_NMAX.is_multiple_of(16));

/// Adler-32 checksum of `data` (RFC 1950).
pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(ADLER_NMAX) {
        let (blocks, tail) = chunk.split_at(chunk.len() / 16 * 16);
        (a, b) = adler32_blocks(a, b, blocks);
        for &byte in tail {
            a += byte as u32;
            b += a;
        }
        a %= ADLER_MOD;
        b %= ADLER_MOD;
    }
    (b << 16) | a
}

/// `(a, b)` after `blocks` (whole 16-byte blocks, at most ADLER_NMAX bytes),
/// reduced. Over k blocks starting from (a, b): a gains every byte, and b
/// gains 16 k a, 16 times the sum of the bytes before each block, and each
/// block's bytes weighted 16, 15, ..., 1.
#[cfg(target_arch = "x86_64")]
fn adler32_blocks(a: u32, b: u32, blocks: &[u8]) -> (u32, u32) {
    // SAFETY: SSE2 is part of x86_64 (no detection needed); the only memory
    // accesses are the loads and stores noted below.
    unsafe { adler32_blocks_sse2(a, b, blocks) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn adler32_blocks_sse2(a: u32, b: u32, blocks: &[u8]) -> (u32, u32) {
    use std::arch::x86_64::*;
    let zero = _mm_setzero_si128();
    let weights_low = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
    let weights_high = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
    // Two u64 lanes each: bytes so far; the sum of `bytes` at each block start.
    let (mut bytes, mut before_blocks) = (zero, zero);
    // Four i32 lanes: the weighted bytes (at most 11730 per block per lane).
    let mut weighted = zero;
    for block in blocks.chunks_exact(16) {
        // SAFETY: an unaligned load of exactly the 16 bytes of `block`.
        let v = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
        before_blocks = _mm_add_epi64(before_blocks, bytes);
        bytes = _mm_add_epi64(bytes, _mm_sad_epu8(v, zero));
        let low = _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), weights_low);
        let high = _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), weights_high);
        weighted = _mm_add_epi32(weighted, _mm_add_epi32(low, high));
    }
    let mut u64_lanes = [0u64; 2];
    let mut u32_lanes = [0u32; 4];
    let mut sum64 = |v| {
        // SAFETY: a 16-byte store into a 16-byte array.
        unsafe { _mm_storeu_si128(u64_lanes.as_mut_ptr().cast(), v) };
        u64_lanes[0] + u64_lanes[1]
    };
    let (bytes, before_blocks) = (sum64(bytes), sum64(before_blocks));
    // SAFETY: as above.
    unsafe { _mm_storeu_si128(u32_lanes.as_mut_ptr().cast(), weighted) };
    let weighted: u64 = u32_lanes.iter().map(|&lane| lane as u64).sum();
    let block_count = (blocks.len() / 16) as u64;
    let a64 = a as u64 + bytes;
    let b64 = b as u64 + 16 * block_count * a as u64 + 16 * before_blocks + weighted;
    ((a64 % ADLER_MOD as u64) as u32, (b64 % ADLER_MOD as u64) as u32)
}

#[cfg(not(target_arch = "x86_64"))]
fn adler32_blocks(a: u32, b: u32, blocks: &[u8]) -> (u32, u32) {
    adler32_blocks_portable(a, b, blocks)
}

/// Portable version of the above, in 16 u32 lanes the compiler vectorizes:
/// lane i sums column i of the blocks, and its running sum before each block.
/// On x86_64 only the tests use it, as the SSE2 version's reference.
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
fn adler32_blocks_portable(a: u32, b: u32, blocks: &[u8]) -> (u32, u32) {
    let mut lane_bytes = [0u32; 16];
    let mut lane_before = [0u32; 16];
    for block in blocks.chunks_exact(16) {
        for i in 0..16 {
            lane_before[i] += lane_bytes[i];
            lane_bytes[i] += block[i] as u32;
        }
    }
    let block_count = (blocks.len() / 16) as u64;
    let mut a64 = a as u64;
    let mut b64 = b as u64 + 16 * block_count * a as u64;
    for i in 0..16 {
        a64 += lane_bytes[i] as u64;
        b64 += 16 * lane_before[i] as u64 + (16 - i) as u64 * lane_bytes[i] as u64;
    }
    ((a64 % ADLER_MOD as u64) as u32, (b64 % ADLER_MOD as u64) as u32)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bench;
