"""Type stubs for the Rust extension module."""

from typing import Any, final

__all__ = [
    "Engine",
    "Rejected",
    "SessionPlan",
    "install_serializer_method",
    "json_dumps",
    "json_loads",
    "register_stock_only",
    "zlib_compress",
    "zlib_decompress",
]

@final
class Engine:
    """A prepared signer (every key already derived) and a payload format.

    Every method returns ``NotImplemented`` where stock itsdangerous must
    decide (any error included); callers then run the stock code. ``loads``
    and ``unsign`` return a ``Rejected`` for a token whose signature or
    timestamp fails, so the caller raises stock's exception without
    checking the HMAC again.
    """

    def __new__(
        cls,
        secret_keys: list[bytes],
        salt: bytes,
        key_derivation: str,
        derive_digest: str,
        mac_digest: str,
        sep: bytes,
        timed: bool,
        format: str,
        max_decompressed: int,
    ) -> Engine: ...
    @property
    def separator(self) -> bytes: ...
    def sign(self, value: str | bytes, now: float | None = None) -> Any: ...
    def unsign(self, token: str | bytes, max_age: int | None = None, now: float | None = None) -> Any: ...
    def dumps(self, obj: Any, now: float | None = None) -> Any: ...
    def loads(
        self,
        token: str | bytes,
        max_age: int | None = None,
        now: float | None = None,
        with_timestamp: bool = False,
    ) -> Any: ...

@final
class Rejected:
    """What ``Engine.loads``/``unsign`` return for a token they reject."""

    @property
    def signature_valid(self) -> bool:
        """True when the signature matched and the timestamp failed."""

@final
class SessionPlan:
    """Flask's ``open_session``/``save_session`` for one app and configuration,
    each one call; ``...`` when what it was decided on changed, ``NotImplemented``
    for the Python hooks."""

    def __new__(
        cls,
        engine: Engine | None,
        interface: Any,
        app: Any,
        request_type: Any,
        response_type: Any,
        stock_hooks: bool,
        app_context: Any,
        dump_cookie: Any,
        headers_type: Any,
    ) -> SessionPlan: ...
    @property
    def engine(self) -> Engine | None: ...
    def is_current(self, interface: Any, app: Any) -> bool: ...
    def open_session(self, interface: Any, app: Any, request: Any) -> Any: ...
    def save_session(self, interface: Any, app: Any, session: Any, response: Any) -> Any: ...

def register_stock_only(var: Any) -> None:
    """The ContextVar set while stock code re-runs a call the engine declined."""

def install_serializer_method(cls: type, method: str) -> None:
    """Replaces ``cls.dumps``/``cls.loads`` with a C-level method for ``method``
    (``dumps`` or ``timed_loads``), keeping
    the Python method as ``_dumps_python``/``_loads_python``."""

def json_dumps(obj: Any, ensure_ascii: bool, sort_keys: bool, compact: bool, flask_tags: bool) -> Any: ...
def json_loads(data: bytes, flask_tags: bool) -> Any: ...
def zlib_compress(data: bytes) -> bytes: ...
def zlib_decompress(data: bytes, max_output: int) -> bytes: ...
