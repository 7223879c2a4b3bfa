//! The raw CPython C-API calls of the bindings, each behind a small wrapper.
//!
//! Everything else in the extension goes through these or through PyO3's own
//! safe API. A wrapper is a safe function when its arguments (live `Bound`
//! references, which also prove the thread is attached) are all the C call
//! needs; it is an `unsafe fn` only where the caller must vouch for
//! something the types cannot show, and its `# Safety` section says what.
//!
//! Failed C calls come back as `PyResult` errors: the Python exception is
//! fetched (so no longer set) at the point of failure, as PyO3 does.
//!
//! The wrappers are `#[inline]`: most compile to a pointer compare or a field
//! read, and the JSON builder calls them per value.

use pyo3::ffi as capi;
use pyo3::prelude::*;

pub mod bytes;
pub mod call;
pub mod context_var;
pub mod dict;
pub mod list;
pub mod number;
pub mod str;
pub mod tuple;

/// The exception a failed C call left set (taken off the thread). Out of
/// line and cold, so the wrappers' error paths don't weigh on inlining.
#[cold]
#[inline(never)]
fn fetch_error(py: Python<'_>) -> PyErr {
    PyErr::fetch(py)
}

/// Own the new reference a C call returned, or take the exception it set.
///
/// # Safety
/// `p` must be a new (strong) reference, or NULL with an exception set.
#[inline]
unsafe fn owned_or_err(py: Python<'_>, p: *mut capi::PyObject) -> PyResult<Bound<'_, PyAny>> {
    if p.is_null() {
        Err(fetch_error(py))
    } else {
        // SAFETY: the caller vouches `p` is a new reference we now own.
        Ok(unsafe { Bound::from_owned_ptr(py, p) })
    }
}

/// Whether `obj`'s type is exactly `ty`, subclasses excluded.
#[inline]
fn has_exact_type(obj: &Bound<'_, PyAny>, ty: *mut capi::PyTypeObject) -> bool {
    // SAFETY: `obj` is a live object, so its type pointer is readable.
    unsafe { capi::Py_TYPE(obj.as_ptr()) == ty }
}

/// Drop any Python exception set on this thread.
#[inline]
pub fn clear_error(_py: Python<'_>) {
    // SAFETY: the `Python` token proves the thread is attached.
    unsafe { capi::PyErr_Clear() }
}

#[inline]
pub fn is_true(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: `Py_True` only takes the address of the static singleton.
    obj.as_ptr() == unsafe { capi::Py_True() }
}

#[inline]
pub fn is_false(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: `Py_False` only takes the address of the static singleton.
    obj.as_ptr() == unsafe { capi::Py_False() }
}

/// `True` or `False`.
#[inline]
pub fn bool_object(py: Python<'_>, value: bool) -> Bound<'_, PyAny> {
    // SAFETY: the singletons are immortal (or kept alive by the
    // interpreter); `from_borrowed_ptr` takes a new reference to one.
    unsafe { Bound::from_borrowed_ptr(py, if value { capi::Py_True() } else { capi::Py_False() }) }
}

/// `str(obj)`.
#[inline]
pub fn to_str<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `obj` is live; the result is a new reference or NULL with an
    // exception set.
    unsafe { owned_or_err(obj.py(), capi::PyObject_Str(obj.as_ptr())) }
}

/// `hash(obj)`, which a `str` also stores in itself for later lookups.
#[inline]
pub fn hash(obj: &Bound<'_, PyAny>) -> PyResult<isize> {
    // SAFETY: `obj` is live; -1 means an exception is set.
    let h = unsafe { capi::PyObject_Hash(obj.as_ptr()) };
    if h == -1 {
        Err(fetch_error(obj.py()))
    } else {
        Ok(h)
    }
}

/// Whether `obj`'s type has the same `tp_iter` slot as `base`: a subclass
/// that iterates exactly like its base type.
///
/// # Safety
/// `base` must point to a live, initialized type object.
#[inline]
unsafe fn iterates_like(obj: &Bound<'_, PyAny>, base: *mut capi::PyTypeObject) -> bool {
    // SAFETY: `obj`'s type is live as long as `obj`; the caller vouches for
    // `base`. Only the slots' addresses are compared.
    let (own, inherited) = unsafe { ((*capi::Py_TYPE(obj.as_ptr())).tp_iter, (*base).tp_iter) };
    match (own, inherited) {
        (Some(own), Some(inherited)) => own as usize == inherited as usize,
        _ => false,
    }
}
