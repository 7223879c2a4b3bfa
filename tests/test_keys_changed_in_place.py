"""A key list changed in place is honoured, as stock honours it.

Stock reads ``secret_keys`` on every call, so after
``s.secret_keys.append("k2")`` it signs with ``k2``. Ours prepares its
signing state once; it must notice the change (and it does so without
deriving the keys again on every call).
"""

from __future__ import annotations

import time

import flask
import flask.sessions
import itsdangerous
import pytest

import itsdangerous_rs
import itsdangerous_rs.flask

NOW = 1_700_000_000.0
CLASSES = ["Signer", "TimestampSigner", "Serializer", "TimedSerializer", "URLSafeSerializer", "URLSafeTimedSerializer"]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


def write(obj, value="v"):
    return obj.sign(value) if isinstance(obj, itsdangerous.Signer) else obj.dumps({"v": value})


def read(obj, token):
    return obj.unsign(token) if isinstance(obj, itsdangerous.Signer) else obj.loads(token)


# Each edit, applied to a list that started as [b"k1"] (stock makes bytes of
# every key, but a str appended in place stays a str, and stock takes it).
EDITS = {
    "append str": lambda keys: keys.append("k2"),
    "append bytes": lambda keys: keys.append(b"k2"),
    "replace last": lambda keys: keys.__setitem__(-1, b"k3"),
    "extend then pop": lambda keys: (keys.extend([b"k2", b"k3"]), keys.pop()),
    "clear then append": lambda keys: (keys.clear(), keys.append(b"k4")),
}


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("name", CLASSES)
def test_secret_keys_changed_in_place(name, edit):
    stock = getattr(itsdangerous, name)("k1")
    ours = getattr(itsdangerous_rs, name)("k1")
    for _ in range(2):  # the second use runs the prepared (C-level, for dumps) path
        assert write(ours) == write(stock)
    old_token = write(stock)
    EDITS[edit](stock.secret_keys)
    EDITS[edit](ours.secret_keys)
    assert ours.secret_keys == stock.secret_keys
    for _ in range(2):
        # Signs with the new last key, as stock does (a str key in a Signer's
        # list makes stock raise TypeError; ours raises the same).
        written = _outcome(lambda: write(stock))
        assert _outcome(lambda: write(ours)) == written
        if written[0] == "ok":
            assert _outcome(lambda: read(ours, written[1])) == _outcome(lambda: read(stock, written[1]))
    # The old key verifies only while it is still in the list.
    assert _outcome(lambda: read(ours, old_token)) == _outcome(lambda: read(stock, old_token))


def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - comparing every kind of failure
        return "error", type(e), str(e)


def test_session_serializer_keys_changed_in_place():
    app = flask.Flask(__name__)
    app.secret_key = "dev"
    with app.app_context():
        stock = flask.sessions.SecureCookieSessionInterface().get_signing_serializer(app)
        ours = itsdangerous_rs.flask.SecureCookieSessionInterface().get_signing_serializer(app)
        assert ours.dumps({"a": 1}) == ours.dumps({"a": 1}) == stock.dumps({"a": 1})
        stock.secret_keys.append(b"rotated")
        ours.secret_keys.append(b"rotated")
        assert ours.dumps({"a": 1}) == stock.dumps({"a": 1})
        assert ours.loads(stock.dumps({"a": 1})) == {"a": 1}


# SECRET_KEY_FALLBACKS changed in place: test_differential_flask.py::test_key_rotation_at_runtime_is_followed.
