"""Revocation's cost per request on itsdangerous_rs.starlette's SessionMiddleware.

Run from the repository root (needs redis-server and the test extra):

    python benches/revocation_starlette_bench.py [--rounds 101] [--calls 200]

Raw ASGI calls ``await middleware(scope, receive, send)`` (no test client, no
server) to a bare ASGI endpoint: ``/read`` reads ``session["user_id"]`` (the
session is opened and checked, not written), ``/write`` also writes a counter
(the cookie is stamped and written). Cookies carry the small sample session
plus ``user_id`` and a cart, 256 different ones cycled, each case's own (so
the revocable cases carry the stamp). Cases: ``none`` (``revocations=None``,
the base), ``memory`` (``MemoryRevocations``), ``redis`` (``RedisRevocations``
on a real loopback redis-server: its local copy, no round trip); the stores
hold 10,000 revoked session ids and 1,000 revoked users, none of them the
cookies'. Interleaved rounds in a shuffled order, ``--calls`` calls per case
and view per round, this thread's CPU time; the median of per-round means,
and "added" is the median over rounds of (case - ``none``) in the same round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from itsdangerous_rs.revocation import MemoryRevocations, RedisRevocations  # noqa: E402
from itsdangerous_rs.starlette import SessionMiddleware  # noqa: E402
from redis_server import RedisServer  # noqa: E402
from revocation_bench import interleaved_rounds, preload  # noqa: E402

SECRET = "bench secret"


async def endpoint(scope, receive, send):
    session = scope["session"]
    if scope["path"] == "/write":
        session["counter"] = session.get("counter", 0) + 1
    elif scope["path"].startswith("/login/"):
        session.update(json.loads(resources.files("itsdangerous_rs").joinpath("samples/small.json").read_text()))
        session["user_id"] = scope["path"].rsplit("/", 1)[1]
        session["cart"] = ["tea"]
    body = str(session.get("user_id", "anonymous")).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message):
    return None


def scope_for(path, cookie=None):
    headers = [(b"host", b"bench")]
    if cookie is not None:
        headers.append((b"cookie", b"session=" + cookie))
    return {"type": "http", "method": "GET", "path": path, "headers": headers, "query_string": b""}


async def cookies_for(middleware, count=256):
    cookies = []
    for n in range(count):
        sent = []

        async def keep(message):
            sent.append(message)

        await middleware(scope_for(f"/login/user{n}"), receive, keep)
        header = dict(sent[0]["headers"])[b"set-cookie"]
        cookies.append(header.split(b";", 1)[0].split(b"=", 1)[1])
    return cookies


async def time_calls(middleware, scopes, calls):
    """Mean µs of this thread's CPU time per raw ASGI call, cycling through ``scopes``."""
    n = len(scopes)
    started = time.thread_time()
    for i in range(calls):
        scope = scopes[i % n]
        await middleware({**scope, "headers": list(scope["headers"])}, receive, discard)
    return (time.thread_time() - started) / calls * 1e6


async def run(url, rounds, calls):
    memory = MemoryRevocations(user_key="user_id")
    redis_store = RedisRevocations(url, prefix="bench", user_key="user_id")
    redis_store.wait_synced(5)
    for store in (memory, redis_store):
        preload(store)
    cases = {
        "none": SessionMiddleware(endpoint, SECRET, max_age=3600),
        "memory": SessionMiddleware(endpoint, SECRET, max_age=3600, revocations=memory),
        "redis": SessionMiddleware(endpoint, SECRET, max_age=3600, revocations=redis_store),
    }
    workloads = {}
    for name, middleware in cases.items():
        cookies = await cookies_for(middleware)
        workloads[name] = {view: [scope_for(f"/{view}", c) for c in cookies] for view in ("read", "write")}
        for view in ("read", "write"):  # the views answer as the cookie's user: its session was admitted
            sent = []

            async def keep(message):
                sent.append(message)

            await middleware(workloads[name][view][0], receive, keep)
            assert sent[-1]["body"] == b"user0", (name, view, sent)
    results = {view: {name: [] for name in cases} for view in ("read", "write")}
    try:
        for view, name in interleaved_rounds(rounds, ("read", "write"), cases):
            results[view][name].append(await time_calls(cases[name], workloads[name][view], calls))
    finally:
        redis_store.close()
    for view, by_case in results.items():
        base = by_case["none"]
        for name, times in by_case.items():
            added = statistics.median(t - b for t, b in zip(times, base))
            print(f"{view:5} {name:6} median {statistics.median(times):7.2f} µs CPU   added {added:+6.2f} µs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=101)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    server = RedisServer()
    server.start()
    try:
        asyncio.run(run(server.url, args.rounds, args.calls))
    finally:
        server.close()


if __name__ == "__main__":
    main()
