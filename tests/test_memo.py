"""The engines' memos of recent payloads: hits, misses and slot collisions
must all give exactly what computing afresh gives."""

from __future__ import annotations

import random

import flask
import itsdangerous
import pytest
from flask.sessions import SecureCookieSessionInterface as StockInterface
from freezegun import freeze_time

import itsdangerous_rs
from itsdangerous_rs.flask import SecureCookieSessionInterface as OurInterface

# Four times the memo's 16 slots, so entries collide and evict each other.
PAYLOADS = [{"user": i, "csrf_token": f"{i:040x}", "tags": list(range(i % 7)), "note": "é" * (i % 3)} for i in range(64)]


def visiting_order(seed: int) -> list[int]:
    rng = random.Random(seed)
    # Runs of repeats (memo hits) mixed with jumps (misses, collisions).
    return [rng.choice((i, i, rng.randrange(len(PAYLOADS)))) for i in rng.choices(range(len(PAYLOADS)), k=600)]


@freeze_time("2026-11-24 12:00:00")
@pytest.mark.parametrize("seed", [1, 2])
def test_plain_serializer_memo(seed: int) -> None:
    ours = itsdangerous_rs.URLSafeTimedSerializer("memo key")
    stock = itsdangerous.URLSafeTimedSerializer("memo key")
    for i in visiting_order(seed):
        token = ours.dumps(PAYLOADS[i])
        assert token == stock.dumps(PAYLOADS[i])
        assert ours.loads(token, max_age=60) == PAYLOADS[i]


@freeze_time("2026-11-24 12:00:00")
@pytest.mark.parametrize("seed", [3, 4])
def test_flask_serializer_memo(seed: int) -> None:
    apps = {}
    for name, interface in (("stock", StockInterface()), ("ours", OurInterface())):
        app = flask.Flask(f"memo_{name}")
        app.secret_key = "memo key"
        app.session_interface = interface
        apps[name] = app
    with apps["stock"].app_context():
        stock = apps["stock"].session_interface.get_signing_serializer(apps["stock"])
        expected = [stock.dumps(p) for p in PAYLOADS]
    with apps["ours"].app_context():
        ours = apps["ours"].session_interface.get_signing_serializer(apps["ours"])
        for i in visiting_order(seed):
            assert ours.dumps(PAYLOADS[i]) == expected[i]
            assert ours.loads(expected[i]) == PAYLOADS[i]
