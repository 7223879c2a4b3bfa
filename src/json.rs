//! JSON between Python objects and bytes, identical to the stock paths:
//!
//! * [`dump_py`]: `json.dumps(obj, ensure_ascii=.., sort_keys=.., separators=..)`
//!   encoded as UTF-8, or with `flask_tags` Flask 3.1's
//!   `TaggedJSONSerializer().dumps(obj)` (inside an app context with the
//!   default provider).
//! * [`load_py`]: `json.loads(text)`, or `TaggedJSONSerializer().loads(text)`.
//!
//! Both work in one pass straight between Python objects and bytes. Whenever
//! the result could differ from stock Python in any way (unknown types, dict
//! subclasses, lone surrogates, non-str keys under `sort_keys`, deep nesting,
//! errors Python would raise, ...) they return [`Fallback`] and the caller
//! runs the stock Python code instead, which produces the value or raises
//! the exact exception. A `Fallback` never leaves a Python exception set.

//!
//! The C-API calls live in [`crate::ffi`]; this file holds the encoder's
//! and decoder's rules.

use std::cmp::Ordering;
use std::ffi::CStr;

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBytes, PyDateAccess, PyDateTime, PyDict, PyList, PyString, PyTimeAccess, PyTuple, PyType, PyTzInfo,
    PyTzInfoAccess,
};

use crate::ffi;
use crate::ffi::str::{str_data, StrData, StrText};
use itsdangerous_core::codec::json::float::write_json_float;
use itsdangerous_core::codec::json::read::{self, Builder};
use itsdangerous_core::codec::json::write;
use itsdangerous_core::protocol::encoding::{decode_standard_canonical, encode_standard_into};

/// How to serialize; see [`dump_py`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpOptions {
    pub ensure_ascii: bool,
    pub sort_keys: bool,
    /// `separators=(",", ":")` when true, else `(", ", ": ")`.
    pub compact: bool,
    /// Apply Flask's `TaggedJSONSerializer` tags (and its JSON provider's rules).
    pub flask_tags: bool,
}

/// Rust can't reproduce the stock result exactly; the caller re-runs the
/// stock Python path (which returns the value or raises the real error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

/// Any failed Python call means the stock path must run instead. The
/// `PyErr` (already taken off the thread) is dropped.
impl From<PyErr> for Fallback {
    #[cold]
    #[inline(never)]
    fn from(_: PyErr) -> Self {
        Fallback
    }
}

/// Nesting deeper than this falls back (stock raises `RecursionError` for
/// circular structures, and handles deep legitimate ones itself).
const MAX_DEPTH: usize = read::MAX_DEPTH;

/// Flask's registered tag keys.
const TAG_KEYS: [&[u8]; 6] = [b" di", b" t", b" b", b" m", b" u", b" d"];

// ---------------------------------------------------------------------------
// Cached Python objects.

static UUID_TYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static MARKUP_TYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static HTTP_DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static PARSE_DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static B64DECODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn cached<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    name: &str,
) -> Result<&'py Bound<'py, PyAny>, Fallback> {
    cell.import(py, module, name).map_err(|_| Fallback)
}

// ---------------------------------------------------------------------------
// Strings.

/// Python `str` ordering (code point order).
fn str_cmp(a: &StrData<'_>, b: &StrData<'_>) -> Ordering {
    match (a, b) {
        (StrData::L1(x), StrData::L1(y)) => x.cmp(y),
        (StrData::U2(x), StrData::U2(y)) => x.cmp(y),
        (StrData::U4(x), StrData::U4(y)) => x.cmp(y),
        _ => {
            let n = a.len().min(b.len());
            for i in 0..n {
                match a.at(i).cmp(&b.at(i)) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            a.len().cmp(&b.len())
        }
    }
}

/// Write a `str`'s text as a JSON string.
fn write_str_data(out: &mut Vec<u8>, s: &StrData<'_>, ensure_ascii: bool) -> Result<(), Fallback> {
    match s {
        StrData::L1(s) => {
            write::write_latin1(out, s, ensure_ascii);
            Ok(())
        }
        StrData::U2(s) => write::write_ucs2(out, s, ensure_ascii).map_err(|_| Fallback),
        StrData::U4(s) => write::write_ucs4(out, s, ensure_ascii).map_err(|_| Fallback),
    }
}

/// Write a `str` (or subclass: its text) as a JSON string.
#[inline]
fn write_pystr(out: &mut Vec<u8>, obj: &Bound<'_, PyString>, ensure_ascii: bool) -> Result<(), Fallback> {
    write_str_data(out, &str_data(obj).ok_or(Fallback)?, ensure_ascii)
}

// ---------------------------------------------------------------------------
// Numbers.

/// An `int` (or subclass) as the json encoder writes it: `int.__repr__`.
fn write_pyint(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), Fallback> {
    if let Some(v) = ffi::number::to_i64(obj)? {
        write::write_i64(out, v);
        return Ok(());
    }
    let repr = ffi::number::int_repr(obj)?;
    out.extend_from_slice(ffi::str::utf8(&repr)?);
    Ok(())
}

// ---------------------------------------------------------------------------
// Dates (werkzeug.http.http_date / parse_date for the canonical cases).

const DAY_NAMES: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTH_NAMES: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn push2(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&[b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8]);
}

/// `email.utils.format_datetime(dt, usegmt=True)` of a UTC datetime, quoted.
fn write_http_date(out: &mut Vec<u8>, y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) {
    let wd =
        (days_from_civil(i64::from(y), i64::from(mo), i64::from(d)) + 3).rem_euclid(7) as usize;
    out.push(b'"');
    out.extend_from_slice(DAY_NAMES[wd]);
    out.extend_from_slice(b", ");
    push2(out, u32::from(d));
    out.push(b' ');
    out.extend_from_slice(MONTH_NAMES[usize::from(mo).saturating_sub(1) % 12]);
    out.push(b' ');
    let y = y.unsigned_abs();
    push2(out, y / 100);
    push2(out, y % 100);
    out.push(b' ');
    push2(out, u32::from(h));
    out.push(b':');
    push2(out, u32::from(mi));
    out.push(b':');
    push2(out, u32::from(s));
    out.extend_from_slice(b" GMT\"");
}

/// Fields of the canonical `Www, DD Mmm YYYY HH:MM:SS GMT` when
/// `werkzeug.http.parse_date` would certainly read it as that UTC datetime.
fn parse_http_date(b: &[u8]) -> Option<(i32, u8, u8, u8, u8, u8)> {
    if b.len() != 29 || !DAY_NAMES.iter().any(|n| &b[0..3] == *n) || &b[3..5] != b", " {
        return None;
    }
    if b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || &b[25..] != b" GMT"
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let d = num(5..7)?;
    let mo = MONTH_NAMES.iter().position(|n| &b[8..11] == *n)? as i64 + 1;
    let y = num(12..16)?;
    let (h, mi, s) = (num(17..19)?, num(20..22)?, num(23..25)?);
    // Two-digit years are remapped by email.utils; leave odd cases to Python.
    if y < 100 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some((y as i32, mo as u8, d as u8, h as u8, mi as u8, s as u8))
}

// ---------------------------------------------------------------------------
// Dumping.

struct Dumper<'a, 'py> {
    py: Python<'py>,
    opts: &'a DumpOptions,
    out: &'a mut Vec<u8>,
}

impl<'py> Dumper<'_, 'py> {
    #[inline]
    fn item_sep(&mut self) {
        self.out.push(b',');
        if !self.opts.compact {
            self.out.push(b' ');
        }
    }
    #[inline]
    fn key_sep(&mut self) {
        self.out.push(b':');
        if !self.opts.compact {
            self.out.push(b' ');
        }
    }
    /// `{"<tag>": ` of a Flask tag wrapper; the caller closes it with `}`.
    #[inline]
    fn tag_open(&mut self, tag: &[u8]) {
        self.out.extend_from_slice(b"{\"");
        self.out.extend_from_slice(tag);
        self.out.push(b'"');
        self.key_sep();
    }

    fn value(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if obj.is_none() {
            self.out.extend_from_slice(b"null");
            return Ok(());
        }
        if ffi::is_true(obj) {
            self.out.extend_from_slice(b"true");
            return Ok(());
        }
        if ffi::is_false(obj) {
            self.out.extend_from_slice(b"false");
            return Ok(());
        }
        if let Some(s) = ffi::str::exact_str(obj) {
            return write_pystr(self.out, s, self.opts.ensure_ascii);
        }
        if ffi::number::is_exact_int(obj) {
            return write_pyint(self.out, obj);
        }
        if let Some(v) = ffi::number::exact_float_value(obj) {
            write_json_float(self.out, v);
            return Ok(());
        }
        if let Some(dict) = ffi::dict::exact_dict(obj) {
            return self.dict(dict, depth + 1);
        }
        if let Some(list) = ffi::list::exact_list(obj) {
            return self.list(list, depth + 1);
        }
        if let Some(tuple) = ffi::tuple::exact_tuple(obj) {
            return self.tuple(tuple, depth + 1);
        }
        if self.opts.flask_tags {
            if ffi::bytes::is_exact_bytes(obj) {
                return self.bytes(obj);
            }
            self.other_flask(obj, depth)
        } else {
            self.other_plain(obj, depth)
        }
    }

    /// str, int and float subclasses, written as the C encoder writes them
    /// (`str` content, `int.__repr__`, `float.__repr__`); `None` for other types.
    fn scalar_subclass(&mut self, obj: &Bound<'py, PyAny>) -> Option<Result<(), Fallback>> {
        if let Some(s) = ffi::str::as_str(obj) {
            return Some(write_pystr(self.out, s, self.opts.ensure_ascii));
        }
        if ffi::number::is_int(obj) {
            return Some(write_pyint(self.out, obj));
        }
        if let Some(v) = ffi::number::float_value(obj) {
            write_json_float(self.out, v);
            return Some(Ok(()));
        }
        None
    }

    /// Subclasses of the JSON types, plain `json.dumps` rules.
    fn other_plain(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if let Some(written) = self.scalar_subclass(obj) {
            return written;
        }
        if ffi::list::is_list(obj) || ffi::tuple::is_tuple(obj) {
            return self.sequence_subclass(obj, depth + 1);
        }
        // dict subclasses (their items() may differ), unknown types.
        Err(Fallback)
    }

    /// Everything but the exact JSON types and bytes, in `TaggedJSONSerializer.tag`'s order.
    fn other_flask(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if ffi::dict::is_dict(obj) {
            return Err(Fallback);
        }
        if ffi::tuple::is_tuple(obj) {
            // TagTuple: `[tag(item) for item in value]` under " t".
            self.tag_open(b" t");
            self.sequence_subclass(obj, depth + 1)?;
            self.out.push(b'}');
            return Ok(());
        }
        if ffi::list::is_list(obj) {
            return self.sequence_subclass(obj, depth + 1);
        }
        if ffi::bytes::is_bytes(obj) {
            return self.bytes(obj);
        }
        let py = self.py;
        if obj.is_exact_instance_of::<PyDateTime>() {
            return self.datetime(obj);
        }
        // TagMarkup: callable(getattr(value, "__html__", None)).
        let html = match obj.getattr(pyo3::intern!(py, "__html__")) {
            Ok(h) => Some(h),
            Err(e) if e.is_instance_of::<PyAttributeError>(py) => None,
            Err(_) => return Err(Fallback),
        };
        if let Some(html) = html {
            if html.is_callable() {
                let r = html.call0().map_err(|_| Fallback)?;
                let s = ffi::to_str(&r)?;
                let s = ffi::str::as_str(&s).ok_or(Fallback)?;
                self.tag_open(b" m");
                write_pystr(self.out, s, self.opts.ensure_ascii)?;
                self.out.push(b'}');
                return Ok(());
            }
        }
        let uuid = cached(py, &UUID_TYPE, "uuid", "UUID")?;
        if obj.is_instance(uuid).map_err(|_| Fallback)? {
            let hex = obj
                .getattr(pyo3::intern!(py, "hex"))
                .map_err(|_| Fallback)?;
            let hex = ffi::str::as_str(&hex).ok_or(Fallback)?;
            self.tag_open(b" u");
            write_pystr(self.out, hex, self.opts.ensure_ascii)?;
            self.out.push(b'}');
            return Ok(());
        }
        if obj.is_instance_of::<PyDateTime>() {
            return self.datetime(obj);
        }
        // Untagged: what the encoder does with str/int/float subclasses.
        if let Some(written) = self.scalar_subclass(obj) {
            return written;
        }
        // date, Decimal, dataclasses (the provider's `default`), or a TypeError.
        Err(Fallback)
    }

    /// TagDateTime: `{" d": http_date(value)}`.
    fn datetime(&mut self, obj: &Bound<'py, PyAny>) -> Result<(), Fallback> {
        let py = self.py;
        if let Ok(dt) = obj.cast_exact::<PyDateTime>() {
            let utc = PyTzInfo::utc(py).map_err(|_| Fallback)?;
            let tz_ok = match dt.get_tzinfo() {
                None => true,
                Some(tz) => tz.as_ptr() == utc.as_ptr(),
            };
            if tz_ok {
                self.tag_open(b" d");
                write_http_date(
                    self.out,
                    dt.get_year(),
                    dt.get_month(),
                    dt.get_day(),
                    dt.get_hour(),
                    dt.get_minute(),
                    dt.get_second(),
                );
                self.out.push(b'}');
                return Ok(());
            }
        }
        let s = cached(py, &HTTP_DATE, "werkzeug.http", "http_date")?
            .call1((obj,))
            .map_err(|_| Fallback)?;
        let s = ffi::str::as_str(&s).ok_or(Fallback)?;
        self.tag_open(b" d");
        write_pystr(self.out, s, self.opts.ensure_ascii)?;
        self.out.push(b'}');
        Ok(())
    }

    /// TagBytes: `{" b": b64encode(value).decode("ascii")}`.
    fn bytes(&mut self, obj: &Bound<'py, PyAny>) -> Result<(), Fallback> {
        let data = ffi::bytes::data(obj).ok_or(Fallback)?;
        self.tag_open(b" b");
        self.out.push(b'"');
        encode_standard_into(data, self.out);
        self.out.extend_from_slice(b"\"}");
        Ok(())
    }

    /// The items of a list (or subclass that iterates like one). The size
    /// is re-read every step, like the stock encoder's loop, and each item
    /// is owned while it is written.
    fn list(&mut self, list: &Bound<'py, PyList>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        if ffi::list::len(list) == 0 {
            self.out.extend_from_slice(b"[]");
            return Ok(());
        }
        self.out.push(b'[');
        let mut i = 0;
        while let Some(item) = ffi::list::get(list, i) {
            if i > 0 {
                self.item_sep();
            }
            self.value(&item, depth)?;
            i += 1;
        }
        self.out.push(b']');
        Ok(())
    }

    /// Items of a tuple (or subclass that iterates like one), as a JSON array.
    fn tuple_items(&mut self, tuple: &Bound<'py, PyTuple>, depth: usize) -> Result<(), Fallback> {
        if ffi::tuple::len(tuple) == 0 {
            self.out.extend_from_slice(b"[]");
            return Ok(());
        }
        self.out.push(b'[');
        for (i, item) in ffi::tuple::items(tuple).enumerate() {
            if i > 0 {
                self.item_sep();
            }
            self.value(&item, depth)?;
        }
        self.out.push(b']');
        Ok(())
    }

    fn tuple(&mut self, tuple: &Bound<'py, PyTuple>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        if self.opts.flask_tags {
            self.tag_open(b" t");
            self.tuple_items(tuple, depth)?;
            self.out.push(b'}');
            Ok(())
        } else {
            self.tuple_items(tuple, depth)
        }
    }

    /// A list or tuple subclass whose iteration is the base type's.
    fn sequence_subclass(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        if ffi::list::is_list(obj) {
            let list = ffi::list::list_like(obj).ok_or(Fallback)?;
            self.list(list, depth)
        } else {
            let tuple = ffi::tuple::tuple_like(obj).ok_or(Fallback)?;
            self.tuple_items(tuple, depth)
        }
    }

    /// An exact dict. Keys and values are owned references before any
    /// Python code can run, and the size is checked after each value
    /// (stock raises on a change).
    fn dict(&mut self, dict: &Bound<'py, PyDict>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        let n = ffi::dict::len(dict);
        if n == 0 {
            self.out.extend_from_slice(b"{}");
            return Ok(());
        }
        if self.opts.flask_tags && n == 1 {
            // TagDict: a one-item dict whose key is a tag key.
            let (key, value) = ffi::dict::next_entry(dict, &mut ffi::dict::Position::default()).ok_or(Fallback)?;
            if ffi::str::as_str(&key).is_some() {
                // A str subclass could compare equal to a tag.
                let key = ffi::str::exact_str(&key).ok_or(Fallback)?;
                if let StrData::L1(kb) = str_data(key).ok_or(Fallback)? {
                    if TAG_KEYS.contains(&kb) {
                        self.tag_open(b" di");
                        self.out.extend_from_slice(b"{\"");
                        self.out.extend_from_slice(kb);
                        self.out.extend_from_slice(b"__\"");
                        self.key_sep();
                        self.value(&value, depth)?;
                        self.out.extend_from_slice(b"}}");
                        return Ok(());
                    }
                }
            }
        }
        let mut pos = ffi::dict::Position::default();
        if self.opts.sort_keys && n > 1 {
            let mut items: Vec<(StrText<'py>, Bound<'py, PyAny>)> = Vec::with_capacity(n as usize);
            while let Some((key, value)) = ffi::dict::next_entry(dict, &mut pos) {
                // Only exact str keys: Python sorts before converting keys.
                items.push((StrText::new_exact(key).ok_or(Fallback)?, value));
            }
            // Keys are distinct, so an unstable sort gives the same order.
            items.sort_unstable_by(|a, b| str_cmp(&a.0.text(), &b.0.text()));
            self.out.push(b'{');
            for (j, (key, value)) in items.iter().enumerate() {
                if j > 0 {
                    self.item_sep();
                }
                write_str_data(self.out, &key.text(), self.opts.ensure_ascii)?;
                self.key_sep();
                self.value(value, depth)?;
                if ffi::dict::len(dict) != n {
                    return Err(Fallback);
                }
            }
            self.out.push(b'}');
            return Ok(());
        }
        self.out.push(b'{');
        let mut first = true;
        while let Some((key, value)) = ffi::dict::next_entry(dict, &mut pos) {
            if !first {
                self.item_sep();
            }
            first = false;
            self.key(&key)?;
            self.key_sep();
            self.value(&value, depth)?;
            if ffi::dict::len(dict) != n {
                return Err(Fallback);
            }
        }
        self.out.push(b'}');
        Ok(())
    }

    /// A dict key converted like the C encoder: str, float, True/False/None, int.
    fn key(&mut self, key: &Bound<'py, PyAny>) -> Result<(), Fallback> {
        if let Some(s) = ffi::str::as_str(key) {
            write_pystr(self.out, s, self.opts.ensure_ascii)?;
        } else if let Some(f) = ffi::number::float_value(key) {
            self.out.push(b'"');
            write_json_float(self.out, f);
            self.out.push(b'"');
        } else if ffi::is_true(key) {
            self.out.extend_from_slice(b"\"true\"");
        } else if ffi::is_false(key) {
            self.out.extend_from_slice(b"\"false\"");
        } else if key.is_none() {
            self.out.extend_from_slice(b"\"null\"");
        } else if ffi::number::is_int(key) {
            self.out.push(b'"');
            write_pyint(self.out, key)?;
            self.out.push(b'"');
        } else {
            return Err(Fallback); // TypeError: keys must be str, int, ...
        }
        Ok(())
    }
}

/// Serialize `obj` into `out` (appending) exactly like the stock path
/// described in the module docs, or return [`Fallback`] with `out` unchanged.
pub fn dump_py(
    obj: &Bound<'_, PyAny>,
    opts: &DumpOptions,
    out: &mut Vec<u8>,
) -> Result<(), Fallback> {
    out.reserve(256);
    dump_with(obj.py(), opts, out, |d| d.value(obj, 0))
}

/// `dump_py` of a dict subclass whose `items()` the caller knows to be
/// dict's own (so the C encoder's `PyMapping_Items` gives the dict's items in
/// order): written as the dict it is, with `opts`' plain rules.
pub fn dump_py_dict_subclass(
    obj: &Bound<'_, PyAny>,
    opts: &DumpOptions,
    out: &mut Vec<u8>,
) -> Result<(), Fallback> {
    if opts.flask_tags {
        return Err(Fallback);
    }
    let dict = obj.cast::<PyDict>().map_err(|_| Fallback)?;
    dump_with(obj.py(), opts, out, |d| d.dict(dict, 1))
}

/// Runs `write` on a `Dumper` over `out`; on a Fallback, `out` is left as it
/// was and no exception is left set.
fn dump_with<'py>(
    py: Python<'py>,
    opts: &DumpOptions,
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Dumper<'_, 'py>) -> Result<(), Fallback>,
) -> Result<(), Fallback> {
    let start = out.len();
    let r = write(&mut Dumper { py, opts, out });
    if r.is_err() {
        out.truncate(start);
        ffi::clear_error(py);
    }
    r
}

// ---------------------------------------------------------------------------
// Loading.

/// Object keys recur across documents (every session has the same few), so
/// short ASCII keys are kept as ready `str` objects (hash already computed):
/// a direct-mapped cache, overwritten on collision. Sharing immutable `str`
/// objects is invisible to Python code (the stock scanner memoizes keys too).
struct KeyCache {
    slots: Vec<Option<(u64, Py<PyString>)>>,
}

const KEY_CACHE_SLOTS: usize = 1024;
const KEY_CACHE_MAX_LEN: usize = 40;

static KEY_CACHE: std::sync::Mutex<KeyCache> =
    std::sync::Mutex::new(KeyCache { slots: Vec::new() });

#[inline]
fn key_hash(b: &[u8]) -> u64 {
    // FNV-1a: short keys, no need for more.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl KeyCache {
    /// An ASCII key as a `str`, from the cache when possible.
    ///
    /// # Safety
    /// Every byte of `key` must be below 128 (see [`ffi::str::new_ascii`]).
    unsafe fn get<'py>(
        &mut self,
        py: Python<'py>,
        key: &str,
    ) -> Result<Bound<'py, PyString>, Fallback> {
        if self.slots.is_empty() {
            self.slots.resize_with(KEY_CACHE_SLOTS, || None);
        }
        let h = key_hash(key.as_bytes());
        let slot = (h as usize) & (KEY_CACHE_SLOTS - 1);
        if let Some((hh, obj)) = &self.slots[slot] {
            if *hh == h {
                let obj = obj.bind(py);
                if let StrData::L1(b) = str_data(obj).ok_or(Fallback)? {
                    if b == key.as_bytes() {
                        return Ok(obj.clone());
                    }
                }
            }
        }
        // SAFETY: the caller vouches `key` is ASCII.
        let s = unsafe { ffi::str::new_ascii(py, key.as_bytes()) }?;
        // Precompute the hash so every dict insert reuses it.
        ffi::hash(&s)?;
        self.slots[slot] = Some((h, s.clone().unbind()));
        Ok(s)
    }
}

struct PyBuilder<'py, 'c> {
    py: Python<'py>,
    keys: Option<std::sync::MutexGuard<'c, KeyCache>>,
    flask_tags: bool,
    /// The class of the outermost object, if not `dict` (see [`load_py_as`]);
    /// taken by the first `object_begin`, which is the outermost object's.
    outer_class: Option<Bound<'py, PyType>>,
    /// Items of the arrays under construction, innermost last.
    stack: Vec<Bound<'py, PyAny>>,
    /// NUL-terminated scratch for big integers.
    digits: Vec<u8>,
}

impl<'py> Builder for PyBuilder<'py, '_> {
    type Value = Bound<'py, PyAny>;
    type Array = usize;
    type Object = Bound<'py, PyDict>;
    type Error = Fallback;

    fn null(&mut self) -> Result<Self::Value, Fallback> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn boolean(&mut self, v: bool) -> Result<Self::Value, Fallback> {
        Ok(ffi::bool_object(self.py, v))
    }
    fn int(&mut self, v: i64) -> Result<Self::Value, Fallback> {
        Ok(ffi::number::new_int(self.py, v)?)
    }
    fn big_int(&mut self, text: &str) -> Result<Self::Value, Fallback> {
        self.digits.clear();
        self.digits.extend_from_slice(text.as_bytes());
        self.digits.push(0);
        // Honours the interpreter's current int digit limit by raising
        // (then we fall back).
        let digits = CStr::from_bytes_with_nul(&self.digits).map_err(|_| Fallback)?;
        Ok(ffi::number::int_from_decimal(self.py, digits)?)
    }
    fn float(&mut self, v: f64) -> Result<Self::Value, Fallback> {
        Ok(ffi::number::new_float(self.py, v)?)
    }
    fn string(&mut self, s: &str, ascii: bool) -> Result<Self::Value, Fallback> {
        // SAFETY: the reader sets `ascii` only when every byte of `s` is
        // below 128 (its own `from_utf8_unchecked` relies on the same).
        Ok(unsafe { ffi::str::new_str(self.py, s, ascii) }?.into_any())
    }
    fn array_begin(&mut self) -> Result<usize, Fallback> {
        Ok(self.stack.len())
    }
    fn array_push(&mut self, _mark: &mut usize, v: Self::Value) -> Result<(), Fallback> {
        self.stack.push(v);
        Ok(())
    }
    fn array_end(&mut self, mark: usize) -> Result<Self::Value, Fallback> {
        Ok(ffi::list::from_tail(self.py, &mut self.stack, mark)?)
    }
    fn object_begin(&mut self) -> Result<Self::Object, Fallback> {
        match self.outer_class.take() {
            None => Ok(ffi::dict::new(self.py)?),
            Some(class) => class.call0()?.cast_into::<PyDict>().map_err(|_| Fallback),
        }
    }
    #[inline]
    fn object_insert(
        &mut self,
        obj: &mut Self::Object,
        key: &str,
        key_ascii: bool,
        v: Self::Value,
    ) -> Result<(), Fallback> {
        let k = match &mut self.keys {
            // SAFETY: `key_ascii` is the reader's, as in `string`.
            Some(cache) if key_ascii && key.len() <= KEY_CACHE_MAX_LEN => unsafe { cache.get(self.py, key) }?,
            // SAFETY: as above.
            _ => unsafe { ffi::str::new_str(self.py, key, key_ascii) }?,
        };
        // Same semantics as the stock scanner: a repeated key keeps its
        // place, the last value wins.
        ffi::dict::set_item(obj, &k, &v)?;
        Ok(())
    }
    fn object_end(&mut self, obj: Self::Object) -> Result<Self::Value, Fallback> {
        if self.flask_tags {
            self.untag(obj)
        } else {
            Ok(obj.into_any())
        }
    }
}

impl<'py> PyBuilder<'py, '_> {
    /// `TaggedJSONSerializer.untag` of a freshly built dict whose values are
    /// already untagged.
    fn untag(&mut self, obj: Bound<'py, PyDict>) -> Result<Bound<'py, PyAny>, Fallback> {
        let py = self.py;
        if ffi::dict::len(&obj) != 1 {
            return Ok(obj.into_any());
        }
        let (key, value) = ffi::dict::next_entry(&obj, &mut ffi::dict::Position::default()).ok_or(Fallback)?;
        let tag: &[u8] = match ffi::str::exact_str(&key).and_then(str_data).ok_or(Fallback)? {
            StrData::L1(kb) if kb.len() <= 3 && kb.first() == Some(&b' ') => kb,
            _ => return Ok(obj.into_any()),
        };
        match tag {
            b" t" => Ok(ffi::tuple::from_sequence(&value)?),
            b" b" => {
                if let Some(text) = ffi::str::exact_str(&value) {
                    if let StrData::L1(s) = str_data(text).ok_or(Fallback)? {
                        // Canonical padded base64 (what b64encode writes); Python reads the rest.
                        if let Some(bytes) = decode_standard_canonical(s) {
                            return Ok(PyBytes::new(py, &bytes).into_any());
                        }
                    }
                }
                cached(py, &B64DECODE, "base64", "b64decode")?
                    .call1((value,))
                    .map_err(|_| Fallback)
            }
            b" m" => cached(py, &MARKUP_TYPE, "markupsafe", "Markup")?
                .call1((value,))
                .map_err(|_| Fallback),
            b" u" => cached(py, &UUID_TYPE, "uuid", "UUID")?
                .call1((value,))
                .map_err(|_| Fallback),
            b" d" => {
                if let Some(text) = ffi::str::exact_str(&value) {
                    if let StrData::L1(s) = str_data(text).ok_or(Fallback)? {
                        if let Some((y, mo, d, h, mi, s)) = parse_http_date(s) {
                            let utc = PyTzInfo::utc(py).map_err(|_| Fallback)?;
                            return PyDateTime::new(py, y, mo, d, h, mi, s, 0, Some(&utc))
                                .map(Bound::into_any)
                                .map_err(|_| Fallback);
                        }
                    }
                }
                cached(py, &PARSE_DATE, "werkzeug.http", "parse_date")?
                    .call1((value,))
                    .map_err(|_| Fallback)
            }
            b" di" => {
                // TagDict.to_python: {key[:-2]: value[key]} for the first key;
                // anything but a non-empty dict raises in stock.
                let inner = ffi::dict::exact_dict(&value).ok_or(Fallback)?;
                let (inner_key, inner_value) =
                    ffi::dict::next_entry(inner, &mut ffi::dict::Position::default()).ok_or(Fallback)?;
                let inner_key = ffi::str::exact_str(&inner_key).ok_or(Fallback)?;
                let n = ffi::str::len(inner_key);
                let sub = ffi::str::substring(inner_key, 0, (n - 2).max(0))?;
                let d = ffi::dict::new(py)?;
                ffi::dict::set_item(&d, &sub, &inner_value)?;
                Ok(d.into_any())
            }
            _ => Ok(obj.into_any()),
        }
    }
}

/// Parse `json` (UTF-8 bytes) exactly like the stock path described in the
/// module docs, or return [`Fallback`].
pub fn load_py<'py>(
    py: Python<'py>,
    json: &[u8],
    flask_tags: bool,
) -> Result<Bound<'py, PyAny>, Fallback> {
    load_with(py, json, flask_tags, None)
}

/// `dict_class(json.loads(text))` for a `dict` subclass whose `__new__` and
/// `__init__` are dict's, built in place: the outermost object is made an
/// instance of `dict_class` and filled as `dict.__init__` would fill it, so
/// no intermediate dict is built, copied and freed. Any other document (a
/// list, a number) comes back as `json.loads` gives it.
pub fn load_py_as<'py>(py: Python<'py>, json: &[u8], dict_class: &Bound<'py, PyType>) -> Result<Bound<'py, PyAny>, Fallback> {
    // The first object begun is the outermost one only in a document that is an object.
    let is_object = json.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{');
    load_with(py, json, false, is_object.then(|| dict_class.clone()))
}

fn load_with<'py>(
    py: Python<'py>,
    json: &[u8],
    flask_tags: bool,
    outer_class: Option<Bound<'py, PyType>>,
) -> Result<Bound<'py, PyAny>, Fallback> {
    // Uncontended in practice (the GIL serializes callers); skip the cache
    // rather than wait if another thread has it.
    let keys = KEY_CACHE.try_lock().ok();
    let mut b = PyBuilder {
        py,
        keys,
        flask_tags,
        outer_class,
        stack: Vec::new(),
        digits: Vec::new(),
    };
    let r = read::parse(json, &mut b).map_err(|_| Fallback);
    if r.is_err() {
        // No exception may leak out of a Fallback.
        ffi::clear_error(py);
    }
    r
}

// ---------------------------------------------------------------------------
// Python-callable entry points (tests and benchmarks).

/// `json_dumps(obj, ensure_ascii, sort_keys, compact, flask_tags) -> bytes`,
/// or `NotImplemented` where the stock path must be used.
#[pyfunction]
fn json_dumps(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    ensure_ascii: bool,
    sort_keys: bool,
    compact: bool,
    flask_tags: bool,
) -> Py<PyAny> {
    let opts = DumpOptions {
        ensure_ascii,
        sort_keys,
        compact,
        flask_tags,
    };
    let mut out = Vec::with_capacity(1024);
    match dump_py(obj, &opts, &mut out) {
        Ok(()) => PyBytes::new(py, &out).into_any().unbind(),
        Err(Fallback) => py.NotImplemented(),
    }
}

/// `json_loads(data, flask_tags) -> object`, or `NotImplemented` where the
/// stock path must be used.
#[pyfunction]
fn json_loads(py: Python<'_>, data: &[u8], flask_tags: bool) -> Py<PyAny> {
    match load_py(py, data, flask_tags) {
        Ok(v) => v.unbind(),
        Err(Fallback) => py.NotImplemented(),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(json_dumps, m)?)?;
    m.add_function(wrap_pyfunction!(json_loads, m)?)?;
    Ok(())
}
