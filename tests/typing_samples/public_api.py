"""The public API as a type checker sees it: the same types stock itsdangerous gives.

tests/test_typing.py runs ``mypy --strict`` over this file, and runs it too
(``assert_type`` is a no-op at runtime; the subscripted classes are not).
"""

from __future__ import annotations

import pickle
from datetime import datetime
from typing import Any

import flask
import itsdangerous
from typing_extensions import assert_type

import itsdangerous_rs
from itsdangerous_rs import Serializer
from itsdangerous_rs import Signer
from itsdangerous_rs import TimedSerializer
from itsdangerous_rs import TimestampSigner
from itsdangerous_rs import URLSafeSerializer
from itsdangerous_rs import URLSafeTimedSerializer
from itsdangerous_rs.encoding import bytes_to_int
from itsdangerous_rs.encoding import int_to_bytes
from itsdangerous_rs.exc import BadSignature
from itsdangerous_rs.flask import SecureCookieSessionInterface
from itsdangerous_rs.flask import SessionSerializer
from itsdangerous_rs.signer import HMACAlgorithm
from itsdangerous_rs.signer import SigningAlgorithm
from itsdangerous_rs.timed import TimestampSigner as TimedModuleSigner
from itsdangerous_rs.url_safe import URLSafeSerializerMixin

assert_type(itsdangerous_rs.__version__, str)

# Serializers are generic, as stock's are.
text = Serializer("k")
assert_type(text, Serializer[str])
assert_type(text.dumps({"a": 1}), str)
assert_type(text.loads(text.dumps(1)), Any)
binary = Serializer("k", serializer=pickle)
assert_type(binary, Serializer[bytes])
assert_type(binary.dumps(1), bytes)
as_stock: itsdangerous.Serializer[str] = text
alias = Serializer[str]
assert_type(alias("k").dumps(1), str)

# Stock's TimedSerializer("k") is a TimedSerializer[str | bytes] (its
# constructor's self types name Serializer); ours is the same.
timed = TimedSerializer("k", salt="s")
assert_type(timed, TimedSerializer[str | bytes])
assert_type(timed.dumps(1), str | bytes)
assert_type(TimedSerializer[str]("k").dumps(1), str)
assert_type(timed.loads(timed.dumps(1), max_age=10), Any)

url_safe = URLSafeSerializer("k")
assert_type(url_safe.dumps([1, 2]), str)
assert_type(url_safe.loads(url_safe.dumps([1, 2])), Any)

ust = URLSafeTimedSerializer("k")
assert_type(ust.dumps(1), str)
assert_type(ust.loads(ust.dumps(1), max_age=3600), Any)
assert_type(ust.loads(ust.dumps(1), max_age=3600, return_timestamp=True), Any)
assert_type(ust.loads_unsafe(ust.dumps(1)), tuple[bool, Any])
assert_type(ust.make_signer(), itsdangerous.Signer)
stock_ust: itsdangerous.URLSafeTimedSerializer = ust
mixin: URLSafeSerializerMixin = ust

# Signers.
signer = Signer("k", salt="s", algorithm=HMACAlgorithm())
assert_type(signer.sign("v"), bytes)
assert_type(signer.unsign(signer.sign("v")), bytes)
assert_type(signer.validate(b"v.x"), bool)
assert_type(signer.algorithm, SigningAlgorithm)

ts = TimestampSigner(["old", "new"])
token = ts.sign(b"v")
assert_type(token, bytes)
assert_type(ts.unsign(token), bytes)
assert_type(ts.unsign(token, max_age=10), bytes)
assert_type(ts.unsign(token, return_timestamp=True), tuple[bytes, datetime])
assert_type(TimedModuleSigner("k").sign("v"), bytes)

# Submodules and exceptions.
assert_type(int_to_bytes(1_700_000_000), bytes)
assert_type(bytes_to_int(b"\x01"), int)
try:
    signer.unsign(b"v.bad")
except BadSignature as e:
    assert_type(e.payload, Any | None)

# Flask.
app = flask.Flask(__name__)
app.secret_key = "k"
interface = SecureCookieSessionInterface()
app.session_interface = interface
with app.app_context():
    session_serializer = interface.get_signing_serializer(app)
    assert_type(session_serializer, SessionSerializer | None)
    assert session_serializer is not None
    assert_type(session_serializer.dumps({"a": 1}), str)
    assert_type(session_serializer.loads(session_serializer.dumps({"a": 1}), max_age=60), Any)
assert_type(interface.max_decompressed_size, int)
