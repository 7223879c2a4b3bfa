//! PyO3 bindings: thin wrappers that turn core results into Python objects.
//! Each submodule registers its own functions and classes.

use pyo3::prelude::*;

mod clock;
mod compress;
mod context_vars;
mod cookie;
mod engine;
mod fernet;
mod ffi;
mod flask_session;
mod json;
mod methods;
mod revocation;
mod starlette;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    compress::register(m)?;
    context_vars::register(m)?;
    cookie::register(m)?;
    engine::register(m)?;
    fernet::register(m)?;
    flask_session::register(m)?;
    json::register(m)?;
    methods::register(m)?;
    revocation::register(m)?;
    starlette::register(m)?;
    Ok(())
}
