"""The app the revocation tests drive: Flask-Login plus the recipe from docs/revocation.md.

``make_app(redis_url)`` runs the recipe's code block as written (with
``redis_url=None`` the one line that builds ``RedisRevocations`` builds
``MemoryRevocations()`` instead). Run as a script, it serves that app with
waitress (8 threads) on 127.0.0.1 and a free port, prints the port, and serves
until terminated.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Optional

from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_user

RECIPE_PATH = Path(__file__).resolve().parent.parent / "docs" / "revocation.md"
SECRET_KEY = "revocation tests"


def recipe_source() -> str:
    text = RECIPE_PATH.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match, f"no python block in {RECIPE_PATH}"
    return match.group(1)


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def make_app(redis_url: Optional[str], **revocation_options: Any) -> tuple[Flask, Any]:
    """The app and its revocations store."""
    app = Flask("revocation_app")
    app.secret_key = SECRET_KEY
    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User:
        return User(user_id)

    @app.get("/")
    def index() -> str:
        return f"user:{current_user.get_id()}" if current_user.is_authenticated else "anonymous"

    @app.post("/login/<user_id>")
    def login(user_id: str) -> str:
        login_user(User(user_id))
        session["cart"] = ["tea"]  # ordinary data beside Flask-Login's keys
        return "logged in"

    @app.get("/cart")
    def cart() -> str:
        return repr(session.get("cart"))

    @app.post("/revoke-user/<user_id>")
    def revoke_user(user_id: str) -> str:
        namespace["revocations"].revoke_user(user_id)
        return "revoked"

    source = recipe_source()
    if redis_url is None:
        store = "MemoryRevocations()"
        source = source.replace("from itsdangerous_rs.revocation import RedisRevocations", "from itsdangerous_rs.revocation import MemoryRevocations")
    else:
        store = "RedisRevocations(REDIS_URL, **OPTIONS)"
    assert "RedisRevocations(REDIS_URL)" in source
    source = source.replace("RedisRevocations(REDIS_URL)", store)
    namespace: dict[str, Any] = {"app": app, "REDIS_URL": redis_url, "OPTIONS": revocation_options}
    exec(compile(source, str(RECIPE_PATH), "exec"), namespace)  # noqa: S102 - the documented recipe
    return app, namespace["revocations"]


if __name__ == "__main__":
    from waitress.server import create_server

    options = {}
    if os.environ.get("REVOCATION_STALE_AFTER"):
        options["stale_after"] = float(os.environ["REVOCATION_STALE_AFTER"])
    app, _ = make_app(sys.argv[1], **options)
    server = create_server(app, host="127.0.0.1", port=0, threads=8, ident="revocation-test")
    print(server.effective_port, flush=True)
    server.run()
