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

/// Why a header is left to Starlette's `cookie_parser`.
#[derive(Debug, PartialEq, Eq)]
pub struct NeedsStarlette;

/// The value Starlette 1.x's `cookie_parser(header).get(name)` gives.
///
/// `cookie_parser` splits on `;`, then on the first `=` (a chunk without one
/// is an empty name with the chunk as value), strips both halves with
/// `str.strip`, skips chunks where both are empty, unquotes with
/// `http.cookies._unquote`, and the last chunk of a name wins. On printable
/// ASCII without `"` or `\` the strip is of spaces only and the unquote is the
/// identity, so those headers are done here; anything else is `NeedsStarlette`.
pub fn find_cookie_starlette<'a>(header: &'a [u8], name: &[u8]) -> Result<Option<&'a [u8]>, NeedsStarlette> {
    if !is_simple_header(header) {
        return Err(NeedsStarlette);
    }
    let mut found = None;
    let mut rest = header;
    loop {
        // A session cookie is most of the header: find the separators a word at a time.
        let (chunk, next) = match find_byte(rest, b';') {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (key, value) = match find_byte(chunk, b'=') {
            Some(at) => (&chunk[..at], &chunk[at + 1..]),
            None => (&chunk[..0], chunk),
        };
        let (key, value) = (trim_spaces(key), trim_spaces(value));
        if (!key.is_empty() || !value.is_empty()) && key == name {
            found = Some(value);
        }
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    Ok(found)
}

/// The first index of `needle`, eight bytes at a time.
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut words = haystack.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let diff = u64::from_le_bytes(word.try_into().expect("8-byte chunk")) ^ pattern;
        // The lowest flagged byte is the first zero byte of `diff` (carries
        // can only flag bytes above a real zero).
        let zero = diff.wrapping_sub(LO) & !diff & HI;
        if zero != 0 {
            return Some(offset + (zero.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words.remainder().iter().position(|&b| b == needle).map(|at| offset + at)
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| b != b' ').map_or(start, |at| at + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starlette_rules() {
        let header = b"theme=dark; session=abc.def; session = second ; flag; =x; a=b=c";
        let find = |name: &[u8]| find_cookie_starlette(header, name);
        assert_eq!(find(b"session"), Ok(Some(&b"second"[..])), "the last one wins");
        assert_eq!(find(b"flag"), Ok(None), "a chunk without '=' has an empty name");
        assert_eq!(find(b""), Ok(Some(&b"x"[..])), "the last empty name wins");
        assert_eq!(find(b"a"), Ok(Some(&b"b=c"[..])));
        assert_eq!(find(b"missing"), Ok(None));
        assert_eq!(find_cookie_starlette(b"s=;s", b"s"), Ok(Some(&b""[..])));
        assert_eq!(find_cookie_starlette(b"  ;  ", b""), Ok(None), "empty chunks are skipped");
        assert_eq!(find_cookie_starlette(b"", b"s"), Ok(None));
        assert_eq!(find_cookie_starlette(b"s=\"q\"", b"s"), Err(NeedsStarlette));
        assert_eq!(find_cookie_starlette(b"s=a\tb", b"s"), Err(NeedsStarlette));
        assert_eq!(find_cookie_starlette("s=\u{e9}".as_bytes(), b"s"), Err(NeedsStarlette));
    }

    /// `cookie_parser(header).get(name)` written the plain way, for comparison.
    fn starlette_reference<'a>(header: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
        let mut found = None;
        for chunk in header.split(|&b| b == b';') {
            let (key, value) = match chunk.iter().position(|&b| b == b'=') {
                Some(at) => (&chunk[..at], &chunk[at + 1..]),
                None => (&chunk[..0], chunk),
            };
            let (key, value) = (key.trim_ascii(), value.trim_ascii());
            if (!key.is_empty() || !value.is_empty()) && key == name {
                found = Some(value);
            }
        }
        found
    }

    #[test]
    fn starlette_rules_match_the_plain_reference() {
        // Every header of up to 7 bytes over a small alphabet, and longer
        // pseudo-random ones so separators cross the 8-byte words.
        let alphabet = b"s=; a";
        let mut headers: Vec<Vec<u8>> = Vec::new();
        for len in 0..=7u32 {
            for mut n in 0..alphabet.len().pow(len) {
                let mut h = Vec::new();
                for _ in 0..len {
                    h.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                headers.push(h);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 64) as usize;
            headers.push((0..len).map(|i| alphabet[((state >> (i % 60)) as usize + i) % alphabet.len()]).collect());
        }
        for header in &headers {
            for name in [&b"s"[..], b"", b"a", b"s a", b"sa"] {
                assert_eq!(find_cookie_starlette(header, name), Ok(starlette_reference(header, name)), "{header:?} {name:?}");
            }
        }
    }

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
