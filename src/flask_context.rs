//! Whether the current Flask app context lets the engine stand in for a
//! session serializer: Flask's JSON depends on the app's provider, and the
//! serializer's tags can change after it was built, so this is asked on every
//! call. Asked here rather than in Python because, for a small session, the
//! Python version cost a tenth of the whole `dumps`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use super::context_vars::{context_var_value, is_context_var, stock_rerun_active};

/// What flask.py hands over once at import.
struct FlaskContext {
    /// `flask.globals._cv_app`
    app_context: Py<PyAny>,
    /// `flask.json.provider.DefaultJSONProvider`
    default_provider: Py<PyType>,
    /// Length of Flask's default tag list and of its keyed tags: a
    /// serializer whose lists grew has had a tag registered.
    default_tag_count: usize,
    default_tag_keys: usize,
}

static FLASK_CONTEXT: PyOnceLock<FlaskContext> = PyOnceLock::new();

#[pyfunction]
fn register_flask_context(
    app_context: &Bound<'_, PyAny>,
    default_provider: &Bound<'_, PyType>,
    default_tag_count: usize,
    default_tag_keys: usize,
) -> PyResult<()> {
    if !is_context_var(app_context) {
        return Err(pyo3::exceptions::PyTypeError::new_err("expected a ContextVar"));
    }
    let py = app_context.py();
    FLASK_CONTEXT.get_or_init(py, || FlaskContext {
        app_context: app_context.clone().unbind(),
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
    if stock_rerun_active(py)? {
        return Ok(false);
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
