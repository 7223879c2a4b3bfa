//! base64 and timestamp encodings, as itsdangerous spells them.
//!
//! Encoding is strict URL-safe base64 without padding. Decoding reproduces
//! `itsdangerous.encoding.base64_decode`: pad with `=` to a multiple of four,
//! then CPython's non-strict `binascii.a2b_base64`, which skips junk bytes and
//! stops at the first complete pad sequence.

/// Which characters carry the values 62 and 63.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// `urlsafe_b64decode`: `-`/`_` are translated to `+`/`/` first, so all four count.
    UrlSafe,
    /// `b64decode` without altchars: only `+` and `/`.
    Standard,
}

/// Why lenient decoding failed; both are `binascii.Error` in Python.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// One data character past a multiple of four.
    InvalidLength,
    /// Two or three data characters left without the pad that ends them.
    IncorrectPadding,
}

const INVALID: u8 = 0xff;

const fn decode_table(alphabet: Alphabet) -> [u8; 256] {
    let mut table = [INVALID; 256];
    let symbols = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        table[symbols[i] as usize] = i as u8;
        i += 1;
    }
    if let Alphabet::UrlSafe = alphabet {
        table[b'-' as usize] = 62;
        table[b'_' as usize] = 63;
    }
    table
}

static URL_SAFE_TABLE: [u8; 256] = decode_table(Alphabet::UrlSafe);
static STANDARD_TABLE: [u8; 256] = decode_table(Alphabet::Standard);

/// Appends URL-safe base64 of `input` without padding (`base64_encode`).
pub fn encode_urlsafe_into(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let len = base64_simd::URL_SAFE_NO_PAD.encoded_length(input.len());
    out.resize(start + len, 0);
    let written = base64_simd::URL_SAFE_NO_PAD
        .encode(input, base64_simd::Out::from_slice(&mut out[start..]))
        .len();
    debug_assert_eq!(written, len);
}

pub fn encode_urlsafe(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 4 / 3 + 4);
    encode_urlsafe_into(input, &mut out);
    out
}

/// Appends standard base64 with padding (`base64.b64encode`).
pub fn encode_standard_into(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + base64_simd::STANDARD.encoded_length(input.len()), 0);
    let written = base64_simd::STANDARD
        .encode(input, base64_simd::Out::from_slice(&mut out[start..]))
        .len();
    out.truncate(start + written);
}

/// `base64.b64decode(input)` for input that is exactly the padded standard
/// encoding of some bytes (what `b64encode` writes); `None` for anything
/// else (junk, missing padding, set unused bits), which Python's lenient
/// decoder may read differently.
pub fn decode_standard_canonical(input: &[u8]) -> Option<Vec<u8>> {
    let decoded = base64_simd::STANDARD.decode_to_vec(input).ok()?;
    // Re-encoding proves the input canonical, whatever the decoder tolerates.
    let mut again = Vec::with_capacity(input.len());
    encode_standard_into(&decoded, &mut again);
    (again == input).then_some(decoded)
}

/// `itsdangerous.encoding.base64_decode` for bytes input: pad, then decode leniently.
pub fn decode_urlsafe_lenient(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    // Clean input (every token itsdangerous writes) takes the strict SIMD
    // decoder; anything it rejects, including set bits in the unused low
    // bits of the last character, goes through the lenient decoder.
    if let Ok(decoded) = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(input) {
        return Ok(decoded);
    }
    // The padding counts every byte, junk included, exactly as `-len(s) % 4` does.
    let pad = (4 - input.len() % 4) % 4;
    decode_lenient(input, pad, Alphabet::UrlSafe)
}

/// `base64.b64decode(s)` (validate=False) for ASCII input, as Flask's bytes tag reads it.
pub fn decode_standard_lenient(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    decode_lenient(input, 0, Alphabet::Standard)
}

/// CPython 3.11 `binascii.a2b_base64(data + b"=" * extra_pad, strict_mode=False)`.
fn decode_lenient(
    input: &[u8],
    extra_pad: usize,
    alphabet: Alphabet,
) -> Result<Vec<u8>, DecodeError> {
    let table = match alphabet {
        Alphabet::UrlSafe => &URL_SAFE_TABLE,
        Alphabet::Standard => &STANDARD_TABLE,
    };
    let mut out = Vec::with_capacity((input.len() + extra_pad) / 4 * 3 + 3);
    let mut quad_pos = 0u8;
    let mut left: u8 = 0;
    let mut pads = 0u8;
    for &byte in input.iter().chain(std::iter::repeat_n(&b'=', extra_pad)) {
        if byte == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    // A complete pad sequence ends decoding; the rest is ignored.
                    return Ok(out);
                }
            }
            continue;
        }
        let value = table[byte as usize];
        if value == INVALID {
            continue;
        }
        pads = 0;
        match quad_pos {
            0 => {
                left = value;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (value >> 4));
                left = value & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (value >> 2));
                left = value & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | value);
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(DecodeError::InvalidLength),
        _ => Err(DecodeError::IncorrectPadding),
    }
}

/// `base64_encode(int_to_bytes(ts))`: big-endian with leading zero bytes stripped.
pub fn encode_timestamp_into(timestamp: u64, out: &mut Vec<u8>) {
    let bytes = timestamp.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(8);
    encode_urlsafe_into(&bytes[first..], out);
}

/// `bytes_to_int(base64_decode(s))`; `None` where itsdangerous fails
/// (bad base64, or more than eight bytes for its `>Q` struct).
pub fn decode_timestamp(input: &[u8]) -> Option<u64> {
    let bytes = decode_urlsafe_lenient(input).ok()?;
    if bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    #[test]
    fn standard_canonical() {
        for len in 0..40usize {
            let data: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let mut encoded = Vec::new();
            encode_standard_into(&data, &mut encoded);
            assert_eq!(encoded, STANDARD.encode(&data).into_bytes());
            assert_eq!(decode_standard_canonical(&encoded), Some(data));
        }
        assert_eq!(decode_standard_canonical(b"YQ"), None, "padding missing");
        assert_eq!(decode_standard_canonical(b"YR=="), None, "unused bits set");
        assert_eq!(decode_standard_canonical(b"Y Q=="), None, "junk");
        assert_eq!(decode_standard_canonical(b"YQ==YQ=="), None);
    }

    #[test]
    fn timestamp_round_trip() {
        let mut out = Vec::new();
        encode_timestamp_into(1_700_000_000, &mut out);
        assert_eq!(out, b"ZVPxAA");
        assert_eq!(decode_timestamp(b"ZVPxAA"), Some(1_700_000_000));
        let mut zero = Vec::new();
        encode_timestamp_into(0, &mut zero);
        assert_eq!(zero, b"");
        assert_eq!(decode_timestamp(b""), Some(0));
        assert_eq!(decode_timestamp(b"AAAAAAAAAAAA"), None); // nine bytes
    }

    #[test]
    fn lenient_decoding_matches_binascii() {
        // Cases checked against CPython 3.11 base64.b64decode.
        assert_eq!(
            decode_lenient(b"ab=cdef==", 0, Alphabet::Standard),
            Ok(b"i\xb7\x1dy".to_vec())
        );
        assert_eq!(
            decode_lenient(b"abc=d", 0, Alphabet::Standard),
            Ok(b"i\xb7".to_vec())
        );
        assert_eq!(
            decode_lenient(b"ab==cd", 0, Alphabet::Standard),
            Ok(b"i".to_vec())
        );
        assert_eq!(
            decode_lenient(b"ab=cdef=", 0, Alphabet::Standard),
            Err(DecodeError::IncorrectPadding)
        );
        assert_eq!(
            decode_lenient(b"a===", 0, Alphabet::Standard),
            Err(DecodeError::InvalidLength)
        );
        assert_eq!(
            decode_lenient(b"abcd=efg", 0, Alphabet::Standard),
            Err(DecodeError::IncorrectPadding)
        );
    }

    #[test]
    fn urlsafe_accepts_both_alphabets_and_junk() {
        let sig = b"wh6tMHxLgJqB6oY1uT73iMlyrOA";
        let clean = decode_urlsafe_lenient(sig).unwrap();
        assert_eq!(clean.len(), 20);
        let mut junk = sig.to_vec();
        junk.extend_from_slice(b"=");
        assert_eq!(decode_urlsafe_lenient(&junk).unwrap(), clean);
        junk.extend_from_slice("ñ".as_bytes());
        assert_eq!(decode_urlsafe_lenient(&junk).unwrap(), clean);
        assert_eq!(
            decode_urlsafe_lenient(b"-_+/").unwrap(),
            decode_urlsafe_lenient(b"+/-_").unwrap()
        );
    }

    #[test]
    fn clean_fast_path_agrees_with_the_lenient_decoder() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes: Vec<u8> = (0..len).map(|i| (seed >> (i % 56)) as u8).collect();
            let mut encoded = encode_urlsafe(&bytes);
            assert_eq!(decode_urlsafe_lenient(&encoded).unwrap(), bytes);
            let pad = (4 - encoded.len() % 4) % 4;
            assert_eq!(decode_lenient(&encoded, pad, Alphabet::UrlSafe).unwrap(), bytes);
            // Set the unused low bits of the last character: both ignore them.
            if let Some(last) = encoded.last_mut() {
                if len % 3 != 0 {
                    let value = URL_SAFE_TABLE[*last as usize] | if len % 3 == 1 { 0x0f } else { 0x03 };
                    *last = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[value as usize];
                    assert_eq!(decode_urlsafe_lenient(&encoded).unwrap(), bytes);
                    assert_eq!(decode_lenient(&encoded, pad, Alphabet::UrlSafe).unwrap(), bytes);
                }
            }
        }
    }

    #[test]
    fn encode_matches_python() {
        assert_eq!(encode_urlsafe(b"\xfb\xff"), b"-_8");
        let mut standard = Vec::new();
        encode_standard_into(b"\xfb\xff", &mut standard);
        assert_eq!(standard, b"+/8=");
    }

    /// Every input the SIMD decoder accepts decodes as binascii would decode it.
    #[test]
    fn simd_decoder_accepts_only_what_it_decodes_like_binascii() {
        const CLEAN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const ODD: &[u8] = b"AQgw_-+/=.\n \x80\xffZz09";
        let mut rng = crate::test_support::Rng(12);
        let (mut accepted, mut declined) = (0, 0);
        for round in 0..200_000 {
            let len = rng.below(70);
            // Mostly clean characters; every third input sometimes an odd one.
            let input: Vec<u8> = (0..len)
                .map(|_| match rng.below(16) {
                    0 if round % 3 == 0 => *rng.pick(ODD),
                    _ => *rng.pick(CLEAN),
                })
                .collect();
            let pad = (4 - input.len() % 4) % 4;
            let lenient = decode_lenient(&input, pad, Alphabet::UrlSafe);
            match base64_simd::URL_SAFE_NO_PAD.decode_to_vec(&input) {
                Ok(decoded) => {
                    accepted += 1;
                    assert_eq!(Ok(decoded), lenient, "{input:?}");
                }
                Err(_) => declined += 1,
            }
            assert_eq!(decode_urlsafe_lenient(&input), lenient, "{input:?}");
        }
        assert!(
            accepted > 50_000 && declined > 50_000,
            "{accepted} {declined}"
        );
    }

    /// base64-simd against the base64 crate for the strict URL-safe encode
    /// and decode of token-sized input:
    ///   cargo test --release -p itsdangerous-core --lib base64_crates -- --ignored --nocapture
    #[test]
    #[ignore]
    fn base64_crates_at_token_sizes() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use std::hint::black_box;
        let mut rng = crate::test_support::Rng(7);
        for len in [169usize, 640, 2398] {
            let raw = crate::test_support::random_bytes(&mut rng, len);
            let encoded = URL_SAFE_NO_PAD.encode(&raw);
            for round in 0..3 {
                let per_call = |f: &mut dyn FnMut()| crate::test_support::per_call_ns(200, 2000, f).0;
                let simd_enc = per_call(&mut || {
                    black_box(base64_simd::URL_SAFE_NO_PAD.encode_to_string(black_box(&raw)));
                });
                let crate_enc = per_call(&mut || {
                    black_box(URL_SAFE_NO_PAD.encode(black_box(&raw)));
                });
                let simd_dec = per_call(&mut || {
                    black_box(base64_simd::URL_SAFE_NO_PAD.decode_to_vec(black_box(&encoded)).unwrap());
                });
                let crate_dec = per_call(&mut || {
                    black_box(URL_SAFE_NO_PAD.decode(black_box(&encoded)).unwrap());
                });
                println!(
                    "{len:>5} B round {round}: encode simd {simd_enc:6.1} ns, base64 {crate_enc:6.1} ns; \
                     decode simd {simd_dec:6.1} ns, base64 {crate_dec:6.1} ns"
                );
            }
        }
    }

    /// base64-simd against the base64 crate, interleaved per size (see docs/design.md):
    ///   cargo test --release -p itsdangerous-core --lib base64_crates -- --ignored --nocapture
    #[test]
    #[ignore]
    fn base64_crates() {
        use crate::test_support::per_call_ns;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use std::hint::black_box;
        for n in [180usize, 700, 2600] {
            let data: Vec<u8> = (0..n).map(|i| (i * 131 % 251) as u8).collect();
            let encoded = encode_urlsafe(&data);
            let (crate_encode, _) = per_call_ns(2000, 20, || drop(black_box(URL_SAFE_NO_PAD.encode(black_box(&data)))));
            let (simd_encode, _) = per_call_ns(2000, 20, || drop(black_box(encode_urlsafe(black_box(&data)))));
            let (crate_decode, _) = per_call_ns(2000, 20, || drop(black_box(URL_SAFE_NO_PAD.decode(black_box(&encoded)))));
            let (simd_decode, _) = per_call_ns(2000, 20, || drop(black_box(decode_urlsafe_lenient(black_box(&encoded)))));
            println!(
                "{n} B: encode base64 {crate_encode:.0} ns, base64-simd {simd_encode:.0} ns ({:.1}x); \
                 decode base64 {crate_decode:.0} ns, base64-simd {simd_decode:.0} ns ({:.1}x)",
                crate_encode / simd_encode,
                crate_decode / simd_decode
            );
        }
    }
}
