"""What a rejected token costs, ours against stock: Python->Rust crossings,
Python frames and time (interleaved medians).

Cases: a tampered ``URLSafeTimedSerializer`` token through ``loads`` and a
tampered Flask session cookie through ``open_session``. Run from the
repository root: ``python scripts/rejection_cost.py``.
"""

from __future__ import annotations

import statistics
import sys
import time

import flask
import flask.sessions
import itsdangerous
from itsdangerous.exc import BadSignature

import itsdangerous_rs
import itsdangerous_rs.flask

SECRET = "a-long-and-random-secret-key"
SESSION = {"_user_id": "42", "_fresh": True, "csrf_token": "ab" * 20, "_id": "cd" * 64}


def tampered(token: str) -> str:
    return token[:-2] + ("AA" if token[-2:] != "AA" else "BB")


def rust_callable(fn: object) -> bool:
    """A function of the extension, or a C-level method of one of our classes."""
    owner = getattr(fn, "__self__", None)
    return (getattr(fn, "__module__", None) or "").startswith("itsdangerous_rs._core") or (
        owner is not None and type(owner).__module__.startswith("itsdangerous_rs")
    )


def count(call) -> tuple[int, int]:
    """(crossings into Rust, Python frames) of one call."""
    crossings = frames = 0

    def profile(frame, event, arg):
        nonlocal crossings, frames
        if event == "call":
            frames += 1
        elif event == "c_call" and rust_callable(arg):
            crossings += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return crossings, frames


def token_case(module):
    serializer = module.URLSafeTimedSerializer(SECRET)
    bad = tampered(itsdangerous.URLSafeTimedSerializer(SECRET).dumps(SESSION))

    def call():
        try:
            serializer.loads(bad, max_age=3600)
        except BadSignature:
            return
        raise AssertionError("accepted a tampered token")

    return call


def cookie_case(interface_class):
    app = flask.Flask(f"rejection_{interface_class.__module__}")
    app.secret_key = SECRET
    app.session_interface = interface_class()
    with app.app_context():
        cookie = flask.sessions.SecureCookieSessionInterface().get_signing_serializer(app).dumps(SESSION)
    environ = app.test_request_context(headers={"Cookie": f"a=1; session={tampered(cookie)}"}).request.environ
    context = app.app_context()
    context.push()  # open_session runs inside one, as Flask calls it

    def call():
        session = app.session_interface.open_session(app, app.request_class(environ))
        assert not session

    return call


def timed(call, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number * 1e6


def main() -> None:
    cases = {
        ("token", "stock"): token_case(itsdangerous),
        ("token", "ours"): token_case(itsdangerous_rs),
        ("cookie", "stock"): cookie_case(flask.sessions.SecureCookieSessionInterface),
        ("cookie", "ours"): cookie_case(itsdangerous_rs.flask.SecureCookieSessionInterface),
    }
    for key, call in cases.items():
        call()  # warm: engines and plans built
        crossings, frames = count(call)
        print(f"{key[0]:6} {key[1]:5}: {crossings} crossings into Rust, {frames} Python frames")
    times: dict[tuple[str, str], list[float]] = {key: [] for key in cases}
    for round_ in range(21):
        for key in list(cases) if round_ % 2 else list(cases)[::-1]:
            times[key].append(timed(cases[key], 2000))
    for what in ("token", "cookie"):
        stock = statistics.median(times[(what, "stock")])
        ours = statistics.median(times[(what, "ours")])
        print(f"{what:6}: stock {stock:.2f} µs, ours {ours:.2f} µs, ours/stock {ours / stock:.2f}")


if __name__ == "__main__":
    main()
