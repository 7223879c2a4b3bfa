//! `str` objects: reading their PEP 393 storage, and making new ones.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::has_exact_type;

/// The code units of a `str`, in its PEP 393 storage (one, two or four
/// bytes per code point).
#[derive(Clone, Copy)]
pub enum StrData<'a> {
    L1(&'a [u8]),
    U2(&'a [u16]),
    U4(&'a [u32]),
}

impl StrData<'_> {
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            StrData::L1(s) => s.len(),
            StrData::U2(s) => s.len(),
            StrData::U4(s) => s.len(),
        }
    }

    /// The code point at `i`; panics past the end, like slice indexing.
    #[inline]
    pub fn at(&self, i: usize) -> u32 {
        match self {
            StrData::L1(s) => u32::from(s[i]),
            StrData::U2(s) => u32::from(s[i]),
            StrData::U4(s) => s[i],
        }
    }
}

/// `obj` as a str if its type is exactly `str`.
#[inline]
pub fn exact_str<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyString>> {
    if has_exact_type(obj, ptr::addr_of_mut!(capi::PyUnicode_Type)) {
        // SAFETY: the type was just checked.
        Some(unsafe { obj.cast_unchecked::<PyString>() })
    } else {
        None
    }
}

/// `obj` as a str if it is a `str` or a subclass.
#[inline]
pub fn as_str<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyString>> {
    // SAFETY: a flag test on the type of a live object, then a cast the
    // test allows.
    unsafe {
        if capi::PyUnicode_Check(obj.as_ptr()) != 0 {
            Some(obj.cast_unchecked::<PyString>())
        } else {
            None
        }
    }
}

/// The storage of a `str` (or subclass: its text), borrowed for as long
/// as `obj` (a `str`'s text never changes). `None` when a legacy string
/// cannot be made ready (exception fetched).
#[inline]
pub fn str_data<'a>(obj: &'a Bound<'_, PyString>) -> Option<StrData<'a>> {
    let p = obj.as_ptr();
    // SAFETY: `p` is a live str. After PyUnicode_READY (a no-op since 3.12)
    // its canonical storage holds `len` units of `kind`'s width at
    // PyUnicode_DATA, which stays valid and unchanged while `obj` lives,
    // and `'a` borrows `obj`.
    unsafe {
        #[allow(deprecated)]
        if capi::PyUnicode_READY(p) < 0 {
            drop(super::fetch_error(obj.py()));
            return None;
        }
        let len = usize::try_from(capi::PyUnicode_GET_LENGTH(p)).ok()?;
        if len == 0 {
            return Some(StrData::L1(&[]));
        }
        let data = capi::PyUnicode_DATA(p);
        Some(match capi::PyUnicode_KIND(p) {
            capi::PyUnicode_1BYTE_KIND => StrData::L1(std::slice::from_raw_parts(data.cast(), len)),
            capi::PyUnicode_2BYTE_KIND => StrData::U2(std::slice::from_raw_parts(data.cast(), len)),
            capi::PyUnicode_4BYTE_KIND => StrData::U4(std::slice::from_raw_parts(data.cast(), len)),
            _ => return None,
        })
    }
}

/// An owned `str` object together with its storage, for keeping the two in
/// one place (sorting dict keys by their text).
pub struct StrText<'py> {
    /// Keeps the storage alive; only its reference is held.
    _owner: Bound<'py, PyAny>,
    /// `obj`'s storage; the `'static` is a stand-in for "while `obj` lives",
    /// which [`StrText::text`] narrows to a borrow of `self`.
    data: StrData<'static>,
}

impl<'py> StrText<'py> {
    /// `None` if `obj`'s type is not exactly `str` (or see [`str_data`]).
    #[inline]
    pub fn new_exact(obj: Bound<'py, PyAny>) -> Option<Self> {
        let data = str_data(exact_str(&obj)?)?;
        // SAFETY: the storage lives as long as the object, which `self` owns
        // and never replaces; `text` only lends it out for a borrow of `self`.
        let data = unsafe { std::mem::transmute::<StrData<'_>, StrData<'static>>(data) };
        Some(StrText { _owner: obj, data })
    }

    #[inline]
    pub fn text(&self) -> StrData<'_> {
        self.data
    }
}

/// The length in code points.
#[inline]
pub fn len(obj: &Bound<'_, PyString>) -> isize {
    // SAFETY: `obj` is a live str.
    unsafe { capi::PyUnicode_GET_LENGTH(obj.as_ptr()) }
}

/// `obj[start:end]` (indices clamped as in Python).
#[inline]
pub fn substring<'py>(obj: &Bound<'py, PyString>, start: isize, end: isize) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `obj` is a live str; the result is a new reference or NULL
    // with an exception set.
    unsafe { super::owned_or_err(obj.py(), capi::PyUnicode_Substring(obj.as_ptr(), start, end)) }
}

/// A `str`'s UTF-8 form (cached in the object), borrowed for as long as it.
#[inline]
pub fn utf8<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    let mut n: capi::Py_ssize_t = 0;
    // SAFETY: `obj` is live (a non-str raises); on success the pointer
    // addresses `n` bytes that the str keeps until it is freed.
    unsafe {
        let s = capi::PyUnicode_AsUTF8AndSize(obj.as_ptr(), &mut n);
        if s.is_null() {
            return Err(super::fetch_error(obj.py()));
        }
        Ok(std::slice::from_raw_parts(s.cast(), n as usize))
    }
}

/// A new `str` from UTF-8 text.
#[inline]
pub fn new_utf8<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyString>> {
    // SAFETY: `s` is `len` bytes of valid UTF-8; the result is a new
    // reference to a str or NULL with an exception set.
    unsafe {
        Ok(super::owned_or_err(py, capi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as capi::Py_ssize_t))?
            .cast_into_unchecked::<PyString>())
    }
}

/// A new `str` from ASCII bytes, copied straight into its one-byte storage
/// (PyUnicode_FromStringAndSize would run the UTF-8 decoder over them).
///
/// # Safety
/// Every byte must be below 128: the new str's header says it is ASCII, and
/// Python relies on that (its UTF-8 form is the same bytes).
#[inline]
pub unsafe fn new_ascii<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    debug_assert!(bytes.is_ascii());
    // SAFETY: a new compact ASCII str has `len` writable bytes at
    // PyUnicode_DATA, its terminator already in place, and nothing else
    // sees it before it is returned; the caller vouches the bytes are ASCII.
    unsafe {
        let p = capi::PyUnicode_New(bytes.len() as capi::Py_ssize_t, 127);
        if p.is_null() {
            return Err(super::fetch_error(py));
        }
        ptr::copy_nonoverlapping(bytes.as_ptr(), capi::PyUnicode_DATA(p).cast::<u8>(), bytes.len());
        Ok(Bound::from_owned_ptr(py, p).cast_into_unchecked::<PyString>())
    }
}

/// A new `str` from UTF-8 text the JSON reader has already classified.
///
/// # Safety
/// When `ascii` is true every byte of `s` must be below 128 (see
/// [`new_ascii`]).
#[inline]
pub unsafe fn new_str<'py>(py: Python<'py>, s: &str, ascii: bool) -> PyResult<Bound<'py, PyString>> {
    if ascii {
        // SAFETY: the caller vouches `s` is ASCII.
        unsafe { new_ascii(py, s.as_bytes()) }
    } else {
        new_utf8(py, s)
    }
}
