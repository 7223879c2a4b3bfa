//! `int` and `float` objects.

use std::ffi::{c_int, CStr};
use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;

use super::has_exact_type;

#[inline]
pub fn is_exact_int(obj: &Bound<'_, PyAny>) -> bool {
    has_exact_type(obj, ptr::addr_of_mut!(capi::PyLong_Type))
}

/// An `int` or a subclass (`bool` included).
#[inline]
pub fn is_int(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a flag test on the type of a live object.
    unsafe { capi::PyLong_Check(obj.as_ptr()) != 0 }
}

/// The value of an `int` (or anything with `__index__`, which may run
/// Python code) when it fits in an `i64`; `Ok(None)` when it does not.
#[inline]
pub fn to_i64(obj: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    let mut overflow: c_int = 0;
    // SAFETY: `obj` is live; -1 with an exception set means failure.
    let v = unsafe { capi::PyLong_AsLongLongAndOverflow(obj.as_ptr(), &mut overflow) };
    if v == -1 {
        if let Some(err) = PyErr::take(obj.py()) {
            return Err(err);
        }
    }
    Ok((overflow == 0).then_some(v))
}

/// `int.__repr__(obj)` for an `int` or subclass (a subclass's own
/// `__repr__` is skipped, as the json encoder skips it). Raises past the
/// interpreter's int digit limit.
#[inline]
pub fn int_repr<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if !is_int(obj) {
        return Err(pyo3::exceptions::PyTypeError::new_err("int_repr of a non-int"));
    }
    // SAFETY: `PyLong_Type` is the interpreter's static int type, and `obj`
    // is a live int, the argument its `tp_repr` expects; the result is a
    // new reference or NULL with an exception set.
    unsafe {
        let Some(repr) = (*ptr::addr_of!(capi::PyLong_Type)).tp_repr else {
            return Err(pyo3::exceptions::PyTypeError::new_err("int has no tp_repr"));
        };
        super::owned_or_err(obj.py(), repr(obj.as_ptr()))
    }
}

/// A new `int`.
#[inline]
pub fn new_int(py: Python<'_>, v: i64) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: the result is a new reference or NULL with an exception set.
    unsafe { super::owned_or_err(py, capi::PyLong_FromLongLong(v)) }
}

/// `int(digits, 10)`; raises past the interpreter's int digit limit.
#[inline]
pub fn int_from_decimal<'py>(py: Python<'py>, digits: &CStr) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `digits` is NUL-terminated; the result is a new reference or
    // NULL with an exception set.
    unsafe { super::owned_or_err(py, capi::PyLong_FromString(digits.as_ptr(), ptr::null_mut(), 10)) }
}

/// The value of an exact `float`; `None` for any other type.
#[inline]
pub fn exact_float_value(obj: &Bound<'_, PyAny>) -> Option<f64> {
    if has_exact_type(obj, ptr::addr_of_mut!(capi::PyFloat_Type)) {
        // SAFETY: `obj` is a live float.
        Some(unsafe { capi::PyFloat_AS_DOUBLE(obj.as_ptr()) })
    } else {
        None
    }
}

/// The stored value of a `float` or subclass; `None` for any other type.
#[inline]
pub fn float_value(obj: &Bound<'_, PyAny>) -> Option<f64> {
    // SAFETY: `obj` is live, and read as a float only once it is one.
    unsafe {
        if capi::PyFloat_Check(obj.as_ptr()) != 0 {
            Some(capi::PyFloat_AS_DOUBLE(obj.as_ptr()))
        } else {
            None
        }
    }
}

/// A new `float`.
#[inline]
pub fn new_float(py: Python<'_>, v: f64) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: the result is a new reference or NULL with an exception set.
    unsafe { super::owned_or_err(py, capi::PyFloat_FromDouble(v)) }
}
