"""A token the engine rejects: stock's exception, with the HMAC checked once.

The engine checks the signature; the exception is then rebuilt from the
token's text (``_engine.rejection``) without stock's ``unsign`` running again.
Each case compares class, message, ``payload``, ``date_signed`` and the
chained cause with stock, and counts stock HMAC computations.
"""

from __future__ import annotations

import time

import flask
import itsdangerous
import pytest
from itsdangerous.encoding import base64_encode
from itsdangerous.encoding import int_to_bytes
from itsdangerous.signer import HMACAlgorithm

import itsdangerous_rs
from itsdangerous_rs.flask import SecureCookieSessionInterface

NOW = 1_700_000_000
DATA = {"user": 42, "name": "é"}


@pytest.fixture()
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW + 0.25)


@pytest.fixture()
def stock_hmacs(monkeypatch):
    """Counts stock HMAC computations (``HMACAlgorithm.get_signature``)."""
    calls = [0]
    original = HMACAlgorithm.get_signature

    def counted(self, key, value):
        calls[0] += 1
        return original(self, key, value)

    monkeypatch.setattr(HMACAlgorithm, "get_signature", counted)
    return calls


def failure(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - comparing every kind of failure
        cause = e.__cause__
        return (
            type(e),
            str(e),
            getattr(e, "payload", None),
            getattr(e, "date_signed", None),
            type(cause),
            str(cause) if cause else None,
            e.__suppress_context__,
        )
    raise AssertionError("no exception")


def timestamp(ts: int) -> bytes:
    return base64_encode(int_to_bytes(ts))


def timed_tokens() -> dict[str, str]:
    """Tokens for a URLSafeTimedSerializer("secret"): each way of failing."""
    good = itsdangerous.URLSafeTimedSerializer("secret").dumps(DATA)
    payload, _, sig = good.split(".")
    signer = itsdangerous.Signer("secret", salt="itsdangerous")
    big = timestamp(2**60).decode()
    NINE_BYTES = base64_encode(bytes(range(1, 10))).decode()  # noqa: N806
    return {
        "tampered signature": good[:-2] + ("AA" if good[-2:] != "AA" else "BB"),
        "tampered payload": "x" + good,
        "no separator": "nodots",
        "one separator, bad": "abc.def",
        "bad signature, timestamp too large for a datetime": f"{payload}.{big}.{sig}",
        "bad signature, timestamp not base64": f"{payload}.!!.{sig}",
        "bad signature, timestamp over 8 bytes": f"{payload}.{NINE_BYTES}.{sig}",
        "expired": _signed_at(payload, NOW - 7200),
        "from the future": _signed_at(payload, NOW + 50),
        "signed, no timestamp": signer.sign(payload.encode()).decode(),
        "signed, malformed timestamp": signer.sign(f"{payload}.!!".encode()).decode(),
    }


def _signed_at(payload: str, ts: int) -> str:
    signer = itsdangerous.Signer("secret", salt="itsdangerous")
    return signer.sign(f"{payload}.{timestamp(ts).decode()}".encode()).decode()


@pytest.mark.parametrize("case", list(timed_tokens()))
def test_timed_serializer_rejection_is_stocks(frozen_clock, stock_hmacs, case):
    token = timed_tokens()[case]
    want = failure(lambda: itsdangerous.URLSafeTimedSerializer("secret").loads(token, max_age=3600))
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    ours.dumps(DATA)  # prepares the engine
    stock_hmacs[0] = 0
    assert failure(lambda: ours.loads(token, max_age=3600)) == want
    # Through the Python method too (not the C-level one).
    assert failure(lambda: ours._loads_python(token, 3600)) == want
    assert stock_hmacs[0] == 0


@pytest.mark.parametrize("case", list(timed_tokens()))
def test_timestamp_signer_rejection_is_stocks(frozen_clock, stock_hmacs, case):
    token = timed_tokens()[case]
    for return_timestamp in (False, True):
        want = failure(
            lambda: itsdangerous.TimestampSigner("secret", salt="itsdangerous").unsign(token, 3600, return_timestamp)
        )
        ours = itsdangerous_rs.TimestampSigner("secret", salt="itsdangerous")
        stock_hmacs[0] = 0
        assert failure(lambda: ours.unsign(token, 3600, return_timestamp)) == want
        assert stock_hmacs[0] == 0


@pytest.mark.parametrize("token", ["abc", "abc.def", "abc.def.ghi", "a.b.AAAA"])
def test_plain_signer_and_serializer_rejection_is_stocks(stock_hmacs, token):
    want = failure(lambda: itsdangerous.Signer("secret").unsign(token))
    stock_hmacs[0] = 0
    assert failure(lambda: itsdangerous_rs.Signer("secret").unsign(token)) == want
    want = failure(lambda: itsdangerous.URLSafeSerializer("secret").loads(token))
    stock_hmacs[0] = 0
    assert failure(lambda: itsdangerous_rs.URLSafeSerializer("secret").loads(token)) == want
    assert stock_hmacs[0] == 0


def test_loads_unsafe_reads_the_rejected_payload():
    token = itsdangerous.URLSafeSerializer("other").dumps(DATA)
    assert itsdangerous_rs.URLSafeSerializer("secret").loads_unsafe(token) == (False, DATA)


def test_fallback_signers_are_still_tried():
    token = itsdangerous.URLSafeTimedSerializer("secret", signer_kwargs={"digest_method": __import__("hashlib").sha256}).dumps(DATA)
    fallback = [{"digest_method": __import__("hashlib").sha256}]
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret", fallback_signers=fallback)
    assert ours.loads(token) == DATA
    bad = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    stock = itsdangerous.URLSafeTimedSerializer("secret", fallback_signers=fallback)
    assert failure(lambda: ours.loads(bad)) == failure(lambda: stock.loads(bad))


def test_a_tampered_cookie_opens_empty_with_one_hmac(frozen_clock, stock_hmacs):
    app = flask.Flask(__name__)
    app.secret_key = "secret"
    app.session_interface = SecureCookieSessionInterface()
    with app.app_context():
        cookie = flask.sessions.SecureCookieSessionInterface().get_signing_serializer(app).dumps(DATA)
    bad = cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(app.session_interface.open_session(app, flask.request)) == DATA
    stock_hmacs[0] = 0
    with app.test_request_context(headers={"Cookie": f"session={bad}"}):
        session = app.session_interface.open_session(app, flask.request)
        assert dict(session) == {} and not session.modified
    assert stock_hmacs[0] == 0
