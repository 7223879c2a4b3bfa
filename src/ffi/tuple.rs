//! `tuple` objects.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::{has_exact_type, iterates_like};

/// `obj` as a tuple if its type is exactly `tuple`.
#[inline]
pub fn exact_tuple<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyTuple>> {
    if has_exact_type(obj, ptr::addr_of_mut!(capi::PyTuple_Type)) {
        // SAFETY: the type was just checked.
        Some(unsafe { obj.cast_unchecked::<PyTuple>() })
    } else {
        None
    }
}

/// `obj` as a tuple if it is a tuple subclass that iterates like `tuple`.
#[inline]
pub fn tuple_like<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyTuple>> {
    // SAFETY: a flag test on the type of a live object; `PyTuple_Type` is
    // the interpreter's static tuple type.
    unsafe {
        if capi::PyTuple_Check(obj.as_ptr()) != 0 && iterates_like(obj, ptr::addr_of_mut!(capi::PyTuple_Type)) {
            Some(obj.cast_unchecked::<PyTuple>())
        } else {
            None
        }
    }
}

/// A `tuple` or a subclass.
#[inline]
pub fn is_tuple(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a flag test on the type of a live object.
    unsafe { capi::PyTuple_Check(obj.as_ptr()) != 0 }
}

#[inline]
pub fn len(tuple: &Bound<'_, PyTuple>) -> isize {
    // SAFETY: `tuple` is a live tuple.
    unsafe { capi::PyTuple_GET_SIZE(tuple.as_ptr()) }
}

/// The items, borrowed: a tuple's items never change while it lives.
#[inline]
pub fn items<'a, 'py>(tuple: &'a Bound<'py, PyTuple>) -> impl Iterator<Item = Borrowed<'a, 'py, PyAny>> {
    (0..len(tuple)).map(move |i| {
        // SAFETY: `i` is below the fixed size, and the slot holds a live
        // item for as long as `tuple` (borrowed for 'a) lives.
        unsafe { Borrowed::from_ptr(tuple.py(), capi::PyTuple_GET_ITEM(tuple.as_ptr(), i)) }
    })
}

/// `tuple(obj)`.
#[inline]
pub fn from_sequence<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `obj` is live; the result is a new reference or NULL with an
    // exception set.
    unsafe { super::owned_or_err(obj.py(), capi::PySequence_Tuple(obj.as_ptr())) }
}
