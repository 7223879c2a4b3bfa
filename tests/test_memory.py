"""No leaks: RSS after warm-up stays flat over 300,000 cycles.

RSS comes from /proc/self/statm. A leak of even 17 bytes per cycle would add
5 MB over 300,000 cycles, which is the bound. To keep a noisy machine (other
processes, allocator arenas settling) from failing a correct build, a run
over the bound is repeated once and only a second excess fails.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import zlib

import flask
import itsdangerous
import pytest
from itsdangerous.encoding import base64_encode

import itsdangerous_rs
import itsdangerous_rs.flask

CYCLES = int(os.environ.get("ITSDANGEROUS_RS_MEMORY_CYCLES", "300000"))
BOUND = 5 * 1024 * 1024

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def growth(run, cycles: int) -> int:
    run(min(20_000, cycles))  # warm-up: caches, engines, free lists, arenas
    gc.collect()
    before = rss()
    run(cycles)
    gc.collect()
    return rss() - before


def check(run, label: str) -> None:
    start = time.perf_counter()
    grew = growth(run, CYCLES)
    if grew >= BOUND:  # once more: a leak grows again, allocator noise does not
        grew = growth(run, CYCLES)
    print(f"\n{label}: {CYCLES} cycles, RSS grew {grew / 1024:.0f} KiB in {time.perf_counter() - start:.1f} s")
    assert grew < BOUND, f"{label}: RSS grew {grew} bytes over {CYCLES} cycles"


PAYLOADS = [
    {"id": 42},
    {"user": "é😀", "n": [1, 2.5, None, True, 2**70]},
    {"csrf": "t" * 40, "items": list(range(200))},  # compressed
    "x" * 1000,
]


def test_dumps_loads_cycles_do_not_leak():
    timed = itsdangerous_rs.URLSafeTimedSerializer("secret")
    plain = itsdangerous_rs.Serializer("secret")
    signer = itsdangerous_rs.TimestampSigner("secret")
    app = flask.Flask(__name__)
    app.secret_key = "dev"
    interface = itsdangerous_rs.flask.SecureCookieSessionInterface()
    session = {"a": 1, "b": (1, 2), "c": b"\x00\xff", "d": ["x"] * 20}

    def run(n: int) -> None:
        with app.app_context():
            flask_serializer = interface.get_signing_serializer(app)
            for i in range(n):
                obj = PAYLOADS[i % 4]
                assert timed.loads(timed.dumps(obj), max_age=60) == obj
                if i % 4 == 0:
                    assert plain.loads(plain.dumps(obj)) == obj
                    assert signer.unsign(signer.sign(b"value"), max_age=60) == b"value"
                    assert flask_serializer.loads(flask_serializer.dumps(session)) == session

    check(run, "dumps+loads")


def test_rejected_tokens_do_not_leak():
    serializer = itsdangerous_rs.URLSafeTimedSerializer("secret")
    signer = serializer.make_signer()
    good = serializer.dumps({"id": 42})
    rejected = [
        good[:-2] + "AA",  # bad signature
        good + ".x",  # bad signature, extra separator
        "no-separator",
        "é" * 30,
        signer.sign(b"eyJpZCI6NDJ9").decode()[:-1],
        signer.sign(base64_encode(b"{not json")).decode(),  # bad payload
        signer.sign(b"." + base64_encode(b"not zlib")).decode(),
        # over the 16 MiB cap: inflated up to the cap, then refused
    ]
    bomb = signer.sign(b"." + base64_encode(zlib.compress(b"\x00" * (17 << 20), 9))).decode()
    flask_app = flask.Flask(__name__)
    flask_app.secret_key = "dev"
    flask_app.session_interface = itsdangerous_rs.flask.SecureCookieSessionInterface()

    plain = itsdangerous_rs.Signer("secret")
    timestamp_signer = itsdangerous_rs.TimestampSigner("secret")
    bad_signed = [
        plain.sign(b"value")[:-2] + b"AA",
        timestamp_signer.sign(b"value")[:-1],
        b"value",
        "é.é".encode(),
    ]

    def run(n: int) -> None:
        for i in range(n):
            try:
                # A quarter through the serializer (its fallback to stock costs
                # ~100 us a token), the rest through the signers.
                if i % 4 == 0:
                    serializer.loads(rejected[i // 4 % len(rejected)], max_age=60)
                elif i % 2:
                    plain.unsign(bad_signed[i // 2 % len(bad_signed)])
                else:
                    timestamp_signer.unsign(bad_signed[i // 4 % len(bad_signed)], max_age=60)
            except itsdangerous.BadData:
                pass
            else:
                raise AssertionError(i)
            if i % 50_000 == 0:
                with pytest.raises(itsdangerous.BadPayload):
                    serializer.loads(bomb)
            if i % 50 == 0:
                with flask_app.test_request_context(environ_base={"HTTP_COOKIE": "session=" + rejected[i % 5]}):
                    sess = flask_app.session_interface.open_session(flask_app, flask.request._get_current_object())
                    assert not sess

    check(run, "rejected tokens")


def test_c_level_methods_release_references_at_once():
    """A loop of nothing but the C-level dumps/loads (methods.rs), with no other
    PyO3 call in between: an object the engine drops must be released then and
    there. PyO3 defers a release it cannot see the thread attached for, to a
    pool only a PyO3 entry point empties, so such a loop once kept one more
    reference to NotImplemented per call (and 8 bytes of pool) for good."""
    timed = itsdangerous_rs.URLSafeTimedSerializer("secret")
    app = flask.Flask(__name__)
    app.secret_key = "dev"
    interface = itsdangerous_rs.flask.SecureCookieSessionInterface()
    token = timed.dumps({"id": 42})
    with app.app_context():
        flask_serializer = interface.get_signing_serializer(app)
        cookie = flask_serializer.dumps({"id": 42})
        for _ in range(100):  # warm-up: engines built, memos filled
            timed.loads(token)
            flask_serializer.loads(cookie)
        before = sys.getrefcount(NotImplemented)
        for _ in range(20_000):
            timed.loads(token)
            timed.dumps({"id": 42})
            flask_serializer.loads(cookie)
            flask_serializer.dumps({"id": 42})
        grew = sys.getrefcount(NotImplemented) - before
    assert grew < 100, f"NotImplemented gained {grew} references over 80,000 calls"
