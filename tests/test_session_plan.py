"""The Flask interface's one decision point (``SessionPlan``).

The plan answers open_session/save_session in one call while what it was
decided on is unchanged, notices each change, and leaves overridden hooks
to Python, called as stock calls them. Every response is compared with
stock's, byte for byte.
"""

from __future__ import annotations

from collections import OrderedDict

import flask
import flask.sessions
from flask_tags import TagOrderedDict

from itsdangerous_rs.flask import SecureCookieSessionInterface

NOW = 1_700_000_000.5


def make_app(interface) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = "secret"
    app.session_interface = interface

    @app.get("/set")
    def set_() -> str:
        flask.session["n"] = flask.session.get("n", 0) + 1
        flask.session["od"] = flask.session.get("od", OrderedDict([("z", 1)]))
        return "ok"

    return app


def response_headers(app: flask.Flask, cookie: str | None = None) -> list[tuple[str, str]]:
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    return list(client.get("/set").headers.items())


def session_cookie(headers: list[tuple[str, str]]) -> str:
    (value,) = [v for k, v in headers if k == "Set-Cookie"]
    return value.split(";", 1)[0].split("=", 1)[1]


def pair(ours_class=SecureCookieSessionInterface, stock_class=flask.sessions.SecureCookieSessionInterface):
    return make_app(ours_class()), make_app(stock_class())


def test_default_app_is_one_plan_call(monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW)
    ours, stock = pair()
    assert response_headers(ours) == response_headers(stock)
    plan = ours.session_interface._plan
    assert plan is not None and plan.codec is not None
    calls = []
    for name in ("get_cookie_name", "get_signing_serializer", "should_set_cookie"):
        original = getattr(SecureCookieSessionInterface, name)
        monkeypatch.setattr(
            type(ours.session_interface), name, lambda self, *a, _o=original, _n=name: calls.append(_n) or _o(self, *a)
        )
    # Patching the class changes it: the plan notices, and the Python steps call the hooks as stock does.
    assert response_headers(ours) == response_headers(stock)
    assert sorted(set(calls)) == ["get_cookie_name", "get_signing_serializer", "should_set_cookie"]


def test_overridden_hooks_are_called_as_stock_calls_them(monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW)
    calls: dict[str, list[str]] = {"ours": [], "stock": []}

    def with_hook(base, log):
        class Custom(base):
            def get_cookie_name(self, app):
                log.append("name")
                return "custom"

            def get_cookie_path(self, app):
                log.append("path")
                return "/sub"

        return Custom

    ours, stock = pair(with_hook(SecureCookieSessionInterface, calls["ours"]),
                       with_hook(flask.sessions.SecureCookieSessionInterface, calls["stock"]))
    assert response_headers(ours) == response_headers(stock)
    assert calls["ours"] == calls["stock"]


def test_a_changed_secret_key_is_seen_at_once(monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW)
    ours, stock = pair()
    first = response_headers(ours)
    assert first == response_headers(stock)
    for app in (ours, stock):
        app.secret_key = "rotated"
        app.config["SECRET_KEY_FALLBACKS"] = ["secret"]
    # The old cookie still opens (a fallback key), the new one is signed with the new key.
    assert response_headers(ours, session_cookie(first)) == response_headers(stock, session_cookie(first))
    ours.config["SECRET_KEY_FALLBACKS"].clear()
    stock.config["SECRET_KEY_FALLBACKS"].clear()
    assert response_headers(ours, session_cookie(first)) == response_headers(stock, session_cookie(first))


def test_a_tag_registered_later_sends_the_session_to_stock(monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW)

    ours, stock = pair()
    for app in (ours, stock):
        app.session_interface.serializer = type(app.session_interface.serializer)()
    assert response_headers(ours) == response_headers(stock)
    assert ours.session_interface._plan.codec is not None
    for app in (ours, stock):
        app.session_interface.serializer.register(TagOrderedDict, index=0)
    headers = response_headers(ours)
    assert headers == response_headers(stock)
    assert ours.session_interface._plan.codec is None
    # The cookie carries the new tag, and reads back through it.
    assert response_headers(ours, session_cookie(headers)) == response_headers(stock, session_cookie(headers))


def test_custom_response_class_keeps_its_set_cookie(monkeypatch):
    monkeypatch.setattr("time.time", lambda: NOW)
    seen = []

    class Response(flask.Response):
        def set_cookie(self, key, *args, **kwargs):
            seen.append(key)
            return super().set_cookie(key, *args, **kwargs)

    ours, stock = pair()
    ours.response_class = stock.response_class = Response
    assert response_headers(ours) == response_headers(stock)
    assert seen == ["session", "session"]


def test_subclass_whose_init_skips_ours(monkeypatch):
    """Stock's interface has no ``__init__``, so subclasses often define one without ``super()``."""
    monkeypatch.setattr("time.time", lambda: NOW)

    def quiet_init(self):
        self.note = "no super().__init__()"

    class Ours(SecureCookieSessionInterface):
        __init__ = quiet_init

    class Stock(flask.sessions.SecureCookieSessionInterface):
        __init__ = quiet_init

    ours, stock = pair(Ours, Stock)
    first = response_headers(ours)
    assert first == response_headers(stock)
    cookie = session_cookie(first)
    assert response_headers(ours, cookie) == response_headers(stock, cookie)


def test_newline_in_cookie_settings_fails_as_stock_fails(monkeypatch):
    """Werkzeug refuses a header with a newline; so does the plan, wherever the newline is."""
    monkeypatch.setattr("time.time", lambda: NOW)
    for key, value in (("SESSION_COOKIE_PATH", "/a\nb"), ("SESSION_COOKIE_DOMAIN", "x.test\r"), ("SESSION_COOKIE_NAME", "se\nssion")):
        outcomes = []
        for app in pair():
            app.config[key] = value
            app.testing = False
            try:
                outcomes.append(("ok", response_headers(app)))
            except Exception as error:  # noqa: BLE001 - the kind is what we compare
                outcomes.append((type(error).__name__, str(error)))
            else:
                outcomes[-1] = (outcomes[-1][0], [h for h in outcomes[-1][1] if h[0] != "Date"])
        assert outcomes[0] == outcomes[1], key
