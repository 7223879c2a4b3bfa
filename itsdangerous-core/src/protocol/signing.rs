//! HMAC signing with itsdangerous's key derivations and key rotation.
//!
//! The derived key of every secret is computed once, and its keyed HMAC state
//! (inner and outer pads already absorbed) is kept, so a signature costs one
//! clone and two short hash runs.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn hash(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            Self::Sha1 => run::<Sha1>(parts),
            Self::Sha224 => run::<Sha224>(parts),
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sha384 => run::<Sha384>(parts),
            Self::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// `Signer.key_derivation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyDerivation {
    /// `H(salt + key)`
    Concat,
    /// `H(salt + b"signer" + key)`, itsdangerous's default.
    DjangoConcat,
    /// `HMAC_H(key, salt)`, Flask's choice.
    Hmac,
    /// The secret is the key.
    None,
}

impl KeyDerivation {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "concat" => Self::Concat,
            "django-concat" => Self::DjangoConcat,
            "hmac" => Self::Hmac,
            "none" => Self::None,
            _ => return None,
        })
    }
}

/// An HMAC state already keyed with one derived key.
#[derive(Clone)]
enum KeyedMac {
    Sha1(Hmac<Sha1>),
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

macro_rules! each_mac {
    ($self:expr, $mac:ident => $body:expr) => {
        match $self {
            KeyedMac::Sha1($mac) => $body,
            KeyedMac::Sha224($mac) => $body,
            KeyedMac::Sha256($mac) => $body,
            KeyedMac::Sha384($mac) => $body,
            KeyedMac::Sha512($mac) => $body,
        }
    };
}

impl KeyedMac {
    fn new(digest: Digest, key: &[u8]) -> Self {
        // HMAC accepts keys of any length, so these never fail.
        match digest {
            Digest::Sha1 => {
                Self::Sha1(<Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("any key length"))
            }
            Digest::Sha224 => Self::Sha224(
                <Hmac<Sha224> as KeyInit>::new_from_slice(key).expect("any key length"),
            ),
            Digest::Sha256 => Self::Sha256(
                <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length"),
            ),
            Digest::Sha384 => Self::Sha384(
                <Hmac<Sha384> as KeyInit>::new_from_slice(key).expect("any key length"),
            ),
            Digest::Sha512 => Self::Sha512(
                <Hmac<Sha512> as KeyInit>::new_from_slice(key).expect("any key length"),
            ),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        each_mac!(self, state => {
            let mut mac = state.clone();
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().to_vec()
        })
    }

    /// Constant-time comparison through `Mac::verify_slice`.
    fn verify(&self, parts: &[&[u8]], expected: &[u8]) -> bool {
        each_mac!(self, state => {
            let mut mac = state.clone();
            for part in parts {
                mac.update(part);
            }
            mac.verify_slice(expected).is_ok()
        })
    }
}

/// What `Signer.__init__` was given, in the form the core needs.
#[derive(Clone, Debug)]
pub struct SignerConfig<'a> {
    /// Oldest to newest; the last one signs.
    pub secret_keys: &'a [&'a [u8]],
    pub salt: &'a [u8],
    pub key_derivation: KeyDerivation,
    /// `Signer.digest_method`, used for key derivation.
    pub derive_digest: Digest,
    /// `HMACAlgorithm.digest_method`, used for the signature itself.
    pub mac_digest: Digest,
}

/// Keyed HMAC states for every secret key, newest first.
#[derive(Clone)]
pub struct SigningKeys {
    newest_first: Vec<KeyedMac>,
    mac_digest: Digest,
}

impl SigningKeys {
    /// `None` when there is no key at all (stock fails on `secret_keys[-1]`).
    pub fn new(config: &SignerConfig<'_>) -> Option<Self> {
        if config.secret_keys.is_empty() {
            return None;
        }
        let newest_first = config
            .secret_keys
            .iter()
            .rev()
            .map(|secret| KeyedMac::new(config.mac_digest, &derive_key(config, secret)))
            .collect();
        Some(Self {
            newest_first,
            mac_digest: config.mac_digest,
        })
    }

    pub fn signature_len(&self) -> usize {
        self.mac_digest.output_len()
    }

    /// Raw MAC of the concatenated parts with the newest key.
    pub fn sign(&self, parts: &[&[u8]]) -> Vec<u8> {
        self.newest_first[0].mac(parts)
    }

    /// Tries every key, newest first, each in constant time.
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        self.newest_first
            .iter()
            .any(|key| key.verify(parts, signature))
    }
}

/// `Signer.derive_key(secret)`.
pub fn derive_key(config: &SignerConfig<'_>, secret: &[u8]) -> Vec<u8> {
    let digest = config.derive_digest;
    match config.key_derivation {
        KeyDerivation::Concat => digest.hash(&[config.salt, secret]),
        KeyDerivation::DjangoConcat => digest.hash(&[config.salt, b"signer", secret]),
        KeyDerivation::Hmac => KeyedMac::new(digest, secret).mac(&[config.salt]),
        KeyDerivation::None => secret.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encoding::encode_urlsafe;

    fn config<'a>(
        keys: &'a [&'a [u8]],
        salt: &'a [u8],
        kd: KeyDerivation,
        digest: Digest,
    ) -> SignerConfig<'a> {
        SignerConfig {
            secret_keys: keys,
            salt,
            key_derivation: kd,
            derive_digest: digest,
            mac_digest: digest,
        }
    }

    #[test]
    fn default_signer_matches_itsdangerous() {
        // Signer("secret-key").sign("my string") == b"my string.wh6tMHxLgJqB6oY1uT73iMlyrOA"
        let keys: [&[u8]; 1] = [b"secret-key"];
        let signing = SigningKeys::new(&config(
            &keys,
            b"itsdangerous.Signer",
            KeyDerivation::DjangoConcat,
            Digest::Sha1,
        ))
        .unwrap();
        assert_eq!(
            encode_urlsafe(&signing.sign(&[b"my string"])),
            b"wh6tMHxLgJqB6oY1uT73iMlyrOA"
        );
    }

    #[test]
    fn rotation_signs_with_newest_and_verifies_all() {
        let old: [&[u8]; 1] = [b"old"];
        let both: [&[u8]; 2] = [b"old", b"new"];
        let old_keys =
            SigningKeys::new(&config(&old, b"s", KeyDerivation::Hmac, Digest::Sha256)).unwrap();
        let rotated =
            SigningKeys::new(&config(&both, b"s", KeyDerivation::Hmac, Digest::Sha256)).unwrap();
        let old_sig = old_keys.sign(&[b"v"]);
        assert!(rotated.verify(&[b"v"], &old_sig));
        assert_ne!(rotated.sign(&[b"v"]), old_sig);
        assert!(!old_keys.verify(&[b"v"], &rotated.sign(&[b"v"])));
        assert!(!rotated.verify(&[b"v"], &old_sig[..old_sig.len() - 1]));
    }

    #[test]
    fn parts_are_concatenated() {
        let keys: [&[u8]; 1] = [b"k"];
        for kd in [
            KeyDerivation::Concat,
            KeyDerivation::DjangoConcat,
            KeyDerivation::Hmac,
            KeyDerivation::None,
        ] {
            for digest in [
                Digest::Sha1,
                Digest::Sha224,
                Digest::Sha256,
                Digest::Sha384,
                Digest::Sha512,
            ] {
                let signing = SigningKeys::new(&config(&keys, b"salt", kd, digest)).unwrap();
                let sig = signing.sign(&[b"ab", b".", b"cd"]);
                assert_eq!(sig.len(), digest.output_len());
                assert_eq!(sig, signing.sign(&[b"ab.cd"]));
                assert!(signing.verify(&[b"ab.c", b"d"], &sig));
            }
        }
    }
}
