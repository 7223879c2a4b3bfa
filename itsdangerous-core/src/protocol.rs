//! The token protocol: key derivation and signing, base64, timestamps, and
//! the payload (JSON, optionally deflated) inside a token.

pub mod encoding;
pub mod payload;
pub mod serializer;
pub mod signing;
pub mod token;
