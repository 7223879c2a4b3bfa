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
use pyo3::types::{PyBytes, PyFloat, PyList, PyTuple};

use super::json::{dump_py_dict_subclass, load_py, DumpOptions};
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
    /// The session's contents.
    Dict(Bound<'py, PyAny>),
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
    fn verify_and_decode<'py, 'a>(&self, py: Python<'py>, value: &'a [u8], max_age: Option<i64>, now: i64) -> Loaded<'py, 'a> {
        let Ok(unsigned) = self.signer.unsign_timed(value, max_age, now) else {
            return Loaded::Empty;
        };
        let payload = unsigned.value;
        let Some(json) = decode_standard_canonical(payload) else {
            return Loaded::Payload(payload);
        };
        match load_py(py, &json, false) {
            Ok(obj) if obj.is_exact_instance_of::<pyo3::types::PyDict>() => Loaded::Dict(obj),
            // A list of pairs, a number, bad JSON...: Python decides.
            _ => Loaded::Payload(payload),
        }
    }

    fn loaded_to_py<'py>(py: Python<'py>, loaded: Loaded<'py, '_>) -> Bound<'py, PyAny> {
        match loaded {
            Loaded::Empty => py.None().into_bound(py),
            Loaded::Dict(obj) => obj,
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

    /// The session from the scope's `headers` list: the contents as a `dict`,
    /// `None` for an empty session (no cookie, or a bad signature), `bytes`
    /// for a verified payload Python must decode, or `NotImplemented` when
    /// the headers need Starlette's own parser (then call `load_value`).
    fn load<'py>(&self, py: Python<'py>, headers: &Bound<'py, PyList>, max_age: Option<i64>, now: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
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
        Self::loaded_to_py(py, self.verify_and_decode(py, &header.as_bytes()[start..end], max_age, now))
    }

    /// As `load`, for a cookie value Starlette's parser found (as UTF-8 bytes).
    fn load_value<'py>(&self, py: Python<'py>, value: &Bound<'py, PyBytes>, max_age: Option<i64>, now: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
        let Some(now) = whole_seconds(now) else {
            return py.NotImplemented().into_bound(py);
        };
        Self::loaded_to_py(py, self.verify_and_decode(py, value.as_bytes(), max_age, now))
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<StarletteSessionCodec>()
}
