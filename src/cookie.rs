//! The session cookie's value straight from `environ["HTTP_COOKIE"]`.

use pyo3::prelude::*;

use super::ffi::str::new_ascii;
use itsdangerous_core::cookie::find_cookie;

/// `request.cookies.get(name)`, or `NotImplemented` when Werkzeug must parse.
#[pyfunction]
fn cookie_value<'py>(py: Python<'py>, header: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    match find_cookie(header, name) {
        // SAFETY: find_cookie only reads headers of printable ASCII.
        Ok(Some(value)) => unsafe { new_ascii(py, value.as_bytes()) }.map(Bound::into_any),
        Ok(None) => Ok(py.None().into_bound(py)),
        Err(_) => Ok(py.NotImplemented().into_bound(py)),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cookie_value, m)?)
}
