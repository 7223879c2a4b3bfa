"""Revocation (itsdangerous_rs.revocation) in one process, on both stores.

The app is tests/revocation_app.py: real Flask-Login and the recipe from
docs/revocation.md, run as written, on the signed interface or (the recipe's
store passed to ``EncryptedSessionInterface(revocations=...)``) the encrypted
one. The Redis store talks to a real ``redis-server``
(tests/redis_server.py). Multi-server, replay and fault tests against real
server processes are in test_revocation_servers.py; the Starlette
middleware's are in test_revocation_starlette.py.
"""

from __future__ import annotations

import itertools
import time
import uuid

import pytest
from cryptography.fernet import Fernet, MultiFernet
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface as StockInterface

from itsdangerous_rs.flask import EncryptedSessionInterface
from itsdangerous_rs.flask import SecureCookieSessionInterface
from itsdangerous_rs.revocation import STAMP_KEY, MemoryRevocations, RedisRevocations
from redis_server import redis_server  # noqa: F401 - fixture
from redis_server import own_redis_server  # noqa: F401 - fixture
from redis_server import app_builder
from redis_server import run_in_threads
from redis_server import wait_until
from revocation_app import SECRET_KEY, make_app


def make_app_on(interface, redis_url, **options):
    """make_app, its store then given to the encrypted interface when ``interface`` says so."""
    app, store = make_app(redis_url, **options)
    if interface == "encrypted":
        app.session_interface = EncryptedSessionInterface(revocations=store)
    return app, store


def cookie_data(app, value):
    """The session data a cookie carries, read with stock code (Flask's serializer, cryptography's Fernet)."""
    interface = app.session_interface
    if isinstance(interface, EncryptedSessionInterface):
        plaintext = MultiFernet([Fernet(key) for key in interface.fernet_keys(app)]).decrypt(value.encode("ascii"))
        with app.app_context():
            return interface.serializer.loads(plaintext.decode("utf-8"))
    return StockInterface().get_signing_serializer(app).loads(value)


@pytest.fixture(params=[
    ("signed", "memory"), ("signed", "redis"), ("encrypted", "memory"), ("encrypted", "redis"),
], ids="-".join)
def store_app(request):
    """(make_app for one interface and store, the stores made) — two apps on Redis share it, as two servers do."""
    interface, kind = request.param
    yield from app_builder(request, kind, lambda url, **options: make_app_on(interface, url, **options))


def propagated(client):
    """True once the app behind ``client`` refuses its cookie."""
    return wait_until(lambda: client.get("/").text == "anonymous", timeout=5.0)


def test_stamp_is_hidden_from_the_app(store_app):
    app, store = store_app()
    seen = {}

    @app.get("/look")
    def look():
        seen.update(keys=sorted(session), items=dict(session), length=len(session),
                    contains=STAMP_KEY in session, get=session.get(STAMP_KEY))
        return "ok"

    client = app.test_client()
    client.post("/login/alice")
    cookie = client.get_cookie("session").value
    decoded = cookie_data(app, cookie)
    assert STAMP_KEY in decoded  # the cookie carries it...
    response = client.get("/look")
    assert STAMP_KEY not in seen["keys"] and STAMP_KEY not in seen["items"]  # ...the app does not see it
    assert seen["contains"] is False and seen["get"] is None and seen["length"] == len(decoded) - 1
    # Reading the session did not modify it: no new cookie.
    assert "Set-Cookie" not in response.headers


def test_untouched_requests_write_no_cookie(store_app):
    app, store = store_app()
    client = app.test_client()
    response = client.get("/")
    assert "Set-Cookie" not in response.headers
    client.post("/login/alice")
    response = client.get("/")
    assert response.text == "user:alice" and "Set-Cookie" not in response.headers


@pytest.mark.parametrize("interface", ["signed", "encrypted"])
def test_session_id_is_kept_while_the_user_is_and_renewed_on_login(interface):
    app, store = make_app_on(interface, None)

    @app.post("/touch")
    def touch():
        session["n"] = session.get("n", 0) + 1
        return "ok"

    client = app.test_client()
    client.post("/touch")
    anonymous_stamp = cookie_data(app, client.get_cookie("session").value)[STAMP_KEY]
    client.post("/touch")
    assert cookie_data(app, client.get_cookie("session").value)[STAMP_KEY] == anonymous_stamp
    client.post("/login/alice")
    alice_stamp = cookie_data(app, client.get_cookie("session").value)[STAMP_KEY]
    assert alice_stamp.split(".")[0] != anonymous_stamp.split(".")[0]
    client.post("/touch")
    assert cookie_data(app, client.get_cookie("session").value)[STAMP_KEY] == alice_stamp


def test_without_revocations_cookie_is_stock():
    for interface in (StockInterface(), SecureCookieSessionInterface(), EncryptedSessionInterface()):
        app = Flask(__name__)
        app.secret_key = SECRET_KEY
        app.session_interface = interface

        @app.get("/")
        def index():
            session["_user_id"] = "alice"
            return "ok"

        cookie = app.test_client().get("/").headers["Set-Cookie"]
        assert cookie_data(app, cookie.split(";")[0].split("=", 1)[1]) == {"_user_id": "alice"}


def test_logout_refuses_the_saved_cookie(store_app):
    app_a, _ = store_app()
    app_b, _ = store_app()
    browser = app_a.test_client()
    browser.post("/login/alice")
    saved = browser.get_cookie("session").value
    replay = app_b.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/").text == "user:alice" and replay.get("/cart").text == "['tea']"
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").text == "anonymous"
    replay_a = app_a.test_client()
    replay_a.set_cookie("session", saved)
    assert replay_a.get("/").text == "anonymous"  # at once on the server that revoked
    assert propagated(replay)  # and on the other
    # A refused session opens empty: the app's data is gone too, and no error.
    assert replay.get("/cart").text == "None"
    # The logged-out browser keeps its other data under a new session id.
    assert browser.get("/cart").text == "['tea']" and browser.get("/").text == "anonymous"


def test_revoke_user_refuses_every_earlier_session_and_keeps_later_ones(store_app):
    app_a, store_a = store_app()
    app_b, _ = store_app()
    phone, laptop, bob = app_a.test_client(), app_b.test_client(), app_b.test_client()
    phone.post("/login/alice")
    laptop.post("/login/alice")
    bob.post("/login/bob")
    time.sleep(0.002)  # the cutoff is in ms: sessions begun in an earlier ms
    store_a.revoke_user("alice")
    assert phone.get("/").text == "anonymous"
    assert propagated(laptop)
    assert bob.get("/").text == "user:bob"
    time.sleep(0.002)
    tablet = app_b.test_client()
    tablet.post("/login/alice")  # logging in again after the revocation works
    assert tablet.get("/").text == "user:alice"


def test_logout_other_devices_keeps_this_one(store_app):
    app_a, _ = store_app()
    app_b, _ = store_app()
    this, other = app_a.test_client(), app_b.test_client()
    this.post("/login/alice")
    other.post("/login/alice")
    before = this.get_cookie("session").value
    time.sleep(0.002)
    response = this.post("/logout-other-devices")
    assert response.status_code == 302 and "Set-Cookie" in response.headers  # this session re-stamped
    assert this.get_cookie("session").value != before
    assert propagated(other)
    assert this.get("/").text == "user:alice"
    stale = app_b.test_client()
    stale.set_cookie("session", before)  # this device's own earlier cookie is covered too
    assert stale.get("/").text == "anonymous"


def test_cookie_from_before_revocation_was_enabled(store_app):
    app, store = store_app()
    old_app = Flask(__name__)
    old_app.secret_key = SECRET_KEY

    @old_app.get("/")
    def old_login():
        session["_user_id"] = "alice"
        return "ok"

    old_cookie = old_app.test_client().get("/").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client = app.test_client()
    client.set_cookie("session", old_cookie)
    assert client.get("/").text == "user:alice"  # accepted while nothing is revoked
    store.revoke_user("alice")
    assert propagated(client)


def test_revoke_session_of_a_never_written_session_is_false():
    app, store = make_app(None)
    with app.test_request_context("/"):
        app.session_interface.open_session(app, app.test_request_context("/").request)
        assert store.revoke_session(session) is False


def test_memory_store_forgets_revocations_after_the_lifetime():
    store = MemoryRevocations(max_age=0.05)
    store.prune_interval = 0.0
    store.revoke_user("alice")
    assert "alice" in store._user_cutoffs
    time.sleep(0.1)
    store.revoke_user("bob")  # a revocation prunes older ones
    assert "alice" not in store._user_cutoffs and "bob" in store._user_cutoffs


def test_redis_stream_is_trimmed_to_the_lifetime(redis_server):
    import redis

    prefix = f"test:{uuid.uuid4().hex}"
    store = RedisRevocations(redis_server.url, prefix=prefix, max_age=0.2)
    try:
        client = redis.Redis.from_url(redis_server.url)
        for n in range(300):
            store.revoke_user(f"user{n}")
        time.sleep(0.3)
        for n in range(300):
            store.revoke_user(f"later{n}")
        # MINID trims whole listpack nodes (approximately): the early entries go.
        assert client.xlen(store.stream) < 600
        first = client.xrange(store.stream, count=1)[0][1]
        assert first[b"v"].startswith(b"later")
    finally:
        store.close()


def test_a_new_process_reads_earlier_revocations(redis_server):
    prefix = f"test:{uuid.uuid4().hex}"
    first = RedisRevocations(redis_server.url, prefix=prefix)
    try:
        for n in range(25_000):  # more than one XREAD batch
            first._apply("s", f"sid{n}", 1)
        first._pending = [("s", f"sid{n}", int(time.time() * 1000)) for n in range(25_000)]
        first._flush()
        first.revoke_user("alice")
    finally:
        first.close()
    later = RedisRevocations(redis_server.url, prefix=prefix)
    try:
        assert later.wait_synced(10)
        assert len(later._revoked_sessions) == 25_000 and "alice" in later._user_cutoffs
    finally:
        later.close()


def test_concurrent_requests_and_revocations(store_app):
    """8 threads per server, revocations interleaved with requests: none lost, no false refusal."""
    app_a, store_a = store_app()
    app_b, store_b = store_app()
    failures = []
    counter = itertools.count()

    def worker(index):
        for round_ in range(15):
            user = f"u{index}-{round_}"
            home, away = (app_a, app_b) if (index + round_) % 2 else (app_b, app_a)
            keeper = home.test_client()
            keeper.post(f"/login/{user}")
            victim = home.test_client()
            victim.post(f"/login/{user}")
            copy = away.test_client()
            copy.set_cookie("session", victim.get_cookie("session").value)
            if copy.get("/").text != f"user:{user}":
                failures.append(("false refusal", user))
            if next(counter) % 2:
                victim.post("/logout")  # revoke_session
            else:
                time.sleep(0.002)
                (store_a if home is app_a else store_b).revoke_user(user)
                keeper = None
            if not propagated(copy):
                failures.append(("lost revocation", user))
            if keeper is not None and keeper.get("/").text != f"user:{user}":
                failures.append(("false refusal of another session", user))

    run_in_threads(worker, failures)
    assert failures == []


def test_redis_down_at_start_up_the_app_still_serves():
    from redis_server import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app, store = make_app(url, timeout=0.2)
    try:
        assert not store.wait_synced(0)
        client = app.test_client()
        client.post("/login/alice")
        assert client.get("/").text == "user:alice"  # fail-open: last known (empty) state
        saved = client.get_cookie("session").value
        started = time.monotonic()
        assert client.post("/logout").status_code == 302  # revoke_session does not raise
        assert time.monotonic() - started < 0.2 + 2.0  # bounded by the timeout, not hung
        replay = app.test_client()
        replay.set_cookie("session", saved)
        assert replay.get("/").text == "anonymous"  # held locally while Redis is away
        assert store._pending  # and kept to send later
    finally:
        store.close()


def test_fail_closed_refuses_when_redis_stays_away_and_recovers(own_redis_server):
    prefix = f"test:{uuid.uuid4().hex}"
    app, store = make_app(own_redis_server.url, prefix=prefix, stale_after=0.3, fail_closed=True, block_ms=100, timeout=0.2)
    try:
        client = app.test_client()
        client.post("/login/alice")
        assert client.get("/").text == "user:alice"
        own_redis_server.stop()
        assert wait_until(lambda: client.get("/").text == "anonymous", timeout=10)
        own_redis_server.start()
        assert wait_until(lambda: client.get("/").text == "user:alice", timeout=10)  # cookie kept, works again
    finally:
        store.close()


def test_hook_api_on_a_plain_dict_session():
    """The hook as another session interface (e.g. a Starlette middleware) would call it."""
    from itsdangerous_rs.revocation import RevocableSession

    store = MemoryRevocations()
    written = RevocableSession(_user_id="alice", theme="dark")
    assert store.stamp(written) is True and STAMP_KEY in written
    cookie_data = dict(written)  # what the interface serializes
    store.unstamp(written)
    assert STAMP_KEY not in written
    assert store.stamp(RevocableSession()) is False  # an empty session gets no stamp

    opened = RevocableSession(cookie_data)
    assert store.admit(opened, 3600) is True and opened == {"_user_id": "alice", "theme": "dark"}
    assert store.revoke_session(opened) is True
    assert store.admit(RevocableSession(cookie_data), 3600) is False
    assert store.max_age >= 3600


def test_hook_api_on_a_bare_dict_never_raises():
    store = MemoryRevocations()
    written = {"_user_id": "alice"}
    assert store.stamp(written) is True
    opened = dict(written)
    store.unstamp(written)
    assert store.admit(opened) is True and opened == {"_user_id": "alice"}
    assert store.revoke_session(opened) is False  # no attribute to keep the stamp on


def test_hook_api_on_a_mapping_session_that_is_not_a_dict():
    """Session classes that are only mappings go through their own pop/get/__contains__."""
    from collections import UserDict

    class MappingSession(UserDict):
        pass

    store = MemoryRevocations()
    written = MappingSession(_user_id="alice")
    assert store.stamp(written) is True and STAMP_KEY in written
    assert store.stamp(written) is False  # already stamped
    cookie_data = dict(written)
    store.unstamp(written)
    assert STAMP_KEY not in written
    # The same user keeps the stamp; another user gets a new one.
    assert store.stamp(written) is True and written[STAMP_KEY] == cookie_data[STAMP_KEY]
    store.unstamp(written)
    written["_user_id"] = "bob"
    assert store.stamp(written) is True and written[STAMP_KEY] != cookie_data[STAMP_KEY]

    opened = MappingSession(cookie_data)
    assert store.admit(opened, 60) is True and dict(opened) == {"_user_id": "alice"}
    assert store.revoke_session(opened) is True
    assert store.admit(MappingSession(cookie_data), 60) is False
    store.revoke_user("alice")
    assert store.admit(MappingSession({"_user_id": "alice"})) is False  # no stamp: any revocation of its user


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_encrypted_interface_admits_a_migrated_signed_cookie(kind, request):
    """A signed cookie the encrypted interface migrates is checked like its own, and keeps its session id."""
    redis_url = None if kind == "memory" else request.getfixturevalue("redis_server").url
    app, store = make_app(redis_url, **({} if redis_url is None else {"prefix": f"test:{uuid.uuid4().hex}"}))
    try:
        signed_interface = app.session_interface
        encrypted_interface = EncryptedSessionInterface(revocations=store)
        # One app and store (its views revoke there); only the interface changes.
        signed = app.test_client()
        signed.post("/login/alice")
        signed_cookie = signed.get_cookie("session").value
        stamp = cookie_data(app, signed_cookie)[STAMP_KEY]

        app.session_interface = encrypted_interface
        migrated = app.test_client()
        migrated.set_cookie("session", signed_cookie)
        assert migrated.get("/").text == "user:alice"
        encrypted_cookie = migrated.get_cookie("session").value
        assert "." not in encrypted_cookie  # re-issued as a Fernet token...
        assert cookie_data(app, encrypted_cookie)[STAMP_KEY] == stamp  # ...of the same revocable session

        assert migrated.post("/logout").status_code == 302  # revoke_session on the encrypted interface
        replay = app.test_client()
        replay.set_cookie("session", signed_cookie)
        assert replay.get("/").text == "anonymous"  # the signed original is refused too
        replay.set_cookie("session", encrypted_cookie)
        assert replay.get("/").text == "anonymous"
    finally:
        if isinstance(store, RedisRevocations):
            store.close()


class CountingRevocations(MemoryRevocations):
    """A store whose subclass overrides every hook: the interface must call them."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def admit(self, session, max_age=None):
        self.calls.append("admit")
        return super().admit(session, max_age)

    def stamp(self, session):
        self.calls.append("stamp")
        return super().stamp(session)

    def unstamp(self, session):
        self.calls.append("unstamp")
        super().unstamp(session)


class RenamedCookieInterface(SecureCookieSessionInterface):
    """An overridden hook: the Python path, which stamps and admits in Python."""

    def get_cookie_name(self, app):
        return "renamed"


@pytest.mark.parametrize("store_class", [MemoryRevocations, CountingRevocations])
@pytest.mark.parametrize("interface_class", [SecureCookieSessionInterface, RenamedCookieInterface])
def test_overridden_hooks_and_python_path_revoke_alike(store_class, interface_class):
    store = store_class()
    app = Flask(__name__)
    app.secret_key = SECRET_KEY
    app.session_interface = interface_class(revocations=store)

    @app.post("/login/<user>")
    def login(user):
        session["_user_id"] = user
        return "ok"

    @app.get("/")
    def whoami():
        assert STAMP_KEY not in session
        return str(session.get("_user_id"))

    @app.post("/logout")
    def logout():
        store.revoke_session(session)
        session.clear()
        return "ok"

    name = app.session_interface.get_cookie_name(app)
    browser = app.test_client()
    browser.post("/login/alice")
    saved = browser.get_cookie(name).value
    assert STAMP_KEY in cookie_data(app, saved)
    assert browser.get("/").text == "alice"
    browser.post("/logout")
    replay = app.test_client()
    replay.set_cookie(name, saved)
    assert replay.get("/").text == "None"
    if store_class is CountingRevocations:
        # login: stamp/unstamp; "/": admit; logout: admit; replay: admit (refused)
        assert store.calls == ["stamp", "unstamp", "admit", "admit", "admit"]
