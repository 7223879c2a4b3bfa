"""Type stubs for the Rust extension module."""

from collections.abc import Callable
from typing import Any, final

from typing_extensions import disjoint_base

__all__ = [
    "Engine",
    "Fernet",
    "FernetKeys",
    "MultiFernet",
    "Rejected",
    "SessionPlan",
    "StarletteSessionCodec",
    "admit_session",
    "cookie_value",
    "discard_random_ivs",
    "hkdf_sha256",
    "install_serializer_method",
    "json_dumps",
    "json_loads",
    "register_invalid_token",
    "register_stock_only",
    "stamp_value",
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
        codec: Engine | FernetKeys | None,
        interface: Any,
        app: Any,
        request_type: Any,
        response_type: Any,
        stock_hooks: bool,
        app_context: Any,
        dump_cookie: Any,
        headers_type: Any,
        encrypted: bool = False,
    ) -> SessionPlan: ...
    @property
    def codec(self) -> Engine | FernetKeys | None: ...
    def is_current(self, interface: Any, app: Any) -> bool: ...
    def open_session(self, interface: Any, app: Any, request: Any) -> Any: ...
    def save_session(self, interface: Any, app: Any, session: Any, response: Any) -> Any: ...

def admit_session(revocations: Any, session: Any, max_age: Any = None) -> bool:
    """``Revocations.admit``: takes the stamp out of ``session``; False when it is revoked."""

def stamp_value(revocations: Any, session: Any) -> Any:
    """``Revocations.stamp``'s value for ``session``; None when it already holds the key."""

def cookie_value(header: str, name: str) -> Any:
    """``request.cookies.get(name)``; ``NotImplemented`` when Werkzeug must parse."""

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

@final
class StarletteSessionCodec:
    """Starlette 1.x ``SessionMiddleware``'s cookie work (``src/starlette.rs``)."""

    def __new__(cls, secret_key: bytes, cookie_name: bytes, header_suffix: bytes) -> StarletteSessionCodec: ...
    def load(self, headers: list[Any], max_age: int | None, now: float, session_class: type[dict[str, Any]]) -> Any:
        """A ``session_class`` session, None (empty), a verified payload (bytes) for Python, or NotImplemented."""
    def load_value(self, value: bytes, max_age: int | None, now: float, session_class: type[dict[str, Any]]) -> Any: ...
    def edit_response_start(self, message: dict[str, Any], session: dict[str, Any], now_fn: Callable[[], float]) -> Any:
        """Stock's ``Vary``/``Set-Cookie`` edits of a response start: True, or NotImplemented for stock's steps."""
    def dump(self, session: dict[str, Any], now: float) -> Any:
        """The whole ``Set-Cookie`` value (bytes), or NotImplemented for stock's steps."""

@disjoint_base
class Fernet:
    """``cryptography.fernet.Fernet`` (re-exported by ``itsdangerous_rs.fernet``)."""

    def __new__(cls, key: bytes | str, backend: Any = None) -> Fernet: ...
    @staticmethod
    def generate_key() -> bytes: ...
    def encrypt(self, data: bytes) -> bytes: ...
    def encrypt_at_time(self, data: bytes, current_time: int) -> bytes: ...
    def _encrypt_from_parts(self, data: bytes, current_time: int, iv: bytes) -> bytes: ...
    def decrypt(self, token: bytes | str, ttl: int | None = None) -> bytes: ...
    def decrypt_at_time(self, token: bytes | str, ttl: int, current_time: int) -> bytes: ...
    def extract_timestamp(self, token: bytes | str) -> int: ...
    @staticmethod
    def _get_unverified_token_data(token: bytes | str) -> tuple[int, bytes]: ...

@disjoint_base
class MultiFernet:
    """``cryptography.fernet.MultiFernet`` over our ``Fernet`` instances."""

    def __new__(cls, fernets: Any) -> MultiFernet: ...
    def encrypt(self, msg: bytes) -> bytes: ...
    def encrypt_at_time(self, msg: bytes, current_time: int) -> bytes: ...
    def rotate(self, msg: bytes | str) -> bytes: ...
    def decrypt(self, msg: bytes | str, ttl: int | None = None) -> bytes: ...
    def decrypt_at_time(self, msg: bytes | str, ttl: int, current_time: int) -> bytes: ...
    def extract_timestamp(self, msg: bytes | str) -> int: ...

@final
class FernetKeys:
    """Prepared raw Fernet keys (newest first) for the encrypted Flask session.

    Failures are ``None``; ``NotImplemented`` means Flask's Python serializer must run.
    """

    def __new__(cls, keys: list[bytes]) -> FernetKeys: ...
    def encrypt(self, data: bytes, now: float) -> str: ...
    def decrypt(self, token: str | bytes, ttl: int | None, now: float) -> bytes | None: ...
    def session_dumps(self, session: dict[str, Any], now: float) -> Any: ...
    def session_loads(self, token: str | bytes, ttl: int | None, now: float) -> Any: ...

def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) with a 32-byte output."""

def register_invalid_token(cls: type) -> None: ...
def discard_random_ivs() -> None:
    """Empties the buffer of random IVs (registered with ``os.register_at_fork`` for children)."""
