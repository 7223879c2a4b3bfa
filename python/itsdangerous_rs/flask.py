"""A drop-in, byte-identical replacement for Flask's cookie session interface.

``app.session_interface = SecureCookieSessionInterface()`` moves the session
work of every request into Rust: signing state is prepared once per set of
keys, the cookie is found in ``HTTP_COOKIE`` without parsing every cookie, and
``Set-Cookie`` is written without going through ``dump_cookie`` each time. All
of it gives the same bytes as stock Flask; whatever the fast path does not
cover (custom tags, JSON providers, serializers, overridden methods, unusual
headers) runs the stock code.
"""

from __future__ import annotations

import inspect
import time as _time
import typing as t
import zlib

from flask import sessions as _sessions
from flask.json.provider import DefaultJSONProvider
from flask.json.tag import PassDict
from flask.json.tag import PassList
from flask.json.tag import TagBytes
from flask.json.tag import TagDateTime
from flask.json.tag import TagDict
from flask.json.tag import TagMarkup
from flask.json.tag import TaggedJSONSerializer
from flask.json.tag import TagTuple
from flask.json.tag import TagUUID
from flask.globals import _cv_app
from flask.sansio.app import App as _SansIOApp
from flask.wrappers import Response as _FlaskResponse
from itsdangerous.encoding import base64_decode
from itsdangerous.exc import BadData
from werkzeug.datastructures import Headers as _Headers
from werkzeug.http import dump_cookie
from werkzeug.sansio.request import Request as _SansIORequest

from . import _core
from . import _engine
from .serializer import _URL_SAFE_PAYLOAD_METHODS
from .serializer import URLSafeTimedSerializer

if t.TYPE_CHECKING:
    from flask import Flask
    from flask.sessions import SessionMixin
    from flask.wrappers import Request
    from flask.wrappers import Response

__all__ = ["EncryptedSessionInterface", "SecureCookieSessionInterface", "SessionSerializer"]

_DEFAULT_TAGS = (TagDict, PassDict, TagTuple, PassList, TagBytes, TagMarkup, TagUUID, TagDateTime)
_DEFAULT_TAG_COUNT = len(_DEFAULT_TAGS)
_DEFAULT_TAG_KEYS = 6  # tags with a key; PassDict and PassList have none
#: Deflate's largest expansion, output bytes per input byte.
_DEFLATE_MAX_RATIO = 1032
# id -> (serializer, verdict); holding the serializer keeps its id from being reused.
_default_serializers: dict[int, tuple[t.Any, bool]] = {}


# --- Whether Flask's session JSON is one the engine writes: decided here only.


def _has_default_tags(serializer: t.Any) -> bool:
    """True for a TaggedJSONSerializer with exactly Flask's built-in tags.

    A tag registered later grows ``order`` and ``tags``, so callers that keep
    the verdict also compare those lengths (as ``SessionPlan`` does).
    """
    if type(serializer) is not TaggedJSONSerializer:
        return False
    order = serializer.order
    if len(order) != _DEFAULT_TAG_COUNT or len(serializer.tags) != _DEFAULT_TAG_KEYS:
        return False
    seen = _default_serializers.get(id(serializer))
    if seen is not None and seen[0] is serializer:
        return seen[1]
    verdict = all(type(tag) is cls for tag, cls in zip(order, _DEFAULT_TAGS)) and all(
        serializer.tags.get(tag.key) is tag for tag in order if tag.key
    )
    if len(_default_serializers) >= 64:
        _default_serializers.clear()
    _default_serializers[id(serializer)] = (serializer, verdict)
    return verdict


def _json_is_default(provider: t.Any) -> bool:
    """Flask's default JSON provider with its session-relevant defaults."""
    return type(provider) is DefaultJSONProvider and provider.sort_keys is True and provider.ensure_ascii is True


def _context_allows(serializer: t.Any) -> bool:
    """True when the current app context lets the engine write ``serializer``'s JSON.

    Flask's JSON follows the current app's provider (outside an app context
    it is unsorted), and tags can be registered after the serializer was
    made, so a serializer used on its own asks this on every call.
    """
    context = _cv_app.get(None)
    return context is not None and _json_is_default(context.app.json) and _has_default_tags(serializer)


class SessionSerializer(URLSafeTimedSerializer):
    """The serializer ``get_signing_serializer`` returns.

    With Flask's default tags and, in the current app context, Flask's default
    JSON provider, it dumps and loads sessions in Rust; otherwise it is stock.
    """

    def _rs_payload_format(self) -> str | None:
        if self.serializer_kwargs or not _has_default_tags(self.serializer):
            return None
        if any(getattr(type(self), name) is not method for name, method in _URL_SAFE_PAYLOAD_METHODS.items()):
            return None
        return "flask_session"

    def _rs_engine(self, salt: t.Any) -> t.Any:
        if salt is not None:
            return None
        engine = super()._rs_engine(None)  # the keys, checked each time
        if engine is not None and _context_allows(self.serializer):
            return engine
        return None

    def dumps(self, obj: t.Any, salt: str | bytes | None = None) -> str:
        engine = self._rs_engine(salt)
        if engine is not None:
            rv = engine.dumps(obj, _time.time())
            if rv is not NotImplemented:
                return rv  # type: ignore[no-any-return]
            rv = _engine.run_stock(super().dumps, obj, None)
        else:
            rv = super().dumps(obj, salt)
        if salt is None:
            self._refuse_unreadable(rv)
        return rv

    def _refuse_unreadable(self, token: str) -> None:
        """Raise ``ValueError`` rather than return a token ``loads`` would refuse.

        ``loads`` refuses a compressed payload that inflates past
        ``max_decompressed_size`` where the engine reads it. Deflate expands
        at most about 1032:1, so a token too short to get there needs no
        look; the engine's ``dumps`` declines the rest, which come here.
        """
        cap = self.max_decompressed_size
        payload = token.rsplit(".", 2)[0] if isinstance(token, str) else ""
        if not payload.startswith(".") or (len(payload) - 1) * 3 // 4 * _DEFLATE_MAX_RATIO <= cap:
            return
        if _engine.stock_only.get() or not _context_allows(self.serializer):
            return  # stock code reads it, with no cap
        try:
            inflated = len(zlib.decompressobj().decompress(base64_decode(payload[1:]), cap + 1))
        except (BadData, zlib.error):
            return
        if inflated > cap:
            raise ValueError(
                f"This session's JSON is over max_decompressed_size ({cap} bytes), so the cookie would be"
                " refused (as an empty session) on the next request; no browser keeps a cookie that size"
                " either. Keep less in the session, or raise SecureCookieSessionInterface.max_decompressed_size."
            )

    def _loads_declined(self, s: str | bytes, max_age: int | None) -> t.Any:
        """``loads`` the engine declined: stock, without Rust retrying."""
        return _engine.run_stock(super().loads, s, max_age, False, None)


class SecureCookieSessionInterface(_sessions.SecureCookieSessionInterface):
    """:class:`flask.sessions.SecureCookieSessionInterface`, with its work in Rust."""

    #: A cookie whose payload inflates past this opens as an empty session,
    #: and a session that would is refused at write time with ``ValueError``.
    #: A cookie a browser keeps (4 KB) inflates to at most about 3.2 MB
    #: (deflate's 1032:1), so no such cookie is ever refused.
    max_decompressed_size: int = 4 * 1024 * 1024
    #: Opt-in revocation (``itsdangerous_rs.revocation``); None: cookies exactly as stock.
    revocations: t.Any = None
    # Per-instance caches, also set here for subclasses whose __init__ skips ours.
    _plan: t.Any = None
    _lifetime_seen: tuple[t.Any, int] | None = None
    # Whether the plan's codec is Fernet keys (EncryptedSessionInterface) rather than the signing engine.
    _encrypts = False

    def __init__(self, revocations: t.Any = None) -> None:
        self.revocations = revocations
        # What the last decision made of an app: a SessionPlan, or None for stock code.
        self._plan: t.Any = None
        self._engines: dict[t.Any, t.Any] = {}
        self._lifetime_seen: tuple[t.Any, int] | None = None

    def _signing_keys(self, app: Flask) -> list[t.Any] | None:
        if not app.secret_key:
            return None
        keys: list[t.Any] = []
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks:
            # A lone string is one key, not a list of one-character keys.
            if isinstance(fallbacks, (str, bytes)):
                keys.append(fallbacks)
            else:
                keys.extend(fallbacks)
        keys.append(app.secret_key)  # the current key signs
        return keys

    def get_signing_serializer(self, app: Flask) -> SessionSerializer | None:  # type: ignore[override]
        keys = self._signing_keys(app)
        if keys is None:
            return None
        serializer = SessionSerializer(
            keys,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )
        serializer.max_decompressed_size = self.max_decompressed_size
        return serializer

    # --- The decision: whether the engine may stand in for this app's session.

    def _decide(self, app: Flask) -> t.Any:
        """The ``SessionPlan`` for this app: with an engine when its session is
        one the engine reproduces exactly, without one for stock code.

        The plan records every object this reads, and answers "stale" as soon
        as one of them is replaced (or a fallback list or tag list changes);
        then this runs again. None (decide again next call) outside this
        app's context.
        """
        context = _cv_app.get(None)
        if context is None or context.app is not app:
            return None
        codec = self._codec_for(app)
        cls = type(self)
        stock_hooks = all(getattr(cls, name, None) is hook for name, hook in _SKIPPED_HOOKS.items())
        request_class = app.request_class if _is_plain_request_class(app.request_class) else None
        response_class = app.response_class if _is_plain_response_class(app.response_class) else None
        try:
            return _core.SessionPlan(
                codec, self, app, request_class, response_class, stock_hooks, _cv_app, dump_cookie, _Headers,
                encrypted=self._encrypts,
            )
        except Exception:  # a config key missing, say: stock code meets it and says so
            return None

    def _codec_for(self, app: Flask) -> t.Any:
        """What the plan runs for this app's session, or None for the Python path."""
        return self._engine_for(app)

    def _engine_for(self, app: Flask) -> t.Any:
        """The engine for this app's session, or None for stock code."""
        if (
            getattr(type(self), "get_signing_serializer", None) is not _SKIPPED_HOOKS["get_signing_serializer"]
            or not _json_is_default(app.json)
            or not _has_default_tags(self.serializer)
            or not _uses_flask_config_attributes(type(app))
        ):
            return None
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks and not isinstance(fallbacks, (str, bytes)):
            fallbacks = tuple(fallbacks)
        cache_key = (secret_key, fallbacks, self.salt, self.key_derivation, self.digest_method, self.max_decompressed_size)
        engines = self.__dict__.get("_engines")
        if engines is None:  # a subclass's __init__ that skips ours
            engines = self._engines = {}
        try:
            engine = engines[cache_key]
        except (KeyError, TypeError):
            keys = [k.encode("utf-8") if isinstance(k, str) else k for k in self._signing_keys(app) or ()]
            salt = self.salt.encode("utf-8") if isinstance(self.salt, str) else self.salt
            engine = _engine.get_engine(
                keys, salt, self.key_derivation, self.digest_method, self.digest_method, b".",
                True, "flask_session", self.max_decompressed_size,
            )
            if len(engines) >= 16:
                engines.clear()
            try:
                engines[cache_key] = engine
            except TypeError:  # unhashable keys: no caching, still correct
                pass
        return engine

    # --- The calls: the plan when it is current (it also runs the revocation
    # check and stamp), the Python hooks otherwise.

    def open_session(self, app: Flask, request: Request) -> _sessions.SecureCookieSession | None:
        plan = self._plan
        session = ... if plan is None else plan.open_session(self, app, request)
        if session is ...:  # no plan yet, or what it was decided on changed
            plan = self._plan = self._decide(app)
            session = NotImplemented if plan is None else plan.open_session(self, app, request)
        if session is not NotImplemented and session is not ...:
            return session  # type: ignore[no-any-return]
        return self._admitted(app, self._open_session_python(app, request))

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        plan = self._plan
        done = ... if plan is None else plan.save_session(self, app, session, response)
        if done is ...:
            plan = self._plan = self._decide(app)
            done = NotImplemented if plan is None else plan.save_session(self, app, session, response)
        if done is NotImplemented or done is ...:
            self._save_session_stamped(app, session, response)

    def _admitted(self, app: Flask, session: t.Any) -> t.Any:
        """``session``, or an empty one if revocation refuses it."""
        revocations = self.revocations
        # Only a verified cookie makes a non-empty session; a revoked one opens empty.
        if revocations is not None and session and not revocations.admit(session, self._max_age(app)):
            return self.session_class()
        return session

    def _max_age(self, app: Flask) -> int:
        """``PERMANENT_SESSION_LIFETIME`` in whole seconds, worked out again only when the setting changes."""
        if not _uses_flask_config_attributes(type(app)):
            return int(app.permanent_session_lifetime.total_seconds())
        lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
        seen = self._lifetime_seen
        if seen is None or seen[0] is not lifetime:
            seen = self._lifetime_seen = (lifetime, int(app.permanent_session_lifetime.total_seconds()))
        return seen[1]

    def _save_session_stamped(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """``_save_session``, the cookie stamped for revocation when one is written."""
        revocations = self.revocations
        if revocations is not None and session and self.should_set_cookie(app, session) and revocations.stamp(session):
            try:  # the cookie carries the stamp; the app's session never shows it
                self._save_session(app, session, response)
            finally:
                revocations.unstamp(session)
        else:
            self._save_session(app, session, response)

    def _save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # Stock's steps, its hooks called as it calls them; the serializer
        # it gets writes with the engine where the app context allows.
        super().save_session(app, session, response)

    def _open_session_python(self, app: Flask, request: Request) -> _sessions.SecureCookieSession | None:
        """Stock's ``open_session``, with an empty session for any cookie it cannot use."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        return self._load_session(_call, serializer.loads, val, max_age)

    def _open_declined(self, app: Flask, val: str, max_age: int) -> _sessions.SecureCookieSession:
        """A signed cookie the engine does not read: stock reads it (or it opens empty)."""
        serializer = self.get_signing_serializer(app)
        return self._load_session(_engine.run_stock, serializer.loads, val, max_age)  # type: ignore[union-attr]

    def _load_session(
        self, run: t.Callable[..., t.Any], loads: t.Callable[..., t.Any], val: str, max_age: int
    ) -> _sessions.SecureCookieSession:
        """The session in cookie ``val``; an empty one for any cookie that cannot be used.

        Stock gives an empty session for a bad signature (``BadSignature``)
        but raises, and so fails the request, for a signed cookie it cannot
        use: ``BadPayload`` (not base64, zlib, JSON or a known tag) or JSON
        that is not a mapping. Every such cookie opens empty here.
        """
        try:
            data = run(loads, val, max_age=max_age)
        except BadData:
            return self.session_class()
        try:
            return self.session_class(data)
        except (TypeError, ValueError):  # JSON that dict() does not take
            return self.session_class()


#: Hooks the plan does not call (it reads what their stock versions read); a
#: subclass overriding one, or a patched one, gets the Python path, which calls them.
_SKIPPED_HOOKS = {
    **{
        name: getattr(_sessions.SecureCookieSessionInterface, name)
        for name in (
            "get_cookie_name", "get_cookie_domain", "get_cookie_path", "get_cookie_httponly", "get_cookie_secure",
            "get_cookie_samesite", "get_cookie_partitioned", "get_expiration_time", "should_set_cookie",
        )
    },
    **{name: SecureCookieSessionInterface.__dict__[name] for name in ("get_signing_serializer", "_open_declined")},
}
_STOCK_COOKIES = _SansIORequest.__dict__["cookies"]
_STOCK_RESPONSE_METHODS = {
    name: inspect.getattr_static(_FlaskResponse, name) for name in ("set_cookie", "delete_cookie", "vary", "max_cookie_size")
}


def _is_plain_request_class(cls: type) -> bool:
    """Werkzeug's own ``cookies`` parsing: the plan reads the header itself."""
    return inspect.getattr_static(cls, "cookies", None) is _STOCK_COOKIES


def _is_plain_response_class(cls: type) -> bool:
    """Flask's ``max_cookie_size`` and Werkzeug's cookie and ``vary`` handling: the plan writes headers itself."""
    return all(inspect.getattr_static(cls, name, None) is attr for name, attr in _STOCK_RESPONSE_METHODS.items())


def _call(function: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    return function(*args, **kwargs)


_FLASK_CONFIG_ATTRIBUTES = {name: _SansIOApp.__dict__[name] for name in ("secret_key", "permanent_session_lifetime")}
_config_attributes_by_class: dict[type, bool] = {}


def _uses_flask_config_attributes(cls: type) -> bool:
    """True when ``app.secret_key`` and ``app.permanent_session_lifetime`` are Flask's config attributes."""
    try:
        return _config_attributes_by_class[cls]
    except KeyError:
        verdict = all(inspect.getattr_static(cls, name, None) is attr for name, attr in _FLASK_CONFIG_ATTRIBUTES.items())
        _config_attributes_by_class[cls] = verdict
        return verdict



if t.TYPE_CHECKING:
    from .flask_encrypted import EncryptedSessionInterface as EncryptedSessionInterface


def __getattr__(name: str) -> t.Any:
    # The encrypted interface lives in flask_encrypted.py, which subclasses the
    # one above; loaded on first use, so either module can be imported first.
    if name == "EncryptedSessionInterface":
        from .flask_encrypted import EncryptedSessionInterface

        return EncryptedSessionInterface
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
