"""Differential test of the session interface against stock Flask.

SESSIONS random session dicts covering every tag type, nested containers,
unicode and floats: under a frozen clock the response headers from stock and
from ours are byte-identical, and each side's cookie opens to equal data on
the other side, with and without SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

import os
import random
from collections import OrderedDict
import time
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import flask
import pytest
from differential import random_json
from differential import random_text
from differential import same_value
from flask_tags import TagOrderedDict
from flask.sessions import SecureCookieSessionInterface as StockInterface
from markupsafe import Markup

from itsdangerous_rs.flask import SecureCookieSessionInterface as OurInterface

SESSIONS = int(os.environ.get("ITSDANGEROUS_RS_FLASK_SESSIONS", "2000"))
NOW = 1_700_000_000.5
TAG_KEYS = [" t", " b", " m", " u", " d", " di"]


def random_tagged(rng: random.Random, depth: int = 0):
    kind = rng.randrange(12)
    if depth >= 3 or kind < 4:
        return random_json(rng, depth + 2)
    if kind == 4:
        return tuple(random_tagged(rng, depth + 1) for _ in range(rng.randint(0, 4)))
    if kind == 5:
        return rng.randbytes(rng.randint(0, 40))
    if kind == 6:
        return Markup(random_text(rng, 20))
    if kind == 7:
        return uuid.UUID(int=rng.getrandbits(128))
    if kind == 8:
        moment = datetime(1970, 1, 1) + timedelta(seconds=rng.randint(0, 4_000_000_000), microseconds=rng.randint(0, 999_999))
        zone = rng.choice([None, timezone.utc, timezone(timedelta(hours=5, minutes=30))])
        return moment if zone is None else moment.replace(tzinfo=zone)
    if kind == 9:
        return {rng.choice(TAG_KEYS): random_tagged(rng, depth + 1)}
    if kind == 10:
        return [random_tagged(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng, 8): random_tagged(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def random_session(rng: random.Random) -> dict:
    session = {random_text(rng, 10) or "k": random_tagged(rng) for _ in range(rng.randint(1, 6))}
    if rng.random() < 0.3:  # big enough to be compressed
        session["_pad"] = "flask " * rng.randint(20, 200)
    return session


def make_app(interface, secret="current", fallbacks=None, **config):
    app = flask.Flask(__name__)
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks or []
    app.config.update(config)
    app.session_interface = interface
    return app


def save(app, data, permanent=False):
    """The response headers save_session writes for a modified session."""
    interface = app.session_interface
    with app.test_request_context():
        session = interface.session_class(data)
        session.permanent = permanent
        session.modified = True
        response = app.response_class()
        interface.save_session(app, session, response)
        return response.headers.to_wsgi_list()


def open_(app, cookie):
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        return dict(app.session_interface.open_session(app, flask.request))


def cookie_of(headers):
    for name, value in headers:
        if name == "Set-Cookie":
            return value.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(headers)


@pytest.fixture()
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


@pytest.mark.parametrize("with_fallbacks", [False, True], ids=["current-key", "fallback-keys"])
def test_set_cookie_headers_identical_and_cross_load(frozen_clock, with_fallbacks):
    rng = random.Random(f"flask-{with_fallbacks}")
    fallbacks = ["older", "old"] if with_fallbacks else None
    stock_app = make_app(StockInterface(), fallbacks=fallbacks)
    our_app = make_app(OurInterface(), fallbacks=fallbacks)
    old_stock_app = make_app(StockInterface(), secret="old")
    for _ in range(SESSIONS):
        data = random_session(rng)
        stock_headers = save(stock_app, data)
        assert save(our_app, data) == stock_headers, data
        cookie = cookie_of(stock_headers)
        expected = open_(stock_app, cookie)
        assert same_value(open_(our_app, cookie), expected)
        if with_fallbacks:
            old_cookie = cookie_of(save(old_stock_app, data))
            assert same_value(open_(our_app, old_cookie), expected)
            assert same_value(open_(stock_app, old_cookie), expected)


def test_config_variants_identical():
    from freezegun import freeze_time

    with freeze_time("2023-11-14 22:13:20.5"):  # Expires reads datetime.now()
        _check_config_variants()


def _check_config_variants():
    rng = random.Random("config")
    variants = [
        {},
        {"SESSION_COOKIE_NAME": "sid", "SESSION_COOKIE_DOMAIN": "example.com", "SESSION_COOKIE_PATH": "/app"},
        {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_SAMESITE": "Strict", "SESSION_COOKIE_HTTPONLY": False},
        {"SESSION_COOKIE_PARTITIONED": True, "APPLICATION_ROOT": "/root"},
        {"PERMANENT_SESSION_LIFETIME": timedelta(days=3), "SESSION_REFRESH_EACH_REQUEST": False},
        {"MAX_COOKIE_SIZE": 100},
        {"SESSION_COOKIE_NAME": "séssion", "SESSION_COOKIE_DOMAIN": ".Example.COM:8080"},
    ]
    for config in variants:
        stock_app = make_app(StockInterface(), **config)
        our_app = make_app(OurInterface(), **config)
        for _ in range(30):
            data = random_session(rng)
            for permanent in (False, True):
                with pytest.warns() if config.get("MAX_COOKIE_SIZE") else _no_warning():
                    expected = save(stock_app, data, permanent)
                with pytest.warns() if config.get("MAX_COOKIE_SIZE") else _no_warning():
                    assert save(our_app, data, permanent) == expected


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_bad_expired_and_future_cookies_give_empty_sessions(monkeypatch):
    our_app = make_app(OurInterface())
    stock_app = make_app(StockInterface())
    monkeypatch.setattr(time, "time", lambda: NOW)
    cookie = cookie_of(save(stock_app, {"a": 1}))
    for now in (NOW + 32 * 86400, NOW - 5):  # past PERMANENT_SESSION_LIFETIME, and signed in the future
        monkeypatch.setattr(time, "time", lambda now=now: now)
        assert open_(our_app, cookie) == open_(stock_app, cookie) == {}
    monkeypatch.setattr(time, "time", lambda: NOW)
    for bad in (cookie[:-2], cookie + "x", "garbage", "", cookie.replace(".", "!")):
        assert open_(our_app, bad) == open_(stock_app, bad) == {}


def test_custom_tag_falls_back_to_python(frozen_clock):
    interfaces = []
    for cls in (StockInterface, OurInterface):
        interface = cls()
        interface.serializer = type(interface.serializer)()
        interface.serializer.register(TagOrderedDict, index=0)
        interfaces.append(interface)
    stock_app, our_app = (make_app(i) for i in interfaces)
    data = {"od": OrderedDict([("b", 1), ("a", (1, 2))])}
    headers = save(stock_app, data)
    assert save(our_app, data) == headers
    loaded = open_(our_app, cookie_of(headers))
    assert type(loaded["od"]) is OrderedDict and loaded["od"] == data["od"]


def test_signing_serializer_rechecks_the_app_context_on_every_call(frozen_clock):
    """The direct serializer keeps its engine once built, but each call asks
    whether the context still allows it: sort_keys or ensure_ascii turned
    off, another provider class, a tag registered later, or a stock re-run
    in progress all make it stock (unsorted JSON, say), and undoing the
    change brings the engine back."""
    from flask.json.provider import DefaultJSONProvider

    from itsdangerous_rs import _core
    from itsdangerous_rs import _engine

    class OtherProvider(DefaultJSONProvider):
        pass

    data = {"b": 1, "a": (1, 2), "é": "ü"}
    interface = OurInterface()
    # Its own tag list (the default one is shared), so the tag registered
    # below reaches no other test; stock gets the same one.
    interface.serializer = type(interface.serializer)()
    app = make_app(interface)
    ours = interface.get_signing_serializer(app)
    stock = StockInterface().get_signing_serializer(app)
    stock.serializer = ours.serializer

    def same_both_ways():
        token = stock.dumps(data)
        assert ours.dumps(data) == token
        assert ours.loads(token) == stock.loads(token)
        assert stock.loads(ours.dumps(data)) == stock.loads(token)

    with app.app_context():
        same_both_ways()  # builds the engine
        assert ours._rs_engine(None) is not None
        changes = [
            (app.json, "sort_keys", False),
            (app.json, "ensure_ascii", False),
            (app, "json", OtherProvider(app)),
        ]
        for owner, name, value in changes:
            saved = owner.__dict__.get(name)
            setattr(owner, name, value)
            assert ours._rs_engine(None) is None, name
            same_both_ways()
            if saved is None:
                delattr(owner, name)
            else:
                setattr(owner, name, saved)
            assert ours._rs_engine(None) is not None, name

        token = _engine.stock_only.set(True)
        assert ours._rs_engine(None) is None
        same_both_ways()
        _engine.stock_only.reset(token)

        ours.serializer.register(TagOrderedDict, index=0)
        assert ours._rs_engine(None) is None
        data["od"] = OrderedDict([("z", 1), ("y", 2)])
        same_both_ways()
        assert type(ours.loads(ours.dumps(data))["od"]) is OrderedDict


def test_no_secret_key_gives_null_session():
    app = make_app(OurInterface(), secret=None)
    with app.test_request_context():
        assert app.session_interface.open_session(app, flask.request) is None
    assert OurInterface().get_signing_serializer(app) is None


@pytest.mark.parametrize("fallback", ["old-key", b"old-key"])
def test_plain_string_fallbacks_are_one_key(frozen_clock, fallback):
    """README: stock splits a str into one-character keys (the old cookie opens
    empty) and a bytes into int "keys" (any cookie not signed with the current
    key raises TypeError, a 500); ours takes either as one key."""
    old_app = make_app(StockInterface(), secret="old-key")
    cookie = cookie_of(save(old_app, {"a": 1}))
    our_app = make_app(OurInterface(), fallbacks=fallback)
    assert open_(our_app, cookie) == {"a": 1, "_permanent": False}
    stock_app = make_app(StockInterface(), fallbacks=fallback)
    if isinstance(fallback, str):
        assert open_(stock_app, cookie) == {}
    else:
        with pytest.raises(TypeError):
            open_(stock_app, cookie)


@pytest.mark.parametrize("vary", [None, "Accept-Encoding", "cookie", "Accept-Encoding, Cookie", '"Cookie"', "", "*"])
@pytest.mark.parametrize("action", ["read", "write", "clear"])
def test_vary_header_identical(frozen_clock, vary, action):
    """Vary handling, including a Vary an after_request already set."""

    def run(interface):
        app = make_app(interface)

        @app.route("/<action>")
        def view(action):
            if action == "read":
                flask.session.get("a")
            elif action == "write":
                flask.session["a"] = 1
            else:
                flask.session.clear()
            response = flask.make_response("ok")
            if vary is not None:
                response.headers["Vary"] = vary
            return response

        client = app.test_client()
        client.set_cookie("session", cookie_of(save(make_app(StockInterface()), {"a": 0})))
        return client.get(f"/{action}").headers.to_wsgi_list()

    assert run(OurInterface()) == run(StockInterface())


def test_key_rotation_at_runtime_is_followed(frozen_clock):
    """Changing SECRET_KEY or the fallbacks (even in place) takes effect at once."""
    app = make_app(OurInterface(), secret="one", fallbacks=[])
    cookie_one = cookie_of(save(app, {"a": 1}))
    app.secret_key = "two"
    assert open_(app, cookie_one) == {}
    app.config["SECRET_KEY_FALLBACKS"].append("one")  # in place
    assert open_(app, cookie_one)["a"] == 1
    assert cookie_of(save(app, {"a": 1})) == cookie_of(save(make_app(StockInterface(), secret="two"), {"a": 1}))


def test_signing_serializer_used_directly_inside_and_outside_app_context(frozen_clock):
    """People call get_signing_serializer(app) themselves; outside an app
    context Flask writes unsorted JSON, and so must we."""
    import contextvars

    app = make_app(OurInterface())
    data = {"b": 1, "a": (1, 2), "é": b"x"}
    ours = app.session_interface.get_signing_serializer(app)
    stock = StockInterface().get_signing_serializer(app)

    def outside_any_app_context():
        # A fresh contextvars context: no app context, even if an earlier
        # test leaked one (Flask leaves it pushed when open_session raises).
        assert ours.dumps(data) == stock.dumps(data)  # insertion order
        assert ours._rs_engine(None) is None

    contextvars.Context().run(outside_any_app_context)
    with app.app_context():
        ours.dumps(data)  # builds the engine inside the context
        assert ours._rs_engine(None) is not None
        assert ours.dumps(data) == stock.dumps(data)
        assert ours.loads(stock.dumps(data)) == stock.loads(stock.dumps(data))
    contextvars.Context().run(outside_any_app_context)
