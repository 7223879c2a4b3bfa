//! `zlib_compress` / `zlib_decompress`: CPython's `zlib.compress(data)` and
//! `zlib.decompress(data)` (with an output cap) backed by `itsdangerous_core::codec::compress`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use itsdangerous_core::codec::compress;

/// Below this size the work is shorter than releasing and retaking the GIL.
const DETACH_THRESHOLD: usize = 16 * 1024;

/// Same bytes as `zlib.compress(data)` (level 6).
#[pyfunction]
fn zlib_compress<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    let out = if data.len() >= DETACH_THRESHOLD {
        py.detach(|| compress::compress(data))
    } else {
        compress::compress(data)
    };
    PyBytes::new(py, &out)
}

/// `zlib.decompress(data)`, but raises ValueError if the result would be
/// longer than `max_output` bytes (and never allocates more than that), and
/// on any stream zlib.decompress would reject.
#[pyfunction]
fn zlib_decompress<'py>(
    py: Python<'py>,
    data: &[u8],
    max_output: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let result = if data.len() >= DETACH_THRESHOLD {
        py.detach(|| compress::decompress(data, max_output))
    } else {
        compress::decompress(data, max_output)
    };
    match result {
        Ok(out) => Ok(PyBytes::new(py, &out)),
        Err(e) => Err(PyValueError::new_err(e.to_string())),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(zlib_compress, m)?)?;
    m.add_function(wrap_pyfunction!(zlib_decompress, m)?)?;
    Ok(())
}
