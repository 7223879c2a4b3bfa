//! Differential tests against libz: the fast inflater must return exactly
//! what libz returns whenever it returns anything, and must not decline the
//! streams zlib itself writes.

use super::*;
use crate::codec::compress::{decompress, decompress_with_zlib, InflateError};
use crate::test_support::{random_bytes, repetitive, Rng};

const WORDS: &[&str] = &[
    "user",
    "id",
    "csrf_token",
    "_fresh",
    "true",
    "false",
    "null",
    "cart",
    "price",
    "qty",
    "session",
    "flash",
    "message",
    "é",
    "日本",
];

fn json_like(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = b"{".to_vec();
    while out.len() < len {
        let word = WORDS[rng.below(WORDS.len())];
        let value = match rng.below(4) {
            0 => rng.next().to_string(),
            1 => format!("\"{:x}\"", rng.next() >> rng.below(64)),
            2 => "[1,2,3]".to_string(),
            _ => ["true", "false", "null"][rng.below(3)].to_string(),
        };
        out.extend_from_slice(format!("\"{word}\":{value},").as_bytes());
    }
    out.truncate(len);
    out
}

/// Random chunks copied from far back: distances across the whole window.
fn far_copies(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = random_bytes(rng, len.min(300));
    while out.len() < len {
        if rng.below(3) == 0 {
            let n = 1 + rng.below(20);
            out.extend(random_bytes(rng, n));
        } else {
            let from = rng.below(out.len());
            let n = (3 + rng.below(300)).min(out.len() - from);
            out.extend_from_within(from..from + n);
        }
    }
    out.truncate(len);
    out
}

/// Few distinct symbols with skewed frequencies: long Huffman codes.
fn skewed(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| (rng.next() | 1 << 40).trailing_zeros() as u8 * 7)
        .collect()
}

fn sample(rng: &mut Rng, len: usize) -> Vec<u8> {
    match rng.below(5) {
        0 => json_like(rng, len),
        1 => random_bytes(rng, len),
        2 => repetitive(rng, len),
        3 => far_copies(rng, len),
        _ => skewed(rng, len),
    }
}

/// `len` bytes of `sample` deflated by zlib in one piece at a random level
/// with `strategy` and memLevel 8.
fn sample_stream(rng: &mut Rng, len: usize, strategy: i32) -> Vec<u8> {
    let data = sample(rng, len);
    let level = rng.below(10) as i32;
    zlib_whole(&data, level, strategy)
}

/// zlib's deflate of the whole input in one call, memLevel 8, as a
/// compressor with default settings makes it.
fn zlib_whole(input: &[u8], level: i32, strategy: i32) -> Vec<u8> {
    zlib_deflate(input, level, strategy, 8, usize::MAX, libz_sys::Z_NO_FLUSH)
}

const STRATEGIES: [i32; 5] = [
    libz_sys::Z_DEFAULT_STRATEGY,
    libz_sys::Z_FILTERED,
    libz_sys::Z_HUFFMAN_ONLY,
    libz_sys::Z_RLE,
    libz_sys::Z_FIXED,
];

/// zlib's deflate with the given level, strategy and memLevel, fed in
/// pieces of `chunk` bytes each ended by `flush` (Z_NO_FLUSH, or a flush
/// that ends a block early), then Z_FINISH.
fn zlib_deflate(
    input: &[u8],
    level: i32,
    strategy: i32,
    mem_level: i32,
    chunk: usize,
    flush: i32,
) -> Vec<u8> {
    use libz_sys::*;
    use std::ffi::c_void;
    extern "C" {
        fn calloc(count: usize, size: usize) -> *mut c_void;
        fn free(ptr: *mut c_void);
    }
    /// zlib's allocator hook.
    ///
    /// # Safety
    /// Any arguments; zlib checks the result for NULL.
    unsafe extern "C" fn zalloc(_: *mut c_void, items: uInt, size: uInt) -> *mut c_void {
        // SAFETY: calloc accepts any sizes and returns NULL on failure.
        unsafe { calloc(items as usize, size as usize) }
    }
    /// zlib's release hook.
    ///
    /// # Safety
    /// `ptr` must come from `zalloc` and not be freed yet.
    unsafe extern "C" fn zfree(_: *mut c_void, ptr: *mut c_void) {
        // SAFETY: the caller (zlib) passes a pointer `zalloc` returned.
        unsafe { free(ptr) }
    }
    let mut stream = z_stream {
        next_in: std::ptr::null_mut(),
        avail_in: 0,
        total_in: 0,
        next_out: std::ptr::null_mut(),
        avail_out: 0,
        total_out: 0,
        msg: std::ptr::null_mut(),
        state: std::ptr::null_mut(),
        zalloc,
        zfree,
        opaque: std::ptr::null_mut(),
        data_type: 0,
        adler: 0,
        reserved: 0,
    };
    // SAFETY: the stream is initialised by deflateInit2_ before use and
    // every buffer handed over outlives the calls that use it.
    unsafe {
        let ret = deflateInit2_(
            &mut stream,
            level,
            Z_DEFLATED,
            15,
            mem_level,
            strategy,
            zlibVersion(),
            std::mem::size_of::<z_stream>() as i32,
        );
        assert_eq!(ret, Z_OK);
        let mut out = vec![0u8; input.len() * 2 + 1024];
        let mut written = 0;
        let mut pieces: Vec<&[u8]> = input.chunks(chunk.max(1)).collect();
        if pieces.is_empty() {
            pieces.push(&[]);
        }
        let last = pieces.len() - 1;
        for (i, piece) in pieces.into_iter().enumerate() {
            stream.next_in = piece.as_ptr() as *mut u8;
            stream.avail_in = piece.len() as u32;
            let mode = if i == last { Z_FINISH } else { flush };
            loop {
                if out.len() - written < 64 {
                    out.resize(out.len() * 2, 0);
                }
                stream.next_out = out.as_mut_ptr().add(written);
                stream.avail_out = (out.len() - written) as u32;
                let before = stream.avail_out;
                let ret = deflate(&mut stream, mode);
                written += (before - stream.avail_out) as usize;
                if ret == Z_STREAM_END {
                    break;
                }
                assert!(ret == Z_OK || ret == Z_BUF_ERROR, "deflate returned {ret}");
                if stream.avail_in == 0 && stream.avail_out != 0 {
                    break;
                }
            }
        }
        deflateEnd(&mut stream);
        out.truncate(written);
        out
    }
}

fn assert_inflates(stream: &[u8], expected: &[u8], what: &str) {
    let got = inflate_zlib(stream, expected.len());
    assert!(
        got.is_some(),
        "{what}: declined a valid zlib stream ({} bytes)",
        stream.len()
    );
    assert_eq!(got.unwrap(), expected, "{what}: wrong output");
    if !expected.is_empty() {
        assert_eq!(
            inflate_zlib(stream, expected.len() - 1),
            None,
            "{what}: cap not enforced"
        );
    }
}

/// The invariant: whatever the fast path answers, libz answers the same.
fn assert_agrees_with_zlib(stream: &[u8], cap: usize) -> bool {
    match inflate_zlib(stream, cap) {
        Some(out) => {
            assert_eq!(
                decompress_with_zlib(stream, cap),
                Ok(out),
                "fast path accepted what libz does not: {stream:02x?}"
            );
            true
        }
        None => false,
    }
}

#[test]
fn inflates_zlib_output_at_every_level_and_strategy() {
    let mut rng = Rng(1);
    let mut streams = 0;
    for round in 0..600 {
        // Mostly cookie sizes, some past the 32 KiB window, a few to ~140 KB.
        let len = match round % 10 {
            0..=5 => rng.below(600),
            6 | 7 => rng.below(5000),
            8 => rng.below(40_000),
            _ => rng.below(if round % 50 == 9 { 140_000 } else { 70_000 }),
        };
        let data = sample(&mut rng, len);
        let level = rng.below(10) as i32;
        let strategy = STRATEGIES[rng.below(STRATEGIES.len())];
        let mem_level = 1 + rng.below(9) as i32;
        let stream = zlib_deflate(
            &data,
            level,
            strategy,
            mem_level,
            usize::MAX,
            libz_sys::Z_NO_FLUSH,
        );
        let what = format!(
            "round {round}: {len} bytes, level {level}, strategy {strategy}, memLevel {mem_level}"
        );
        assert_inflates(&stream, &data, &what);
        streams += 1;
    }
    // Every level on the same cookie-sized and window-sized inputs.
    for len in [0, 1, 2, 3, 200, 258, 259, 1000, 32_768, 33_000, 100_000] {
        let data = far_copies(&mut rng, len);
        for level in 0..=9 {
            let stream = zlib_whole(&data, level, libz_sys::Z_DEFAULT_STRATEGY);
            assert_inflates(&stream, &data, &format!("{len} bytes at level {level}"));
            streams += 1;
        }
    }
    assert!(streams > 700);
}

#[test]
fn inflates_multi_block_streams_from_flushes() {
    use libz_sys::{Z_BLOCK, Z_FULL_FLUSH, Z_NO_FLUSH, Z_PARTIAL_FLUSH, Z_SYNC_FLUSH};
    let mut rng = Rng(2);
    for round in 0..300 {
        let len = rng.below(if round % 10 == 0 { 50_000 } else { 3000 });
        let data = sample(&mut rng, len);
        let level = rng.below(10) as i32;
        let strategy = STRATEGIES[rng.below(STRATEGIES.len())];
        let flush = [
            Z_NO_FLUSH,
            Z_PARTIAL_FLUSH,
            Z_SYNC_FLUSH,
            Z_FULL_FLUSH,
            Z_BLOCK,
        ][rng.below(5)];
        let chunk = 1 + rng.below(len.max(1));
        let stream = zlib_deflate(&data, level, strategy, 8, chunk, flush);
        assert_inflates(
            &stream,
            &data,
            &format!("round {round}: {len} bytes, level {level}, strategy {strategy}, flush {flush} every {chunk}"),
        );
    }
}

#[test]
fn inflates_the_rust_deflate_output() {
    let mut rng = Rng(3);
    for _ in 0..300 {
        let len = rng.below(4000);
        let data = sample(&mut rng, len);
        assert_inflates(&crate::codec::compress::compress(&data), &data, "compress()");
    }
}

#[test]
fn honours_the_cap_exactly() {
    let mut rng = Rng(4);
    for _ in 0..200 {
        let len = rng.below(3000);
        let data = json_like(&mut rng, len);
        let level = rng.below(10) as i32;
        let stream = zlib_whole(&data, level, libz_sys::Z_DEFAULT_STRATEGY);
        for cap in [len, len + 1, len * 2, usize::MAX] {
            assert_eq!(
                inflate_zlib(&stream, cap).as_deref(),
                Some(&data[..]),
                "cap {cap}"
            );
        }
        for cap in [0, len / 2, len.saturating_sub(1)] {
            if cap < len {
                assert_eq!(
                    inflate_zlib(&stream, cap),
                    None,
                    "cap {cap} for {len} bytes"
                );
                assert_eq!(
                    decompress(&stream, cap),
                    Err(InflateError::LimitExceeded { max_output: cap })
                );
            }
        }
    }
}

#[test]
fn ignores_trailing_bytes_like_cpython() {
    let mut rng = Rng(5);
    for _ in 0..100 {
        let data = {
            let n = rng.below(2000);
            sample(&mut rng, n)
        };
        let mut stream = zlib_whole(&data, 6, 0);
        let junk = {
            let n = rng.below(40);
            random_bytes(&mut rng, n)
        };
        stream.extend_from_slice(&junk);
        assert_eq!(
            inflate_zlib(&stream, usize::MAX).as_deref(),
            Some(&data[..])
        );
        assert_eq!(
            decompress_with_zlib(&stream, usize::MAX).as_deref(),
            Ok(&data[..])
        );
    }
}

#[test]
fn declines_every_truncation() {
    let mut rng = Rng(6);
    for round in 0..60 {
        let n = rng.below(if round < 50 { 700 } else { 5000 });
        let stream = sample_stream(&mut rng, n, STRATEGIES[round % 5]);
        for cut in 0..stream.len() {
            assert_eq!(
                inflate_zlib(&stream[..cut], usize::MAX),
                None,
                "cut {cut} of {}",
                stream.len()
            );
            assert_eq!(
                decompress(&stream[..cut], usize::MAX),
                Err(InflateError::Truncated)
            );
        }
    }
}

#[test]
fn declines_bad_headers_and_checksums() {
    let good = zlib_whole(b"hello hello hello hello", 6, 0);
    assert!(inflate_zlib(&good, 100).is_some());
    for (at, flip) in [(0, 0x01), (0, 0x10), (1, 0x01), (1, 0x20)] {
        let mut bad = good.clone();
        bad[at] ^= flip;
        assert_eq!(inflate_zlib(&bad, 100), None, "byte {at} ^ {flip:#x}");
    }
    // Valid header checks with CINFO 6 (zlib accepts it), FDICT, CM 15.
    for header in [[0x68u8, 0x81], [0x78, 0xbb], [0x7f, 0x07]] {
        let mut other = good.clone();
        other[..2].copy_from_slice(&header);
        assert_eq!(u16::from_be_bytes(header) % 31, 0);
        assert_eq!(inflate_zlib(&other, 100), None, "header {header:02x?}");
        assert_eq!(decompress(&other, 100), decompress_with_zlib(&other, 100));
    }
    for i in 0..4 {
        let mut bad = good.clone();
        let at = bad.len() - 1 - i;
        bad[at] ^= 0x40;
        assert_eq!(inflate_zlib(&bad, 100), None);
        assert!(matches!(
            decompress(&bad, 100),
            Err(InflateError::Corrupt(_))
        ));
    }
}

/// Streams with random corruption: every answer the fast path gives must be
/// libz's. Returns (fast accepted, libz accepted).
fn mutate_and_compare(rng: &mut Rng, stream: &[u8], rounds: usize) -> (usize, usize) {
    let (mut fast, mut zlib) = (0, 0);
    for _ in 0..rounds {
        let mut bad = stream.to_vec();
        for _ in 0..1 + rng.below(3) {
            match rng.below(4) {
                0 => {
                    let at = rng.below(bad.len());
                    bad[at] ^= 1 << rng.below(8);
                }
                1 => {
                    let at = rng.below(bad.len());
                    bad[at] = rng.next() as u8;
                }
                2 => {
                    let at = rng.below(bad.len() + 1);
                    bad.insert(at, rng.next() as u8);
                }
                _ => {
                    if bad.len() > 2 {
                        bad.remove(rng.below(bad.len()));
                    }
                }
            }
        }
        // Keep the header most of the time so the body gets exercised.
        if rng.below(4) != 0 && bad.len() >= 2 {
            bad[..2].copy_from_slice(&stream[..2]);
        }
        let cap = if rng.below(4) == 0 {
            rng.below(2000)
        } else {
            1 << 20
        };
        fast += assert_agrees_with_zlib(&bad, cap) as usize;
        zlib += decompress_with_zlib(&bad, cap).is_ok() as usize;
        // The decoder itself, with the checksum fixed up to match whatever it
        // decoded: libz must decode the same body to the same bytes.
        if let Some((out, trailer_at)) = inflate_body(&bad, cap) {
            let mut fixed = bad[..trailer_at].to_vec();
            fixed.extend_from_slice(&adler32(&out).to_be_bytes());
            assert_eq!(inflate_zlib(&fixed, cap).as_ref(), Some(&out));
            assert_eq!(
                decompress_with_zlib(&fixed, cap).as_ref(),
                Ok(&out),
                "body {fixed:02x?}"
            );
        }
    }
    (fast, zlib)
}

#[test]
fn corrupted_streams_agree_with_zlib() {
    let mut rng = Rng(7);
    let mut accepted = (0, 0);
    for round in 0..300 {
        let n = rng.below(if round % 20 == 0 { 5000 } else { 400 });
        let stream = sample_stream(&mut rng, n, STRATEGIES[round % 5]);
        let (fast, zlib) = mutate_and_compare(&mut rng, &stream, 100);
        accepted = (accepted.0 + fast, accepted.1 + zlib);
    }
    println!(
        "corrupted streams accepted: fast {}, libz {}",
        accepted.0, accepted.1
    );
}

#[test]
fn random_bodies_agree_with_zlib() {
    // Random bits after a valid header: mostly fixed-code garbage with
    // distances too far back, sometimes a block that decodes.
    let mut rng = Rng(8);
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut stream = vec![0x78, 0x9c];
        let n = 1 + rng.below(60);
        stream.extend(random_bytes(&mut rng, n));
        if rng.below(2) == 0 {
            stream[2] = stream[2] & !7 | 0b011; // a final fixed-code block
        }
        assert_agrees_with_zlib(&stream, 1 << 16);
        if let Some((out, trailer_at)) = inflate_body(&stream, 1 << 16) {
            let mut fixed = stream[..trailer_at].to_vec();
            fixed.extend_from_slice(&adler32(&out).to_be_bytes());
            assert_eq!(
                decompress_with_zlib(&fixed, 1 << 16).as_ref(),
                Ok(&out),
                "body {fixed:02x?}"
            );
            decoded += 1;
        }
    }
    println!("{decoded} random bodies decoded");
    assert!(decoded > 100, "only {decoded} random bodies decoded");
}

/// Writes deflate bit fields (least significant bit first) and Huffman
/// codes (most significant bit first).
struct BitWriter {
    bytes: Vec<u8>,
    bits: u32,
}

impl BitWriter {
    fn new() -> Self {
        BitWriter {
            bytes: vec![0x78, 0x01],
            bits: 0,
        }
    }
    fn field(&mut self, value: u32, n: u32) {
        for i in 0..n {
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            *self.bytes.last_mut().unwrap() |= (((value >> i) & 1) as u8) << (self.bits % 8);
            self.bits += 1;
        }
    }
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.field((code >> i) & 1, 1);
        }
    }
    fn finish(mut self, output: &[u8]) -> Vec<u8> {
        self.bytes.extend_from_slice(&adler32(output).to_be_bytes());
        self.bytes
    }
}

/// A final dynamic block whose literal/length code is `a` (1 bit),
/// end-of-block and length 3 (2 bits each) and whose distance code lengths
/// are `distance_lengths`; the data is "a", then a length-3 match at
/// distance 1 if `use_match`, then end-of-block.
fn dynamic_block(distance_lengths: &[u32], use_match: bool) -> (Vec<u8>, Vec<u8>) {
    let mut w = BitWriter::new();
    w.field(1, 1); // BFINAL
    w.field(2, 2); // dynamic
    w.field(258 - 257, 5); // HLIT: symbols 0..=257
    w.field(distance_lengths.len() as u32 - 1, 5);
    // HCLEN: up to code-length symbol 1 in the order.
    w.field(18 - 4, 4);
    // Code-length code: 18 -> "0", 0 -> "100", 1 -> "101", 2 -> "110",
    // 3 -> "111", i.e. lengths 18:1, 0..=3:3 (complete: 1/2 + 4/8).
    let mut cl_lengths = [0u32; 19];
    cl_lengths[18] = 1;
    cl_lengths[..4].fill(3);
    for &symbol in &CODE_LENGTH_ORDER[..18] {
        w.field(cl_lengths[symbol], 3);
    }
    let length_code = |w: &mut BitWriter, len: u32| w.code(0b100 + len, 3);
    let zeros = |w: &mut BitWriter, mut n: u32| {
        while n > 0 {
            let run = n.min(138);
            assert!(run >= 11);
            w.code(0, 1);
            w.field(run - 11, 7);
            n -= run;
        }
    };
    zeros(&mut w, 97);
    length_code(&mut w, 1); // 'a'
    zeros(&mut w, 256 - 98);
    length_code(&mut w, 2); // end of block
    length_code(&mut w, 2); // length symbol 257 (length 3)
    for &len in distance_lengths {
        length_code(&mut w, len);
    }
    // Literal/length code: 'a' -> "0", 256 -> "10", 257 -> "11".
    w.code(0, 1);
    let mut output = b"a".to_vec();
    if use_match {
        w.code(0b11, 2);
        w.code(0, distance_lengths[0]); // distance symbol 0: distance 1
        output.extend_from_slice(b"aaa");
    }
    w.code(0b10, 2);
    (w.finish(&output), output)
}

#[test]
fn leaves_incomplete_distance_codes_to_zlib() {
    // zlib accepts a single distance code of length 1 and an all-zero
    // distance code; the fast path declines both and decompress() still
    // returns libz's output.
    for (distance_lengths, use_match) in [
        (&[1][..], true),
        (&[1][..], false),
        (&[0][..], false),
        (&[0, 1][..], false),
    ] {
        let (stream, output) = dynamic_block(distance_lengths, use_match);
        assert_eq!(
            decompress_with_zlib(&stream, 100).as_ref(),
            Ok(&output),
            "{distance_lengths:?}"
        );
        assert_eq!(inflate_zlib(&stream, 100), None, "{distance_lengths:?}");
        assert_eq!(decompress(&stream, 100).as_ref(), Ok(&output));
    }
    // The same block with a complete distance code goes the fast way.
    let (stream, output) = dynamic_block(&[1, 1], true);
    assert_eq!(inflate_zlib(&stream, 100).as_ref(), Some(&output));
    assert_eq!(decompress_with_zlib(&stream, 100).as_ref(), Ok(&output));
}

#[test]
fn declines_what_zlib_rejects_in_hand_built_blocks() {
    // Over-subscribed distance code.
    let (stream, _) = dynamic_block(&[1, 1, 1], true);
    assert_eq!(inflate_zlib(&stream, 100), None);
    assert!(decompress(&stream, 100).is_err());
    // A match before any output: distance too far back.
    let mut w = BitWriter::new();
    w.field(1, 1);
    w.field(1, 2); // fixed codes
    w.code(0b0000001, 7); // length symbol 257
    w.code(0, 5); // distance 1
    w.code(0, 7); // end of block
    let stream = w.finish(b"");
    assert_eq!(inflate_zlib(&stream, 100), None);
    assert!(matches!(
        decompress(&stream, 100),
        Err(InflateError::Corrupt(_))
    ));
    // Fixed-code literal/length symbols 286, 287 and distance symbols 30, 31.
    for (symbol_code, distance_code) in [
        (0b11000110, 0),
        (0b11000111, 0),
        (0b0000001, 30),
        (0b0000001, 31),
    ] {
        let mut w = BitWriter::new();
        w.field(1, 1);
        w.field(1, 2);
        w.code(0b00110000 + u32::from(b'a'), 8); // 'a'
        w.code(symbol_code, if symbol_code > 0x7f { 8 } else { 7 });
        w.code(distance_code, 5);
        w.code(0, 7);
        let stream = w.finish(b"aaaa");
        assert_eq!(
            inflate_zlib(&stream, 100),
            None,
            "{symbol_code:b} {distance_code}"
        );
        assert!(matches!(
            decompress(&stream, 100),
            Err(InflateError::Corrupt(_))
        ));
    }
    // The same with a valid distance decodes both ways.
    let mut w = BitWriter::new();
    w.field(1, 1);
    w.field(1, 2);
    w.code(0b00110000 + u32::from(b'a'), 8);
    w.code(0b0000001, 7);
    w.code(0, 5);
    w.code(0, 7);
    let stream = w.finish(b"aaaa");
    assert_eq!(inflate_zlib(&stream, 100).as_deref(), Some(&b"aaaa"[..]));
    assert_eq!(
        decompress_with_zlib(&stream, 100).as_deref(),
        Ok(&b"aaaa"[..])
    );
}

#[test]
fn stored_blocks_check_their_lengths() {
    let data = b"stored block contents";
    let stream = zlib_whole(data, 0, 0);
    assert_eq!(inflate_zlib(&stream, 100).as_deref(), Some(&data[..]));
    // LEN at bytes 3..5, NLEN at 5..7.
    for at in 3..7 {
        let mut bad = stream.clone();
        bad[at] ^= 0x01;
        assert_eq!(inflate_zlib(&bad, 100), None);
        assert!(decompress(&bad, 100).is_err());
    }
}

#[test]
fn adler32_matches_zlib() {
    let mut rng = Rng(9);
    for len in (0..100).chain([5551, 5552, 5553, 11104, 65536, 100_000]) {
        for data in [random_bytes(&mut rng, len), vec![0xff; len]] {
            // SAFETY: a valid pointer and length.
            let zlib = unsafe { libz_sys::adler32(1, data.as_ptr(), data.len() as _) } as u32;
            assert_eq!(adler32(&data), zlib, "{len} bytes");
        }
    }
}

#[test]
fn output_allocation_stays_within_the_cap() {
    // Highly compressible: the output buffer grows many times from its guess.
    let mut rng = Rng(10);
    for len in [1000, 5000, 65_536, 100_000] {
        let data = repetitive(&mut rng, len);
        let stream = zlib_whole(&data, 9, 0);
        for cap in [len, len + 1, len + 1000] {
            let out = inflate_zlib(&stream, cap).expect("valid stream");
            assert_eq!(out, data);
            assert!(out.capacity() <= cap, "capacity {} over cap {cap}", out.capacity());
        }
    }
}
