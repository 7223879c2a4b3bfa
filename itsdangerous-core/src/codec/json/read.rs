//! A JSON reader that accepts exactly what CPython's `json.loads(str)` accepts
//! (with `strict=True`), or reports that it can't reproduce the result.
//!
//! The reader is generic over a [`Builder`], so callers construct their own
//! values in one pass (the Python binding builds Python objects directly).
//!
//! Accepted, as in CPython 3.11's `_json` scanner:
//! * whitespace is only space, `\t`, `\n`, `\r`, before/after/inside values;
//! * numbers `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?` (an integer when there is
//!   neither fraction nor exponent), and the literals `NaN`, `Infinity`,
//!   `-Infinity`, `null`, `true`, `false`;
//! * strings without raw control characters below `0x20`, with the escapes
//!   `\" \\ \/ \b \f \n \r \t \uXXXX`; a `\uD8xx\uDCxx` pair is combined;
//! * duplicate object keys: the last value wins (at the first key's place,
//!   as `PyDict_SetItem` does; that part is the builder's job).
//!
//! Rejected with [`Error::Invalid`]: everything Python rejects, plus input
//! that isn't UTF-8 (Python can't decode it to a `str` in the first place)
//! and a leading UTF-8 BOM (`json.loads` raises for it).
//!
//! Reported as [`Error::Unsupported`], for the caller to run Python's own
//! `json.loads` instead: escapes that leave a lone surrogate (Python yields a
//! `str` with a surrogate that has no Rust `&str` form), integers with more
//! than [`MAX_INT_DIGITS`] digits (Python's default `int` conversion limit;
//! the real limit is configurable), and nesting deeper than [`MAX_DEPTH`].

use super::scan::{has_quote_backslash_or_control, word_at, HI};
use super::Value;
use std::collections::HashMap;

/// Containers nested deeper than this are [`Error::Unsupported`].
pub const MAX_DEPTH: usize = 200;

/// Integers with more digits than this are [`Error::Unsupported`]
/// (CPython's default `sys.get_int_max_str_digits()`).
pub const MAX_INT_DIGITS: usize = 4300;

/// Why [`parse`] produced no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error<E> {
    /// Python's `json.loads` rejects this input too. Byte offset of the problem.
    Invalid(usize),
    /// Python may accept this, but this reader can't reproduce the result.
    Unsupported(usize),
    /// The builder failed.
    Builder(E),
}

/// Receives the parsed values, bottom-up: children are complete before their
/// container's `*_end` is called.
pub trait Builder {
    type Value;
    type Array;
    type Object;
    type Error;

    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    fn boolean(&mut self, v: bool) -> Result<Self::Value, Self::Error>;
    fn int(&mut self, v: i64) -> Result<Self::Value, Self::Error>;
    /// An integer outside `i64`: an optional `-` then at most
    /// [`MAX_INT_DIGITS`] ASCII digits, no leading zeros.
    fn big_int(&mut self, text: &str) -> Result<Self::Value, Self::Error>;
    fn float(&mut self, v: f64) -> Result<Self::Value, Self::Error>;
    /// A string value; `ascii` is true when `s` is all ASCII.
    fn string(&mut self, s: &str, ascii: bool) -> Result<Self::Value, Self::Error>;

    fn array_begin(&mut self) -> Result<Self::Array, Self::Error>;
    fn array_push(&mut self, array: &mut Self::Array, v: Self::Value) -> Result<(), Self::Error>;
    fn array_end(&mut self, array: Self::Array) -> Result<Self::Value, Self::Error>;

    fn object_begin(&mut self) -> Result<Self::Object, Self::Error>;
    /// Add a member; a repeated key must replace the earlier value in place.
    fn object_insert(
        &mut self,
        object: &mut Self::Object,
        key: &str,
        key_ascii: bool,
        v: Self::Value,
    ) -> Result<(), Self::Error>;
    fn object_end(&mut self, object: Self::Object) -> Result<Self::Value, Self::Error>;
}

type Res<T, B> = Result<T, Error<<B as Builder>::Error>>;

/// Where a parsed string's text is: `Some(input range)`, or `None` for the
/// parser's scratch buffer (after unescaping).
type Span = Option<(usize, usize)>;

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    scratch: Vec<u8>,
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

#[inline]
fn hex_val(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

/// Bytes that end a plain run inside a string: `"`, `\`, controls.
static STR_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Skip string bytes that need no attention, 8 at a time: stops at the
/// first `"`, `\` or control byte of a word (the lowest flagged lane is
/// always a real one), or before the last few bytes (the byte loop does
/// those). Clears `ascii` if a skipped byte is >= 0x80.
#[inline]
fn skip_plain(s: &[u8], mut i: usize, ascii: &mut bool) -> usize {
    while let Some(w) = word_at(s, i) {
        let stop = has_quote_backslash_or_control(w) & HI;
        if stop != 0 {
            let clean = stop.trailing_zeros() / 8;
            // The high bits of the bytes before the stop byte.
            let before = HI & ((1u64 << (8 * clean)) - 1);
            *ascii &= w & before == 0;
            return i + clean as usize;
        }
        *ascii &= w & HI == 0;
        i += 8;
    }
    i
}

/// Text of a string body: ASCII was checked byte by byte while scanning;
/// anything else is validated here (Python only ever sees decoded `str`).
#[inline]
fn as_text(bytes: &[u8], ascii: bool) -> Option<&str> {
    if ascii {
        debug_assert!(bytes.is_ascii());
        // SAFETY: every byte is < 0x80, so this is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

impl<'a> Parser<'a> {
    #[inline]
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && is_ws(self.s[self.pos]) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline]
    fn eat_literal(&mut self, lit: &[u8]) -> bool {
        if self.s[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    fn value<B: Builder>(&mut self, b: &mut B, depth: usize) -> Res<B::Value, B> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(Error::Invalid(start));
        };
        match c {
            b'"' => {
                self.pos += 1;
                let (s, ascii) = self.string()?;
                b.string(s, ascii).map_err(Error::Builder)
            }
            b'{' => self.object(b, depth + 1),
            b'[' => self.array(b, depth + 1),
            b'n' if self.eat_literal(b"null") => b.null().map_err(Error::Builder),
            b't' if self.eat_literal(b"true") => b.boolean(true).map_err(Error::Builder),
            b'f' if self.eat_literal(b"false") => b.boolean(false).map_err(Error::Builder),
            b'N' if self.eat_literal(b"NaN") => b.float(f64::NAN).map_err(Error::Builder),
            b'I' if self.eat_literal(b"Infinity") => b.float(f64::INFINITY).map_err(Error::Builder),
            b'-' if self.s[self.pos..].starts_with(b"-Infinity") => {
                self.pos += 9;
                b.float(f64::NEG_INFINITY).map_err(Error::Builder)
            }
            b'-' | b'0'..=b'9' => self.number(b),
            _ => Err(Error::Invalid(start)),
        }
    }

    /// Scan digits from `self.pos`, folding the first 19 into `mant`
    /// (`*exact` is cleared when more digits follow). Returns the count.
    #[inline]
    fn digits_into(&mut self, mant: &mut u64, exact: &mut bool) -> usize {
        let start = self.pos;
        while let Some(&c) = self.s.get(self.pos) {
            if !c.is_ascii_digit() {
                break;
            }
            if *mant < 1_000_000_000_000_000_000 {
                // At most 19 digits: no overflow.
                *mant = *mant * 10 + u64::from(c - b'0');
            } else {
                *exact = false;
            }
            self.pos += 1;
        }
        self.pos - start
    }

    fn number<B: Builder>(&mut self, b: &mut B) -> Res<B::Value, B> {
        let start = self.pos;
        let neg = self.s[self.pos] == b'-';
        if neg {
            self.pos += 1;
        }
        // Significant digits (integer and fraction) as an integer, while exact.
        let mut mant: u64 = 0;
        let mut exact = true;
        match self.peek() {
            Some(b'1'..=b'9') => {
                self.digits_into(&mut mant, &mut exact);
            }
            Some(b'0') => self.pos += 1,
            _ => return Err(Error::Invalid(start)),
        }
        let int_digits = self.pos - start - usize::from(neg);
        let mut is_float = false;
        let mut frac_digits = 0usize;
        if self.peek() == Some(b'.') && self.s.get(self.pos + 1).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
            frac_digits = self.digits_into(&mut mant, &mut exact);
            is_float = true;
        }
        let mut exp: i64 = 0;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            let exp_neg = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let exp_start = self.pos;
            while let Some(&c) = self.s.get(self.pos) {
                if !c.is_ascii_digit() {
                    break;
                }
                exp = (exp * 10 + i64::from(c - b'0')).min(1_000_000_000);
                self.pos += 1;
            }
            if self.pos > exp_start {
                is_float = true;
                if exp_neg {
                    exp = -exp;
                }
            } else {
                // Not an exponent after all; what follows will be rejected.
                self.pos = save;
            }
        }
        if is_float {
            // Clinger's fast path: an exact mantissa below 2^53 scaled by an
            // exact power of ten is one correctly rounded operation, the
            // same double as a full correctly rounded parse.
            const POW10: [f64; 23] = [
                1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
            ];
            let e10 = exp - frac_digits as i64;
            if exact && mant < (1u64 << 53) && (-22..=22).contains(&e10) {
                let m = mant as f64;
                let v = if e10 >= 0 {
                    m * POW10[e10 as usize]
                } else {
                    m / POW10[(-e10) as usize]
                };
                return b.float(if neg { -v } else { v }).map_err(Error::Builder);
            }
            // Sign, digits, '.', 'e', '+': ASCII by construction.
            let text = as_text(&self.s[start..self.pos], true).ok_or(Error::Invalid(start))?;
            let v: f64 = text.parse().map_err(|_| Error::Invalid(start))?;
            return b.float(v).map_err(Error::Builder);
        }
        if exact {
            if !neg && mant <= i64::MAX as u64 {
                return b.int(mant as i64).map_err(Error::Builder);
            }
            if neg && mant <= 1u64 << 63 {
                return b.int((mant as i64).wrapping_neg()).map_err(Error::Builder);
            }
        }
        if int_digits > MAX_INT_DIGITS {
            return Err(Error::Unsupported(start));
        }
        let text = as_text(&self.s[start..self.pos], true).ok_or(Error::Invalid(start))?;
        b.big_int(text).map_err(Error::Builder)
    }

    /// Parse a string body after the opening quote and return it with
    /// whether it is ASCII.
    fn string<E>(&mut self) -> Result<(&str, bool), Error<E>> {
        let (range, ascii) = self.string_raw()?;
        let bytes = match range {
            Some((a, b)) => &self.s[a..b],
            None => &self.scratch[..],
        };
        // Input was validated as UTF-8, quotes and backslashes are char
        // boundaries, and escapes were decoded to whole characters.
        let text = as_text(bytes, ascii).ok_or(Error::Invalid(self.pos))?;
        Ok((text, ascii))
    }

    /// Parse a string body after the opening quote. The text is the input
    /// range when `Some`, else the scratch buffer; plus whether it is ASCII.
    fn string_raw<E>(&mut self) -> Result<(Span, bool), Error<E>> {
        let s = self.s;
        let start = self.pos;
        let mut ascii = true;
        let mut i = self.pos;
        // Fast path: no escapes.
        i = skip_plain(s, i, &mut ascii);
        while i < s.len() && !STR_STOP[s[i] as usize] {
            ascii &= s[i] < 0x80;
            i += 1;
        }
        match s.get(i) {
            Some(b'"') => {
                self.pos = i + 1;
                return Ok((Some((start, i)), ascii));
            }
            Some(b'\\') => {}
            // A raw control character, or the end of input.
            _ => return Err(Error::Invalid(i)),
        }
        // Slow path: decode escapes into the scratch buffer.
        self.scratch.clear();
        self.scratch.extend_from_slice(&s[start..i]);
        loop {
            let run = i;
            i = skip_plain(s, i, &mut ascii);
            while i < s.len() && !STR_STOP[s[i] as usize] {
                ascii &= s[i] < 0x80;
                i += 1;
            }
            self.scratch.extend_from_slice(&s[run..i]);
            match s.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok((None, ascii));
                }
                Some(b'\\') => {
                    let esc_at = i;
                    let Some(&e) = s.get(i + 1) else {
                        return Err(Error::Invalid(esc_at));
                    };
                    i += 2;
                    let simple = match e {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => 0,
                        _ => return Err(Error::Invalid(esc_at)),
                    };
                    if e != b'u' {
                        self.scratch.push(simple);
                        continue;
                    }
                    let c = hex4(s, i).ok_or(Error::Invalid(esc_at))?;
                    i += 4;
                    let cp = if (0xd800..0xdc00).contains(&c) {
                        // Needs an immediately following low-surrogate escape.
                        if s.get(i) == Some(&b'\\') && s.get(i + 1) == Some(&b'u') {
                            match hex4(s, i + 2) {
                                Some(c2) if (0xdc00..0xe000).contains(&c2) => {
                                    i += 6;
                                    0x10000 + (((c - 0xd800) << 10) | (c2 - 0xdc00))
                                }
                                // Python: a lone high surrogate.
                                Some(_) => return Err(Error::Unsupported(esc_at)),
                                // Python: "Invalid \uXXXX escape".
                                None => return Err(Error::Invalid(i)),
                            }
                        } else {
                            return Err(Error::Unsupported(esc_at));
                        }
                    } else if (0xdc00..0xe000).contains(&c) {
                        return Err(Error::Unsupported(esc_at));
                    } else {
                        c
                    };
                    let ch = char::from_u32(cp).ok_or(Error::Unsupported(esc_at))?;
                    ascii &= cp < 0x80;
                    let mut buf = [0u8; 4];
                    self.scratch
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => return Err(Error::Invalid(i)),
            }
        }
    }

    fn array<B: Builder>(&mut self, b: &mut B, depth: usize) -> Res<B::Value, B> {
        let open = self.pos;
        if depth > MAX_DEPTH {
            return Err(Error::Unsupported(open));
        }
        self.pos += 1; // '['
        let mut arr = b.array_begin().map_err(Error::Builder)?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return b.array_end(arr).map_err(Error::Builder);
        }
        loop {
            let v = self.value(b, depth)?;
            b.array_push(&mut arr, v).map_err(Error::Builder)?;
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return b.array_end(arr).map_err(Error::Builder);
                }
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                _ => return Err(Error::Invalid(self.pos)),
            }
        }
    }

    fn object<B: Builder>(&mut self, b: &mut B, depth: usize) -> Res<B::Value, B> {
        let open = self.pos;
        if depth > MAX_DEPTH {
            return Err(Error::Unsupported(open));
        }
        self.pos += 1; // '{'
        let mut obj = b.object_begin().map_err(Error::Builder)?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return b.object_end(obj).map_err(Error::Builder);
        }
        let mut key_buf: Vec<u8> = Vec::new();
        loop {
            if self.peek() != Some(b'"') {
                return Err(Error::Invalid(self.pos));
            }
            self.pos += 1;
            let (key_range, key_ascii) = self.string_raw()?;
            if key_range.is_none() {
                // Escaped key: keep it while the value reuses the scratch buffer.
                std::mem::swap(&mut key_buf, &mut self.scratch);
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(Error::Invalid(self.pos));
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value(b, depth)?;
            let input: &'a [u8] = self.s;
            let key_bytes = match key_range {
                Some((a, b)) => &input[a..b],
                None => &key_buf[..],
            };
            let key = as_text(key_bytes, key_ascii).ok_or(Error::Invalid(open))?;
            b.object_insert(&mut obj, key, key_ascii, v)
                .map_err(Error::Builder)?;
            self.skip_ws();
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return b.object_end(obj).map_err(Error::Builder);
                }
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                _ => return Err(Error::Invalid(self.pos)),
            }
        }
    }
}

#[inline]
fn hex4(s: &[u8], at: usize) -> Option<u32> {
    let h = s.get(at..at + 4)?;
    Some((hex_val(h[0])? << 12) | (hex_val(h[1])? << 8) | (hex_val(h[2])? << 4) | hex_val(h[3])?)
}

/// Parse a whole document like `json.loads(input.decode("utf-8"))`.
pub fn parse<B: Builder>(input: &[u8], b: &mut B) -> Res<B::Value, B> {
    // Python decodes bytes to str before json ever sees them, so invalid
    // UTF-8 must be rejected: bytes >= 0x80 are only legal inside strings,
    // which are validated one by one; elsewhere the grammar rejects them.
    if input.starts_with("\u{feff}".as_bytes()) {
        return Err(Error::Invalid(0));
    }
    let mut p = Parser {
        s: input,
        pos: 0,
        scratch: Vec::new(),
    };
    p.skip_ws();
    let v = p.value(b, 0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(Error::Invalid(p.pos)); // "Extra data"
    }
    Ok(v)
}

/// A [`Builder`] producing [`Value`].
#[derive(Debug, Default)]
pub struct ValueBuilder;

/// Object under construction: members in first-insertion order, with an
/// index once it grows, so duplicate keys stay linear.
#[derive(Debug, Default)]
pub struct ObjectBuf {
    members: Vec<(String, Value)>,
    index: Option<HashMap<String, usize>>,
}

impl Builder for ValueBuilder {
    type Value = Value;
    type Array = Vec<Value>;
    type Object = ObjectBuf;
    type Error = std::convert::Infallible;

    fn null(&mut self) -> Result<Value, Self::Error> {
        Ok(Value::Null)
    }
    fn boolean(&mut self, v: bool) -> Result<Value, Self::Error> {
        Ok(Value::Bool(v))
    }
    fn int(&mut self, v: i64) -> Result<Value, Self::Error> {
        Ok(Value::Int(v))
    }
    fn big_int(&mut self, text: &str) -> Result<Value, Self::Error> {
        Ok(Value::BigInt(text.to_owned()))
    }
    fn float(&mut self, v: f64) -> Result<Value, Self::Error> {
        Ok(Value::Float(v))
    }
    fn string(&mut self, s: &str, _ascii: bool) -> Result<Value, Self::Error> {
        Ok(Value::Str(s.to_owned()))
    }
    fn array_begin(&mut self) -> Result<Vec<Value>, Self::Error> {
        Ok(Vec::new())
    }
    fn array_push(&mut self, array: &mut Vec<Value>, v: Value) -> Result<(), Self::Error> {
        array.push(v);
        Ok(())
    }
    fn array_end(&mut self, array: Vec<Value>) -> Result<Value, Self::Error> {
        Ok(Value::Array(array))
    }
    fn object_begin(&mut self) -> Result<ObjectBuf, Self::Error> {
        Ok(ObjectBuf::default())
    }
    fn object_insert(
        &mut self,
        o: &mut ObjectBuf,
        key: &str,
        _key_ascii: bool,
        v: Value,
    ) -> Result<(), Self::Error> {
        const INDEX_AT: usize = 16;
        let found = match &o.index {
            Some(idx) => idx.get(key).copied(),
            None => o.members.iter().position(|(k, _)| k == key),
        };
        if let Some(i) = found {
            o.members[i].1 = v;
            return Ok(());
        }
        o.members.push((key.to_owned(), v));
        if let Some(idx) = &mut o.index {
            idx.insert(key.to_owned(), o.members.len() - 1);
        } else if o.members.len() >= INDEX_AT {
            o.index = Some(
                o.members
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            );
        }
        Ok(())
    }
    fn object_end(&mut self, o: ObjectBuf) -> Result<Value, Self::Error> {
        Ok(Value::Object(o.members))
    }
}

/// Parse into a [`Value`].
pub fn from_slice(input: &[u8]) -> Result<Value, Error<std::convert::Infallible>> {
    parse(input, &mut ValueBuilder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Value {
        match from_slice(s.as_bytes()) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} rejected: {e:?}"),
        }
    }

    fn invalid(s: &[u8]) {
        match from_slice(s) {
            Err(Error::Invalid(_)) => {}
            other => panic!(
                "{:?} should be invalid, got {other:?}",
                String::from_utf8_lossy(s)
            ),
        }
    }

    fn unsupported(s: &str) {
        match from_slice(s.as_bytes()) {
            Err(Error::Unsupported(_)) => {}
            other => panic!("{s:?} should be unsupported, got {other:?}"),
        }
    }

    #[test]
    fn accepts() {
        assert_eq!(ok("null"), Value::Null);
        assert_eq!(ok(" \t\r\ntrue \n"), Value::Bool(true));
        assert_eq!(ok("false"), Value::Bool(false));
        assert_eq!(ok("0"), Value::Int(0));
        assert_eq!(ok("-0"), Value::Int(0));
        assert_eq!(ok("-12"), Value::Int(-12));
        assert_eq!(ok("9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(ok("-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(
            ok("9223372036854775808"),
            Value::BigInt("9223372036854775808".into())
        );
        assert_eq!(ok("1.5"), Value::Float(1.5));
        assert_eq!(ok("-0.0"), Value::Float(-0.0));
        assert_eq!(ok("1e5"), Value::Float(1e5));
        assert_eq!(ok("1E+5"), Value::Float(1e5));
        assert_eq!(ok("1.25e-2"), Value::Float(0.0125));
        assert_eq!(ok("1e400"), Value::Float(f64::INFINITY));
        assert_eq!(ok("-1e-400"), Value::Float(-0.0));
        assert!(matches!(ok("NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(ok("Infinity"), Value::Float(f64::INFINITY));
        assert_eq!(ok("-Infinity"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(
            ok(r#""a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00""#),
            Value::Str("a\"\\/\u{8}\u{c}\n\r\té😀".into())
        );
        assert_eq!(
            ok("\"\u{7f}é\u{2028}😀\""),
            Value::Str("\u{7f}é\u{2028}😀".into())
        );
        assert_eq!(
            ok("[ 1 , [ ] , { } ]"),
            Value::Array(vec![
                Value::Int(1),
                Value::Array(vec![]),
                Value::Object(vec![])
            ])
        );
        assert_eq!(
            ok(r#"{"a": 1, "b": 2, "a": 3}"#),
            Value::Object(vec![
                ("a".into(), Value::Int(3)),
                ("b".into(), Value::Int(2))
            ])
        );
        // Inner BOM is just a character in a string.
        assert_eq!(ok("\"\u{feff}\""), Value::Str("\u{feff}".into()));
        let nested = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        ok(&nested);
        let big = "9".repeat(MAX_INT_DIGITS);
        assert_eq!(ok(&big), Value::BigInt(big.clone()));
    }

    #[test]
    fn duplicate_keys_many() {
        let mut doc = String::from("{");
        for i in 0..40 {
            doc.push_str(&format!("\"k{i}\": {i}, "));
        }
        doc.push_str("\"k3\": -1, \"k39\": -2}");
        let Value::Object(m) = ok(&doc) else { panic!() };
        assert_eq!(m.len(), 40);
        assert_eq!(m[3], ("k3".into(), Value::Int(-1)));
        assert_eq!(m[39], ("k39".into(), Value::Int(-2)));
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            " ",
            "nul",
            "nulll",
            "True",
            "nan",
            "inf",
            "-inf",
            "+1",
            "01",
            "-01",
            "1.",
            ".5",
            "1.e5",
            "1e",
            "1e+",
            "-",
            "--1",
            "0x10",
            "1_000",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{'a':1}",
            "{a:1}",
            "{\"a\" 1}",
            "[1 2]",
            "\"abc",
            "\"\\x41\"",
            "\"\\u12\"",
            "\"\\u12G4\"",
            "\"\\\"",
            "[",
            "{",
            "]",
            "1 2",
            "\u{a0}1",
            "\u{feff}1",
            "\"\t\"",
            "\"\n\"",
            "\"\u{1f}\"",
            "\u{b}1",
            "\u{c}1",
            "[1]x",
            "-Infinityx",
            "NaNa",
            "{\"a\":1}}",
            "\"\\U0001F600\"",
            "１",
            "\"\\ud800\\uZZZZ\"",
        ] {
            invalid(s.as_bytes());
        }
        invalid(b"\"\xff\"");
        invalid(b"\"\xed\xa0\x80\""); // UTF-8-encoded surrogate
        invalid(b"\xef\xbb\xbf{}");
    }

    #[test]
    fn unsupported_cases() {
        unsupported(r#""\ud800""#);
        unsupported(r#""\udc00""#);
        unsupported(r#""\ud800x""#);
        unsupported(r#""\ud800\u0041""#);
        unsupported(r#""\ude00\ud83d""#);
        unsupported(&"9".repeat(MAX_INT_DIGITS + 1));
        unsupported(&("-".to_owned() + &"9".repeat(MAX_INT_DIGITS + 1)));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        unsupported(&deep);
        let deep_obj = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
        unsupported(&deep_obj);
        // Very deep garbage must not blow the stack either.
        let very_deep = "[".repeat(1_000_000);
        unsupported(&very_deep);
    }

    #[test]
    fn numbers_match_std_parse() {
        // The in-line number scanner (fast paths included) must give exactly
        // what a full correctly rounded parse gives.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let r = next();
            let int_len = 1 + (r % 22) as usize;
            let frac_len = ((r >> 8) % 20) as usize;
            let mut s = String::new();
            if r & (1 << 20) != 0 {
                s.push('-');
            }
            let d = next();
            for i in 0..int_len {
                let digit = ((d >> (i % 16 * 4)) % 10) as u8;
                s.push(char::from(if i == 0 && int_len > 1 {
                    b'1' + digit % 9
                } else {
                    b'0' + digit
                }));
            }
            if frac_len > 0 {
                s.push('.');
                let d = next();
                for i in 0..frac_len {
                    s.push(char::from(b'0' + ((d >> (i % 16 * 4)) % 10) as u8));
                }
            }
            if r & (1 << 21) != 0 {
                s.push_str(&format!("e{}", ((r >> 24) % 700) as i64 - 350));
            }
            match ok(&s) {
                Value::Float(v) => {
                    let want: f64 = s.parse().unwrap();
                    assert_eq!(v.to_bits(), want.to_bits(), "{s}");
                }
                Value::Int(v) => assert_eq!(i128::from(v), s.parse::<i128>().unwrap(), "{s}"),
                Value::BigInt(t) => {
                    assert_eq!(t, s);
                    let n = s.parse::<i128>().unwrap();
                    assert!(n > i128::from(i64::MAX) || n < i128::from(i64::MIN), "{s}");
                }
                other => panic!("{s}: {other:?}"),
            }
        }
        assert_eq!(ok("-0"), Value::Int(0));
        assert_eq!(
            ok("-9223372036854775809"),
            Value::BigInt("-9223372036854775809".into())
        );
        assert_eq!(
            ok("18446744073709551616"),
            Value::BigInt("18446744073709551616".into())
        );
        assert_eq!(ok("0.1"), Value::Float(0.1));
        assert_eq!(ok("9007199254740993.0"), Value::Float(9007199254740992.0));
        assert_eq!(ok("1.7976931348623157e308"), Value::Float(f64::MAX));
        assert_eq!(ok("4.9e-324"), Value::Float(5e-324));
        assert_eq!(ok("1e-99999999999999999999"), Value::Float(0.0));
    }

    #[test]
    fn round_trip_writer() {
        use crate::codec::json::write::{to_vec, Options};
        let doc = r#"{"b": [1, 2.5, null, true, "x\u00e9"], "a": {"c": -1e-07}}"#;
        let v = ok(doc);
        assert_eq!(to_vec(&v, &Options::default()), doc.as_bytes());
    }
}
