"""The shipped sample sessions: loadable, the sizes benches/README.md states, and
the large one still fits in a cookie with Flask's serializer."""

from __future__ import annotations

import json
import re
import warnings

import pytest

from itsdangerous_rs import samples


def test_samples_load_as_dicts():
    assert samples.NAMES == ("small", "medium", "large")
    for name in samples.NAMES:
        data = samples.load(name)
        assert isinstance(data, dict) and data
        assert samples.load(name) is not data  # a fresh copy each time
    with pytest.raises(ValueError):
        samples.load("huge")


def test_small_is_a_flask_login_session():
    data = samples.load("small")
    assert set(data) == {"_user_id", "_fresh", "_id", "csrf_token"}
    assert re.fullmatch(r"[0-9a-f]{128}", data["_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", data["csrf_token"])


@pytest.mark.parametrize(("name", "low", "high"), [("small", 150, 300), ("medium", 900, 1200), ("large", 3300, 3800)])
def test_json_sizes(name, low, high):
    compact = json.dumps(samples.load(name), ensure_ascii=False, separators=(",", ":")).encode()
    assert low <= len(compact) <= high


def test_flashes_are_category_message_pairs():
    for name in ("medium", "large"):
        flashes = samples.load(name)["_flashes"]
        assert flashes and all(len(f) == 2 and all(isinstance(x, str) for x in f) for f in flashes)


@pytest.mark.parametrize("permanent", [False, True])
@pytest.mark.parametrize("name", samples.NAMES)
def test_cookie_fits_under_werkzeug_limit(name, permanent):
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)
    app.secret_key = "sample size check"

    @app.get("/")
    def write():
        flask.session.update(samples.load(name))
        flask.session["counter"] = 1_000_000
        flask.session.permanent = permanent
        return ""

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Werkzeug warns about cookies over 4093 bytes
        response = app.test_client().get("/")
    (cookie,) = response.headers.getlist("Set-Cookie")
    assert len(cookie) < 4093
