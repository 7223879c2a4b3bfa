//! Byte-identity against real zlib (flate2 over libz-sys), which produces the
//! same level-6 stream as the zlib 1.2.13 CPython links.

use super::*;
use crate::test_support::{random_bytes, repetitive, Rng};
use flate2::{Compress, Compression, FlushCompress, Status};

fn reference(input: &[u8]) -> Vec<u8> {
    // One deflate(Z_FINISH) call on a fresh stream, as CPython's zlib.compress does.
    let mut z = Compress::new(Compression::new(6), true);
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 64);
    loop {
        let consumed = z.total_in() as usize;
        match z
            .compress_vec(&input[consumed..], &mut out, FlushCompress::Finish)
            .unwrap()
        {
            Status::StreamEnd => return out,
            _ => out.reserve(out.capacity().max(64)),
        }
    }
}

fn assert_identical(input: &[u8], what: &str) {
    let ours = zlib_compress_level6(input).expect("within exact limit");
    let theirs = reference(input);
    if ours != theirs {
        let first_diff = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        panic!(
            "{what}: {} input bytes: ours {} bytes, zlib {} bytes, first difference at {:?}",
            input.len(),
            ours.len(),
            theirs.len(),
            first_diff
        );
    }
}

const WORDS: &[&str] = &[
    "user",
    "id",
    "name",
    "csrf_token",
    "_fresh",
    "_permanent",
    "true",
    "false",
    "null",
    "cart",
    "items",
    "price",
    "qty",
    "session",
    "flash",
    "message",
    "the",
    "a",
    "of",
    "and",
    "é",
    "日本",
];

fn small_alphabet(rng: &mut Rng, len: usize) -> Vec<u8> {
    let alphabet = 1 + rng.below(12);
    (0..len).map(|_| b'a' + rng.below(alphabet) as u8).collect()
}

fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(rng.pick(WORDS).as_bytes());
        out.push(*rng.pick(b" ,.\n "));
    }
    out.truncate(len);
    out
}

fn json_like(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    out.push(b'{');
    while out.len() < len {
        out.extend_from_slice(format!("\"{}\":", rng.pick(WORDS)).as_bytes());
        match rng.below(4) {
            0 => out.extend_from_slice(rng.next().to_string().as_bytes()),
            1 => out.extend_from_slice(format!("\"{:x}\"", rng.next()).as_bytes()),
            2 => out.extend_from_slice(b"[1,2,3]"),
            _ => out.extend_from_slice(rng.pick(&["true", "false", "null"]).as_bytes()),
        }
        out.push(b',');
    }
    out.truncate(len);
    out
}

fn base64_like(rng: &mut Rng, len: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..len).map(|_| ALPHABET[rng.below(64)]).collect()
}

/// Literal frequencies in Fibonacci proportions force Huffman codes past
/// 15 bits, exercising zlib's bit-length overflow repair.
fn fibonacci_skew(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut a, mut b) = (1usize, 1usize);
    for symbol in 0..=255u8 {
        out.extend(std::iter::repeat_n(symbol, a));
        (a, b) = (b, a + b);
        if out.len() > len {
            break;
        }
    }
    out.truncate(len);
    // Shuffle so the bytes are mostly literals, not runs.
    for i in (1..out.len()).rev() {
        out.swap(i, rng.below(i + 1));
    }
    out
}

/// Back-to-back matches whose length codes have Fibonacci frequencies, so
/// the optimal literal/length tree is over 15 deep and zlib's repair of
/// over-long codes runs. Needs about 25 KB to hold the whole distribution.
fn length_skew(rng: &mut Rng, len: usize) -> Vec<u8> {
    // Length codes 257..=273: base length and extra bits.
    const BASE: [usize; 17] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35];
    const EXTRA: [u32; 17] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3];
    const DICTIONARY: usize = 1024;
    let mut codes = Vec::new();
    let (mut a, mut b) = (1usize, 1usize);
    for code in (0..BASE.len()).rev() {
        codes.extend(std::iter::repeat_n(code, a));
        (a, b) = (b, a + b);
    }
    for i in (1..codes.len()).rev() {
        codes.swap(i, rng.below(i + 1));
    }
    // Random dictionary, then copies of its pieces; a copy's continuation
    // rarely matches, so each copy becomes one match of the intended length.
    let mut out = random_bytes(rng, len.min(DICTIONARY));
    for code in codes {
        if out.len() >= len {
            break;
        }
        let length = BASE[code] + rng.below(1 << EXTRA[code]);
        let source = if length == 3 {
            // zlib drops 3-byte matches more than 4096 back: copy recent bytes.
            out.len() - 3 - rng.below((out.len() - 3).min(4000))
        } else {
            rng.below(DICTIONARY - length)
        };
        for i in 0..length {
            out.push(out[source + i]);
        }
    }
    let rest = len.saturating_sub(out.len());
    out.extend(random_bytes(rng, rest));
    out.truncate(len);
    out
}

/// Matches whose distance codes are skewed just past Fibonacci, so the
/// optimal distance tree is 16 deep and zlib's repair of over-long codes
/// runs. Needs about 38 KB to hold the whole distribution.
///
/// Layout: segments of 1 fresh random byte then a 4-byte copy. A 4-gram that
/// includes a fresh byte is (almost always) unique until copied, and no two
/// copies overlap in their sources, so zlib finds the intended distance.
/// Each count exceeds the sum of all smaller ones but one by 3, which keeps
/// the tree a single chain despite a little matcher noise.
fn distance_skew(rng: &mut Rng, len: usize) -> Vec<u8> {
    const SEGMENT: usize = 5;
    const FIRST_CODE: usize = 7;
    const LAST_CODE: usize = 23;
    const MARGIN: usize = 3;
    // Distance codes 7..=23 cover distances 13..=4096.
    const DIST_BASE: [usize; 25] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097,
    ];
    let mut counts = vec![1usize, 1];
    while counts.len() < LAST_CODE - FIRST_CODE + 1 {
        let below_previous: usize = counts[..counts.len() - 1].iter().sum();
        counts.push((below_previous + MARGIN).max(*counts.last().unwrap()));
    }
    let mut pending = Vec::new();
    for (code, count) in (FIRST_CODE..=LAST_CODE).rev().zip(counts) {
        pending.extend(std::iter::repeat_n(code, count));
    }
    for i in (1..pending.len()).rev() {
        pending.swap(i, rng.below(i + 1));
    }
    let mut used = Vec::new(); // per position: its 4-gram was already copied
    let mut out = Vec::with_capacity(len + SEGMENT);
    while out.len() < len {
        out.push(rng.next() as u8);
        let copy_at = out.len();
        used.resize(copy_at + 4, false);
        // The 4-gram starting at a copy is not unique; all others are.
        let usable = |p: usize, used: &[bool]| p % SEGMENT != 1 && !used[p];
        let mut placed = None;
        // Far codes wait until there is enough history; try a few pending codes.
        for i in 0..pending.len().min(8) {
            let code = pending[i];
            let (lo, hi) = (DIST_BASE[code], DIST_BASE[code + 1] - 1);
            if copy_at < hi {
                continue;
            }
            let span = hi - lo + 1;
            let start = rng.below(span);
            let found = (0..span)
                .map(|j| copy_at - lo - (start + j) % span)
                .find(|&p| usable(p, &used));
            if let Some(p) = found {
                placed = Some(p);
                pending.remove(i);
                break;
            }
        }
        match placed {
            Some(p) => {
                // No other copy may share any byte of this source.
                used[p.saturating_sub(3)..p + 4].fill(true);
                for i in 0..4 {
                    out.push(out[p + i]);
                }
            }
            None => out.extend(random_bytes(rng, 4)),
        }
    }
    out.truncate(len);
    out
}

/// Independent bytes from a random subset of values with random weights;
/// the skewed code lengths often overflow the 7-bit code-length tree.
fn weighted_random(rng: &mut Rng, len: usize) -> Vec<u8> {
    let symbols = 2 + rng.below(255);
    let weights: Vec<(u8, u64)> = (0..symbols)
        .map(|_| {
            let scale = (1 + rng.below(4) as u64).pow(rng.below(6) as u32);
            (rng.next() as u8, (1 + rng.next() % 1000) * scale)
        })
        .collect();
    let total: u64 = weights.iter().map(|w| w.1).sum();
    (0..len)
        .map(|_| {
            let mut r = rng.next() % total;
            for &(byte, weight) in &weights {
                if r < weight {
                    return byte;
                }
                r -= weight;
            }
            unreachable!()
        })
        .collect()
}

fn mixed(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let piece = 1 + rng.below(len - out.len()).min(512);
        let kind = rng.below(GENERATORS.len() - 1);
        out.extend(generate(rng, piece, kind));
    }
    out
}

type Generator = fn(&mut Rng, usize) -> Vec<u8>;
const GENERATORS: &[Generator] = &[
    random_bytes,
    small_alphabet,
    text,
    json_like,
    base64_like,
    repetitive,
    fibonacci_skew,
    length_skew,
    distance_skew,
    weighted_random,
    mixed,
];

fn generate(rng: &mut Rng, len: usize, kind: usize) -> Vec<u8> {
    GENERATORS[kind](rng, len)
}

fn scaled(release_count: usize) -> usize {
    if cfg!(debug_assertions) {
        release_count / 10
    } else {
        release_count
    }
}

#[test]
fn tiny_inputs() {
    assert_identical(b"", "empty");
    for len in 1..=8 {
        for byte in [0u8, b'a', 0xff] {
            assert_identical(&vec![byte; len], "run");
        }
    }
    let mut rng = Rng(1);
    for _ in 0..scaled(20_000) {
        let len = rng.below(40);
        let kind = rng.below(GENERATORS.len());
        assert_identical(&generate(&mut rng, len, kind), "tiny");
    }
}

#[test]
fn random_inputs_up_to_8k() {
    let mut rng = Rng(2);
    for i in 0..scaled(20_000) {
        // Favour the session-cookie range while covering up to 8 KiB.
        let len = if i % 4 == 0 {
            rng.below(8192)
        } else {
            rng.below(4096)
        };
        let kind = rng.below(GENERATORS.len());
        let input = generate(&mut rng, len, kind);
        assert_identical(&input, &format!("case {i} kind {kind}"));
    }
}

#[test]
fn multi_block_inputs() {
    // Blocks close every 16383 symbols; incompressible data reaches that at
    // ~16 KiB, compressible data much later.
    let mut rng = Rng(3);
    for len in [
        16382, 16383, 16384, 16385, 16386, 32766, 32767, 32768, 32769, 40_000,
    ] {
        for kind in 0..GENERATORS.len() {
            assert_identical(
                &generate(&mut rng, len, kind),
                &format!("len {len} kind {kind}"),
            );
        }
    }
    for _ in 0..scaled(400) {
        let len = 16_000 + rng.below(MAX_EXACT_INPUT - 16_000);
        let kind = rng.below(GENERATORS.len());
        assert_identical(
            &generate(&mut rng, len, kind),
            &format!("len {len} kind {kind}"),
        );
    }
}

#[test]
fn exact_limit_edges() {
    let mut rng = Rng(4);
    for len in MAX_EXACT_INPUT - 300..=MAX_EXACT_INPUT {
        if len % 7 == 0 || len + 3 > MAX_EXACT_INPUT {
            let kind = rng.below(GENERATORS.len());
            assert_identical(
                &generate(&mut rng, len, kind),
                &format!("len {len} kind {kind}"),
            );
        }
    }
    assert!(zlib_compress_level6(&vec![0u8; MAX_EXACT_INPUT + 1]).is_none());
}

#[test]
fn long_runs_and_far_matches() {
    let mut rng = Rng(5);
    // Zero runs: maximum-length matches at distance 1.
    for len in [258, 259, 260, 261, 262, 263, 517, 1000, 65_000] {
        assert_identical(&vec![0u8; len], "zeros");
    }
    // A block repeated beyond TOO_FAR and near MAX_DIST.
    for gap in [4000, 4096, 4097, 4200, 32_000, 32_506, 32_507, 32_600] {
        let head = random_bytes(&mut rng, 300);
        let mut input = head.clone();
        let filler = gap - 300 + rng.below(3);
        input.extend(random_bytes(&mut rng, filler));
        input.extend_from_slice(&head[..3 + rng.below(20)]);
        input.extend(random_bytes(&mut rng, 50));
        assert_identical(&input, &format!("gap {gap}"));
    }
}

#[test]
fn reuse_does_not_leak_state() {
    // Alternate long and short inputs on one thread so stale hash heads and
    // window bytes from a longer call are present in the next one.
    let mut rng = Rng(6);
    let long = json_like(&mut rng, 30_000);
    for i in 0..scaled(2000) {
        let len = rng.below(2000);
        let input = if i % 2 == 0 {
            long[..len.min(long.len())].to_vec()
        } else {
            text(&mut rng, len)
        };
        assert_identical(&input, "after reuse");
        assert_identical(&long, "long again");
    }
}

#[test]
fn adler32_block_versions_agree() {
    let mut rng = Rng(11);
    for round in 0..2000 {
        let len = if round % 10 == 0 { ADLER_NMAX } else { (rng.next() as usize % 40) * 16 };
        let mut data = random_bytes(&mut rng, len);
        if round % 7 == 0 {
            data.fill(0xff);
        }
        let (a, b) = (rng.next() as u32 % ADLER_MOD, rng.next() as u32 % ADLER_MOD);
        assert_eq!(adler32_blocks(a, b, &data), adler32_blocks_portable(a, b, &data), "len {len}");
    }
}

#[test]
fn adler32_matches_zlib() {
    let mut rng = Rng(7);
    let lengths = (0..100).chain((100..600).step_by(7)).chain([5551, 5552, 5553, 5568, 20_000]);
    for len in lengths {
        let data = random_bytes(&mut rng, len);
        let ours = adler32(&data);
        // SAFETY: `data` is `data.len()` readable bytes for the call.
        let zlib = unsafe { libz_sys::adler32(1, data.as_ptr(), data.len() as _) } as u32;
        assert_eq!(ours, zlib, "len {len}");
    }
    // All bytes 0xff: the largest sums, where an overflow would show.
    for len in [15, 16, 17, 5552, 5553, 100_000] {
        let data = vec![0xffu8; len];
        // SAFETY: `data` is `len` readable bytes for the call.
        let zlib = unsafe { libz_sys::adler32(1, data.as_ptr(), len as _) } as u32;
        assert_eq!(adler32(&data), zlib, "len {len} of 0xff");
    }
}

#[test]
fn round_trips_through_inflate() {
    let mut rng = Rng(8);
    for _ in 0..scaled(500) {
        let len = rng.below(10_000);
        let kind = rng.below(GENERATORS.len());
        let input = generate(&mut rng, len, kind);
        let compressed = zlib_compress_level6(&input).unwrap();
        let mut d = flate2::Decompress::new(true);
        let mut out = Vec::with_capacity(input.len() + 1);
        let status = d
            .decompress_vec(&compressed, &mut out, flate2::FlushDecompress::Finish)
            .unwrap();
        assert_eq!(status, Status::StreamEnd);
        assert_eq!(out, input);
    }
}

#[test]
fn corpus_reaches_every_block_path() {
    use super::trees::coverage::*;
    use std::sync::atomic::Ordering::Relaxed;
    // Counters are shared with tests running in parallel; only lower bounds matter.
    let mut rng = Rng(9);
    for i in 0..scaled(3000) {
        let len = rng.below(9000);
        let kind = i % GENERATORS.len();
        assert_identical(&generate(&mut rng, len, kind), "coverage");
    }
    for len in [17_000, 40_000, MAX_EXACT_INPUT] {
        for kind in 0..GENERATORS.len() {
            assert_identical(&generate(&mut rng, len, kind), "coverage multi-block");
        }
    }
    for len in [39_000, 40_000, 42_000] {
        assert_identical(&distance_skew(&mut rng, len), "distance overflow");
    }
    for (name, counter) in [
        ("stored", &STORED),
        ("static", &STATIC),
        ("dynamic", &DYNAMIC),
        ("non-final block", &NOT_LAST),
        ("literal/distance tree overflow", &OVERFLOW_LITERAL),
        ("bit-length tree overflow", &OVERFLOW_BIT_LENGTH),
    ] {
        let hits = counter.load(Relaxed);
        eprintln!("{name}: {hits}");
        assert!(hits > 0, "no test input reached the {name} path");
    }
}

#[test]
fn literal_runs_across_block_boundaries() {
    // Incompressible stretches are literal runs (lz77::literal_run); place
    // their ends, and matches, at and around the 16383-symbol block limit,
    // and end inputs inside runs so a run stops on lookahead.
    let mut rng = Rng(7);
    let noise: Vec<u8> = (0..20_000).map(|_| rng.next() as u8).collect();
    for prefix in (16_360..16_400).chain([1, 2, 3, 4, 100, 8_000]) {
        for tail in [0usize, 1, 2, 3, 4, 7, 300] {
            let mut input = noise[..prefix].to_vec();
            // A repeat of an earlier stretch, then fresh noise.
            input.extend_from_slice(&noise[..tail.min(prefix)]);
            input.extend_from_slice(&noise[prefix..prefix + tail]);
            assert_identical(&input, &format!("prefix {prefix} tail {tail}"));
        }
    }
}

#[test]
fn many_tied_frequencies() {
    // Every symbol equally frequent: the heap's tie-breaks decide the trees.
    let mut rng = Rng(8);
    for copies in 1..=3 {
        for _ in 0..scaled(40) {
            let mut input: Vec<u8> = (0..copies * 256).map(|i| (i % 256) as u8).collect();
            for i in (1..input.len()).rev() {
                input.swap(i, rng.below(i + 1));
            }
            assert_identical(&input, &format!("{copies} copies of each byte"));
        }
    }
    // Two or three distinct symbols in random order, at many lengths.
    for len in (1..300).chain([1000, 5000, 17_000]) {
        for alphabet in [&b"ab"[..], b"xyz", b"\x00\xff"] {
            let input: Vec<u8> = (0..len).map(|_| *rng.pick(alphabet)).collect();
            assert_identical(&input, &format!("{len} bytes over {alphabet:?}"));
        }
    }
}
