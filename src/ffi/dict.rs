//! `dict` objects: reading entries in order and building new dicts.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::has_exact_type;

/// `obj` as a dict if its type is exactly `dict`.
#[inline]
pub fn exact_dict<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyDict>> {
    if has_exact_type(obj, ptr::addr_of_mut!(capi::PyDict_Type)) {
        // SAFETY: the type was just checked.
        Some(unsafe { obj.cast_unchecked::<PyDict>() })
    } else {
        None
    }
}

/// A `dict` or a subclass.
#[inline]
pub fn is_dict(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a flag test on the type of a live object.
    unsafe { capi::PyDict_Check(obj.as_ptr()) != 0 }
}

/// The number of entries.
#[inline]
pub fn len(dict: &Bound<'_, PyDict>) -> isize {
    // SAFETY: `dict` is a live dict.
    unsafe { capi::PyDict_Size(dict.as_ptr()) }
}

/// A position in a dict's entries for [`next_entry`]; starts at the first.
#[derive(Default)]
pub struct Position(capi::Py_ssize_t);

/// The entry at or after `pos`, as new references (so Python code run
/// while they are in use cannot free them), and advance `pos` past it.
/// `None` at the end. Like the dict iterator's C loop, it does not notice a
/// dict changed in between: callers compare [`len`] themselves.
#[inline]
pub fn next_entry<'py>(dict: &Bound<'py, PyDict>, pos: &mut Position) -> Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let mut key: *mut capi::PyObject = ptr::null_mut();
    let mut value: *mut capi::PyObject = ptr::null_mut();
    // SAFETY: `dict` is live; on success `key` and `value` are borrowed
    // from it and turned into new references before anything else runs.
    unsafe {
        if capi::PyDict_Next(dict.as_ptr(), &mut pos.0, &mut key, &mut value) == 0 {
            return None;
        }
        Some((Bound::from_borrowed_ptr(dict.py(), key), Bound::from_borrowed_ptr(dict.py(), value)))
    }
}

/// A new empty dict.
#[inline]
pub fn new(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    // SAFETY: the result is a new reference to a dict, or NULL with an
    // exception set.
    unsafe { Ok(super::owned_or_err(py, capi::PyDict_New())?.cast_into_unchecked::<PyDict>()) }
}

/// `dict[key] = value` (neither reference is stolen).
#[inline]
pub fn set_item(dict: &Bound<'_, PyDict>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: all three are live; -1 means an exception is set.
    if unsafe { capi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), value.as_ptr()) } < 0 {
        Err(super::fetch_error(dict.py()))
    } else {
        Ok(())
    }
}
