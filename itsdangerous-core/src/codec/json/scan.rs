//! Word-at-a-time scanning of string bytes, shared by the JSON reader and
//! writer and the `Cookie` header check.
//!
//! Eight bytes are tested at once with the classic "some byte is zero"
//! trick; only whether any lane hits is used, which the trick gets exactly.

pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `i` as a little-endian word, if there are eight.
#[inline]
pub(crate) fn word_at(s: &[u8], i: usize) -> Option<u64> {
    let chunk = s.get(i..i + 8)?;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    Some(u64::from_le_bytes(bytes))
}

/// High bit set (in some lane) when some byte of `w` equals `byte`.
#[inline]
pub(crate) fn has_byte(w: u64, byte: u8) -> u64 {
    let x = w ^ (LO * u64::from(byte));
    x.wrapping_sub(LO) & !x
}

/// High bit set (in some lane) when some byte of `w` is `"`, `\` or a
/// control byte below 0x20: the bytes both directions must stop at.
#[inline]
pub(crate) fn has_quote_backslash_or_control(w: u64) -> u64 {
    has_byte(w, b'"') | has_byte(w, b'\\') | (w.wrapping_sub(LO * 0x20) & !w)
}
