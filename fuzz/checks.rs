//! The fuzz targets' bodies, shared by the libFuzzer binaries
//! (`fuzz/fuzz_targets/*.rs`, run with `cargo fuzz`) and by the corpus replay
//! test (`fuzz/replay.rs`, run by plain `cargo test` on stable).
//!
//! Each function takes arbitrary bytes and panics only when an invariant of the
//! core breaks: a panic here is a bug, whatever the input.

#![allow(dead_code)]

use itsdangerous_core::codec::compress::{
    compress, compress_with_zlib, decompress, decompress_with_zlib, InflateError,
};
use itsdangerous_core::codec::inflate::inflate_zlib;
use itsdangerous_core::protocol::encoding::{
    decode_timestamp, decode_urlsafe_lenient, encode_timestamp_into, encode_urlsafe,
};
use itsdangerous_core::codec::json::{self, read, Options, Value};
use itsdangerous_core::protocol::payload::{self, PayloadError};
use itsdangerous_core::protocol::signing::{Digest, KeyDerivation, SignerConfig, SigningKeys};
use itsdangerous_core::protocol::token::{rsplit_once, TokenError, TokenSigner};
use itsdangerous_core::fernet::{self, FernetKey, TimeLimit, UnverifiedToken};

/// A fuzz target's body: panics on a finding.
pub type Check = fn(&[u8]);

/// The targets, by the name of their corpus directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("token_split_base64", token_split_base64),
    ("timestamp", timestamp),
    ("inflate", inflate),
    ("unsign_and_load", unsign_and_load),
    ("json_reader", json_reader),
    ("fernet_decrypt", fernet_decrypt),
];

/// Fixed signers: itsdangerous's default, Flask's session signer with a
/// rotated key, and a two-byte separator.
fn signers() -> [TokenSigner; 3] {
    fn make(keys: &[&[u8]], salt: &[u8], kd: KeyDerivation, digest: Digest, sep: &[u8]) -> TokenSigner {
        let config = SignerConfig {
            secret_keys: keys,
            salt,
            key_derivation: kd,
            derive_digest: digest,
            mac_digest: digest,
        };
        TokenSigner {
            keys: SigningKeys::new(&config).expect("one key at least"),
            sep: sep.to_vec(),
        }
    }
    [
        make(&[b"secret-key"], b"itsdangerous", KeyDerivation::DjangoConcat, Digest::Sha1, b"."),
        make(&[b"old", b"dev"], b"cookie-session", KeyDerivation::Hmac, Digest::Sha1, b"."),
        make(&[b"k"], b"salt", KeyDerivation::Concat, Digest::Sha256, b"::"),
    ]
}

/// Little-endian integer from up to eight bytes, zero-extended.
fn le_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

/// Splits `n` leading bytes off, padding with zeros when the input is short.
fn take(data: &[u8], n: usize) -> (&[u8], &[u8]) {
    let n = n.min(data.len());
    data.split_at(n)
}

/// The lenient decoder's output bound and the strict decoder as an oracle.
fn check_base64(data: &[u8]) {
    let decoded = decode_urlsafe_lenient(data);
    if let Ok(out) = &decoded {
        // Every output byte needs at least 4/3 input bytes, padding included.
        assert!(out.len() <= data.len().div_ceil(4) * 3, "decoded more than the input holds");
    }
    // On input made only of alphabet characters, binascii agrees with a
    // strict decoder that tolerates non-zero trailing bits.
    let clean = data
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    if clean {
        use base64::engine::{general_purpose::GeneralPurposeConfig, DecodePaddingMode, GeneralPurpose};
        use base64::Engine;
        let lenient = GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            GeneralPurposeConfig::new()
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let strict = lenient.decode(data);
        match (&decoded, &strict) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "lenient and strict decoders disagree"),
            (Err(_), Err(_)) => {}
            _ => panic!("lenient {decoded:?} vs strict {strict:?}"),
        }
    }
    // Encoding round-trips, and appended padding or junk changes nothing.
    let encoded = encode_urlsafe(data);
    assert_eq!(decode_urlsafe_lenient(&encoded).as_deref(), Ok(data));
    let mut padded = encoded.clone();
    padded.extend_from_slice("==ñ".as_bytes());
    assert_eq!(decode_urlsafe_lenient(&padded).as_deref(), Ok(data));
}

/// `TokenSigner::unsign` and `encoding::decode_urlsafe_lenient` on arbitrary bytes.
pub fn token_split_base64(data: &[u8]) {
    check_base64(data);
    for signer in signers() {
        match signer.unsign(data) {
            Ok(value) => {
                // Only a token whose signature verifies gets here: the value is
                // what precedes the last separator.
                let (v, sig) = rsplit_once(data, &signer.sep).expect("verified tokens have a separator");
                assert_eq!(value, v);
                let mac = signer.keys.sign(&[value]);
                assert_eq!(decode_urlsafe_lenient(sig).as_deref(), Ok(&mac[..]));
            }
            Err(TokenError::MissingSeparator) => {
                assert!(rsplit_once(data, &signer.sep).is_none());
            }
            Err(TokenError::BadSignature) => {}
            Err(other) => panic!("unsign can only fail on the separator or signature: {other:?}"),
        }
        // Signing anything gives a token that verifies to it.
        let token = signer.sign(data, None);
        assert_eq!(signer.unsign(&token), Ok(data));
        // Any single-byte change to the signature part is either rejected or
        // decodes to the same bytes (low padding bits, junk characters).
        if !token.is_empty() {
            let mut tampered = token.clone();
            let at = token.len() - 1 - (data.first().copied().unwrap_or(0) as usize % 8).min(token.len() - 1);
            tampered[at] ^= data.last().copied().unwrap_or(1) | 1;
            if let Ok(v) = signer.unsign(&tampered) {
                let (_, sig) = rsplit_once(&tampered, &signer.sep).unwrap();
                assert_eq!(decode_urlsafe_lenient(sig).ok().as_deref(), Some(&signer.keys.sign(&[v])[..]));
            }
        }
    }
}

/// `encoding::decode_timestamp` and `unsign_timed` with arbitrary `max_age` and `now`.
pub fn timestamp(data: &[u8]) {
    let (head, rest) = take(data, 17);
    let flags = head.first().copied().unwrap_or(0);
    let max_age = (flags & 1 == 1).then(|| le_u64(head.get(1..9).unwrap_or(&[])) as i64);
    let now = le_u64(head.get(9..17).unwrap_or(&[])) as i64;

    // Timestamps: decoding never panics; encoding round-trips.
    if let Some(ts) = decode_timestamp(rest) {
        let mut enc = Vec::new();
        encode_timestamp_into(ts, &mut enc);
        assert_eq!(decode_timestamp(&enc), Some(ts));
    }
    let ts = le_u64(rest);
    let mut enc = Vec::new();
    encode_timestamp_into(ts, &mut enc);
    assert_eq!(decode_timestamp(&enc), Some(ts));

    let expired = |ts: u64| match max_age {
        Some(max_age) => {
            let age = i128::from(now) - i128::from(ts);
            age > i128::from(max_age) || age < 0
        }
        None => false,
    };

    for signer in signers() {
        // The arbitrary bytes as a token: never a panic, never a success
        // without a verifying signature.
        match signer.unsign_timed(rest, max_age, now) {
            Ok(unsigned) => {
                assert!(signer.unsign(rest).is_ok());
                assert!(!expired(unsigned.timestamp.unwrap()));
            }
            Err(TokenError::MissingSeparator | TokenError::BadSignature) => {
                assert!(signer.unsign(rest).is_err());
            }
            Err(_) => assert!(signer.unsign(rest).is_ok()),
        }

        // A real timed token for an arbitrary timestamp: the age check is exact.
        let token = signer.sign(rest, Some(ts));
        match signer.unsign_timed(&token, max_age, now) {
            Ok(unsigned) => {
                assert!(!expired(ts), "accepted an expired token");
                assert_eq!(unsigned.value, rest);
                assert_eq!(unsigned.timestamp, Some(ts));
            }
            Err(TokenError::Expired) => assert!(expired(ts), "rejected a fresh token"),
            Err(other) => panic!("a freshly signed timed token failed: {other:?}"),
        }

        // Correctly signed, arbitrary timestamp field.
        let mut inner = b"v".to_vec();
        inner.extend_from_slice(&signer.sep);
        inner.extend_from_slice(rest);
        let token = signer.sign(&inner, None);
        let parsed = rsplit_once(&inner, &signer.sep).map(|(_, t)| decode_timestamp(t));
        match signer.unsign_timed(&token, max_age, now) {
            Ok(unsigned) => {
                assert_eq!(parsed, Some(unsigned.timestamp));
                assert!(!expired(unsigned.timestamp.unwrap()));
            }
            Err(TokenError::MalformedTimestamp) => assert_eq!(parsed, Some(None)),
            Err(TokenError::MissingTimestamp) => assert_eq!(parsed, None),
            Err(TokenError::Expired) => assert!(expired(parsed.flatten().unwrap())),
            Err(other) => panic!("signature of a freshly signed token failed: {other:?}"),
        }
    }
}

/// Mirror of the cap logic with flate2's low-level API: `Some(Ok(out))` for a
/// complete stream of at most `cap` bytes, `Some(Err(()))` for one over the
/// cap, `None` for a corrupt or truncated stream.
fn oracle_inflate(input: &[u8], cap: usize) -> Option<Result<Vec<u8>, ()>> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut z = Decompress::new(true);
    let mut out = Vec::with_capacity(cap.saturating_add(1).min(1 << 22));
    loop {
        if out.len() == out.capacity() {
            if out.len() > cap {
                return Some(Err(()));
            }
            out.reserve((cap + 1 - out.len()).min(1 << 22));
        }
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let status = z.decompress_vec(&input[in_before as usize..], &mut out, FlushDecompress::None);
        // Past the cap counts first, even when the same call then met a bad
        // checksum or corrupt data: the capped inflater stops at the cap.
        if out.len() > cap {
            return Some(Err(()));
        }
        let status = status.ok()?;
        match status {
            Status::StreamEnd => return Some(Ok(out)),
            _ if z.total_in() == in_before && z.total_out() == out_before && out.len() < out.capacity() => {
                return None; // no progress with room to spare: truncated
            }
            _ => {}
        }
    }
}

/// `payload::decode` with a cap, raw `compress::decompress` against an
/// oracle, `compress` against libz byte for byte, and the round-trip.
pub fn inflate(data: &[u8]) {
    let (head, rest) = take(data, 2);
    let cap = le_u64(head) as usize; // 0..=65535: small caps hit the limit often

    match payload::decode(rest, cap) {
        Ok(out) => {
            if rest.first() == Some(&b'.') {
                assert!(out.len() <= cap, "decoded past the cap");
            }
        }
        Err(PayloadError::TooLarge) => assert_eq!(rest.first(), Some(&b'.')),
        Err(PayloadError::Inflate) => assert_eq!(rest.first(), Some(&b'.')),
        Err(PayloadError::Base64) => {}
    }

    // Raw zlib stream.
    let got = decompress(rest, cap);
    match (&got, oracle_inflate(rest, cap)) {
        (Ok(out), Some(Ok(expected))) => assert_eq!(out, &expected),
        (Err(InflateError::LimitExceeded { .. }), Some(Err(()))) => {}
        (Err(e), None) => assert!(!matches!(e, InflateError::LimitExceeded { .. })),
        (got, expected) => panic!("decompress {got:?} vs oracle {expected:?}"),
    }
    if let Ok(out) = &got {
        assert!(out.len() <= cap);
    }
    // The pure-Rust fast path answers only what libz answers the same way.
    if let Some(fast) = inflate_zlib(rest, cap) {
        assert!(fast.len() <= cap, "fast path decoded past the cap");
        assert_eq!(
            decompress_with_zlib(rest, cap).as_ref(),
            Ok(&fast),
            "fast path accepted what libz does not"
        );
    }

    // Byte-identity of the Rust deflate with libz (CPython's zlib.compress),
    // then the round-trip: decompress with an exact and a short cap.
    let compressed = compress(rest);
    assert_eq!(compressed, compress_with_zlib(rest), "deflate differs from libz");
    assert_eq!(decompress(&compressed, rest.len()).ok().as_deref(), Some(rest));
    // ... and the fast path does not decline zlib's own output.
    assert_eq!(inflate_zlib(&compressed, rest.len()).as_deref(), Some(rest));
    if !rest.is_empty() {
        assert!(matches!(
            decompress(&compressed, rest.len() - 1),
            Err(InflateError::LimitExceeded { .. })
        ));
    }
    let mut encoded = Vec::new();
    payload::encode_into(rest, &mut encoded);
    assert_eq!(payload::decode(&encoded, rest.len()).as_deref(), Ok(rest));
}

/// A fixed-key `TokenSigner`: `unsign_timed`, then `payload::decode`, then
/// the JSON reader. The first byte picks a mode; mode 1 signs the bytes first
/// so the fuzzer explores everything past the MAC.
pub fn unsign_and_load(data: &[u8]) {
    const CAP: usize = 1 << 20;
    let (head, rest) = take(data, 1);
    let mode = head.first().copied().unwrap_or(0);
    let [default, flask, _] = signers();
    let signer = if mode & 2 == 0 { default } else { flask };
    let token;
    let token: &[u8] = if mode & 1 == 1 {
        // Sign the arbitrary payload with an arbitrary timestamp.
        let (ts, value) = take(rest, 5);
        token = signer.sign(value, Some(le_u64(ts)));
        &token
    } else {
        rest
    };
    let max_age = (mode & 4 == 4).then_some(31 * 24 * 3600);
    let Ok(unsigned) = signer.unsign_timed(token, max_age, 1_700_000_000) else {
        assert!(mode & 1 == 0 || max_age.is_some(), "a freshly signed token was rejected");
        return;
    };
    match payload::decode(unsigned.value, CAP) {
        Ok(json) => {
            if unsigned.value.first() == Some(&b'.') {
                assert!(json.len() <= CAP);
            }
            check_json(&json);
        }
        Err(PayloadError::Base64 | PayloadError::Inflate | PayloadError::TooLarge) => {}
    }
}

/// `json::read` on arbitrary bytes, and the writer's round-trip.
pub fn json_reader(data: &[u8]) {
    check_json(data);
}

fn check_json(data: &[u8]) {
    let value = match json::from_slice(data) {
        Ok(value) => value,
        Err(read::Error::Invalid(at) | read::Error::Unsupported(at)) => {
            assert!(at <= data.len(), "error offset past the input");
            return;
        }
        Err(read::Error::Builder(never)) => match never {},
    };
    // Whatever was accepted was UTF-8 JSON, and writing it back gives JSON
    // that reads back to the same value (compared through its bytes, so NaN
    // counts as equal to itself).
    assert!(std::str::from_utf8(data).is_ok());
    for opts in [
        Options::default(),
        Options { ensure_ascii: false, sort_keys: true, compact: true },
    ] {
        let written = json::to_vec(&value, &opts);
        let reread = json::from_slice(&written).unwrap_or_else(|e| {
            panic!("writer output rejected ({e:?}): {}", String::from_utf8_lossy(&written))
        });
        assert_eq!(json::to_vec(&reread, &opts), written, "write/read/write is not stable");
        if opts.ensure_ascii {
            assert!(written.is_ascii());
        }
    }
    assert!(depth(&value) <= read::MAX_DEPTH, "nesting past MAX_DEPTH was accepted");
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// Fernet's decrypt path on arbitrary bytes. The first byte picks a mode:
/// bit 0 seals the rest first (timestamp 8 bytes LE, IV 16 bytes, then the
/// plaintext) so the tag check passes and decryption is reached; bit 1 then
/// flips one byte of the decoded token (at the position the second byte
/// gives), which must be refused; bit 2 adds a TTL check at a fixed clock.
pub fn fernet_decrypt(data: &[u8]) {
    let (head, rest) = take(data, 2);
    let mode = head.first().copied().unwrap_or(0);
    let flip_at = head.get(1).copied().unwrap_or(0) as usize;
    let keys = [FernetKey::new(&[0x11; 32]), FernetKey::new(&[0x22; 32])];
    let limit = (mode & 4 == 4).then_some(TimeLimit { ttl: 3600, now: 1_700_000_000 });
    if mode & 1 == 0 {
        // Arbitrary input as a token: any outcome but a panic; a success
        // means the input decodes to a token one of the keys sealed.
        if let Ok(plaintext) = fernet::decrypt(rest, &keys, limit) {
            let token = UnverifiedToken::parse(rest).expect("decrypted, so it parses");
            let raw = token.raw();
            let iv: [u8; 16] = raw[9..25].try_into().unwrap();
            let resealed = keys.iter().map(|k| k.encrypt_from_parts(&plaintext, token.timestamp, &iv));
            let canonical: Vec<Vec<u8>> = resealed.map(|t| UnverifiedToken::parse(&t).unwrap().raw().to_vec()).collect();
            assert!(canonical.iter().any(|c| c == raw), "a token no key would seal was accepted");
        }
        return;
    }
    let (ts, rest) = take(rest, 8);
    let (iv, plaintext) = take(rest, 16);
    let mut iv_bytes = [0u8; 16];
    iv_bytes[..iv.len()].copy_from_slice(iv);
    let timestamp = le_u64(ts);
    let key = &keys[usize::from(mode & 8 == 8)];
    let token = key.encrypt_from_parts(plaintext, timestamp, &iv_bytes);
    if mode & 2 == 0 {
        let expected_ok = limit.is_none_or(|l| l.allows(timestamp));
        match fernet::decrypt(&token, &keys, limit) {
            Ok(back) => assert!(expected_ok && back == plaintext, "round trip changed the plaintext"),
            Err(_) => assert!(!expected_ok, "a fresh token was refused"),
        }
        return;
    }
    let mut raw = UnverifiedToken::parse(&token).unwrap().raw().to_vec();
    let at = flip_at % raw.len();
    raw[at] ^= 1 << (mode >> 5);
    let tampered = itsdangerous_core::protocol::encoding::encode_urlsafe(&raw);
    let mut padded = tampered.clone();
    padded.resize(tampered.len().div_ceil(4) * 4, b'=');
    assert!(fernet::decrypt(&padded, &keys, None).is_err(), "a tampered token was accepted");
}
