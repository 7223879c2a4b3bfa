//! The per-request half of `itsdangerous_rs.revocation`: the check when a
//! verified session opens (`Revocations.admit`) and the stamp a written
//! cookie carries. The Flask plan calls these directly, so revocation adds
//! a few dict lookups to a request, not Python frames.

use pyo3::exceptions::PyAttributeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};

/// The reserved session key, as `revocation.STAMP_KEY`.
pub const STAMP_KEY: &str = "_rs_session";
/// The session object's attribute that keeps an open session's stamp, as `revocation._STAMP_ATTR`.
const STAMP_ATTR: &str = "_rs_revocation_stamp";
/// A start time longer than this is malformed (ms since the epoch has 13 digits until 2286).
const MAX_START_DIGITS: usize = 16;

/// An attribute of `itsdangerous_rs.revocation`, looked up once.
fn revocation_attribute<'py>(py: Python<'py>, cell: &'static PyOnceLock<Py<PyAny>>, path: &[&str]) -> PyResult<&'py Bound<'py, PyAny>> {
    Ok(cell
        .get_or_try_init(py, || {
            let mut object = py.import("itsdangerous_rs.revocation")?.into_any();
            for name in path {
                object = object.getattr(*name)?;
            }
            Ok::<_, PyErr>(object.unbind())
        })?
        .bind(py))
}

/// True when `revocations`' class keeps `Revocations`' own `name` method.
fn is_base_method(revocations: &Bound<'_, PyAny>, name: &Bound<'_, PyString>, base: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(revocations.get_type().getattr(name)?.is(base))
}

/// `revocations.admit(session, max_age)`, natively unless a subclass overrides it.
pub fn admit(revocations: &Bound<'_, PyAny>, session: &Bound<'_, PyAny>, max_age: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    let py = session.py();
    static BASE_ADMIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let base = revocation_attribute(py, &BASE_ADMIT, &["Revocations", "admit"])?;
    if is_base_method(revocations, intern!(py, "admit"), base)? {
        admit_session(revocations, session, max_age)
    } else {
        revocations.call_method1(intern!(py, "admit"), (session, max_age))?.is_truthy()
    }
}

/// `Revocations.admit(session, max_age)`: take the stamp out of a verified
/// session, keep it on the session object, and answer whether the session
/// may be used (False: revoked). Dict sessions are changed with plain dict
/// operations, so Flask's `accessed` and `modified` stay as they were.
#[pyfunction]
#[pyo3(signature = (revocations, session, max_age=None))]
fn admit_session(revocations: &Bound<'_, PyAny>, session: &Bound<'_, PyAny>, max_age: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    let py = session.py();
    if let Some(max_age) = max_age.filter(|m| !m.is_none()) {
        // Revocations are kept as long as the longest session lifetime seen.
        if max_age.gt(revocations.getattr(intern!(py, "max_age"))?)? {
            revocations.setattr(intern!(py, "max_age"), max_age)?;
        }
    }
    let stamp_key = intern!(py, STAMP_KEY);
    let user_key = revocations.getattr(intern!(py, "user_key"))?;
    let (value, user) = match session.cast::<PyDict>() {
        Ok(dict) => {
            let value = dict.get_item(stamp_key)?;
            if value.is_some() {
                dict.del_item(stamp_key)?;
            }
            (value, dict.get_item(&user_key)?)
        }
        Err(_) => {
            // A session class that is only a mapping.
            let value = session.call_method1(intern!(py, "pop"), (stamp_key, py.None()))?;
            let user = session.call_method1(intern!(py, "get"), (&user_key,))?;
            (Some(value), Some(user))
        }
    };
    let user = user.filter(|u| !u.is_none());
    let stamp = value.as_ref().and_then(|v| v.cast_exact::<PyString>().ok());
    let text = match stamp {
        Some(stamp) => {
            // Kept with the user it was opened with: a different user on save gets a new stamp.
            keep_stamp(session, stamp.as_any(), user.as_ref())?;
            stamp.to_string_lossy() // the ids we mint are ASCII
        }
        None => Default::default(),
    };
    let (session_id, started) = text.split_once('.').unwrap_or((&text, ""));
    if revocations.getattr(intern!(py, "_refuse_all"))?.is_truthy()? && session.is_truthy()? {
        return Ok(false);
    }
    if let Some(user) = user {
        let key = match user.cast_exact::<PyString>() {
            Ok(text) => text.clone(),
            Err(_) => user.str()?,
        };
        let cutoffs = revocations.getattr(intern!(py, "_user_cutoffs"))?;
        if let Some(cutoff) = cutoffs.cast::<PyDict>()?.get_item(key)? {
            // No start time (a cookie from before revocation was enabled, or a
            // malformed stamp): any revocation of its user covers it.
            let begun_after = !started.is_empty()
                && started.len() <= MAX_START_DIGITS
                && started.bytes().all(|b| b.is_ascii_digit())
                && started.parse::<u64>().unwrap_or(0).into_pyobject(py)?.gt(&cutoff)?;
            if !begun_after {
                return Ok(false);
            }
        }
    }
    if session_id.is_empty() {
        return Ok(true);
    }
    let revoked = revocations.getattr(intern!(py, "_revoked_sessions"))?;
    Ok(!revoked.cast::<PyDict>()?.contains(session_id)?)
}

/// `session._rs_revocation_stamp = (value, user)`; a plain dict cannot keep it.
fn keep_stamp(session: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, user: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let py = session.py();
    let none = py.None().into_bound(py);
    let kept = PyTuple::new(py, [value, user.unwrap_or(&none)])?;
    match session.setattr(intern!(py, STAMP_ATTR), kept) {
        Err(error) if !error.is_instance_of::<PyAttributeError>(py) => Err(error),
        _ => Ok(()),
    }
}

/// How a written cookie gets its stamp.
pub enum Stamp {
    /// No stamp: no revocations, or the session already holds the key.
    None,
    /// Put this value under the reserved key of the copy that is written.
    Value(Py<PyAny>),
    /// A subclass's own `stamp` changed the session; call its `unstamp` once written.
    Hooked,
}

/// The stamp for a non-empty `session` whose cookie is about to be written,
/// put into the copy that is written when the hooks are `Revocations`' own
/// (the session itself is left as it is), or by a subclass's `stamp`.
pub fn stamp_for_write(revocations: &Bound<'_, PyAny>, session: &Bound<'_, PyAny>) -> PyResult<Stamp> {
    let py = session.py();
    static BASE_STAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static BASE_UNSTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let native = is_base_method(revocations, intern!(py, "stamp"), revocation_attribute(py, &BASE_STAMP, &["Revocations", "stamp"])?)?
        && is_base_method(revocations, intern!(py, "unstamp"), revocation_attribute(py, &BASE_UNSTAMP, &["Revocations", "unstamp"])?)?;
    if native && session.is_instance_of::<PyDict>() {
        return Ok(match stamp_value(revocations, session)? {
            Some(value) => Stamp::Value(value.unbind()),
            None => Stamp::None,
        });
    }
    let stamped = revocations.call_method1(intern!(py, "stamp"), (session,))?.is_truthy()?;
    Ok(if stamped { Stamp::Hooked } else { Stamp::None })
}

/// What `Revocations.stamp` puts under the reserved key of a non-empty
/// `session`: the stamp it was opened with, or a new one (new id, start time
/// now) for a new session or when its user changed (a login or logout);
/// None when the session already holds the key.
#[pyfunction]
fn stamp_value<'py>(revocations: &Bound<'py, PyAny>, session: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = session.py();
    let user_key = revocations.getattr(intern!(py, "user_key"))?;
    let user = match session.cast::<PyDict>() {
        Ok(dict) => {
            if dict.contains(intern!(py, STAMP_KEY))? {
                return Ok(None);
            }
            dict.get_item(&user_key)?
        }
        Err(_) => {
            // A session class that is only a mapping.
            if session.contains(intern!(py, STAMP_KEY))? {
                return Ok(None);
            }
            Some(session.call_method1(intern!(py, "get"), (&user_key,))?)
        }
    };
    let none = py.None().into_bound(py);
    let user = user.unwrap_or(none);
    if let Some(kept) = session.getattr_opt(intern!(py, STAMP_ATTR))?.filter(|kept| !kept.is_none()) {
        let (value, kept_user) = kept.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>()?;
        if !kept_user.ne(&user)? {
            return Ok(Some(value));
        }
    }
    static FRESH_STAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    Ok(Some(revocation_attribute(py, &FRESH_STAMP, &["_fresh_stamp"])?.call1((session, user))?))
}

/// After the cookie is written: a subclass's `unstamp` for a `Hooked` stamp.
pub fn after_write(revocations: &Bound<'_, PyAny>, session: &Bound<'_, PyAny>, stamp: &Stamp) -> PyResult<()> {
    if let Stamp::Hooked = stamp {
        revocations.call_method1(intern!(revocations.py(), "unstamp"), (session,))?;
    }
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(admit_session, m)?)?;
    m.add_function(wrap_pyfunction!(stamp_value, m)?)?;
    Ok(())
}
