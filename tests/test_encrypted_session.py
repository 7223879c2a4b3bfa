"""EncryptedSessionInterface, in the shape of Flask's own session tests, plus
keys, expiry, migration from and to signed cookies, size and bad input."""

from __future__ import annotations

import json
import re
import uuid
import warnings
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import flask
import pytest
from flask.json.provider import DefaultJSONProvider
from flask.json.tag import JSONTag
from flask.sessions import SecureCookieSessionInterface as StockInterface
from freezegun import freeze_time
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from markupsafe import Markup

from itsdangerous_rs.flask import EncryptedSessionInterface
from itsdangerous_rs.flask_encrypted import SessionCookieTooLarge

cf = pytest.importorskip("cryptography.fernet")
DOCS = Path(__file__).parent.parent / "docs" / "encrypted_sessions.md"


def make_app(interface=None, **config):
    app = flask.Flask(__name__)
    app.secret_key = "test key"
    app.config.update(config)
    app.session_interface = interface if interface is not None else EncryptedSessionInterface()

    @app.route("/set", methods=["POST"])
    def set_value():
        flask.session.update(flask.request.get_json())
        return "set"

    @app.route("/get")
    def get_value():
        return {key: repr(value) for key, value in flask.session.items()}

    @app.route("/clear")
    def clear():
        flask.session.clear()
        return "cleared"

    @app.route("/permanent")
    def permanent():
        flask.session["p"] = 1
        flask.session.permanent = True
        return "ok"

    @app.route("/touch")
    def touch():
        return str(flask.session.get("p"))

    @app.route("/nothing")
    def nothing():
        return "nothing"

    return app


def cookie_value(response, name="session"):
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return header.split(";", 1)[0].split("=", 1)[1]


def decrypt_cookie(app, value, ttl=None):
    keys = app.session_interface.fernet_keys(app)
    return json.loads(cf.MultiFernet([cf.Fernet(k) for k in keys]).decrypt(value, ttl))


def test_session_round_trip_and_cookie_is_a_fernet_token():
    app = make_app()
    client = app.test_client()
    response = client.post("/set", json={"name": "value", "n": 3})
    value = cookie_value(response)
    assert value.startswith("gAAAAA") and "." not in value
    assert decrypt_cookie(app, value) == {"n": 3, "name": "value"}
    assert client.get("/get").json == {"n": "3", "name": "'value'"}


SPECIAL = {
    "t": (1, 2, 3),
    "b": b"\xff\x00bytes",
    "m": Markup("<b>hi</b>"),
    "u": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "d": datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    "nested": {" di": {"x": [1, (2,)]}},
    "unicode": "ünï ✓",
}


@pytest.mark.parametrize("custom_tag", [False, True])
def test_special_types_round_trip_and_json_is_flask_tagged_json(custom_tag):
    """Rust writes the same tagged JSON as Flask's serializer; a custom tag
    makes both directions use Flask's Python serializer."""
    app = make_app()

    class TagOrderedSet(JSONTag):
        key = " custom"

        def check(self, value):
            return isinstance(value, frozenset)

        def to_json(self, value):
            return sorted(value)

        def to_python(self, value):
            return frozenset(value)

    if custom_tag:
        app.session_interface.serializer = type(app.session_interface.serializer)()
        app.session_interface.serializer.register(TagOrderedSet)
    stored = dict(SPECIAL, fs=frozenset({2, 1})) if custom_tag else SPECIAL

    @app.route("/special")
    def special():
        flask.session.update(stored)
        return ""

    @app.route("/check")
    def check():
        assert dict(flask.session) == stored
        return "ok"

    client = app.test_client()
    value = cookie_value(client.get("/special"))
    with app.app_context():
        expected = app.session_interface.serializer.dumps(stored)
    keys = app.session_interface.fernet_keys(app)
    assert cf.MultiFernet([cf.Fernet(k) for k in keys]).decrypt(value) == expected.encode()
    assert client.get("/check").data == b"ok"


def test_custom_json_provider_is_honoured():
    app = make_app()

    class Unsorted(DefaultJSONProvider):
        sort_keys = False

    app.json = Unsorted(app)
    client = app.test_client()
    value = cookie_value(client.post("/set", json={"b": 1, "a": 2}))
    keys = app.session_interface.fernet_keys(app)
    assert cf.Fernet(keys[0]).decrypt(value) == b'{"b":1,"a":2}'
    assert client.get("/get").json == {"a": "2", "b": "1"}


def set_cookie_attributes(app):
    response = app.test_client().post("/set", json={"x": 1}, base_url="https://www.example.com:8080/")
    header = [h for h in response.headers.getlist("Set-Cookie")][0]
    return header.split(";", 1)[1], response.headers.get("Vary")


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"SESSION_COOKIE_DOMAIN": ".example.com", "SESSION_COOKIE_PATH": "/foo", "SESSION_COOKIE_HTTPONLY": False,
         "SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_SAMESITE": "Lax", "SESSION_COOKIE_PARTITIONED": True},
        {"APPLICATION_ROOT": "/bar", "SESSION_COOKIE_NAME": "custom"},
        {"SESSION_COOKIE_SAMESITE": "Strict"},
    ],
)
def test_cookie_settings_as_stock(config):
    ours = set_cookie_attributes(make_app(**config))
    stock = set_cookie_attributes(make_app(StockInterface(), **config))
    assert ours == stock


def headers_for(app, path, cookie=None):
    client = app.test_client()
    if cookie:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    response = client.get(path)
    return [(k, re.sub(r"session=[^;]*", "session=V", v)) for k, v in response.headers if k in ("Set-Cookie", "Vary")]


@pytest.mark.parametrize("path", ["/clear", "/touch", "/nothing", "/permanent", "/get"])
@pytest.mark.parametrize("refresh", [True, False])
def test_vary_deletion_permanent_and_refresh_as_stock(path, refresh):
    """Headers (values masked) after a request with an existing permanent session."""
    results = []
    # Later than the cookies below are signed: stock refuses a signature dated
    # after "now" (age < 0), so a second boundary crossed here failed the test.
    frozen = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)
    for interface in (EncryptedSessionInterface(), StockInterface()):
        app = make_app(interface, SESSION_REFRESH_EACH_REQUEST=refresh)
        client = app.test_client()
        client.get("/permanent")
        cookie = client.get_cookie("session").value
        with freeze_time(frozen):
            results.append(headers_for(app, path, cookie))
    assert results[0] == results[1]


def test_permanent_session_expires_attribute():
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(days=3))
    with freeze_time("2030-01-01 00:00:00"):
        response = app.test_client().get("/permanent")
    assert "Expires=Fri, 04 Jan 2030 00:00:00 GMT" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("permanent", [True, False])
def test_ttl_is_permanent_session_lifetime(permanent):
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=100))
    client = app.test_client()
    with freeze_time("2030-01-01 00:00:00"):
        if permanent:
            client.get("/permanent")
        else:
            client.post("/set", json={"p": 1})
        cookie = client.get_cookie("session").value
    for offset, expected in [(100, "1"), (101, "None")]:
        with freeze_time(datetime(2030, 1, 1) + timedelta(seconds=offset)):
            fresh = app.test_client()
            fresh.set_cookie("session", cookie)
            assert fresh.get("/touch").data.decode() == expected


def test_fallback_keys_decrypt_and_secret_key_encrypts():
    old_app = make_app()
    old_cookie = cookie_value(old_app.test_client().post("/set", json={"a": 1}))
    app = make_app(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["older", "test key"])
    client = app.test_client()
    client.set_cookie("session", old_cookie)
    assert client.get("/get").json == {"a": "1"}
    new_cookie = cookie_value(client.post("/set", json={"b": 2}))
    keys = app.session_interface.fernet_keys(app)
    assert len(keys) == 3 and keys[2] != keys[1]
    assert keys[1] == EncryptedSessionInterface().fernet_keys(old_app)[0]  # newest fallback is last in the list
    assert json.loads(cf.Fernet(keys[0]).decrypt(new_cookie)) == {"a": 1, "b": 2}
    rotated_out = make_app(SECRET_KEY="new key")
    client = rotated_out.test_client()
    client.set_cookie("session", old_cookie)
    assert client.get("/get").json == {}


def test_derived_keys_are_hkdf_sha256_as_documented():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    import base64

    app = make_app()
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"itsdangerous_rs.flask.EncryptedSessionInterface",
                info=b"Fernet session key v1")
    expected = base64.urlsafe_b64encode(hkdf.derive(b"test key")).decode()
    assert app.session_interface.fernet_keys(app) == [expected]
    assert "itsdangerous_rs.flask.EncryptedSessionInterface" in DOCS.read_text()


def test_configured_fernet_keys_replace_derivation():
    new, old = cf.Fernet.generate_key().decode(), cf.Fernet.generate_key().decode()
    app = make_app(SESSION_FERNET_KEYS=[new, old])
    assert app.session_interface.fernet_keys(app) == [new, old]
    client = app.test_client()
    client.set_cookie("session", cf.Fernet(old).encrypt(b'{"from":"old"}').decode())
    assert client.get("/get").json == {"from": "'old'"}
    assert json.loads(cf.Fernet(new).decrypt(cookie_value(client.post("/set", json={"x": 1})))) == {"from": "old", "x": 1}
    misconfigured = make_app(SESSION_FERNET_KEYS=["short"])
    misconfigured.testing = True
    with pytest.raises(ValueError, match="32 url-safe base64"):
        misconfigured.test_client().get("/get")


def test_docs_snippet_decrypts_with_cryptography_alone():
    app = make_app()
    cookie = cookie_value(app.test_client().post("/set", json={"user": "alice", "id": 7}))
    (snippet,) = [block for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S) if "MultiFernet" in block]
    namespace = {"keys": app.session_interface.fernet_keys(app), "cookie": cookie}
    exec(compile(snippet, str(DOCS), "exec"), namespace)
    assert namespace["session"] == {"id": 7, "user": "alice"}


def test_stock_signed_cookie_is_accepted_and_reissued_encrypted():
    stock = make_app(StockInterface())
    signed = cookie_value(stock.test_client().post("/set", json={"user": "bob"}))
    assert "." in signed
    app = make_app()
    client = app.test_client()
    client.set_cookie("session", signed)
    response = client.get("/get")
    assert response.json == {"user": "'bob'"}
    assert decrypt_cookie(app, cookie_value(response)) == {"user": "bob"}
    assert client.get("/get").json == {"user": "'bob'"}  # now from the encrypted cookie
    # A bad signed cookie opens an empty session, not re-issued.
    bad = make_app().test_client()
    bad.set_cookie("session", signed[:-2] + "xx")
    response = bad.get("/get")
    assert response.json == {} and "Set-Cookie" not in response.headers


def test_signed_cookies_refused_when_switched_off():
    signed = cookie_value(make_app(StockInterface()).test_client().post("/set", json={"user": "bob"}))
    client = make_app(SESSION_ACCEPT_SIGNED_COOKIES=False).test_client()
    client.set_cookie("session", signed)
    response = client.get("/get")
    assert response.json == {} and "Set-Cookie" not in response.headers


def test_moving_back_to_the_signed_interface():
    encrypted = cookie_value(make_app().test_client().post("/set", json={"user": "bob"}))
    stock = make_app(StockInterface())
    client = stock.test_client()
    client.set_cookie("session", encrypted)
    response = client.get("/get")
    assert response.status_code == 200 and response.json == {}
    # and forwards again: a fresh signed cookie is accepted by the encrypted interface
    signed = cookie_value(client.post("/set", json={"user": "carol"}))
    forward = make_app().test_client()
    forward.set_cookie("session", signed)
    assert forward.get("/get").json == {"user": "'carol'"}


def bad_cookies(good):
    yield good[:-4]  # truncated (dropping only the padding is a valid spelling, as in cryptography)
    yield good[:-5]
    yield good[:20]
    yield good[:30] + ("A" if good[30] != "A" else "B") + good[31:]  # tampered
    yield cf.Fernet(cf.Fernet.generate_key()).encrypt(b'{"a":1}').decode()  # wrong key
    yield "garbage"
    yield "\u00e9\u00e9\u00e9"
    yield "A" * 5000  # oversized
    yield good + "." + good
    yield "...."
    yield ""


@pytest.mark.filterwarnings("ignore:The .session. cookie is too large")
def test_bad_cookies_open_an_empty_session():
    app = make_app()
    good = cookie_value(app.test_client().post("/set", json={"a": 1}))
    for bad in bad_cookies(good):
        client = app.test_client()
        client.set_cookie("session", bad)
        response = client.get("/get")
        assert response.status_code == 200, bad
        assert response.json == {}, bad


def test_authentic_non_session_payloads_open_an_empty_session():
    app = make_app()
    key = app.session_interface.fernet_keys(app)[0]
    for payload in [b"[1, 2]", b"null", b"not json", b"\xff\xfe", b'{" t": "not a list"}']:
        client = app.test_client()
        client.set_cookie("session", cf.Fernet(key).encrypt(payload).decode())
        response = client.get("/get")
        assert response.status_code == 200 and response.json == {}, payload


def test_expired_cookie_opens_an_empty_session():
    app = make_app(PERMANENT_SESSION_LIFETIME=60)
    key = app.session_interface.fernet_keys(app)[0]
    client = app.test_client()
    client.set_cookie("session", cf.Fernet(key).encrypt_at_time(b'{"a":1}', 1_000).decode())
    assert client.get("/get").json == {}


def test_oversized_cookie_warns_as_stock_or_raises_when_configured():
    app = make_app(MAX_COOKIE_SIZE=200)
    with pytest.warns(UserWarning, match="cookie is too large"):
        app.test_client().post("/set", json={"big": "x" * 300})
    strict = make_app(MAX_COOKIE_SIZE=200, SESSION_COOKIE_SIZE_ERROR=True)
    strict.testing = True
    with pytest.raises(SessionCookieTooLarge, match="MAX_COOKIE_SIZE"):
        strict.test_client().post("/set", json={"big": "x" * 300})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strict.test_client().post("/set", json={"small": "x"})


def test_no_secret_key_is_a_null_session_as_stock():
    for interface in (EncryptedSessionInterface(), StockInterface()):
        app = make_app(interface)
        app.secret_key = None
        app.testing = True
        assert app.test_client().get("/get").json == {}
        with pytest.raises(RuntimeError, match="no secret key"):
            app.test_client().post("/set", json={"a": 1})


def test_fast_path_is_used_for_default_tags(monkeypatch):
    """With Flask's defaults the JSON never goes through the Python serializer."""
    app = make_app()
    serializer_class = type(app.session_interface.serializer)

    def fail(*args):
        raise AssertionError("Python serializer used")

    monkeypatch.setattr(serializer_class, "dumps", fail)
    monkeypatch.setattr(serializer_class, "loads", fail)
    client = app.test_client()
    client.post("/set", json={"a": [1, 2]})
    assert client.get("/get").json == {"a": "[1, 2]"}


def test_either_module_can_be_imported_first():
    import subprocess
    import sys

    code = (
        "import itsdangerous_rs.flask_encrypted as e; "
        "from itsdangerous_rs.flask import EncryptedSessionInterface as E; "
        "assert E is e.EncryptedSessionInterface"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_plan_serves_requests_with_the_fernet_keys(monkeypatch):
    """Each request is one Rust call each way: the Python steps are never reached."""
    from itsdangerous_rs import _core

    app = make_app()
    client = app.test_client()
    client.post("/set", json={"a": 1})

    def fail(*args):
        raise AssertionError("the Python steps ran")

    monkeypatch.setattr(EncryptedSessionInterface, "_open_session_python", fail)
    monkeypatch.setattr(EncryptedSessionInterface, "_save_session", fail)
    assert client.get("/get").json == {"a": "1"}
    client.post("/set", json={"b": 2})
    assert client.get("/get").json == {"a": "1", "b": "2"}
    assert isinstance(app.session_interface._plan.codec, _core.FernetKeys)


@pytest.mark.parametrize("change", ["keys_list_in_place", "keys_replaced", "secret_key", "fallbacks_in_place", "hkdf_salt"])
def test_key_changes_between_requests_are_honoured(change):
    """The plan is decided again when anything its keys came from changes."""
    first, second = cf.Fernet.generate_key().decode(), cf.Fernet.generate_key().decode()
    config = {"SESSION_FERNET_KEYS": [first]} if change.startswith("keys") else {"SECRET_KEY_FALLBACKS": []}
    app = make_app(**config)
    interface = app.session_interface
    client = app.test_client()
    client.post("/set", json={"a": 1})
    before = interface.fernet_keys(app)
    if change == "keys_list_in_place":
        app.config["SESSION_FERNET_KEYS"].insert(0, second)
    elif change == "keys_replaced":
        app.config["SESSION_FERNET_KEYS"] = [second, first]
    elif change == "secret_key":
        app.config["SECRET_KEY_FALLBACKS"] = ["test key"]
        app.secret_key = "another key"
    elif change == "fallbacks_in_place":
        app.config["SECRET_KEY_FALLBACKS"].append("older key")
    else:
        interface.hkdf_salt = b"another salt"
    after = interface.fernet_keys(app)
    assert after != before
    still_listed = before[0] in after  # then the old cookie still opens
    written = cookie_value(client.post("/set", json={"b": 2}))
    assert json.loads(cf.Fernet(after[0]).decrypt(written)) == ({"a": 1, "b": 2} if still_listed else {"b": 2})
    fresh = app.test_client()
    fresh.set_cookie("session", cf.Fernet(before[0]).encrypt(b'{"old": 1}').decode())
    assert fresh.get("/get").json == ({"old": "1"} if still_listed else {})


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';,"\\'), max_size=300),
        st.tuples(st.integers(0, 10_000), st.integers(0, 5), st.text(alphabet="A-_=.gz0+/", max_size=3)),
    )
)
def test_random_and_mutated_cookies_never_fail_a_request(cookie):
    """Whatever the cookie, opening it succeeds, with the session cryptography's
    Fernet reads from it (an unchanged token, or one spelled as it also
    accepts) or an empty one. A cookie with a "." is an itsdangerous-signed one."""
    if isinstance(cookie, tuple):  # an edit of a valid token: replace, insert or cut at a position
        at, op, text = cookie
        at %= len(GOOD_TOKEN) + 1
        cookie = [
            GOOD_TOKEN[:at] + text + GOOD_TOKEN[at + len(text):],
            GOOD_TOKEN[:at] + text + GOOD_TOKEN[at:],
            GOOD_TOKEN[:at],
            GOOD_TOKEN[at:],
            GOOD_TOKEN[:at] + GOOD_TOKEN[at + 1:],
            GOOD_TOKEN + text,
        ][op]
    with HOSTILE_APP.test_request_context(environ_base={"HTTP_COOKIE": f"session={cookie}"}):
        session = HOSTILE_APP.session_interface.open_session(HOSTILE_APP, flask.request._get_current_object())
    try:
        expected = {} if "." in cookie else decrypt_cookie(HOSTILE_APP, cookie)
    except (cf.InvalidToken, ValueError, TypeError):
        expected = {}
    assert dict(session) == expected, cookie


HOSTILE_APP = make_app()
GOOD_TOKEN = cookie_value(HOSTILE_APP.test_client().post("/set", json={"a": 1}))
