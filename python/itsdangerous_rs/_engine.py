"""Deciding when a configuration is one the Rust engine reproduces exactly.

An engine is built once per distinct configuration and shared: building one
derives every key, so it must not happen per call.
"""

from __future__ import annotations

import contextvars
import hashlib
import typing as t

from itsdangerous import signer as _signer
from itsdangerous import timed as _timed
from itsdangerous.encoding import _base64_alphabet

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
