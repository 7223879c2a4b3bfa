"""``Signer`` and ``TimestampSigner`` with signing and verification in Rust."""

from __future__ import annotations

import time as _time
import typing as t
from datetime import datetime
from datetime import timezone

from itsdangerous import signer as _signer
from itsdangerous import timed as _timed

# The rest of itsdangerous.signer's public names, stock's own objects.
from itsdangerous.encoding import base64_decode as base64_decode
from itsdangerous.encoding import base64_encode as base64_encode
from itsdangerous.encoding import want_bytes as want_bytes
from itsdangerous.exc import BadSignature as BadSignature
from itsdangerous.signer import HMACAlgorithm as HMACAlgorithm
from itsdangerous.signer import NoneAlgorithm as NoneAlgorithm
from itsdangerous.signer import SigningAlgorithm as SigningAlgorithm

from . import _core
from . import _engine

_Rejected = _core.Rejected

_UTC = timezone.utc


class Signer(_signer.Signer):
    """:class:`itsdangerous.Signer` whose default HMAC configurations run in Rust."""

    def __setattr__(self, name: str, value: t.Any) -> None:
        # Any change to the configuration invalidates the prepared engine.
        object.__setattr__(self, name, value)
        self.__dict__.pop("_rs_engines", None)

    def _rs_engine(self, timed: bool) -> t.Any:
        """The engine for this signer's configuration, or None for stock."""
        if _engine.stock_only.get():
            return None
        state = self.__dict__
        engines = state.get("_rs_engines")
        if engines is None or not _engine.same_keys(self.secret_keys, state.get("_rs_keys")):
            # First use, or the key list was changed in place: snapshot it.
            state["_rs_keys"] = tuple(self.secret_keys)
            engines = state["_rs_engines"] = {}
        try:
            return engines[timed]
        except KeyError:
            pass
        engine = None
        algorithm = self.algorithm
        if type(algorithm) is _signer.HMACAlgorithm and _engine.signer_methods_are_stock(type(self), timed):
            engine = _engine.get_engine(
                self.secret_keys,
                self.salt,
                self.key_derivation,
                self.digest_method,
                algorithm.digest_method,
                self.sep,
                timed,
                "raw",
                0,
            )
        engines[timed] = engine
        return engine

    def sign(self, value: str | bytes) -> bytes:
        engine = self._rs_engine(False)
        if engine is not None:
            rv = engine.sign(value)
            if rv is not NotImplemented:
                return rv
        return super().sign(value)

    def unsign(self, signed_value: str | bytes) -> bytes:
        engine = self._rs_engine(False)
        if engine is not None:
            rv = engine.unsign(signed_value)
            if type(rv) is _Rejected:
                raise _engine.rejection(signed_value, self.sep, rv)
            if rv is not NotImplemented:
                return rv
        return super().unsign(signed_value)


class TimestampSigner(_timed.TimestampSigner, Signer):
    """:class:`itsdangerous.TimestampSigner` whose default HMAC configurations run in Rust."""

    def sign(self, value: str | bytes) -> bytes:
        engine = self._rs_engine(True)
        if engine is not None:
            rv = engine.sign(value, _time.time())
            if rv is not NotImplemented:
                return rv
        return super().sign(value)

    @t.overload
    def unsign(  # type: ignore[overload-overlap]
        self,
        signed_value: str | bytes,
        max_age: int | None = None,
        return_timestamp: t.Literal[False] = False,
    ) -> bytes: ...

    @t.overload
    def unsign(
        self,
        signed_value: str | bytes,
        max_age: int | None = None,
        return_timestamp: t.Literal[True] = True,
    ) -> tuple[bytes, datetime]: ...

    def unsign(
        self,
        signed_value: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
    ) -> tuple[bytes, datetime] | bytes:
        engine = self._rs_engine(True)
        if engine is not None and (max_age is None or type(max_age) is int):
            now = _time.time()
            rv = engine.unsign(signed_value, max_age, now)
            if type(rv) is _Rejected:
                raise _engine.rejection(signed_value, self.sep, rv, True, max_age, now, self.timestamp_to_datetime)
            if rv is not NotImplemented:
                value, ts = rv
                if return_timestamp:
                    return value, datetime.fromtimestamp(ts, tz=_UTC)
                return value
        return super().unsign(signed_value, max_age=max_age, return_timestamp=return_timestamp)
