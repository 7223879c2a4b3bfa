"""itsdangerous_rs.patch() / unpatch(): every itsdangerous user gets the
engine with no code change, byte-identical, and unpatch() restores stock
exactly."""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import flask
import flask.sessions
import itsdangerous
import pytest

import itsdangerous_rs
from itsdangerous_rs import _patch

NOW = 1_700_000_000.5
MODULES = [importlib.import_module(name) for name in _patch.ITSDANGEROUS_MODULES]


@pytest.fixture(autouse=True)
def always_unpatched():
    assert not _patch.is_patched()
    yield
    itsdangerous_rs.unpatch()


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


def snapshot() -> dict:
    """Every attribute of every module patch() may touch, by identity."""
    modules = MODULES + [sys.modules[name] for name in _patch.KNOWN_IMPORTERS if name in sys.modules]
    return {(module.__name__, key): value for module in modules for key, value in vars(module).items()}


def test_patch_replaces_the_six_classes_everywhere_and_unpatch_restores_exactly():
    pytest.importorskip("flask_wtf")
    import flask_wtf.csrf

    before = snapshot()
    itsdangerous_rs.patch()
    for module in MODULES:
        for name in _patch.CLASS_NAMES:
            if name in vars(module):
                assert getattr(module, name) is getattr(itsdangerous_rs, name), (module.__name__, name)
    assert itsdangerous.URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer
    assert flask.sessions.URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer
    assert flask_wtf.csrf.URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer
    # Names that are not the six classes are untouched.
    changed = {key for key, value in snapshot().items() if before.get(key) is not value}
    assert {name for _, name in changed} == set(_patch.CLASS_NAMES)

    itsdangerous_rs.patch()  # idempotent: the originals recorded stay stock's
    itsdangerous_rs.unpatch()
    after = snapshot()
    assert after.keys() == before.keys()
    assert all(after[key] is before[key] for key in before)
    itsdangerous_rs.unpatch()  # a second unpatch is a no-op
    assert all(snapshot()[key] is before[key] for key in before)


def test_patch_leaves_foreign_replacements_alone():
    class Mine(itsdangerous.Signer):
        pass

    original = itsdangerous.signer.Signer
    itsdangerous.signer.Signer = Mine
    try:
        itsdangerous_rs.patch()
        assert itsdangerous.signer.Signer is Mine
        assert itsdangerous.Signer is itsdangerous_rs.Signer
        itsdangerous_rs.unpatch()
        assert itsdangerous.signer.Signer is Mine
    finally:
        itsdangerous.signer.Signer = original


def test_classes_and_isinstance_under_patch(frozen_clock):
    stock_token = itsdangerous.URLSafeTimedSerializer("k", salt="s").dumps({"a": [1, "é"]})
    stock_instance = itsdangerous.URLSafeTimedSerializer("k")
    itsdangerous_rs.patch()
    serializer = itsdangerous.URLSafeTimedSerializer("k", salt="s")
    assert type(serializer) is itsdangerous_rs.URLSafeTimedSerializer
    assert serializer.dumps({"a": [1, "é"]}) == stock_token
    assert serializer.loads(stock_token, max_age=10) == {"a": [1, "é"]}
    # Ours subclass stock's: checks against stock's classes still hold...
    assert isinstance(serializer, itsdangerous.url_safe.URLSafeTimedSerializer.__mro__[1])
    assert isinstance(serializer, itsdangerous.serializer.Serializer)
    assert isinstance(serializer.make_signer(), itsdangerous.timed.TimestampSigner)
    # ...while a stock instance made before patch() is not one of ours.
    assert not isinstance(stock_instance, itsdangerous.URLSafeTimedSerializer)
    assert itsdangerous.TimedSerializer.default_signer is itsdangerous_rs.TimestampSigner


def flask_app():
    app = flask.Flask(__name__)
    app.secret_key = "flask secret"
    app.config["SECRET_KEY_FALLBACKS"] = ["old secret"]

    @app.route("/set")
    def set_session():
        flask.session["user"] = {"id": 42, "name": "Zoë"}
        flask.session["tagged"] = ("a", b"b")
        return "ok"

    @app.route("/get")
    def get_session():
        return flask.jsonify(user=flask.session.get("user"), tagged=repr(flask.session.get("tagged")))

    return app


def test_stock_flask_session_interface_is_byte_identical_under_patch(frozen_clock):
    app = flask_app()
    assert type(app.session_interface) is flask.sessions.SecureCookieSessionInterface
    stock_cookie = app.test_client().get("/set").headers["Set-Cookie"]
    itsdangerous_rs.patch()
    with app.app_context():
        serializer = app.session_interface.get_signing_serializer(app)
    assert type(serializer) is itsdangerous_rs.URLSafeTimedSerializer
    patched_cookie = app.test_client().get("/set").headers["Set-Cookie"]
    assert patched_cookie == stock_cookie
    client = app.test_client()
    client.set_cookie("session", stock_cookie.split(";")[0].split("=", 1)[1])
    assert client.get("/get").json == {"user": {"id": 42, "name": "Zoë"}, "tagged": "('a', b'b')"}


def test_flask_wtf_csrf_tokens_cross_under_patch(frozen_clock):
    pytest.importorskip("flask_wtf")
    import flask_wtf.csrf
    from flask_wtf.csrf import generate_csrf
    from flask_wtf.csrf import validate_csrf

    app = flask.Flask(__name__)
    app.secret_key = "wtf secret"

    def token() -> str:
        with app.test_request_context():
            flask.session["csrf_token"] = "0123456789abcdef0123456789abcdef01234567"
            return generate_csrf()

    def valid(value: str) -> bool:
        with app.test_request_context():
            flask.session["csrf_token"] = "0123456789abcdef0123456789abcdef01234567"
            validate_csrf(value)  # raises ValidationError when not
            return True

    stock_token = token()
    itsdangerous_rs.patch()
    assert flask_wtf.csrf.URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer
    patched_token = token()
    assert patched_token == stock_token
    assert valid(stock_token)
    itsdangerous_rs.unpatch()
    assert flask_wtf.csrf.URLSafeTimedSerializer is not itsdangerous_rs.URLSafeTimedSerializer
    assert valid(patched_token)


def test_stock_starlette_middleware_under_patch(frozen_clock):
    pytest.importorskip("starlette")
    from starlette.middleware.sessions import SessionMiddleware

    def run(cookie: bytes | None) -> tuple[list, dict]:
        sent, seen = [], []

        async def app(scope, receive, send):
            seen.append(dict(scope["session"]))
            scope["session"]["n"] = scope["session"].get("n", 0) + 1
            await send({"type": "http.response.start", "status": 200, "headers": []})

        async def send(message):
            sent.append(message)

        middleware = SessionMiddleware(app, secret_key="starlette secret")
        headers = [(b"cookie", cookie)] if cookie else []
        asyncio.run(middleware({"type": "http", "headers": headers}, None, send))
        return sent[0]["headers"], seen[0], type(middleware.signer)

    stock_headers, _, stock_signer = run(None)
    itsdangerous_rs.patch()
    patched_headers, _, patched_signer = run(None)
    assert patched_signer is itsdangerous_rs.TimestampSigner and stock_signer is not patched_signer
    assert patched_headers == stock_headers
    cookie = dict(stock_headers)[b"set-cookie"].split(b";")[0]
    assert run(cookie)[1] == {"n": 1}


def run_python(code: str, env_extra: dict, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("ITSDANGEROUS_RS_PATCH", "PYTHONPATH")}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


CHECK_EARLY_IMPORT = textwrap.dedent(
    """
    from itsdangerous import URLSafeTimedSerializer  # bound at the app's first import
    import itsdangerous_rs
    print(URLSafeTimedSerializer is itsdangerous_rs.URLSafeTimedSerializer)
    """
)


def test_sitecustomize_recipe_patches_before_the_app_imports(tmp_path):
    assert run_python(CHECK_EARLY_IMPORT, {}, tmp_path) == "False"
    (tmp_path / "sitecustomize.py").write_text("import itsdangerous_rs\nitsdangerous_rs.patch()\n")
    assert run_python(CHECK_EARLY_IMPORT, {"PYTHONPATH": str(tmp_path)}, tmp_path) == "True"


def installed_pth() -> Path | None:
    for key in ("purelib", "platlib"):
        path = Path(sysconfig.get_paths()[key]) / "itsdangerous_rs_patch.pth"
        if path.exists():
            return path
    return None


def test_pth_file_ships_in_the_package_source():
    pth = Path(__file__).parent.parent / "itsdangerous_rs.data" / "purelib" / "itsdangerous_rs_patch.pth"
    lines = pth.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("import ")
    assert 'os.environ.get("ITSDANGEROUS_RS_PATCH") == "1"' in lines[0]


def test_pth_line_patches_when_site_processes_it(tmp_path):
    """The shipped .pth run by ``site.addsitedir``, the code that runs every
    site-packages .pth at interpreter start (an editable install has no copy
    in site-packages; a wheel install does, see the next test)."""
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    source = Path(__file__).parent.parent / "itsdangerous_rs.data" / "purelib" / "itsdangerous_rs_patch.pth"
    (site_dir / source.name).write_text(source.read_text())
    code = f"import site; site.addsitedir({str(site_dir)!r})\n" + CHECK_EARLY_IMPORT
    assert run_python(code, {}, tmp_path) == "False"
    assert run_python(code, {"ITSDANGEROUS_RS_PATCH": "0"}, tmp_path) == "False"
    assert run_python(code, {"ITSDANGEROUS_RS_PATCH": "1"}, tmp_path) == "True"


@pytest.mark.skipif(installed_pth() is None, reason="itsdangerous_rs_patch.pth not installed (editable install)")
def test_environment_variable_patches_at_interpreter_start(tmp_path):
    assert run_python(CHECK_EARLY_IMPORT, {}, tmp_path) == "False"
    assert run_python(CHECK_EARLY_IMPORT, {"ITSDANGEROUS_RS_PATCH": "0"}, tmp_path) == "False"
    assert run_python(CHECK_EARLY_IMPORT, {"ITSDANGEROUS_RS_PATCH": "1"}, tmp_path) == "True"
