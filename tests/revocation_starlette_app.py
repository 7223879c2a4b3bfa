"""The FastAPI app the Starlette revocation tests drive: the recipe from docs/revocation.md.

``make_app(redis_url)`` runs the recipe's block (the one importing
``SessionMiddleware``) as written, with ``redis_url=None`` building
``MemoryRevocations(user_key="user_id")`` in place of ``RedisRevocations``, and
adds the routes the tests use. ``create_app`` is the uvicorn factory
(``--factory``): its Redis URL comes from ``REVOCATION_REDIS_URL``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Optional

from fastapi import Request
from fastapi.responses import PlainTextResponse

RECIPE_PATH = Path(__file__).resolve().parent.parent / "docs" / "revocation.md"
SECRET_KEY = "starlette revocation tests"
REDIS_RECIPE_STORE = 'RedisRevocations(REDIS_URL, user_key="user_id")'


def recipe_source() -> str:
    text = RECIPE_PATH.read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "SessionMiddleware" in block]
    assert len(blocks) == 1, f"no single Starlette block in {RECIPE_PATH}"
    return blocks[0]


def make_app(redis_url: Optional[str], **revocation_options: Any) -> tuple[Any, Any]:
    """The FastAPI app and its revocations store."""
    source = recipe_source()
    assert REDIS_RECIPE_STORE in source
    if redis_url is None:
        source = source.replace(
            "from itsdangerous_rs.revocation import RedisRevocations",
            "from itsdangerous_rs.revocation import MemoryRevocations",
        ).replace(REDIS_RECIPE_STORE, 'MemoryRevocations(user_key="user_id")')
    else:
        source = source.replace(REDIS_RECIPE_STORE, 'RedisRevocations(REDIS_URL, user_key="user_id", **OPTIONS)')
    namespace: dict[str, Any] = {"REDIS_URL": redis_url, "SECRET_KEY": SECRET_KEY, "OPTIONS": revocation_options}
    exec(compile(source, str(RECIPE_PATH), "exec"), namespace)  # noqa: S102 - the documented recipe
    app, revocations = namespace["app"], namespace["revocations"]

    @app.get("/", response_class=PlainTextResponse)
    def index(request: Request) -> str:
        user = request.session.get("user_id")
        return "anonymous" if user is None else f"user:{user}"

    @app.post("/login/{user_id}", response_class=PlainTextResponse)
    def login(user_id: str, request: Request) -> str:
        request.session["user_id"] = user_id
        request.session["cart"] = ["tea"]  # ordinary data beside the user
        return "logged in"

    @app.get("/cart", response_class=PlainTextResponse)
    def cart(request: Request) -> str:
        return repr(request.session.get("cart"))

    @app.get("/keys", response_class=PlainTextResponse)
    def keys(request: Request) -> str:
        session = request.session
        return repr((sorted(session), len(session), "_rs_session" in session, session.get("_rs_session")))

    @app.post("/revoke-user/{user_id}", response_class=PlainTextResponse)
    def revoke_user(user_id: str) -> str:
        revocations.revoke_user(user_id)
        return "revoked"

    return app, revocations


def create_app() -> Any:
    """uvicorn's factory: the app on the Redis at ``REVOCATION_REDIS_URL``."""
    app, _ = make_app(os.environ["REVOCATION_REDIS_URL"])
    return app
