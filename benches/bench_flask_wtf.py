"""Flask-WTF's CSRF tokens, stock itsdangerous against ``itsdangerous_rs.patch()``.

Run from the repository root (see benches/README.md, "Flask-WTF under patch()"):

    python benches/bench_flask_wtf.py [--rounds 41] [--number 2000]

One process, one Flask app, Flask-WTF's own ``generate_csrf`` and
``validate_csrf`` called as an app calls them, inside a real request context
(``app.test_request_context()`` pushed once: ``g``, ``session`` and
``current_app`` are the real proxies). Every round times ``--number`` calls of
each case on both sides: ``patch()`` before the patched side's batch,
``unpatch()`` after it, and the side that goes first alternates between
rounds. The report gives each side's median over rounds and the ratios.

Flask-WTF keeps the signed token in ``g`` for the rest of the request, so
calling ``generate_csrf`` twice in one request costs a dictionary lookup. What
an app pays per form is one ``generate_csrf`` in the request that renders the
form (``g`` is new there) and one ``validate_csrf`` in the request that posts
it; the cases time exactly that work:

* ``form``: ``g.pop("csrf_token")`` (the state a new request starts in), then
  ``generate_csrf()`` and ``validate_csrf(token)``. The session already holds
  the raw token, as it does from the visitor's second page on.
* ``generate`` and ``validate``: the two halves alone.
* ``new_visitor``: ``form`` with the raw token removed from the session first,
  so ``generate_csrf`` also makes one (``sha1(os.urandom(64))``, stock code on
  both sides): a visitor's first form.
* ``serializer``: only the itsdangerous part of ``form``, as Flask-WTF does it:
  two ``URLSafeTimedSerializer(key, salt="wtf-csrf-token")`` (it builds one per
  call), one ``dumps`` of the raw token, one ``loads(max_age=3600)``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from importlib import metadata

import flask
import flask_wtf.csrf
import itsdangerous
from flask_wtf.csrf import generate_csrf
from flask_wtf.csrf import validate_csrf

import itsdangerous_rs

SECRET = "benchmark secret key, 32 bytes.."
FIELD = "csrf_token"
SALT = "wtf-csrf-token"
CASES = ("form", "generate", "validate", "new_visitor", "serializer")


def make_app() -> flask.Flask:
    app = flask.Flask("bench_flask_wtf")
    app.secret_key = SECRET
    return app


def make_loops(number: int):
    g, session = flask.g, flask.session

    def form():
        for _ in range(number):
            g.pop(FIELD, None)
            validate_csrf(generate_csrf())

    def generate():
        for _ in range(number):
            g.pop(FIELD, None)
            generate_csrf()

    def validate():
        token = generate_csrf()
        for _ in range(number):
            validate_csrf(token)

    def new_visitor():
        for _ in range(number):
            g.pop(FIELD, None)
            session.pop(FIELD, None)
            validate_csrf(generate_csrf())

    def serializer():
        raw = session[FIELD]
        for _ in range(number):
            # Looked up on the module at call time, as Flask-WTF's own name is.
            token = flask_wtf.csrf.URLSafeTimedSerializer(SECRET, salt=SALT).dumps(raw)
            flask_wtf.csrf.URLSafeTimedSerializer(SECRET, salt=SALT).loads(token, max_age=3600)

    return {"form": form, "generate": generate, "validate": validate, "new_visitor": new_visitor, "serializer": serializer}


def check_identical() -> None:
    """Under one clock second, patched and stock Flask-WTF give the same token,
    each validates the other's, and patch() really swaps Flask-WTF's class."""
    tokens = {}
    for side in ("stock", "ours"):
        if side == "ours":
            itsdangerous_rs.patch()
        try:
            expected = itsdangerous_rs.URLSafeTimedSerializer if side == "ours" else itsdangerous.URLSafeTimedSerializer
            assert flask_wtf.csrf.URLSafeTimedSerializer is expected, flask_wtf.csrf.URLSafeTimedSerializer
            flask.g.pop(FIELD, None)
            tokens[side] = (int(time.time()), generate_csrf())
        finally:
            itsdangerous_rs.unpatch()
    (stock_second, stock_token), (our_second, our_token) = tokens["stock"], tokens["ours"]
    if stock_second == our_second:
        assert stock_token == our_token, (stock_token, our_token)
    validate_csrf(our_token)
    itsdangerous_rs.patch()
    try:
        validate_csrf(stock_token)
    finally:
        itsdangerous_rs.unpatch()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    app = make_app()
    with app.test_request_context("/form"):
        generate_csrf()  # the raw token every case but new_visitor finds in the session
        check_identical()
        loops = make_loops(args.number)
        times: dict = {(case, side): [] for case in CASES for side in ("stock", "ours")}
        for round_index in range(args.rounds):
            sides = ("stock", "ours") if round_index % 2 == 0 else ("ours", "stock")
            for side in sides:
                if side == "ours":
                    itsdangerous_rs.patch()
                try:
                    for case in CASES:
                        start = time.perf_counter()
                        loops[case]()
                        times[(case, side)].append((time.perf_counter() - start) / args.number * 1e6)
                finally:
                    itsdangerous_rs.unpatch()
                if FIELD not in flask.session:  # new_visitor ran last; the next round's cases need one
                    flask.g.pop(FIELD, None)
                    generate_csrf()

    versions = {d: metadata.version(d) for d in ("flask", "flask-wtf", "itsdangerous", "itsdangerous-rs")}
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"Python {platform.python_version()}, {versions}, rounds={args.rounds}, number={args.number}, load average at the end {load}")
    for label, pick in (("median", statistics.median), ("fastest round", min)):
        print(f"\n{label} microseconds per call")
        print(f"{'case':12} {'stock':>8} {'patched':>8} {'ratio':>7}")
        for case in CASES:
            stock, ours = pick(times[(case, "stock")]), pick(times[(case, "ours")])
            print(f"{case:12} {stock:8.2f} {ours:8.2f} {stock / ours:6.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
