//! `list` objects: reading items as the json encoder does, and building.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::{has_exact_type, iterates_like};

/// `obj` as a list if its type is exactly `list`.
#[inline]
pub fn exact_list<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyList>> {
    if has_exact_type(obj, ptr::addr_of_mut!(capi::PyList_Type)) {
        // SAFETY: the type was just checked.
        Some(unsafe { obj.cast_unchecked::<PyList>() })
    } else {
        None
    }
}

/// `obj` as a list if it is a list subclass that iterates like `list`.
#[inline]
pub fn list_like<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyList>> {
    // SAFETY: a flag test on the type of a live object; `PyList_Type` is
    // the interpreter's static list type.
    unsafe {
        if capi::PyList_Check(obj.as_ptr()) != 0 && iterates_like(obj, ptr::addr_of_mut!(capi::PyList_Type)) {
            Some(obj.cast_unchecked::<PyList>())
        } else {
            None
        }
    }
}

/// A `list` or a subclass.
#[inline]
pub fn is_list(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a flag test on the type of a live object.
    unsafe { capi::PyList_Check(obj.as_ptr()) != 0 }
}

#[inline]
pub fn len(list: &Bound<'_, PyList>) -> isize {
    // SAFETY: `list` is a live list.
    unsafe { capi::PyList_GET_SIZE(list.as_ptr()) }
}

/// The item at `index` as a new reference, or `None` past the current end
/// (the list may change between calls, as in the json encoder's loop).
#[inline]
pub fn get<'py>(list: &Bound<'py, PyList>, index: isize) -> Option<Bound<'py, PyAny>> {
    if index < 0 || index >= len(list) {
        return None;
    }
    // SAFETY: `index` is within the list's current size, whose slots all
    // hold live items; the item becomes a new reference at once.
    Some(unsafe { Bound::from_borrowed_ptr(list.py(), capi::PyList_GET_ITEM(list.as_ptr(), index)) })
}

/// A new list of `items[start..]`, which are moved out of `items`.
#[inline]
pub fn from_tail<'py>(py: Python<'py>, items: &mut Vec<Bound<'py, PyAny>>, start: usize) -> PyResult<Bound<'py, PyAny>> {
    let start = start.min(items.len());
    let n = items.len() - start;
    // SAFETY: a new list of exactly `n` empty slots, each filled once with
    // an owned reference (PyList_SET_ITEM steals it) before the list is
    // returned; `drain` yields exactly `n` items.
    unsafe {
        let list = super::owned_or_err(py, capi::PyList_New(n as capi::Py_ssize_t))?;
        for (i, item) in items.drain(start..).enumerate() {
            capi::PyList_SET_ITEM(list.as_ptr(), i as capi::Py_ssize_t, item.into_ptr());
        }
        Ok(list)
    }
}
