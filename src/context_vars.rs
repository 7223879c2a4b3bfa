//! ContextVars the bindings read on every call, read without a Python call.

use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// `_engine.stock_only`: set while stock code re-runs a call the engine
/// declined, so the engine stays out of that re-run.
static STOCK_ONLY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The variable's value in the current context (its default if unset), or
/// None when it has neither.
pub fn context_var_value<'py>(py: Python<'py>, var: &Py<PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut value: *mut ffi::PyObject = ptr::null_mut();
    // SAFETY: `var` is a live object (registration checked it is a
    // ContextVar); on success `value` is a new reference or NULL.
    let status = unsafe { ffi::PyContextVar_Get(var.as_ptr(), ptr::null_mut(), &mut value) };
    if status < 0 {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: a new reference we now own, or NULL.
    Ok(unsafe { Bound::from_owned_ptr_or_opt(py, value) })
}

pub fn is_context_var(var: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a type check on a live object.
    unsafe { ffi::PyContextVar_CheckExact(var.as_ptr()) != 0 }
}

#[pyfunction]
fn register_stock_only(var: &Bound<'_, PyAny>) -> PyResult<()> {
    if !is_context_var(var) {
        return Err(pyo3::exceptions::PyTypeError::new_err("expected a ContextVar"));
    }
    STOCK_ONLY.get_or_init(var.py(), || var.clone().unbind());
    Ok(())
}

/// True while stock code re-runs a declined call; also true before
/// registration, when there is no Python layer to say otherwise.
pub fn stock_rerun_active(py: Python<'_>) -> PyResult<bool> {
    let Some(var) = STOCK_ONLY.get(py) else {
        return Ok(true);
    };
    match context_var_value(py, var)? {
        Some(value) => value.is_truthy(),
        None => Ok(false),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(register_stock_only, m)?)?;
    Ok(())
}
