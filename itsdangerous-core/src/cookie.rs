//! Finding one cookie in a `Cookie` header the way Werkzeug's `parse_cookie`
//! does, for the headers where that can be done without its regex.

use crate::codec::json::scan::{has_quote_backslash_or_control, HI, LO};

/// Why a header is left to Werkzeug.
#[derive(Debug, PartialEq, Eq)]
pub struct NeedsWerkzeug;

/// The first value of cookie `name`, as `request.cookies.get(name)` gives it.
///
/// Only printable ASCII without `"` or `\` is handled: there Werkzeug's regex
/// reduces to splitting on `;`, then on the first `=`, and stripping spaces.
/// Anything else (quoted values, escapes, tabs, non-ASCII) is `NeedsWerkzeug`.
pub fn find_cookie<'a>(header: &'a str, name: &str) -> Result<Option<&'a str>, NeedsWerkzeug> {
    if !is_simple_header(header.as_bytes()) {
        return Err(NeedsWerkzeug);
    }
    for segment in header.split(';') {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        let key = key.trim_matches(' ');
        if !key.is_empty() && key == name {
            return Ok(Some(value.trim_matches(' ')));
        }
    }
    Ok(None)
}

/// True when every byte is printable ASCII other than `"` and `\`.
///
/// Eight bytes at a time: a session cookie alone is up to 4 KB, and a byte
/// loop here cost as much as the rest of finding the cookie.
fn is_simple_header(header: &[u8]) -> bool {
    let mut words = header.chunks_exact(8);
    let mut flagged = 0;
    for word in &mut words {
        flagged |= unusual_bytes(u64::from_le_bytes(word.try_into().expect("8-byte chunk")));
    }
    // The tail, padded with a byte that is always allowed.
    let mut tail = [b'a'; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    flagged |= unusual_bytes(u64::from_le_bytes(tail));
    flagged == 0
}

/// Nonzero when some byte of `word` is below 0x20, above 0x7e, `"` or `\`:
/// the JSON scanners' stop bytes, plus the top half (`byte + 1` or the byte
/// itself has its high bit set).
#[inline(always)]
fn unusual_bytes(word: u64) -> u64 {
    (has_quote_backslash_or_control(word) | word.wrapping_add(LO) | word) & HI
}

/// True when every byte is base64url or `.`, as every signed token is.
///
/// That alphabet is a subset of what Werkzeug's `dump_cookie` leaves unquoted,
/// so such a value is written as is; anything else is left to Werkzeug.
pub fn is_plain_token(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_headers() {
        let header = "theme=dark; session=abc.def; session=second; flag; =x; a=b=c";
        assert_eq!(find_cookie(header, "session"), Ok(Some("abc.def")));
        assert_eq!(find_cookie(header, "flag"), Ok(Some("")));
        assert_eq!(find_cookie(header, "a"), Ok(Some("b=c")));
        assert_eq!(find_cookie(header, "missing"), Ok(None));
        assert_eq!(find_cookie("  session =  v  ;x=1", "session"), Ok(Some("v")));
        assert_eq!(find_cookie("", "session"), Ok(None));
    }

    #[test]
    fn plain_tokens() {
        assert!(is_plain_token(".eJyrVkpU0lFKSixSsqoGsQ.ZVPxAA.qd7x-_"));
        assert!(!is_plain_token("a b"));
        assert!(!is_plain_token("a;b"));
        assert!(!is_plain_token("é"));
    }

    #[test]
    fn simple_header_check_matches_a_byte_loop() {
        let by_bytes = |h: &[u8]| h.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
        // Every byte value at every position of headers 0..=20 bytes long.
        for len in 0..=20usize {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut header = vec![b'x'; len];
                    header[at] = byte;
                    assert_eq!(is_simple_header(&header), by_bytes(&header), "byte {byte:#x} at {at} of {len}");
                    // Next to a 0xff or 0x00, where borrows and carries cross lanes.
                    for neighbour in [0x00u8, 0x1f, 0x7f, 0xff] {
                        if at + 1 < len {
                            header[at + 1] = neighbour;
                            assert_eq!(is_simple_header(&header), by_bytes(&header));
                            header[at + 1] = b'x';
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn unusual_headers_go_to_werkzeug() {
        assert_eq!(find_cookie("session=\"quoted\"", "session"), Err(NeedsWerkzeug));
        assert_eq!(find_cookie("session=a\tb", "session"), Err(NeedsWerkzeug));
        assert_eq!(find_cookie("session=é", "session"), Err(NeedsWerkzeug));
    }
}
