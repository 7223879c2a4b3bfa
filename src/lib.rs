//! PyO3 bindings: thin wrappers that turn core results into Python objects.
//! Each submodule registers its own functions and classes.

use pyo3::prelude::*;

mod compress;
mod context_vars;
mod engine;
mod flask_session;
mod json;
mod methods;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    compress::register(m)?;
    context_vars::register(m)?;
    engine::register(m)?;
    flask_session::register(m)?;
    json::register(m)?;
    methods::register(m)?;
    Ok(())
}
