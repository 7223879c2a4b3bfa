"""Type stubs for the Rust extension module."""

from typing import Any, final

__all__ = [
    "Engine",
    "cookie_value",
    "flask_engine_allowed",
    "install_serializer_method",
    "is_plain_cookie_value",
    "json_dumps",
    "json_loads",
    "register_flask_context",
    "register_stock_only",
    "zlib_compress",
    "zlib_decompress",
]

@final
class Engine:
    """A prepared signer (every key already derived) and a payload format.

    Every method returns ``NotImplemented`` where stock itsdangerous must
    decide (any error included); callers then run the stock code.
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
    def flask_dumps(self, serializer: Any, obj: Any, now: float) -> Any:
        """``dumps``, or ``NotImplemented`` unless ``flask_engine_allowed(serializer)``."""
    def flask_loads(self, serializer: Any, token: str | bytes, max_age: int | None, now: float) -> Any:
        """``loads``, or ``NotImplemented`` unless ``flask_engine_allowed(serializer)``."""

def cookie_value(header: str, name: str) -> Any:
    """``request.cookies.get(name)``; ``NotImplemented`` when Werkzeug must parse."""

def is_plain_cookie_value(value: str) -> bool:
    """True when ``value`` is only base64url and ``.``, which Werkzeug never quotes."""

def register_stock_only(var: Any) -> None:
    """The ContextVar set while stock code re-runs a call the engine declined."""

def register_flask_context(app_context: Any, default_provider: type, default_tag_count: int, default_tag_keys: int) -> None:
    """Flask's app-context variable, Flask's default JSON provider and tag-list lengths."""

def flask_engine_allowed(serializer: Any) -> bool:
    """True when the current app context lets an engine stand in for this session serializer."""

def install_serializer_method(cls: type, method: str) -> None:
    """Replaces ``cls.dumps``/``cls.loads`` with a C-level method for ``method``
    (``dumps``, ``timed_loads``, ``flask_dumps`` or ``flask_loads``), keeping
    the Python method as ``_dumps_python``/``_loads_python``."""

def json_dumps(obj: Any, ensure_ascii: bool, sort_keys: bool, compact: bool, flask_tags: bool) -> Any: ...
def json_loads(data: bytes, flask_tags: bool) -> Any: ...
def zlib_compress(data: bytes) -> bytes: ...
def zlib_decompress(data: bytes, max_output: int) -> bytes: ...
