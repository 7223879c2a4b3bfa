"""A FastAPI app with itsdangerous_rs.starlette's middleware under a real
uvicorn on 127.0.0.1, driven by httpx: set, read, modify and clear a
session, open a cookie stock Starlette wrote, and reject a tampered one."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from starlette.middleware.sessions import SessionMiddleware as StockMiddleware

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "starlette_apps:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/read", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(proc.stdout.read().decode(errors="replace") if proc.poll() is not None else "uvicorn did not start")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def session_cookie(response) -> str | None:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith("session="):
            return value
    return None


def test_set_read_modify_clear(server):
    with httpx.Client(base_url=server) as client:
        assert client.get("/read").json() == {}
        r = client.post("/set/user", params={"value": "ünï ☃"})
        assert r.json() == {"user": "ünï ☃"}
        header = session_cookie(r)
        assert header.endswith("; path=/; Max-Age=3600; httponly; samesite=lax")
        assert r.headers["vary"] == "Cookie"

        r = client.get("/read")
        assert r.json() == {"user": "ünï ☃"}
        assert session_cookie(r) is None, "a session only read is not re-sent"

        r = client.post("/set/theme", params={"value": "dark"})
        assert r.json() == {"user": "ünï ☃", "theme": "dark"}
        assert client.get("/read").json() == {"user": "ünï ☃", "theme": "dark"}

        r = client.post("/clear")
        assert session_cookie(r).startswith("session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT;")
        assert client.get("/read").json() == {}


def test_tampered_cookie_is_rejected(server):
    with httpx.Client(base_url=server) as client:
        client.post("/set/role", params={"value": "user"})
        token = client.cookies["session"]
    payload, timestamp, signature = token.rsplit(".", 2)
    forged_payload = __import__("base64").b64encode(b'{"role": "admin"}').decode()
    for forged in (f"{forged_payload}.{timestamp}.{signature}", token[:-2] + "AA", "garbage"):
        r = httpx.get(server + "/read", cookies={"session": forged})
        assert r.status_code == 200
        assert r.json() == {}
    assert httpx.get(server + "/read", cookies={"session": token}).json() == {"role": "user"}


def test_server_opens_a_cookie_stock_starlette_wrote(server):
    sent = []

    async def app(scope, receive, send):
        scope["session"]["from"] = "stock"
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message):
        sent.append(message)

    from starlette_apps import SECRET

    asyncio.run(StockMiddleware(app, secret_key=SECRET, max_age=3600)({"type": "http", "headers": []}, None, send))
    cookie = dict(sent[0]["headers"])[b"set-cookie"].split(b";")[0].split(b"=", 1)[1].decode()
    assert httpx.get(server + "/read", cookies={"session": cookie}).json() == {"from": "stock"}
