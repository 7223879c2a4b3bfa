//! The URL-safe payload: JSON, deflated when that saves at least two bytes,
//! then base64url; a leading `.` marks a compressed payload.

use crate::codec::compress::{compress, decompress, InflateError};
use crate::protocol::encoding::{decode_urlsafe_lenient, encode_urlsafe_into};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// "Could not base64 decode the payload because of an exception"
    Base64,
    /// "Could not zlib decompress the payload before decoding the payload"
    Inflate,
    /// The inflated size passed the caller's cap (stock has no cap).
    TooLarge,
}

/// `URLSafeSerializerMixin.dump_payload` for already-serialized JSON.
pub fn encode_into(json: &[u8], out: &mut Vec<u8>) {
    let compressed = compress(json);
    if compressed.len() + 1 < json.len() {
        out.push(b'.');
        encode_urlsafe_into(&compressed, out);
    } else {
        encode_urlsafe_into(json, out);
    }
}

/// `URLSafeSerializerMixin.load_payload` up to the JSON bytes.
pub fn decode(payload: &[u8], max_decompressed: usize) -> Result<Vec<u8>, PayloadError> {
    let (compressed, encoded) = match payload.strip_prefix(b".") {
        Some(rest) => (true, rest),
        None => (false, payload),
    };
    let raw = decode_urlsafe_lenient(encoded).map_err(|_| PayloadError::Base64)?;
    if !compressed {
        return Ok(raw);
    }
    match decompress(&raw, max_decompressed) {
        Ok(json) => Ok(json),
        Err(InflateError::LimitExceeded { .. }) => Err(PayloadError::TooLarge),
        Err(_) => Err(PayloadError::Inflate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_json_is_not_compressed() {
        let mut out = Vec::new();
        encode_into(br#"{"id":42}"#, &mut out);
        assert_eq!(out, b"eyJpZCI6NDJ9");
        assert_eq!(&*decode(&out, 1 << 20).unwrap(), br#"{"id":42}"#);
    }

    #[test]
    fn repetitive_json_is_compressed_and_capped() {
        let json = format!("[{}0]", "0,".repeat(500));
        let mut out = Vec::new();
        encode_into(json.as_bytes(), &mut out);
        assert_eq!(out[0], b'.');
        assert_eq!(&*decode(&out, 1 << 20).unwrap(), json.as_bytes());
        assert_eq!(decode(&out, 100), Err(PayloadError::TooLarge));
        assert_eq!(decode(b".AAAA", 100), Err(PayloadError::Inflate));
        assert_eq!(decode(b"a", 100), Err(PayloadError::Base64));
    }
}
