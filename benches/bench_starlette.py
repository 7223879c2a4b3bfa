"""Starlette's SessionMiddleware against itsdangerous_rs.starlette, as raw ASGI calls.

Run from the repository root (see benches/README.md, "Starlette sessions"):

    python benches/bench_starlette.py [--rounds 25] [--number 2000]

Every request is one call of the middleware's ``__call__`` coroutine, driven
with ``coro.send(None)`` (its receive and send never suspend, so it finishes
in that one step): no test client and no event loop, only the middleware and
a four-line inner ASGI app. Each round times ``--number`` requests of every
(case, side) in a rotating order, so stock, ours and the baseline share the
machine state; the report gives each one's median over rounds and the ratios.

Cases, for the ``small`` and ``medium`` sample sessions (itsdangerous_rs/samples):

* ``read_write``: the cookie holds the sample plus a counter; the app reads the
  counter through ``scope["session"]`` and writes counter + 1, so the response
  carries ``Vary: Cookie`` and a new ``Set-Cookie``. Requests cycle through 256
  cookies with different counters (a browser sends back a new one each time).
* ``read_only``: the same cookies; the app reads the counter and writes nothing.
* ``baseline``: each side's no-session request, as the Flask benchmarks
  define it: the same middleware around an app that does not touch the
  session, called with no cookie. "Session share" = a side's request minus
  its own baseline, so the middleware's fixed cost (wrapping ``send``) is not
  counted and the share is the cookie and session work alone.
"""

from __future__ import annotations

import argparse
import os
import json
import platform
import statistics
import sys
import time
from importlib import metadata
from importlib import resources

from starlette.middleware.sessions import SessionMiddleware as StockMiddleware

from itsdangerous_rs.starlette import SessionMiddleware as OurMiddleware

SECRET = "benchmark secret key, 32 bytes.."
RING = 256
SIZES = ("small", "medium")


def sample(size: str) -> dict:
    return json.loads(resources.files("itsdangerous_rs.samples").joinpath(f"{size}.json").read_text())


async def receive():  # pragma: no cover - the apps never read a body
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message):
    pass


async def untouched(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def make_inner(write: bool):
    async def app(scope, receive, send):
        session = scope["session"]
        counter = session.get("counter", 0)
        if hasattr(session, "mark_accessed"):
            session.mark_accessed()  # what request.session does
        if write:
            session["counter"] = counter + 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def cookies_for(size: str) -> list[bytes]:
    """256 stock-written cookies of the sample with different counters."""
    data = sample(size)
    out = []
    for counter in range(RING):
        sent = []

        async def app(scope, receive, send_, counter=counter):
            scope["session"].update(data)
            scope["session"]["counter"] = counter
            await send_({"type": "http.response.start", "status": 200, "headers": []})

        async def capture(message):
            sent.append(message)

        drive(StockMiddleware(app, secret_key=SECRET), {"type": "http", "headers": []}, capture)
        header = dict(sent[0]["headers"])[b"set-cookie"]
        out.append(header.split(b";")[0])
    return out


def drive(app, scope, send_=send):
    coro = app(scope, receive, send_)
    try:
        coro.send(None)
    except StopIteration:
        return
    raise RuntimeError("the app suspended")


def request_loop(app, cookies: list[bytes], number: int):
    scopes = [
        {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"bench"), (b"cookie", c)]}
        for c in cookies
    ]

    def run():
        for i in range(number):
            scope = scopes[i % RING]
            drive(app, {**scope, "headers": list(scope["headers"])})

    return run


def baseline_loop(app, number: int):
    def run():
        for _ in range(number):
            drive(app, {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"bench")]})

    return run


def check_identical(size: str) -> None:
    """Both sides give the same headers for the timed requests (one clock second)."""
    for cookie in cookies_for(size)[:4]:
        results = []
        for middleware in (StockMiddleware, OurMiddleware):
            sent = []

            async def capture(message):
                sent.append(message)

            t0 = int(time.time())
            drive(middleware(make_inner(True), secret_key=SECRET), {"type": "http", "headers": [(b"cookie", cookie)]}, capture)
            results.append((t0, sent[0]["headers"]))
        if results[0][0] == results[1][0] == int(time.time()):
            assert results[0][1] == results[1][1], results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    loops = {}
    for size in SIZES:
        check_identical(size)
        cookies = cookies_for(size)
        for case, write in (("read_write", True), ("read_only", False)):
            inner = make_inner(write)
            loops[(size, case, "stock")] = request_loop(StockMiddleware(inner, secret_key=SECRET), cookies, args.number)
            loops[(size, case, "ours")] = request_loop(OurMiddleware(inner, secret_key=SECRET), cookies, args.number)
    for side, middleware in (("stock", StockMiddleware), ("ours", OurMiddleware)):
        loops[("none", "baseline", side)] = baseline_loop(middleware(untouched, secret_key=SECRET), args.number)

    keys = list(loops)
    times: dict = {key: [] for key in keys}
    for round_index in range(args.rounds):
        shift = round_index % len(keys)
        for key in keys[shift:] + keys[:shift]:
            start = time.perf_counter()
            loops[key]()
            times[key].append((time.perf_counter() - start) / args.number * 1e6)

    versions = {d: metadata.version(d) for d in ("starlette", "itsdangerous", "itsdangerous-rs")}
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"Python {platform.python_version()}, {versions}, rounds={args.rounds}, number={args.number}, load average at the end {load}")
    for label, pick in (("median", statistics.median), ("fastest round", min)):
        # Medians are the headline; each side's fastest round is the machine's
        # quiet state (this is a shared two-core machine), shown for reference.
        stock_base, our_base = (pick(times[("none", "baseline", side)]) for side in ("stock", "ours"))
        print(f"\n{label} microseconds per request (raw ASGI call)")
        print(f"baseline (no cookie, session untouched): stock {stock_base:.2f}, ours {our_base:.2f}")
        print(f"{'size':7} {'case':11} {'stock':>7} {'ours':>7} {'whole x':>8} {'stock share':>11} {'our share':>9} {'share x':>8}")
        for size in SIZES:
            for case in ("read_write", "read_only"):
                stock, ours = (pick(times[(size, case, side)]) for side in ("stock", "ours"))
                stock_share, our_share = stock - stock_base, ours - our_base
                print(
                    f"{size:7} {case:11} {stock:7.2f} {ours:7.2f} {stock / ours:7.2f}x "
                    f"{stock_share:11.2f} {our_share:9.2f} {stock_share / our_share:7.2f}x"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
