"""An encrypted Flask session: the session's tagged JSON as one Fernet token.

``app.session_interface = EncryptedSessionInterface()`` and nothing else
changes: the session holds what it always held (custom tags honoured), and
every ``SESSION_COOKIE_*`` setting, ``session.permanent``,
``SESSION_REFRESH_EACH_REQUEST``, ``Vary: Cookie`` and the deletion of an
emptied session behave as in stock Flask. Anyone with a key reads a cookie
with ``cryptography`` alone (docs/encrypted_sessions.md).

Keys, newest first: HKDF-SHA256 of ``SECRET_KEY`` (which encrypts), then of
each ``SECRET_KEY_FALLBACKS`` entry, newest first (which only decrypt), with
``hkdf_salt`` and ``hkdf_info`` below; or ``SESSION_FERNET_KEYS``, a list of
URL-safe base64 Fernet keys, newest first, which replaces the derivation.

The JSON is not compressed: compressing attacker-influenced values next to
secrets leaks them through the length (CRIME, BREACH).
"""

from __future__ import annotations

import base64
import binascii
import time as _time
import typing as t
from datetime import datetime
from datetime import timedelta as _timedelta

from flask.wrappers import Response as _FlaskResponse

from werkzeug.datastructures import Headers as _Headers
from werkzeug.http import dump_cookie
from werkzeug.sansio.response import Response as _SansIOResponse

from . import _core
from .flask import _STOCK_COOKIES
from .flask import _context_allows
from .flask import _has_default_tags
from .flask import _json_is_default
from .flask import _uses_flask_config_attributes
from .flask import SecureCookieSessionInterface

if t.TYPE_CHECKING:
    from flask import Flask
    from flask.sessions import SecureCookieSession
    from flask.sessions import SessionMixin
    from flask.wrappers import Request
    from flask.wrappers import Response

__all__ = ["EncryptedSessionInterface", "SessionCookieTooLarge"]

_STOCK_SET_COOKIE = _SansIOResponse.set_cookie
_STOCK_VARY = _SansIOResponse.__dict__["vary"]
_FLASK_MAX_COOKIE_SIZE = _FlaskResponse.__dict__["max_cookie_size"]


class SessionCookieTooLarge(ValueError):
    """The encrypted session cookie is larger than ``MAX_COOKIE_SIZE``
    (raised instead of a warning when ``SESSION_COOKIE_SIZE_ERROR`` is set)."""


class EncryptedSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, encrypted and authenticated with Fernet.

    Config keys of its own (all optional):

    - ``SESSION_FERNET_KEYS``: URL-safe base64 Fernet keys, newest first,
      instead of keys derived from ``SECRET_KEY`` and its fallbacks.
    - ``SESSION_ACCEPT_SIGNED_COOKIES`` (default True): a valid stock-signed
      session cookie opens its session, which this response re-issues
      encrypted. False refuses them (an empty session) once they have expired.
    - ``SESSION_COOKIE_SIZE_ERROR`` (default False): a cookie over
      ``MAX_COOKIE_SIZE`` raises :class:`SessionCookieTooLarge` instead of
      Werkzeug's warning (browsers drop such cookies silently).

    ``revocations`` (``itsdangerous_rs.revocation``) opts in to revocation,
    as for the signed interface: checked after decryption (or after a
    migrated signed cookie verifies), its stamp written inside the token.
    """

    #: HKDF-SHA256 parameters of the derived keys (RFC 5869; 32-byte output).
    hkdf_salt: bytes = b"itsdangerous_rs.flask.EncryptedSessionInterface"
    hkdf_info: bytes = b"Fernet session key v1"

    _last_keys: tuple[t.Any, ...] | None = None
    _encrypts = True

    def __init__(self, revocations: t.Any = None) -> None:
        super().__init__(revocations)
        # (what the last keys came from..., FernetKeys or None); see _keys.
        self._last_keys: tuple[t.Any, ...] | None = None
        self._cookie_suffixes: dict[t.Any, str] = {}

    # -- keys --------------------------------------------------------------

    def _raw_keys(self, app: Flask) -> list[bytes]:
        """The raw 32-byte Fernet keys, newest first (empty without a secret)."""
        configured = app.config.get("SESSION_FERNET_KEYS")
        if configured:
            if isinstance(configured, (str, bytes)):
                configured = [configured]
            return [_decode_fernet_key(key) for key in configured]
        if not app.secret_key:
            return []
        secrets = [app.secret_key]
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks:
            # As the signed session: a lone string is one key; the last fallback is the newest.
            secrets.extend([fallbacks] if isinstance(fallbacks, (str, bytes)) else reversed(list(fallbacks)))
        return [
            _core.hkdf_sha256(s.encode("utf-8") if isinstance(s, str) else s, self.hkdf_salt, self.hkdf_info)
            for s in secrets
        ]

    def fernet_keys(self, app: Flask) -> list[str]:
        """The URL-safe base64 Fernet keys in use, newest first: the first
        encrypts, all decrypt. ``cryptography.fernet.MultiFernet`` over them
        reads this app's session cookies."""
        return [base64.urlsafe_b64encode(key).decode("ascii") for key in self._raw_keys(app)]

    def _keys(self, app: Flask) -> t.Any:
        """The prepared keys, or None when there is no key (stock: no session).

        Called twice per request, so the last keys are kept with what they
        came from and reused while those are the same objects (fallback
        lists compared by value, in case one was changed in place).
        """
        config = app.config
        configured = config.get("SESSION_FERNET_KEYS")
        secret_key = app.secret_key
        fallbacks = config["SECRET_KEY_FALLBACKS"]
        last = self._last_keys
        if (
            last is not None
            and last[0] is secret_key
            and last[1] is configured
            and last[2] == fallbacks
            and last[3] is self.hkdf_salt
            and last[4] is self.hkdf_info
            and (not isinstance(configured, list) or last[5] == configured)
        ):
            return last[6]
        raw = self._raw_keys(app)
        keys = _core.FernetKeys(raw) if raw else None
        self._last_keys = (
            secret_key, configured, list(fallbacks) if isinstance(fallbacks, list) else fallbacks,
            self.hkdf_salt, self.hkdf_info, list(configured) if isinstance(configured, list) else None, keys,
        )
        return keys

    def _codec_for(self, app: Flask) -> t.Any:
        """The keys the plan encrypts with, or None for the Python path
        (Flask's JSON customised, or no key)."""
        if (
            not _json_is_default(app.json)
            or not _has_default_tags(self.serializer)
            or not _uses_flask_config_attributes(type(app))
        ):
            return None
        return self._keys(app)

    # -- loading: the plan (open_session, inherited), or these steps --------

    def _open_session_python(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The session before the revocation check, which the caller makes."""
        keys = self._keys(app)
        if keys is None:
            return None
        config = app.config
        val = _cookie(request, self.get_cookie_name(app))
        if not val:
            return self.session_class()
        if "." in val:
            # An itsdangerous-signed cookie ("payload.timestamp.signature");
            # Fernet's base64url never contains a dot.
            return self._open_signed_session(app, request)
        lifetime = config["PERMANENT_SESSION_LIFETIME"]
        if type(lifetime) is not _timedelta:
            lifetime = app.permanent_session_lifetime  # ints become timedeltas here
        ttl = int(lifetime.total_seconds())
        now = _time.time()
        data: t.Any = NotImplemented
        if _context_allows(self.serializer):
            data = keys.session_loads(val, ttl, now)
        if data is NotImplemented:
            data = self._loads_with_serializer(keys, val, ttl, now)
        if type(data) is not dict:
            return self.session_class()  # invalid, expired, or not a session
        return self.session_class(data)

    def _loads_with_serializer(self, keys: t.Any, val: str, ttl: int, now: float) -> t.Any:
        """Decrypt in Rust, then Flask's (customised) tagged JSON in Python."""
        plaintext = keys.decrypt(val, ttl, now)
        if plaintext is None:
            return None
        try:
            return self.serializer.loads(plaintext.decode("utf-8"))
        except (ValueError, TypeError, KeyError):
            # Authentic but unreadable now (a tag removed since): start afresh.
            return None

    def _open_signed_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """A stock-signed session cookie: accepted and re-issued encrypted, or refused."""
        if not app.config.get("SESSION_ACCEPT_SIGNED_COOKIES", True) or not app.secret_key:
            return self.session_class()
        session = SecureCookieSessionInterface._open_session_python(self, app, request)
        if session is not None and dict.__len__(session):  # dict's len: not an access
            session.modified = True  # this response sets the encrypted cookie
        return session

    # -- saving: the plan (save_session, inherited), or these steps ---------

    def _save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # _save_session_stamped stamps for revocation around this.
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        plain_response = type(response).vary is _STOCK_VARY and type(response).set_cookie is _STOCK_SET_COOKIE
        add_vary = _add_vary_cookie if plain_response else _stock_add_vary_cookie

        # As stock: "Vary: Cookie" once the session was accessed, the cookie
        # deleted when the session was emptied, nothing for an empty one.
        vary_added = False
        if session.accessed:
            add_vary(response)
            vary_added = True
        if not session:
            if session.modified:
                response.delete_cookie(
                    name, domain=domain, path=path, secure=secure,
                    partitioned=partitioned, samesite=samesite, httponly=httponly,
                )
                if not vary_added:
                    add_vary(response)
            return
        if not self.should_set_cookie(app, session):
            return

        keys = self._keys(app)
        if keys is None:  # the key was removed during the request
            return
        expires = self.get_expiration_time(app, session)
        now = _time.time()
        val: t.Any = NotImplemented
        if _context_allows(self.serializer):
            val = keys.session_dumps(dict(session), now)
        if val is NotImplemented:
            val = keys.encrypt(self.serializer.dumps(dict(session)).encode("utf-8"), now)

        # Fernet's base64url needs no quoting: the header is name=value plus the attributes.
        header = self._set_cookie_header(name, val, expires, path, domain, secure, httponly, samesite, partitioned)
        max_size = _max_cookie_size(app, response)
        too_large = header is not None and len(header) > max_size > 0
        if too_large:
            self._check_cookie_size(app, name, len(header), max_size)  # type: ignore[arg-type]
        if header is None or too_large or not plain_response:
            # Non-ASCII names, oversized cookies, custom responses: Werkzeug
            # quotes, encodes and warns exactly as it does for stock sessions.
            response.set_cookie(
                name, val, expires=expires, httponly=httponly, domain=domain, path=path,
                secure=secure, partitioned=partitioned, samesite=samesite,
            )
        elif type(response.headers) is _Headers and "\n" not in header and "\r" not in header:
            response.headers._list.append(("Set-Cookie", header))  # Headers.add, its newline check done
        else:
            response.headers.add("Set-Cookie", header)
        if not vary_added:
            add_vary(response)

    def _check_cookie_size(self, app: Flask, name: str, size: int, max_size: int) -> None:
        """For a cookie over ``MAX_COOKIE_SIZE``: raise if ``SESSION_COOKIE_SIZE_ERROR``
        is set, else leave it to Werkzeug, which warns."""
        if app.config.get("SESSION_COOKIE_SIZE_ERROR"):
            raise SessionCookieTooLarge(
                f"The encrypted session cookie {name!r} is {size} bytes, more than"
                f" MAX_COOKIE_SIZE ({max_size}); browsers would drop it. Keep less in the session."
            )

    def _set_cookie_header(
        self, name: str, value: str, expires: t.Any, path: t.Any, domain: t.Any,
        secure: t.Any, httponly: t.Any, samesite: t.Any, partitioned: t.Any,
    ) -> str | None:
        """``dump_cookie(name, value, ...)`` with the attribute part cached.

        Everything after ``name=value`` depends only on the attributes, and
        ``Expires`` only to the second, so ``dump_cookie`` runs once per
        second and configuration rather than once per response. ``value``
        is a Fernet token, whose base64url needs no quoting.
        """
        if not name.isascii():
            return None
        expires_key = expires.replace(microsecond=0) if isinstance(expires, datetime) else expires
        key = (expires_key, path, domain, secure, httponly, samesite, partitioned)
        suffixes = self.__dict__.get("_cookie_suffixes")
        if suffixes is None:  # a subclass's __init__ that skips ours
            suffixes = self._cookie_suffixes = {}
        try:
            suffix = suffixes[key]
        except KeyError:
            # An empty value is never quoted, so what follows "x=" is the attributes.
            suffix = dump_cookie(
                "x", "", expires=expires, path=path, domain=domain, secure=secure,
                httponly=httponly, max_size=0, samesite=samesite, partitioned=partitioned,
            )[2:]
            if len(suffixes) >= 64:
                suffixes.clear()
            suffixes[key] = suffix
        except TypeError:  # unhashable attribute from an overridden getter
            return None
        return f"{name}={value}{suffix}"



def _cookie(request: t.Any, name: str) -> t.Any:
    """The session cookie's value; read straight from ``HTTP_COOKIE`` when
    the request is Werkzeug's own and has not parsed its cookies yet."""
    if getattr(type(request), "cookies", None) is _STOCK_COOKIES and "cookies" not in request.__dict__:
        header = request.environ.get("HTTP_COOKIE")
        val = _core.cookie_value(header, name) if isinstance(header, str) else None
        if val is not NotImplemented:
            return val
    return request.cookies.get(name)


def _stock_add_vary_cookie(response: t.Any) -> None:
    response.vary.add("Cookie")


def _decode_fernet_key(key: str | bytes) -> bytes:
    """A raw key from URL-safe base64, as ``cryptography.fernet.Fernet`` reads it."""
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("SESSION_FERNET_KEYS: a Fernet key must be 32 url-safe base64-encoded bytes.")
    return raw


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
