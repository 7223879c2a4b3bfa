//! zlib compression as CPython's `zlib.compress` / `zlib.decompress` do it,
//! byte for byte on the compress side and accept/reject for accept/reject on
//! the decompress side.

use std::fmt;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::codec::deflate;
use crate::codec::inflate;

/// `zlib.compress(input)`: level 6, zlib wrapper. Uses the pure-Rust port
/// when the input is within its exact range, real zlib otherwise.
pub fn compress(input: &[u8]) -> Vec<u8> {
    deflate::zlib_compress_level6(input).unwrap_or_else(|| compress_with_zlib(input))
}

/// Real zlib, called the way CPython calls it: one deflate(Z_FINISH) on a
/// fresh level-6 stream with all the input.
pub fn compress_with_zlib(input: &[u8]) -> Vec<u8> {
    let mut z = Compress::new(Compression::new(6), true);
    // deflateBound for the default parameters, so one call normally suffices.
    let n = input.len();
    let mut out = Vec::with_capacity(n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 6);
    loop {
        let consumed = z.total_in() as usize;
        match z.compress_vec(&input[consumed..], &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return out,
            Ok(_) => out.reserve(out.capacity().max(64)),
            // Cannot happen for a valid stream with Finish; zlib only reports
            // stream-state errors here.
            Err(e) => panic!("zlib deflate failed: {e}"),
        }
    }
}

/// Why a zlib stream was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The stream would decompress to more than the allowed number of bytes.
    LimitExceeded { max_output: usize },
    /// Bad header, bad data, bad checksum, or a preset dictionary is required.
    Corrupt(String),
    /// The input ended before the end of the zlib stream.
    Truncated,
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InflateError::LimitExceeded { max_output } => {
                write!(f, "decompressed data exceeds {max_output} bytes")
            }
            InflateError::Corrupt(msg) => write!(f, "invalid zlib stream: {msg}"),
            InflateError::Truncated => f.write_str("incomplete or truncated stream"),
        }
    }
}

impl std::error::Error for InflateError {}

/// `zlib.decompress(input)` with an output cap. Like CPython it stops at the
/// end of the first zlib stream and ignores anything after it, and rejects
/// input that ends before the stream does. Fails with `LimitExceeded` as soon
/// as the output would pass `max_output`; the output buffer never grows
/// beyond `max_output` bytes.
pub fn decompress(input: &[u8], max_output: usize) -> Result<Vec<u8>, InflateError> {
    // The pure-Rust inflater answers only what it fully validated; libz
    // handles everything else, so errors keep libz's exact behaviour.
    if let Some(out) = inflate::inflate_zlib(input, max_output) {
        return Ok(out);
    }
    decompress_with_zlib(input, max_output)
}

/// [`decompress`] by real zlib only (the reference for the fast inflater).
pub fn decompress_with_zlib(input: &[u8], max_output: usize) -> Result<Vec<u8>, InflateError> {
    thread_local! {
        // inflateReset is cheap; inflateInit plus its 32 KiB window is not,
        // next to inflating a few hundred bytes of cookie.
        static INFLATER: std::cell::RefCell<Decompress> = std::cell::RefCell::new(Decompress::new(true));
    }
    INFLATER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut z) => {
            z.reset(true);
            inflate_with(&mut z, input, max_output)
        }
        Err(_) => inflate_with(&mut Decompress::new(true), input, max_output),
    })
}

fn inflate_with(z: &mut Decompress, input: &[u8], max_output: usize) -> Result<Vec<u8>, InflateError> {
    let initial = max_output.min(input.len().saturating_mul(4).max(1024));
    let mut out = Vec::with_capacity(initial);
    loop {
        let in_before = z.total_in() as usize;
        let out_before = z.total_out();
        let status = if out.len() < out.capacity() && out.len() < max_output {
            let status = z.decompress_vec(&input[in_before..], &mut out, FlushDecompress::None);
            if out.len() > max_output {
                // Only possible if the allocator handed out extra capacity.
                return Err(InflateError::LimitExceeded { max_output });
            }
            status
        } else if out.capacity() < max_output {
            let target = out.capacity().saturating_mul(2).clamp(64, max_output);
            out.reserve_exact(target - out.len());
            continue;
        } else {
            // Output is at the cap: any further byte means the cap is exceeded,
            // but the stream may still legitimately end (checksum only).
            let mut probe = [0u8; 1];
            let status = z.decompress(&input[in_before..], &mut probe, FlushDecompress::None);
            if z.total_out() != out_before {
                return Err(InflateError::LimitExceeded { max_output });
            }
            status
        };
        match status {
            Ok(Status::StreamEnd) => return Ok(out),
            Ok(_) => {
                if z.total_in() as usize == in_before && z.total_out() == out_before {
                    // No progress with output room left: the input ran out.
                    return Err(InflateError::Truncated);
                }
            }
            Err(e) => return Err(InflateError::Corrupt(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"{\"user_id\": 42, \"cart\": [1, 2, 3]}"[i % 33] ^ (i / 97) as u8)
            .collect()
    }

    #[test]
    fn compress_matches_zlib_on_both_sides_of_the_limit() {
        for len in [
            0,
            1,
            100,
            5000,
            deflate::MAX_EXACT_INPUT,
            deflate::MAX_EXACT_INPUT + 1,
            200_000,
        ] {
            let data = sample(len);
            assert_eq!(compress(&data), compress_with_zlib(&data), "len {len}");
        }
    }

    #[test]
    fn decompress_round_trips_and_enforces_the_cap() {
        for len in [0, 1, 1000, 100_000] {
            let data = sample(len);
            let packed = compress(&data);
            assert_eq!(decompress(&packed, len).unwrap(), data);
            assert_eq!(decompress(&packed, len + 1).unwrap(), data);
            assert_eq!(decompress(&packed, usize::MAX).unwrap(), data);
            if len > 0 {
                assert_eq!(
                    decompress(&packed, len - 1),
                    Err(InflateError::LimitExceeded {
                        max_output: len - 1
                    })
                );
                assert_eq!(
                    decompress(&packed, 0),
                    Err(InflateError::LimitExceeded { max_output: 0 })
                );
            }
        }
    }

    #[test]
    fn decompress_accepts_and_rejects_like_cpython() {
        let good = compress(b"hello world hello world hello world");
        // Trailing bytes after the end of the stream are ignored.
        let mut junk = good.clone();
        junk.extend_from_slice(b"junk");
        assert!(decompress(&junk, 1000).is_ok());
        let mut twice = good.clone();
        twice.extend_from_slice(&good);
        assert_eq!(
            decompress(&twice, 1000).unwrap(),
            b"hello world hello world hello world"
        );
        // Every proper prefix is truncated.
        for cut in 0..good.len() {
            assert_eq!(
                decompress(&good[..cut], 1000),
                Err(InflateError::Truncated),
                "cut {cut}"
            );
        }
        // Bad header check, bad checksum.
        let mut bad_header = good.clone();
        bad_header[1] ^= 1;
        assert!(matches!(
            decompress(&bad_header, 1000),
            Err(InflateError::Corrupt(_))
        ));
        let mut bad_sum = good.clone();
        *bad_sum.last_mut().unwrap() ^= 1;
        assert!(matches!(
            decompress(&bad_sum, 1000),
            Err(InflateError::Corrupt(_))
        ));
        // Preset dictionary required (FDICT set, header check still valid).
        let fdict = [0x78, 0xbb, 0, 0, 0, 1, 3, 0];
        assert!(matches!(
            decompress(&fdict, 1000),
            Err(InflateError::Corrupt(_))
        ));
    }
}
