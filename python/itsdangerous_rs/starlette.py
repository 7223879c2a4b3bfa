"""Starlette's (and FastAPI's) ``SessionMiddleware`` with its cookie work in Rust.

A drop-in for ``starlette.middleware.sessions.SessionMiddleware`` (Starlette
1.8 up to 2): the same constructor, Starlette's own ``Session`` class, and
byte-identical ``Set-Cookie`` and ``Vary`` headers, so cookies move between
the two in both directions. Finding the cookie, verifying it and decoding the
session is one Rust call, and so is writing the cookie; whatever Rust cannot
do exactly as stock (odd headers, unusual values) runs Starlette's own steps.

One difference on purpose: a cookie whose signature is valid but whose
content does not decode (stock raises, a 500) gives an empty session.

``revocations=`` (``itsdangerous_rs.revocation``) opts in to revocation:
``scope["session"]`` is then a :class:`RevocableStarletteSession`, checked
right after its cookie verifies, and ``revocations.revoke_session(request.session)``
revokes it. Without it, headers are byte-identical to stock.
"""

from __future__ import annotations

import json
import math
import re
import time
import typing as t
from base64 import b64decode
from base64 import b64encode

try:
    import starlette
    from starlette.middleware.sessions import Session
    from starlette.requests import HTTPConnection
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "itsdangerous_rs.starlette needs Starlette: pip install 'itsdangerous-rs[starlette]'"
    ) from exc

from itsdangerous.exc import BadSignature

from . import _core
from .revocation import RevocableSession
from .signer import TimestampSigner

#: The Starlette versions whose session cookie and headers this module
#: reproduces (1.8 added ``Max-Age=0``; 1.7 and earlier drop it, 0.x re-sign
#: every response). Kept in step with the ``starlette`` extra.
SUPPORTED_STARLETTE = ">=1.8,<2"


def _release(version: str) -> tuple[int, ...]:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def check_starlette_version(version: str) -> None:
    """Raise ``RuntimeError`` unless ``version`` writes the format we reproduce."""
    if not (1, 8) <= _release(version) < (2, 0):
        raise RuntimeError(
            f"itsdangerous_rs.starlette reproduces the session cookies of Starlette {SUPPORTED_STARLETTE}, "
            f"but Starlette {version} is installed; use starlette.middleware.sessions.SessionMiddleware "
            "or install a supported Starlette (pip install 'itsdangerous-rs[starlette]')"
        )


check_starlette_version(starlette.__version__)

_DICT_ITEMS = dict.items
_UNBUILT = object()
_I64 = (-(2**63), 2**63)
#: Changing any of these after construction rebuilds the Rust codec.
_CODEC_INPUTS = frozenset({"signer", "session_cookie", "max_age", "path", "security_flags"})


def _add_vary_cookie(raw: list[t.Any]) -> None:
    """``MutableHeaders(raw=raw).add_vary_header("Cookie")``, on the raw list."""
    found = [index for index, (key, _value) in enumerate(raw) if key == b"vary"]
    if not found:
        raw.append((b"vary", b"Cookie"))
        return
    # As getlist decodes and __setitem__ encodes (so a str value fails as in stock).
    value = ", ".join([raw[index][1].decode("latin-1") for index in found] + ["Cookie"]).encode("latin-1")
    for index in reversed(found[1:]):
        del raw[index]
    raw[found[0]] = (b"vary", value)


class RevocableStarletteSession(Session, RevocableSession):
    """Starlette's ``Session`` (its ``accessed``/``modified`` tracking) that
    also carries its revocation stamp: ``scope["session"]`` with ``revocations=``."""


def _decode_payload(payload: bytes, session_class: type[Session] = Session) -> Session | None:
    """Stock's ``Session(json.loads(b64decode(payload)))`` for a verified
    payload; ``None`` where stock raises (it would answer 500)."""
    try:
        return session_class(json.loads(b64decode(payload)))
    except Exception:
        return None


class SessionMiddleware:
    """``starlette.middleware.sessions.SessionMiddleware`` with the Rust engine."""

    def __init__(
        self,
        app: t.Any,
        secret_key: t.Any,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,  # 14 days, in seconds
        path: str = "/",
        same_site: str = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
        revocations: t.Any = None,
    ) -> None:
        self.app = app
        #: Opt-in revocation (``itsdangerous_rs.revocation``); None: headers exactly as stock.
        self.revocations = revocations
        secret = str(secret_key)
        self.signer = TimestampSigner(secret)
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        self.security_flags = "httponly; samesite=" + same_site
        if https_only:  # Secure flag can be used with HTTPS only
            self.security_flags += "; secure"
        if domain is not None:
            self.security_flags += f"; domain={domain}"
        if partitioned:
            self.security_flags += "; partitioned"
        # The signer built here is the one the codec reproduces; a signer
        # set later by the user is used as is, through stock's steps.
        self.__dict__["_rs_secret"] = secret.encode("utf-8")
        self.__dict__["_rs_signer"] = self.signer
        self.__dict__["_rs_codec"] = _UNBUILT

    def __setattr__(self, name: str, value: t.Any) -> None:
        object.__setattr__(self, name, value)
        if name in _CODEC_INPUTS:
            self.__dict__["_rs_codec"] = _UNBUILT

    def _build_codec(self) -> t.Any:
        """The Rust codec for the current settings, or None for stock's steps."""
        codec = None
        name, max_age = self.session_cookie, self.max_age
        if (
            self.signer is self.__dict__.get("_rs_signer")
            and type(name) is str
            and name.isascii()
            and (max_age is None or (type(max_age) is int and _I64[0] <= max_age < _I64[1]))
        ):
            try:
                suffix = "; path={path}; {max_age}{security_flags}".format(
                    path=self.path,
                    max_age=f"Max-Age={max_age}; " if max_age is not None else "",
                    security_flags=self.security_flags,
                ).encode("latin-1")
            except (UnicodeEncodeError, TypeError, ValueError):
                suffix = None  # stock fails the same way when it writes the header
            if suffix is not None:
                codec = _core.StarletteSessionCodec(self.__dict__["_rs_secret"], name.encode("ascii"), suffix)
        self.__dict__["_rs_codec"] = codec
        return codec

    def _verify_max_age(self) -> int | None:
        """The age (seconds) past which a cookie no longer verifies: ``max_age``,
        or with ``revocations=`` and ``max_age=None`` the time the store keeps a
        revocation (``revocations.max_age``), since a cookie older than that
        could be one whose revocation is already forgotten."""
        max_age = self.max_age
        if max_age is None and self.revocations is not None:
            return math.ceil(self.revocations.max_age)
        return max_age

    def _load_with_starlette_parser(
        self, scope: t.Any, codec: t.Any, max_age: int | None, session_class: type[Session]
    ) -> t.Any:
        """``load``'s answer for headers only Starlette's cookie parser reads."""
        cookies = HTTPConnection(scope).cookies
        if self.session_cookie not in cookies:
            return None
        data = cookies[self.session_cookie].encode("utf-8")
        if codec is not None:
            loaded = codec.load_value(data, max_age, time.time(), session_class)
            if loaded is not NotImplemented:
                return loaded
        try:
            return self.signer.unsign(data, max_age=max_age)
        except BadSignature:
            return None
        except Exception:  # a valid signature, then a failure (stock: 500)
            return None

    def _set_cookie_value(self, session: t.Any) -> bytes:
        """Stock's ``Set-Cookie`` value for a session Rust declined."""
        data = b64encode(json.dumps(session).encode("utf-8"))
        data = self.signer.sign(data)
        return "{session_cookie}={data}; path={path}; {max_age}{security_flags}".format(
            session_cookie=self.session_cookie,
            data=data.decode("utf-8"),
            path=self.path,
            max_age=f"Max-Age={self.max_age}; " if self.max_age is not None else "",
            security_flags=self.security_flags,
        ).encode("latin-1")

    def _clear_cookie_value(self) -> bytes:
        return "{session_cookie}={data}; path={path}; {expires}{security_flags}".format(
            session_cookie=self.session_cookie,
            data="null",
            path=self.path,
            expires="expires=Thu, 01 Jan 1970 00:00:00 GMT; ",
            security_flags=self.security_flags,
        ).encode("latin-1")

    async def __call__(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        if scope["type"] not in ("http", "websocket"):  # pragma: no cover
            await self.app(scope, receive, send)
            return

        codec = self._rs_codec
        if codec is _UNBUILT:
            codec = self._build_codec()
        headers = scope["headers"]
        if type(headers) is not list:  # as Starlette's Headers(scope=...) does
            scope["headers"] = headers = list(headers)
        revocations = self.revocations
        max_age = self.max_age if revocations is None else self._verify_max_age()
        session_class = Session if revocations is None else RevocableStarletteSession
        loaded = codec.load(headers, max_age, time.time(), session_class) if codec is not None else NotImplemented
        if loaded is NotImplemented:
            loaded = self._load_with_starlette_parser(scope, codec, max_age, session_class)
        # A session_class: the session; None: empty; bytes: a verified payload for Python.
        if type(loaded) is session_class:
            session = loaded
        elif loaded is not None:
            session = _decode_payload(loaded, session_class)
        else:
            session = None
        if session is not None and revocations is not None and not revocations.admit(session, max_age):
            session = None  # revoked: opens empty, as a bad signature does
        initial_session_was_empty = session is None
        scope["session"] = session_class() if session is None else session

        async def send_wrapper(message: t.Any) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                rs_codec = self._rs_codec  # as stock, the settings of now
                if (
                    revocations is None
                    and type(session) is Session
                    and type(message) is dict
                    and rs_codec is not None
                    and rs_codec is not _UNBUILT
                    and rs_codec.edit_response_start(message, session, time.time) is True
                ):
                    await send(message)
                    return
                raw = message.setdefault("headers", [])
                accessed = session.accessed
                if accessed or session.modified or type(raw) is not list:
                    # A copy, as MutableHeaders(scope=message) makes: the app may reuse its list.
                    message["headers"] = raw = list(raw)
                if accessed:
                    _add_vary_cookie(raw)
                if session.modified and session:
                    # We have session data to persist.
                    stamped = revocations is not None and revocations.stamp(session)
                    try:  # with revocations=, the cookie carries the stamp the app never sees
                        raw.append((b"set-cookie", self._cookie_value(session)))
                    finally:
                        if stamped:
                            revocations.unstamp(session)
                elif session.modified and not initial_session_was_empty:
                    # The session has been cleared.
                    raw.append((b"set-cookie", self._clear_cookie_value()))
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _cookie_value(self, session: t.Any) -> bytes:
        """The ``Set-Cookie`` value for a non-empty session."""
        value = NotImplemented
        rs_codec = self._rs_codec
        if (
            rs_codec is not None
            and rs_codec is not _UNBUILT
            and type(session).items is _DICT_ITEMS
            and "items" not in getattr(session, "__dict__", ())
        ):
            value = rs_codec.dump(session, time.time())
        if value is NotImplemented:
            value = self._set_cookie_value(session)
        return value  # type: ignore[no-any-return]
