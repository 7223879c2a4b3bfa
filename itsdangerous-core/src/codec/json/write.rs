//! Writer primitives matching CPython 3.11's `_json` C encoder byte for byte.
//!
//! * `ensure_ascii=True` (`py_encode_basestring_ascii`): printable ASCII
//!   `0x20..=0x7e` is copied except `"` and `\`; `\"` `\\` `\n` `\r` `\t`
//!   `\b` `\f` use short escapes; everything else (other controls, `0x7f`, all
//!   non-ASCII) becomes `\uXXXX` in lowercase hex, astral characters as a
//!   surrogate pair, lone surrogates as themselves.
//! * `ensure_ascii=False` (`py_encode_basestring`): only `"`, `\` and
//!   controls below `0x20` are escaped (`0x7f` and U+2028/U+2029 are written
//!   raw, as CPython does); the caller encodes the result as UTF-8, so a lone
//!   surrogate cannot be represented and is reported as an error.

use super::float::write_json_float;
use super::scan::{has_byte, has_quote_backslash_or_control, word_at, HI};
use super::Value;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What to write for an ASCII byte: 0 = copy as is, `u` = `\u00XX`,
/// anything else = backslash + that byte.
const fn escape_table(escape_del: bool) -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    if escape_del {
        t[0x7f] = b'u';
    }
    t
}

static ESC_ASCII: [u8; 128] = escape_table(true);
static ESC_UTF8: [u8; 128] = escape_table(false);

/// A string held a lone surrogate, which has no UTF-8 form
/// (only possible with `ensure_ascii=False`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoneSurrogate;

#[inline]
fn push_u4(out: &mut Vec<u8>, c: u32) {
    out.extend_from_slice(&[
        b'\\',
        b'u',
        HEX[((c >> 12) & 0xf) as usize],
        HEX[((c >> 8) & 0xf) as usize],
        HEX[((c >> 4) & 0xf) as usize],
        HEX[(c & 0xf) as usize],
    ]);
}

#[inline]
fn push_ascii_escape(out: &mut Vec<u8>, b: u8, e: u8) {
    if e == b'u' {
        push_u4(out, u32::from(b));
    } else {
        out.extend_from_slice(&[b'\\', e]);
    }
}

/// A non-ASCII code point under `ensure_ascii=True`.
#[inline]
fn push_escaped_cp(out: &mut Vec<u8>, c: u32) {
    if c >= 0x10000 {
        let v = c - 0x10000;
        push_u4(out, 0xd800 | ((v >> 10) & 0x3ff));
        push_u4(out, 0xdc00 | (v & 0x3ff));
    } else {
        push_u4(out, c);
    }
}

/// A non-ASCII code point as UTF-8 (`ensure_ascii=False`).
#[inline]
fn push_utf8_cp(out: &mut Vec<u8>, c: u32) -> Result<(), LoneSurrogate> {
    match char::from_u32(c) {
        Some(ch) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            Ok(())
        }
        None => Err(LoneSurrogate),
    }
}

/// Advance `i` to the next byte that may need escaping: `"`, `\`, a control
/// byte, (when `stop_del`) 0x7f, or (when `stop_high`) a byte >= 0x80; to
/// `s.len()` if there is none. Eight bytes at a time, the tail included.
#[inline]
fn skip_clean(s: &[u8], mut i: usize, stop_del: bool, stop_high: bool) -> usize {
    let stops = |w: u64| {
        let mut hit = has_quote_backslash_or_control(w);
        if stop_del {
            hit |= has_byte(w, 0x7f);
        }
        if stop_high {
            hit |= w;
        }
        hit & HI
    };
    while let Some(w) = word_at(s, i) {
        let hit = stops(w);
        if hit != 0 {
            // The lowest flagged lane is always a real stop byte.
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The last 0..7 bytes, padded with a letter, which no check stops at.
    let rest = s.get(i..).unwrap_or(&[]);
    if rest.is_empty() {
        return i;
    }
    let mut padded = [b'a'; 8];
    padded[..rest.len()].copy_from_slice(rest);
    let hit = stops(u64::from_le_bytes(padded));
    if hit == 0 {
        s.len()
    } else {
        i + (hit.trailing_zeros() / 8) as usize
    }
}

/// Copy an ASCII/UTF-8 byte run, escaping bytes per `table`; bytes >= 0x80
/// are copied. Returns nothing: the fast inner loop of every writer.
#[inline]
fn write_bytes_escaped(out: &mut Vec<u8>, s: &[u8], table: &[u8; 128]) {
    let stop_del = table[0x7f] != 0;
    let mut start = 0;
    let mut i = 0;
    loop {
        i = skip_clean(s, i, stop_del, false);
        let Some(&b) = s.get(i) else { break };
        if b < 0x80 {
            let e = table[b as usize];
            if e != 0 {
                out.extend_from_slice(&s[start..i]);
                push_ascii_escape(out, b, e);
                start = i + 1;
            }
        }
        i += 1;
    }
    out.extend_from_slice(&s[start..]);
}

/// Write `s` as a quoted JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str, ensure_ascii: bool) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    if !ensure_ascii {
        write_bytes_escaped(out, s.as_bytes(), &ESC_UTF8);
    } else if s.is_ascii() {
        write_bytes_escaped(out, s.as_bytes(), &ESC_ASCII);
    } else {
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, ch) in s.char_indices() {
            let c = ch as u32;
            if c < 0x80 {
                let e = ESC_ASCII[c as usize];
                if e != 0 {
                    out.extend_from_slice(&bytes[start..i]);
                    push_ascii_escape(out, c as u8, e);
                    start = i + 1;
                }
            } else {
                out.extend_from_slice(&bytes[start..i]);
                push_escaped_cp(out, c);
                start = i + ch.len_utf8();
            }
        }
        out.extend_from_slice(&bytes[start..]);
    }
    out.push(b'"');
}

/// Write a Latin-1 (one byte per code point) string, quoted.
pub fn write_latin1(out: &mut Vec<u8>, s: &[u8], ensure_ascii: bool) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let table = if ensure_ascii { &ESC_ASCII } else { &ESC_UTF8 };
    let mut start = 0;
    let mut i = 0;
    loop {
        i = skip_clean(s, i, ensure_ascii, true);
        let Some(&b) = s.get(i) else { break };
        if b < 0x80 {
            let e = table[b as usize];
            if e != 0 {
                out.extend_from_slice(&s[start..i]);
                push_ascii_escape(out, b, e);
                start = i + 1;
            }
        } else {
            out.extend_from_slice(&s[start..i]);
            if ensure_ascii {
                push_u4(out, u32::from(b));
            } else {
                out.extend_from_slice(&[0xc0 | (b >> 6), 0x80 | (b & 0x3f)]);
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

fn write_units<T: Copy + Into<u32>>(
    out: &mut Vec<u8>,
    s: &[T],
    ensure_ascii: bool,
) -> Result<(), LoneSurrogate> {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let table = if ensure_ascii { &ESC_ASCII } else { &ESC_UTF8 };
    for &u in s {
        let c: u32 = u.into();
        if c < 0x80 {
            let e = table[c as usize];
            if e == 0 {
                out.push(c as u8);
            } else {
                push_ascii_escape(out, c as u8, e);
            }
        } else if ensure_ascii {
            push_escaped_cp(out, c);
        } else {
            push_utf8_cp(out, c)?;
        }
    }
    out.push(b'"');
    Ok(())
}

/// Write a UCS-2 string (one code point per unit; a surrogate unit is a lone
/// surrogate code point, as in CPython's PEP 393 strings), quoted.
pub fn write_ucs2(out: &mut Vec<u8>, s: &[u16], ensure_ascii: bool) -> Result<(), LoneSurrogate> {
    write_units(out, s, ensure_ascii)
}

/// Write a UCS-4 string (code points), quoted.
pub fn write_ucs4(out: &mut Vec<u8>, s: &[u32], ensure_ascii: bool) -> Result<(), LoneSurrogate> {
    write_units(out, s, ensure_ascii)
}

/// Append the decimal form of `v`.
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

/// Append the decimal form of `v`.
pub fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut tmp = [0u8; 20];
    let mut k = tmp.len();
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        k -= 2;
        tmp[k..k + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        k -= 2;
        tmp[k..k + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else {
        k -= 1;
        tmp[k] = b'0' + v as u8;
    }
    out.extend_from_slice(&tmp[k..]);
}

/// `json.dumps` options that affect the output bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub ensure_ascii: bool,
    pub sort_keys: bool,
    /// `separators=(",", ":")` when true, else the default `(", ", ": ")`.
    pub compact: bool,
}

impl Default for Options {
    /// `json.dumps` defaults.
    fn default() -> Self {
        Options {
            ensure_ascii: true,
            sort_keys: false,
            compact: false,
        }
    }
}

impl Options {
    pub fn item_separator(&self) -> &'static [u8] {
        if self.compact {
            b","
        } else {
            b", "
        }
    }
    pub fn key_separator(&self) -> &'static [u8] {
        if self.compact {
            b":"
        } else {
            b": "
        }
    }
}

/// Serialize `v` like `json.dumps(v, ensure_ascii=..., sort_keys=..., separators=...)`.
pub fn write_value(out: &mut Vec<u8>, v: &Value, opts: &Options) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => write_i64(out, *i),
        Value::BigInt(s) => out.extend_from_slice(s.as_bytes()),
        Value::Float(f) => write_json_float(out, *f),
        Value::Str(s) => write_str(out, s, opts.ensure_ascii),
        Value::Array(items) => {
            if items.is_empty() {
                out.extend_from_slice(b"[]");
                return;
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(opts.item_separator());
                }
                write_value(out, item, opts);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            if members.is_empty() {
                out.extend_from_slice(b"{}");
                return;
            }
            let mut order: Vec<&(String, Value)> = members.iter().collect();
            if opts.sort_keys {
                // UTF-8 byte order is code point order, i.e. Python's str `<`.
                order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            }
            out.push(b'{');
            for (i, (k, val)) in order.into_iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(opts.item_separator());
                }
                write_str(out, k, opts.ensure_ascii);
                out.extend_from_slice(opts.key_separator());
                write_value(out, val, opts);
            }
            out.push(b'}');
        }
    }
}

/// Serialize `v` to a new buffer; see [`write_value`].
pub fn to_vec(v: &Value, opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v, opts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str, ascii: bool) -> String {
        let mut out = Vec::new();
        write_str(&mut out, x, ascii);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_ascii() {
        assert_eq!(s("plain", true), r#""plain""#);
        assert_eq!(s("a\"b\\c", true), r#""a\"b\\c""#);
        assert_eq!(s("\n\r\t\u{8}\u{c}", true), r#""\n\r\t\b\f""#);
        assert_eq!(s("\u{0}\u{1f}\u{7f}", true), r#""\u0000\u001f\u007f""#);
        assert_eq!(s("é\u{2028}", true), r#""\u00e9\u2028""#);
        assert_eq!(s("😀", true), r#""\ud83d\ude00""#);
        assert_eq!(s("a\u{FFFF}b\u{10FFFF}", true), r#""a\uffffb\udbff\udfff""#);
        assert_eq!(s("/", true), r#""/""#);
    }

    #[test]
    fn escapes_utf8() {
        assert_eq!(s("a\"b\\c/", false), r#""a\"b\\c/""#);
        assert_eq!(s("\n\u{0}\u{1f}", false), r#""\n\u0000\u001f""#);
        // CPython leaves DEL and U+2028/U+2029 alone with ensure_ascii=False.
        assert_eq!(
            s("\u{7f}\u{2028}\u{2029}é😀", false),
            "\"\u{7f}\u{2028}\u{2029}é😀\""
        );
    }

    #[test]
    fn code_unit_writers() {
        let mut out = Vec::new();
        write_latin1(&mut out, &[b'a', 0xe9, 0x7f, b'"'], true);
        assert_eq!(out, br#""a\u00e9\u007f\"""#);
        out.clear();
        write_latin1(&mut out, &[b'a', 0xe9], false);
        assert_eq!(out, "\"aé\"".as_bytes());
        out.clear();
        write_ucs2(&mut out, &[0xd800, b'x' as u16, 0x2028], true).unwrap();
        assert_eq!(out, br#""\ud800x\u2028""#);
        out.clear();
        assert_eq!(write_ucs2(&mut out, &[0xd800], false), Err(LoneSurrogate));
        out.clear();
        write_ucs4(&mut out, &[0x1f600, 0xdfff], true).unwrap();
        assert_eq!(out, br#""\ud83d\ude00\udfff""#);
        out.clear();
        write_ucs4(&mut out, &[0x1f600, 0x0a], false).unwrap();
        assert_eq!(out, "\"😀\\n\"".as_bytes());
    }

    #[test]
    fn long_strings_match_bytewise() {
        // Escapes at every offset relative to the 8-byte words.
        for special in ["\"", "\\", "\n", "\u{1f}", "\u{7f}", "é", "\u{ff}", "😀"] {
            for pos in 0..20 {
                let mut text = "abcdefghijklmnopqrstuvwxyz".to_owned();
                text.insert_str(pos, special);
                for ascii in [true, false] {
                    let got = s(&text, ascii);
                    let mut want = String::from("\"");
                    for ch in text.chars() {
                        match ch {
                            '"' => want.push_str("\\\""),
                            '\\' => want.push_str("\\\\"),
                            '\n' => want.push_str("\\n"),
                            c if (c as u32) < 0x20 => {
                                want.push_str(&format!("\\u{:04x}", c as u32))
                            }
                            c if ascii && c as u32 >= 0x7f && (c as u32) < 0x10000 => {
                                want.push_str(&format!("\\u{:04x}", c as u32))
                            }
                            c if ascii && c as u32 >= 0x10000 => {
                                let v = c as u32 - 0x10000;
                                want.push_str(&format!(
                                    "\\u{:04x}\\u{:04x}",
                                    0xd800 + (v >> 10),
                                    0xdc00 + (v & 0x3ff)
                                ))
                            }
                            c => want.push(c),
                        }
                    }
                    want.push('"');
                    assert_eq!(got, want, "{text:?} ascii={ascii}");
                    if text.chars().all(|c| (c as u32) < 0x100) {
                        let latin: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
                        let mut out = Vec::new();
                        write_latin1(&mut out, &latin, ascii);
                        assert_eq!(String::from_utf8(out).unwrap(), want, "latin1 {text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn ints() {
        let mut out = Vec::new();
        for v in [0i64, -1, 42, i64::MIN, i64::MAX] {
            write_i64(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(out, b"0 -1 42 -9223372036854775808 9223372036854775807 ");
        for v in (0..100_000u64).chain([u64::MAX, 10u64.pow(19), 99, 100, 101, 999, 1000]) {
            out.clear();
            write_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn values() {
        let v = Value::Object(vec![
            (
                "b".into(),
                Value::Array(vec![Value::Int(1), Value::Float(2.0), Value::Null]),
            ),
            ("a".into(), Value::Bool(true)),
            ("é".into(), Value::Object(vec![])),
            ("c".into(), Value::Array(vec![])),
        ]);
        let plain = to_vec(&v, &Options::default());
        assert_eq!(
            plain,
            br#"{"b": [1, 2.0, null], "a": true, "\u00e9": {}, "c": []}"#
        );
        let opts = Options {
            ensure_ascii: false,
            sort_keys: true,
            compact: true,
        };
        assert_eq!(
            to_vec(&v, &opts),
            "{\"a\":true,\"b\":[1,2.0,null],\"c\":[],\"é\":{}}".as_bytes()
        );
    }
}
