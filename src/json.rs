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

use std::cmp::Ordering;
use std::ffi::c_int;
use std::ptr;

use base64::Engine as _;
use pyo3::exceptions::PyAttributeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDateAccess, PyDateTime, PyTimeAccess, PyTzInfo, PyTzInfoAccess};

use itsdangerous_core::codec::json::float::write_json_float;
use itsdangerous_core::codec::json::read::{self, Builder};
use itsdangerous_core::codec::json::write;

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

/// Turn a failed raw C-API call into a `Fallback`, clearing the exception.
#[inline]
fn failed<T>() -> Result<T, Fallback> {
    // SAFETY: only called with the GIL held (all callers hold a `Python`).
    unsafe { ffi::PyErr_Clear() };
    Err(Fallback)
}

/// Own a new reference returned by the C API, or fall back on NULL.
#[inline]
unsafe fn owned<'py>(
    py: Python<'py>,
    p: *mut ffi::PyObject,
) -> Result<Bound<'py, PyAny>, Fallback> {
    if p.is_null() {
        failed()
    } else {
        Ok(Bound::from_owned_ptr(py, p))
    }
}

#[inline]
fn type_is(p: *mut ffi::PyObject, t: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: `p` is a live object.
    unsafe { ffi::Py_TYPE(p) == t }
}

// ---------------------------------------------------------------------------
// Strings.

/// The code units of a `str`, in its PEP 393 storage.
enum StrData<'a> {
    L1(&'a [u8]),
    U2(&'a [u16]),
    U4(&'a [u32]),
}

impl StrData<'_> {
    #[inline]
    fn len(&self) -> usize {
        match self {
            StrData::L1(s) => s.len(),
            StrData::U2(s) => s.len(),
            StrData::U4(s) => s.len(),
        }
    }
    #[inline]
    fn at(&self, i: usize) -> u32 {
        match self {
            StrData::L1(s) => u32::from(s[i]),
            StrData::U2(s) => u32::from(s[i]),
            StrData::U4(s) => s[i],
        }
    }
}

/// The storage of `p`, which must be a `str` (or subclass) kept alive by the
/// caller for `'a`.
unsafe fn str_data<'a>(p: *mut ffi::PyObject) -> Result<StrData<'a>, Fallback> {
    #[allow(deprecated)]
    if ffi::PyUnicode_READY(p) < 0 {
        return failed();
    }
    let len = ffi::PyUnicode_GET_LENGTH(p);
    let len = usize::try_from(len).map_err(|_| Fallback)?;
    let data = ffi::PyUnicode_DATA(p);
    if len == 0 {
        return Ok(StrData::L1(&[]));
    }
    Ok(match ffi::PyUnicode_KIND(p) {
        ffi::PyUnicode_1BYTE_KIND => {
            StrData::L1(std::slice::from_raw_parts(data as *const u8, len))
        }
        ffi::PyUnicode_2BYTE_KIND => {
            StrData::U2(std::slice::from_raw_parts(data as *const u16, len))
        }
        ffi::PyUnicode_4BYTE_KIND => {
            StrData::U4(std::slice::from_raw_parts(data as *const u32, len))
        }
        _ => return Err(Fallback),
    })
}

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
unsafe fn write_pystr(
    out: &mut Vec<u8>,
    p: *mut ffi::PyObject,
    ensure_ascii: bool,
) -> Result<(), Fallback> {
    write_str_data(out, &str_data(p)?, ensure_ascii)
}

/// A new `str` from UTF-8 text.
#[inline]
unsafe fn new_str<'py>(
    py: Python<'py>,
    s: &str,
    ascii: bool,
) -> Result<Bound<'py, PyAny>, Fallback> {
    if ascii {
        ascii_str(py, s.as_bytes()).map_err(|_| Fallback)
    } else {
        owned(py, ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t))
    }
}

/// A new `str` from ASCII bytes, copied straight into its one-byte storage
/// (PyUnicode_FromStringAndSize would run the UTF-8 decoder over them).
///
/// # Safety
/// Every byte must be below 128: the str's max char says so.
pub(crate) unsafe fn ascii_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    debug_assert!(bytes.is_ascii());
    // A new compact ASCII str has `len` writable bytes at PyUnicode_DATA
    // (its terminator is already in place).
    let p = ffi::PyUnicode_New(bytes.len() as ffi::Py_ssize_t, 127);
    if p.is_null() {
        return Err(PyErr::fetch(py));
    }
    ptr::copy_nonoverlapping(bytes.as_ptr(), ffi::PyUnicode_DATA(p) as *mut u8, bytes.len());
    Ok(Bound::from_owned_ptr(py, p))
}

// ---------------------------------------------------------------------------
// Numbers.

unsafe fn write_pyint(out: &mut Vec<u8>, p: *mut ffi::PyObject) -> Result<(), Fallback> {
    let mut overflow: c_int = 0;
    let v = ffi::PyLong_AsLongLongAndOverflow(p, &mut overflow);
    if v == -1 && !ffi::PyErr_Occurred().is_null() {
        return failed();
    }
    if overflow == 0 {
        write::write_i64(out, v);
        return Ok(());
    }
    // `int.__repr__`, also for subclasses; raises past the int digit limit.
    let Some(repr) = (*ptr::addr_of_mut!(ffi::PyLong_Type)).tp_repr else {
        return Err(Fallback);
    };
    let r = repr(p);
    if r.is_null() {
        return failed();
    }
    let mut n: ffi::Py_ssize_t = 0;
    let s = ffi::PyUnicode_AsUTF8AndSize(r, &mut n);
    let res = if s.is_null() {
        failed()
    } else {
        out.extend_from_slice(std::slice::from_raw_parts(s as *const u8, n as usize));
        Ok(())
    };
    ffi::Py_DECREF(r);
    res
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

/// How a dict key is written.
enum Key {
    Str,
    Float(f64),
    Const(&'static [u8]),
    Int,
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
        let p = obj.as_ptr();
        unsafe {
            if p == ffi::Py_None() {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            if p == ffi::Py_True() {
                self.out.extend_from_slice(b"true");
                return Ok(());
            }
            if p == ffi::Py_False() {
                self.out.extend_from_slice(b"false");
                return Ok(());
            }
            if type_is(p, ptr::addr_of_mut!(ffi::PyUnicode_Type)) {
                return write_pystr(self.out, p, self.opts.ensure_ascii);
            }
            if type_is(p, ptr::addr_of_mut!(ffi::PyLong_Type)) {
                return write_pyint(self.out, p);
            }
            if type_is(p, ptr::addr_of_mut!(ffi::PyFloat_Type)) {
                write_json_float(self.out, ffi::PyFloat_AS_DOUBLE(p));
                return Ok(());
            }
            if type_is(p, ptr::addr_of_mut!(ffi::PyDict_Type)) {
                return self.dict(obj, depth + 1);
            }
            if type_is(p, ptr::addr_of_mut!(ffi::PyList_Type)) {
                return self.list(obj, depth + 1);
            }
            if type_is(p, ptr::addr_of_mut!(ffi::PyTuple_Type)) {
                return self.tuple(obj, depth + 1);
            }
            if self.opts.flask_tags {
                if type_is(p, ptr::addr_of_mut!(ffi::PyBytes_Type)) {
                    return self.bytes(p);
                }
                self.other_flask(obj, depth)
            } else {
                self.other_plain(obj, depth)
            }
        }
    }

    /// Subclasses of the JSON types, plain `json.dumps` rules.
    /// str, int and float subclasses, written as the C encoder writes them
    /// (`str` content, `int.__repr__`, `float.__repr__`); `None` for other types.
    unsafe fn scalar_subclass(&mut self, p: *mut ffi::PyObject) -> Option<Result<(), Fallback>> {
        if ffi::PyUnicode_Check(p) != 0 {
            return Some(write_pystr(self.out, p, self.opts.ensure_ascii));
        }
        if ffi::PyLong_Check(p) != 0 {
            return Some(write_pyint(self.out, p));
        }
        if ffi::PyFloat_Check(p) != 0 {
            write_json_float(self.out, ffi::PyFloat_AS_DOUBLE(p));
            return Some(Ok(()));
        }
        None
    }

    unsafe fn other_plain(
        &mut self,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<(), Fallback> {
        let p = obj.as_ptr();
        if let Some(written) = self.scalar_subclass(p) {
            return written;
        }
        if ffi::PyList_Check(p) != 0 || ffi::PyTuple_Check(p) != 0 {
            return self.sequence_subclass(obj, depth + 1);
        }
        // dict subclasses (their items() may differ), unknown types.
        Err(Fallback)
    }

    /// Everything but the exact JSON types and bytes, in `TaggedJSONSerializer.tag`'s order.
    unsafe fn other_flask(
        &mut self,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<(), Fallback> {
        let p = obj.as_ptr();
        if ffi::PyDict_Check(p) != 0 {
            return Err(Fallback);
        }
        if ffi::PyTuple_Check(p) != 0 {
            // TagTuple: `[tag(item) for item in value]` under " t".
            self.tag_open(b" t");
            self.sequence_subclass(obj, depth + 1)?;
            self.out.push(b'}');
            return Ok(());
        }
        if ffi::PyList_Check(p) != 0 {
            return self.sequence_subclass(obj, depth + 1);
        }
        if ffi::PyBytes_Check(p) != 0 {
            return self.bytes(p);
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
                let s = owned(py, ffi::PyObject_Str(r.as_ptr()))?;
                self.tag_open(b" m");
                write_pystr(self.out, s.as_ptr(), self.opts.ensure_ascii)?;
                self.out.push(b'}');
                return Ok(());
            }
        }
        let uuid = cached(py, &UUID_TYPE, "uuid", "UUID")?;
        if obj.is_instance(uuid).map_err(|_| Fallback)? {
            let hex = obj
                .getattr(pyo3::intern!(py, "hex"))
                .map_err(|_| Fallback)?;
            if ffi::PyUnicode_Check(hex.as_ptr()) == 0 {
                return Err(Fallback);
            }
            self.tag_open(b" u");
            write_pystr(self.out, hex.as_ptr(), self.opts.ensure_ascii)?;
            self.out.push(b'}');
            return Ok(());
        }
        if obj.is_instance_of::<PyDateTime>() {
            return self.datetime(obj);
        }
        // Untagged: what the encoder does with str/int/float subclasses.
        if let Some(written) = self.scalar_subclass(p) {
            return written;
        }
        // date, Decimal, dataclasses (the provider's `default`), or a TypeError.
        Err(Fallback)
    }

    /// TagDateTime: `{" d": http_date(value)}`.
    fn datetime(&mut self, obj: &Bound<'py, PyAny>) -> Result<(), Fallback> {
        let py = self.py;
        if obj.is_exact_instance_of::<PyDateTime>() {
            // SAFETY: exact type checked just above.
            let dt = unsafe { obj.cast_unchecked::<PyDateTime>() };
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
        // SAFETY: `s` is alive; the type check comes first.
        unsafe {
            if ffi::PyUnicode_Check(s.as_ptr()) == 0 {
                return Err(Fallback);
            }
            self.tag_open(b" d");
            write_pystr(self.out, s.as_ptr(), self.opts.ensure_ascii)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// TagBytes: `{" b": b64encode(value).decode("ascii")}`.
    unsafe fn bytes(&mut self, p: *mut ffi::PyObject) -> Result<(), Fallback> {
        let n = ffi::PyBytes_Size(p);
        let s = ffi::PyBytes_AsString(p);
        if n < 0 || s.is_null() {
            return failed();
        }
        let data = std::slice::from_raw_parts(s as *const u8, n as usize);
        self.tag_open(b" b");
        self.out.push(b'"');
        let start = self.out.len();
        let enc_len = data.len().div_ceil(3) * 4;
        self.out.resize(start + enc_len, 0);
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(data, &mut self.out[start..])
            .map_err(|_| Fallback)?;
        self.out.truncate(start + written);
        self.out.extend_from_slice(b"\"}");
        Ok(())
    }

    fn list(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        let p = obj.as_ptr();
        let py = self.py;
        // SAFETY: `p` is an exact list kept alive by `obj`; the size is
        // re-read every step (like the stock encoder and list iterator), and
        // each item is owned while it is written.
        unsafe {
            if ffi::PyList_GET_SIZE(p) == 0 {
                self.out.extend_from_slice(b"[]");
                return Ok(());
            }
            self.out.push(b'[');
            let mut i = 0;
            while i < ffi::PyList_GET_SIZE(p) {
                if i > 0 {
                    self.item_sep();
                }
                let item = Bound::from_borrowed_ptr(py, ffi::PyList_GET_ITEM(p, i));
                self.value(&item, depth)?;
                i += 1;
            }
        }
        self.out.push(b']');
        Ok(())
    }

    /// Items of a tuple (borrowed: tuples are immutable), as a JSON array.
    unsafe fn tuple_items(&mut self, p: *mut ffi::PyObject, depth: usize) -> Result<(), Fallback> {
        let n = ffi::PyTuple_GET_SIZE(p);
        if n == 0 {
            self.out.extend_from_slice(b"[]");
            return Ok(());
        }
        self.out.push(b'[');
        for i in 0..n {
            if i > 0 {
                self.item_sep();
            }
            let item = Bound::from_borrowed_ptr(self.py, ffi::PyTuple_GET_ITEM(p, i));
            self.value(&item, depth)?;
        }
        self.out.push(b']');
        Ok(())
    }

    fn tuple(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        // SAFETY: exact tuple kept alive by `obj`.
        unsafe {
            if self.opts.flask_tags {
                self.tag_open(b" t");
                self.tuple_items(obj.as_ptr(), depth)?;
                self.out.push(b'}');
                Ok(())
            } else {
                self.tuple_items(obj.as_ptr(), depth)
            }
        }
    }

    /// A list or tuple subclass whose iteration is the base type's.
    unsafe fn sequence_subclass(
        &mut self,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        let p = obj.as_ptr();
        let ty = ffi::Py_TYPE(p);
        let is_list = ffi::PyList_Check(p) != 0;
        let base = if is_list {
            ptr::addr_of_mut!(ffi::PyList_Type)
        } else {
            ptr::addr_of_mut!(ffi::PyTuple_Type)
        };
        let own_iter = (*ty).tp_iter.map(|f| f as usize);
        let base_iter = (*base).tp_iter.map(|f| f as usize);
        if own_iter.is_none() || own_iter != base_iter {
            return Err(Fallback);
        }
        if is_list {
            self.list(obj, depth)
        } else {
            self.tuple_items(p, depth)
        }
    }

    fn dict(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> Result<(), Fallback> {
        if depth > MAX_DEPTH {
            return Err(Fallback);
        }
        let py = self.py;
        let p = obj.as_ptr();
        // SAFETY: `p` is an exact dict kept alive by `obj`. Keys and values
        // are taken as owned references before any Python code can run, and
        // the size is checked after each value (stock raises on a change).
        unsafe {
            let n = ffi::PyDict_Size(p);
            if n == 0 {
                self.out.extend_from_slice(b"{}");
                return Ok(());
            }
            let mut pos: ffi::Py_ssize_t = 0;
            let mut k: *mut ffi::PyObject = ptr::null_mut();
            let mut v: *mut ffi::PyObject = ptr::null_mut();
            if self.opts.flask_tags && n == 1 {
                // TagDict: a one-item dict whose key is a tag key.
                if ffi::PyDict_Next(p, &mut pos, &mut k, &mut v) == 0 {
                    return Err(Fallback);
                }
                if ffi::PyUnicode_Check(k) != 0 {
                    if ffi::PyUnicode_CheckExact(k) == 0 {
                        return Err(Fallback); // a str subclass could compare equal to a tag
                    }
                    if let StrData::L1(kb) = str_data(k)? {
                        if TAG_KEYS.contains(&kb) {
                            let value = Bound::from_borrowed_ptr(py, v);
                            let kb = kb.to_vec();
                            self.tag_open(b" di");
                            self.out.extend_from_slice(b"{\"");
                            self.out.extend_from_slice(&kb);
                            self.out.extend_from_slice(b"__\"");
                            self.key_sep();
                            self.value(&value, depth)?;
                            self.out.extend_from_slice(b"}}");
                            return Ok(());
                        }
                    }
                }
                pos = 0;
            }
            if self.opts.sort_keys && n > 1 {
                // Owned key and value with the key's text: the key object
                // outlives its text borrow because both sit in the same entry.
                let mut items: Vec<(StrData<'_>, Bound<'py, PyAny>, Bound<'py, PyAny>)> =
                    Vec::with_capacity(n as usize);
                while ffi::PyDict_Next(p, &mut pos, &mut k, &mut v) != 0 {
                    if ffi::PyUnicode_CheckExact(k) == 0 {
                        return Err(Fallback); // Python sorts before converting keys
                    }
                    items.push((
                        str_data(k)?,
                        Bound::from_borrowed_ptr(py, k),
                        Bound::from_borrowed_ptr(py, v),
                    ));
                }
                // Keys are distinct, so an unstable sort gives the same order.
                items.sort_unstable_by(|a, b| str_cmp(&a.0, &b.0));
                self.out.push(b'{');
                for (j, (text, _key, value)) in items.iter().enumerate() {
                    if j > 0 {
                        self.item_sep();
                    }
                    write_str_data(self.out, text, self.opts.ensure_ascii)?;
                    self.key_sep();
                    self.value(value, depth)?;
                    if ffi::PyDict_Size(p) != n {
                        return Err(Fallback);
                    }
                }
                self.out.push(b'}');
                return Ok(());
            }
            self.out.push(b'{');
            let mut first = true;
            while ffi::PyDict_Next(p, &mut pos, &mut k, &mut v) != 0 {
                let key = Bound::from_borrowed_ptr(py, k);
                let value = Bound::from_borrowed_ptr(py, v);
                if !first {
                    self.item_sep();
                }
                first = false;
                self.key(&key)?;
                self.key_sep();
                self.value(&value, depth)?;
                if ffi::PyDict_Size(p) != n {
                    return Err(Fallback);
                }
            }
            self.out.push(b'}');
            Ok(())
        }
    }

    /// A dict key converted like the C encoder: str, float, True/False/None, int.
    unsafe fn key(&mut self, key: &Bound<'py, PyAny>) -> Result<(), Fallback> {
        let k = key.as_ptr();
        let kind = if ffi::PyUnicode_Check(k) != 0 {
            Key::Str
        } else if ffi::PyFloat_Check(k) != 0 {
            Key::Float(ffi::PyFloat_AS_DOUBLE(k))
        } else if k == ffi::Py_True() {
            Key::Const(b"\"true\"")
        } else if k == ffi::Py_False() {
            Key::Const(b"\"false\"")
        } else if k == ffi::Py_None() {
            Key::Const(b"\"null\"")
        } else if ffi::PyLong_Check(k) != 0 {
            Key::Int
        } else {
            return Err(Fallback); // TypeError: keys must be str, int, ...
        };
        match kind {
            Key::Str => write_pystr(self.out, k, self.opts.ensure_ascii)?,
            Key::Float(f) => {
                self.out.push(b'"');
                write_json_float(self.out, f);
                self.out.push(b'"');
            }
            Key::Const(c) => self.out.extend_from_slice(c),
            Key::Int => {
                self.out.push(b'"');
                write_pyint(self.out, k)?;
                self.out.push(b'"');
            }
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
    let start = out.len();
    out.reserve(256);
    let mut d = Dumper {
        py: obj.py(),
        opts,
        out,
    };
    let r = d.value(obj, 0);
    if r.is_err() {
        out.truncate(start);
        // SAFETY: GIL held; no exception may leak out of a Fallback.
        unsafe { ffi::PyErr_Clear() };
    }
    r
}

/// `dump_py` of a dict subclass whose `items()` the caller knows to be
/// dict's own (so the C encoder's `PyMapping_Items` gives the dict's items in
/// order): written as the dict it is, with `opts`' plain rules.
pub fn dump_py_dict_subclass(
    obj: &Bound<'_, PyAny>,
    opts: &DumpOptions,
    out: &mut Vec<u8>,
) -> Result<(), Fallback> {
    // SAFETY: a type check on a live object.
    if unsafe { ffi::PyDict_Check(obj.as_ptr()) } == 0 || opts.flask_tags {
        return Err(Fallback);
    }
    let start = out.len();
    let mut d = Dumper {
        py: obj.py(),
        opts,
        out,
    };
    let r = d.dict(obj, 1);
    if r.is_err() {
        out.truncate(start);
        // SAFETY: GIL held; no exception may leak out of a Fallback.
        unsafe { ffi::PyErr_Clear() };
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
    slots: Vec<Option<(u64, Py<PyAny>)>>,
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
    unsafe fn get<'py>(
        &mut self,
        py: Python<'py>,
        key: &str,
    ) -> Result<Bound<'py, PyAny>, Fallback> {
        if self.slots.is_empty() {
            self.slots.resize_with(KEY_CACHE_SLOTS, || None);
        }
        let h = key_hash(key.as_bytes());
        let slot = (h as usize) & (KEY_CACHE_SLOTS - 1);
        if let Some((hh, obj)) = &self.slots[slot] {
            if *hh == h {
                if let StrData::L1(b) = str_data(obj.as_ptr())? {
                    if b == key.as_bytes() {
                        return Ok(obj.bind(py).clone());
                    }
                }
            }
        }
        let s = new_str(py, key, true)?;
        // Precompute the hash so every dict insert reuses it.
        if ffi::PyObject_Hash(s.as_ptr()) == -1 {
            return failed();
        }
        self.slots[slot] = Some((h, s.clone().unbind()));
        Ok(s)
    }
}

struct PyBuilder<'py, 'c> {
    py: Python<'py>,
    keys: Option<std::sync::MutexGuard<'c, KeyCache>>,
    flask_tags: bool,
    /// Items of the arrays under construction, innermost last.
    stack: Vec<Bound<'py, PyAny>>,
    /// NUL-terminated scratch for big integers.
    digits: Vec<u8>,
}

impl<'py> Builder for PyBuilder<'py, '_> {
    type Value = Bound<'py, PyAny>;
    type Array = usize;
    type Object = Bound<'py, PyAny>;
    type Error = Fallback;

    fn null(&mut self) -> Result<Self::Value, Fallback> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn boolean(&mut self, v: bool) -> Result<Self::Value, Fallback> {
        // SAFETY: borrowed singletons, promoted to owned references.
        unsafe {
            Ok(Bound::from_borrowed_ptr(
                self.py,
                if v { ffi::Py_True() } else { ffi::Py_False() },
            ))
        }
    }
    fn int(&mut self, v: i64) -> Result<Self::Value, Fallback> {
        // SAFETY: GIL held.
        unsafe { owned(self.py, ffi::PyLong_FromLongLong(v)) }
    }
    fn big_int(&mut self, text: &str) -> Result<Self::Value, Fallback> {
        self.digits.clear();
        self.digits.extend_from_slice(text.as_bytes());
        self.digits.push(0);
        // SAFETY: NUL-terminated ASCII digits; honours the interpreter's
        // current int digit limit by raising (then we fall back).
        unsafe {
            owned(
                self.py,
                ffi::PyLong_FromString(self.digits.as_ptr().cast(), ptr::null_mut(), 10),
            )
        }
    }
    fn float(&mut self, v: f64) -> Result<Self::Value, Fallback> {
        // SAFETY: GIL held.
        unsafe { owned(self.py, ffi::PyFloat_FromDouble(v)) }
    }
    fn string(&mut self, s: &str, ascii: bool) -> Result<Self::Value, Fallback> {
        // SAFETY: GIL held; `s` is valid UTF-8.
        unsafe { new_str(self.py, s, ascii) }
    }
    fn array_begin(&mut self) -> Result<usize, Fallback> {
        Ok(self.stack.len())
    }
    fn array_push(&mut self, _mark: &mut usize, v: Self::Value) -> Result<(), Fallback> {
        self.stack.push(v);
        Ok(())
    }
    fn array_end(&mut self, mark: usize) -> Result<Self::Value, Fallback> {
        let n = self.stack.len().saturating_sub(mark);
        // SAFETY: a new list of exactly n slots, each filled once with an
        // owned reference (PyList_SET_ITEM steals it).
        unsafe {
            let list = owned(self.py, ffi::PyList_New(n as ffi::Py_ssize_t))?;
            for (i, item) in self.stack.drain(mark..).enumerate() {
                ffi::PyList_SET_ITEM(list.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
            }
            Ok(list)
        }
    }
    fn object_begin(&mut self) -> Result<Self::Object, Fallback> {
        // SAFETY: GIL held.
        unsafe { owned(self.py, ffi::PyDict_New()) }
    }
    fn object_insert(
        &mut self,
        obj: &mut Self::Object,
        key: &str,
        key_ascii: bool,
        v: Self::Value,
    ) -> Result<(), Fallback> {
        // SAFETY: GIL held; PyDict_SetItem doesn't steal. Same semantics as
        // the stock scanner: a repeated key keeps its place, last value wins.
        unsafe {
            let k = match &mut self.keys {
                Some(cache) if key_ascii && key.len() <= KEY_CACHE_MAX_LEN => {
                    cache.get(self.py, key)?
                }
                _ => new_str(self.py, key, key_ascii)?,
            };
            if ffi::PyDict_SetItem(obj.as_ptr(), k.as_ptr(), v.as_ptr()) < 0 {
                return failed();
            }
        }
        Ok(())
    }
    fn object_end(&mut self, obj: Self::Object) -> Result<Self::Value, Fallback> {
        if self.flask_tags {
            self.untag(obj)
        } else {
            Ok(obj)
        }
    }
}

impl<'py> PyBuilder<'py, '_> {
    /// `TaggedJSONSerializer.untag` of a freshly built dict whose values are
    /// already untagged.
    fn untag(&mut self, obj: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, Fallback> {
        let py = self.py;
        let p = obj.as_ptr();
        // SAFETY: `p` is our own exact dict, with exact str keys.
        unsafe {
            if ffi::PyDict_Size(p) != 1 {
                return Ok(obj);
            }
            let mut pos: ffi::Py_ssize_t = 0;
            let mut k: *mut ffi::PyObject = ptr::null_mut();
            let mut v: *mut ffi::PyObject = ptr::null_mut();
            if ffi::PyDict_Next(p, &mut pos, &mut k, &mut v) == 0 {
                return failed();
            }
            let tag: &[u8] = match str_data(k)? {
                StrData::L1(kb) if kb.len() <= 3 && kb.first() == Some(&b' ') => kb,
                _ => return Ok(obj),
            };
            let value = Bound::from_borrowed_ptr(py, v);
            let vp = value.as_ptr();
            match tag {
                b" t" => owned(py, ffi::PySequence_Tuple(vp)),
                b" b" => {
                    if ffi::PyUnicode_CheckExact(vp) != 0 {
                        if let StrData::L1(s) = str_data(vp)? {
                            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s) {
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
                    if ffi::PyUnicode_CheckExact(vp) != 0 {
                        if let StrData::L1(s) = str_data(vp)? {
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
                    if ffi::PyDict_CheckExact(vp) == 0 {
                        return Err(Fallback);
                    }
                    let mut pos: ffi::Py_ssize_t = 0;
                    let mut k2: *mut ffi::PyObject = ptr::null_mut();
                    let mut v2: *mut ffi::PyObject = ptr::null_mut();
                    if ffi::PyDict_Next(vp, &mut pos, &mut k2, &mut v2) == 0
                        || ffi::PyUnicode_CheckExact(k2) == 0
                    {
                        return Err(Fallback);
                    }
                    let n = ffi::PyUnicode_GET_LENGTH(k2);
                    let sub = owned(py, ffi::PyUnicode_Substring(k2, 0, (n - 2).max(0)))?;
                    let d = owned(py, ffi::PyDict_New())?;
                    if ffi::PyDict_SetItem(d.as_ptr(), sub.as_ptr(), v2) < 0 {
                        return failed();
                    }
                    Ok(d)
                }
                _ => Ok(obj),
            }
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
    // Uncontended in practice (the GIL serializes callers); skip the cache
    // rather than wait if another thread has it.
    let keys = KEY_CACHE.try_lock().ok();
    let mut b = PyBuilder {
        py,
        keys,
        flask_tags,
        stack: Vec::new(),
        digits: Vec::new(),
    };
    let r = read::parse(json, &mut b).map_err(|_| Fallback);
    if r.is_err() {
        // SAFETY: GIL held; no exception may leak out of a Fallback.
        unsafe { ffi::PyErr_Clear() };
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
