"""Revocation on itsdangerous_rs.starlette's SessionMiddleware, on both stores.

The app is tests/revocation_starlette_app.py: FastAPI and the Starlette recipe
from docs/revocation.md, run as written, driven in process by Starlette's
TestClient; the Redis store talks to a real ``redis-server``. The last test
runs the app under two real uvicorn processes on 127.0.0.1 sharing that Redis.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from itsdangerous import TimestampSigner as StockSigner
from starlette.middleware.sessions import Session
from starlette.testclient import TestClient

from itsdangerous_rs.revocation import STAMP_KEY, MemoryRevocations, RedisRevocations, RevocableSession
from itsdangerous_rs.starlette import SessionMiddleware
from redis_server import app_builder
from redis_server import wait_until
from redis_server import free_port
from redis_server import redis_server  # noqa: F401 - fixture
from revocation_starlette_app import SECRET_KEY, make_app
from test_revocation_servers import PROPAGATION_BOUND, ServerProcess, login, seconds_until_refused

HERE = Path(__file__).resolve().parent


def cookie_data(cookie: str) -> dict:
    """A session cookie's data, read with stock itsdangerous as Starlette does."""
    return json.loads(base64.b64decode(StockSigner(SECRET_KEY).unsign(cookie.encode())))


def client_with(app, cookie=None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if cookie is not None:
        client.cookies.set("session", cookie)
    return client


@pytest.fixture(params=["memory", "redis"])
def store_app(request):
    """(make_app for one store) — two apps on Redis share it, as two servers do."""
    yield from app_builder(request, request.param, make_app)


def propagated(client) -> bool:
    return wait_until(lambda: client.get("/").text == "anonymous")


def test_stamp_is_hidden_from_the_app(store_app):
    app, _ = store_app()
    client = client_with(app)
    client.post("/login/alice")
    decoded = cookie_data(client.cookies["session"])
    assert STAMP_KEY in decoded and decoded["user_id"] == "alice"  # the cookie carries it...
    response = client.get("/keys")
    assert response.text == repr((["cart", "user_id"], 2, False, None))  # ...the app does not see it
    assert "set-cookie" not in response.headers  # reading is no modification


def test_session_is_revocable_only_with_revocations():
    seen = []

    async def endpoint(scope, receive, send):
        seen.append(scope["session"])
        scope["session"]["user_id"] = "alice"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    plain = client_with(SessionMiddleware(endpoint, secret_key=SECRET_KEY))
    revocable = client_with(SessionMiddleware(endpoint, secret_key=SECRET_KEY, revocations=MemoryRevocations(user_key="user_id")))
    assert cookie_data(plain.get("/").cookies["session"]) == {"user_id": "alice"}  # no stamp without revocations=
    assert STAMP_KEY in cookie_data(revocable.get("/").cookies["session"])
    assert type(seen[0]) is Session
    assert isinstance(seen[1], Session) and isinstance(seen[1], RevocableSession)


def test_logout_refuses_the_saved_cookie(store_app):
    app_a, _ = store_app()
    app_b, _ = store_app()
    browser = client_with(app_a)
    browser.post("/login/alice")
    saved = browser.cookies["session"]
    replay = client_with(app_b, saved)
    assert replay.get("/").text == "user:alice" and replay.get("/cart").text == "['tea']"
    assert browser.post("/logout").status_code == 303
    assert browser.get("/").text == "anonymous"
    assert client_with(app_a, saved).get("/").text == "anonymous"  # at once where it was revoked
    assert propagated(replay)  # and on the other server
    assert replay.get("/cart").text == "None"  # a refused session opens empty, no error
    # The logged-out browser keeps its other data, under a new session id.
    assert browser.get("/cart").text == "['tea']"
    assert cookie_data(browser.cookies["session"])[STAMP_KEY] != cookie_data(saved)[STAMP_KEY]


def test_revoke_user_refuses_earlier_sessions_not_later_logins(store_app):
    app_a, store_a = store_app()
    app_b, _ = store_app()
    phone, laptop, bob = client_with(app_a), client_with(app_b), client_with(app_b)
    phone.post("/login/alice")
    laptop.post("/login/alice")
    bob.post("/login/bob")
    time.sleep(0.002)  # the cutoff is in ms
    store_a.revoke_user("alice")
    assert phone.get("/").text == "anonymous"
    assert propagated(laptop)
    assert bob.get("/").text == "user:bob"
    time.sleep(0.002)
    tablet = client_with(app_b)
    tablet.post("/login/alice")
    assert tablet.get("/").text == "user:alice"


def test_logout_other_devices_keeps_this_one(store_app):
    app_a, _ = store_app()
    app_b, _ = store_app()
    this, other = client_with(app_a), client_with(app_b)
    this.post("/login/alice")
    other.post("/login/alice")
    before = this.cookies["session"]
    time.sleep(0.002)
    response = this.post("/logout-other-devices")
    assert response.status_code == 303 and "set-cookie" in response.headers  # this session re-issued
    assert this.cookies["session"] != before
    assert propagated(other)
    assert this.get("/").text == "user:alice"
    assert client_with(app_b, this.cookies["session"]).get("/").text == "user:alice"
    assert client_with(app_b, before).get("/").text == "anonymous"  # this device's earlier cookie too


def test_max_age_none_refuses_cookies_older_than_the_store_keeps_revocations():
    """Stock never expires a max_age=None cookie; with revocations= one older than the store's horizon opens empty."""

    async def endpoint(scope, receive, send):
        body = json.dumps(dict(scope["session"])).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    class OldSigner(StockSigner):
        def get_timestamp(self):
            return int(time.time()) - 3 * 24 * 3600

    payload = base64.b64encode(json.dumps({"user_id": "alice"}).encode())
    old = OldSigner(SECRET_KEY).sign(payload).decode()
    fresh = StockSigner(SECRET_KEY).sign(payload).decode()
    store = MemoryRevocations(user_key="user_id", max_age=2 * 24 * 3600)
    revocable = SessionMiddleware(endpoint, secret_key=SECRET_KEY, max_age=None, revocations=store)
    plain = SessionMiddleware(endpoint, secret_key=SECRET_KEY, max_age=None)
    assert client_with(plain, old).get("/").json() == {"user_id": "alice"}  # as stock
    assert client_with(revocable, old).get("/").json() == {}
    assert client_with(revocable, fresh).get("/").json() == {"user_id": "alice"}
    store.max_age = 4 * 24 * 3600  # the horizon follows the store's
    assert client_with(revocable, old).get("/").json() == {"user_id": "alice"}


class UvicornServer(ServerProcess):
    """The recipe app under uvicorn on 127.0.0.1 and a free port, its store on ``redis_url``."""

    def __init__(self, redis_url: str) -> None:
        port = free_port()
        env = dict(os.environ, REVOCATION_REDIS_URL=redis_url,
                   PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "revocation_starlette_app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.base + "/", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(self.process.stdout.read().decode(errors="replace"))
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def test_two_uvicorn_servers_on_one_redis(redis_server):
    a = UvicornServer(redis_server.url)
    try:
        b = UvicornServer(redis_server.url)
        try:
            # revoke_user on A: B refuses the copied cookie within the bound.
            _, cookie = login(a, "alice")
            copy = b.client(cookie)
            assert copy.get("/").text == "user:alice"
            started = time.monotonic()
            assert a.client().post("/revoke-user/alice").text == "revoked"
            assert seconds_until_refused(copy, started) < PROPAGATION_BOUND
            # Logout (revoke_session) on A: the saved cookie replayed on B is refused.
            browser, saved = login(a, "bob")
            assert b.client(saved).get("/").text == "user:bob"
            started = time.monotonic()
            assert browser.post("/logout").status_code == 303
            assert a.client(saved).get("/").text == "anonymous"
            assert seconds_until_refused(b.client(saved), started) < PROPAGATION_BOUND
        finally:
            b.stop()
    finally:
        a.stop()
