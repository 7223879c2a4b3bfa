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
from datetime import datetime
from datetime import timedelta as _timedelta

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
from werkzeug.sansio.response import Response as _SansIOResponse

from . import _core
from . import _engine
from .serializer import _URL_SAFE_PAYLOAD_METHODS
from .serializer import URLSafeTimedSerializer

if t.TYPE_CHECKING:
    from flask import Flask
    from flask.sessions import SessionMixin
    from flask.wrappers import Request
    from flask.wrappers import Response

__all__ = ["SecureCookieSessionInterface", "SessionSerializer"]

_DEFAULT_TAGS = (TagDict, PassDict, TagTuple, PassList, TagBytes, TagMarkup, TagUUID, TagDateTime)
_DEFAULT_TAG_COUNT = len(_DEFAULT_TAGS)
_DEFAULT_TAG_KEYS = 6  # tags with a key; PassDict and PassList have none
#: Deflate's largest expansion, output bytes per input byte.
_DEFLATE_MAX_RATIO = 1032
_STOCK_COOKIES = _SansIORequest.__dict__["cookies"]
_STOCK_SET_COOKIE = _SansIOResponse.set_cookie
_STOCK_VARY = _SansIOResponse.__dict__["vary"]
_FLASK_MAX_COOKIE_SIZE = _FlaskResponse.__dict__["max_cookie_size"]
# id -> (serializer, verdict); holding the serializer keeps its id from being reused.
_default_serializers: dict[int, tuple[t.Any, bool]] = {}
# SessionSerializer asks Rust whether the app context allows its engine.
_core.register_flask_context(_cv_app, DefaultJSONProvider, _DEFAULT_TAG_COUNT, _DEFAULT_TAG_KEYS)


def _has_default_tags(serializer: t.Any) -> bool:
    """True for a TaggedJSONSerializer with exactly Flask's built-in tags."""
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


def _json_is_default(app: t.Any) -> bool:
    """Flask's default JSON provider with its session-relevant defaults."""
    provider = app.json
    return type(provider) is DefaultJSONProvider and provider.sort_keys is True and provider.ensure_ascii is True


class SessionSerializer(URLSafeTimedSerializer):
    """The serializer ``get_signing_serializer`` returns.

    With Flask's default tags and, in the current app context, Flask's default
    JSON provider, it dumps and loads sessions in Rust; otherwise it is stock.
    Outside an app context Flask writes unsorted JSON, so that is stock too.
    The context is checked on every call; the engine is cached per instance.
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
        super()._rs_engine(None)  # verifies the tags in full once, and the keys each time
        return self._engine_in_context()

    def _default_engine(self) -> t.Any:
        """The prepared engine, rebuilt if ``secret_keys`` was changed in place; None if none yet."""
        state = self.__dict__
        engine = state.get("_rs_default_engine")
        if engine is not None and not _engine.same_keys(self.secret_keys, state.get("_rs_keys")):
            super()._rs_engine(None)
            engine = state.get("_rs_default_engine")
        return engine

    def _engine_in_context(self) -> t.Any:
        """The prepared engine, if the current app context lets it stand in for stock.

        Flask's JSON depends on the app context, and tags can be registered
        later, so Rust checks these on every call (``flask_engine_allowed``).
        """
        engine = self.__dict__.get("_rs_default_engine")
        if engine is not None and _core.flask_engine_allowed(self.serializer):
            return engine
        return None

    # dumps and loads ask the engine itself whether the context allows it
    # (flask_dumps/flask_loads), saving a Python call per session.
    def dumps(self, obj: t.Any, salt: str | bytes | None = None) -> str:
        engine = self._default_engine() if salt is None else None
        if engine is not None:
            rv = engine.flask_dumps(self.serializer, obj, _time.time())
            if rv is not NotImplemented:
                return rv  # type: ignore[no-any-return]
            return self._dumps_declined(obj)
        rv = super().dumps(obj, salt)
        if salt is None:
            self._refuse_unreadable(rv)
        return rv

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> t.Any:
        fast = salt is None and not return_timestamp and (max_age is None or type(max_age) is int)
        engine = self._default_engine() if fast else None
        if engine is not None:
            rv = engine.flask_loads(self.serializer, s, max_age, _time.time())
            if rv is not NotImplemented:
                return rv
            return self._loads_declined(s, max_age)  # return_timestamp is falsy here
        return super().loads(s, max_age, return_timestamp, salt)

    def _dumps_declined(self, obj: t.Any) -> t.Any:
        """``dumps`` the engine or the app context declined: stock, without Rust retrying."""
        rv = _engine.run_stock(super().dumps, obj, None)
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
        if self._engine_in_context() is None:
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
        """``loads`` the engine or the app context declined: stock, without Rust retrying."""
        return _engine.run_stock(super().loads, s, max_age, False, None)


# As in serializer.py: C-level dumps/loads, the Python methods above for
# every other call.
_core.install_serializer_method(SessionSerializer, "flask_dumps")
_core.install_serializer_method(SessionSerializer, "flask_loads")


class SecureCookieSessionInterface(_sessions.SecureCookieSessionInterface):
    """:class:`flask.sessions.SecureCookieSessionInterface`, with its work in Rust."""

    #: A cookie whose payload inflates past this opens as an empty session,
    #: and a session that would is refused at write time with ``ValueError``.
    #: A cookie a browser keeps (4 KB) inflates to at most about 3.2 MB
    #: (deflate's 1032:1), so no such cookie is ever refused.
    max_decompressed_size: int = 4 * 1024 * 1024
    #: Opt-in revocation (``itsdangerous_rs.revocation``); None: cookies exactly as stock.
    revocations: t.Any = None

    def __init__(self, revocations: t.Any = None) -> None:
        self.revocations = revocations
        self._engines: dict[t.Any, t.Any] = {}
        self._cookie_suffixes: dict[t.Any, str] = {}
        # (inputs the last decision depended on..., engine); see _fast_engine.
        self._last_decision: tuple[t.Any, ...] | None = None

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

    def _fast_engine(self, app: Flask) -> t.Any:
        """The Rust engine for this app's session, or None to run stock code."""
        fast = self._fast_path(app)
        return None if fast is None else fast[0]

    def _fast_path(self, app: Flask) -> tuple[t.Any, t.Any] | None:
        """``(engine, config)`` for this app's session, or None to run stock code.

        ``config`` is ``app.config`` when the app's ``secret_key`` and
        ``permanent_session_lifetime`` are Flask's config attributes (which
        only read ``app.config``), so they can be read from it directly
        without a Python-level descriptor call; None otherwise.

        Called twice per request, so the last decision is kept with what it
        depended on and reused while those are the same objects (and the
        fallbacks compare equal, in case the list was changed in place).
        """
        serializer = self.serializer
        provider = app.json
        config = app.config
        last = self._last_decision
        if last is not None and last[0] is app:
            # The decision checked that ``app.secret_key`` is Flask's config attribute.
            secret_key = config["SECRET_KEY"] if last[9] else app.secret_key
            if (
                last[1] is secret_key
                and last[2] == config["SECRET_KEY_FALLBACKS"]
                and last[3] is serializer
                and last[4] is provider
                and last[5] is self.salt
                and last[6] is self.key_derivation
                and last[7] is self.digest_method
                and len(serializer.order) == _DEFAULT_TAG_COUNT
                and len(serializer.tags) == _DEFAULT_TAG_KEYS
                and provider.sort_keys is True
                and provider.ensure_ascii is True
            ):
                if last[8] is None:
                    return None
                return last[8], (config if last[9] else None)
        engine = self._decide_fast_engine(app)
        fallbacks = config["SECRET_KEY_FALLBACKS"]
        snapshot = list(fallbacks) if isinstance(fallbacks, list) else fallbacks
        plain_app = _uses_flask_config_attributes(type(app))
        self._last_decision = (
            app, app.secret_key, snapshot, serializer, provider,
            self.salt, self.key_derivation, self.digest_method, engine, plain_app,
        )
        if engine is None:
            return None
        return engine, (config if plain_app else None)

    def _decide_fast_engine(self, app: Flask) -> t.Any:
        if (
            type(self).get_signing_serializer is not SecureCookieSessionInterface.get_signing_serializer
            or not _json_is_default(app)
            or not _has_default_tags(self.serializer)
        ):
            return None
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks and not isinstance(fallbacks, (str, bytes)):
            fallbacks = tuple(fallbacks)
        cache_key = (secret_key, fallbacks, self.salt, self.key_derivation, self.digest_method)
        try:
            return self._engines[cache_key]
        except (KeyError, TypeError):
            pass
        keys = [k.encode("utf-8") if isinstance(k, str) else k for k in self._signing_keys(app) or ()]
        salt = self.salt.encode("utf-8") if isinstance(self.salt, str) else self.salt
        engine = _engine.get_engine(
            keys, salt, self.key_derivation, self.digest_method, self.digest_method, b".",
            True, "flask_session", self.max_decompressed_size,
        )
        if len(self._engines) >= 16:
            self._engines.clear()
        try:
            self._engines[cache_key] = engine
        except TypeError:  # unhashable keys: no caching, still correct
            pass
        return engine

    def open_session(self, app: Flask, request: Request) -> _sessions.SecureCookieSession | None:
        fast = self._fast_path(app)
        if fast is None:
            return self._open_session_stock(app, request)
        engine, config = fast
        name = self.get_cookie_name(app)
        val: t.Any = NotImplemented
        # Werkzeug's own request class, cookies not parsed yet (not a proxy, not a subclass's own parsing).
        if getattr(type(request), "cookies", None) is _STOCK_COOKIES and "cookies" not in request.__dict__:
            header = request.environ.get("HTTP_COOKIE")
            val = _core.cookie_value(header, name) if isinstance(header, str) else None
        if val is NotImplemented:
            val = request.cookies.get(name)
        if not val:
            return self.session_class()
        lifetime = None if config is None else config["PERMANENT_SESSION_LIFETIME"]
        if type(lifetime) is not _timedelta:
            lifetime = app.permanent_session_lifetime  # ints become timedeltas here
        max_age = int(lifetime.total_seconds())
        try:
            data = engine.loads(val, max_age, _time.time())
        except BadData:  # signed, but over the decompression cap
            return self.session_class()
        if data is NotImplemented:
            # Bad, expired or unusual cookie: stock decides.
            serializer = self.get_signing_serializer(app)
            return self._load_session(_engine.run_stock, serializer.loads, val, max_age)
        return self._new_session(data, max_age)

    def _open_session_stock(self, app: Flask, request: Request) -> _sessions.SecureCookieSession | None:
        """Stock's ``open_session``, with ``_load_session``'s handling of a signed but unusable cookie."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        return self._load_session(_call, serializer.loads, val, max_age)

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
        return self._new_session(data, max_age)

    def _new_session(self, data: t.Any, max_age: int) -> _sessions.SecureCookieSession:
        try:
            session = self.session_class(data)
        except (TypeError, ValueError):  # JSON that dict() does not take
            return self.session_class()
        if self.revocations is not None and not self.revocations.admit(session, max_age):
            return self.session_class()  # revoked: opens empty, as a bad signature does
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        revocations = self.revocations
        if revocations is not None and session and self.should_set_cookie(app, session) and revocations.stamp(session):
            try:  # write the session with its revocation stamp; the inner call finds it there
                return self.save_session(app, session, response)
            finally:
                revocations.unstamp(session)
        fast = self._fast_path(app)
        if fast is None or type(response).vary is not _STOCK_VARY or type(response).set_cookie is not _STOCK_SET_COOKIE:
            return super().save_session(app, session, response)
        engine = fast[0]
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)

        # Stock adds "Vary: Cookie" up to twice; once it is there the second add is a no-op.
        vary_added = False
        if session.accessed:
            _add_vary_cookie(response)
            vary_added = True
        if not session:
            if session.modified:
                response.delete_cookie(
                    name, domain=domain, path=path, secure=secure,
                    partitioned=partitioned, samesite=samesite, httponly=httponly,
                )
                if not vary_added:
                    _add_vary_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            return
        expires = self.get_expiration_time(app, session)
        val = engine.dumps(dict(session), _time.time())
        # The engine writes only base64url and ".", which needs no quoting.
        plain = val is not NotImplemented
        if not plain:
            val = self.get_signing_serializer(app).dumps(dict(session))  # type: ignore[union-attr]
        header = self._set_cookie_header(name, val, expires, path, domain, secure, httponly, samesite, partitioned, plain)
        if header is None or len(header) > _max_cookie_size(app, response) > 0:
            # Non-ASCII names, odd values and oversized cookies: Werkzeug
            # quotes, encodes and warns exactly as it always does.
            response.set_cookie(
                name, val, expires=expires, httponly=httponly, domain=domain, path=path,
                secure=secure, partitioned=partitioned, samesite=samesite,
            )
        elif type(response.headers) is _Headers and "\n" not in header and "\r" not in header:
            response.headers._list.append(("Set-Cookie", header))  # Headers.add, its newline check done
        else:
            response.headers.add("Set-Cookie", header)
        if not vary_added:
            _add_vary_cookie(response)

    def _set_cookie_header(
        self, name: str, value: str, expires: t.Any, path: t.Any, domain: t.Any,
        secure: t.Any, httponly: t.Any, samesite: t.Any, partitioned: t.Any, plain_value: bool = False,
    ) -> str | None:
        """``dump_cookie(name, value, ...)`` with the attribute part cached.

        Everything after ``name=value`` depends only on the attributes, and
        ``Expires`` only to the second, so ``dump_cookie`` runs once per
        second and configuration rather than once per response.
        ``plain_value`` says the value is known to need no quoting.
        """
        if not (name.isascii() and (plain_value or _core.is_plain_cookie_value(value))):
            return None
        expires_key = expires.replace(microsecond=0) if isinstance(expires, datetime) else expires
        key = (expires_key, path, domain, secure, httponly, samesite, partitioned)
        try:
            suffix = self._cookie_suffixes[key]
        except KeyError:
            # An empty value is never quoted, so what follows "x=" is the attributes.
            suffix = dump_cookie(
                "x", "", expires=expires, path=path, domain=domain, secure=secure,
                httponly=httponly, max_size=0, samesite=samesite, partitioned=partitioned,
            )[2:]
            if len(self._cookie_suffixes) >= 64:
                self._cookie_suffixes.clear()
            self._cookie_suffixes[key] = suffix
        except TypeError:  # unhashable attribute from an overridden getter
            return None
        return f"{name}={value}{suffix}"


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


def _max_cookie_size(app: t.Any, response: t.Any) -> int:
    """``response.max_cookie_size`` without the ``current_app`` proxy."""
    if type(response).max_cookie_size is _FLASK_MAX_COOKIE_SIZE:
        return app.config["MAX_COOKIE_SIZE"]  # what Flask's property reads in an app context
    return response.max_cookie_size


def _add_vary_cookie(response: t.Any) -> None:
    """``response.vary.add("Cookie")`` without building a HeaderSet when it is plain."""
    headers = response.headers
    if type(headers) is _Headers:
        # Werkzeug's Headers keeps (name, value) pairs in order in ``_list``;
        # reading it directly skips the KeyError ``get`` raises internally.
        vary = next((value for name, value in headers._list if name.lower() == "vary"), None)
        if vary is None:
            headers._list.append(("Vary", "Cookie"))  # what ``headers["Vary"] = ...`` does when absent
            return
    else:
        vary = headers.get("Vary")
        if vary is None:
            headers["Vary"] = "Cookie"
            return
    if '"' in vary or "cookie" not in (item.strip().lower() for item in vary.split(",")):
        response.vary.add("Cookie")  # quoted items, or Cookie missing: Werkzeug's own update

# The encrypted session interface lives in its own module (flask_encrypted.py).
from .flask_encrypted import EncryptedSessionInterface  # noqa: E402
