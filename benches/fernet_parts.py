"""The Python-level cost of each part of one encrypted small-session call.

    python benches/fernet_parts.py

Medians of 15 rounds of 5000 calls each, the parts interleaved within a round.
Recorded in benches/README.md (Fernet and encrypted sessions).
"""

import time, json, timeit, statistics
from importlib import resources
import flask
from itsdangerous_rs import _core
from itsdangerous_rs.flask import EncryptedSessionInterface, _context_allows
app = flask.Flask("x"); app.secret_key = "k"
enc = EncryptedSessionInterface()
small = json.loads(resources.files("itsdangerous_rs.samples").joinpath("small.json").read_text())
with app.app_context():
    keys = enc._keys(app); ser = enc.serializer
    tok = keys.session_dumps(small, time.time())
    js = _core.json_dumps(small, True, True, True, True)
    plain = js if isinstance(js, bytes) else js.encode()
    cases = {
        "session_dumps small (one Rust call)": lambda: keys.session_dumps(small, time.time()),
        "session_loads small (one Rust call)": lambda: keys.session_loads(tok, 3600, time.time()),
        "  encrypt of its JSON bytes only": lambda: keys.encrypt(plain, 1.0),
        "  decrypt only (bytes out)": lambda: keys.decrypt(tok, 3600, time.time()),
        "  tagged JSON dumps only (_core.json_dumps)": lambda: _core.json_dumps(small, True, True, True, True),
        "  tagged JSON loads only (_core.json_loads)": lambda: _core.json_loads(plain, True),
        "  Python->Rust call, returns at once": lambda: keys.decrypt(b"", None, 0.0),
        "  app-context check (_context_allows)": lambda: _context_allows(ser),
        "  _keys(app)": lambda: enc._keys(app),
        "  time.time()": time.time,
        "  interface lines around the call (_keys + _context_allows + time.time)": lambda: (enc._keys(app), _context_allows(ser), time.time()),
    }
    samples = {k: [] for k in cases}
    for r in range(15):
        for k, f in cases.items():
            samples[k].append(timeit.timeit(f, number=5000) / 5000 * 1e9)
    print(f"small sample: {len(plain)} bytes of tagged JSON, token {len(tok)} chars")
    for k, v in samples.items():
        print(f"{k:<75} {statistics.median(v):8.0f} ns")
