"""``python -m itsdangerous_rs``: check ours against stock, then time both.

For each sample session shipped in :mod:`itsdangerous_rs.samples`, under one
fixed clock:

* ``URLSafeTimedSerializer`` from itsdangerous and from itsdangerous_rs: are
  the tokens byte-identical, and does each load the other's?
* If Flask is installed, Flask's ``SecureCookieSessionInterface`` and ours:
  are the signing serializers' tokens and the ``Set-Cookie`` headers of a
  whole request byte-identical, and does each side open the other's cookie?
* If a supported Starlette is installed, its ``SessionMiddleware`` and
  :mod:`itsdangerous_rs.starlette`'s: are the response headers of a request
  that writes the session (``Set-Cookie`` and ``Vary``) byte-identical, and
  does each side open the other's cookie?

Then, with the real clock, a short interleaved timing of both: dumps and
loads, and for Starlette a raw ASGI request that reads and writes the
session (median of per-round means, ``time.perf_counter_ns``). The exit status
is 1 if anything differs or fails to load, 0 otherwise.

Options: ``--quick`` (few rounds, for tests), ``--rounds N``, ``--no-timing``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import time
import typing as t
from importlib import metadata

import itsdangerous

import itsdangerous_rs
from itsdangerous_rs import samples

SECRET = "itsdangerous_rs self-check secret key"
FIXED_NOW = 1_700_000_000.0
MAX_AGE = 3600
RING = 64  # distinct inputs cycled through while timing, as in benches/


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


@contextlib.contextmanager
def fixed_clock(now: float = FIXED_NOW) -> t.Iterator[None]:
    """``time.time()`` returns ``now`` (itsdangerous, Flask and ours all read it)."""
    real = time.time
    time.time = lambda: now  # type: ignore[assignment]
    try:
        yield
    finally:
        time.time = real  # type: ignore[assignment]


def _loads_ok(load: t.Callable[[], t.Any], expected: t.Any) -> bool:
    try:
        return load() == expected
    except Exception:
        return False


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, what: str, ok: bool) -> bool:
        if not ok:
            self.failures.append(what)
        return ok


# --- byte identity -------------------------------------------------------------


def check_serializer(report: Report) -> None:
    print("URLSafeTimedSerializer (itsdangerous vs itsdangerous_rs), default salt:")
    stock = itsdangerous.URLSafeTimedSerializer(SECRET)
    ours = itsdangerous_rs.URLSafeTimedSerializer(SECRET)
    for name in samples.NAMES:
        data = samples.load(name)
        with fixed_clock():
            stock_token = stock.dumps(data)
            ours_token = ours.dumps(data)
            same = report.check(f"serializer token, {name}", stock_token == ours_token)
            ours_loads = report.check(
                f"ours loads stock's token, {name}", _loads_ok(lambda: ours.loads(stock_token, max_age=MAX_AGE), data)
            )
            stock_loads = report.check(
                f"stock loads our token, {name}", _loads_ok(lambda: stock.loads(ours_token, max_age=MAX_AGE), data)
            )
        print(
            f"  {name:<7} token {len(stock_token):>5} B{' (deflated)' if stock_token.startswith('.') else '           '}"
            f"  {'identical' if same else 'DIFFERENT'}"
            f"  ours loads stock's: {_yes(ours_loads)}  stock loads ours: {_yes(stock_loads)}"
        )


def _flask_apps() -> tuple[t.Any, t.Any]:
    import flask
    from flask.sessions import SecureCookieSessionInterface as StockInterface

    from itsdangerous_rs.flask import SecureCookieSessionInterface as OurInterface

    def make(interface: t.Any) -> t.Any:
        app = flask.Flask(f"itsdangerous_rs_check_{type(interface).__module__}")
        app.secret_key = SECRET
        app.session_interface = interface
        app.extensions["seen"] = []

        @app.get("/write/<name>")
        def write(name: str) -> str:
            flask.session.update(samples.load(name))
            return "ok"

        @app.get("/read")
        def read() -> str:
            app.extensions["seen"].append(dict(flask.session))
            return "ok"

        return app

    return make(StockInterface()), make(OurInterface())


def _wsgi(app: t.Any, path: str, cookie: str | None = None) -> list[tuple[str, str]]:
    from werkzeug.test import EnvironBuilder

    headers = {"Cookie": cookie} if cookie is not None else {}
    builder = EnvironBuilder(path=path, headers=headers)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    seen: dict[str, t.Any] = {}

    def start_response(status: str, response_headers: list, exc_info: t.Any = None) -> None:
        seen["status"], seen["headers"] = status, response_headers

    app_iter = app(environ, start_response)
    try:
        b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()
    if not seen["status"].startswith("200"):
        raise RuntimeError(f"{path}: {seen['status']}")
    return seen["headers"]


def _set_cookie(headers: list[tuple[str, str]]) -> str:
    values = [v for k, v in headers if k.lower() == "set-cookie"]
    return values[0] if len(values) == 1 else ""


def check_flask(report: Report) -> tuple[t.Any, t.Any] | None:
    try:
        import flask
    except ImportError:
        print("Flask is not installed: the session interface comparison is skipped.")
        return None
    stock_app, ours_app = _flask_apps()
    max_age = int(stock_app.permanent_session_lifetime.total_seconds())
    print(f"Flask {_version('flask')} SecureCookieSessionInterface vs itsdangerous_rs.flask's:")
    for name in samples.NAMES:
        data = samples.load(name)
        with fixed_clock():
            with stock_app.app_context():
                stock_token = stock_app.session_interface.get_signing_serializer(stock_app).dumps(data)
            with ours_app.app_context():
                ours_token = ours_app.session_interface.get_signing_serializer(ours_app).dumps(data)
            same_token = report.check(f"Flask serializer token, {name}", stock_token == ours_token)

            stock_header = _set_cookie(_wsgi(stock_app, f"/write/{name}"))
            ours_header = _set_cookie(_wsgi(ours_app, f"/write/{name}"))
            same_header = report.check(f"Set-Cookie header, {name}", bool(stock_header) and stock_header == ours_header)

            def opened(app: t.Any, header: str) -> t.Any:
                app.extensions["seen"].clear()
                _wsgi(app, "/read", cookie=header.split(";", 1)[0])
                return app.extensions["seen"][0]

            ours_opens = report.check(
                f"ours opens stock's cookie, {name}", _loads_ok(lambda: opened(ours_app, stock_header), data)
            )
            stock_opens = report.check(
                f"stock opens our cookie, {name}", _loads_ok(lambda: opened(stock_app, ours_header), data)
            )
            with ours_app.app_context():
                ours_loads = report.check(
                    f"our serializer loads stock's token, {name}",
                    _loads_ok(lambda: ours_app.session_interface.get_signing_serializer(ours_app).loads(
                        stock_token, max_age=max_age), data),
                )
        print(
            f"  {name:<7} cookie {len(stock_header):>5} B"
            f"  token {'identical' if same_token else 'DIFFERENT'}"
            f"  Set-Cookie {'identical' if same_header else 'DIFFERENT'}"
            f"  ours opens stock's: {_yes(ours_opens and ours_loads)}  stock opens ours: {_yes(stock_opens)}"
        )
    return stock_app, ours_app


def _starlette_middlewares() -> tuple[t.Any, t.Any] | None:
    """Stock's and our ``SessionMiddleware`` classes, or None (a line says why)."""
    try:
        import starlette  # noqa: F401
    except ImportError:
        print("Starlette is not installed: the SessionMiddleware comparison is skipped.")
        return None
    try:
        from itsdangerous_rs.starlette import SessionMiddleware as OurMiddleware
    except RuntimeError as exc:  # an installed Starlette whose format we don't reproduce
        print(f"Starlette {_version('starlette')} is not supported: the SessionMiddleware comparison is skipped ({exc}).")
        return None
    from starlette.middleware.sessions import SessionMiddleware as StockMiddleware

    return StockMiddleware, OurMiddleware


async def _asgi_receive() -> dict[str, t.Any]:  # the apps here never read a body
    return {"type": "http.request", "body": b"", "more_body": False}


async def _asgi_discard(message: t.Any) -> None:
    pass


def _asgi(app: t.Any, scope: dict[str, t.Any], send: t.Any = _asgi_discard) -> None:
    """One raw ASGI call: the middleware never suspends, so one ``send(None)`` runs it."""
    coro = app(scope, _asgi_receive, send)
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()
    raise RuntimeError("the ASGI app suspended")


def _starlette_scope(cookie: bytes | None) -> dict[str, t.Any]:
    headers = [(b"host", b"itsdangerous-rs")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return {"type": "http", "method": "GET", "path": "/", "headers": headers}


def _starlette_writer(data: dict[str, t.Any]) -> t.Any:
    """An ASGI app that puts ``data`` in the session, as a view would."""

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        scope["session"].update(data)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def _starlette_response_headers(middleware: t.Any, data: dict[str, t.Any]) -> list[tuple[bytes, bytes]]:
    sent: list[t.Any] = []

    async def capture(message: t.Any) -> None:
        sent.append(message)

    _asgi(middleware(_starlette_writer(data), secret_key=SECRET), _starlette_scope(None), capture)
    return list(sent[0]["headers"])


def _starlette_opens(middleware: t.Any, set_cookie: bytes) -> t.Any:
    """The session ``middleware`` gives a request carrying ``set_cookie``'s cookie."""
    seen: list[t.Any] = []

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        seen.append(dict(scope["session"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})

    _asgi(middleware(app, secret_key=SECRET, max_age=MAX_AGE), _starlette_scope(set_cookie.split(b";", 1)[0]))
    return seen[0]


def check_starlette(report: Report) -> tuple[t.Any, t.Any] | None:
    middlewares = _starlette_middlewares()
    if middlewares is None:
        return None
    stock_mw, ours_mw = middlewares
    print(f"Starlette {_version('starlette')} SessionMiddleware vs itsdangerous_rs.starlette's:")
    for name in samples.NAMES:
        data = samples.load(name)
        with fixed_clock():
            stock_headers = _starlette_response_headers(stock_mw, data)
            ours_headers = _starlette_response_headers(ours_mw, data)
            stock_cookie = dict(stock_headers).get(b"set-cookie", b"")
            ours_cookie = dict(ours_headers).get(b"set-cookie", b"")
            same = report.check(
                f"Starlette response headers, {name}", bool(stock_cookie) and stock_headers == ours_headers
            )
            ours_opens = report.check(
                f"ours opens stock's Starlette cookie, {name}",
                _loads_ok(lambda: _starlette_opens(ours_mw, stock_cookie), data),
            )
            stock_opens = report.check(
                f"stock opens our Starlette cookie, {name}",
                _loads_ok(lambda: _starlette_opens(stock_mw, ours_cookie), data),
            )
        print(
            f"  {name:<7} cookie {len(stock_cookie):>5} B"
            f"  Set-Cookie and Vary {'identical' if same else 'DIFFERENT'}"
            f"  ours opens stock's: {_yes(ours_opens)}  stock opens ours: {_yes(stock_opens)}"
        )
    return middlewares


def _starlette_request_rows(middlewares: tuple[t.Any, t.Any]) -> list[tuple[str, t.Callable[[], t.Any], t.Callable[[], t.Any]]]:
    """Raw ASGI requests that read the session's counter and write counter + 1,
    over a ring of stock-written cookies (as benches/bench_starlette.py)."""
    stock_mw, ours_mw = middlewares

    async def read_write(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        session = scope["session"]
        session["counter"] = session.get("counter", 0) + 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    rows = []
    for name in samples.NAMES:
        cookies = []
        for counter in range(RING):
            header = dict(_starlette_response_headers(stock_mw, dict(samples.load(name), counter=counter)))
            cookies.append(header[b"set-cookie"].split(b";", 1)[0])
        next_cookie = _cycler(cookies)

        def request(app: t.Any, next_cookie: t.Callable[[], bytes] = next_cookie) -> None:
            _asgi(app, _starlette_scope(next_cookie()))

        stock_app = stock_mw(read_write, secret_key=SECRET)
        ours_app = ours_mw(read_write, secret_key=SECRET)
        rows.append((
            f"Starlette request read+write, {name}",
            lambda r=request, a=stock_app: r(a),
            lambda r=request, a=ours_app: r(a),
        ))
    return rows


# --- timing --------------------------------------------------------------------


def interleaved(stock: t.Callable[[], t.Any], ours: t.Callable[[], t.Any], rounds: int, batch_ns: int) -> tuple[float, float]:
    """Median per-call µs of stock and ours, timed in alternating rounds."""
    t0 = time.perf_counter_ns()
    stock()
    ours()
    once = max(time.perf_counter_ns() - t0, 1)
    batch = max(1, batch_ns // once)
    times: dict[int, list[float]] = {0: [], 1: []}
    pair = ((0, stock), (1, ours))
    for r in range(rounds):
        for which, fn in pair if r % 2 == 0 else pair[::-1]:
            start = time.perf_counter_ns()
            for _ in range(batch):
                fn()
            times[which].append((time.perf_counter_ns() - start) / batch)
    return statistics.median(times[0]) / 1000, statistics.median(times[1]) / 1000


def _cycler(items: list[t.Any]) -> t.Callable[[], t.Any]:
    import itertools

    return itertools.cycle(items).__next__


def timing(
    flask_apps: tuple[t.Any, t.Any] | None,
    rounds: int,
    batch_ns: int,
    starlette_middlewares: tuple[t.Any, t.Any] | None = None,
) -> None:
    print(f"\nTiming (real clock; median of {rounds} interleaved rounds, µs per call):")
    print(f"  {'':<40} {'stock':>9} {'ours':>9} {'speed-up':>9}")
    rows: list[tuple[str, t.Callable[[], t.Any], t.Callable[[], t.Any]]] = []
    stock = itsdangerous.URLSafeTimedSerializer(SECRET)
    ours = itsdangerous_rs.URLSafeTimedSerializer(SECRET)
    flask_ctx: t.Any = contextlib.nullcontext()
    flask_pair = None
    if flask_apps is not None:
        from flask.sessions import SecureCookieSessionInterface as StockInterface

        from itsdangerous_rs.flask import SecureCookieSessionInterface as OurInterface

        app = flask_apps[0]
        flask_ctx = app.app_context()
        flask_pair = (StockInterface().get_signing_serializer(app), OurInterface().get_signing_serializer(app))
        max_age = int(app.permanent_session_lifetime.total_seconds())
    with flask_ctx:
        for name in samples.NAMES:
            datas = [dict(samples.load(name), counter=i) for i in range(RING)]
            tokens = [stock.dumps(d) for d in datas]
            nd, nt = _cycler(datas), _cycler(tokens)
            rows.append((f"URLSafeTimedSerializer dumps, {name}", lambda s=stock, n=nd: s.dumps(n()), lambda s=ours, n=nd: s.dumps(n())))
            rows.append((
                f"URLSafeTimedSerializer loads, {name}",
                lambda s=stock, n=nt: s.loads(n(), max_age=MAX_AGE),
                lambda s=ours, n=nt: s.loads(n(), max_age=MAX_AGE),
            ))
            if flask_pair is not None:
                fs, fo = flask_pair
                ftokens = [fs.dumps(d) for d in datas]
                nf = _cycler(ftokens)
                rows.append((f"Flask session dumps, {name}", lambda s=fs, n=nd: s.dumps(n()), lambda s=fo, n=nd: s.dumps(n())))
                rows.append((
                    f"Flask session loads, {name}",
                    lambda s=fs, n=nf: s.loads(n(), max_age=max_age),
                    lambda s=fo, n=nf: s.loads(n(), max_age=max_age),
                ))
        if starlette_middlewares is not None:
            rows.extend(_starlette_request_rows(starlette_middlewares))
        for label, stock_fn, ours_fn in rows:
            s_us, o_us = interleaved(stock_fn, ours_fn, rounds, batch_ns)
            print(f"  {label:<40} {s_us:>9.1f} {o_us:>9.1f} {s_us / o_us:>8.2f}×")


def _plain_text(rest: str) -> str:
    """The module docstring as ``--help`` shows it: reST markup removed."""
    text = re.sub(r":\w+:`([^`]*)`", r"\1", rest)  # :mod:`x` -> x
    return text.replace("``", "").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m itsdangerous_rs",
        description=_plain_text(__doc__.split("\nOptions:", 1)[0]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a few timing rounds only (for tests)")
    parser.add_argument("--rounds", type=int, help="timing rounds per comparison (default 101, 5 with --quick)")
    parser.add_argument("--no-timing", action="store_true", help="check byte identity only")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 101)
    batch_ns = 200_000 if args.quick else 2_000_000

    print(
        f"itsdangerous_rs {_version('itsdangerous-rs')} against itsdangerous {_version('itsdangerous')};"
        f" clock fixed at {int(FIXED_NOW)} for the comparison\n"
    )
    report = Report()
    check_serializer(report)
    flask_apps = check_flask(report)
    starlette_middlewares = check_starlette(report)
    if report.failures:
        print("\nDIFFERENT from stock: " + "; ".join(report.failures))
    else:
        print("\nAll tokens and cookies are byte-identical to stock, and each side loads the other's.")
    if not args.no_timing:
        timing(flask_apps, max(1, rounds), batch_ns, starlette_middlewares)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
