"""Real Flask-Login and Flask-WTF on top of each session interface.

Every behaviour test runs twice: with Flask's stock
``SecureCookieSessionInterface`` and with ``itsdangerous_rs.flask``'s.  The
cross-compatibility tests pass cookies between an app using one and an app
using the other.  Session cookies are decoded with the stock serializer, so
what is on the wire is checked independently of the interface under test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from email.utils import parsedate_to_datetime

import pytest
from itsdangerous import BadSignature
from markupsafe import Markup

from flask import session
from flask_apps import (
    SECRET_KEY,
    csrf_token_from,
    decode_session_cookie,
    load_interface,
    make_app,
    stock_serializer,
)

INTERFACES = ["stock", "rs"]  # signed: byte-identical cookies
# The flows run with the encrypted interface too.
FLOW_INTERFACES = INTERFACES + ["encrypted"]


@pytest.fixture(params=FLOW_INTERFACES)
def iface(request):
    return load_interface(request.param)


@pytest.fixture(params=INTERFACES)
def signed_iface(request):
    return load_interface(request.param)


@pytest.fixture
def app(iface):
    app = make_app(iface)
    assert isinstance(app.session_interface, iface)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def session_cookie(client, name="session"):
    cookie = client.get_cookie(name)
    return None if cookie is None else cookie.value


def set_cookie_headers(response, name):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


def login(client, username="alice", password="wonderland", remember=False, next_url=None):
    url = "/login" if next_url is None else f"/login?next={next_url}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "username": username, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post(url, data=data)


# --- Flask-Login ----------------------------------------------------------------


def test_protected_page_redirects_anonymous_user(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fdashboard"
    # Flask-Login flashed its message into the session.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please log in to access this page." in page


def test_login_keeps_user_across_protected_pages(client):
    response = login(client, next_url="/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"

    headers = set_cookie_headers(response, "session")
    assert len(headers) == 1
    attrs = [a.strip() for a in headers[0].split(";")]
    assert "HttpOnly" in attrs and "Path=/" in attrs and "SameSite=Lax" in attrs
    assert not any(a.startswith("Expires=") for a in attrs)  # not a permanent session

    data = decode_session_cookie(session_cookie(client))
    assert data["_user_id"] == "alice"
    assert data["_fresh"] is True
    assert data["visits"] == 0
    assert "csrf_token" in data

    profile = client.get("/profile")
    assert profile.status_code == 200
    assert '<p id="user-id">alice</p>' in profile.get_data(as_text=True)
    assert "fresh=True" in profile.get_data(as_text=True)

    for expected_visits in (1, 2, 3):
        dashboard = client.get("/dashboard")
        assert dashboard.status_code == 200
        text = dashboard.get_data(as_text=True)
        assert "Hello Alice Liddell" in text
        assert f"Dashboard visits this session: {expected_visits}" in text
        # The dashboard modifies the session, so the cookie is re-issued.
        assert len(set_cookie_headers(dashboard, "session")) == 1
        assert decode_session_cookie(session_cookie(client))["visits"] == expected_visits

    # A read-only page re-issues nothing, but says the response varies by cookie.
    profile = client.get("/profile")
    assert profile.status_code == 200
    assert set_cookie_headers(profile, "session") == []
    assert "Cookie" in profile.headers.get("Vary", "")


def test_wrong_password_is_rejected(client):
    response = login(client, password="not-the-password")
    assert response.status_code == 401
    assert "Invalid username or password." in response.get_data(as_text=True)
    assert "_user_id" not in decode_session_cookie(session_cookie(client))
    assert client.get("/dashboard").status_code == 302


def test_remember_me_restores_login_without_session_cookie(client):
    response = login(client, remember=True)
    assert response.status_code == 302
    assert len(set_cookie_headers(response, "remember_token")) == 1
    assert client.get_cookie("remember_token") is not None
    assert client.get("/dashboard").status_code == 200

    # The browser loses the session cookie (closed and reopened, say).
    client.delete_cookie("session")
    assert session_cookie(client) is None

    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "Hello Alice Liddell" in response.get_data(as_text=True)
    # Flask-Login wrote the restored, non-fresh login into a new session cookie.
    data = decode_session_cookie(session_cookie(client))
    assert data["_user_id"] == "alice"
    assert data["_fresh"] is False
    assert "fresh=False" in client.get("/profile").get_data(as_text=True)


def test_without_remember_me_dropping_session_cookie_logs_out(client):
    login(client)
    assert client.get("/dashboard").status_code == 200
    assert client.get_cookie("remember_token") is None
    client.delete_cookie("session")
    assert client.get("/dashboard").status_code == 302


def test_logout_clears_session_and_remember_cookies(client):
    login(client, remember=True)
    page = client.get("/dashboard").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    # The session is empty, so the interface deletes its cookie; Flask-Login
    # deletes the remember-me cookie.
    (deletion,) = set_cookie_headers(response, "session")
    assert deletion.startswith("session=;")
    assert "Max-Age=0" in deletion and "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in deletion
    assert len(set_cookie_headers(response, "remember_token")) == 1
    assert client.get_cookie("session") is None
    assert client.get_cookie("remember_token") is None

    assert "Not signed in" in client.get("/").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize("part", ["payload", "timestamp", "signature"])
def test_tampered_session_cookie_is_ignored(client, part):
    login(client)
    value = session_cookie(client)
    if "." not in value:
        # A Fernet token: version+timestamp, IV+ciphertext, then the tag.
        at = {"timestamp": 8, "payload": 60, "signature": len(value) - 12}[part]
        tampered = value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]
        client.set_cookie("session", tampered)
        response = client.get("/dashboard")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        return
    payload, timestamp, signature = value.rsplit(".", 2)
    pieces = {"payload": payload, "timestamp": timestamp, "signature": signature}
    # Change the first base64 character of the part: unlike the last one, all
    # of its bits are significant, so the decoded bytes really change.
    text = pieces[part]
    i = 1 if text.startswith(".") else 0  # skip the compression marker
    pieces[part] = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    tampered = ".".join([pieces["payload"], pieces["timestamp"], pieces["signature"]])
    assert tampered != value
    client.set_cookie("session", tampered)
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- Flask-WTF --------------------------------------------------------------------


def test_form_get_stores_csrf_token_in_session(app, client):
    assert session_cookie(client) is None
    response = client.get("/login")
    assert response.status_code == 200
    form_token = csrf_token_from(response.get_data(as_text=True))

    # On the wire (decoded by the stock serializer)...
    raw = decode_session_cookie(session_cookie(client))["csrf_token"]
    assert isinstance(raw, str) and len(raw) == 40
    # ...and as the interface under test reads it back.
    with client.session_transaction() as sess:
        assert sess["csrf_token"] == raw
    # The form token is the session token, signed.
    from flask_wtf.csrf import validate_csrf

    with app.test_request_context():
        session["csrf_token"] = raw
        validate_csrf(form_token)  # raises on failure

    # A second GET reuses the same session token.
    client.get("/login")
    assert decode_session_cookie(session_cookie(client))["csrf_token"] == raw


def test_form_post_with_token_succeeds(client):
    login(client)
    token = csrf_token_from(client.get("/notes").get_data(as_text=True))
    for text in ("first note", "second <note> & more"):
        response = client.post("/notes", data={"csrf_token": token, "text": text})
        assert response.status_code == 302
        assert response.headers["Location"] == "/notes"
    page = client.get("/notes").get_data(as_text=True)
    assert "<li>first note</li>" in page
    assert "<li>second &lt;note&gt; &amp; more</li>" in page
    assert decode_session_cookie(session_cookie(client))["notes"] == [
        "first note",
        "second <note> & more",
    ]


def _other_session_token():
    other = make_app(load_interface("stock")).test_client()
    return csrf_token_from(other.get("/login").get_data(as_text=True))


@pytest.mark.parametrize("bad_token", ["missing", "garbage", "other-session", "other-secret"])
def test_form_post_without_valid_token_is_400(client, bad_token):
    login(client)
    good = csrf_token_from(client.get("/notes").get_data(as_text=True))
    data = {"text": "should not be stored"}
    if bad_token == "garbage":
        head, signature = good.rsplit(".", 1)
        data["csrf_token"] = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    elif bad_token == "other-session":
        data["csrf_token"] = _other_session_token()
    elif bad_token == "other-secret":
        other = make_app(load_interface("stock"), SECRET_KEY="another secret").test_client()
        data["csrf_token"] = csrf_token_from(other.get("/login").get_data(as_text=True))
    response = client.post("/notes", data=data)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert "notes" not in decode_session_cookie(session_cookie(client))


def test_login_post_without_token_is_400(client):
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": "wonderland"})
    assert response.status_code == 400
    assert "_user_id" not in decode_session_cookie(session_cookie(client))
    assert client.get("/dashboard").status_code == 302


def test_logout_without_token_is_400_and_keeps_login(client):
    login(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200


# --- stock <-> ours ------------------------------------------------------------------

DIRECTIONS = [("stock", "rs"), ("rs", "stock")]


@pytest.mark.parametrize("issuer,verifier", DIRECTIONS, ids=["stock->rs", "rs->stock"])
def test_cookie_from_one_interface_is_accepted_by_the_other(issuer, verifier):
    source = make_app(load_interface(issuer)).test_client()
    target = make_app(load_interface(verifier)).test_client()

    login(source)
    assert source.get("/dashboard").status_code == 200  # visits = 1
    notes_token = csrf_token_from(source.get("/notes").get_data(as_text=True))

    target.set_cookie("session", session_cookie(source))
    response = target.get("/dashboard")
    assert response.status_code == 200
    assert "Hello Alice Liddell" in response.get_data(as_text=True)
    assert "Dashboard visits this session: 2" in response.get_data(as_text=True)

    # The CSRF token kept in the session by one works on the other.
    response = target.post("/notes", data={"csrf_token": notes_token, "text": "moved"})
    assert response.status_code == 302

    # And the cookie re-issued by the target goes back to the source.
    source.set_cookie("session", session_cookie(target))
    page = source.get("/notes").get_data(as_text=True)
    assert "<li>moved</li>" in page
    assert "Dashboard visits this session: 3" in source.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("issuer,verifier", DIRECTIONS, ids=["stock->rs", "rs->stock"])
def test_remember_cookie_and_session_cross_over(issuer, verifier):
    source = make_app(load_interface(issuer)).test_client()
    target = make_app(load_interface(verifier)).test_client()
    login(source, remember=True)
    target.set_cookie("remember_token", source.get_cookie("remember_token").value)
    response = target.get("/profile")
    assert response.status_code == 200
    assert "fresh=False" in response.get_data(as_text=True)
    # Now the session cookie the target issued is read by the source.
    source.delete_cookie("remember_token")
    source.set_cookie("session", session_cookie(target))
    assert "fresh=False" in source.get("/profile").get_data(as_text=True)


RICH_SESSION = {
    "_user_id": "alice",
    "_fresh": True,
    "tuple": (1, "two", 3.5),
    "bytes": b"\x00\xffbinary",
    "markup": Markup("<b>bold</b>"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "when": dt.datetime(2024, 2, 29, 12, 30, 45, tzinfo=dt.timezone.utc),
    "nested": {" t": "looks like a tag", "list": [1, {"k": None}], "unicode": "žluťoučký 🐍"},
}

COMPRESSIBLE = {"_user_id": "alice", "notes": ["the same note again"] * 50}


@pytest.mark.parametrize("data", [RICH_SESSION, COMPRESSIBLE], ids=["tagged-types", "compressed"])
def test_same_session_data_gives_same_cookie(data):
    """Byte-identical output: same data, same key, same second -> same cookie."""
    clients = {name: make_app(load_interface(name)).test_client() for name in INTERFACES}
    for _attempt in range(5):
        cookies = {}
        for name, client in clients.items():
            with client.session_transaction() as sess:
                sess.clear()
                sess.update(data)
            cookies[name] = session_cookie(client)
        stock_payload, stock_ts, _ = cookies["stock"].rsplit(".", 2)
        rs_payload, rs_ts, _ = cookies["rs"].rsplit(".", 2)
        assert rs_payload == stock_payload
        if data is COMPRESSIBLE:
            assert stock_payload.startswith(".")  # zlib-compressed
        if rs_ts == stock_ts:
            assert cookies["rs"] == cookies["stock"]
            break
    else:
        pytest.fail("never issued both cookies within the same second")
    decoded = decode_session_cookie(cookies["rs"])
    assert decoded == data
    for name, client in clients.items():
        with client.session_transaction() as sess:
            assert dict(sess) == data, name


def _cookie_attrs(header):
    """Split a Set-Cookie header into (name, set of attributes, expires)."""
    parts = [p.strip() for p in header.split(";")]
    name = parts[0].split("=", 1)[0]
    expires = None
    attrs = set()
    for part in parts[1:]:
        if part.lower().startswith("expires="):
            expires = parsedate_to_datetime(part.split("=", 1)[1])
        else:
            attrs.add(part)
    return name, attrs, expires


@pytest.mark.parametrize(
    "config",
    [
        {},
        {
            "SESSION_COOKIE_NAME": "sid",
            "SESSION_COOKIE_DOMAIN": "example.test",
            "SESSION_COOKIE_PATH": "/app",
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_PARTITIONED": True,
            "PERMANENT_SESSION_LIFETIME": dt.timedelta(days=3),
        },
    ],
    ids=["defaults", "custom"],
)
def test_set_cookie_headers_match_stock(config):
    responses = {}
    for name in INTERFACES:
        app = make_app(load_interface(name), **config)

        @app.route("/keep")
        def keep():
            session.permanent = True
            session["kept"] = True
            return "kept"

        @app.route("/forget")
        def forget():
            session.clear()
            return "forgotten"

        client = app.test_client()
        url = "https://localhost" if config else ""
        responses[name] = {path: client.get(url + path) for path in ("/login", "/keep", "/forget")}

    cookie_name = config.get("SESSION_COOKIE_NAME", "session")
    for path in ("/login", "/keep", "/forget"):
        stock = responses["stock"][path]
        ours = responses["rs"][path]
        assert ours.status_code == stock.status_code == 200
        assert ours.headers.get("Vary") == stock.headers.get("Vary")
        stock_headers = set_cookie_headers(stock, cookie_name)
        our_headers = set_cookie_headers(ours, cookie_name)
        assert len(our_headers) == len(stock_headers) == 1, path
        s_name, s_attrs, s_expires = _cookie_attrs(stock_headers[0])
        o_name, o_attrs, o_expires = _cookie_attrs(our_headers[0])
        assert (o_name, o_attrs) == (s_name, s_attrs), path
        if s_expires is None:
            assert o_expires is None
        else:
            assert abs((o_expires - s_expires).total_seconds()) <= 2, path
        if path == "/keep":
            assert s_expires is not None  # a permanent session's cookie has an expiry
            value = our_headers[0].split(";", 1)[0].split("=", 1)[1]
            assert decode_session_cookie(value)["kept"] is True


# --- SECRET_KEY_FALLBACKS ----------------------------------------------------------


@pytest.mark.parametrize("issuer", INTERFACES, ids=lambda n: f"issued-by-{n}")
def test_secret_key_rotation(signed_iface, issuer):
    iface = signed_iface
    old = make_app(load_interface(issuer), SECRET_KEY="old secret").test_client()
    login(old)
    old.get("/profile")  # shows (and so drops) the "Logged in." flash
    old_cookie = session_cookie(old)
    stock_serializer("old secret").loads(old_cookie)

    # Without the old key as a fallback the cookie is rejected.
    strict = make_app(iface, SECRET_KEY="new secret").test_client()
    strict.set_cookie("session", old_cookie)
    assert strict.get("/dashboard").status_code == 302

    rotated = make_app(
        iface, SECRET_KEY="new secret", SECRET_KEY_FALLBACKS=["older secret", "old secret"]
    ).test_client()
    rotated.set_cookie("session", old_cookie)
    response = rotated.get("/dashboard")  # modifies the session -> re-issued
    assert response.status_code == 200
    assert "Hello Alice Liddell" in response.get_data(as_text=True)

    new_cookie = session_cookie(rotated)
    assert new_cookie != old_cookie
    data = stock_serializer("new secret").loads(new_cookie)
    assert data["_user_id"] == "alice" and data["visits"] == 1
    with pytest.raises(BadSignature):
        stock_serializer("old secret").loads(new_cookie)

    # The re-issued cookie works on an app that has dropped the old key.
    strict.set_cookie("session", new_cookie)
    assert strict.get("/dashboard").status_code == 200

    # A read-only request does not re-sign: the old cookie stays old.
    rotated.set_cookie("session", old_cookie)
    response = rotated.get("/profile")
    assert response.status_code == 200
    assert set_cookie_headers(response, "session") == []


def test_default_secret_key_is_the_module_one(app):
    # Guards the decoders above: they assume the app's key.
    assert app.config["SECRET_KEY"] == SECRET_KEY


# --- the encrypted interface --------------------------------------------------------


def test_encrypted_interface_takes_over_a_signed_login_with_its_csrf_token():
    """Switching a running app to encrypted sessions logs nobody out."""
    source = make_app(load_interface("stock")).test_client()
    login(source)
    notes_token = csrf_token_from(source.get("/notes").get_data(as_text=True))
    target = make_app(load_interface("encrypted")).test_client()
    target.set_cookie("session", session_cookie(source))
    response = target.get("/profile")  # read-only, yet re-issued encrypted
    assert response.status_code == 200 and "fresh=True" in response.get_data(as_text=True)
    encrypted = session_cookie(target)
    assert "." not in encrypted and decode_session_cookie(encrypted)["_user_id"] == "alice"
    response = target.post("/notes", data={"csrf_token": notes_token, "text": "kept"})
    assert response.status_code == 302
    assert "<li>kept</li>" in target.get("/notes").get_data(as_text=True)
    # Refusing signed cookies: the old cookie no longer logs anyone in.
    strict = make_app(load_interface("encrypted"), SESSION_ACCEPT_SIGNED_COOKIES=False).test_client()
    strict.set_cookie("session", session_cookie(source))
    assert strict.get("/dashboard").status_code == 302
    # Moving back to signed sessions: the encrypted cookie opens an empty session.
    back = make_app(load_interface("rs")).test_client()
    back.set_cookie("session", encrypted)
    assert back.get("/dashboard").status_code == 302


def test_encrypted_key_rotation_with_remember_me():
    old = make_app(load_interface("encrypted"), SECRET_KEY="old secret").test_client()
    login(old, remember=True)
    old_cookie = session_cookie(old)
    rotated = make_app(
        load_interface("encrypted"), SECRET_KEY="new secret", SECRET_KEY_FALLBACKS=["old secret"]
    ).test_client()
    rotated.set_cookie("session", old_cookie)
    assert rotated.get("/dashboard").status_code == 200
    assert decode_session_cookie(session_cookie(rotated), "new secret")["visits"] == 1
    # Without the fallback the session is gone, but remember-me (signed by
    # Flask-Login with the secret key) still needs the old key too.
    strict = make_app(load_interface("encrypted"), SECRET_KEY="old secret").test_client()
    strict.set_cookie("remember_token", old.get_cookie("remember_token").value)
    assert "fresh=False" in strict.get("/profile").get_data(as_text=True)
    assert decode_session_cookie(session_cookie(strict), "old secret")["_user_id"] == "alice"
