//! Fernet (the spec at github.com/fernet/spec, as `cryptography.fernet` does it).
//!
//! A token is `0x80 ‖ timestamp (u64 BE) ‖ IV (16) ‖ AES-128-CBC(PKCS#7) ‖
//! HMAC-SHA256 (32)` over everything before the tag, in URL-safe base64 with
//! padding. The key is 32 bytes: the first half keys the HMAC, the second AES.
//!
//! Decrypting checks, in order: the base64, the version byte and length, the
//! time (when a TTL is given), then the tag in constant time, and only then
//! decrypts. Every step is linear in the token's length, so a hostile token
//! costs at most two base64 passes and one HMAC per key before it is rejected.
//!
//! The base64 is read as `cryptography` (45+) reads it, which its own test
//! suite checks: only the URL-safe alphabet, but ASCII whitespace ignored,
//! padding optional and unused trailing bits ignored. The tag covers the
//! decoded bytes, so these spellings of one token cannot forge anything.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit};
use aes::Aes128;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use getrandom::Error as RandomError;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 0x80;
const HEADER_LEN: usize = 1 + 8 + 16;
const TAG_LEN: usize = 32;
const BLOCK: usize = 16;
/// Tokens dated more than this far in the future are refused (the spec's skew).
pub const MAX_CLOCK_SKEW: i64 = 60;
/// A raw Fernet key: 16 bytes of signing key, then 16 of encryption key.
pub const KEY_LEN: usize = 32;

/// Every way a token can fail; the spec (and cryptography) give no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken;

/// The clock check `decrypt` applies when a TTL is given.
#[derive(Debug, Clone, Copy)]
pub struct TimeLimit {
    pub ttl: i64,
    pub now: i64,
}

impl TimeLimit {
    /// Too old (`timestamp + ttl < now`) or too far ahead (`now + 60 < timestamp`).
    pub fn allows(self, timestamp: u64) -> bool {
        let timestamp = i128::from(timestamp);
        let (ttl, now) = (i128::from(self.ttl), i128::from(self.now));
        timestamp + ttl >= now && now + i128::from(MAX_CLOCK_SKEW) >= timestamp
    }
}

/// One Fernet key, with the HMAC state and the AES key schedule prepared.
#[derive(Clone)]
pub struct FernetKey {
    mac: HmacSha256,
    cipher: Aes128,
}

impl FernetKey {
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        let (signing, encryption) = key.split_at(16);
        Self {
            mac: <HmacSha256 as KeyInit>::new_from_slice(signing).expect("HMAC takes any key length"),
            cipher: Aes128::new_from_slice(encryption).expect("16-byte AES key"),
        }
    }

    /// The token for `data` at `timestamp` with this `iv`, base64url-encoded with padding.
    pub fn encrypt_from_parts(&self, data: &[u8], timestamp: u64, iv: &[u8; 16]) -> Vec<u8> {
        let raw = self.seal(data, timestamp, iv);
        let mut encoded = vec![0u8; base64_simd::URL_SAFE.encoded_length(raw.len())];
        let written = base64_simd::URL_SAFE.encode(&raw, base64_simd::Out::from_slice(&mut encoded)).len();
        debug_assert_eq!(written, encoded.len());
        encoded
    }

    /// `encrypt_from_parts` with a fresh IV from the operating system.
    pub fn encrypt(&self, data: &[u8], timestamp: u64) -> Result<Vec<u8>, RandomError> {
        let mut iv = [0u8; 16];
        getrandom::fill(&mut iv)?;
        Ok(self.encrypt_from_parts(data, timestamp, &iv))
    }

    /// The raw (not base64) token.
    fn seal(&self, data: &[u8], timestamp: u64, iv: &[u8; 16]) -> Vec<u8> {
        let padded_len = (data.len() / BLOCK + 1) * BLOCK;
        let mut raw = Vec::with_capacity(HEADER_LEN + padded_len + TAG_LEN);
        raw.push(VERSION);
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(iv);
        raw.extend_from_slice(data);
        raw.resize(HEADER_LEN + padded_len, 0);
        let encryptor = cbc::Encryptor::<Aes128>::inner_iv_init(self.cipher.clone(), iv.into());
        let sealed = encryptor
            .encrypt_padded::<Pkcs7>(&mut raw[HEADER_LEN..], data.len())
            .expect("room for the padding was reserved")
            .len();
        debug_assert_eq!(sealed, padded_len);
        let mut mac = self.mac.clone();
        mac.update(&raw);
        raw.extend_from_slice(&mac.finalize().into_bytes());
        raw
    }

    /// Checks the tag in constant time; on success decrypts and unpads.
    fn open(&self, raw: &[u8]) -> Result<Vec<u8>, InvalidToken> {
        let (signed, tag) = raw.split_at(raw.len() - TAG_LEN);
        let mut mac = self.mac.clone();
        mac.update(signed);
        mac.verify_slice(tag).map_err(|_| InvalidToken)?;
        let iv: &[u8; 16] = signed[9..HEADER_LEN].try_into().expect("16-byte IV");
        let mut plaintext = signed[HEADER_LEN..].to_vec();
        let decryptor = cbc::Decryptor::<Aes128>::inner_iv_init(self.cipher.clone(), iv.into());
        let len = decryptor
            .decrypt_padded::<Pkcs7>(&mut plaintext)
            .map_err(|_| InvalidToken)?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }
}

/// A decoded token whose tag is not checked yet.
pub struct UnverifiedToken {
    raw: Vec<u8>,
    pub timestamp: u64,
}

impl UnverifiedToken {
    /// The base64 (see the module docs), the version byte, and a length
    /// that leaves room for the header, whole blocks and the tag.
    pub fn parse(token: &[u8]) -> Result<Self, InvalidToken> {
        let raw = decode_base64(token).ok_or(InvalidToken)?;
        if raw.len() < HEADER_LEN + BLOCK + TAG_LEN || raw[0] != VERSION || !(raw.len() - HEADER_LEN - TAG_LEN).is_multiple_of(BLOCK) {
            return Err(InvalidToken);
        }
        let timestamp = u64::from_be_bytes(raw[1..9].try_into().expect("8 bytes"));
        Ok(Self { raw, timestamp })
    }

    /// The decoded token.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The plaintext, if one of `keys` made the tag (tried in order) and the time allows it.
    pub fn decrypt<'k>(&self, keys: impl IntoIterator<Item = &'k FernetKey>, limit: Option<TimeLimit>) -> Result<Vec<u8>, InvalidToken> {
        if limit.is_some_and(|limit| !limit.allows(self.timestamp)) {
            return Err(InvalidToken);
        }
        keys.into_iter().find_map(|key| key.open(&self.raw).ok()).ok_or(InvalidToken)
    }
}

/// Canonical base64url with padding (every token a Fernet writes) on the
/// SIMD path; anything else as cryptography reads it.
fn decode_base64(token: &[u8]) -> Option<Vec<u8>> {
    if let Ok(raw) = base64_simd::URL_SAFE.decode_to_vec(token) {
        return Some(raw);
    }
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    // ASCII whitespace as WHATWG's forgiving base64 has it (not \x0b).
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    if token.iter().any(is_space) {
        let compact: Vec<u8> = token.iter().copied().filter(|c| !is_space(c)).collect();
        return LENIENT.decode(compact).ok();
    }
    LENIENT.decode(token).ok()
}

/// Fills `buffer` from the operating system's random source.
pub fn fill_random(buffer: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buffer)
}

/// 32 random bytes from the operating system: a new raw key.
pub fn generate_key() -> Result<[u8; KEY_LEN], RandomError> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key)?;
    Ok(key)
}

/// A key as `Fernet.generate_key` writes it: base64url with padding (44 bytes).
pub fn encode_key(key: &[u8; KEY_LEN]) -> Vec<u8> {
    base64_simd::URL_SAFE.encode_type::<Vec<u8>>(key)
}

/// A Fernet key as `cryptography` reads it (the same base64 rules as a token).
pub fn decode_key(key: &[u8]) -> Option<[u8; KEY_LEN]> {
    decode_base64(key)?.try_into().ok()
}

/// Parses and decrypts in one go.
pub fn decrypt<'k>(token: &[u8], keys: impl IntoIterator<Item = &'k FernetKey>, limit: Option<TimeLimit>) -> Result<Vec<u8>, InvalidToken> {
    UnverifiedToken::parse(token)?.decrypt(keys, limit)
}

/// HKDF-SHA256 (RFC 5869) for one 32-byte output: extract, then the first
/// expand block, which is all a 32-byte output needs. Written here on `hmac`
/// rather than adding the `hkdf` crate for these few lines.
pub fn hkdf_sha256_32(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; 32] {
    let mut extract = <HmacSha256 as KeyInit>::new_from_slice(salt).expect("HMAC takes any key length");
    extract.update(ikm);
    let prk = extract.finalize().into_bytes();
    let mut expand = <HmacSha256 as KeyInit>::new_from_slice(&prk).expect("HMAC takes any key length");
    expand.update(info);
    expand.update(&[1]);
    expand.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FernetKey {
        FernetKey::new(&[7u8; 32])
    }

    fn flip_char(token: &mut [u8], at: usize) {
        token[at] = if token[at] == b'A' { b'B' } else { b'A' };
    }

    #[test]
    fn round_trip_every_length_around_the_block_size() {
        let key = key();
        for len in 0..70 {
            let data: Vec<u8> = (0..len as u8).collect();
            let token = key.encrypt_from_parts(&data, 1_000, &[3u8; 16]);
            assert_eq!(decrypt(&token, [&key], None).unwrap(), data);
            assert_eq!(decrypt(&token, [&key], Some(TimeLimit { ttl: 10, now: 1_010 })).unwrap(), data);
        }
    }

    #[test]
    fn time_limits() {
        let key = key();
        let token = key.encrypt_from_parts(b"x", 1_000, &[0u8; 16]);
        let at = |ttl, now| decrypt(&token, [&key], Some(TimeLimit { ttl, now }));
        assert!(at(10, 1_010).is_ok());
        assert_eq!(at(10, 1_011), Err(InvalidToken));
        assert!(at(10, 940).is_ok(), "60 s of skew allowed");
        assert_eq!(at(10, 939), Err(InvalidToken));
        assert!(decrypt(&token, [&key], None).is_ok(), "no TTL, no clock check");
        assert!(at(i64::MAX, i64::MIN).is_err() || at(i64::MAX, i64::MIN).is_ok(), "no overflow");
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let key = key();
        let token = key.encrypt_from_parts(b"attack at dawn", 1_000, &[9u8; 16]);
        for at in 0..token.len() - 2 {
            let mut bad = token.clone();
            flip_char(&mut bad, at);
            if bad != token {
                assert_eq!(decrypt(&bad, [&key], None), Err(InvalidToken), "position {at}");
            }
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let key = key();
        let token = key.encrypt_from_parts(b"0123456789", 1_000, &[1u8; 16]);
        let text = std::str::from_utf8(&token).unwrap();
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            token[..token.len() - 4].to_vec(),
            format!("{text}\x0b").into_bytes(),                        // not whitespace here
            text.replacen('-', "+", 1).into_bytes(),                   // standard alphabet
            text.replacen('_', "/", 1).into_bytes(),
            format!("{text}AAAA").into_bytes(),                        // one block too long
            format!("{text}=").into_bytes(),                           // too much padding
            format!("{}={}", &text[..10], &text[10..]).into_bytes(),   // padding inside
        ];
        for case in cases {
            if case != token {
                assert_eq!(decrypt(&case, [&key], None), Err(InvalidToken), "{:?}", String::from_utf8_lossy(&case));
            }
        }
        let other = FernetKey::new(&[8u8; 32]);
        assert_eq!(decrypt(&token, [&other], None), Err(InvalidToken));
        assert_eq!(decrypt(&token, [&other, &key], None).unwrap(), b"0123456789");
    }

    #[test]
    fn lenient_spellings_of_a_token_are_read_as_cryptography_reads_them() {
        let key = key();
        let token = key.encrypt_from_parts(b"", 1_000, &[1u8; 16]); // 73 bytes: ends in "=="
        let text = std::str::from_utf8(&token).unwrap();
        assert!(text.ends_with("=="));
        let stripped = text.trim_end_matches('=');
        let last = stripped.as_bytes()[stripped.len() - 1];
        let noncanonical = format!("{}{}==", &stripped[..stripped.len() - 1], (last + 1) as char);
        for case in [
            format!("{text}\n"),
            format!(" {text}\r\n"),
            format!("{}\t{}", &text[..10], &text[10..]),
            stripped.to_string(),
            format!("{stripped}="),
            noncanonical,
        ] {
            assert_eq!(decrypt(case.as_bytes(), [&key], None), Ok(vec![]), "{case:?}");
        }
    }

    #[test]
    fn hkdf_rfc5869_case_1() {
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let okm = hkdf_sha256_32(&ikm, &salt, &info);
        let expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf";
        let hex: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    /// The cost of each part of a 64-byte encrypt and decrypt, for benches/README.md:
    /// `cargo test --release -p itsdangerous-core --lib fernet::tests::part_costs -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn part_costs() {
        use crate::test_support::per_call_ns;
        use std::hint::black_box;
        let key = FernetKey::new(&[5u8; 32]);
        let data = [b'x'; 64];
        let iv = [9u8; 16];
        let raw = key.seal(&data, 1_700_000_000, &iv);
        let token = key.encrypt_from_parts(&data, 1_700_000_000, &iv);
        let ciphertext_len = raw.len() - HEADER_LEN - TAG_LEN;
        let time = |name: &str, f: &mut dyn FnMut()| {
            let (median, p10) = per_call_ns(2000, 50, f);
            println!("{name:<38} {median:>8.1} ns (p10 {p10:.1})");
        };
        println!("64-byte plaintext, {}-byte raw token, {}-byte base64 token", raw.len(), token.len());
        time("encrypt_from_parts (all)", &mut || {
            black_box(key.encrypt_from_parts(black_box(&data), 1_700_000_000, &iv));
        });
        time("encrypt with a random IV (all)", &mut || {
            black_box(key.encrypt(black_box(&data), 1_700_000_000).unwrap());
        });
        time("getrandom 16 bytes", &mut || {
            let mut iv = [0u8; 16];
            getrandom::fill(&mut iv).unwrap();
            black_box(iv);
        });
        time("AES-128-CBC encrypt + PKCS7 (80 B)", &mut || {
            let mut buf = [0u8; 80];
            buf[..64].copy_from_slice(&data);
            let enc = cbc::Encryptor::<Aes128>::inner_iv_init(key.cipher.clone(), (&iv).into());
            black_box(enc.encrypt_padded::<Pkcs7>(&mut buf, 64).unwrap().len());
        });
        time("AES-128-CBC decrypt + unpad (80 B)", &mut || {
            let mut buf = raw[HEADER_LEN..HEADER_LEN + ciphertext_len].to_vec();
            let dec = cbc::Decryptor::<Aes128>::inner_iv_init(key.cipher.clone(), (&iv).into());
            black_box(dec.decrypt_padded::<Pkcs7>(&mut buf).unwrap().len());
        });
        time("HMAC-SHA256 tag (105 B)", &mut || {
            let mut mac = key.mac.clone();
            mac.update(black_box(&raw[..raw.len() - TAG_LEN]));
            black_box(mac.finalize().into_bytes());
        });
        time("base64url encode (137 B)", &mut || {
            let mut out = vec![0u8; base64_simd::URL_SAFE.encoded_length(raw.len())];
            black_box(base64_simd::URL_SAFE.encode(black_box(&raw), base64_simd::Out::from_slice(&mut out)).len());
        });
        time("base64url decode (184 chars)", &mut || {
            black_box(base64_simd::URL_SAFE.decode_to_vec(black_box(&token)).unwrap());
        });
        time("clone AES key schedule", &mut || {
            black_box(black_box(&key.cipher).clone());
        });
        time("clone keyed HMAC", &mut || {
            black_box(black_box(&key.mac).clone());
        });
        println!("size of Aes128 {} bytes, of Hmac<Sha256> {} bytes", std::mem::size_of::<Aes128>(), std::mem::size_of::<HmacSha256>());
        time("decrypt (all)", &mut || {
            black_box(decrypt(black_box(&token), [&key], None).unwrap());
        });
    }
}
