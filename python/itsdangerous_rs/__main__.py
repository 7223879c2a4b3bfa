"""``python -m itsdangerous_rs``: check ours against stock, then time both.

For each sample session shipped in :mod:`itsdangerous_rs.samples`, under one
fixed clock:

* ``URLSafeTimedSerializer`` from itsdangerous and from itsdangerous_rs: are
  the tokens byte-identical, and does each load the other's?
* If Flask is installed, Flask's ``SecureCookieSessionInterface`` and ours:
  are the signing serializers' tokens and the ``Set-Cookie`` headers of a
  whole request byte-identical, and does each side open the other's cookie?

Then, with the real clock, a short interleaved timing of dumps and loads for
both (median of per-round means, ``time.perf_counter_ns``). The exit status
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


def timing(flask_apps: tuple[t.Any, t.Any] | None, rounds: int, batch_ns: int) -> None:
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
    if report.failures:
        print("\nDIFFERENT from stock: " + "; ".join(report.failures))
    else:
        print("\nAll tokens and cookies are byte-identical to stock, and each side loads the other's.")
    if not args.no_timing:
        timing(flask_apps, max(1, rounds), batch_ns)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
