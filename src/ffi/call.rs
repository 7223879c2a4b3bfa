//! Calling Python callables and being called by CPython: vectorcall
//! arguments, method descriptors, an instance's `__dict__`.

use std::ptr;

use pyo3::ffi as capi;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The arguments CPython passes to a `METH_FASTCALL | METH_KEYWORDS`
/// function, as slices.
pub struct VectorcallArgs<'a> {
    pub positional: &'a [*mut capi::PyObject],
    pub keyword_values: &'a [*mut capi::PyObject],
    /// The keyword names (a tuple of str), or NULL.
    pub keyword_names: *mut capi::PyObject,
}

impl VectorcallArgs<'_> {
    /// # Safety
    /// The three values must be the ones CPython passed to the function
    /// being called (vectorcall's contract: `args` holds the positional
    /// values then one value per name in `keyword_names`, which is NULL or
    /// a tuple), and the result must not outlive that call.
    #[inline]
    pub unsafe fn from_raw(args: *const *mut capi::PyObject, nargsf: capi::Py_ssize_t, keyword_names: *mut capi::PyObject) -> Self {
        // SAFETY: the caller passes vectorcall's own arguments, as above.
        unsafe {
            let positional_count = capi::PyVectorcall_NARGS(nargsf as usize) as usize;
            let keyword_count = if keyword_names.is_null() { 0 } else { capi::PyTuple_GET_SIZE(keyword_names) as usize };
            let all = if args.is_null() { &[][..] } else { std::slice::from_raw_parts(args, positional_count + keyword_count) };
            VectorcallArgs {
                positional: &all[..positional_count],
                keyword_values: &all[positional_count..],
                keyword_names,
            }
        }
    }
}

/// `function(*args[..positional_count], **dict(zip(keyword_names, args[positional_count..])))`.
///
/// # Safety
/// Every pointer in `args` must be a live object; `keyword_names` must be
/// NULL or a tuple of str naming the values after the first
/// `positional_count`, one each.
#[inline]
pub unsafe fn vectorcall<'py>(
    function: &Bound<'py, PyAny>,
    args: &[*mut capi::PyObject],
    positional_count: usize,
    keyword_names: *mut capi::PyObject,
) -> PyResult<Bound<'py, PyAny>> {
    debug_assert!(positional_count <= args.len());
    // SAFETY: `function` is live and the caller vouches for the arguments;
    // the result is a new reference or NULL with an exception set.
    unsafe {
        let result = capi::PyObject_Vectorcall(function.as_ptr(), args.as_ptr(), positional_count, keyword_names);
        super::owned_or_err(function.py(), result)
    }
}

/// `obj.__dict__` the generic way (no descriptor lookup); an error for an
/// object without one.
#[inline]
pub fn instance_dict<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `obj` is live; the result is a new reference or NULL with an
    // exception set.
    unsafe { super::owned_or_err(obj.py(), capi::PyObject_GenericGetDict(obj.as_ptr(), ptr::null_mut())) }
}

/// A Python function (`def`), not a builtin or other callable.
#[inline]
pub fn is_function(obj: &Bound<'_, PyAny>) -> bool {
    // SAFETY: a type check on a live object.
    unsafe { capi::PyFunction_Check(obj.as_ptr()) != 0 }
}

/// A method descriptor for `class` calling `definition`'s C function.
#[inline]
pub fn new_method_descriptor<'py>(class: &Bound<'py, PyType>, definition: &'static capi::PyMethodDef) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: a live type, and a definition CPython may keep for ever (it
    // does not write through the pointer).
    unsafe {
        super::owned_or_err(
            class.py(),
            capi::PyDescr_NewMethod(class.as_type_ptr(), ptr::from_ref(definition).cast_mut()),
        )
    }
}
