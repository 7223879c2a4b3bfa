"""Fernet and the encrypted Flask session against the alternatives, interleaved.

    python benches/bench_fernet.py [--rounds 31] [--calls 2000]

Every case is a pair (or triple) of callables timed in the same process: each
round times every side once (``calls`` calls, per-call mean), the order of the
sides alternating round by round; the report gives each side's median over
the rounds and the ratio of the medians. Not collected by pytest (no
``test_`` prefix); the method and a recorded run are in benches/README.md.

Payloads: the shipped samples in ``itsdangerous_rs/samples`` (small, medium,
large session dicts), each changed in a ``counter`` key over a ring of 256
copies as a request would change it; 64 random bytes for raw Fernet.

Sides:

* ``cryptography``: the installed ``cryptography.fernet`` (Rust since 45).
* ``python-fernet``: Fernet written in Python over cryptography's hazmat
  primitives (HMAC, AES-CBC, PKCS7, base64), as cryptography's own Fernet
  was up to 44; the case the issue's 12-16 us anchor describes.
* ``python-interface``: what apps write today for an encrypted session:
  cryptography's Fernet plus Flask's ``TaggedJSONSerializer`` (in an app
  context, as a ``SessionInterface`` runs): ``fernet.encrypt(s.dumps(d).encode())``
  and ``s.loads(fernet.decrypt(token, ttl).decode())``.
* ``ours-encrypted``: the call ``EncryptedSessionInterface``'s session plan
  makes for the session's value (``FernetKeys.session_dumps``/``session_loads``
  on the keys the plan holds).
* ``ours-signed``: the same for our signed interface (the plan's engine
  ``dumps``/``loads``).
* requests: a raw WSGI call ``app(environ, start_response)`` to a view that
  increments a counter in a session holding the small sample; stock Flask's
  signed interface against ours encrypted, 256 different cookies in a ring.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import itertools
import json
import os
import statistics
import sys
import time
from hashlib import sha256
from importlib import resources

import flask
from cryptography.fernet import Fernet as CryptographyFernet
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface as StockInterface
from werkzeug.test import EnvironBuilder

from itsdangerous_rs.fernet import Fernet as OurFernet
from itsdangerous_rs.flask import EncryptedSessionInterface
from itsdangerous_rs.flask import SecureCookieSessionInterface as OurSignedInterface
from test_bench import wsgi_call  # python puts this script's folder, benches/, on sys.path

SECRET = "benchmark secret key, 32 bytes.."
RING = 256


class PythonFernet:
    """Fernet in Python over hazmat primitives (the pre-45 design), for comparison."""

    def __init__(self, key: bytes) -> None:
        raw = base64.urlsafe_b64decode(key)
        self.signing_key, self.encryption_key = raw[:16], raw[16:]

    def encrypt(self, data: bytes) -> bytes:
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        padded = padder.update(data) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.encryption_key), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padded) + encryptor.finalize()
        body = b"\x80" + int(time.time()).to_bytes(8, "big") + iv + ciphertext
        return base64.urlsafe_b64encode(body + hmac.new(self.signing_key, body, sha256).digest())

    def decrypt(self, token: bytes, ttl: int | None = None) -> bytes:
        data = base64.urlsafe_b64decode(token)
        timestamp = int.from_bytes(data[1:9], "big")
        if ttl is not None and timestamp + ttl < int(time.time()):
            raise ValueError("expired")
        if not hmac.compare_digest(hmac.new(self.signing_key, data[:-32], sha256).digest(), data[-32:]):
            raise ValueError("bad tag")
        decryptor = Cipher(algorithms.AES(self.encryption_key), modes.CBC(data[9:25])).decryptor()
        padded = decryptor.update(data[25:-32]) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()


def load_sample(size: str) -> dict:
    path = resources.files("itsdangerous_rs.samples").joinpath(f"{size}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def ring_of(size: str) -> list[dict]:
    base = load_sample(size)
    return [dict(base, counter=i) for i in range(RING)]


def timed(fn, calls: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls


def run_case(sides: dict, rounds: int, calls: int) -> dict[str, float]:
    """Median per-call ns of each side, sides interleaved and order alternating."""
    names = list(sides)
    for name in names:  # warm up
        timed(sides[name], calls // 4 + 1)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names if i % 2 == 0 else reversed(names):
            samples[name].append(timed(sides[name], calls))
    return {name: statistics.median(values) for name, values in samples.items()}


def session_app(interface) -> flask.Flask:
    app = flask.Flask("bench_fernet")
    app.secret_key = SECRET
    app.session_interface = interface

    @app.get("/counter")
    def counter() -> str:
        flask.session["counter"] = flask.session.get("counter", 0) + 1
        return "ok"

    @app.get("/seed")
    def seed() -> str:
        flask.session.update(load_sample("small"))
        flask.session["counter"] = int(flask.request.args["n"])
        return "ok"

    return app


def environ_for(cookie: str) -> dict:
    headers = {
        "Host": "shop.example",
        "Accept": "text/html",
        "Cookie": f"_ga=GA1.1.1234567890.1710000000; consent=essential; session={cookie}",
    }
    builder = EnvironBuilder(path="/counter", base_url="https://shop.example/", headers=headers)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def request_ring(app) -> itertools.cycle:
    client = app.test_client()
    environs = []
    for n in range(RING):
        client.get(f"/seed?n={n}")
        environs.append(environ_for(client.get_cookie("session").value))
    return itertools.cycle(environs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    rounds, calls = args.rounds, args.calls
    results: list[tuple[str, dict[str, float], str, str]] = []

    def case(name: str, sides: dict, reference: str, ours: str, n: int = calls) -> None:
        medians = run_case(sides, rounds, n)
        results.append((name, medians, reference, ours))
        cells = ", ".join(f"{side} {ns / 1000:.3f} us" for side, ns in medians.items())
        print(f"{name:<34} {cells}; {reference}/{ours} = {medians[reference] / medians[ours]:.2f}x", flush=True)

    key = CryptographyFernet.generate_key()
    theirs, ours, python = CryptographyFernet(key), OurFernet(key), PythonFernet(key)
    data = os.urandom(64)
    token = theirs.encrypt(data)
    assert ours.decrypt(token) == python.decrypt(token) == data
    case("fernet encrypt 64 B", {"cryptography": lambda: theirs.encrypt(data), "python-fernet": lambda: python.encrypt(data),
                                  "ours": lambda: ours.encrypt(data)}, "cryptography", "ours")
    case("fernet decrypt 64 B", {"cryptography": lambda: theirs.decrypt(token), "python-fernet": lambda: python.decrypt(token),
                                  "ours": lambda: ours.decrypt(token)}, "cryptography", "ours")
    case("fernet decrypt 64 B, ttl", {"cryptography": lambda: theirs.decrypt(token, 3600),
                                       "python-fernet": lambda: python.decrypt(token, 3600),
                                       "ours": lambda: ours.decrypt(token, 3600)}, "cryptography", "ours")

    # Session dumps/loads: ours as EncryptedSessionInterface runs it, the
    # Python interface as apps write it, our signed interface as it runs.
    encrypted = EncryptedSessionInterface()
    signed = OurSignedInterface()
    app = session_app(encrypted)
    python_serializer = TaggedJSONSerializer()
    with app.app_context():
        fernet_key = encrypted.fernet_keys(app)[0]
        app_fernet = CryptographyFernet(fernet_key)
        ttl = int(app.permanent_session_lifetime.total_seconds())
        # The codecs the two interfaces' plans hold for this app.
        keys = encrypted._decide(app).codec
        signed_engine = signed._decide(app).codec
        assert keys is not None and signed_engine is not None, "the plans would run the Python steps"

        def ours_dumps(session: dict) -> str:
            return keys.session_dumps(session, time.time())

        def ours_loads(value: str) -> dict:
            return keys.session_loads(value, ttl, time.time())

        def signed_dumps(session: dict) -> str:
            return signed_engine.dumps(session, time.time())

        def signed_loads(value: str) -> dict:
            return signed_engine.loads(value, ttl, time.time())

        for size in ("small", "medium", "large"):
            sessions = ring_of(size)
            tokens = [ours_dumps(s) for s in sessions]
            assert python_serializer.loads(app_fernet.decrypt(tokens[3]).decode()) == sessions[3] == ours_loads(tokens[3])
            assert app_fernet.decrypt(tokens[5]) == python_serializer.dumps(sessions[5]).encode()
            it1, it2 = itertools.cycle(sessions), itertools.cycle(sessions)
            case(f"session dumps {size}", {
                "python-interface": lambda: app_fernet.encrypt(python_serializer.dumps(next(it1)).encode("utf-8")),
                "ours-encrypted": lambda: ours_dumps(next(it2)),
            }, "python-interface", "ours-encrypted")
            t1, t2 = itertools.cycle(tokens), itertools.cycle(tokens)
            case(f"session loads {size}", {
                "python-interface": lambda: python_serializer.loads(app_fernet.decrypt(next(t1), ttl).decode("utf-8")),
                "ours-encrypted": lambda: ours_loads(next(t2)),
            }, "python-interface", "ours-encrypted")

        small = ring_of("small")
        signed_tokens = [signed_engine.dumps(s, time.time()) for s in small]
        encrypted_tokens = [ours_dumps(s) for s in small]
        assert signed_loads(signed_tokens[1]) == small[1]
        s1, s2 = itertools.cycle(small), itertools.cycle(small)
        case("small dumps: signed vs encrypted", {"ours-signed": lambda: signed_dumps(next(s1)),
                                                   "ours-encrypted": lambda: ours_dumps(next(s2))},
             "ours-signed", "ours-encrypted")
        st, et = itertools.cycle(signed_tokens), itertools.cycle(encrypted_tokens)
        case("small loads: signed vs encrypted", {"ours-signed": lambda: signed_loads(next(st)),
                                                   "ours-encrypted": lambda: ours_loads(next(et))},
             "ours-signed", "ours-encrypted")

    stock_app = session_app(StockInterface())
    encrypted_app = session_app(EncryptedSessionInterface())
    signed_app = session_app(OurSignedInterface())
    stock_ring, encrypted_ring, signed_ring = request_ring(stock_app), request_ring(encrypted_app), request_ring(signed_app)
    assert "." not in next(encrypted_ring)["HTTP_COOKIE"].split("session=")[1]
    case("request: counter, small session", {
        "stock-signed": lambda: wsgi_call(stock_app, next(stock_ring)),
        "ours-signed": lambda: wsgi_call(signed_app, next(signed_ring)),
        "ours-encrypted": lambda: wsgi_call(encrypted_app, next(encrypted_ring)),
    }, "stock-signed", "ours-encrypted", n=max(calls // 10, 50))

    print()
    print(f"Python {sys.version.split()[0]}, cryptography {__import__('cryptography').__version__}, "
          f"{rounds} rounds, {calls} calls per side per round (requests: {max(calls // 10, 50)})")
    print("| case | " + " | ".join(["medians (us)", "ratio"]) + " |")
    print("|---|---|---|")
    for name, medians, reference, ours_name in results:
        cells = ", ".join(f"{side} {ns / 1000:.3f}" for side, ns in medians.items())
        print(f"| {name} | {cells} | {reference} / {ours_name} = {medians[reference] / medians[ours_name]:.2f}x |")


if __name__ == "__main__":
    main()
