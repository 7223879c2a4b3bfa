//! Whether the current Flask app context lets the engine stand in for a
//! session serializer: Flask's JSON depends on the app's provider, and the
//! serializer's tags can change after it was built, so this is asked on every
//! call. Asked here rather than in Python because, for a small session, the
//! Python version cost a tenth of the whole `dumps`.

use std::ptr;

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// What flask.py hands over once at import.
struct FlaskContext {
    /// `flask.globals._cv_app`
    app_context: Py<PyAny>,
    /// `_engine.stock_only`: set while stock re-runs a declined call.
    stock_only: Py<PyAny>,
    /// `flask.json.provider.DefaultJSONProvider`
    default_provider: Py<PyType>,
    /// Length of Flask's default tag list and of its keyed tags: a
    /// serializer whose lists grew has had a tag registered.
    default_tag_count: usize,
    default_tag_keys: usize,
}

static FLASK_CONTEXT: PyOnceLock<FlaskContext> = PyOnceLock::new();

/// The variable's value in the current context (its default if unset), or
/// None when it has neither.
fn context_var_value<'py>(py: Python<'py>, var: &Py<PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
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

fn is_context_var(var: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a type check on a live object.
    unsafe { ffi::PyContextVar_CheckExact(var.as_ptr()) != 0 }
}

#[pyfunction]
fn register_flask_context(
    app_context: &Bound<'_, PyAny>,
    stock_only: &Bound<'_, PyAny>,
    default_provider: &Bound<'_, PyType>,
    default_tag_count: usize,
    default_tag_keys: usize,
) -> PyResult<()> {
    if !is_context_var(app_context) || !is_context_var(stock_only) {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "expected two ContextVars",
        ));
    }
    let py = app_context.py();
    FLASK_CONTEXT.get_or_init(py, || FlaskContext {
        app_context: app_context.clone().unbind(),
        stock_only: stock_only.clone().unbind(),
        default_provider: default_provider.clone().unbind(),
        default_tag_count,
        default_tag_keys,
    });
    Ok(())
}

/// True when an engine built for `serializer` (a TaggedJSONSerializer whose
/// tags were verified as Flask's defaults) gives stock's bytes right now:
/// not inside a stock re-run, inside an app context whose JSON provider is
/// Flask's default with sorted, ASCII output, and with no tag added since.
pub fn engine_allowed(serializer: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = serializer.py();
    let Some(context) = FLASK_CONTEXT.get(py) else {
        return Ok(false);
    };
    if let Some(stock_only) = context_var_value(py, &context.stock_only)? {
        if stock_only.is_truthy()? {
            return Ok(false);
        }
    }
    let Some(app_context) = context_var_value(py, &context.app_context)? else {
        return Ok(false);
    };
    let provider = app_context
        .getattr(intern!(py, "app"))?
        .getattr(intern!(py, "json"))?;
    let py_true = pyo3::types::PyBool::new(py, true);
    Ok(provider.get_type().is(context.default_provider.bind(py))
        && provider.getattr(intern!(py, "sort_keys"))?.is(&*py_true)
        && provider.getattr(intern!(py, "ensure_ascii"))?.is(&*py_true)
        && serializer.getattr(intern!(py, "order"))?.len()? == context.default_tag_count
        && serializer.getattr(intern!(py, "tags"))?.len()? == context.default_tag_keys)
}

/// `engine_allowed` for Python, where an error means no (stock then runs
/// and meets the same error itself).
#[pyfunction]
fn flask_engine_allowed(serializer: &Bound<'_, PyAny>) -> bool {
    engine_allowed(serializer).unwrap_or(false)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(register_flask_context, m)?)?;
    m.add_function(wrap_pyfunction!(flask_engine_allowed, m)?)?;
    Ok(())
}
