"""The Python-level cost of each part of one encrypted small-session call.

    python benches/fernet_parts.py

Medians of 15 rounds of 5000 calls each, the parts interleaved within a round.
Recorded in benches/README.md (Fernet and encrypted sessions).
"""

import json
import statistics
import time
import timeit
from importlib import resources

import flask

from itsdangerous_rs import _core
from itsdangerous_rs.flask import EncryptedSessionInterface

app = flask.Flask("x")
app.secret_key = "k"
interface = EncryptedSessionInterface()
small = json.loads(resources.files("itsdangerous_rs.samples").joinpath("small.json").read_text())
with app.app_context():
    plan = interface._decide(app)
    keys = plan.codec  # what the session plan encrypts with
    token = keys.session_dumps(small, time.time())
    plain = _core.json_dumps(small, True, True, True, True)
    cases = {
        "session_dumps small (one Rust call)": lambda: keys.session_dumps(small, time.time()),
        "session_loads small (one Rust call)": lambda: keys.session_loads(token, 3600, time.time()),
        "  encrypt of its JSON bytes only": lambda: keys.encrypt(plain, 1.0),
        "  decrypt only (bytes out)": lambda: keys.decrypt(token, 3600, time.time()),
        "  tagged JSON dumps only (_core.json_dumps)": lambda: _core.json_dumps(small, True, True, True, True),
        "  tagged JSON loads only (_core.json_loads)": lambda: _core.json_loads(plain, True),
        "  Python->Rust call, returns at once": lambda: keys.decrypt(b"", None, 0.0),
        "  time.time()": time.time,
        "the plan's check that its decision still holds (per open and save)": lambda: plan.is_current(interface, app),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(15):
        for name, call in cases.items():
            samples[name].append(timeit.timeit(call, number=5000) / 5000 * 1e9)
    print(f"small sample: {len(plain)} bytes of tagged JSON, token {len(token)} chars")
    for name, values in samples.items():
        print(f"{name:<75} {statistics.median(values):8.0f} ns")
