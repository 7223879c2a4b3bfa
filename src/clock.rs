//! The clock every binding reads.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

/// `time.time()`, looked up on each call as the Python layer does, so a
/// patched clock (freezegun, monkeypatch) is seen.
pub fn time_time(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static TIME: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    TIME.get_or_try_init(py, || py.import("time").map(Bound::unbind))?
        .bind(py)
        .getattr(intern!(py, "time"))?
        .call0()
}
