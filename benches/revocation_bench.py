"""Revocation's cost per request, its propagation and its Redis memory.

Run from the repository root (needs redis-server and the test extra):

    python benches/revocation_bench.py [--rounds 151] [--calls 200] [--propagation 30] [--revocations 1000000]

(``--propagation 0`` or ``--revocations 0`` skips that part.)

Per-request cost: raw WSGI calls ``app(environ, start_response)`` to one view
that reads ``session["_user_id"]`` (the session is opened and checked, not
written) and one that also writes a counter (the cookie is re-stamped and
written). Cookies carry the small sample session (Flask-Login's and
Flask-WTF's keys) plus a cart, 256 different ones cycled. Cases, each its own
app with our signed interface, timed in interleaved rounds in a shuffled order,
``--calls`` calls per case per round and view (short rounds, so the four
cases of a round see the same machine state), this thread's CPU time
(``time.thread_time``) and wall time, median of the per-round means:

* ``none``: ``SecureCookieSessionInterface()``, no revocation (the base);
* ``memory``: ``revocations=MemoryRevocations()``;
* ``redis``: ``revocations=RedisRevocations(url)`` (the local copy: no round trip);
* ``naive_get``: no revocation in the interface, and a ``before_request`` that
  does ``GET revoked:<user id>`` on Redis for every request, the simplest
  server-side check.

The revocation stores hold 10,000 revoked session ids and 1,000 revoked users,
none of them the cookies', so every check is a miss, as for nearly every request.
"Added" is each case minus ``none``, per round, then the median.

Propagation: two waitress processes (tests/revocation_app.py) on one Redis;
log in on A, ``revoke_user`` on A, poll B until it refuses the copied cookie;
the time from the revoke request's start (``--propagation 30`` samples).

Redis memory: ``used_memory`` before and after ``--revocations`` session
revocations through ``RedisRevocations`` (pipelined ``XADD``), and the time a
new process takes to read them all into its local copy, with that copy's
resident memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import secrets
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import redis  # noqa: E402
from flask import Flask, session  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from itsdangerous_rs.flask import SecureCookieSessionInterface  # noqa: E402
from itsdangerous_rs.revocation import MemoryRevocations, RedisRevocations  # noqa: E402
from redis_server import RedisServer  # noqa: E402

SECRET = "bench secret"


def small_sample() -> dict:
    return json.loads(resources.files("itsdangerous_rs").joinpath("samples/small.json").read_text())


def make_app(interface, naive_client=None) -> Flask:
    app = Flask("revocation_bench")
    app.secret_key = SECRET
    app.session_interface = interface

    if naive_client is not None:
        @app.before_request
        def naive_check():
            user = session.get("_user_id")
            if user is not None and naive_client.get(f"revoked:{user}") is not None:
                session.clear()

    @app.get("/read")
    def read():
        return session.get("_user_id", "anonymous")

    @app.get("/write")
    def write():
        session["counter"] = session.get("counter", 0) + 1
        return "ok"

    @app.post("/login/<int:n>")
    def login(n):
        session.update(small_sample())
        session["_user_id"] = f"user{n}"
        session["cart"] = ["tea"]
        return "ok"

    return app


def start_response(status, headers, exc_info=None):
    return None


def cookies_for(app, count=256) -> list:
    client = app.test_client()
    cookies = []
    for n in range(count):
        client.post(f"/login/{n}")
        cookies.append(client.get_cookie("session").value)
        client.delete_cookie("session")
    return cookies


def environs(path, cookies) -> list:
    return [EnvironBuilder(path=path, headers={"Cookie": f"session={c}"}).get_environ() for c in cookies]


def time_calls(app, envs, calls) -> tuple[float, float]:
    """Mean µs per raw WSGI call, (this thread's CPU time, wall time), over ``calls`` calls cycling through ``envs``.

    CPU time is the figure for our check: on a shared machine with more
    runnable processes than cores, wall time also counts the time this
    process waits for a core, which swamps differences of a few µs. Wall
    time is the figure for the naive GET, most of which is waiting for Redis.
    """
    n = len(envs)
    cpu_started, wall_started = time.thread_time(), time.perf_counter()
    for i in range(calls):
        for chunk in app(dict(envs[i % n]), start_response):
            pass
    return (time.thread_time() - cpu_started) / calls * 1e6, (time.perf_counter() - wall_started) / calls * 1e6


def interleaved_rounds(rounds, views, cases):
    """The order to time in: ``(view, case)`` for each case once per view and
    round, the cases shuffled anew each time, the garbage collector off until
    the last. A round is short, so its cases see the same machine state."""
    names = list(cases)
    gc.disable()
    try:
        for _ in range(rounds):
            for view in views:
                random.shuffle(names)
                for name in names:
                    yield view, name
    finally:
        gc.enable()


def preload(store) -> None:
    """10,000 revoked session ids and 1,000 revoked users, none of them the
    benchmark's cookies', so every check is a miss, as for nearly every request."""
    now = int(time.time() * 1000)
    for n in range(10_000):
        store._apply("s", f"revoked-session-{n}", now)
    for n in range(1_000):
        store._apply("u", f"revoked-user-{n}", now)


def request_cost(url, rounds, calls) -> dict:
    memory = MemoryRevocations()
    redis_store = RedisRevocations(url, prefix="bench")
    redis_store.wait_synced(5)
    for store in (memory, redis_store):
        preload(store)
    naive_client = redis.Redis.from_url(url)
    apps = {
        "none": make_app(SecureCookieSessionInterface()),
        "memory": make_app(SecureCookieSessionInterface(revocations=memory)),
        "redis": make_app(SecureCookieSessionInterface(revocations=redis_store)),
        "naive_get": make_app(SecureCookieSessionInterface(), naive_client),
    }
    workloads = {}
    for name, app in apps.items():
        cookies = cookies_for(app)
        workloads[name] = {view: environs(f"/{view}", cookies) for view in ("read", "write")}
        for view in ("read", "write"):  # warm up, and check the view answers as a logged-in user
            body = b"".join(app(dict(workloads[name][view][0]), start_response))
            assert body in (b"user0", b"ok"), (name, view, body)
    results = {view: {name: [] for name in apps} for view in ("read", "write")}
    for view, name in interleaved_rounds(rounds, ("read", "write"), apps):
        results[view][name].append(time_calls(apps[name], workloads[name][view], calls))
    redis_store.close()
    summary = {}
    for view, by_case in results.items():
        base = by_case["none"]
        summary[view] = {
            name: {
                f"{clock}_{figure}": value
                for index, clock in enumerate(("cpu", "wall"))
                for figure, value in (
                    ("median_us", statistics.median(t[index] for t in times)),
                    ("added_us", statistics.median(t[index] - b[index] for t, b in zip(times, base))),
                )
            }
            for name, times in by_case.items()
        }
    return summary


def propagation(url, samples) -> dict:
    from test_revocation_servers import AppServer

    a, b = AppServer(url), AppServer(url)
    try:
        times = []
        for n in range(samples):
            user = f"prop{n}"
            login = a.client()
            login.post(f"/login/{user}")
            copy = b.client(login.cookies["session"])
            assert copy.get("/").text == f"user:{user}"
            revoker = a.client()
            started = time.monotonic()
            revoker.post(f"/revoke-user/{user}")
            while copy.get("/").text != "anonymous":
                if time.monotonic() - started > 5:
                    raise AssertionError("not propagated in 5 s")
            times.append((time.monotonic() - started) * 1000)
        return {"median_ms": statistics.median(times), "max_ms": max(times), "samples": samples}
    finally:
        a.stop()
        b.stop()


def redis_memory(url, count) -> dict:
    client = redis.Redis.from_url(url)
    prefix = "memory"
    store = RedisRevocations(url, prefix=prefix)
    before = client.info("memory")["used_memory"]
    now = int(time.time() * 1000)
    batch = 10_000
    for start in range(0, count, batch):
        # Session ids as revoke_session writes them.
        store._pending = [("s", secrets.token_urlsafe(8), now) for n in range(start, start + batch)]
        store._flush()
    store.close()
    after = client.info("memory")["used_memory"]
    length = client.xlen(store.stream)
    gc.collect()
    rss_before = resident_bytes()
    started = time.monotonic()
    reader = RedisRevocations(url, prefix=prefix)
    reader.wait_synced(600)
    read_seconds = time.monotonic() - started
    gc.collect()
    local_bytes = resident_bytes() - rss_before
    local = len(reader._revoked_sessions)
    reader.close()
    return {
        "revocations": count,
        "stream_length": length,
        "used_memory_delta_bytes": after - before,
        "bytes_per_revocation": (after - before) / count,
        "new_process_read_seconds": read_seconds,
        "local_copy_entries": local,
        "local_copy_bytes_per_entry": local_bytes / max(local, 1),
    }


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=151)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--propagation", type=int, default=30)
    parser.add_argument("--revocations", type=int, default=1_000_000)
    args = parser.parse_args()
    server = RedisServer()
    server.start()
    try:
        cost = request_cost(server.url, args.rounds, args.calls)
        for view, by_case in cost.items():
            print(f"\n{view} view, µs per raw WSGI request (median of {args.rounds} interleaved rounds of {args.calls} calls):")
            print(f"  {'case':10s} {'CPU':>8s} {'added':>8s}   {'wall':>8s} {'added':>8s}")
            for name, f in by_case.items():
                print(f"  {name:10s} {f['cpu_median_us']:8.2f} {f['cpu_added_us']:+8.2f}   {f['wall_median_us']:8.2f} {f['wall_added_us']:+8.2f}")
        if args.propagation:
            prop = propagation(server.url, args.propagation)
            print(f"\npropagation A -> B over {prop['samples']} revocations: median {prop['median_ms']:.1f} ms, max {prop['max_ms']:.1f} ms")
        if args.revocations:
            memory = redis_memory(server.url, args.revocations)
            print(
                f"\nRedis memory after {memory['revocations']:,} revocations (stream length {memory['stream_length']:,}): "
                f"{memory['used_memory_delta_bytes'] / 1e6:.1f} MB, {memory['bytes_per_revocation']:.1f} bytes each; "
                f"a new process read them in {memory['new_process_read_seconds']:.1f} s into {memory['local_copy_entries']:,} local entries, "
                f"{memory['local_copy_bytes_per_entry']:.0f} bytes each (resident memory)"
            )
    finally:
        server.close()


if __name__ == "__main__":
    main()
