//! `Serializer.dumps` and `TimedSerializer.loads` as C-level method descriptors.
//!
//! As Python methods in front of the engine they cost a frame, argument
//! binding, the `time.time()` lookup and a second call into Rust: 1.1-1.6k
//! instructions, 5-7% of a small session's `loads`. A method descriptor's
//! call comes straight here. Only the default call shape with a prepared engine is
//! handled here; every other call goes to the class's original Python method
//! (kept as `_dumps_python`/`_loads_python`) with its arguments untouched, so
//! binding, errors and every other path stay the Python method's.

use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::intern;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};

use super::clock::time_time;
use super::context_vars::stock_rerun_active;
use super::engine::{Engine, Rejected};
use super::ffi::call::{self as ffi_call, VectorcallArgs};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    /// `Serializer.dumps(obj, salt=None)`
    Dumps,
    /// `TimedSerializer.loads(s, max_age=None, return_timestamp=False, salt=None)`
    TimedLoads,
}

const DUMPS_PARAMS: [&str; 2] = ["obj", "salt"];
const LOADS_PARAMS: [&str; 4] = ["s", "max_age", "return_timestamp", "salt"];

impl Method {
    const ALL: [Method; 2] = [Self::Dumps, Self::TimedLoads];

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "dumps" => Self::Dumps,
            "timed_loads" => Self::TimedLoads,
            _ => return None,
        })
    }

    fn is_dumps(self) -> bool {
        self == Self::Dumps
    }

    /// The attribute the descriptor replaces.
    fn attribute(self) -> &'static CStr {
        if self.is_dumps() {
            c"dumps"
        } else {
            c"loads"
        }
    }

    /// Where the original Python method is kept: every call the fast path
    /// does not take goes there.
    fn python_method(self) -> &'static str {
        if self.is_dumps() {
            "_dumps_python"
        } else {
            "_loads_python"
        }
    }

    /// The class's method for a call the engine declined (a token it cannot
    /// read, an object it does not write): stock, without the engine retrying.
    fn declined_method(self) -> &'static str {
        if self.is_dumps() {
            "_dumps_declined"
        } else {
            "_loads_declined"
        }
    }

    fn doc(self) -> &'static CStr {
        if self.is_dumps() {
            c"dumps($self, /, obj, salt=None)\n--\n\nitsdangerous's dumps; the default configuration runs in Rust."
        } else {
            c"loads($self, /, s, max_age=None, return_timestamp=False, salt=None)\n--\n\nitsdangerous's loads; the default configuration runs in Rust."
        }
    }

    fn function(self) -> ffi::PyCMethod {
        match self {
            Self::Dumps => method::<0>,
            Self::TimedLoads => method::<1>,
        }
    }
}

/// The arguments of one vectorcall, with the instance it was called on.
struct Call<'a> {
    this: *mut ffi::PyObject,
    args: VectorcallArgs<'a>,
}

impl Call<'_> {
    /// The arguments bound to `params` by position or by keyword; None for
    /// any other shape (too many, unknown or repeated names), which the
    /// Python method then binds or rejects.
    fn bind<'py, const N: usize>(&self, py: Python<'py>, params: [&str; N]) -> Option<[Option<Borrowed<'_, 'py, PyAny>>; N]> {
        let args = &self.args;
        if args.positional.len() > N {
            return None;
        }
        let mut bound: [Option<Borrowed<'_, 'py, PyAny>>; N] = [None; N];
        for (slot, &arg) in bound.iter_mut().zip(args.positional) {
            // SAFETY: the caller's arguments live for the whole call.
            *slot = Some(unsafe { Borrowed::from_ptr(py, arg) });
        }
        if args.keyword_values.is_empty() {
            return Some(bound);
        }
        // SAFETY: with keyword values, CPython passes their names as a tuple.
        let names = unsafe { Borrowed::from_ptr(py, args.keyword_names) }.cast::<PyTuple>().ok()?;
        for (name, &value) in names.iter().zip(args.keyword_values) {
            let name = name.cast::<PyString>().ok()?;
            let name = name.to_str().ok()?;
            let index = params.iter().position(|&param| param == name)?;
            if bound[index].is_some() {
                return None;
            }
            // SAFETY: as above.
            bound[index] = Some(unsafe { Borrowed::from_ptr(py, value) });
        }
        Some(bound)
    }

    /// The same call, with `self` first, to `function`.
    fn forward<'py>(&self, function: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let VectorcallArgs { positional, keyword_values, keyword_names } = &self.args;
        let mut args = Vec::with_capacity(1 + positional.len() + keyword_values.len());
        args.push(self.this);
        args.extend_from_slice(positional);
        args.extend_from_slice(keyword_values);
        // SAFETY: every pointer is a live argument of this call; the names
        // tuple (or NULL) matches the trailing keyword values.
        unsafe { ffi_call::vectorcall(function, &args, 1 + positional.len(), *keyword_names) }
    }
}

fn absent_or_none(arg: Option<Borrowed<'_, '_, PyAny>>) -> bool {
    arg.is_none_or(|arg| arg.is_none())
}

/// The engine `_rs_engine` prepared and kept in `self.__dict__`, if any;
/// never a Flask session engine, whose output depends on the app context
/// (these methods can meet a session serializer through `super()`).
fn prepared_engine<'py>(this: &Bound<'py, PyAny>) -> Option<Bound<'py, Engine>> {
    let py = this.py();
    let Ok(dict) = ffi_call::instance_dict(this) else {
        return None; // no __dict__: the Python method says what happens
    };
    let dict = dict.cast_into::<PyDict>().ok()?;
    let engine = dict.get_item(intern!(py, "_rs_default_engine")).ok()??.cast_into::<Engine>().ok()?;
    if engine.get().is_flask_session() {
        return None;
    }
    // The keys the engine was built from: a list changed in place since
    // (`s.secret_keys.append(k)`) sends the call to the Python method, which
    // rebuilds the engine, as stock would sign with the new last key.
    let keys = dict.get_item(intern!(py, "secret_keys")).ok()??;
    let seen = dict.get_item(intern!(py, "_rs_keys")).ok()??.cast_into::<PyTuple>().ok()?;
    same_items(&keys, &seen).then_some(engine)
}

/// True when `keys` (a list or tuple) holds exactly the objects in `seen`, in order.
fn same_items(keys: &Bound<'_, PyAny>, seen: &Bound<'_, PyTuple>) -> bool {
    let same = |item: Option<Bound<'_, PyAny>>, index: usize| item.is_some_and(|item| seen.get_item(index).is_ok_and(|s| s.is(&item)));
    if let Ok(list) = keys.cast::<PyList>() {
        list.len() == seen.len() && (0..list.len()).all(|i| same(list.get_item(i).ok(), i))
    } else if let Ok(tuple) = keys.cast::<PyTuple>() {
        tuple.len() == seen.len() && (0..tuple.len()).all(|i| same(tuple.get_item(i).ok(), i))
    } else {
        false
    }
}


fn call_method<'py>(py: Python<'py>, method: Method, class: &Bound<'py, PyType>, call: &Call<'_>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: CPython passes the instance the descriptor was called on.
    let this = unsafe { Bound::from_borrowed_ptr(py, call.this) };
    match fast_path(py, method, &this, call)? {
        FastPath::Done(result) => Ok(result),
        FastPath::Declined(handler, mut args) => {
            args.insert(0, this);
            class.getattr(handler)?.call1(PyTuple::new(py, args)?)
        }
        FastPath::NotTaken => call.forward(&class.getattr(method.python_method())?),
    }
}

enum FastPath<'py> {
    Done(Bound<'py, PyAny>),
    /// The engine declined or rejected: the class method to call, and its arguments after `self`.
    Declined(&'static str, Vec<Bound<'py, PyAny>>),
    /// Not the default call shape, or no engine: the Python method decides.
    NotTaken,
}

fn fast_path<'py>(py: Python<'py>, method: Method, this: &Bound<'py, PyAny>, call: &Call<'_>) -> PyResult<FastPath<'py>> {
    if method.is_dumps() {
        let Some([Some(obj), salt]) = call.bind(py, DUMPS_PARAMS) else {
            return Ok(FastPath::NotTaken);
        };
        if !absent_or_none(salt) || stock_rerun_active(py)? {
            return Ok(FastPath::NotTaken);
        }
        let Some(engine) = prepared_engine(this) else {
            return Ok(FastPath::NotTaken);
        };
        let now = time_time(py)?;
        let result = engine.get().dumps(py, &obj, Some(&now));
        return Ok(if result.is(py.NotImplemented()) {
            FastPath::Declined(method.declined_method(), vec![obj.to_owned()])
        } else {
            FastPath::Done(result)
        });
    }

    let Some([Some(token), max_age, return_timestamp, salt]) = call.bind(py, LOADS_PARAMS) else {
        return Ok(FastPath::NotTaken);
    };
    let max_age = max_age.filter(|max_age| !max_age.is_none());
    let exact_int = |value: &Borrowed<'_, '_, PyAny>| super::ffi::number::is_exact_int(value);
    let plain_call = absent_or_none(salt)
        && return_timestamp.is_none_or(|value| value.is(&*pyo3::types::PyBool::new(py, false)))
        && max_age.as_ref().is_none_or(exact_int);
    if !plain_call || stock_rerun_active(py)? {
        return Ok(FastPath::NotTaken);
    }
    let Some(engine) = prepared_engine(this) else {
        return Ok(FastPath::NotTaken);
    };
    let now = time_time(py)?;
    let max_age = max_age.as_deref();
    let result = engine.get().loads(py, &token, max_age, Some(&now), false)?;
    let max_age = || max_age.map_or_else(|| py.None().into_bound(py), |max_age| max_age.clone());
    Ok(if result.is(py.NotImplemented()) {
        FastPath::Declined(method.declined_method(), vec![token.to_owned(), max_age()])
    } else if result.is_instance_of::<Rejected>() {
        // Stock's exception, built from the token without checking the HMAC again.
        FastPath::Declined("_loads_rejected", vec![token.to_owned(), max_age(), result, now])
    } else {
        FastPath::Done(result)
    })
}

/// The descriptors' C function; `ID` picks the method.
///
/// # Safety
/// Only CPython calls it, through the method descriptor made for `class`,
/// with an attached thread and vectorcall's arguments.
unsafe extern "C" fn method<const ID: usize>(
    this: *mut ffi::PyObject,
    class: *mut ffi::PyTypeObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    keyword_names: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let call = Call {
        this,
        // SAFETY: CPython's own vectorcall arguments, used only in this call.
        args: unsafe { VectorcallArgs::from_raw(args, nargsf, keyword_names) },
    };
    // Attach through PyO3 rather than assume it: PyO3 then knows the thread
    // is attached and releases a `Py` dropped in here at once. Otherwise it
    // queues the release in a pool that only a PyO3 entry point empties,
    // and a loop of these calls alone grows that pool without bound.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        Python::attach(|py| {
            // SAFETY: the defining class the descriptor was made for.
            let result = unsafe { Bound::from_borrowed_ptr(py, class.cast()) }
                .cast_into::<PyType>()
                .map_err(PyErr::from)
                .and_then(|class| call_method(py, Method::ALL[ID], &class, &call));
            match result {
                Ok(result) => result.into_ptr(),
                Err(error) => {
                    error.restore(py);
                    ptr::null_mut()
                }
            }
        })
    }));
    outcome.unwrap_or_else(|_| {
        // SAFETY: CPython calls methods with the thread attached.
        let py = unsafe { Python::assume_attached() };
        PanicException::new_err("panic in an itsdangerous_rs serializer method").restore(py);
        ptr::null_mut()
    })
}

/// Replaces `class.dumps` or `class.loads` with the method descriptor for
/// `method`, keeping the Python method as `_dumps_python`/`_loads_python`.
/// The class must define `_dumps_declined`/`_loads_declined`.
#[pyfunction]
fn install_serializer_method(class: &Bound<'_, PyType>, method: &str) -> PyResult<()> {
    let py = class.py();
    let method = Method::from_name(method).ok_or_else(|| PyValueError::new_err(format!("unknown method: {method}")))?;
    let attribute = method.attribute().to_str().expect("ASCII name");
    let own = |name: &str| -> PyResult<Bound<'_, PyAny>> {
        class
            .getattr(intern!(py, "__dict__"))?
            .get_item(name)
            .map_err(|_| PyValueError::new_err(format!("{} defines no {name}", class.qualname().map(|n| n.to_string()).unwrap_or_default())))
    };
    own(method.declined_method())?;
    let python_method = own(attribute)?;
    if !ffi_call::is_function(&python_method) {
        return Err(PyValueError::new_err(format!("{attribute} is not a Python function (installed twice?)")));
    }
    // Leaked once per install: CPython keeps the pointer for the class's life.
    let definition = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: method.attribute().as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCMethod: method.function() },
        ml_flags: ffi::METH_METHOD | ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: method.doc().as_ptr(),
    }));
    let descriptor = ffi_call::new_method_descriptor(class, definition)?;
    class.setattr(method.python_method(), python_method)?;
    class.setattr(attribute, descriptor)?;
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(install_serializer_method, m)?)?;
    Ok(())
}
