"""The C-level ``dumps``/``loads`` (src/methods.rs).

Each call shape must give stock's result or exception, and only the default
shape may skip the Python method: counting calls to ``_loads_python`` and
``_dumps_python`` shows which path a call took.
"""

from __future__ import annotations

import time

import flask
import itsdangerous
import pytest
from differential import outcome
from differential import same_outcome
from flask.sessions import SecureCookieSessionInterface as StockInterface

import itsdangerous_rs
from itsdangerous_rs import _core
from itsdangerous_rs import _engine
from itsdangerous_rs.flask import SecureCookieSessionInterface
from itsdangerous_rs.flask import SessionSerializer

NOW = 1_700_000_000.5
DATA = {"_user_id": "42", "_fresh": True, "csrf_token": "ab" * 20, "_id": "cd" * 64}
TOKEN = "the token"  # stands for a valid token in the call tables below
BAD = "the tampered token"

# (id, positional args, keyword args, whether the engine takes the call)
LOADS_CALLS = [
    ("token only", (TOKEN,), {}, True),
    ("max_age keyword", (TOKEN,), {"max_age": 60}, True),
    ("max_age positional", (TOKEN, 60), {}, True),
    ("every default positional", (TOKEN, None, False, None), {}, True),
    ("every argument keyword", (), {"s": TOKEN, "max_age": None, "return_timestamp": False, "salt": None}, True),
    ("tampered", (BAD,), {}, True),
    ("expired", (TOKEN, -1), {}, True),
    ("return_timestamp", (TOKEN,), {"return_timestamp": True}, False),
    ("return_timestamp falsy but not False", (TOKEN,), {"return_timestamp": 0}, False),
    ("other salt", (TOKEN,), {"salt": "other"}, False),
    ("float max_age", (TOKEN, 60.0), {}, False),
    ("bool max_age", (TOKEN, True), {}, False),
    ("int subclass max_age", (TOKEN, type("Seconds", (int,), {})(60)), {}, False),
    ("unknown keyword", (TOKEN,), {"bogus": 1}, False),
    ("token twice", (TOKEN,), {"s": TOKEN}, False),
    ("too many", (TOKEN, None, False, None, 1), {}, False),
    ("no token", (), {}, False),
]

DUMPS_CALLS = [
    ("object only", (DATA,), {}, True),
    ("object keyword", (), {"obj": DATA}, True),
    ("salt None", (DATA, None), {}, True),
    ("salt None keyword", (DATA,), {"salt": None}, True),
    ("not JSON", (object(),), {}, True),
    ("other salt", (DATA, "other"), {}, False),
    ("unknown keyword", (DATA,), {"bogus": 1}, False),
    ("object twice", (DATA,), {"obj": DATA}, False),
    ("no object", (), {}, False),
]


@pytest.fixture()
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


def counting(monkeypatch, cls: type, name: str) -> list[int]:
    """Counts calls to ``cls.name`` from now on."""
    calls = [0]
    original = cls.__dict__[name]

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, counted)
    return calls


def concrete(args: tuple, kwargs: dict, token: str, bad: str) -> tuple[tuple, dict]:
    swap = {TOKEN: token, BAD: bad}
    fill = lambda v: swap.get(v, v) if isinstance(v, str) else v  # noqa: E731
    return tuple(fill(a) for a in args), {k: fill(v) for k, v in kwargs.items()}


def without_qualname(result: tuple) -> tuple:
    """A bad call's TypeError names the method's class, which is ours for a
    subclass that overrides the method (as SessionSerializer always has)."""
    if result[0] == "error" and result[1][0] is TypeError:
        error_type, message, *rest = result[1]
        return "error", (error_type, message.split("() ", 1)[-1], *rest)
    return result


def check_call(monkeypatch, ours, stock, defining: type, method: str, args, kwargs, fast: bool, token: str) -> None:
    python_calls = counting(monkeypatch, defining, f"_{method}_python")
    args, kwargs = concrete(args, kwargs, token, token[:-2] + "AA")
    got = outcome(lambda: getattr(ours, method)(*args, **kwargs))
    want = outcome(lambda: getattr(stock, method)(*args, **kwargs))
    assert same_outcome(without_qualname(got), without_qualname(want)), (got, want)
    assert python_calls[0] == (0 if fast else 1)


@pytest.mark.parametrize(("args", "kwargs", "fast"), [c[1:] for c in LOADS_CALLS], ids=[c[0] for c in LOADS_CALLS])
def test_plain_loads_call_shapes(frozen_clock, monkeypatch, args, kwargs, fast):
    stock = itsdangerous.URLSafeTimedSerializer("secret")
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    ours.loads(stock.dumps(DATA))  # prepares the engine
    check_call(monkeypatch, ours, stock, itsdangerous_rs.TimedSerializer, "loads", args, kwargs, fast, stock.dumps(DATA))


@pytest.mark.parametrize(("args", "kwargs", "fast"), [c[1:] for c in DUMPS_CALLS], ids=[c[0] for c in DUMPS_CALLS])
def test_plain_dumps_call_shapes(frozen_clock, monkeypatch, args, kwargs, fast):
    stock = itsdangerous.URLSafeTimedSerializer("secret")
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    ours.dumps(DATA)
    check_call(monkeypatch, ours, stock, itsdangerous_rs.Serializer, "dumps", args, kwargs, fast, stock.dumps(DATA))


def flask_pair() -> tuple[flask.Flask, SessionSerializer, itsdangerous.URLSafeTimedSerializer]:
    app = flask.Flask(__name__)
    app.secret_key = "secret"
    stock = StockInterface().get_signing_serializer(app)
    ours = SecureCookieSessionInterface().get_signing_serializer(app)
    return app, ours, stock


# The session serializer has Python methods (the interface does not call
# them on its fast path): every call shape still gives stock's outcome.
@pytest.mark.parametrize(("args", "kwargs"), [c[1:3] for c in LOADS_CALLS], ids=[c[0] for c in LOADS_CALLS])
def test_flask_loads_call_shapes(frozen_clock, args, kwargs):
    app, ours, stock = flask_pair()
    with app.app_context():
        token = stock.dumps(DATA)
        args, kwargs = concrete(args, kwargs, token, token[:-2] + "AA")
        got = outcome(lambda: ours.loads(*args, **kwargs))
        want = outcome(lambda: stock.loads(*args, **kwargs))
        assert same_outcome(without_qualname(got), without_qualname(want)), (got, want)


@pytest.mark.parametrize(("args", "kwargs"), [c[1:3] for c in DUMPS_CALLS], ids=[c[0] for c in DUMPS_CALLS])
def test_flask_dumps_call_shapes(frozen_clock, args, kwargs):
    app, ours, stock = flask_pair()
    with app.app_context():
        args, kwargs = concrete(args, kwargs, "", "")
        got = outcome(lambda: ours.dumps(*args, **kwargs))
        want = outcome(lambda: stock.dumps(*args, **kwargs))
        assert same_outcome(without_qualname(got), without_qualname(want)), (got, want)


def test_declined_calls_go_to_the_declined_methods(frozen_clock, monkeypatch):
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    token = ours.dumps(DATA)
    # Signed, but not a payload the engine reads: stock decides.
    unreadable = itsdangerous.TimestampSigner("secret", salt="itsdangerous").sign(b"!!!").decode()
    declined_loads = counting(monkeypatch, itsdangerous_rs.TimedSerializer, "_loads_declined")
    rejected_loads = counting(monkeypatch, itsdangerous_rs.TimedSerializer, "_loads_rejected")
    declined_dumps = counting(monkeypatch, itsdangerous_rs.Serializer, "_dumps_declined")
    assert ours.loads(token) == DATA
    with pytest.raises(itsdangerous.BadSignature):
        ours.loads(token + "x")
    with pytest.raises(itsdangerous.BadPayload):
        ours.loads(unreadable)
    with pytest.raises(TypeError):
        ours.dumps({1j})
    assert (declined_loads[0], rejected_loads[0], declined_dumps[0]) == (1, 1, 1)


def test_a_stock_rerun_skips_the_engine(frozen_clock, monkeypatch):
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    token = ours.dumps(DATA)
    python_calls = counting(monkeypatch, itsdangerous_rs.TimedSerializer, "_loads_python")
    assert _engine.run_stock(ours.loads, token) == DATA
    assert python_calls[0] == 1
    assert ours.loads(token) == DATA
    assert python_calls[0] == 1


def test_outside_an_app_context_the_session_serializer_is_stock(frozen_clock):
    app, ours, stock = flask_pair()
    with app.app_context():
        ours.loads(ours.dumps(DATA))
    # Outside an app context Flask's JSON is unsorted: stock's bytes, not the engine's.
    unsorted = {"b": 1, "a": 2}
    assert ours.dumps(unsorted) == stock.dumps(unsorted)
    assert ours.loads(stock.dumps(unsorted)) == unsorted


def test_plain_methods_leave_a_session_serializer_to_its_context_check(frozen_clock):
    # Skipping SessionSerializer's own methods reaches the plain ones, which
    # must not use its engine: outside an app context Flask's JSON is unsorted.
    class Skipping(SessionSerializer):
        def dumps(self, obj, salt=None):
            return super(SessionSerializer, self).dumps(obj, salt)

        def loads(self, s, max_age=None, return_timestamp=False, salt=None):
            return super(SessionSerializer, self).loads(s, max_age, return_timestamp, salt)

    app, ours, stock = flask_pair()
    skipping = Skipping(ours.secret_keys, salt=ours.salt, serializer=ours.serializer, signer_kwargs=ours.signer_kwargs)
    unsorted = {"b": 1, "a": (2, 3)}
    with app.app_context():
        assert skipping.dumps(unsorted) == stock.dumps(unsorted)  # prepares the engine
    assert skipping.__dict__.get("_rs_default_engine") is not None
    assert skipping.dumps(unsorted) == stock.dumps(unsorted)
    assert skipping.loads(stock.dumps(unsorted)) == unsorted


def test_subclass_overrides_and_super_calls(frozen_clock):
    class Tagged(itsdangerous_rs.URLSafeTimedSerializer):
        def dumps(self, obj, salt=None):
            return "v1:" + super().dumps(obj, salt)

        def loads(self, s, **kwargs):
            return ("v1", super().loads(s.removeprefix("v1:"), **kwargs))

    ours = Tagged("secret")
    token = ours.dumps(DATA)
    assert token == "v1:" + itsdangerous.URLSafeTimedSerializer("secret").dumps(DATA)
    assert ours.loads(token, max_age=60) == ("v1", DATA)
    assert isinstance(ours, itsdangerous.URLSafeTimedSerializer)


def test_methods_look_like_methods():
    import inspect

    cls = itsdangerous_rs.URLSafeTimedSerializer
    assert str(inspect.signature(cls.loads)) == "(self, /, s, max_age=None, return_timestamp=False, salt=None)"
    assert str(inspect.signature(cls.dumps)) == "(self, /, obj, salt=None)"
    assert cls.loads.__qualname__ == "TimedSerializer.loads"
    with pytest.raises(TypeError):
        cls.loads(object(), "token")  # not a serializer: the descriptor refuses it


def test_installing_is_checked():
    with pytest.raises(ValueError, match="installed twice"):
        _core.install_serializer_method(itsdangerous_rs.TimedSerializer, "timed_loads")
    with pytest.raises(ValueError, match="unknown method"):
        _core.install_serializer_method(itsdangerous_rs.TimedSerializer, "loads")

    class NoDeclined:
        def loads(self, s):
            return s

    with pytest.raises(ValueError, match="_loads_declined"):
        _core.install_serializer_method(NoDeclined, "timed_loads")
