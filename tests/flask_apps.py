"""A small, realistic Flask app for the real-component tests.

``make_app(interface_cls)`` builds an app that uses real Flask-Login (login
form, ``login_required`` pages, remember-me, logout) and real Flask-WTF
(``CSRFProtect`` on every POST plus ``FlaskForm`` forms), with
``app.session_interface`` set to an instance of ``interface_cls``.  The tests
build it once with Flask's stock ``SecureCookieSessionInterface`` and once with
``itsdangerous_rs.flask.SecureCookieSessionInterface`` and expect identical
behaviour.

Nothing here is a test; the helpers only parse pages and decode cookies.
"""

from __future__ import annotations

import html
import re
from typing import Any, Optional
from urllib.parse import urlsplit

import flask.sessions
from flask import Flask, flash, redirect, render_template_string, request, session, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

SECRET_KEY = "itsdangerous-rs test secret: not for production"

# The one user the app knows about.
USERS = {"alice": {"password": "wonderland", "name": "Alice Liddell"}}

STOCK_INTERFACE = flask.sessions.SecureCookieSessionInterface


def load_interface(name: str) -> type:
    """The session interface class a test parameter names.

    ``"stock"`` is Flask's own class; ``"rs"`` is ours; ``"encrypted"`` is
    our ``EncryptedSessionInterface``.  Ours is imported
    plainly so that a missing or broken ``itsdangerous_rs.flask`` makes every
    ``rs`` test fail loudly instead of being skipped.
    """
    if name == "stock":
        return STOCK_INTERFACE
    if name == "rs":
        try:
            from itsdangerous_rs.flask import SecureCookieSessionInterface
        except ImportError as exc:  # pragma: no cover - only when the package is broken
            raise AssertionError(
                "itsdangerous_rs.flask.SecureCookieSessionInterface is not importable "
                f"({exc!r}); the real-component tests need it"
            ) from exc
        return SecureCookieSessionInterface
    if name == "encrypted":
        from itsdangerous_rs.flask import EncryptedSessionInterface

        return EncryptedSessionInterface
    raise ValueError(f"unknown session interface {name!r}")


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id
        self.name = USERS[user_id]["name"]


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Remember me")
    submit = SubmitField("Log in")


class NoteForm(FlaskForm):
    text = StringField("Note", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Add note")


class LogoutForm(FlaskForm):
    """No fields but the CSRF token: logging out is a protected POST."""

    submit = SubmitField("Log out")


LAYOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }} - itsdangerous-rs demo</title></head>
<body>
<nav>
  <a id="nav-home" href="{{ url_for('index') }}">Home</a>
  {% if current_user.is_authenticated %}
    <a id="nav-dashboard" href="{{ url_for('dashboard') }}">Dashboard</a>
    <a id="nav-profile" href="{{ url_for('profile') }}">Profile</a>
    <a id="nav-notes" href="{{ url_for('notes') }}">Notes</a>
    <form id="logout-form" method="post" action="{{ url_for('logout') }}" style="display:inline">
      {{ logout_form.csrf_token }}{{ logout_form.submit(id="logout") }}
    </form>
  {% else %}
    <a id="nav-login" href="{{ url_for('login') }}">Log in</a>
  {% endif %}
</nav>
{% for message in get_flashed_messages() %}<p class="flash">{{ message }}</p>{% endfor %}
<main>{{ body|safe }}</main>
</body></html>
"""

INDEX = """<h1>Welcome</h1>
{% if current_user.is_authenticated %}<p id="who">Signed in as {{ current_user.id }}</p>
{% else %}<p id="who">Not signed in</p>{% endif %}"""

LOGIN = """<h1>Log in</h1>
<form id="login-form" method="post">
  {{ form.csrf_token }}
  <label>{{ form.username.label }} {{ form.username(id="username") }}</label>
  <label>{{ form.password.label }} {{ form.password(id="password") }}</label>
  <label>{{ form.remember(id="remember") }} {{ form.remember.label }}</label>
  {{ form.submit(id="login-submit") }}
</form>
{% if error %}<p id="error">{{ error }}</p>{% endif %}"""

DASHBOARD = """<h1>Dashboard</h1>
<p id="greeting">Hello {{ current_user.name }}</p>
<p id="visits">Dashboard visits this session: {{ visits }}</p>"""

PROFILE = """<h1>Profile</h1>
<p id="user-id">{{ current_user.id }}</p>
<p id="fresh">fresh={{ fresh }}</p>"""

NOTES = """<h1>Notes</h1>
<ul id="notes">{% for note in notes %}<li>{{ note }}</li>{% endfor %}</ul>
<form id="note-form" method="post">
  {{ form.csrf_token }}
  {{ form.text(id="note-text") }}
  {{ form.submit(id="note-submit") }}
</form>"""


def make_app(interface_cls: type, **config: Any) -> Flask:
    """Build the demo app with ``app.session_interface = interface_cls()``.

    ``config`` overrides Flask config keys (``SECRET_KEY``,
    ``SECRET_KEY_FALLBACKS``, ``SESSION_COOKIE_*``, ...).
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        # The default is 1 hour; the tests never wait that long.
        WTF_CSRF_TIME_LIMIT=3600,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config)
    app.session_interface = interface_cls()

    CSRFProtect(app)

    login_manager = LoginManager(app)
    login_manager.login_view = "login"
    login_manager.login_message = "Please log in to access this page."

    @login_manager.user_loader
    def load_user(user_id: str) -> Optional[User]:
        return User(user_id) if user_id in USERS else None

    def page(title: str, body_template: str, **context: Any) -> str:
        body = render_template_string(body_template, **context)
        logout_form = LogoutForm() if current_user.is_authenticated else None
        return render_template_string(LAYOUT, title=title, body=body, logout_form=logout_form)

    def safe_next(target: Optional[str]) -> Optional[str]:
        # Only same-site relative paths, as Flask-Login's docs ask.
        if not target:
            return None
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not target.startswith("/"):
            return None
        return target

    @app.route("/")
    def index():
        return page("Home", INDEX)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if current_user.is_authenticated:
            return redirect(url_for("dashboard"))
        form = LoginForm()
        error = None
        if form.validate_on_submit():
            record = USERS.get(form.username.data)
            if record is not None and record["password"] == form.password.data:
                login_user(User(form.username.data), remember=form.remember.data)
                session["visits"] = 0
                flash("Logged in.")
                return redirect(safe_next(request.args.get("next")) or url_for("dashboard"))
            error = "Invalid username or password."
        status = 401 if error else 200
        return page("Log in", LOGIN, form=form, error=error), status

    @app.route("/dashboard")
    @login_required
    def dashboard():
        # Modifies the session on every visit, so the cookie is re-issued.
        session["visits"] = session.get("visits", 0) + 1
        return page("Dashboard", DASHBOARD, visits=session["visits"])

    @app.route("/profile")
    @login_required
    def profile():
        # Reads the session only: no new cookie is issued.
        return page("Profile", PROFILE, fresh=session.get("_fresh"))

    @app.route("/notes", methods=["GET", "POST"])
    @login_required
    def notes():
        form = NoteForm()
        if form.validate_on_submit():
            session["notes"] = session.get("notes", []) + [form.text.data]
            flash("Note saved.")
            return redirect(url_for("notes"))
        return page("Notes", NOTES, form=form, notes=session.get("notes", []))

    @app.route("/logout", methods=["POST"])
    def logout():
        if LogoutForm().validate_on_submit():
            logout_user()
            # Drop this user's app data and CSRF token too, so the session ends
            # up empty and the cookie is deleted.  Keep Flask-Login's
            # "_remember" = "clear" instruction: its after_request hook reads
            # it to delete the remember-me cookie.
            for key in [k for k in session if k != "_remember"]:
                session.pop(key)
        return redirect(url_for("index"))

    return app


# --- helpers for the tests -------------------------------------------------

_CSRF_RE = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]*)"')


def csrf_token_from(page_html: str) -> str:
    """The first CSRF token rendered in a page."""
    match = _CSRF_RE.search(page_html)
    assert match is not None, "no csrf_token field in the page"
    return html.unescape(match.group(1))


def stock_serializer(secret_key: str = SECRET_KEY, fallbacks: Optional[list] = None):
    """Flask's stock signing serializer, independent of the interface under test."""
    app = Flask("decoder")
    app.config.update(SECRET_KEY=secret_key, SECRET_KEY_FALLBACKS=list(fallbacks or []))
    return STOCK_INTERFACE().get_signing_serializer(app)


def decode_session_cookie(value: str, secret_key: str = SECRET_KEY) -> dict:
    """Verify and decode a session cookie with stock code: Flask's signing
    serializer, or for an encrypted one (no ".") cryptography's Fernet with the
    documented HKDF key and Flask's tagged JSON."""
    if "." in value:
        return dict(stock_serializer(secret_key).loads(value))
    import base64

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from flask.json.tag import TaggedJSONSerializer

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"itsdangerous_rs.flask.EncryptedSessionInterface",
                info=b"Fernet session key v1")
    key = base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))
    with Flask("decoder").app_context():  # Flask's JSON provider, as in a request
        return dict(TaggedJSONSerializer().loads(Fernet(key).decrypt(value).decode("utf-8")))
