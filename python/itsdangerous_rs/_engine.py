"""Deciding when a configuration is one the Rust engine reproduces exactly.

An engine is built once per distinct configuration and shared: building one
derives every key, so it must not happen per call.
"""

from __future__ import annotations

import contextvars
import hashlib
import typing as t
from datetime import datetime
from datetime import timezone

from itsdangerous import signer as _signer
from itsdangerous import timed as _timed
from itsdangerous.encoding import _base64_alphabet
from itsdangerous.encoding import base64_decode
from itsdangerous.encoding import bytes_to_int
from itsdangerous.exc import BadSignature
from itsdangerous.exc import BadTimeSignature
from itsdangerous.exc import SignatureExpired

from . import _core

#: Inflated payloads larger than this raise ``BadPayload`` instead of being
#: built (stock has no cap). Overridable per serializer class or instance.
DEFAULT_MAX_DECOMPRESSED_SIZE = 16 * 1024 * 1024

_DIGEST_NAMES: dict[t.Any, str] = {
    _signer._lazy_sha1: "sha1",
    hashlib.sha1: "sha1",
    hashlib.sha224: "sha224",
    hashlib.sha256: "sha256",
    hashlib.sha384: "sha384",
    hashlib.sha512: "sha512",
}
try:  # Flask ships its own lazy SHA-1 for its session interface.
    from flask.sessions import _lazy_sha1 as _flask_lazy_sha1
except ImportError:  # pragma: no cover - Flask is optional
    pass
else:
    _DIGEST_NAMES[_flask_lazy_sha1] = "sha1"

_KEY_DERIVATIONS = frozenset({"concat", "django-concat", "hmac", "none"})
_SIGNER_KWARGS = frozenset({"key_derivation", "digest_method", "sep"})

#: Set while stock code re-runs a call the engine declined (a bad token, say):
#: the signers stock builds on the way would only decline it again.
stock_only: contextvars.ContextVar[bool] = contextvars.ContextVar("itsdangerous_rs_stock_only", default=False)
_core.register_stock_only(stock_only)


def run_stock(call: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    """``call(*args, **kwargs)`` with the Rust engine out of the way."""
    token = stock_only.set(True)
    try:
        return call(*args, **kwargs)
    finally:
        stock_only.reset(token)


def same_keys(keys: t.Any, seen: tuple[t.Any, ...] | None) -> bool:
    """True when ``keys`` still holds exactly the objects in ``seen``, in order.

    A prepared engine keeps its keys; stock reads ``secret_keys`` on every
    call, so a list changed in place (``s.secret_keys.append(k)``) must send
    the object back to build a new engine. Comparing the length and each
    item's identity costs far less than deriving the keys again.
    """
    if seen is None or type(keys) not in (list, tuple) or len(keys) != len(seen):
        return False
    return all(a is b for a, b in zip(keys, seen))


def rejection(
    token: str | bytes,
    sep: bytes,
    rejected: _core.Rejected,
    timed: bool = False,
    max_age: int | None = None,
    now: float = 0.0,
    timestamp_to_datetime: t.Callable[[int], datetime] | None = None,
) -> BadSignature:
    """The exception stock's ``unsign`` raises for a token the engine rejected.

    The engine has checked the HMAC (``rejected.signature_valid`` says how it
    went); everything else stock's ``Signer.unsign`` and
    ``TimestampSigner.unsign`` report follows from the token's text, so it is
    rebuilt here in stock's order, with stock's messages and attributes,
    without computing the HMAC again. ``now`` is the clock the engine used.
    """
    if isinstance(token, str):
        token = token.encode("utf-8")
    if timestamp_to_datetime is None:
        timestamp_to_datetime = _utc_datetime
    if not rejected.signature_valid:
        if sep not in token:
            error = BadSignature(f"No {sep!r} found in value")
        else:
            value, sig = token.rsplit(sep, 1)
            error = BadSignature(f"Signature {sig!r} does not match", payload=value)
        if not timed:
            return error
        result = error.payload or b""
        if sep not in result:
            return error
        value, ts_bytes = result.rsplit(sep, 1)
        date_signed = None
        ts_int = _timestamp(ts_bytes)
        if ts_int is not None:
            try:
                date_signed = timestamp_to_datetime(ts_int)
            except (ValueError, OSError, OverflowError) as exc:
                try:
                    raise BadTimeSignature("Malformed timestamp", payload=value) from exc
                except BadTimeSignature as chained:  # returned with its cause, as stock raises it
                    return chained
        return BadTimeSignature(str(error), payload=value, date_signed=date_signed)
    # The signature matched: the timestamp is missing, malformed or out of age.
    result = token.rsplit(sep, 1)[0]
    if sep not in result:
        return BadTimeSignature("timestamp missing", payload=result)
    value, ts_bytes = result.rsplit(sep, 1)
    ts_int = _timestamp(ts_bytes)
    if ts_int is None:
        return BadTimeSignature("Malformed timestamp", payload=value)
    age = int(now) - ts_int
    if max_age is not None and age > max_age:
        message = f"Signature age {age} > {max_age} seconds"
    else:
        message = f"Signature age {age} < 0 seconds"
    return SignatureExpired(message, payload=value, date_signed=timestamp_to_datetime(ts_int))


def _utc_datetime(ts: int) -> datetime:
    """Stock ``TimestampSigner.timestamp_to_datetime``."""
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _timestamp(ts_bytes: bytes) -> int | None:
    """``bytes_to_int(base64_decode(ts_bytes))``, None where stock's attempt fails."""
    try:
        return bytes_to_int(base64_decode(ts_bytes))
    except Exception:  # stock catches every failure here too
        return None


_engines: dict[tuple[t.Any, ...], _core.Engine] = {}
_MAX_ENGINES = 256


def digest_name(digest_method: t.Any) -> str | None:
    try:
        return _DIGEST_NAMES.get(digest_method)
    except TypeError:  # unhashable digest object
        return None


def get_engine(
    secret_keys: t.Sequence[bytes],
    salt: bytes,
    key_derivation: t.Any,
    derive_digest: t.Any,
    mac_digest: t.Any,
    sep: t.Any,
    timed: bool,
    payload_format: str,
    max_decompressed: int,
) -> _core.Engine | None:
    """The shared engine for this configuration, or None if Rust can't do it."""
    derive_name = digest_name(derive_digest)
    mac_name = digest_name(mac_digest)
    if (
        derive_name is None
        or mac_name is None
        or key_derivation not in _KEY_DERIVATIONS
        or type(sep) is not bytes
        or not sep
        or sep in _base64_alphabet
        or type(salt) is not bytes
        or not secret_keys
        or any(type(k) is not bytes for k in secret_keys)
    ):
        return None
    key = (
        tuple(secret_keys),
        salt,
        key_derivation,
        derive_name,
        mac_name,
        sep,
        timed,
        payload_format,
        max_decompressed,
    )
    engine = _engines.get(key)
    if engine is None:
        if len(_engines) >= _MAX_ENGINES:
            _engines.clear()
        engine = _engines[key] = _core.Engine(list(key[0]), *key[1:])
    return engine


def signer_class_settings(
    signer_cls: type, signer_kwargs: dict[str, t.Any]
) -> tuple[t.Any, t.Any, t.Any] | None:
    """(key_derivation, digest_method, sep) a serializer's signer would get."""
    if not _SIGNER_KWARGS.issuperset(signer_kwargs):
        return None
    key_derivation = signer_kwargs.get("key_derivation")
    if key_derivation is None:
        key_derivation = signer_cls.default_key_derivation
    digest_method = signer_kwargs.get("digest_method")
    if digest_method is None:
        digest_method = signer_cls.default_digest_method
    sep = signer_kwargs.get("sep", b".")
    if isinstance(sep, str):
        sep = sep.encode("utf-8")
    return key_derivation, digest_method, sep


_STOCK_SIGNER_METHODS = {
    name: getattr(_timed.TimestampSigner, name)
    for name in (
        "derive_key",
        "get_signature",
        "verify_signature",
        "get_timestamp",
        "timestamp_to_datetime",
    )
}


_TIMED_ONLY = frozenset({"get_timestamp", "timestamp_to_datetime"})


def signer_methods_are_stock(cls: type, timed: bool) -> bool:
    """Rust skips these methods, so a subclass overriding one keeps stock."""
    return all(
        getattr(cls, name, None) is method
        for name, method in _STOCK_SIGNER_METHODS.items()
        if timed or name not in _TIMED_ONLY
    )
