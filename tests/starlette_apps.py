"""A FastAPI app with itsdangerous_rs's session middleware, for the uvicorn test."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi import Request

from itsdangerous_rs.starlette import SessionMiddleware

SECRET = "uvicorn-test-secret"

app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key=SECRET, max_age=3600)


@app.get("/read")
def read(request: Request) -> dict:
    return dict(request.session)


@app.post("/set/{key}")
def set_value(key: str, value: str, request: Request) -> dict:
    request.session[key] = value
    return dict(request.session)


@app.post("/clear")
def clear(request: Request) -> dict:
    request.session.clear()
    return {}
