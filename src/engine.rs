//! `Engine`: one prepared signer plus a payload format, shared by the Python
//! Signer/Serializer subclasses and the Flask session interface.
//!
//! Every method returns `NotImplemented` when the fast path cannot give
//! exactly what stock itsdangerous gives (any error included); the Python
//! layer then calls the stock implementation, which raises the real exception.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyString, PyTuple};

use super::ffi::str::new_ascii;
use super::json::{dump_py, load_py, DumpOptions};
use itsdangerous_core::protocol::payload::{self, PayloadError};
use itsdangerous_core::protocol::signing::{Digest, KeyDerivation, SignerConfig, SigningKeys};
use itsdangerous_core::protocol::token::{TokenError, TokenSigner};

/// How many recent results each engine remembers, per direction.
const MEMO_ENTRIES: usize = 16;
/// Larger inputs are not remembered (a cookie holds about 4 KB)...
const MEMO_MAX_KEY: usize = 4096;
/// ...nor larger results, so a remembered entry stays small.
const MEMO_MAX_VALUE: usize = 64 * 1024;

/// A small cache of a pure function's recent results.
///
/// Both uses are pure: JSON → encoded payload (deflate is deterministic) and
/// verified payload → JSON (every valid stream inflates to one result), so a
/// hit returns exactly what computing would. They save the deflate when an
/// unchanged session is re-signed and the inflate when the same session
/// payload comes back, as it does on every request of a session that is read
/// but not changed. Only results this engine computed go in, and loads only
/// after the signature verified, so nobody without the key can fill it.
///
/// Direct-mapped on a cheap hash: a collision only costs a recomputation,
/// and SipHash plus a `HashMap` cost more than a small inflate's setup.
struct Memo {
    slots: Mutex<[Option<MemoEntry>; MEMO_ENTRIES]>,
}

struct MemoEntry {
    hash: u64,
    key_len: usize,
    /// The key, then the value: one buffer, reused by the slot's next entry,
    /// so a miss costs two copies rather than two allocations and two frees.
    key_and_value: Vec<u8>,
}

impl MemoEntry {
    fn key(&self) -> &[u8] {
        &self.key_and_value[..self.key_len]
    }

    fn value(&self) -> &[u8] {
        &self.key_and_value[self.key_len..]
    }
}

impl Default for Memo {
    fn default() -> Self {
        Self {
            slots: Mutex::new(std::array::from_fn(|_| None)),
        }
    }
}

/// A fast, non-cryptographic hash of the whole key (multiply-rotate over
/// 8-byte words); equality is always checked on the full key.
fn memo_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = (key.len() as u64).wrapping_mul(K);
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("8-byte chunk"));
        hash = (hash ^ word).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = (hash ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    hash ^ (hash >> 32)
}

impl Memo {
    fn get_or_try_insert<E>(&self, key: &[u8], compute: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>) -> Result<Vec<u8>, E> {
        if key.len() > MEMO_MAX_KEY {
            return compute(key);
        }
        let hash = memo_hash(key);
        let slot = (hash as usize) % MEMO_ENTRIES;
        if let Ok(slots) = self.slots.lock() {
            if let Some(entry) = &slots[slot] {
                if entry.hash == hash && entry.key() == key {
                    return Ok(entry.value().to_vec());
                }
            }
        }
        let value = compute(key)?;
        if value.len() > MEMO_MAX_VALUE {
            return Ok(value);
        }
        if let Ok(mut slots) = self.slots.lock() {
            let entry = slots[slot].get_or_insert_with(|| MemoEntry {
                hash,
                key_len: 0,
                key_and_value: Vec::with_capacity(key.len() + value.len()),
            });
            entry.hash = hash;
            entry.key_len = key.len();
            entry.key_and_value.clear();
            entry.key_and_value.extend_from_slice(key);
            entry.key_and_value.extend_from_slice(&value);
        }
        Ok(value)
    }
}

fn encode_payload(json: &[u8]) -> Result<Vec<u8>, std::convert::Infallible> {
    let mut encoded = Vec::with_capacity(json.len() * 4 / 3 + 8);
    payload::encode_into(json, &mut encoded);
    Ok(encoded)
}

/// `BadPayload` with the message stock gives for a failed inflate, caused by
/// (and carrying as `original_error`) a plain `ValueError` that names the
/// setting, so a user's traceback shows no private class.
fn too_large_error(py: Python<'_>, limit: usize) -> PyErr {
    let original = PyValueError::new_err(format!("the decompressed payload exceeds max_decompressed_size ({limit} bytes)"));
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("original_error", original.value(py))?;
        let error = py.import("itsdangerous.exc")?.getattr("BadPayload")?.call(
            ("Could not zlib decompress the payload before decoding the payload",),
            Some(&kwargs),
        )?;
        Ok(PyErr::from_value(error))
    };
    match build() {
        Ok(error) => {
            error.set_cause(py, Some(original));
            error
        }
        Err(failed) => failed,
    }
}

/// Largest timestamp `datetime.fromtimestamp(ts, tz=utc)` accepts (9999-12-31T23:59:59).
const MAX_DATETIME_TIMESTAMP: u64 = 253_402_300_799;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Signer / TimestampSigner: bytes in, bytes out.
    Raw,
    /// `Serializer` with the `json` module: `json.dumps(obj)`, unencoded.
    Json,
    /// `URLSafeSerializerMixin` with `_CompactJSON`.
    UrlSafeJson,
    /// Flask's session serializer: tagged JSON, sorted, ASCII, URL-safe.
    FlaskSession,
}

impl Format {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "raw" => Self::Raw,
            "json" => Self::Json,
            "urlsafe_json" => Self::UrlSafeJson,
            "flask_session" => Self::FlaskSession,
            _ => return None,
        })
    }

    fn dump_options(self) -> DumpOptions {
        match self {
            Self::Raw | Self::Json => DumpOptions {
                ensure_ascii: true,
                sort_keys: false,
                compact: false,
                flask_tags: false,
            },
            Self::UrlSafeJson => DumpOptions {
                ensure_ascii: false,
                sort_keys: false,
                compact: true,
                flask_tags: false,
            },
            Self::FlaskSession => DumpOptions {
                ensure_ascii: true,
                sort_keys: true,
                compact: true,
                flask_tags: true,
            },
        }
    }

    fn is_url_safe(self) -> bool {
        matches!(self, Self::UrlSafeJson | Self::FlaskSession)
    }
}

/// Why a token was not verified.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The signature does not match (or there is no separator).
    BadSignature,
    /// The signature matches; the timestamp is missing, malformed or out of age.
    BadTimestamp,
    /// Something stock must decide itself (the input's type, a datetime it cannot build).
    Declined,
}

impl From<TokenError> for Verdict {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::MissingSeparator | TokenError::BadSignature => Self::BadSignature,
            TokenError::MissingTimestamp | TokenError::MalformedTimestamp | TokenError::Expired => Self::BadTimestamp,
        }
    }
}

/// What `loads`/`unsign` return for a token they reject: the HMAC has been
/// checked, so the Python layer builds stock's exception from the token
/// (`_engine.rejection`) without checking it again.
#[pyclass(frozen, module = "itsdangerous_rs._core")]
pub struct Rejected {
    /// True when the signature matched and the timestamp failed.
    #[pyo3(get)]
    signature_valid: bool,
}

static SIGNATURE_REJECTED: PyOnceLock<Py<Rejected>> = PyOnceLock::new();
static TIMESTAMP_REJECTED: PyOnceLock<Py<Rejected>> = PyOnceLock::new();

/// The shared `Rejected` object for `verdict`; NotImplemented for `Declined`.
pub(crate) fn rejection(py: Python<'_>, verdict: Verdict) -> PyResult<Bound<'_, PyAny>> {
    let cell = match verdict {
        Verdict::BadSignature => &SIGNATURE_REJECTED,
        Verdict::BadTimestamp => &TIMESTAMP_REJECTED,
        Verdict::Declined => return Ok(py.NotImplemented().into_bound(py)),
    };
    let signature_valid = verdict == Verdict::BadTimestamp;
    Ok(cell.get_or_try_init(py, || Py::new(py, Rejected { signature_valid }))?.bind(py).clone().into_any())
}

#[pyclass(frozen, module = "itsdangerous_rs._core")]
pub struct Engine {
    signer: TokenSigner,
    timed: bool,
    format: Format,
    max_decompressed: usize,
    /// JSON → encoded payload.
    encoded_payloads: Memo,
    /// Verified payload → JSON.
    decoded_payloads: Memo,
}

/// The bytes of a `str` (as UTF-8) or `bytes` token, as `want_bytes` gives them.
fn token_bytes<'a>(token: &'a Bound<'_, PyAny>) -> Option<&'a [u8]> {
    if let Ok(bytes) = token.cast::<PyBytes>() {
        return Some(bytes.as_bytes());
    }
    token.cast::<PyString>().ok()?.to_str().ok().map(str::as_bytes)
}

/// An `int` argument as `i64`: `Ok(None)` for `None`, `Err(())` for anything
/// outside `i64` (stock handles any int, so the caller falls back to it).
fn int_arg(value: Option<&Bound<'_, PyAny>>) -> Result<Option<i64>, ()> {
    value.map(|v| v.extract::<i64>().map_err(|_| ())).transpose()
}

/// The clock argument: an `int`, or `time.time()`'s float truncated as
/// `int(time.time())` truncates it, which saves the caller an `int()` call.
fn now_arg(value: Option<&Bound<'_, PyAny>>) -> Result<Option<i64>, ()> {
    if let Some(seconds) = value.and_then(|v| v.cast::<PyFloat>().ok()) {
        let seconds = seconds.value();
        // Finite and inside i64 after truncation; anything else goes to stock.
        return if seconds.is_finite() && seconds.abs() < 9.0e18 { Ok(Some(seconds as i64)) } else { Err(()) };
    }
    int_arg(value)
}

impl Engine {
    /// True for a Flask session engine, whose output depends on the app context.
    pub(crate) fn is_flask_session(&self) -> bool {
        self.format == Format::FlaskSession
    }

    /// Verifies the token: the value, and the timestamp of a timed token;
    /// or the rejection to report; or `Declined` for stock to decide.
    fn verify<'a>(&self, token: &'a [u8], max_age: Option<i64>, now: i64) -> Result<(&'a [u8], Option<u64>), Verdict> {
        if self.timed {
            let unsigned = self.signer.unsign_timed(token, max_age, now).map_err(Verdict::from)?;
            let ts = unsigned.timestamp.ok_or(Verdict::Declined)?;
            if ts > MAX_DATETIME_TIMESTAMP {
                return Err(Verdict::Declined); // stock fails building the datetime; let it say how
            }
            Ok((unsigned.value, Some(ts)))
        } else {
            self.signer.unsign(token).map(|value| (value, None)).map_err(Verdict::from)
        }
    }

    fn timestamp_for_signing(&self, now: Option<i64>) -> Result<Option<u64>, ()> {
        match (self.timed, now) {
            (false, _) => Ok(None),
            (true, Some(now)) => u64::try_from(now).map(Some).map_err(|_| ()),
            (true, None) => Err(()),
        }
    }
}

#[pymethods]
impl Engine {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (secret_keys, salt, key_derivation, derive_digest, mac_digest, sep, timed, format, max_decompressed))]
    fn new(
        secret_keys: Vec<Vec<u8>>,
        salt: Vec<u8>,
        key_derivation: &str,
        derive_digest: &str,
        mac_digest: &str,
        sep: Vec<u8>,
        timed: bool,
        format: &str,
        max_decompressed: usize,
    ) -> PyResult<Self> {
        let unknown = |what: &str, name: &str| PyValueError::new_err(format!("unsupported {what}: {name}"));
        let key_derivation = KeyDerivation::from_name(key_derivation).ok_or_else(|| unknown("key derivation", key_derivation))?;
        let derive_digest = Digest::from_name(derive_digest).ok_or_else(|| unknown("digest", derive_digest))?;
        let mac_digest = Digest::from_name(mac_digest).ok_or_else(|| unknown("digest", mac_digest))?;
        let format = Format::from_name(format).ok_or_else(|| unknown("format", format))?;
        if sep.is_empty() {
            return Err(unknown("separator", ""));
        }
        let key_refs: Vec<&[u8]> = secret_keys.iter().map(Vec::as_slice).collect();
        let keys = SigningKeys::new(&SignerConfig {
            secret_keys: &key_refs,
            salt: &salt,
            key_derivation,
            derive_digest,
            mac_digest,
        })
        .ok_or_else(|| PyValueError::new_err("no secret key"))?;
        Ok(Self {
            signer: TokenSigner { keys, sep },
            timed,
            format,
            max_decompressed,
            encoded_payloads: Memo::default(),
            decoded_payloads: Memo::default(),
        })
    }

    /// The signer's separator, for building a rejection's exception.
    #[getter]
    fn separator<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.signer.sep)
    }

    /// `Signer.sign` / `TimestampSigner.sign`.
    #[pyo3(signature = (value, now=None))]
    fn sign<'py>(&self, py: Python<'py>, value: &Bound<'py, PyAny>, now: Option<&Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
        let timestamp = now_arg(now).and_then(|now| self.timestamp_for_signing(now));
        let (Some(value), Ok(timestamp)) = (token_bytes(value), timestamp) else {
            return py.NotImplemented().into_bound(py);
        };
        PyBytes::new(py, &self.signer.sign(value, timestamp)).into_any()
    }

    /// `Signer.unsign` (value) / `TimestampSigner.unsign` (value, timestamp).
    #[pyo3(signature = (token, max_age=None, now=None))]
    fn unsign<'py>(&self, py: Python<'py>, token: &Bound<'py, PyAny>, max_age: Option<&Bound<'py, PyAny>>, now: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let (Ok(max_age), Ok(now)) = (int_arg(max_age), now_arg(now)) else {
            return Ok(py.NotImplemented().into_bound(py));
        };
        let Some(token) = token_bytes(token) else {
            return Ok(py.NotImplemented().into_bound(py));
        };
        let (value, ts) = match self.verify(token, max_age, now.unwrap_or(0)) {
            Ok(verified) => verified,
            Err(verdict) => return rejection(py, verdict),
        };
        let value = PyBytes::new(py, value).into_any();
        Ok(match ts {
            Some(ts) => PyTuple::new(py, [value, ts.into_pyobject(py)?.into_any()])?.into_any(),
            None => value,
        })
    }

    /// `Serializer.dumps` for the engine's format; `now` for timed serializers.
    #[pyo3(signature = (obj, now=None))]
    pub(crate) fn dumps<'py>(&self, py: Python<'py>, obj: &Bound<'py, PyAny>, now: Option<&Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
        let not_implemented = || py.NotImplemented().into_bound(py);
        if self.format == Format::Raw {
            return not_implemented();
        }
        let Ok(timestamp) = now_arg(now).and_then(|now| self.timestamp_for_signing(now)) else {
            return not_implemented();
        };
        let mut json = Vec::with_capacity(256);
        if dump_py(obj, &self.format.dump_options(), &mut json).is_err() {
            return not_implemented();
        }
        if self.format.is_url_safe() && json.len() > self.max_decompressed {
            // `loads` would refuse what this writes compressed: the Python layer decides.
            return not_implemented();
        }
        let token = if self.format.is_url_safe() {
            let Ok(encoded) = self.encoded_payloads.get_or_try_insert(&json, encode_payload);
            self.signer.sign(&encoded, timestamp)
        } else {
            self.signer.sign(&json, timestamp)
        };
        if token.is_ascii() {
            // Always, unless a custom separator is not ASCII.
            // SAFETY: checked just above.
            return unsafe { new_ascii(py, &token) }.map(Bound::into_any).unwrap_or_else(|_| not_implemented());
        }
        match std::str::from_utf8(&token) {
            Ok(text) => PyString::new(py, text).into_any(),
            Err(_) => not_implemented(),
        }
    }

    /// `Serializer.loads` / `TimedSerializer.loads`: the object, or
    /// `(object, timestamp)` when `with_timestamp`; a `Rejected` for a token
    /// whose signature or timestamp fails; NotImplemented for stock to decide.
    #[pyo3(signature = (token, max_age=None, now=None, with_timestamp=false))]
    pub(crate) fn loads<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        max_age: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
        with_timestamp: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (Ok(max_age), Ok(now), Some(token)) = (int_arg(max_age), now_arg(now), token_bytes(token)) else {
            return Ok(py.NotImplemented().into_bound(py));
        };
        match self.load_token(py, token, max_age, now.unwrap_or(0))? {
            Loaded::Value(obj, ts) => match (with_timestamp, ts) {
                (true, Some(ts)) => Ok(PyTuple::new(py, [obj, ts.into_pyobject(py)?.into_any()])?.into_any()),
                (true, None) => Ok(py.NotImplemented().into_bound(py)),
                (false, _) => Ok(obj),
            },
            Loaded::Refused(verdict) => rejection(py, verdict),
            Loaded::TooLarge => Err(too_large_error(py, self.max_decompressed)),
        }
    }
}

/// What `Engine::load_token` made of a token.
pub(crate) enum Loaded<'py> {
    /// The object, and the timestamp of a timed token.
    Value(Bound<'py, PyAny>, Option<u64>),
    /// Rejected, or declined for stock to decide (`Verdict::Declined`).
    Refused(Verdict),
    /// Verified, but its payload inflates past `max_decompressed`.
    TooLarge,
}

impl Engine {
    /// Verifies `token` and builds its object: the one way in for every loads.
    pub(crate) fn load_token<'py>(&self, py: Python<'py>, token: &[u8], max_age: Option<i64>, now: i64) -> PyResult<Loaded<'py>> {
        if self.format == Format::Raw {
            return Ok(Loaded::Refused(Verdict::Declined));
        }
        let (value, ts) = match self.verify(token, max_age, now) {
            Ok(verified) => verified,
            Err(verdict) => return Ok(Loaded::Refused(verdict)),
        };
        let decoded;
        let json: &[u8] = if self.format.is_url_safe() {
            let max_decompressed = self.max_decompressed;
            match self.decoded_payloads.get_or_try_insert(value, |v| payload::decode(v, max_decompressed)) {
                Ok(bytes) => {
                    decoded = bytes;
                    &decoded
                }
                Err(PayloadError::TooLarge) => return Ok(Loaded::TooLarge),
                Err(_) => return Ok(Loaded::Refused(Verdict::Declined)),
            }
        } else {
            value
        };
        // Invalid UTF-8 needs no check of its own: the parser validates every
        // string and rejects non-ASCII bytes elsewhere, and a rejection is
        // declined like any other.
        match load_py(py, json, self.format == Format::FlaskSession) {
            Ok(obj) => Ok(Loaded::Value(obj, ts)),
            Err(_) => Ok(Loaded::Refused(Verdict::Declined)),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<Rejected>()?;
    Ok(())
}
