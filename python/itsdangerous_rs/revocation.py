"""Revocation for stateless cookie sessions: log a session out everywhere.

A revocable session carries a random session id and the time it began in one
reserved key (``STAMP_KEY``).  The session interface hides that key from the
app and puts it back when the cookie is written, through a small hook API any
session interface can call (see docs/revocation.md):

* ``revocations.admit(session, max_age=None) -> bool`` right after the cookie
  verifies, before the app sees the session: takes the reserved key out of the
  session (plain ``dict`` calls, so Flask's ``accessed``/``modified`` stay as
  they were) and keeps it on the session object; False means the session is
  revoked and the interface must hand the app an empty session instead.
* ``revocations.stamp(session) -> bool`` before writing the cookie: puts the
  reserved key into a non-empty session (minting a new id and start time for a
  new session, or when the session's user changed); True when it did, and then
  ``revocations.unstamp(session)`` after writing takes it out again.

``MemoryRevocations`` keeps the revocations in this process.
``RedisRevocations`` shares them between servers through a Redis stream: every
process reads the stream in a background thread and keeps a local copy, so a
request never waits on Redis.  Both keep a revocation only as long as a cookie
issued before it could still verify (the session lifetime).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import typing as t
import weakref

from . import _core

__all__ = ["MemoryRevocations", "RedisRevocations", "RevocableSession", "Revocations", "STAMP_KEY"]

#: The reserved session key: ``"<session id>.<start time, ms since the epoch>"``.
STAMP_KEY = "_rs_session"
# Where the stamp of an open session is kept (an attribute of the session object).
_STAMP_ATTR = "_rs_revocation_stamp"
_DEFAULT_MAX_AGE = 31 * 24 * 3600  # Flask's PERMANENT_SESSION_LIFETIME default

_log = logging.getLogger(__name__)

_dict_pop = dict.pop
_dict_setitem = dict.__setitem__


class RevocableSession(dict):
    """A plain ``dict`` session that can carry its stamp, for interfaces whose session is a ``dict``.

    The hook keeps an open session's stamp as an attribute of the session
    object, which a ``dict`` itself cannot have (Flask's session classes can).
    """


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_stamp(started_ms: int) -> str:
    return f"{secrets.token_urlsafe(8)}.{started_ms}"  # 64 random bits: no collision among live sessions


def _fresh_stamp(session: t.Any, user: t.Any) -> str:
    """A new stamp for ``session``, kept on it with ``user``; its value."""
    stamp = (_new_stamp(_now_ms()), user)
    _keep_stamp(session, stamp)
    return stamp[0]


def _keep_stamp(session: t.Any, stamp: tuple[str, t.Any]) -> None:
    try:
        setattr(session, _STAMP_ATTR, stamp)
    except AttributeError:
        pass  # a plain dict: checked and written all the same, but revoke_session cannot find it


def _unproxy(session: t.Any) -> t.Any:
    """The session object behind Flask's ``session`` proxy (or the object itself)."""
    get_current_object = getattr(session, "_get_current_object", None)
    return session if get_current_object is None else get_current_object()


class Revocations:
    """The revocation check and the session stamp; subclasses say where revocations live.

    ``user_key`` is the session key holding the user id (Flask-Login's
    ``_user_id`` by default).  ``max_age`` (seconds) is how long a revocation
    is kept; it grows to the largest session lifetime the interface passes to
    ``admit``, so it need only be set when revocations are made in a process
    that serves no sessions.
    """

    def __init__(self, *, user_key: str = "_user_id", max_age: float = _DEFAULT_MAX_AGE) -> None:
        self.user_key = user_key
        self.max_age = max_age
        # session id -> revocation time (ms); user id -> sessions begun at or before this (ms).
        self._revoked_sessions: dict[str, int] = {}
        self._user_cutoffs: dict[str, int] = {}
        self._lock = threading.Lock()
        # True while the local copy cannot be trusted and policy says refuse (RedisRevocations).
        self._refuse_all = False

    # -- the hook API for session interfaces -------------------------------------------

    def admit(self, session: t.Any, max_age: float | None = None) -> bool:
        """Take the stamp out of a verified session; False if the session is revoked.

        The stamp is kept on the session object with the user it was opened
        with. A session whose user has a revocation is refused unless its
        stamp's start time (ASCII digits) is after the cutoff; a session id
        with a revocation is refused.
        """
        return _core.admit_session(self, session, max_age)

    def stamp(self, session: t.Any) -> bool:
        """Put the reserved key into a non-empty session about to be written; True if added.

        The value is the stamp the session was opened with; a new session,
        or one whose user changed (a login or logout), gets a new id, so a
        revocation of the old one (or of the user before now) does not cover
        it and vice versa.
        """
        value = _core.stamp_value(self, session) if session else None
        if value is None:
            return False
        if isinstance(session, dict):
            _dict_setitem(session, STAMP_KEY, value)  # no callbacks: modified/accessed stay as they are
        else:
            session[STAMP_KEY] = value
        return True

    def unstamp(self, session: t.Any) -> None:
        """Take the reserved key out again after the cookie is written."""
        if isinstance(session, dict):
            _dict_pop(session, STAMP_KEY, None)
        else:
            session.pop(STAMP_KEY, None)

    # -- the app's API -----------------------------------------------------------------

    def revoke_session(self, session: t.Any) -> bool:
        """Revoke this session wherever its cookie is replayed; False if it was never issued.

        The session gets a new id if it is written again (e.g. it still holds
        data after ``logout_user()``), so the new cookie is not revoked.
        """
        session = _unproxy(session)
        stamp = getattr(session, _STAMP_ATTR, None)
        if stamp is None:
            return False
        delattr(session, _STAMP_ATTR)
        self._record("s", stamp[0].partition(".")[0], _now_ms())
        return True

    def revoke_user(self, user_id: t.Any, keep: t.Any = None) -> None:
        """Revoke every session of ``user_id`` begun before now, except the session ``keep``.

        ``keep`` (the current session, for "log out my other devices") gets a
        new id and a start time after the cutoff, and is marked modified so
        its cookie is written again.
        """
        cutoff = _now_ms()
        self._record("u", user_id if type(user_id) is str else str(user_id), cutoff)
        keep = None if keep is None else _unproxy(keep)
        if keep:
            _keep_stamp(keep, (_new_stamp(cutoff + 1), keep.get(self.user_key)))
            if hasattr(keep, "modified"):
                keep.modified = True

    # -- local state -------------------------------------------------------------------

    def _record(self, kind: str, key: str, at_ms: int) -> None:
        self._apply(kind, key, at_ms)

    def _apply(self, kind: str, key: str, at_ms: int) -> None:
        """Add one revocation to the local copy (the latest time wins)."""
        with self._lock:
            table = self._revoked_sessions if kind == "s" else self._user_cutoffs
            if at_ms > table.get(key, -1):
                table[key] = at_ms

    def _prune(self) -> None:
        """Forget revocations older than the session lifetime: their cookies have expired."""
        horizon = _now_ms() - int(self.max_age * 1000)
        with self._lock:
            for name in ("_revoked_sessions", "_user_cutoffs"):
                table = getattr(self, name)
                if any(at <= horizon for at in table.values()):
                    setattr(self, name, {key: at for key, at in table.items() if at > horizon})


class MemoryRevocations(Revocations):
    """Revocations held in this process only (one server, one process)."""

    #: Prune at most this often (seconds), from ``revoke_*``.
    prune_interval = 60.0

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self._last_prune = time.monotonic()

    def _record(self, kind: str, key: str, at_ms: int) -> None:
        self._apply(kind, key, at_ms)
        if time.monotonic() - self._last_prune > self.prune_interval:
            self._last_prune = time.monotonic()
            self._prune()


class RedisRevocations(Revocations):
    """Revocations shared by every server on one Redis, through a stream.

    Each revocation is an entry of the stream ``<prefix>:log`` (``XADD``,
    trimmed with ``MINID`` to the session lifetime, so Redis holds only what
    can still matter).  A background thread per process reads the stream
    from where it left off (``XREAD BLOCK``) into the local copy the request
    path checks: no round trip per request, a revocation reaches the other
    servers as soon as their blocked read returns, and after a reconnect or a
    restart of the process nothing is missed, because reading resumes from
    the last entry seen (or from the start).

    While Redis is unreachable the last known state is used for
    ``stale_after`` seconds; after that ``fail_closed=False`` (the default)
    keeps using it, ``fail_closed=True`` refuses every session until the
    stream is read again.  ``revoke_*`` never raise for an outage: the
    revocation applies here at once and is sent when Redis is back.
    ``timeout`` bounds every Redis call made on a request's thread.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "itsdangerous-rs:revocations",
        timeout: float = 0.5,
        stale_after: float = 30.0,
        fail_closed: bool = False,
        block_ms: int = 1000,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(**kwargs)
        import redis  # the ``redis`` extra

        self._redis_module = redis
        self.url = url
        self.stream = f"{prefix}:log"
        self.timeout = timeout
        self.stale_after = stale_after
        self.fail_closed = fail_closed
        self.block_ms = block_ms
        self._pending: list[tuple[str, str, int]] = []  # revocations Redis has not taken yet
        self._last_id = "0-0"
        self._last_read = time.monotonic()  # the local copy was last known current then
        self._synced = threading.Event()
        self._closed = threading.Event()
        self._start()
        self._synced.wait(timeout)  # a short head start; the app starts even if Redis is down
        # A forked worker (e.g. gunicorn --preload) gets its own clients and reader.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (lambda r: r and not r._closed.is_set() and r._start())(ref()))

    def _start(self) -> None:
        redis = self._redis_module
        no_retry = redis.retry.Retry(redis.backoff.NoBackoff(), 0)
        common = dict(socket_connect_timeout=self.timeout, retry=no_retry, health_check_interval=0)
        self._writer = redis.Redis.from_url(self.url, socket_timeout=self.timeout, **common)
        self._reader = redis.Redis.from_url(
            self.url, socket_timeout=self.block_ms / 1000 + self.timeout, **common
        )
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read_forever, name="itsdangerous-rs-revocations", daemon=True)
        self._thread.start()

    def wait_synced(self, timeout: float | None = None) -> bool:
        """Wait until the local copy has read the whole stream once; True if it has."""
        return self._synced.wait(timeout)

    def close(self) -> None:
        """Stop the reader thread (it ends within ``block_ms`` plus ``timeout``)."""
        self._closed.set()
        self._thread.join(self.block_ms / 1000 + self.timeout + 1)
        self._writer.close()
        self._reader.close()

    def _record(self, kind: str, key: str, at_ms: int) -> None:
        self._apply(kind, key, at_ms)
        with self._lock:
            self._pending.append((kind, key, at_ms))
        self._flush()

    def _flush(self) -> None:
        """Send pending revocations to Redis; those it does not take stay pending."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        horizon = _now_ms() - int(self.max_age * 1000)
        try:
            pipe = self._writer.pipeline(transaction=False)
            for kind, key, at_ms in pending:
                pipe.xadd(self.stream, {"k": kind, "v": key, "t": at_ms}, minid=horizon, approximate=True)
            pipe.execute()
        except self._redis_module.RedisError as exc:
            _log.warning("revocations: Redis unreachable (%s); %d revocation(s) kept to send later", exc, len(pending))
            with self._lock:
                self._pending[:0] = [p for p in pending if p[2] > horizon]

    def _read_forever(self) -> None:
        backoff = 0.05
        last_prune = time.monotonic()
        while not self._closed.is_set():
            try:
                if self._pending:
                    self._flush()
                block = self.block_ms if self._synced.is_set() else None
                reply = self._reader.xread({self.stream: self._last_id}, count=10_000, block=block)
                self._last_read = time.monotonic()
                self._refuse_all = False
                backoff = 0.05
                entries = reply[0][1] if reply else []
                for entry_id, fields in entries:
                    self._apply_entry(fields)
                    self._last_id = entry_id
                if not entries or len(entries) < 10_000:
                    self._synced.set()
                if time.monotonic() - last_prune > 60:
                    last_prune = time.monotonic()
                    self._prune()
            except self._redis_module.RedisError as exc:
                stale = time.monotonic() - self._last_read > self.stale_after
                if stale and self.fail_closed and not self._refuse_all:
                    _log.error("revocations: Redis unreachable for %.0f s; refusing sessions (fail_closed)", self.stale_after)
                self._refuse_all = stale and self.fail_closed
                _log.debug("revocations: reading the stream failed: %s", exc)
                self._closed.wait(backoff)
                backoff = min(backoff * 2, 1.0)
            except Exception:  # noqa: BLE001 - the reader must outlive any surprise
                _log.exception("revocations: reader error")
                self._closed.wait(1.0)

    def _apply_entry(self, fields: dict[bytes, bytes]) -> None:
        try:
            kind = fields[b"k"].decode()
            key = fields[b"v"].decode("utf-8")
            at_ms = int(fields[b"t"])
        except (KeyError, ValueError, UnicodeDecodeError):
            return  # not ours
        if kind in ("s", "u"):
            self._apply(kind, key, at_ms)
