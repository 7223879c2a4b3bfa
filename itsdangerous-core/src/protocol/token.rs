//! Signed tokens: `value.sig` (Signer) and `value.timestamp.sig` (TimestampSigner).
//!
//! Only the success path has to agree with itsdangerous exactly; every error
//! says which check failed, and the Python layer lets stock itsdangerous build
//! the exception so its message and attributes are the real ones.

use crate::protocol::encoding::{
    decode_timestamp, decode_urlsafe_lenient, encode_timestamp_into, encode_urlsafe_into,
};
use crate::protocol::signing::SigningKeys;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// `No b'.' found in value`
    MissingSeparator,
    /// `Signature ... does not match`
    BadSignature,
    /// `timestamp missing`
    MissingTimestamp,
    /// `Malformed timestamp`
    MalformedTimestamp,
    /// `Signature age ... > max_age` or `< 0`
    Expired,
}

/// A signer: keys plus separator.
#[derive(Clone)]
pub struct TokenSigner {
    pub keys: SigningKeys,
    pub sep: Vec<u8>,
}

/// A verified token's value and, for timed tokens, its timestamp.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsigned<'a> {
    pub value: &'a [u8],
    pub timestamp: Option<u64>,
}

impl TokenSigner {
    /// `Signer.sign` (timestamp `None`) or `TimestampSigner.sign`.
    pub fn sign_into(&self, value: &[u8], timestamp: Option<u64>, out: &mut Vec<u8>) {
        let start = out.len();
        out.reserve(value.len() + 2 * self.sep.len() + 12 + self.keys.signature_len() * 4 / 3 + 2);
        out.extend_from_slice(value);
        if let Some(ts) = timestamp {
            out.extend_from_slice(&self.sep);
            encode_timestamp_into(ts, out);
        }
        let signature = self.keys.sign(&[&out[start..]]);
        out.extend_from_slice(&self.sep);
        encode_urlsafe_into(&signature, out);
    }

    pub fn sign(&self, value: &[u8], timestamp: Option<u64>) -> Vec<u8> {
        let mut out = Vec::new();
        self.sign_into(value, timestamp, &mut out);
        out
    }

    /// `Signer.unsign`: split on the last separator and verify.
    pub fn unsign<'a>(&self, token: &'a [u8]) -> Result<&'a [u8], TokenError> {
        let (value, sig) = rsplit_once(token, &self.sep).ok_or(TokenError::MissingSeparator)?;
        // Undecodable base64 is a mismatch, as in `Signer.verify_signature`.
        let sig = decode_urlsafe_lenient(sig).map_err(|_| TokenError::BadSignature)?;
        if self.keys.verify(&[value], &sig) {
            Ok(value)
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// `TimestampSigner.unsign` with `now` from the caller's clock.
    pub fn unsign_timed<'a>(
        &self,
        token: &'a [u8],
        max_age: Option<i64>,
        now: i64,
    ) -> Result<Unsigned<'a>, TokenError> {
        let signed = self.unsign(token)?;
        let (value, ts_bytes) =
            rsplit_once(signed, &self.sep).ok_or(TokenError::MissingTimestamp)?;
        let timestamp = decode_timestamp(ts_bytes).ok_or(TokenError::MalformedTimestamp)?;
        if let Some(max_age) = max_age {
            let age = i128::from(now) - i128::from(timestamp);
            if age > i128::from(max_age) || age < 0 {
                return Err(TokenError::Expired);
            }
        }
        Ok(Unsigned {
            value,
            timestamp: Some(timestamp),
        })
    }
}

/// `bytes.rsplit(sep, 1)` when `sep` occurs; an empty separator never matches.
pub fn rsplit_once<'a>(haystack: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    if sep.is_empty() || sep.len() > haystack.len() {
        return None;
    }
    let at = if sep.len() == 1 {
        haystack.iter().rposition(|&b| b == sep[0])?
    } else {
        haystack.windows(sep.len()).rposition(|w| w == sep)?
    };
    Some((&haystack[..at], &haystack[at + sep.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::signing::{Digest, KeyDerivation, SignerConfig};

    fn signer(keys: &[&[u8]], salt: &[u8]) -> TokenSigner {
        let config = SignerConfig {
            secret_keys: keys,
            salt,
            key_derivation: KeyDerivation::DjangoConcat,
            derive_digest: Digest::Sha1,
            mac_digest: Digest::Sha1,
        };
        TokenSigner {
            keys: SigningKeys::new(&config).unwrap(),
            sep: b".".to_vec(),
        }
    }

    #[test]
    fn url_safe_timed_example_from_facts() {
        // TimestampSigner("secret", salt=b"itsdangerous") at 1700000000, checked against itsdangerous 2.2.
        let s = signer(&[b"secret"], b"itsdangerous");
        let token = s.sign(b"eyJpZCI6NDJ9", Some(1_700_000_000));
        assert_eq!(token, b"eyJpZCI6NDJ9.ZVPxAA.qd7xPNmaVYFqxf7tIUFNu8vS2Kc");
        let unsigned = s.unsign_timed(&token, Some(10), 1_700_000_005).unwrap();
        assert_eq!(unsigned.value, b"eyJpZCI6NDJ9");
        assert_eq!(unsigned.timestamp, Some(1_700_000_000));
        assert_eq!(
            s.unsign_timed(&token, Some(10), 1_700_000_011),
            Err(TokenError::Expired)
        );
        assert_eq!(
            s.unsign_timed(&token, Some(10), 1_699_999_999),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn errors() {
        let s = signer(&[b"secret-key"], b"itsdangerous.Signer");
        assert_eq!(s.unsign(b"no separator"), Err(TokenError::MissingSeparator));
        assert_eq!(
            s.unsign(b"my string.wh6tMHxLgJqB6oY1uT73iMlyrOA"),
            Ok(&b"my string"[..])
        );
        assert_eq!(
            s.unsign(b"my string.xh6tMHxLgJqB6oY1uT73iMlyrOA"),
            Err(TokenError::BadSignature)
        );
        // The last character's low bits are unused by the decoder, so this one still verifies.
        assert_eq!(
            s.unsign(b"my string.wh6tMHxLgJqB6oY1uT73iMlyrOB"),
            Ok(&b"my string"[..])
        );
        assert_eq!(
            s.unsign(b"my string.wh6tMHxLgJqB6oY1uT73iMlyrOA=="),
            Ok(&b"my string"[..])
        );
        assert_eq!(
            s.unsign_timed(b"my string.wh6tMHxLgJqB6oY1uT73iMlyrOA", None, 0),
            Err(TokenError::MissingTimestamp)
        );
    }

    #[test]
    fn rsplit() {
        assert_eq!(rsplit_once(b"a.b.c", b"."), Some((&b"a.b"[..], &b"c"[..])));
        assert_eq!(
            rsplit_once(b"a::b::c", b"::"),
            Some((&b"a::b"[..], &b"c"[..]))
        );
        assert_eq!(rsplit_once(b"abc", b"."), None);
    }
}
