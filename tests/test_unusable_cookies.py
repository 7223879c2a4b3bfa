"""No cookie sends a Flask request to a 500, and the interface reads back every cookie it writes.

A cookie that fails its signature gives an empty session in stock Flask. One
that is signed but cannot be used (a payload that is not base64, not zlib,
not JSON, a bad tag, JSON that is not a mapping, a payload over the
decompression cap) makes stock's ``open_session`` raise, and that request is
a 500. Ours opens all of them as an empty session, on the Rust path and on
the stock path alike, while every cookie stock serves is served the same.
"""

from __future__ import annotations

import traceback
import zlib

import flask
import flask.sessions
import itsdangerous
import pytest
from itsdangerous.encoding import base64_encode

import itsdangerous_rs
import itsdangerous_rs.flask
from itsdangerous_rs.flask import SecureCookieSessionInterface

KEY = "dev"
#: Flask's MAX_COOKIE_SIZE: above it Werkzeug warns, and browsers drop the cookie.
BROWSER_COOKIE_LIMIT = 4093


class _CustomTag(flask.json.tag.JSONTag):
    """A registered tag sends the interface down the stock path."""

    key = " custom"

    def check(self, value):
        return isinstance(value, complex)

    def to_json(self, value):
        return [value.real, value.imag]

    def to_python(self, value):
        return complex(*value)


class _OwnSerializerInterface(SecureCookieSessionInterface):
    """An overridden get_signing_serializer also sends it down the stock path."""

    def get_signing_serializer(self, app):
        return itsdangerous.URLSafeTimedSerializer(
            app.secret_key, salt=self.salt, serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )


def _ours_fast() -> SecureCookieSessionInterface:
    return SecureCookieSessionInterface()


def _ours_custom_tag() -> SecureCookieSessionInterface:
    interface = SecureCookieSessionInterface()
    interface.serializer = flask.json.tag.TaggedJSONSerializer()
    interface.serializer.register(_CustomTag, index=0)
    return interface


INTERFACES = {"rust path": _ours_fast, "custom tag (stock path)": _ours_custom_tag, "own serializer (stock path)": _OwnSerializerInterface}


def make_app(interface) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = KEY
    app.session_interface = interface

    @app.get("/read")
    def read():
        return {"session": dict(flask.session)}

    @app.get("/write/<int:size>")
    def write(size):
        flask.session["report"] = "-" * size
        return "ok"

    @app.get("/count")
    def count():
        flask.session["n"] = flask.session.get("n", 0) + 1
        return {"n": flask.session["n"]}

    return app


def signed(payload: bytes) -> str:
    """A session cookie with a correct signature around any payload."""
    app = make_app(flask.sessions.SecureCookieSessionInterface())
    with app.app_context():
        return app.session_interface.get_signing_serializer(app).make_signer().sign(payload).decode("ascii")


def b64(data: bytes) -> bytes:
    return base64_encode(data)


def good_cookie() -> str:
    app = make_app(flask.sessions.SecureCookieSessionInterface())
    with app.app_context():
        return app.session_interface.get_signing_serializer(app).dumps({"user": "alice", "n": 3})


UNUSABLE = {
    "tampered signature": lambda: good_cookie()[:-3] + "AAA",
    "truncated": lambda: good_cookie()[:25],
    "bad base64": lambda: signed(b"!!!!"),
    "bad zlib": lambda: signed(b"." + b64(b"not a zlib stream")),
    "bad JSON": lambda: signed(b64(b'{"a":')),
    "bad JSON, compressed": lambda: signed(b"." + b64(zlib.compress(b'{"a":' * 50))),
    "bad tag (bytes)": lambda: signed(b64(b'{"x":{" b":"a"}}')),
    "bad tag (uuid)": lambda: signed(b64(b'{"x":{" u":"zz"}}')),
    "JSON list": lambda: signed(b64(b"[1,2]")),
    "JSON string": lambda: signed(b64(b'"abc"')),
    "JSON number": lambda: signed(b64(b"1")),
    "over the cap": lambda: signed(b"." + b64(zlib.compress(b'{"k":"' + b"a" * (8 << 20) + b'"}', 9))),
}
#: Where the stock serializer code reads a cookie there is no cap (as in stock).
NO_CAP = {"custom tag (stock path)", "own serializer (stock path)"}


@pytest.mark.parametrize("interface", list(INTERFACES))
@pytest.mark.parametrize("label", list(UNUSABLE))
def test_unusable_cookie_opens_an_empty_session(interface, label):
    app = make_app(INTERFACES[interface]())
    client = app.test_client()
    client.set_cookie("session", UNUSABLE[label]())
    response = client.get("/read")
    assert response.status_code == 200, response.text
    if label == "over the cap" and interface in NO_CAP:
        assert len(response.json["session"]["k"]) == 8 << 20
        return
    assert response.json == {"session": {}}
    # And the request after it starts a fresh session rather than failing again.
    client.set_cookie("session", UNUSABLE[label]())
    assert client.get("/count").json == {"n": 1}
    assert client.get("/count").json == {"n": 2}


@pytest.mark.parametrize("label", list(UNUSABLE))
def test_open_session_never_raises(label):
    app = make_app(_ours_fast())
    with app.test_request_context(headers={"Cookie": f"session={UNUSABLE[label]()}"}):
        session = app.session_interface.open_session(app, flask.request)
    assert type(session) is flask.sessions.SecureCookieSession
    assert dict(session) == {}


def test_a_list_of_pairs_is_served_as_stock_serves_it():
    """``dict([["a", 1]])`` works, so stock serves this cookie; so do we."""
    cookie = signed(b64(b'[["a",1]]'))
    for interface in (flask.sessions.SecureCookieSessionInterface(), _ours_fast(), _ours_custom_tag()):
        client = make_app(interface).test_client()
        client.set_cookie("session", cookie)
        assert client.get("/read").json == {"session": {"a": 1}}


def test_large_session_written_is_read_back_as_stock_reads_it():
    """The report: a 1.2 MB session in a ~1.8 KB cookie. Stock serves it; so must we."""
    import datetime

    from freezegun import freeze_time

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cookies = {}
    for name, interface in (("stock", flask.sessions.SecureCookieSessionInterface()), ("ours", _ours_fast())):
        client = make_app(interface).test_client()
        with freeze_time(now):  # both cookies stamped in the same second
            assert client.get("/write/1200000").status_code == 200
        cookie = client.get_cookie("session").value
        assert len(cookie) < 2000
        response = client.get("/read")
        assert response.status_code == 200
        assert response.json["session"]["report"] == "-" * 1_200_000
        cookies[name] = cookie
    assert cookies["stock"] == cookies["ours"]


def _fullest_browser_cookie() -> str:
    """A signed cookie at most BROWSER_COOKIE_LIMIT long whose payload inflates the most.

    Level-9 zlib of one repeated byte comes close to deflate's ~1032:1 limit.
    """
    low, high = 1, 8 << 20
    best = None
    while low <= high:
        n = (low + high) // 2
        cookie = signed(b"." + b64(zlib.compress(b'{"k":"' + b"a" * n + b'"}', 9)))
        if len(f"session={cookie}; Path=/; HttpOnly") <= BROWSER_COOKIE_LIMIT:
            best, low = (n, cookie), n + 1
        else:
            high = n - 1
    assert best is not None
    return best[1]


def test_the_cap_is_above_anything_a_browser_cookie_carries():
    cookie = _fullest_browser_cookie()
    inflated = len(zlib.decompress(itsdangerous.encoding.base64_decode(cookie.split(".")[1])))
    assert inflated > 2 << 20  # the search really filled the cookie
    assert inflated < SecureCookieSessionInterface.max_decompressed_size
    for interface in (flask.sessions.SecureCookieSessionInterface(), _ours_fast()):
        client = make_app(interface).test_client()
        client.set_cookie("session", cookie)
        assert len(client.get("/read").json["session"]["k"]) == inflated - len('{"k":""}')


class _OwnResponse(flask.Response):
    """A response class of its own sends save_session down the stock path (the serializer stays ours)."""

    def set_cookie(self, *args, **kwargs):
        super().set_cookie(*args, **kwargs)


@pytest.mark.parametrize("response_class", [flask.Response, _OwnResponse])
def test_never_writes_a_cookie_it_would_refuse(response_class):
    """A session whose JSON passes the cap is refused at write time, with a clear error."""
    iface = _ours_fast()
    iface.max_decompressed_size = 100_000
    app = make_app(iface)
    app.response_class = response_class
    app.testing = True  # the error reaches the test rather than becoming a 500
    client = app.test_client()
    assert client.get("/write/90000").status_code == 200  # under the cap: written and read back
    assert len(client.get("/read").json["session"]["report"]) == 90_000
    with pytest.raises(ValueError, match="max_decompressed_size"):
        client.get("/write/200000")
    assert len(client.get("/read").json["session"]["report"]) == 90_000  # the old cookie stays


def test_default_cap_refuses_only_what_no_browser_keeps():
    app = make_app(_ours_fast())
    with app.test_request_context():
        session = app.session_interface.session_class({"x": "-" * (5 << 20)})
        session.modified = True
        with pytest.raises(ValueError, match="max_decompressed_size"):
            app.session_interface.save_session(app, session, app.response_class())


@pytest.mark.parametrize("interface", ["custom tag (stock path)", "own serializer (stock path)"])
def test_no_cap_where_stock_code_reads(interface):
    """Where the stock serializer code inflates there is no cap, so nothing is refused on either side."""
    iface = INTERFACES[interface]()
    iface.max_decompressed_size = 100_000
    client = make_app(iface).test_client()
    assert client.get("/write/200000").status_code == 200
    assert len(client.get("/read").json["session"]["report"]) == 200_000


def test_over_cap_payload_error_names_no_private_class():
    """The serializers still refuse a bomb, with stock's message and no private name in the traceback."""
    serializer = itsdangerous_rs.URLSafeSerializer("k")
    limit = serializer.max_decompressed_size
    token = serializer.make_signer().sign(b"." + b64(zlib.compress(b'"' + b"a" * limit + b'"', 9)))
    with pytest.raises(itsdangerous.BadPayload) as info:
        serializer.loads(token)
    assert str(info.value) == "Could not zlib decompress the payload before decoding the payload"
    assert type(info.value.original_error) is ValueError
    text = "".join(traceback.format_exception(type(info.value), info.value, info.value.__traceback__))
    assert "_core" not in text and "PayloadTooLarge" not in text, text
    assert "max_decompressed_size" in text
