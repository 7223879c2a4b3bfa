//! `contextvars.ContextVar` objects, read without a Python call.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;

#[inline]
pub fn is_context_var(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a type check on a live object.
    unsafe { capi::PyContextVar_CheckExact(obj.as_ptr()) != 0 }
}

/// The variable's value in the current context (its default if unset), or
/// `None` when it has neither. An error if `var` is not a ContextVar.
#[inline]
pub fn get<'py>(var: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = var.py();
    if !is_context_var(var) {
        return Err(pyo3::exceptions::PyTypeError::new_err("expected a ContextVar"));
    }
    let mut value: *mut capi::PyObject = ptr::null_mut();
    // SAFETY: `var` is a live ContextVar; on success `value` is a new
    // reference or NULL.
    unsafe {
        if capi::PyContextVar_Get(var.as_ptr(), ptr::null_mut(), &mut value) < 0 {
            return Err(super::fetch_error(py));
        }
        Ok(Bound::from_owned_ptr_or_opt(py, value))
    }
}
