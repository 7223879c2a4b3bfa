//! `StarletteSessionCodec`: Starlette 1.x `SessionMiddleware`'s cookie work
//! in one call each way.
//!
//! * `load`: find the cookie in the raw `cookie` headers, `unsign` with the
//!   timestamp check, `b64decode`, `json.loads`.
//! * `dump`: `json.dumps` (default separators, ASCII, insertion order),
//!   `b64encode`, `TimestampSigner.sign`, and the whole `Set-Cookie` value.
//!
//! Whenever the result could differ from stock, the call hands the work back
//! to Python (see each method), which runs Starlette's own code for it.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyList, PyTuple, PyType};

use super::ffi;
use super::json::{dump_py_dict_subclass, load_py_as, DumpOptions};
use itsdangerous_core::cookie::find_cookie_starlette;
use itsdangerous_core::protocol::encoding::{decode_standard_canonical, encode_standard_into};
use itsdangerous_core::protocol::signing::{Digest, KeyDerivation, SignerConfig, SigningKeys};
use itsdangerous_core::protocol::token::TokenSigner;

/// `json.dumps(obj)` with every default.
const PYTHON_JSON_DEFAULTS: DumpOptions = DumpOptions {
    ensure_ascii: true,
    sort_keys: false,
    compact: false,
    flask_tags: false,
};

#[pyclass(frozen, module = "itsdangerous_rs._core")]
pub struct StarletteSessionCodec {
    /// `itsdangerous.TimestampSigner(str(secret_key))`.
    signer: TokenSigner,
    cookie_name: Vec<u8>,
    /// `Set-Cookie` value before the token: `"{name}="`.
    header_prefix: Vec<u8>,
    /// After the token: `"; path=...; Max-Age=...; {flags}"`.
    header_suffix: Vec<u8>,
}

/// What a verified cookie gives.
enum Loaded<'py, 'a> {
    /// No cookie, or a bad, expired or malformed signature: stock's `Session()`.
    Empty,
    /// The session: an instance of the session class.
    Session(Bound<'py, PyAny>),
    /// A verified payload this codec cannot decode exactly like stock:
    /// Python runs `json.loads(b64decode(payload))` on it.
    Payload(&'a [u8]),
}

/// `int(time.time())` from `time.time()` (a float, or an int from a test
/// clock); `None` for anything else or outside `i64`.
fn whole_seconds(now: &Bound<'_, PyAny>) -> Option<i64> {
    if let Ok(seconds) = now.cast::<PyFloat>() {
        let seconds = seconds.value();
        return (seconds.is_finite() && seconds.abs() < 9.0e18).then_some(seconds as i64);
    }
    now.extract::<i64>().ok()
}

impl StarletteSessionCodec {
    fn verify_and_decode<'py, 'a>(
        &self,
        py: Python<'py>,
        value: &'a [u8],
        max_age: Option<i64>,
        now: i64,
        session_class: &Bound<'py, PyType>,
    ) -> Loaded<'py, 'a> {
        let Ok(unsigned) = self.signer.unsign_timed(value, max_age, now) else {
            return Loaded::Empty;
        };
        let payload = unsigned.value;
        let Some(json) = decode_standard_canonical(payload) else {
            return Loaded::Payload(payload);
        };
        match load_py_as(py, &json, session_class) {
            Ok(obj) if obj.get_type().is(session_class) => Loaded::Session(obj),
            // A list of pairs, a number, bad JSON...: Python decides.
            _ => Loaded::Payload(payload),
        }
    }

    fn loaded_to_py<'py>(py: Python<'py>, loaded: Loaded<'py, '_>) -> Bound<'py, PyAny> {
        match loaded {
            Loaded::Empty => py.None().into_bound(py),
            Loaded::Session(obj) => obj,
            Loaded::Payload(payload) => PyBytes::new(py, payload).into_any(),
        }
    }
}

/// A `(name, value)` header pair (tuple or list); `None` for any other shape.
fn header_pair<'py>(item: &Bound<'py, PyAny>) -> Option<(Bound<'py, PyBytes>, Bound<'py, PyAny>)> {
    let (key, value) = if let Ok(pair) = item.cast::<PyTuple>() {
        if pair.len() != 2 {
            return None;
        }
        (pair.get_item(0).ok()?, pair.get_item(1).ok()?)
    } else if let Ok(pair) = item.cast::<PyList>() {
        if pair.len() != 2 {
            return None;
        }
        (pair.get_item(0).ok()?, pair.get_item(1).ok()?)
    } else {
        return None;
    };
    Some((key.cast_into::<PyBytes>().ok()?, value))
}

#[pymethods]
impl StarletteSessionCodec {
    #[new]
    fn new(secret_key: Vec<u8>, cookie_name: Vec<u8>, header_suffix: Vec<u8>) -> PyResult<Self> {
        let keys = SigningKeys::new(&SignerConfig {
            secret_keys: &[&secret_key],
            salt: b"itsdangerous.Signer",
            key_derivation: KeyDerivation::DjangoConcat,
            derive_digest: Digest::Sha1,
            mac_digest: Digest::Sha1,
        })
        .ok_or_else(|| PyValueError::new_err("no secret key"))?;
        let mut header_prefix = cookie_name.clone();
        header_prefix.push(b'=');
        Ok(Self {
            signer: TokenSigner { keys, sep: b".".to_vec() },
            cookie_name,
            header_prefix,
            header_suffix,
        })
    }

    /// The session from the scope's `headers` list: an instance of
    /// `session_class` (a dict subclass with dict's `__new__` and `__init__`)
    /// holding the contents, `None` for an empty session (no cookie, or a bad signature), `bytes`
    /// for a verified payload Python must decode, or `NotImplemented` when
    /// the headers need Starlette's own parser (then call `load_value`).
    fn load<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyList>,
        max_age: Option<i64>,
        now: &Bound<'py, PyAny>,
        session_class: &Bound<'py, PyType>,
    ) -> Bound<'py, PyAny> {
        let not_implemented = || py.NotImplemented().into_bound(py);
        let Some(now) = whole_seconds(now) else {
            return not_implemented();
        };
        // As `cookies.update(cookie_parser(h))` over every `cookie` header: the last value wins.
        let mut found: Option<(Bound<'py, PyBytes>, usize, usize)> = None;
        for item in headers.iter() {
            let Some((key, value)) = header_pair(&item) else {
                return not_implemented();
            };
            if key.as_bytes() != b"cookie" {
                continue;
            }
            let Ok(value) = value.cast_into::<PyBytes>() else {
                return not_implemented();
            };
            match find_cookie_starlette(value.as_bytes(), &self.cookie_name) {
                Ok(Some(cookie)) => {
                    let start = cookie.as_ptr() as usize - value.as_bytes().as_ptr() as usize;
                    let end = start + cookie.len();
                    found = Some((value, start, end));
                }
                Ok(None) => {}
                Err(_) => return not_implemented(),
            }
        }
        let Some((header, start, end)) = found else {
            return py.None().into_bound(py);
        };
        Self::loaded_to_py(py, self.verify_and_decode(py, &header.as_bytes()[start..end], max_age, now, session_class))
    }

    /// As `load`, for a cookie value Starlette's parser found (as UTF-8 bytes).
    fn load_value<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyBytes>,
        max_age: Option<i64>,
        now: &Bound<'py, PyAny>,
        session_class: &Bound<'py, PyType>,
    ) -> Bound<'py, PyAny> {
        let Some(now) = whole_seconds(now) else {
            return py.NotImplemented().into_bound(py);
        };
        Self::loaded_to_py(py, self.verify_and_decode(py, value.as_bytes(), max_age, now, session_class))
    }

    /// Stock's `send_wrapper` edits of an `http.response.start` message for
    /// `session`, an exact `starlette.middleware.sessions.Session`: `Vary:
    /// Cookie` once it was accessed, a new `Set-Cookie` once it was modified
    /// and is not empty (`now_fn()` gives the time). `True` when done;
    /// `NotImplemented`, with nothing changed, where Starlette's own steps
    /// must run: an emptied session, a value `dump` declines, headers that
    /// are not a list of `(bytes, bytes)` pairs.
    fn edit_response_start<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyDict>,
        session: &Bound<'py, PyDict>,
        now_fn: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let not_implemented = || Ok(py.NotImplemented().into_bound(py));
        let accessed = session.getattr(pyo3::intern!(py, "accessed"))?.is_truthy()?;
        let modified = session.getattr(pyo3::intern!(py, "modified"))?.is_truthy()?;
        let headers = match message.get_item(pyo3::intern!(py, "headers"))? {
            None => None,
            Some(headers) => match headers.cast_into_exact::<PyList>() {
                Ok(list) => Some(list),
                Err(_) => return not_implemented(),
            },
        };
        if !accessed && !modified {
            if headers.is_none() {
                message.set_item(pyo3::intern!(py, "headers"), PyList::empty(py))?;
            }
            return Ok(true.into_pyobject(py)?.to_owned().into_any());
        }
        let set_cookie = if modified {
            if session.is_empty() || session_items_overridden(session)? {
                return not_implemented();
            }
            let value = self.dump(py, session.as_any(), &now_fn.call0()?);
            match value.cast_into::<PyBytes>() {
                Ok(value) => Some(value),
                Err(_) => return not_implemented(),
            }
        } else {
            None
        };
        let Some(edited) = edited_headers(py, headers.as_ref(), accessed, set_cookie) else {
            return not_implemented();
        };
        message.set_item(pyo3::intern!(py, "headers"), edited)?;
        Ok(true.into_pyobject(py)?.to_owned().into_any())
    }

    /// The whole `Set-Cookie` value for `session` (a dict, or a dict subclass
    /// whose `items()` is dict's), as latin-1 bytes; `NotImplemented` when
    /// `json.dumps` must run (objects it rejects, say) or the clock is odd.
    fn dump<'py>(&self, py: Python<'py>, session: &Bound<'py, PyAny>, now: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
        let not_implemented = || py.NotImplemented().into_bound(py);
        let Some(timestamp) = whole_seconds(now).and_then(|now| u64::try_from(now).ok()) else {
            return not_implemented();
        };
        let mut json = Vec::with_capacity(256);
        if dump_py_dict_subclass(session, &PYTHON_JSON_DEFAULTS, &mut json).is_err() {
            return not_implemented();
        }
        let mut payload = Vec::with_capacity(json.len() * 4 / 3 + 4);
        encode_standard_into(&json, &mut payload);
        let mut header = Vec::with_capacity(self.header_prefix.len() + payload.len() + 40 + self.header_suffix.len());
        header.extend_from_slice(&self.header_prefix);
        self.signer.sign_into(&payload, Some(timestamp), &mut header);
        header.extend_from_slice(&self.header_suffix);
        PyBytes::new(py, &header).into_any()
    }
}

/// Whether `json.dumps(session)` would read other items than the dict's own:
/// its encoder calls `items()`, so an `items` on the class or the instance
/// other than `dict.items` decides what is written.
fn session_items_overridden(session: &Bound<'_, PyDict>) -> PyResult<bool> {
    let py = session.py();
    let name = pyo3::intern!(py, "items");
    // dict's own `items` descriptor, looked up once (built-in types are immutable).
    static DICT_ITEMS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let dict_items = DICT_ITEMS.get_or_try_init(py, || py.get_type::<PyDict>().getattr(name).map(Bound::unbind))?;
    if !session.get_type().getattr(name)?.is(dict_items.bind(py)) {
        return Ok(true);
    }
    Ok(match ffi::call::instance_dict(session.as_any()) {
        Ok(attributes) => attributes.contains(name)?,
        Err(_) => false, // no instance dict: nothing can shadow the class's
    })
}

/// The headers of a response start after stock's `MutableHeaders(scope=message)`
/// edits: a copy of `headers` (a list of `(bytes, bytes)` pairs) with
/// `add_vary_header("Cookie")` applied when `vary`, then `set_cookie`
/// appended. `None` (nothing built) for pairs of any other shape, which
/// Starlette's own code must handle.
fn edited_headers<'py>(
    py: Python<'py>,
    headers: Option<&Bound<'py, PyList>>,
    vary: bool,
    set_cookie: Option<Bound<'py, PyBytes>>,
) -> Option<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PyAny>> = headers.map(|list| list.iter().collect()).unwrap_or_default();
    let mut vary_at: Vec<usize> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let pair = item.cast::<PyTuple>().ok().filter(|pair| pair.is_exact_instance_of::<PyTuple>() && pair.len() == 2)?;
        let key = pair.get_item(0).ok()?;
        if !key.is_exact_instance_of::<PyBytes>() {
            return None;
        }
        if vary && key.cast::<PyBytes>().ok()?.as_bytes() == b"vary" {
            if !pair.get_item(1).ok()?.is_exact_instance_of::<PyBytes>() {
                return None;
            }
            vary_at.push(index);
        }
    }
    let mut items = items;
    if vary {
        // getlist("vary") joined with "Cookie", into the first vary header; the others go.
        let mut value: Vec<u8> = Vec::new();
        for &index in &vary_at {
            let pair = items[index].cast::<PyTuple>().ok()?;
            value.extend_from_slice(pair.get_item(1).ok()?.cast::<PyBytes>().ok()?.as_bytes());
            value.extend_from_slice(b", ");
        }
        value.extend_from_slice(b"Cookie");
        let header = (PyBytes::new(py, b"vary"), PyBytes::new(py, &value)).into_pyobject(py).ok()?.into_any();
        match vary_at.split_first() {
            Some((&first, rest)) => {
                for &index in rest.iter().rev() {
                    items.remove(index);
                }
                items[first] = header;
            }
            None => items.push(header),
        }
    }
    if let Some(value) = set_cookie {
        items.push((PyBytes::new(py, b"set-cookie"), value).into_pyobject(py).ok()?.into_any());
    }
    PyList::new(py, items).ok()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<StarletteSessionCodec>()
}
