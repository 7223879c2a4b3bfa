"""The four itsdangerous serializers with their default configurations in Rust."""

from __future__ import annotations

import json as _json_module
import time as _time
import typing as t
from datetime import datetime
from datetime import timezone

from itsdangerous import _json
from itsdangerous import serializer as _serializer
from itsdangerous import signer as _signer
from itsdangerous import timed as _timed
from itsdangerous import url_safe as _url_safe

# The rest of itsdangerous.serializer's public names, stock's own objects.
from itsdangerous.encoding import want_bytes as want_bytes
from itsdangerous.exc import BadPayload as BadPayload
from itsdangerous.exc import BadSignature as BadSignature
from itsdangerous.serializer import is_text_serializer as is_text_serializer

# Stock's own type variable (bound str | bytes, defaulting to the union), so
# ``Serializer[str]`` means here what it means in itsdangerous.
from itsdangerous.serializer import _TSerialized

from . import _core
from . import _engine
from .signer import Signer as Signer
from .signer import TimestampSigner

_Rejected = _core.Rejected

if t.TYPE_CHECKING:
    import collections.abc as cabc

    from itsdangerous.serializer import _PDataSerializer

    _SecretKey = t.Union[str, bytes, cabc.Iterable[str], cabc.Iterable[bytes]]
    _FallbackSigners = list[
        t.Union[dict[str, t.Any], tuple[type[_signer.Signer], dict[str, t.Any]], type[_signer.Signer]]
    ]

_UTC = timezone.utc
# Captured at import: the upstream-suite runner swaps the module attributes.
_StockTimedSerializer = _timed.TimedSerializer
_URLSafeSerializerMixin = _url_safe.URLSafeSerializerMixin

_PLAIN_SIGNERS = (_signer.Signer, Signer)
_TIMED_SIGNERS = (_timed.TimestampSigner, TimestampSigner)
_STOCK_PAYLOAD_METHODS = {
    "dump_payload": _serializer.Serializer.dump_payload,
    "load_payload": _serializer.Serializer.load_payload,
    "make_signer": _serializer.Serializer.make_signer,
}
_URL_SAFE_PAYLOAD_METHODS = {
    **_STOCK_PAYLOAD_METHODS,
    "dump_payload": _url_safe.URLSafeSerializerMixin.dump_payload,
    "load_payload": _url_safe.URLSafeSerializerMixin.load_payload,
}


_STR_OR_BYTES = (str, bytes)
#: (class, secret key, salt, max_decompressed_size) -> what Serializer.__init__ reuses.
_prepared_inits: dict[tuple[t.Any, ...], tuple[t.Any, ...]] = {}
_MAX_PREPARED_INITS = 256


def _init_inputs(cls: type) -> tuple[t.Any, ...]:
    """What stock's __init__ and the engine build read from the class: a saved
    state is reused only while these are the same objects."""
    return (
        cls.__init__,
        cls.__setattr__,
        cls.default_serializer,
        cls.default_signer,
        tuple(cls.default_fallback_signers),
        cls.dump_payload,
        cls.load_payload,
        cls.make_signer,
        cls._rs_engine,
        cls._rs_build_engine,
        _engine.stock_only.get(),
    )


class Serializer(_serializer.Serializer[_TSerialized]):
    """:class:`itsdangerous.Serializer`; exact default configurations run in Rust."""

    #: Inflated payloads larger than this many bytes raise ``BadPayload``.
    max_decompressed_size: int = _engine.DEFAULT_MAX_DECOMPRESSED_SIZE

    if t.TYPE_CHECKING:
        # Stock's constructor, declared again so that the self types name
        # this class: ``Serializer("k")`` is a ``Serializer[str]`` here as
        # it is in itsdangerous (inherited, they would name stock's class).
        @t.overload
        def __init__(
            self: Serializer[str],
            secret_key: _SecretKey,
            salt: str | bytes | None = b"itsdangerous",
            serializer: None | _PDataSerializer[str] = None,
            serializer_kwargs: dict[str, t.Any] | None = None,
            signer: type[_signer.Signer] | None = None,
            signer_kwargs: dict[str, t.Any] | None = None,
            fallback_signers: _FallbackSigners | None = None,
        ) -> None: ...
        @t.overload
        def __init__(
            self: Serializer[bytes],
            secret_key: _SecretKey,
            salt: str | bytes | None,
            serializer: _PDataSerializer[bytes],
            serializer_kwargs: dict[str, t.Any] | None = None,
            signer: type[_signer.Signer] | None = None,
            signer_kwargs: dict[str, t.Any] | None = None,
            fallback_signers: _FallbackSigners | None = None,
        ) -> None: ...
        @t.overload
        def __init__(
            self: Serializer[bytes],
            secret_key: _SecretKey,
            salt: str | bytes | None = b"itsdangerous",
            *,
            serializer: _PDataSerializer[bytes],
            serializer_kwargs: dict[str, t.Any] | None = None,
            signer: type[_signer.Signer] | None = None,
            signer_kwargs: dict[str, t.Any] | None = None,
            fallback_signers: _FallbackSigners | None = None,
        ) -> None: ...
        @t.overload
        def __init__(
            self,
            secret_key: _SecretKey,
            salt: str | bytes | None,
            serializer: t.Any,
            serializer_kwargs: dict[str, t.Any] | None = None,
            signer: type[_signer.Signer] | None = None,
            signer_kwargs: dict[str, t.Any] | None = None,
            fallback_signers: _FallbackSigners | None = None,
        ) -> None: ...
        @t.overload
        def __init__(
            self,
            secret_key: _SecretKey,
            salt: str | bytes | None = b"itsdangerous",
            *,
            serializer: t.Any,
            serializer_kwargs: dict[str, t.Any] | None = None,
            signer: type[_signer.Signer] | None = None,
            signer_kwargs: dict[str, t.Any] | None = None,
            fallback_signers: _FallbackSigners | None = None,
        ) -> None: ...
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None: ...

    if not t.TYPE_CHECKING:

        def __init__(
            self,
            secret_key,
            salt=b"itsdangerous",
            serializer=None,
            serializer_kwargs=None,
            signer=None,
            signer_kwargs=None,
            fallback_signers=None,
        ):
            # Libraries such as Flask-WTF build a serializer per call: for the
            # default shape with one str/bytes key, repeat the state stock's
            # __init__ left last time for this class, key and salt (with the
            # engine already prepared) instead of redoing it attribute by attribute.
            if (
                serializer is None
                and serializer_kwargs is None
                and signer is None
                and signer_kwargs is None
                and fallback_signers is None
                and type(secret_key) in _STR_OR_BYTES
                and (salt is None or type(salt) in _STR_OR_BYTES)
            ):
                cls = type(self)
                cache_key = (cls, secret_key, salt, cls.max_decompressed_size)
                cached = _prepared_inits.get(cache_key)
                if cached is not None and cached[0] == _init_inputs(cls):
                    _, key, saved_salt, is_text, engine = cached
                    self.__dict__.update(
                        secret_keys=[key],
                        salt=saved_salt,
                        serializer=cls.default_serializer,
                        is_text_serializer=is_text,
                        signer=cls.default_signer,
                        signer_kwargs={},
                        fallback_signers=list(cls.default_fallback_signers),
                        serializer_kwargs={},
                        _rs_keys=(key,),
                        _rs_default_engine=engine,
                    )
                    return
                super().__init__(secret_key, salt)
                state = self.__dict__
                if _engine.stock_only.get() or "_rs_default_engine" in state or cls._rs_engine is not _OWN_RS_ENGINE:
                    return  # only the plain engine: a subclass's may depend on more than the class
                if cls.__setattr__ is not _OWN_SETATTR:
                    return  # the subclass wants to see each attribute set
                engine = self._rs_engine(None)
                if engine is None:  # stock's configuration runs as stock, every time
                    return
                if len(_prepared_inits) >= _MAX_PREPARED_INITS:
                    _prepared_inits.clear()
                _prepared_inits[cache_key] = (
                    _init_inputs(cls),
                    state["secret_keys"][0],
                    state["salt"],
                    state["is_text_serializer"],
                    engine,
                )
                return
            super().__init__(
                secret_key, salt, serializer, serializer_kwargs, signer, signer_kwargs, fallback_signers
            )

    def __setattr__(self, name: str, value: t.Any) -> None:
        # Any change to the configuration invalidates the prepared engine.
        object.__setattr__(self, name, value)
        self.__dict__.pop("_rs_default_engine", None)

    def _rs_payload_format(self) -> str | None:
        """The Rust payload format matching ``self.serializer``, if any."""
        if self.serializer_kwargs:
            return None
        cls = type(self)
        if isinstance(self, _URLSafeSerializerMixin):
            methods, serializer = _URL_SAFE_PAYLOAD_METHODS, _json._CompactJSON
            payload_format = "urlsafe_json"
        else:
            methods, serializer = _STOCK_PAYLOAD_METHODS, _json_module
            payload_format = "json"
        if self.serializer is not serializer:
            return None
        if any(getattr(cls, name) is not method for name, method in methods.items()):
            return None
        return payload_format

    def _rs_build_engine(self, salt: t.Any) -> t.Any:
        timed = isinstance(self, _StockTimedSerializer)
        if self.signer not in (_TIMED_SIGNERS if timed else _PLAIN_SIGNERS):
            return None
        payload_format = self._rs_payload_format()
        if payload_format is None:
            return None
        settings = _engine.signer_class_settings(self.signer, self.signer_kwargs)
        if settings is None:
            return None
        key_derivation, digest_method, sep = settings
        if salt is None:
            salt = self.salt
        if salt is None:
            salt = b"itsdangerous.Signer"
        elif isinstance(salt, str):
            salt = salt.encode("utf-8")
        return _engine.get_engine(
            self.secret_keys,
            salt,
            key_derivation,
            digest_method,
            digest_method,
            sep,
            timed,
            payload_format,
            self.max_decompressed_size,
        )

    def _rs_engine(self, salt: t.Any) -> t.Any:
        if _engine.stock_only.get():
            return None
        if salt is not None:
            return self._rs_build_engine(salt)
        state = self.__dict__
        if "_rs_default_engine" in state and _engine.same_keys(self.secret_keys, state.get("_rs_keys")):
            return state["_rs_default_engine"]
        # First use, or the key list was changed in place: snapshot it, then build.
        state["_rs_keys"] = tuple(self.secret_keys)
        engine = state["_rs_default_engine"] = self._rs_build_engine(None)
        return engine

    def dumps(self, obj: t.Any, salt: str | bytes | None = None) -> _TSerialized:
        engine = self._rs_engine(salt)
        if engine is not None:
            rv = engine.dumps(obj, _time.time())
            if rv is not NotImplemented:
                return rv  # type: ignore[no-any-return]
        return super().dumps(obj, salt)

    def _dumps_declined(self, obj: t.Any) -> _TSerialized:
        """``dumps`` of an object the engine declined: stock writes it or raises."""
        return super().dumps(obj)

    def loads(self, s: str | bytes, salt: str | bytes | None = None, **kwargs: t.Any) -> t.Any:
        engine = self._rs_engine(salt)
        if engine is not None and not kwargs:
            rv = engine.loads(s)  # an oversized inflate raises BadPayload itself
            if type(rv) is _Rejected and not self.fallback_signers:
                raise _engine.rejection(s, engine.separator, rv)
            if rv is not NotImplemented and type(rv) is not _Rejected:
                return rv
            # Declined (a payload it does not read, or fallback signers to try): stock decides.
            return _engine.run_stock(super().loads, s, salt, **kwargs)
        return super().loads(s, salt, **kwargs)


class TimedSerializer(_timed.TimedSerializer[_TSerialized], Serializer[_TSerialized]):
    """:class:`itsdangerous.TimedSerializer`; exact default configurations run in Rust."""

    default_signer = TimestampSigner

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> t.Any:
        engine = self._rs_engine(salt)
        if engine is not None and (max_age is None or type(max_age) is int) and type(return_timestamp) is bool:
            now = _time.time()
            rv = engine.loads(s, max_age, now, return_timestamp)
            if type(rv) is _Rejected:
                if self.fallback_signers:  # stock tries each and raises the last one's error
                    return _engine.run_stock(super().loads, s, max_age, return_timestamp, salt)
                raise _engine.rejection(s, engine.separator, rv, True, max_age, now)
            if rv is not NotImplemented:
                if return_timestamp:
                    return rv[0], datetime.fromtimestamp(rv[1], tz=_UTC)
                return rv
            # Declined (a payload it does not read, say): stock decides without Rust retrying.
            return _engine.run_stock(super().loads, s, max_age, return_timestamp, salt)
        return super().loads(s, max_age, return_timestamp, salt)

    def _loads_declined(self, s: str | bytes, max_age: int | None) -> t.Any:
        """``loads`` of a token the engine declined: stock decides without Rust retrying."""
        return _engine.run_stock(super().loads, s, max_age, False, None)

    def _loads_rejected(self, s: str | bytes, max_age: int | None, rejected: t.Any, now: float) -> t.Any:
        """For the C-level ``loads``: stock's exception for a token the engine rejected, its HMAC checked once."""
        if self.fallback_signers:  # stock tries each and raises the last one's error
            return _engine.run_stock(super().loads, s, max_age, False, None)
        raise _engine.rejection(s, self.__dict__["_rs_default_engine"].separator, rejected, True, max_age, now)


# The two hottest calls skip the Python frame: C-level methods (methods.rs)
# take the default call shape straight to the engine and hand every other
# call to the Python methods above, kept as ``_dumps_python``/``_loads_python``.
_OWN_RS_ENGINE = Serializer._rs_engine
_OWN_SETATTR = Serializer.__setattr__
_core.install_serializer_method(Serializer, "dumps")
_core.install_serializer_method(TimedSerializer, "timed_loads")


class URLSafeSerializer(_url_safe.URLSafeSerializer, Serializer[str]):
    """:class:`itsdangerous.URLSafeSerializer`; exact default configurations run in Rust."""


class URLSafeTimedSerializer(_url_safe.URLSafeTimedSerializer, TimedSerializer[str]):
    """:class:`itsdangerous.URLSafeTimedSerializer`; exact default configurations run in Rust."""


Serializer.default_signer = Signer
