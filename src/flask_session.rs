//! `SessionPlan`: Flask's `open_session` and `save_session`, each one call.
//!
//! `flask.py` decides, once per app and configuration, whether the engine may
//! stand in for stock, and records in a plan the objects that decision read.
//! Each call first checks that they are still the same objects (identity
//! compares, no Python code); a changed one answers `...` (stale) and Python
//! decides again. A call the plan leaves to the Python hooks (an overridden
//! `get_cookie_*`, a custom request or response class, a cookie header only
//! Werkzeug parses) answers `NotImplemented` before it has changed anything.

use std::sync::Mutex;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDateTime, PyDelta, PyDict, PyFloat, PyList, PyString, PyTuple};

use super::clock::time_time;
use super::context_vars::{context_var_value, is_context_var};
use super::engine::{Engine, Loaded, Verdict};
use super::fernet::FernetKeys;
use super::revocation::{self, Stamp};
use itsdangerous_core::cookie::{find_cookie, is_plain_token};

/// The `Set-Cookie` text after `name=value`, and what it depends on.
struct CookieSuffix {
    /// `Expires` to the second (`None` for a browser-session cookie).
    expires: Option<i64>,
    /// path, domain, secure, httponly, samesite, partitioned (immutable objects).
    attributes: [Py<PyAny>; 6],
    suffix: String,
}

/// What turns a session into the cookie's value and back.
enum Codec {
    /// `SecureCookieSessionInterface`: itsdangerous-signed, Flask's format.
    Signed(Py<Engine>),
    /// `EncryptedSessionInterface`: Flask's tagged JSON as one Fernet token.
    Encrypted(Py<FernetKeys>),
}

/// What `EncryptedSessionInterface._keys` reads besides the secret keys.
struct FernetInputs {
    /// `config.get("SESSION_FERNET_KEYS")`, and its items when it is a list.
    configured: Py<PyAny>,
    configured_items: Option<Vec<Py<PyAny>>>,
    hkdf_salt: Py<PyAny>,
    hkdf_info: Py<PyAny>,
}

fn list_items(value: &Bound<'_, PyAny>) -> Option<Vec<Py<PyAny>>> {
    value.cast::<PyList>().ok().map(|list| list.iter().map(Bound::unbind).collect())
}

/// True when `value` is still the list (or other object) `items` was taken from, item for item.
fn same_items(value: &Bound<'_, PyAny>, items: &Option<Vec<Py<PyAny>>>) -> PyResult<bool> {
    let Some(items) = items else {
        return Ok(true);
    };
    let list = value.cast::<PyList>()?;
    Ok(list.len() == items.len() && list.iter().zip(items).all(|(item, seen)| item.is(seen.bind(value.py()))))
}

#[pyclass(frozen, module = "itsdangerous_rs._core")]
pub struct SessionPlan {
    /// None: the decision was stock code, and the plan only says when to decide again.
    codec: Option<Codec>,
    /// For `EncryptedSessionInterface`: what its keys were made from.
    fernet_inputs: Option<FernetInputs>,
    app: Py<PyAny>,
    interface_type: Py<PyAny>,
    /// The interface class's attribute-cache version when decided: CPython
    /// gives a class a new one whenever it or a base class is changed (a
    /// hook patched in), so a different one means decide again.
    interface_type_version: Option<u32>,
    /// The objects the decision read, in the order `current` compares them.
    config: Py<PyAny>,
    secret_key: Py<PyAny>,
    fallbacks: Py<PyAny>,
    /// The fallbacks' items when they are a list, which can change in place.
    fallback_items: Option<Vec<Py<PyAny>>>,
    interface_attributes: [Py<PyAny>; 5],
    provider: Py<PyAny>,
    /// The provider's sort_keys and ensure_ascii, and the tag lists' lengths, as decided on.
    sort_keys: Py<PyAny>,
    ensure_ascii: Py<PyAny>,
    tag_counts: (usize, usize),
    /// The request and response classes the plan handles itself (None: neither).
    request_type: Py<PyAny>,
    response_type: Py<PyAny>,
    /// False when the interface's class overrides a hook the plan would skip.
    stock_hooks: bool,
    /// `flask.globals._cv_app`, `werkzeug.http.dump_cookie`, `werkzeug.datastructures.Headers`.
    app_context: Py<PyAny>,
    dump_cookie: Py<PyAny>,
    headers_type: Py<PyAny>,
    suffix: Mutex<Option<CookieSuffix>>,
    /// The last `PERMANENT_SESSION_LIFETIME` (a timedelta, immutable) and its whole seconds.
    max_age_seen: Mutex<Option<(Py<PyAny>, i64)>>,
}

/// The interface attributes the engine was built from (the serializer first).
fn interface_attribute_names(py: Python<'_>) -> [&Bound<'_, PyString>; 5] {
    [
        intern!(py, "serializer"),
        intern!(py, "salt"),
        intern!(py, "key_derivation"),
        intern!(py, "digest_method"),
        intern!(py, "max_decompressed_size"),
    ]
}

fn not_implemented(py: Python<'_>) -> Bound<'_, PyAny> {
    py.NotImplemented().into_bound(py)
}

fn stale(py: Python<'_>) -> Bound<'_, PyAny> {
    py.Ellipsis().into_bound(py)
}


/// `datetime.timezone.utc`.
fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    Ok(UTC
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("datetime")?.getattr("timezone")?.getattr("utc")?.unbind()))?
        .bind(py))
}

/// Truncated as `int(time.time())` truncates it.
fn whole_seconds(value: &Bound<'_, PyAny>) -> Option<i64> {
    let seconds = value.cast::<PyFloat>().ok()?.value();
    (seconds.is_finite() && seconds.abs() < 9.0e18).then_some(seconds as i64)
}

/// The class's attribute-cache version tag, if it has a valid one.
fn type_version(class: &Bound<'_, pyo3::types::PyType>) -> Option<u32> {
    // SAFETY: reading two fields of a live type object, with the GIL held.
    unsafe {
        let raw = class.as_type_ptr();
        ((*raw).tp_flags & ffi::Py_TPFLAGS_VALID_VERSION_TAG != 0).then(|| (*raw).tp_version_tag)
    }
}

/// `config.get("SESSION_FERNET_KEYS")`.
fn configured_fernet_keys<'py>(config: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = config.py();
    config.call_method1(intern!(py, "get"), (intern!(py, "SESSION_FERNET_KEYS"),))
}

/// `session`, or an empty one when revocation refuses it: only a verified
/// cookie makes a non-empty session, and a revoked one opens empty.
fn admitted<'py>(interface: &Bound<'py, PyAny>, session_class: Bound<'py, PyAny>, session: Bound<'py, PyAny>, max_age: i64) -> PyResult<Bound<'py, PyAny>> {
    let py = interface.py();
    let revocations = interface.getattr(intern!(py, "revocations"))?;
    if !revocations.is_none() && session.is_truthy()? && !revocation::admit(&revocations, &session, Some(&max_age.into_pyobject(py)?.into_any()))? {
        return session_class.call0();
    }
    Ok(session)
}

/// Python's `str.strip()` whitespace, for ASCII text.
fn is_python_ascii_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1f')
}

#[pymethods]
impl SessionPlan {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (codec, interface, app, request_type, response_type, stock_hooks, app_context, dump_cookie, headers_type, encrypted = false))]
    fn new(
        codec: Option<&Bound<'_, PyAny>>,
        interface: &Bound<'_, PyAny>,
        app: &Bound<'_, PyAny>,
        request_type: &Bound<'_, PyAny>,
        response_type: &Bound<'_, PyAny>,
        stock_hooks: bool,
        app_context: &Bound<'_, PyAny>,
        dump_cookie: &Bound<'_, PyAny>,
        headers_type: &Bound<'_, PyAny>,
        encrypted: bool,
    ) -> PyResult<Self> {
        let py = app.py();
        if !is_context_var(app_context) {
            return Err(PyTypeError::new_err("expected a ContextVar"));
        }
        let codec = match codec {
            None => None,
            Some(codec) if encrypted => Some(Codec::Encrypted(codec.cast::<FernetKeys>()?.clone().unbind())),
            Some(codec) => Some(Codec::Signed(codec.cast::<Engine>()?.clone().unbind())),
        };
        let config = app.getattr(intern!(py, "config"))?;
        let fallbacks = config.get_item(intern!(py, "SECRET_KEY_FALLBACKS"))?;
        let fallback_items = list_items(&fallbacks);
        let fernet_inputs = if encrypted {
            let configured = configured_fernet_keys(&config)?;
            Some(FernetInputs {
                configured_items: list_items(&configured),
                configured: configured.unbind(),
                hkdf_salt: interface.getattr(intern!(py, "hkdf_salt"))?.unbind(),
                hkdf_info: interface.getattr(intern!(py, "hkdf_info"))?.unbind(),
            })
        } else {
            None
        };
        let [serializer_name, salt, key_derivation, digest_method, max_decompressed_size] = interface_attribute_names(py);
        let attribute = |name: &Bound<'_, PyString>| interface.getattr(name).map(Bound::unbind);
        let provider = app.getattr(intern!(py, "json"))?;
        let serializer = interface.getattr(serializer_name)?;
        let tag_counts = (serializer.getattr(intern!(py, "order"))?.len()?, serializer.getattr(intern!(py, "tags"))?.len()?);
        Ok(Self {
            codec,
            fernet_inputs,
            app: app.clone().unbind(),
            interface_type_version: type_version(&interface.get_type()),
            interface_type: interface.get_type().into_any().unbind(),
            secret_key: config.get_item(intern!(py, "SECRET_KEY"))?.unbind(),
            config: config.unbind(),
            fallbacks: fallbacks.unbind(),
            fallback_items,
            interface_attributes: [
                serializer.clone().unbind(),
                attribute(salt)?,
                attribute(key_derivation)?,
                attribute(digest_method)?,
                attribute(max_decompressed_size)?,
            ],
            sort_keys: provider.getattr(intern!(py, "sort_keys"))?.unbind(),
            ensure_ascii: provider.getattr(intern!(py, "ensure_ascii"))?.unbind(),
            provider: provider.unbind(),
            tag_counts,
            request_type: request_type.clone().unbind(),
            response_type: response_type.clone().unbind(),
            stock_hooks,
            app_context: app_context.clone().unbind(),
            dump_cookie: dump_cookie.clone().unbind(),
            headers_type: headers_type.clone().unbind(),
            suffix: Mutex::new(None),
            max_age_seen: Mutex::new(None),
        })
    }

    /// The engine (signed) or `FernetKeys` (encrypted) the plan runs; None for stock code.
    #[getter]
    fn codec(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.codec.as_ref().map(|codec| match codec {
            Codec::Signed(engine) => engine.clone_ref(py).into_any(),
            Codec::Encrypted(keys) => keys.clone_ref(py).into_any(),
        })
    }

    /// True while everything the decision read is unchanged (an error reading it counts as changed).
    fn is_current(&self, interface: &Bound<'_, PyAny>, app: &Bound<'_, PyAny>) -> bool {
        self.current(interface, app).unwrap_or(false)
    }

    /// `open_session(app, request)`: the session; NotImplemented for the
    /// Python hooks; `...` when the plan is stale.
    fn open_session<'py>(&self, interface: &Bound<'py, PyAny>, app: &Bound<'py, PyAny>, request: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = app.py();
        if !self.current(interface, app).unwrap_or(false) {
            return Ok(stale(py));
        }
        let Some(codec) = self.codec.as_ref().filter(|_| self.stock_hooks && request.get_type().is(self.request_type.bind(py))) else {
            return Ok(not_implemented(py));
        };
        // Werkzeug's cached `cookies`, if something parsed them already, is what stock reads.
        let Ok(state) = request.getattr(intern!(py, "__dict__"))?.cast_into::<PyDict>() else {
            return Ok(not_implemented(py));
        };
        if state.contains(intern!(py, "cookies"))? {
            return Ok(not_implemented(py));
        }
        let config = self.config.bind(py);
        let name = config.get_item(intern!(py, "SESSION_COOKIE_NAME"))?;
        let Ok(name) = name.cast::<PyString>() else {
            return Ok(not_implemented(py));
        };
        let Ok(environ) = request.getattr(intern!(py, "environ"))?.cast_into::<PyDict>() else {
            return Ok(not_implemented(py));
        };
        let header = environ.get_item(intern!(py, "HTTP_COOKIE"))?;
        let value = match header.as_ref().map(|h| h.cast::<PyString>()) {
            Some(Ok(header)) => match find_cookie(header.to_str()?, name.to_str()?) {
                Ok(value) => value,
                Err(_) => return Ok(not_implemented(py)), // Werkzeug parses it
            },
            _ => None,
        };
        let session_class = interface.getattr(intern!(py, "session_class"))?;
        let Some(value) = value.filter(|value| !value.is_empty()) else {
            return session_class.call0();
        };
        let lifetime = config.get_item(intern!(py, "PERMANENT_SESSION_LIFETIME"))?;
        if !lifetime.is_exact_instance_of::<PyDelta>() {
            return Ok(not_implemented(py)); // an int: Flask's property converts it
        }
        let Some(max_age) = self.max_age(&lifetime)? else {
            return Ok(not_implemented(py));
        };
        let now_object = time_time(py)?;
        let Some(now) = whole_seconds(&now_object) else {
            return Ok(not_implemented(py));
        };
        let engine = match codec {
            Codec::Signed(engine) => engine,
            Codec::Encrypted(keys) => {
                if value.contains('.') {
                    return Ok(not_implemented(py)); // an itsdangerous-signed cookie: the migration path
                }
                let data = keys.get().session_loads(py, PyString::new(py, value).as_any(), Some(max_age), &now_object)?;
                if data.is(py.NotImplemented()) {
                    return Ok(not_implemented(py)); // JSON Flask's Python serializer reads
                }
                if !data.is_exact_instance_of::<PyDict>() {
                    return session_class.call0(); // invalid, expired, or not a session
                }
                let session = session_class.call1((data,))?;
                return admitted(interface, session_class, session, max_age);
            }
        };
        let session = match engine.get().load_token(py, value.as_bytes(), Some(max_age), now)? {
            Loaded::Value(data, _) => match session_class.call1((data,)) {
                Ok(session) => session,
                // JSON that dict() does not take: an empty session, as for any unusable cookie.
                Err(error) if error.is_instance_of::<PyTypeError>(py) || error.is_instance_of::<PyValueError>(py) => return session_class.call0(),
                Err(error) => return Err(error),
            },
            Loaded::Refused(Verdict::Declined) => {
                // Signed, but a payload the engine does not read: stock decides.
                interface.call_method1(intern!(py, "_open_declined"), (app, PyString::new(py, value), max_age))?
            }
            Loaded::Refused(_) | Loaded::TooLarge => return session_class.call0(),
        };
        admitted(interface, session_class, session, max_age)
    }

    /// `save_session(app, session, response)`: None when done; NotImplemented
    /// for the Python hooks; `...` when the plan is stale.
    fn save_session<'py>(
        &self,
        interface: &Bound<'py, PyAny>,
        app: &Bound<'py, PyAny>,
        session: &Bound<'py, PyAny>,
        response: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = app.py();
        if !self.current(interface, app).unwrap_or(false) {
            return Ok(stale(py));
        }
        let Some(codec) = self.codec.as_ref().filter(|_| self.stock_hooks && response.get_type().is(self.response_type.bind(py))) else {
            return Ok(not_implemented(py));
        };
        let headers = response.getattr(intern!(py, "headers"))?;
        if !headers.get_type().is(self.headers_type.bind(py)) {
            return Ok(not_implemented(py));
        }
        let config = self.config.bind(py);
        let setting = |key: &Bound<'py, PyString>| config.get_item(key);
        // What stock's get_cookie_* hooks read, in their order.
        let name = setting(intern!(py, "SESSION_COOKIE_NAME"))?;
        let domain = setting(intern!(py, "SESSION_COOKIE_DOMAIN"))?;
        let mut path = setting(intern!(py, "SESSION_COOKIE_PATH"))?;
        if !path.is_truthy()? {
            path = setting(intern!(py, "APPLICATION_ROOT"))?;
        }
        let httponly = setting(intern!(py, "SESSION_COOKIE_HTTPONLY"))?;
        let secure = setting(intern!(py, "SESSION_COOKIE_SECURE"))?;
        let samesite = setting(intern!(py, "SESSION_COOKIE_SAMESITE"))?;
        let partitioned = setting(intern!(py, "SESSION_COOKIE_PARTITIONED"))?;
        let none = py.None().into_bound(py);

        // Stock adds "Vary: Cookie" up to twice; once it is there the second add is a no-op.
        let mut vary_added = false;
        if session.getattr(intern!(py, "accessed"))?.is_truthy()? {
            add_vary_cookie(response, &headers)?;
            vary_added = true;
        }
        if !session.is_truthy()? {
            if session.getattr(intern!(py, "modified"))?.is_truthy()? {
                response.call_method(intern!(py, "delete_cookie"), (&name,), Some(&cookie_kwargs(&domain, &path, &secure, &partitioned, &samesite, &httponly)?))?;
                if !vary_added {
                    add_vary_cookie(response, &headers)?;
                }
            }
            return Ok(none);
        }
        let permanent = || -> PyResult<bool> { session.getattr(intern!(py, "permanent"))?.is_truthy() };
        let should_set = session.getattr(intern!(py, "modified"))?.is_truthy()?
            || (permanent()? && setting(intern!(py, "SESSION_REFRESH_EACH_REQUEST"))?.is_truthy()?);
        if !should_set {
            return Ok(none);
        }
        let expires = if permanent()? {
            interface.call_method1(intern!(py, "get_expiration_time"), (app, session))?
        } else {
            none.clone()
        };
        let revocations = interface.getattr(intern!(py, "revocations"))?;
        let stamp = if revocations.is_none() { Stamp::None } else { revocation::stamp_for_write(&revocations, session)? };
        let written = self.write_cookie(codec, interface, app, session, response, &headers, &stamp, expires, [&name, &path, &domain, &secure, &httponly, &samesite, &partitioned]);
        revocation::after_write(&revocations, session, &stamp)?;
        written?;
        if !vary_added {
            add_vary_cookie(response, &headers)?;
        }
        Ok(none)
    }
}

impl SessionPlan {
    /// `int(lifetime.total_seconds())`, worked out again only when the setting is another object.
    fn max_age(&self, lifetime: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
        let py = lifetime.py();
        if let Ok(seen) = self.max_age_seen.lock() {
            if let Some((object, max_age)) = seen.as_ref() {
                if object.bind(py).is(lifetime) {
                    return Ok(Some(*max_age));
                }
            }
        }
        let max_age = whole_seconds(&lifetime.call_method0(intern!(py, "total_seconds"))?);
        if let (Some(max_age), Ok(mut seen)) = (max_age, self.max_age_seen.lock()) {
            *seen = Some((lifetime.clone().unbind(), max_age));
        }
        Ok(max_age)
    }

    /// The `Set-Cookie` of a session that must be written, with its revocation stamp.
    #[allow(clippy::too_many_arguments)]
    fn write_cookie<'py>(
        &self,
        codec: &Codec,
        interface: &Bound<'py, PyAny>,
        app: &Bound<'py, PyAny>,
        session: &Bound<'py, PyAny>,
        response: &Bound<'py, PyAny>,
        headers: &Bound<'py, PyAny>,
        stamp: &Stamp,
        expires: Bound<'py, PyAny>,
        [name, path, domain, secure, httponly, samesite, partitioned]: [&Bound<'py, PyAny>; 7],
    ) -> PyResult<()> {
        let py = app.py();
        let data = PyDict::new(py);
        // SAFETY: both are live; PyDict_Merge is what dict(session) does with a mapping.
        if unsafe { ffi::PyDict_Merge(data.as_ptr(), session.as_ptr(), 1) } < 0 {
            return Err(PyErr::fetch(py));
        }
        if let Stamp::Value(value) = stamp {
            data.set_item(intern!(py, revocation::STAMP_KEY), value)?;
        }
        let now = time_time(py)?;
        // Both write only base64url and ".", which needs no quoting.
        let (value, plain) = match codec {
            Codec::Signed(engine) => {
                let token = engine.get().dumps(py, data.as_any(), Some(&now));
                if token.is(py.NotImplemented()) {
                    let serializer = interface.call_method1(intern!(py, "get_signing_serializer"), (app,))?;
                    (serializer.call_method1(intern!(py, "dumps"), (data,))?, false)
                } else {
                    (token, true)
                }
            }
            Codec::Encrypted(keys) => {
                let keys = keys.get();
                let mut token = keys.session_dumps(py, &data, &now)?;
                if token.is(py.NotImplemented()) {
                    // Flask's (customised) tagged JSON in Python, encrypted here.
                    let text = interface.getattr(intern!(py, "serializer"))?.call_method1(intern!(py, "dumps"), (&data,))?;
                    let plaintext = text.call_method1(intern!(py, "encode"), (intern!(py, "utf-8"),))?;
                    token = keys.encrypt(py, plaintext.extract::<&[u8]>()?, &now)?;
                }
                (token, true)
            }
        };
        let header = self.set_cookie_header(name, &value, &expires, [path, domain, secure, httponly, samesite, partitioned], plain)?;
        let max_size = self.config.bind(py).get_item(intern!(py, "MAX_COOKIE_SIZE"))?.extract::<i64>().ok();
        let fits = |header: &CookieHeader| max_size.is_some_and(|max| !(header.text.len() as i64 > max && max > 0));
        match header {
            Some(header) if fits(&header) => {
                if header.has_newline {
                    headers.call_method1(intern!(py, "add"), (intern!(py, "Set-Cookie"), header.text))?; // raises as stock does
                } else {
                    // Headers.add with its newline check done.
                    let pair = PyTuple::new(py, [PyString::new(py, "Set-Cookie"), PyString::new(py, &header.text)])?;
                    headers.getattr(intern!(py, "_list"))?.cast_into::<PyList>()?.append(pair)?;
                }
            }
            header => {
                if let (Codec::Encrypted(_), Some(header), Some(max)) = (codec, &header, max_size) {
                    // Over MAX_COOKIE_SIZE: SESSION_COOKIE_SIZE_ERROR makes it an error.
                    if max > 0 && header.text.len() as i64 > max {
                        interface.call_method1(intern!(py, "_check_cookie_size"), (app, name, header.text.len(), max))?;
                    }
                }
                // Non-ASCII names, odd values and oversized cookies: Werkzeug
                // quotes, encodes and warns exactly as it always does.
                let kwargs = cookie_kwargs(domain, path, secure, partitioned, samesite, httponly)?;
                kwargs.set_item(intern!(py, "expires"), &expires)?;
                response.call_method(intern!(py, "set_cookie"), (name, &value), Some(&kwargs))?;
            }
        }
        Ok(())
    }

    fn current(&self, interface: &Bound<'_, PyAny>, app: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = app.py();
        let interface_type = interface.get_type();
        if !app.is(self.app.bind(py))
            || !interface_type.is(self.interface_type.bind(py))
            || self.interface_type_version.is_none()
            || type_version(&interface_type) != self.interface_type_version
        {
            return Ok(false);
        }
        for (name, seen) in interface_attribute_names(py).into_iter().zip(&self.interface_attributes) {
            if !interface.getattr(name)?.is(seen.bind(py)) {
                return Ok(false);
            }
        }
        let config = app.getattr(intern!(py, "config"))?;
        if !config.is(self.config.bind(py)) || !config.get_item(intern!(py, "SECRET_KEY"))?.is(self.secret_key.bind(py)) {
            return Ok(false);
        }
        let fallbacks = config.get_item(intern!(py, "SECRET_KEY_FALLBACKS"))?;
        if !fallbacks.is(self.fallbacks.bind(py)) {
            return Ok(false);
        }
        if !same_items(&fallbacks, &self.fallback_items)? {
            return Ok(false);
        }
        if let Some(inputs) = &self.fernet_inputs {
            let configured = configured_fernet_keys(&config)?;
            if !configured.is(inputs.configured.bind(py))
                || !same_items(&configured, &inputs.configured_items)?
                || !interface.getattr(intern!(py, "hkdf_salt"))?.is(inputs.hkdf_salt.bind(py))
                || !interface.getattr(intern!(py, "hkdf_info"))?.is(inputs.hkdf_info.bind(py))
            {
                return Ok(false);
            }
        }
        // Flask's JSON follows the current app context's provider.
        let Some(context) = context_var_value(py, &self.app_context)? else {
            return Ok(false);
        };
        if !context.getattr(intern!(py, "app"))?.is(app) {
            return Ok(false);
        }
        let provider = app.getattr(intern!(py, "json"))?;
        if !provider.is(self.provider.bind(py))
            || !provider.getattr(intern!(py, "sort_keys"))?.is(self.sort_keys.bind(py))
            || !provider.getattr(intern!(py, "ensure_ascii"))?.is(self.ensure_ascii.bind(py))
        {
            return Ok(false);
        }
        let serializer = self.interface_attributes[0].bind(py);
        Ok((serializer.getattr(intern!(py, "order"))?.len()?, serializer.getattr(intern!(py, "tags"))?.len()?) == self.tag_counts)
    }

    /// `dump_cookie(name, value, ...)` with the attribute part cached: it
    /// depends only on the attributes and `Expires` to the second, so
    /// `dump_cookie` runs once per second and configuration. None when
    /// Werkzeug must write the cookie (quoting, non-ASCII name).
    fn set_cookie_header(
        &self,
        name: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        expires: &Bound<'_, PyAny>,
        attributes: [&Bound<'_, PyAny>; 6],
        plain_value: bool,
    ) -> PyResult<Option<CookieHeader>> {
        let py = name.py();
        let (Ok(name), Ok(value)) = (name.cast::<PyString>(), value.cast::<PyString>()) else {
            return Ok(None);
        };
        let (name, value) = (name.to_str()?, value.to_str()?);
        if !name.is_ascii() || !(plain_value || is_plain_token(value)) {
            return Ok(None);
        }
        // Cached only for immutable attributes and an Expires whose second is plain to read.
        let immutable = attributes.iter().all(|a| a.is_none() || a.is_exact_instance_of::<pyo3::types::PyBool>() || a.is_exact_instance_of::<PyString>());
        let expires_key = if expires.is_none() {
            Some(None)
        } else {
            let utc = utc(py)?;
            let exact_datetime = expires.is_exact_instance_of::<PyDateTime>();
            if exact_datetime && expires.getattr(intern!(py, "tzinfo"))?.is(utc) {
                let timestamp = expires.call_method0(intern!(py, "timestamp"))?.extract::<f64>()?;
                Some(Some(timestamp.floor() as i64))
            } else {
                None
            }
        };
        let cacheable = immutable && expires_key.is_some();
        if cacheable {
            if let Ok(cached) = self.suffix.lock() {
                if let Some(entry) = cached.as_ref() {
                    if Some(entry.expires) == expires_key && entry.attributes.iter().zip(attributes).all(|(seen, a)| seen.bind(py).is(a)) {
                        return Ok(Some(CookieHeader::new(name, value, &entry.suffix)));
                    }
                }
            }
        }
        // An empty value is never quoted, so what follows "x=" is the attributes.
        let kwargs = PyDict::new(py);
        kwargs.set_item("expires", expires)?;
        for (key, attribute) in ["path", "domain", "secure", "httponly", "samesite", "partitioned"].iter().zip(attributes) {
            kwargs.set_item(*key, attribute)?;
        }
        kwargs.set_item("max_size", 0)?;
        let cookie = self.dump_cookie.bind(py).call(("x", ""), Some(&kwargs))?;
        let suffix = cookie.cast::<PyString>()?.to_str()?.get(2..).unwrap_or_default().to_owned();
        let header = CookieHeader::new(name, value, &suffix);
        if let (true, Some(expires), Ok(mut cached)) = (cacheable, expires_key, self.suffix.lock()) {
            *cached = Some(CookieSuffix {
                expires,
                attributes: attributes.map(|a| a.clone().unbind()),
                suffix,
            });
        }
        Ok(Some(header))
    }
}

/// A `Set-Cookie` value, `f"{name}={value}{suffix}"`, for a value that needs no quoting.
struct CookieHeader {
    text: String,
    /// A CR or LF in the name or the attributes (the value, a plain token, has none).
    has_newline: bool,
}

impl CookieHeader {
    fn new(name: &str, value: &str, suffix: &str) -> Self {
        let mut text = String::with_capacity(name.len() + 1 + value.len() + suffix.len());
        text.push_str(name);
        text.push('=');
        text.push_str(value);
        text.push_str(suffix);
        let has_newline = [name, suffix].iter().any(|part| part.bytes().any(|b| b == b'\r' || b == b'\n'));
        Self { text, has_newline }
    }
}

/// The keyword arguments of `delete_cookie`/`set_cookie`, in stock's order.
fn cookie_kwargs<'py>(
    domain: &Bound<'py, PyAny>,
    path: &Bound<'py, PyAny>,
    secure: &Bound<'py, PyAny>,
    partitioned: &Bound<'py, PyAny>,
    samesite: &Bound<'py, PyAny>,
    httponly: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let py = domain.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "domain"), domain)?;
    kwargs.set_item(intern!(py, "path"), path)?;
    kwargs.set_item(intern!(py, "secure"), secure)?;
    kwargs.set_item(intern!(py, "partitioned"), partitioned)?;
    kwargs.set_item(intern!(py, "samesite"), samesite)?;
    kwargs.set_item(intern!(py, "httponly"), httponly)?;
    Ok(kwargs)
}

/// `response.vary.add("Cookie")` without building a HeaderSet when it is plain.
fn add_vary_cookie(response: &Bound<'_, PyAny>, headers: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = response.py();
    let fallback = || -> PyResult<()> {
        response.getattr(intern!(py, "vary"))?.call_method1(intern!(py, "add"), (intern!(py, "Cookie"),))?;
        Ok(())
    };
    // Werkzeug's Headers keeps (name, value) pairs in order in `_list`.
    let Ok(list) = headers.getattr(intern!(py, "_list"))?.cast_into::<PyList>() else {
        return fallback();
    };
    let mut vary = None;
    for pair in list.iter() {
        let Ok((name, value)) = pair.extract::<(Bound<'_, PyString>, Bound<'_, PyAny>)>() else {
            return fallback();
        };
        // As Werkzeug's str.lower() match: no non-ASCII character lowercases to one of "vary".
        if name.to_str()?.eq_ignore_ascii_case("vary") {
            vary = Some(value);
            break;
        }
    }
    let Some(vary) = vary else {
        // What `headers["Vary"] = "Cookie"` does when there is none.
        list.append(PyTuple::new(py, [PyString::new(py, "Vary"), PyString::new(py, "Cookie")])?)?;
        return Ok(());
    };
    let Ok(vary) = vary.cast::<PyString>() else {
        return fallback();
    };
    let vary = vary.to_str()?;
    let has_cookie = vary.is_ascii()
        && !vary.contains('"')
        && vary.split(',').any(|item| item.trim_matches(is_python_ascii_space).eq_ignore_ascii_case("cookie"));
    if has_cookie {
        Ok(())
    } else {
        fallback() // quoted items, or Cookie missing: Werkzeug's own update
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SessionPlan>()?;
    Ok(())
}
