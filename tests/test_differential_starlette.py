"""Differential tests of itsdangerous_rs.starlette against Starlette's own
SessionMiddleware: the same request (cookie headers, what the app does to the
session, the response's own headers) under the same clock gives byte-identical
response headers on both, and each side's cookie opens on the other side.

Requests are raw ASGI calls of the middleware with a tiny inner app.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from base64 import b64encode

import pytest

pytest.importorskip("starlette")

import itsdangerous
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from starlette.middleware.sessions import Session
from starlette.middleware.sessions import SessionMiddleware as StockMiddleware

import itsdangerous_rs.starlette as rs_starlette
from itsdangerous_rs.starlette import SessionMiddleware as OurMiddleware

NOW = 1_700_000_000.25
SECRET = "s3cret-ключ"

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
sessions = st.dictionaries(st.text(max_size=12), json_values, max_size=6) | st.builds(
    lambda big: {"big": big}, st.text(min_size=1000, max_size=3000)
)
actions = st.sampled_from(["none", "read", "update", "replace", "clear", "pop"])


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


def dumped(value) -> str:
    """Compare through JSON text: NaN is not equal to itself."""
    return json.dumps(value)


def make_app(action: str, new_data: dict, seen: list, response_headers: list):
    async def app(scope, receive, send):
        session = scope["session"]
        seen.append((dumped(dict(session)), type(session) is Session))
        if action == "read":
            session.mark_accessed()
        elif action == "update":
            session.update(new_data)
        elif action == "replace":
            session.clear()
            session.update(new_data)
        elif action == "clear":
            session.clear()
        elif action == "pop":
            session.pop(next(iter(session), "missing"), None)
        await send({"type": "http.response.start", "status": 200, "headers": list(response_headers)})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def request(middleware, cookie_headers: list, action="none", new_data=None, response_headers=()):
    """(response start headers, the session the app saw) for one raw ASGI call."""
    seen: list = []
    sent: list = []
    app = middleware(make_app(action, new_data or {}, seen, list(response_headers)))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"host", b"test")] + [(b"cookie", h) for h in cookie_headers],
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["headers"], seen[0]


def both(cookie_headers, action="none", new_data=None, response_headers=(), **kwargs):
    stock = request(lambda app: StockMiddleware(app, **kwargs), cookie_headers, action, new_data, response_headers)
    ours = request(lambda app: OurMiddleware(app, **kwargs), cookie_headers, action, new_data, response_headers)
    return stock, ours


def set_cookie(headers) -> bytes:
    values = [v for k, v in headers if k == b"set-cookie"]
    assert len(values) == 1, headers
    return values[0].split(b";")[0].split(b"=", 1)[1]


def stock_cookie(data: dict, **kwargs) -> bytes:
    (headers, _), _ = both([], "update", data, secret_key=SECRET, **kwargs)
    return set_cookie(headers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=sessions, action=actions, new_data=sessions, vary=st.sampled_from([(), ((b"vary", b"Accept"),), ((b"vary", b"A"), (b"x", b"y"), (b"vary", b"B"))]))
def test_headers_byte_identical_and_cookies_cross(frozen_clock, initial, action, new_data, vary):
    # The incoming cookie made by stock, and the same session made by ours.
    (stock_headers, _), (our_headers, _) = both([], "update", initial, secret_key=SECRET)
    assert stock_headers == our_headers
    cookie = b"session=" + set_cookie(stock_headers) if initial else b"other=1"

    stock, ours = both([cookie], action, new_data, vary, secret_key=SECRET)
    assert ours[0] == stock[0]
    assert ours[1] == stock[1] == (dumped(initial) if initial else "{}", True)

    # Whatever either side wrote opens on the other as the same session.
    written = [v for k, v in ours[0] if k == b"set-cookie" and not v.startswith(b"session=null")]
    for value in written:
        token = b"session=" + value.split(b";")[0].split(b"=", 1)[1]
        back_stock, back_ours = both([token], "none", secret_key=SECRET)
        assert back_stock[1] == back_ours[1]
        assert back_ours[1][0] != "{}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_age": None},
        {"max_age": 0},
        {"max_age": 60, "path": "/app", "same_site": "strict", "https_only": True, "domain": ".example.com", "partitioned": True},
        {"session_cookie": "sid", "same_site": "none"},
        {"path": "/é"},  # latin-1 in the header
    ],
)
def test_settings_byte_identical(frozen_clock, kwargs):
    name = kwargs.get("session_cookie", "session").encode()
    data = {"user": "ünïcode ☃", "n": [1, 2.5, None, True], "nested": {"a": {"b": []}}}
    stock, ours = both([], "update", data, secret_key=SECRET, **kwargs)
    assert ours == stock
    cookie = name + b"=" + set_cookie(stock[0])
    for action in ("none", "read", "update", "clear"):
        stock, ours = both([cookie], action, {"more": 1}, secret_key=SECRET, **kwargs)
        assert ours == stock, action


def test_max_age_expiry_and_future_tokens(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)
    cookie = b"session=" + stock_cookie({"a": 1})
    for now, expect in ((NOW + 59, '{"a": 1}'), (NOW + 61, "{}"), (NOW - 5, "{}")):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        stock, ours = both([cookie], "read", secret_key=SECRET, max_age=60)
        assert ours == stock
        assert ours[1][0] == expect


def test_int_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000)
    stock, ours = both([], "update", {"a": 1}, secret_key=SECRET)
    assert ours == stock


@pytest.mark.parametrize(
    "headers",
    [
        [b"a=1; session=TOKEN; b=2"],
        [b"session=bad; session=TOKEN"],  # the last one wins
        [b"session=TOKEN", b"session=bad"],  # across headers too
        [b"session=bad", b"x=1; session=TOKEN"],
        [b'session="TOKEN"'],  # quoted: Starlette's parser unquotes
        [b"session=TOKEN; q=\"\\\\x\""],
        [b"  session  =  TOKEN  ;;; =x; flag"],
        [b"session=TOKEN; t=\xe9"],  # latin-1 elsewhere in the header
        [b"session=TOKEN\t"],
        [b"Session=TOKEN"],
        [],
    ],
)
def test_cookie_headers_parse_like_starlette(frozen_clock, headers):
    token = stock_cookie({"k": "v"})
    cookie_headers = [h.replace(b"TOKEN", token) for h in headers]
    for action in ("read", "clear", "update"):
        stock, ours = both(cookie_headers, action, {"x": 1}, secret_key=SECRET)
        assert ours == stock


def test_raw_cookie_header_keys_like_starlette(frozen_clock):
    token = stock_cookie({"k": "v"})
    for headers in ([(b"Cookie", b"session=" + token)], ((b"cookie", b"session=" + token),), [[b"cookie", b"session=" + token]]):
        results = []
        for middleware in (StockMiddleware, OurMiddleware):
            seen = []
            app = middleware(make_app("read", {}, seen, []), secret_key=SECRET)
            scope = {"type": "http", "headers": headers if not isinstance(headers, tuple) else tuple(headers)}
            sent = []

            async def send(message, sent=sent):
                sent.append(message)

            asyncio.run(app(scope, None, send))
            results.append((sent[0]["headers"], seen, type(scope["headers"])))
        assert results[0] == results[1]


def test_tampered_and_foreign_cookies_give_empty_sessions(frozen_clock):
    token = stock_cookie({"k": "v"})
    other = b"session=" + rs_starlette.TimestampSigner("other").sign(b64encode(b'{"k": "v"}'))
    for cookie in (b"session=" + token[:-1] + b"A", b"session=" + token[1:], b"session=x", b"session=", b"session=a.b.c", other):
        for action in ("read", "clear", "update"):
            stock, ours = both([cookie], action, {"x": 1}, secret_key=SECRET)
            assert ours == stock
            assert ours[1][0] == "{}"


def signed(payload: bytes) -> bytes:
    return b"session=" + itsdangerous.TimestampSigner(SECRET).sign(payload)


@pytest.mark.parametrize(
    "payload",
    [
        b64encode(b'[["a", 1], ["b", [2]]]'),  # a list of pairs: dict() takes it
        b64encode(b'{"a": 1, "a": 2, "b": NaN}'),  # duplicate keys, NaN
        b64encode(b'\xef\xbb\xbf{"bom": 1}'),  # json.loads(bytes) strips a UTF-8 BOM
        b64encode('{"a": "é"}'.encode("utf-16")),  # and reads UTF-16
        b64encode(b'{"a": 1}')[:-1] + b"=",  # a non-canonical last character
        b"eyJhIjogMX0",  # no padding: b64decode raises in stock
        b"ey Jh*IjogMX0=",  # junk that b64decode skips
        b64encode(b"{}"),
    ],
)
def test_unusual_verified_payloads_match_stock(frozen_clock, payload):
    stock, ours = None, None
    try:
        stock = request(lambda app: StockMiddleware(app, secret_key=SECRET), [signed(payload)], "read")
    except Exception:
        pass
    ours = request(lambda app: OurMiddleware(app, secret_key=SECRET), [signed(payload)], "read")
    if stock is not None:
        assert ours == stock
    else:  # stock answers 500; ours gives an empty session on purpose
        assert ours[1] == ("{}", True)


@pytest.mark.parametrize("payload", [b64encode(b"not json"), b64encode(b'"a string"'), b64encode(b"[1, 2]"), b"!!!!"])
def test_undecodable_verified_payload_is_an_empty_session_not_a_500(frozen_clock, payload):
    with pytest.raises(Exception):
        request(lambda app: StockMiddleware(app, secret_key=SECRET), [signed(payload)], "read")
    headers, seen = request(lambda app: OurMiddleware(app, secret_key=SECRET), [signed(payload)], "clear")
    assert seen == ("{}", True)
    assert not [v for k, v in headers if k == b"set-cookie"], "a bad cookie is left alone, as after a bad signature"


def test_sessions_rust_cannot_write_take_stock_steps(frozen_clock):
    class Custom(float):
        pass

    for data in ({"f": Custom(1.5)}, {1: "int key", None: "x", 2.5: True}, {"t": (1, 2)}):
        stock, ours = both([], "update", data, secret_key=SECRET)
        assert ours == stock
    with pytest.raises(TypeError):
        request(lambda app: OurMiddleware(app, secret_key=SECRET), [], "update", {"x": object()})


def test_replaced_signer_and_settings_are_honoured(frozen_clock):
    data = {"a": 1}
    results = []
    for middleware in (StockMiddleware, OurMiddleware):
        def factory(app, middleware=middleware):
            m = middleware(app, secret_key=SECRET)
            m.signer = itsdangerous.TimestampSigner("another", salt="x")
            m.path = "/changed"
            m.max_age = 10
            return m

        headers, _ = request(factory, [], "update", data)
        cookie = b"session=" + set_cookie(headers)
        results.append((headers, request(factory, [cookie], "read")))
    assert results[0] == results[1]
    assert any(b"path=/changed; Max-Age=10" in value for _, value in results[1][0])


def test_response_headers_list_is_not_mutated(frozen_clock):
    shared = [(b"content-type", b"text/plain")]
    for middleware in (StockMiddleware, OurMiddleware):
        request(lambda app, m=middleware: m(app, secret_key=SECRET), [], "update", {"a": 1}, shared)
        assert shared == [(b"content-type", b"text/plain")]


def test_lifespan_and_websocket_pass_through(frozen_clock):
    token = stock_cookie({"k": "v"})
    for middleware in (StockMiddleware, OurMiddleware):
        seen = []

        async def app(scope, receive, send):
            seen.append(scope.get("session"))

        m = middleware(app, secret_key=SECRET)
        asyncio.run(m({"type": "lifespan"}, None, None))
        asyncio.run(m({"type": "websocket", "headers": [(b"cookie", b"session=" + token)]}, None, None))
        assert seen == [None, {"k": "v"}]


def test_version_check():
    rs_starlette.check_starlette_version("1.8.0")
    rs_starlette.check_starlette_version("1.10.0")
    for version in ("1.7.0", "0.47.3", "0.52.1", "2.0.0", "nonsense"):
        with pytest.raises(RuntimeError, match="Starlette >=1.8,<2"):
            rs_starlette.check_starlette_version(version)


def test_nan_session_round_trip(frozen_clock):
    stock, ours = both([], "update", {"x": math.nan, "y": -math.inf}, secret_key=SECRET)
    assert ours == stock


def test_the_rust_codec_serves_ordinary_requests(frozen_clock):
    """The differential tests above would also pass on stock's steps alone."""
    middleware = OurMiddleware(None, secret_key=SECRET)
    codec = middleware._build_codec()
    data = {"user": "é", "n": [1, 2]}
    cookie = stock_cookie(data)
    headers = [(b"host", b"x"), (b"cookie", b"a=1; session=" + cookie)]
    loaded = codec.load(headers, middleware.max_age, NOW, Session)
    assert type(loaded) is Session and loaded == data and not loaded.accessed
    assert codec.load([(b"cookie", b"session=" + cookie[:-2])], 60, NOW, Session) is None
    assert codec.load([(b"cookie", b'session="q"')], 60, NOW, Session) is NotImplemented
    assert codec.load([], 60, NOW, Session) is None
    session = Session(data)
    value = codec.dump(session, NOW)
    assert value.startswith(b"session=" + cookie)
    assert codec.dump(Session({"x": object()}), NOW) is NotImplemented
    session["n"] = [3]
    message = {"type": "http.response.start", "headers": [(b"vary", b"Accept")]}
    assert codec.edit_response_start(message, session, time.time) is True
    assert message["headers"] == [(b"vary", b"Accept, Cookie"), (b"set-cookie", codec.dump(session, NOW))]


@pytest.mark.parametrize(
    "message_headers",
    [
        None,  # no "headers" key
        [[b"content-type", b"text/plain"]],  # pairs as lists
        ((b"vary", b"Accept"),),  # a tuple of pairs
        [(b"vary", "str value")],
        [("content-type", b"text/plain")],  # a str name
    ],
)
@pytest.mark.parametrize("action", ["none", "read", "update", "clear"])
def test_response_start_edits_of_odd_messages_match_stock(frozen_clock, message_headers, action):
    """Where the Rust edit declines, nothing is changed before Starlette's own steps run."""
    cookie = b"session=" + stock_cookie({"a": 1})
    results = []
    for middleware in (StockMiddleware, OurMiddleware):
        sent = []

        async def app(scope, receive, send):
            session = scope["session"]
            if action == "read":
                session.mark_accessed()
            elif action == "update":
                session["b"] = 2
            elif action == "clear":
                session.clear()
            message = {"type": "http.response.start", "status": 200}
            if message_headers is not None:
                message["headers"] = message_headers
            await send(message)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "headers": [(b"cookie", cookie)]}
        try:
            asyncio.run(middleware(app, secret_key=SECRET)(scope, None, send))
            results.append([tuple(pair) for pair in sent[0]["headers"]])
        except Exception as exc:  # a str value: both fail the same way
            results.append(type(exc))
    assert results[0] == results[1]


def test_settings_changed_during_the_request_are_honoured(frozen_clock):
    """Stock reads its settings when the response starts, not when the request came in."""
    results = []
    for middleware in (StockMiddleware, OurMiddleware):
        def factory(app, middleware=middleware):
            instance = middleware(app, secret_key=SECRET)

            async def changing_app(scope, receive, send):
                instance.path = "/later"
                await app(scope, receive, send)

            instance.app = changing_app
            return instance

        results.append(request(factory, [], "update", {"a": 1}))
    assert results[0] == results[1]
    assert b"path=/later" in set_cookie_header(results[1][0])


def set_cookie_header(headers) -> bytes:
    return next(value for key, value in headers if key == b"set-cookie")
