//! The session cookie's value straight from `environ["HTTP_COOKIE"]`.

use pyo3::prelude::*;

use crate::cookie::find_cookie;

/// `request.cookies.get(name)`, or `NotImplemented` when Werkzeug must parse.
#[pyfunction]
fn cookie_value<'py>(py: Python<'py>, header: &str, name: &str) -> Bound<'py, PyAny> {
    match find_cookie(header, name) {
        Ok(Some(value)) => pyo3::types::PyString::new(py, value).into_any(),
        Ok(None) => py.None().into_bound(py),
        Err(_) => py.NotImplemented().into_bound(py),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cookie_value, m)?)
}
