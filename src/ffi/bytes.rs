//! `bytes` objects.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;

use super::has_exact_type;

#[inline]
pub fn is_exact_bytes(obj: &Bound<'_, PyAny>) -> bool {
    has_exact_type(obj, ptr::addr_of_mut!(capi::PyBytes_Type))
}

/// The contents of a `bytes` (or subclass), borrowed for as long as it;
/// `None` for other types.
#[inline]
pub fn data<'a>(obj: &'a Bound<'_, PyAny>) -> Option<&'a [u8]> {
    // SAFETY: `obj` is live and read as bytes only once it is one; a
    // bytes object's contents never change while it lives.
    unsafe {
        let p = obj.as_ptr();
        if capi::PyBytes_Check(p) == 0 {
            return None;
        }
        let n = capi::PyBytes_Size(p);
        let s = capi::PyBytes_AsString(p);
        if n < 0 || s.is_null() {
            drop(super::fetch_error(obj.py()));
            return None;
        }
        Some(std::slice::from_raw_parts(s.cast(), n as usize))
    }
}

/// A `bytes` or a subclass.
#[inline]
pub fn is_bytes(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a flag test on the type of a live object.
    unsafe { capi::PyBytes_Check(obj.as_ptr()) != 0 }
}
