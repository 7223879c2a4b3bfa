//! Python's `float.__repr__`, byte for byte.
//!
//! CPython formats with the shortest digit string that round-trips
//! (`repr` style 'r'), then places the decimal point itself: positional
//! notation when the decimal exponent `e` (value = d.ddd × 10^e) satisfies
//! `-4 <= e < 16`, scientific otherwise, always keeping a `.0` on integral
//! positional values and a sign plus at least two digits on the exponent.
//!
//! The shortest round-trip digits come from Ryu: like David Gay's `dtoa`
//! mode 0 used by CPython, the shortest string that reads back to the same
//! double and, among several, the closest one, with exact ties (the double
//! lies exactly halfway between two shortest candidates) going to the even
//! digit. The tie rule is also enforced here independently of the digit
//! source (Rust's own `{:e}` rounds such ties up), so it can't drift.

use std::fmt::Write as _;

/// A fixed stack buffer for `write!` so formatting doesn't allocate.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let bytes = s.as_bytes();
        let end = self.len.checked_add(bytes.len()).ok_or(std::fmt::Error)?;
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// Shortest round-trip decimal digits of a finite, non-negative `v`, with the
/// decimal exponent of the first digit. `digits` has no leading or trailing
/// zeros except for zero itself (`"0"`, exponent 0).
fn shortest_digits(v: f64, digits: &mut [u8; 24]) -> (usize, i32) {
    let mut buf = ryu::Buffer::new();
    // Ryu prints e.g. `9.99`, `1e16`, `1.5e300`, `0.0001`, `1e-7`, `0.0`:
    // read back its digits and where the decimal point goes.
    let s = buf.format_finite(v).as_bytes();
    let mut n = 0usize; // digits kept
    let mut int_len: i32 = 0; // mantissa digits before the '.'
    let mut seen_point = false;
    let mut leading = 0i32; // leading zeros dropped
    let mut i = 0usize;
    while i < s.len() && s[i] != b'e' && s[i] != b'E' {
        let c = s[i];
        if c == b'.' {
            seen_point = true;
        } else if c.is_ascii_digit() {
            if !seen_point {
                int_len += 1;
            }
            if n == 0 && c == b'0' {
                leading += 1;
            } else if n < digits.len() {
                digits[n] = c;
                n += 1;
            }
        }
        i += 1;
    }
    let mut exp: i32 = 0;
    if i < s.len() {
        i += 1; // 'e'
        let neg = s.get(i) == Some(&b'-');
        if neg || s.get(i) == Some(&b'+') {
            i += 1;
        }
        while i < s.len() {
            exp = exp * 10 + i32::from(s[i].wrapping_sub(b'0'));
            i += 1;
        }
        if neg {
            exp = -exp;
        }
    }
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    if n == 0 {
        digits[0] = b'0';
        return (1, 0);
    }
    (n, int_len - 1 - leading + exp)
}

/// `odd · 2^pow == v` exactly, for `v = m · 2^e` with `m` odd (given).
/// The candidate is `q · 10^k / 2` with `q` odd, i.e. odd part
/// `q · 5^k` (k >= 0) or `q / 5^-k` (k < 0), power of two `k - 1`.
fn is_exact_half(q: u64, k: i32, m: u64, e: i32) -> bool {
    if e != k - 1 {
        return false;
    }
    let q = u128::from(q);
    let mut p: u128 = 1;
    for _ in 0..k.unsigned_abs() {
        p = match p.checked_mul(5) {
            Some(p) => p,
            // 5^|k| beyond u128: q·5^k can't be a 53-bit mantissa, and q < 5^-k.
            None => return false,
        };
    }
    let odd = if k >= 0 {
        match q.checked_mul(p) {
            Some(o) => o,
            None => return false,
        }
    } else {
        if q % p != 0 {
            return false;
        }
        q / p
    };
    odd == u128::from(m)
}

/// Parse `digits · 10^k` back to a double.
fn reads_back_as(digits: u64, k: i32, v: f64) -> bool {
    let mut sb = StackBuf {
        buf: [0; 40],
        len: 0,
    };
    if write!(sb, "{digits}e{k}").is_err() {
        return false;
    }
    std::str::from_utf8(&sb.buf[..sb.len])
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        == Some(v)
}

/// Rust's shortest digits break an exact tie between two shortest
/// candidates upwards; CPython's `dtoa` (mode 0) picks the even one.
/// Returns the (possibly adjusted) digits and the exponent of the first digit.
fn python_shortest(v: f64, digits: &mut [u8; 24]) -> (usize, i32) {
    let (n, exp) = shortest_digits(v, digits);
    if n == 0 || n > 17 || v == 0.0 {
        return (n, exp);
    }
    let mut d: u64 = 0;
    for &c in &digits[..n] {
        d = d * 10 + u64::from(c - b'0');
    }
    if d.is_multiple_of(2) {
        return (n, exp); // already the even candidate
    }
    let k = exp - (n as i32 - 1); // exponent of the last digit
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    let alt = if is_exact_half(2 * d - 1, k, m, e) {
        d - 1
    } else if d % 10 != 9 && is_exact_half(2 * d + 1, k, m, e) {
        d + 1
    } else {
        return (n, exp);
    };
    if !reads_back_as(alt, k, v) {
        return (n, exp);
    }
    // Same length (no borrow/carry: d is odd and d % 10 != 9 when rounding up).
    let mut a = alt;
    for i in (0..n).rev() {
        digits[i] = b'0' + (a % 10) as u8;
        a /= 10;
    }
    let mut n = n;
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    (n, exp)
}

/// Append `repr(v)` for a finite `v` (`1e-05`, `0.0001`, `1e+16`, `-0.0`, ...).
/// Non-finite values are written as `inf`, `-inf`, `nan` like Python's repr;
/// JSON callers use [`write_json_float`] instead.
pub fn write_repr(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let mut digits = [0u8; 24];
    let (n, exp) = python_shortest(v.abs(), &mut digits);
    let d = &digits[..n];
    if !(-4..16).contains(&exp) {
        // Scientific: d[.ddd]e{+,-}XX
        out.push(d[0]);
        if n > 1 {
            out.push(b'.');
            out.extend_from_slice(&d[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        let mut tmp = [0u8; 10];
        let mut k = tmp.len();
        let mut a = a;
        loop {
            k -= 1;
            tmp[k] = b'0' + (a % 10) as u8;
            a /= 10;
            if a == 0 {
                break;
            }
        }
        out.extend_from_slice(&tmp[k..]);
        return;
    }
    // Positional. decpt = number of digits before the decimal point.
    let decpt = exp + 1;
    if decpt <= 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-decpt) {
            out.push(b'0');
        }
        out.extend_from_slice(d);
    } else {
        let decpt = decpt as usize;
        if decpt >= n {
            out.extend_from_slice(d);
            for _ in 0..(decpt - n) {
                out.push(b'0');
            }
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&d[..decpt]);
            out.push(b'.');
            out.extend_from_slice(&d[decpt..]);
        }
    }
}

/// `repr(v)` as a `String`.
pub fn repr(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_repr(&mut out, v);
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_default()
}

/// Append a float the way CPython's json encoder does (`allow_nan=True`):
/// `NaN`, `Infinity`, `-Infinity`, or `float.__repr__`.
pub fn write_json_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        write_repr(out, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // exact doubles, written out in full
    fn repr_table() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (123.456, "123.456"),
            (1e22, "1e+22"),
            (1e-7, "1e-07"),
            (1e100, "1e+100"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (-5e-324, "-5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            // Exact ties between two shortest candidates go to the even digit.
            (-1113178120592002.25, "-1113178120592002.2"),
            (233891771783429.625, "233891771783429.62"),
            (111659285584252.125, "111659285584252.12"),
            (2.0f64.powi(53), "9007199254740992.0"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (123e-20, "1.23e-18"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(repr(v), want, "repr of {v:e}");
        }
    }

    #[test]
    fn json_float() {
        let mut out = Vec::new();
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2.5] {
            write_json_float(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(out, b"NaN Infinity -Infinity 2.5 ");
    }
}
