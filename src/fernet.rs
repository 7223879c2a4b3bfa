//! `Fernet` and `MultiFernet` with `cryptography.fernet`'s API, arguments and
//! errors (its own classes are PyO3 too, so argument errors read the same),
//! and `FernetKeys` for the encrypted Flask session: tagged JSON and Fernet
//! in one call each way.
//!
//! `InvalidToken` is the class `itsdangerous_rs.fernet` defines (a subclass
//! of cryptography's when that is installed); it registers it at import.

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyString, PyTuple};

use super::clock::time_time;
use super::ffi::str::new_ascii;
use super::json::{dump_py, load_py, DumpOptions};
use itsdangerous_core::fernet::{decode_key, encode_key, fill_random, generate_key, hkdf_sha256_32, FernetKey, RandomError, TimeLimit, UnverifiedToken, KEY_LEN};

/// Flask's session JSON: what the signed engine writes before signing.
const FLASK_SESSION_JSON: DumpOptions = DumpOptions {
    ensure_ascii: true,
    sort_keys: true,
    compact: true,
    flask_tags: true,
};

static INVALID_TOKEN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// IVs come from a buffer of operating-system randomness refilled 256 IVs at
/// a time: one `getrandom` call costs more than the whole encryption here
/// (~350 ns a syscall on the benchmark machine). A forked child must not
/// hand out its parent's remaining IVs, so `os.register_at_fork` empties the
/// buffer in the child (set up when the module loads).
struct IvPool {
    buffer: [u8; 16 * 256],
    used: usize,
}

static IV_POOL: std::sync::Mutex<IvPool> = std::sync::Mutex::new(IvPool { buffer: [0; 16 * 256], used: 16 * 256 });

fn fresh_iv() -> PyResult<[u8; 16]> {
    let mut pool = IV_POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if pool.used == pool.buffer.len() {
        fill_random(&mut pool.buffer).map_err(random_failed)?;
        pool.used = 0;
    }
    let start = pool.used;
    let iv: [u8; 16] = pool.buffer[start..start + 16].try_into().expect("16 bytes");
    pool.buffer[start..start + 16].fill(0); // handed out once, then forgotten
    pool.used += 16;
    Ok(iv)
}

/// Empties the IV buffer (`os.register_at_fork(after_in_child=...)`).
#[pyfunction]
fn discard_random_ivs() {
    let mut pool = IV_POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    pool.buffer.fill(0);
    pool.used = pool.buffer.len();
}

#[pyfunction]
fn register_invalid_token(py: Python<'_>, cls: Bound<'_, PyAny>) {
    INVALID_TOKEN.get_or_init(py, || cls.unbind());
}

fn invalid_token(py: Python<'_>) -> PyErr {
    let cls = INVALID_TOKEN.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("itsdangerous_rs.fernet")?.getattr("InvalidToken")?.unbind())
    });
    match cls {
        Ok(cls) => PyErr::from_type(cls.bind(py).cast::<pyo3::types::PyType>().expect("a class").clone(), ()),
        Err(failed) => failed,
    }
}

/// `int(time.time())`, looked up on each call so that patched clocks
/// (freezegun, monkeypatch) apply as they do to cryptography.
fn current_time(py: Python<'_>) -> PyResult<i64> {
    seconds(&time_time(py)?)
}

/// `int(now)` of a float clock reading, or the int itself.
fn seconds(now: &Bound<'_, PyAny>) -> PyResult<i64> {
    if let Ok(float) = now.cast::<PyFloat>() {
        let value = float.value();
        if value.is_finite() && value.abs() < 9.0e18 {
            return Ok(value as i64);
        }
        return Err(PyValueError::new_err("time out of range"));
    }
    now.extract()
}

/// A token argument: `bytes` or `str` (a non-ASCII str is an invalid token).
enum Token<'a> {
    Bytes(&'a [u8]),
    NotAscii,
}

fn token_arg<'a>(token: &'a Bound<'_, PyAny>) -> PyResult<Token<'a>> {
    if let Ok(bytes) = token.cast::<PyBytes>() {
        return Ok(Token::Bytes(bytes.as_bytes()));
    }
    if let Ok(text) = token.cast::<PyString>() {
        return Ok(match text.to_str() {
            Ok(text) if text.is_ascii() => Token::Bytes(text.as_bytes()),
            _ => Token::NotAscii,
        });
    }
    Err(PyTypeError::new_err("token must be bytes or str"))
}

/// Parses a token argument; `InvalidToken` for anything but a well-formed token.
fn parse_token(py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<UnverifiedToken> {
    match token_arg(token)? {
        Token::Bytes(bytes) => UnverifiedToken::parse(bytes).map_err(|_| invalid_token(py)),
        Token::NotAscii => Err(invalid_token(py)),
    }
}

/// A bytes-like argument's contents (cryptography takes any buffer).
fn data_arg(data: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    let type_name = data.get_type().repr()?;
    let hint = if data.is_instance_of::<PyString>() { "\nDid you mean to pass a bytestring instead?" } else { "" };
    let not_a_buffer = || PyTypeError::new_err(format!("Cannot convert \"{type_name}\" instance to a buffer.{hint}"));
    let view = data.py().import("builtins")?.getattr("memoryview")?.call1((data,)).map_err(|_| not_a_buffer())?;
    view.call_method0("tobytes")?.extract::<Vec<u8>>()
}

/// The argument check cryptography makes before reading the clock.
fn check_data(data: &Bound<'_, PyAny>) -> PyResult<()> {
    if data.is_instance_of::<PyBytes>() {
        return Ok(());
    }
    data_arg(data).map(drop)
}

fn key_arg(key: &Bound<'_, PyAny>) -> PyResult<[u8; KEY_LEN]> {
    let bad_key = || PyValueError::new_err("Fernet key must be 32 url-safe base64-encoded bytes.");
    let bytes = match token_arg(key) {
        Ok(Token::Bytes(bytes)) => bytes.to_vec(),
        Ok(Token::NotAscii) => return Err(bad_key()),
        Err(_) => data_arg(key)?,
    };
    decode_key(&bytes).ok_or_else(bad_key)
}

fn random_failed(error: RandomError) -> PyErr {
    PyOSError::new_err(format!("the operating system gave no random bytes: {error}"))
}

fn seal(py: Python<'_>, key: &FernetKey, data: &Bound<'_, PyAny>, timestamp: u64, iv: Option<[u8; 16]>) -> PyResult<Py<PyBytes>> {
    let iv = match iv {
        Some(iv) => iv,
        None => fresh_iv()?,
    };
    let token = with_data(data, |data| key.encrypt_from_parts(data, timestamp, &iv))?;
    Ok(PyBytes::new(py, &token).unbind())
}

/// `f` over a bytes-like argument's contents (no copy for `bytes`).
fn with_data<T>(data: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> T) -> PyResult<T> {
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return Ok(f(bytes.as_bytes()));
    }
    Ok(f(&data_arg(data)?))
}

/// The IV argument of `_encrypt_from_parts`: 16 bytes, or any sequence of 16 ints as cryptography takes.
fn iv_arg(iv: &Bound<'_, PyAny>) -> PyResult<[u8; 16]> {
    if let Ok(bytes) = iv.cast::<PyBytes>() {
        if let Ok(iv) = bytes.as_bytes().try_into() {
            return Ok(iv);
        }
    }
    iv.extract()
}

/// Decrypts with the keys in order, checking the time when `ttl` is given.
fn open(py: Python<'_>, keys: &[FernetKey], token: &Bound<'_, PyAny>, ttl: Option<&Bound<'_, PyAny>>, now: Option<i64>) -> PyResult<Py<PyBytes>> {
    // cryptography reads the TTL before the token, so a bad TTL is a TypeError even on a bad token.
    let ttl: Option<i64> = ttl.map(|ttl| ttl.extract()).transpose()?;
    let parsed = parse_token(py, token)?;
    let limit = match ttl {
        Some(ttl) => Some(TimeLimit {
            ttl,
            now: match now {
                Some(now) => now,
                None => current_time(py)?,
            },
        }),
        None => None,
    };
    let plaintext = parsed.decrypt(keys, limit).map_err(|_| invalid_token(py))?;
    Ok(PyBytes::new(py, &plaintext).unbind())
}

fn verified_timestamp(py: Python<'_>, keys: &[FernetKey], token: &Bound<'_, PyAny>) -> PyResult<u64> {
    let parsed = parse_token(py, token)?;
    parsed.decrypt(keys, None).map_err(|_| invalid_token(py))?;
    Ok(parsed.timestamp)
}

fn ttl_required<'a, 'py>(ttl: Option<&'a Bound<'py, PyAny>>) -> PyResult<&'a Bound<'py, PyAny>> {
    ttl.filter(|ttl| !ttl.is_none())
        .ok_or_else(|| PyValueError::new_err("decrypt_at_time() can only be used with a non-None ttl"))
}

fn none_as_absent<'a, 'py>(value: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none())
}

#[pyclass(subclass, frozen, module = "itsdangerous_rs.fernet", name = "Fernet")]
pub struct Fernet {
    key: FernetKey,
}

#[pymethods]
impl Fernet {
    #[new]
    #[pyo3(signature = (key, backend=None))]
    fn new(key: &Bound<'_, PyAny>, backend: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let _ = backend; // accepted and ignored, as cryptography does
        Ok(Self { key: FernetKey::new(&key_arg(key)?) })
    }

    #[staticmethod]
    fn generate_key(py: Python<'_>) -> PyResult<Py<PyBytes>> {
        let key = generate_key().map_err(random_failed)?;
        Ok(PyBytes::new(py, &encode_key(&key)).unbind())
    }

    fn encrypt(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        check_data(data)?;
        let now = u64::try_from(current_time(py)?).map_err(|_| PyValueError::new_err("the clock is before 1970"))?;
        seal(py, &self.key, data, now, None)
    }

    fn encrypt_at_time(&self, py: Python<'_>, data: &Bound<'_, PyAny>, current_time: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        check_data(data)?;
        seal(py, &self.key, data, current_time.extract()?, None)
    }

    fn _encrypt_from_parts(&self, py: Python<'_>, data: &Bound<'_, PyAny>, current_time: &Bound<'_, PyAny>, iv: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        check_data(data)?;
        let timestamp: u64 = current_time.extract()?;
        seal(py, &self.key, data, timestamp, Some(iv_arg(iv)?))
    }

    #[pyo3(signature = (token, ttl=None))]
    fn decrypt(&self, py: Python<'_>, token: &Bound<'_, PyAny>, ttl: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyBytes>> {
        open(py, std::slice::from_ref(&self.key), token, none_as_absent(ttl), None)
    }

    fn decrypt_at_time(&self, py: Python<'_>, token: &Bound<'_, PyAny>, ttl: Option<&Bound<'_, PyAny>>, current_time: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        let ttl = ttl_required(ttl)?;
        open(py, std::slice::from_ref(&self.key), token, Some(ttl), Some(current_time.extract()?))
    }

    fn extract_timestamp(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<u64> {
        verified_timestamp(py, std::slice::from_ref(&self.key), token)
    }

    /// `(timestamp, decoded token)` without checking the tag.
    #[staticmethod]
    fn _get_unverified_token_data<'py>(py: Python<'py>, token: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        let bytes = match token_arg(token)? {
            Token::Bytes(bytes) => bytes,
            Token::NotAscii => return Err(invalid_token(py)),
        };
        let parsed = UnverifiedToken::parse(bytes).map_err(|_| invalid_token(py))?;
        (parsed.timestamp, PyBytes::new(py, parsed.raw())).into_pyobject(py)
    }
}

#[pyclass(subclass, frozen, module = "itsdangerous_rs.fernet", name = "MultiFernet")]
pub struct MultiFernet {
    keys: Vec<FernetKey>,
}

#[pymethods]
impl MultiFernet {
    #[new]
    fn new(fernets: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut keys = Vec::new();
        for fernet in fernets.try_iter()? {
            keys.push(fernet?.cast::<Fernet>()?.get().key.clone());
        }
        if keys.is_empty() {
            return Err(PyValueError::new_err("MultiFernet requires at least one Fernet instance"));
        }
        Ok(Self { keys })
    }

    fn encrypt(&self, py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        check_data(msg)?;
        let now = u64::try_from(current_time(py)?).map_err(|_| PyValueError::new_err("the clock is before 1970"))?;
        seal(py, &self.keys[0], msg, now, None)
    }

    fn encrypt_at_time(&self, py: Python<'_>, msg: &Bound<'_, PyAny>, current_time: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        check_data(msg)?;
        seal(py, &self.keys[0], msg, current_time.extract()?, None)
    }

    /// The plaintext of a token any key made, encrypted again by the first
    /// key with its original timestamp and a fresh IV.
    fn rotate(&self, py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        let parsed = parse_token(py, msg)?;
        let plaintext = parsed.decrypt(&self.keys, None).map_err(|_| invalid_token(py))?;
        let token = self.keys[0].encrypt_from_parts(&plaintext, parsed.timestamp, &fresh_iv()?);
        Ok(PyBytes::new(py, &token).unbind())
    }

    #[pyo3(signature = (msg, ttl=None))]
    fn decrypt(&self, py: Python<'_>, msg: &Bound<'_, PyAny>, ttl: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyBytes>> {
        open(py, &self.keys, msg, none_as_absent(ttl), None)
    }

    fn decrypt_at_time(&self, py: Python<'_>, msg: &Bound<'_, PyAny>, ttl: Option<&Bound<'_, PyAny>>, current_time: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        let ttl = ttl_required(ttl)?;
        open(py, &self.keys, msg, Some(ttl), Some(current_time.extract()?))
    }

    fn extract_timestamp(&self, py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<u64> {
        verified_timestamp(py, &self.keys, msg)
    }
}

/// Prepared keys for the encrypted Flask session: the first encrypts, all
/// decrypt, in order. Failures are `None` (the interface opens an empty
/// session), `NotImplemented` where Python's serializer must run.
#[pyclass(frozen, module = "itsdangerous_rs._core")]
pub struct FernetKeys {
    keys: Vec<FernetKey>,
}

impl FernetKeys {
    fn decrypt_bytes(&self, token: &Bound<'_, PyAny>, ttl: Option<i64>, now: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
        let Ok(Token::Bytes(bytes)) = token_arg(token) else {
            return Ok(None);
        };
        let Ok(parsed) = UnverifiedToken::parse(bytes) else {
            return Ok(None);
        };
        let limit = match ttl {
            Some(ttl) => Some(TimeLimit { ttl, now: seconds(now)? }),
            None => None,
        };
        Ok(parsed.decrypt(&self.keys, limit).ok())
    }
}

#[pymethods]
impl FernetKeys {
    /// `keys`: raw 32-byte Fernet keys, newest first.
    #[new]
    fn new(keys: Vec<Vec<u8>>) -> PyResult<Self> {
        if keys.is_empty() {
            return Err(PyValueError::new_err("at least one Fernet key is needed"));
        }
        let keys = keys
            .iter()
            .map(|key| {
                let key: &[u8; KEY_LEN] = key.as_slice().try_into().map_err(|_| PyValueError::new_err("a Fernet key is 32 bytes"))?;
                Ok(FernetKey::new(key))
            })
            .collect::<PyResult<_>>()?;
        Ok(Self { keys })
    }

    /// A token (`str`) for `data` at `int(now)`.
    pub(crate) fn encrypt<'py>(&self, py: Python<'py>, data: &[u8], now: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let timestamp = u64::try_from(seconds(now)?).map_err(|_| PyValueError::new_err("the clock is before 1970"))?;
        let token = self.keys[0].encrypt_from_parts(data, timestamp, &fresh_iv()?);
        // SAFETY: base64 output is ASCII.
        Ok(unsafe { new_ascii(py, &token) }?.into_any())
    }

    /// The plaintext, or None for any invalid or expired token.
    fn decrypt<'py>(&self, py: Python<'py>, token: &Bound<'py, PyAny>, ttl: Option<i64>, now: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        Ok(self.decrypt_bytes(token, ttl, now)?.map(|plaintext| PyBytes::new(py, &plaintext)))
    }

    /// A session dict as one token (`str`): Flask's tagged JSON, encrypted;
    /// NotImplemented for what Flask's Python serializer must write. The
    /// caller has checked that the app context allows the engine.
    pub(crate) fn session_dumps<'py>(&self, py: Python<'py>, session: &Bound<'py, PyDict>, now: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let mut json = Vec::with_capacity(256);
        if dump_py(session.as_any(), &FLASK_SESSION_JSON, &mut json).is_err() {
            return Ok(py.NotImplemented().into_bound(py));
        }
        self.encrypt(py, &json, now)
    }

    /// The session object of a token; None for an invalid or expired token;
    /// NotImplemented when Flask's Python serializer must read the JSON. The
    /// caller has checked that the app context allows the engine.
    pub(crate) fn session_loads<'py>(&self, py: Python<'py>, token: &Bound<'py, PyAny>, ttl: Option<i64>, now: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let Some(json) = self.decrypt_bytes(token, ttl, now)? else {
            return Ok(py.None().into_bound(py));
        };
        Ok(load_py(py, &json, true).unwrap_or_else(|_| py.NotImplemented().into_bound(py)))
    }
}

/// HKDF-SHA256 with a 32-byte output (the session keys' derivation).
#[pyfunction]
fn hkdf_sha256<'py>(py: Python<'py>, ikm: &[u8], salt: &[u8], info: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &hkdf_sha256_32(ikm, salt, info))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Fernet>()?;
    m.add_class::<MultiFernet>()?;
    m.add_class::<FernetKeys>()?;
    m.add_function(wrap_pyfunction!(hkdf_sha256, m)?)?;
    m.add_function(wrap_pyfunction!(register_invalid_token, m)?)?;
    let discard = wrap_pyfunction!(discard_random_ivs, m)?;
    m.add_function(discard.clone())?;
    let kwargs = PyDict::new(m.py());
    kwargs.set_item("after_in_child", discard)?;
    m.py().import("os")?.getattr("register_at_fork")?.call((), Some(&kwargs))?;
    Ok(())
}
