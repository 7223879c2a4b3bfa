"""The pure-Rust core's own tests (`cargo test`), as part of the suite."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_cargo_test_core():
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed; the core's Rust tests need it")
    proc = subprocess.run(
        ["cargo", "test", "--release", "--quiet", "-p", "itsdangerous-core"], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "test result: ok" in proc.stdout


def _run_example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["cargo", "run", "--quiet", "-p", "itsdangerous-core", "--example", "flask_cookie", "--", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize("interface", ["stock", "rs"])
def test_core_example_shares_cookies_with_flask(interface):
    """The core's example reads a Flask session cookie and writes one Flask opens."""
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed; the core's example needs it")
    from flask import Flask, session
    from flask.sessions import SecureCookieSessionInterface as Stock

    from itsdangerous_rs.flask import SecureCookieSessionInterface as Ours

    app = Flask(__name__)
    app.secret_key = "shared between Rust and Python"
    app.session_interface = Stock() if interface == "stock" else Ours()

    @app.get("/set")
    def set_session():
        session["user_id"] = "7"
        session["é"] = [1, 2.5, None]
        return ""

    @app.get("/get")
    def get_session():
        return dict(session)

    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value
    read = _run_example(app.secret_key, cookie)
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == '{"user_id":"7","\\u00e9":[1,2.5,null]}'

    written = _run_example(app.secret_key)
    assert written.returncode == 0, written.stderr
    client.set_cookie("session", written.stdout.strip())
    assert client.get("/get").json == {"user_id": "42"}

    refused = _run_example("another key", cookie)
    assert refused.returncode == 1 and "BadSignature" in refused.stderr
