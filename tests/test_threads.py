"""Eight threads sharing serializer, signer and Flask interface objects.

Every expected token, value and exception is computed first with stock
itsdangerous/Flask under a frozen clock; the threads then run mixed
dumps/loads/sign/unsign/open_session/save_session on the *same* objects of
ours, with a tiny switch interval so they interleave, and every result is
checked. No errors, no wrong result.
"""

from __future__ import annotations

import hashlib
import random
import sys
import threading
import uuid
from datetime import datetime
from datetime import timezone

import flask
import flask.sessions
import itsdangerous
import pytest
from differential import clock_frozen_at
from differential import outcome
from differential import same_outcome
from markupsafe import Markup

import itsdangerous_rs
import itsdangerous_rs.flask

NOW = 1_700_000_000.25
THREADS = 8
ITERATIONS = 2500  # per thread

PAYLOADS = [
    {"id": 42},
    {"user": "é😀", "n": [1, 2.5, None, True, -0.0, 2**70]},
    {"csrf": "t" * 40, "items": list(range(300))},  # compressed
    ["x" * 2000],  # compressed
    "plain string",
    [float("inf"), 1e-300, {"a": {"b": {"c": []}}}],
    {str(i): i for i in range(60)},
]
SESSIONS = [
    {"a": 1, "b": (1, 2)},
    {"bytes": b"\x00\xff", "m": Markup("<b>x</b>"), "u": uuid.UUID(int=7)},
    {"when": datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc), "items": list(range(200))},
    {"_user_id": "1", "_fresh": True, "csrf_token": "c" * 40},
]


@pytest.fixture(scope="module", autouse=True)
def frozen_clock():
    with clock_frozen_at(NOW):
        yield


def _pairs():
    kwargs = {"signer_kwargs": {"key_derivation": "hmac", "digest_method": hashlib.sha256}}
    names = ["Serializer", "TimedSerializer", "URLSafeSerializer", "URLSafeTimedSerializer"]
    pairs = {n: (getattr(itsdangerous, n)("k", salt="s"), getattr(itsdangerous_rs, n)("k", salt="s")) for n in names}
    pairs["URLSafeTimedSerializer-sha256"] = (
        itsdangerous.URLSafeTimedSerializer(["old", "k"], **kwargs),
        itsdangerous_rs.URLSafeTimedSerializer(["old", "k"], **kwargs),
    )
    return pairs


def _app(interface):
    app = flask.Flask(__name__)
    app.secret_key = "dev"
    app.session_interface = interface
    return app


def _open(app, cookie):
    with app.test_request_context(environ_base={"HTTP_COOKIE": f"session={cookie}"}):
        session = app.session_interface.open_session(app, flask.request._get_current_object())
        return dict(session)


def _save(app, data):
    with app.test_request_context():
        session = app.session_interface.session_class(data)
        session.modified = True
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        return response.headers.getlist("Set-Cookie"), response.headers.get("Vary")


def _saved_token(app, data) -> str:
    return _save(app, data)[0][0].split(";")[0].split("=", 1)[1]


def test_shared_objects_across_threads():
    pairs = _pairs()
    signers = {
        "Signer": (itsdangerous.Signer("k"), itsdangerous_rs.Signer("k")),
        "TimestampSigner": (itsdangerous.TimestampSigner("k"), itsdangerous_rs.TimestampSigner("k")),
    }
    stock_app = _app(flask.sessions.SecureCookieSessionInterface())
    our_app = _app(itsdangerous_rs.flask.SecureCookieSessionInterface())
    encrypted_app = _app(itsdangerous_rs.flask.EncryptedSessionInterface())

    # The objects of ours must really run in Rust, or this tests nothing.
    for _, ours in pairs.values():
        assert ours._rs_engine(None) is not None
    for _, ours in signers.values():
        assert ours._rs_engine(isinstance(ours, itsdangerous.TimestampSigner)) is not None
    assert our_app.session_interface._engine_for(our_app) is not None
    assert encrypted_app.session_interface._codec_for(encrypted_app) is not None

    # Precompute every expectation with stock.
    cases = []  # (label, callable on ours, expected outcome)
    for name, (stock, ours) in pairs.items():
        for obj in PAYLOADS:
            token = stock.dumps(obj)
            bad = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
            cases.append((f"{name}.dumps", lambda o=ours, v=obj: o.dumps(v), ("ok", token)))
            cases.append((f"{name}.loads", lambda o=ours, t=token: o.loads(t), outcome(lambda: stock.loads(token))))
            cases.append((f"{name}.loads-bad", lambda o=ours, t=bad: o.loads(t), outcome(lambda: stock.loads(bad))))
    for name, (stock, ours) in signers.items():
        for value in (b"v", b"a.b.c", "é" * 50):
            token = stock.sign(value)
            cases.append((f"{name}.sign", lambda o=ours, v=value: o.sign(v), ("ok", token)))
            cases.append((f"{name}.unsign", lambda o=ours, t=token: o.unsign(t), outcome(lambda: stock.unsign(token))))
            cases.append((f"{name}.unsign-bad", lambda o=ours, t=token + b"x": o.unsign(t), outcome(lambda: stock.unsign(token + b"x"))))
    for data in SESSIONS:
        header, vary = _save(stock_app, data)
        cookie = header[0].split(";")[0].split("=", 1)[1]
        cases.append(("flask.save", lambda d=data: _save(our_app, d), ("ok", (header, vary))))
        cases.append(("flask.open", lambda c=cookie: _open(our_app, c), outcome(lambda: _open(stock_app, cookie))))
        cases.append(("flask.open-bad", lambda c=cookie[:-2]: _open(our_app, c), ("ok", {})))
        # Encrypted: a fresh IV per cookie, so the check is what it opens to,
        # which is what stock's signed cookie of the same session opens to.
        opened = outcome(lambda: _open(stock_app, cookie))
        token = _saved_token(encrypted_app, data)
        cases.append(("encrypted.open", lambda c=token: _open(encrypted_app, c), opened))
        cases.append(("encrypted.open-bad", lambda c=token[:-2]: _open(encrypted_app, c), ("ok", {})))
        cases.append(("encrypted.save-then-open", lambda d=data: _open(encrypted_app, _saved_token(encrypted_app, d)), opened))
    # Every expectation must also hold single-threaded before we race.
    for label, call, expected in cases:
        assert same_outcome(expected, outcome(call)), label

    errors: list[str] = []
    counts = [0] * THREADS
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        rng = random.Random(index)
        barrier.wait()
        for _ in range(ITERATIONS):
            label, call, expected = rng.choice(cases)
            got = outcome(call)
            if not same_outcome(expected, got):
                errors.append(f"thread {index} {label}: expected {expected!r:.200} got {got!r:.200}")
            counts[index] += 1

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)
    print(f"\nthreads: {THREADS} x {ITERATIONS} = {sum(counts)} checked calls over {len(cases)} cases, {len(errors)} errors")
    assert not errors, errors[:10]
    assert sum(counts) == THREADS * ITERATIONS


def test_engine_cache_churn_across_threads():
    """Many configurations at once: engines are built, cached, evicted concurrently."""
    errors: list[str] = []
    barrier = threading.Barrier(THREADS)
    expected = {salt: itsdangerous.URLSafeSerializer("k", salt=f"salt-{salt}").dumps({"s": salt}) for salt in range(400)}

    def worker(index: int) -> None:
        rng = random.Random(100 + index)
        barrier.wait()
        for _ in range(400):
            salt = rng.randrange(400)
            ours = itsdangerous_rs.URLSafeSerializer("k", salt=f"salt-{salt}")
            token = ours.dumps({"s": salt})
            if token != expected[salt] or ours.loads(token) != {"s": salt}:
                errors.append(f"thread {index} salt {salt}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:10]
