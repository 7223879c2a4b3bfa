//! `URLSafeTimedSerializer` for JSON a caller has already serialized: the
//! whole token protocol in one place, for Rust programs that share tokens
//! or Flask session cookies with Python apps.

use crate::protocol::payload::{self, PayloadError};
use crate::protocol::signing::{Digest, KeyDerivation, SignerConfig, SigningKeys};
use crate::protocol::token::{TokenError, TokenSigner};

/// Why a token did not load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    Token(TokenError),
    Payload(PayloadError),
}

/// Timestamped, signed, URL-safe JSON tokens (`value.timestamp.signature`).
#[derive(Clone)]
pub struct UrlSafeTimedSerializer {
    signer: TokenSigner,
}

impl UrlSafeTimedSerializer {
    /// `None` when `config` has no key.
    pub fn new(config: &SignerConfig<'_>) -> Option<Self> {
        Some(Self {
            signer: TokenSigner {
                keys: SigningKeys::new(config)?,
                sep: b".".to_vec(),
            },
        })
    }

    /// The serializer Flask 3.1's `SecureCookieSessionInterface` builds:
    /// salt `cookie-session`, HMAC key derivation, SHA-1. `fallbacks` verify
    /// only (`SECRET_KEY_FALLBACKS`); `secret_key` signs.
    pub fn flask_session(secret_key: &[u8], fallbacks: &[&[u8]]) -> Self {
        let mut keys: Vec<&[u8]> = fallbacks.to_vec();
        keys.push(secret_key);
        let config = SignerConfig {
            secret_keys: &keys,
            salt: b"cookie-session",
            key_derivation: KeyDerivation::Hmac,
            derive_digest: Digest::Sha1,
            mac_digest: Digest::Sha1,
        };
        Self::new(&config).expect("the secret key is always present")
    }

    /// The token for `json` signed at `timestamp` (seconds since the epoch).
    pub fn dumps_json(&self, json: &[u8], timestamp: u64) -> String {
        let mut encoded = Vec::with_capacity(json.len() * 4 / 3 + 8);
        payload::encode_into(json, &mut encoded);
        let token = self.signer.sign(&encoded, Some(timestamp));
        String::from_utf8(token).expect("tokens are base64url and separators")
    }

    /// The JSON inside `token`, if its signature verifies and it is at most
    /// `max_age` seconds old at `now`. An inflated payload over
    /// `max_decompressed` bytes is refused rather than built.
    pub fn loads_json(
        &self,
        token: &[u8],
        max_age: Option<i64>,
        now: i64,
        max_decompressed: usize,
    ) -> Result<Vec<u8>, LoadError> {
        let unsigned = self
            .signer
            .unsign_timed(token, max_age, now)
            .map_err(LoadError::Token)?;
        payload::decode(unsigned.value, max_decompressed).map_err(LoadError::Payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Flask 3.1.3 with SECRET_KEY "dev" at t=1700000000 for {"a": 1, "b": (1, 2)}
    // (printed by Flask itself under freezegun).
    const FLASK_COOKIE: &str = "eyJhIjoxLCJiIjp7IiB0IjpbMSwyXX19.ZVPxAA.DkI5EpMrY06MkB98skMjYI1scXA";
    const FLASK_JSON: &[u8] = br#"{"a":1,"b":{" t":[1,2]}}"#;

    #[test]
    fn flask_session_matches_flask() {
        let serializer = UrlSafeTimedSerializer::flask_session(b"dev", &[]);
        assert_eq!(serializer.dumps_json(FLASK_JSON, 1_700_000_000), FLASK_COOKIE);
        let json = serializer.loads_json(FLASK_COOKIE.as_bytes(), Some(10), 1_700_000_005, 1 << 20);
        assert_eq!(json.as_deref(), Ok(FLASK_JSON));
    }

    #[test]
    fn fallbacks_verify_and_the_secret_key_signs() {
        let rotated = UrlSafeTimedSerializer::flask_session(b"new", &[b"dev"]);
        assert!(rotated.loads_json(FLASK_COOKIE.as_bytes(), None, 0, 1 << 20).is_ok());
        assert_ne!(rotated.dumps_json(FLASK_JSON, 1_700_000_000), FLASK_COOKIE);
    }

    #[test]
    fn expired_and_tampered_tokens_fail() {
        let serializer = UrlSafeTimedSerializer::flask_session(b"dev", &[]);
        let expired = serializer.loads_json(FLASK_COOKIE.as_bytes(), Some(10), 1_700_000_011, 1 << 20);
        assert_eq!(expired, Err(LoadError::Token(TokenError::Expired)));
        let tampered = FLASK_COOKIE.replace("eyJh", "eyJi");
        let refused = serializer.loads_json(tampered.as_bytes(), None, 0, 1 << 20);
        assert_eq!(refused, Err(LoadError::Token(TokenError::BadSignature)));
    }
}
