"""Stock itsdangerous/Flask against itsdangerous_rs, with pytest-benchmark.

Run from the repository root (see benches/README.md):

    python -m pytest benches --benchmark-json=benches/results.json -q
    python benches/report.py benches/results.json

Every benchmark belongs to a group holding one stock/ours pair, and the pair
runs back to back (stock first) in the same process, so the two halves of a
ratio see the same machine state as nearly as pytest-benchmark allows.
``--bench-passes N`` repeats each pair N times, alternating which side goes
first. ``report.py`` reads pytest-benchmark's medians.

What is timed:

* ``flask_dumps`` / ``flask_loads``: the serializer from
  ``get_signing_serializer(app)`` (Flask's interface against ours), built once
  and used inside ``app.app_context()`` as Flask uses it. Loads passes
  ``max_age`` as ``open_session`` does.
* ``plain_dumps`` / ``plain_loads``: ``URLSafeTimedSerializer(SECRET)`` from
  itsdangerous against itsdangerous_rs; loads with ``max_age=3600``.
* ``request_counter``: a whole request as a raw WSGI call
  ``app(environ, start_response)`` (environs built once by Werkzeug's
  ``EnvironBuilder``, copied per call) to a view that reads, increments and
  writes a counter in a session that also holds the sample data. Requests
  cycle through 256 cookies with different counters, as a browser sends back
  a new cookie each time, so nothing is served from a cache of recent payloads.
  ``request_untouched``: the same cookie sent to a view that does not touch
  the session (Flask still opens it). ``request_baseline``: that view with no
  cookie at all, so no session work. Every request case also times that
  no-cookie request right after each side's request (the ``baseline``
  variant); "session overhead" in the report is the request minus its
  neighbouring baseline, pass by pass.
* ``permanent_dumps`` / ``permanent_request``: a permanent session with
  ``SESSION_REFRESH_EACH_REQUEST`` on, which Flask re-signs unchanged on every
  request: the serializer dumping ``dict(session)`` of the unchanged session,
  and the whole raw-WSGI request to a view that only reads the session.

The benchmarks for a *changed* session (``flask_dumps``, ``plain_dumps``,
and the loads of their tokens) cycle through 256 copies of the sample that differ in a
``counter`` key (as the counter view writes them), so a cache of recent
results cannot pass for serializing speed; ``permanent_dumps`` dumps the same
unchanged session every time, which is the case it measures.

No fake clock here: freezegun's patched ``time.time`` would slow both sides.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
import warnings
from importlib import resources

import flask
import itsdangerous
import pytest
from flask.sessions import SecureCookieSessionInterface as StockInterface
from werkzeug.test import EnvironBuilder

import itsdangerous_rs
from itsdangerous_rs.flask import SecureCookieSessionInterface as OurInterface

SECRET = "benchmark secret key, 32 bytes.."
SIZES = ("small", "medium", "large")
IMPLS = ("stock", "ours")
RING = 256
PLAIN_MAX_AGE = 3600


def pytest_generate_tests(metafunc):
    """Parametrize ([size,] impl, bench_pass) so each stock/ours pair runs back to back.

    pytest runs parameters in list order: for each size, stock then ours. With
    ``--bench-passes N`` each pair runs N times in a row, the order alternating
    (stock, ours), (ours, stock), ... so neither side always runs second; all
    passes of a case share one group.
    """
    if "impl" not in metafunc.fixturenames:
        return
    passes = max(1, metafunc.config.getoption("bench_passes", 1))
    sized = "size" in metafunc.fixturenames
    # Request cases also time the no-session request right after each side's
    # request, so the session's share comes from two neighbouring measurements.
    variants = ("request", "baseline") if "variant" in metafunc.fixturenames else (None,)
    params = []
    for size in SIZES if sized else ("no-cookie",):
        for bench_pass in range(passes):
            for impl in IMPLS if bench_pass % 2 == 0 else IMPLS[::-1]:
                for variant in variants:
                    test_id = f"{size}-{impl}" + ("-baseline" if variant == "baseline" else "")
                    test_id += f"-pass{bench_pass + 1}" if passes > 1 else ""
                    values = (size, impl, bench_pass) if sized else (impl, bench_pass)
                    values += (variant,) if variant else ()
                    params.append(pytest.param(*values, id=test_id))
    names = ("size", "impl", "bench_pass") if sized else ("impl", "bench_pass")
    names += ("variant",) if variants != (None,) else ()
    metafunc.parametrize(names, params)


def load_sample(size: str) -> dict:
    """A sample session, read from the package through importlib.resources."""
    path = resources.files("itsdangerous_rs.samples").joinpath(f"{size}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def changed_sessions(size: str) -> list[dict]:
    base = load_sample(size)
    return [dict(base, counter=i) for i in range(1, RING + 1)]


def make_app(impl: str) -> flask.Flask:
    app = flask.Flask(f"bench_{impl}")
    app.secret_key = SECRET
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True  # Flask's default, stated
    app.session_interface = StockInterface() if impl == "stock" else OurInterface()

    @app.get("/counter")
    def counter() -> str:
        flask.session["counter"] = flask.session.get("counter", 0) + 1
        return "ok"

    @app.get("/untouched")
    def untouched() -> str:
        return "ok"

    @app.get("/permanent")
    def permanent() -> str:
        # Reads, changes nothing: a permanent session is re-signed anyway.
        flask.session.get("_user_id")
        return "ok"

    return app


APPS = {impl: make_app(impl) for impl in IMPLS}


def flask_serializer(impl: str):
    app = APPS[impl]
    return app.session_interface.get_signing_serializer(app)


def plain_serializer(impl: str):
    module = itsdangerous if impl == "stock" else itsdangerous_rs
    return module.URLSafeTimedSerializer(SECRET)


def flask_max_age() -> int:
    return int(APPS["stock"].permanent_session_lifetime.total_seconds())


def stock_cookie(data: dict) -> str:
    """The session cookie value stock Flask writes for ``data``."""
    with APPS["stock"].app_context():
        return flask_serializer("stock").dumps(data)


# --- whether "ours" actually took the Rust path -----------------------------
# These look at private attributes of itsdangerous_rs; if those change, the
# answer is None ("unknown") rather than a failure.


def _engine_verdict(engine, dump_obj, token, max_age) -> bool | None:
    if engine is None:
        return False
    now = int(time.time())
    dumped = dump_obj is None or engine.dumps(dump_obj, now) is not NotImplemented
    loaded = token is None or engine.loads(token, max_age, now, False) is not NotImplemented
    return dumped and loaded


def rust_path_flask(dump_obj=None, token=None, max_age=None) -> bool | None:
    try:
        with APPS["ours"].app_context():
            # _rs_engine(None) also makes the per-call app-context check.
            return _engine_verdict(flask_serializer("ours")._rs_engine(None), dump_obj, token, max_age)
    except Exception:
        return None


def rust_path_plain(dump_obj=None, token=None, max_age=None) -> bool | None:
    try:
        return _engine_verdict(plain_serializer("ours")._rs_engine(None), dump_obj, token, max_age)
    except Exception:
        return None


def rust_path_interface(dump_obj=None, token=None, max_age=None) -> bool | None:
    try:
        app = APPS["ours"]
        return _engine_verdict(app.session_interface._engine_for(app), dump_obj, token, max_age)
    except Exception:
        return None


def assert_same_token(ours, stock) -> None:
    """Same bytes from both; tokens carry the second, so allow one tick between."""
    for _ in range(3):
        if ours() == stock():
            return
    raise AssertionError("the two implementations wrote different tokens")


def label(benchmark, case: str, size: str, impl: str, bench_pass: int, rust_path: bool | None = None) -> None:
    benchmark.group = f"{case} {size}"
    benchmark.extra_info.update(case=case, size=size, impl=impl, bench_pass=bench_pass)
    if impl == "ours":
        benchmark.extra_info["rust_path"] = rust_path


# --- (a) Flask-format serializer ----------------------------------------------


def test_flask_dumps(benchmark, size, impl, bench_pass):
    sessions = changed_sessions(size)
    with APPS[impl].app_context():
        serializer = flask_serializer(impl)
        assert_same_token(lambda: serializer.dumps(sessions[0]), lambda: stock_cookie(sessions[0]))
        label(benchmark, "flask_dumps", size, impl, bench_pass, rust_path_flask(dump_obj=sessions[0]) if impl == "ours" else None)
        ring = itertools.cycle(sessions)
        benchmark(lambda: serializer.dumps(next(ring)))


def test_flask_loads(benchmark, size, impl, bench_pass):
    sessions = changed_sessions(size)
    tokens = [stock_cookie(s) for s in sessions]
    max_age = flask_max_age()
    with APPS[impl].app_context():
        serializer = flask_serializer(impl)
        assert serializer.loads(tokens[0], max_age=max_age) == sessions[0]
        label(benchmark, "flask_loads", size, impl, bench_pass,
              rust_path_flask(token=tokens[0], max_age=max_age) if impl == "ours" else None)
        ring = itertools.cycle(tokens)
        benchmark(lambda: serializer.loads(next(ring), max_age=max_age))


# --- (b) plain URLSafeTimedSerializer -----------------------------------------


def test_plain_dumps(benchmark, size, impl, bench_pass):
    sessions = changed_sessions(size)
    serializer = plain_serializer(impl)
    stock = plain_serializer("stock")
    assert_same_token(lambda: serializer.dumps(sessions[0]), lambda: stock.dumps(sessions[0]))
    label(benchmark, "plain_dumps", size, impl, bench_pass, rust_path_plain(dump_obj=sessions[0]) if impl == "ours" else None)
    ring = itertools.cycle(sessions)
    benchmark(lambda: serializer.dumps(next(ring)))


def test_plain_loads(benchmark, size, impl, bench_pass):
    sessions = changed_sessions(size)
    stock = plain_serializer("stock")
    tokens = [stock.dumps(s) for s in sessions]
    serializer = plain_serializer(impl)
    assert serializer.loads(tokens[0], max_age=PLAIN_MAX_AGE) == sessions[0]
    label(benchmark, "plain_loads", size, impl, bench_pass,
          rust_path_plain(token=tokens[0], max_age=PLAIN_MAX_AGE) if impl == "ours" else None)
    ring = itertools.cycle(tokens)
    benchmark(lambda: serializer.loads(next(ring), max_age=PLAIN_MAX_AGE))


# --- (c) and (d): whole requests as raw WSGI calls ----------------------------


def _start_response(status, headers, exc_info=None):
    return None


def wsgi_call(app, environ: dict) -> bytes:
    """One request: a fresh copy of the prepared environ, body consumed, closed."""
    app_iter = app(environ.copy(), _start_response)
    try:
        return b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()


def build_environ(path: str, cookie: str | None) -> dict:
    headers = {
        "Host": "shop.example",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "en-GB,en;q=0.9",
        "Accept-Encoding": "gzip, deflate, br",
    }
    if cookie is not None:
        # A browser sends other cookies too; the session one is not first.
        headers["Cookie"] = f"_ga=GA1.1.1234567890.1710000000; consent=essential; session={cookie}"
    builder = EnvironBuilder(path=path, base_url="https://shop.example/", headers=headers)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def checked_call(app, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    """A first call outside the timer, with warnings as errors (e.g. cookie too big)."""
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app_iter = app(environ.copy(), start_response)
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
    return seen["status"], seen["headers"], body


def set_cookies(headers) -> list[str]:
    return [v for k, v in headers if k.lower() == "set-cookie"]


def session_from_set_cookie(header: str) -> dict:
    value = header.split(";", 1)[0].split("=", 1)[1]
    with APPS["stock"].app_context():
        return flask_serializer("stock").loads(value)


BASELINE_ENVIRON = build_environ("/untouched", None)


def bench_adjacent_baseline(benchmark, case: str, size: str, impl: str, bench_pass: int) -> None:
    """The no-cookie request to the view that ignores the session, timed next to ``case``.

    ``report.py`` subtracts it from that pass's request time: the session's
    share of the request, from two measurements a moment apart.
    """
    label(benchmark, case, size, impl, bench_pass)
    benchmark.extra_info["variant"] = "baseline"
    benchmark(functools.partial(wsgi_call, APPS[impl], BASELINE_ENVIRON))


def test_request_counter(benchmark, size, impl, bench_pass, variant):
    if variant == "baseline":
        return bench_adjacent_baseline(benchmark, "request_counter", size, impl, bench_pass)
    # Each request carries a different session (as a browser sends back the
    # cookie the previous response set), so no cache of recent payloads helps.
    datas = [dict(load_sample(size), counter=k) for k in range(RING)]
    environs = [build_environ("/counter", stock_cookie(data)) for data in datas]
    app = APPS[impl]
    status, headers, _ = checked_call(app, environs[0])
    (header,) = set_cookies(headers)
    assert status == "200 OK" and session_from_set_cookie(header) == dict(datas[0], counter=1)
    label(benchmark, "request_counter", size, impl, bench_pass,
          rust_path_interface(dump_obj=datas[0], token=stock_cookie(datas[0]), max_age=flask_max_age()) if impl == "ours" else None)
    ring = itertools.cycle(environs)
    benchmark(lambda: wsgi_call(app, next(ring)))


def test_request_untouched(benchmark, size, impl, bench_pass, variant):
    if variant == "baseline":
        return bench_adjacent_baseline(benchmark, "request_untouched", size, impl, bench_pass)
    cookie = stock_cookie(dict(load_sample(size), counter=1))
    app, environ = APPS[impl], build_environ("/untouched", cookie)
    status, headers, _ = checked_call(app, environ)
    assert status == "200 OK" and not set_cookies(headers)
    label(benchmark, "request_untouched", size, impl, bench_pass,
          rust_path_interface(token=cookie, max_age=flask_max_age()) if impl == "ours" else None)
    benchmark(functools.partial(wsgi_call, app, environ))


def test_request_baseline(benchmark, impl, bench_pass):
    app, environ = APPS[impl], build_environ("/untouched", None)
    status, headers, _ = checked_call(app, environ)
    assert status == "200 OK" and not set_cookies(headers)
    label(benchmark, "request_baseline", "no-cookie", impl, bench_pass)
    benchmark(functools.partial(wsgi_call, app, environ))


def permanent_session_data(size: str) -> dict:
    # What Flask stores once a view has set ``session.permanent = True``.
    return dict(load_sample(size), _permanent=True)


def test_permanent_dumps(benchmark, size, impl, bench_pass):
    app = APPS[impl]
    cookie = stock_cookie(permanent_session_data(size))
    with app.test_request_context("/permanent", headers={"Cookie": f"session={cookie}"}):
        session = flask.session._get_current_object()
        assert session.permanent and not session.modified
        assert app.session_interface.should_set_cookie(app, session)
        serializer = flask_serializer(impl)
        assert serializer.loads(serializer.dumps(dict(session))) == dict(session)
        label(benchmark, "permanent_dumps", size, impl, bench_pass,
              rust_path_flask(dump_obj=dict(session)) if impl == "ours" else None)
        # What save_session signs: a fresh dict of the unchanged session.
        benchmark(lambda: serializer.dumps(dict(session)))


def test_permanent_request(benchmark, size, impl, bench_pass, variant):
    if variant == "baseline":
        return bench_adjacent_baseline(benchmark, "permanent_request", size, impl, bench_pass)
    data = permanent_session_data(size)
    cookie = stock_cookie(data)
    app, environ = APPS[impl], build_environ("/permanent", cookie)
    status, headers, _ = checked_call(app, environ)
    (header,) = set_cookies(headers)
    assert status == "200 OK" and "Expires=" in header and session_from_set_cookie(header) == data
    label(benchmark, "permanent_request", size, impl, bench_pass,
          rust_path_interface(dump_obj=data, token=cookie, max_age=flask_max_age()) if impl == "ours" else None)
    benchmark(functools.partial(wsgi_call, app, environ))

