//! ContextVars the bindings read on every call, read without a Python call.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// `_engine.stock_only`: set while stock code re-runs a call the engine
/// declined, so the engine stays out of that re-run.
static STOCK_ONLY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The variable's value in the current context (its default if unset), or
/// None when it has neither.
pub fn context_var_value<'py>(py: Python<'py>, var: &Py<PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    crate::ffi::context_var::get(var.bind(py))
}

pub use crate::ffi::context_var::is_context_var;

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
