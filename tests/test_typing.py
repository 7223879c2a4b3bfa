"""Typing like stock: generic serializers, stock's annotations, a stub that matches the extension.

mypy is in the test extra, so these run in every full test run.
"""

from __future__ import annotations

import inspect
import re
import runpy
import subprocess
import sys
from pathlib import Path

import flask.sessions
import itsdangerous
import pytest

import itsdangerous_rs
import itsdangerous_rs.flask

SAMPLE = Path(__file__).parent / "typing_samples" / "public_api.py"


@pytest.fixture
def mypy_cache(request, tmp_path) -> Path:
    """pytest's cache directory, kept between runs (mypy is much faster warm); a temporary one without it."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("mypy"))
    return tmp_path


def _mypy(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache / "cache"), *args],
        capture_output=True, text=True, timeout=600,
    )


def test_public_api_under_mypy_strict(mypy_cache):
    """assert_type over the public API (tests/typing_samples/public_api.py), with --strict."""
    proc = _mypy(mypy_cache, "--strict", str(SAMPLE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_public_api_sample_runs():
    """The same sample at runtime: ``Serializer[str]`` and friends subscript as stock's do."""
    runpy.run_path(str(SAMPLE), run_name="public_api")


@pytest.mark.parametrize(
    "name", ["Serializer", "TimedSerializer", "URLSafeSerializer", "URLSafeTimedSerializer"]
)
def test_serializers_subscript_like_stock(name):
    ours, stock = getattr(itsdangerous_rs, name), getattr(itsdangerous, name)
    generic = "URLSafe" not in name  # stock's URL-safe classes are Serializer[str], not generic
    if generic:
        assert ours[str].__origin__ is ours and stock[str].__origin__ is stock
    else:
        for cls in (ours, stock):
            with pytest.raises(TypeError):
                cls[str]


def test_core_stub_matches_the_extension(mypy_cache):
    """python -m mypy.stubtest itsdangerous_rs._core is clean."""
    config = mypy_cache / "stubtest.ini"
    config.write_text(f"[mypy]\ncache_dir = {mypy_cache / 'stubtest-cache'}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "itsdangerous_rs._core", "--mypy-config-file", str(config)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def _python_function(cls: type, name: str):
    """The method as written in Python (dumps/loads may be C-level descriptors in front of it)."""
    kept = {"dumps": "_dumps_python", "loads": "_loads_python"}.get(name)
    if kept and kept in cls.__dict__:
        return cls.__dict__[kept]
    return cls.__dict__[name]


PAIRS = [
    (itsdangerous_rs.Signer, itsdangerous.Signer),
    (itsdangerous_rs.TimestampSigner, itsdangerous.TimestampSigner),
    (itsdangerous_rs.Serializer, itsdangerous.Serializer),
    (itsdangerous_rs.TimedSerializer, itsdangerous.TimedSerializer),
    (itsdangerous_rs.URLSafeSerializer, itsdangerous.URLSafeSerializer),
    (itsdangerous_rs.URLSafeTimedSerializer, itsdangerous.URLSafeTimedSerializer),
    (itsdangerous_rs.flask.SessionSerializer, itsdangerous.URLSafeTimedSerializer),
    (itsdangerous_rs.flask.SecureCookieSessionInterface, flask.sessions.SecureCookieSessionInterface),
]
#: Where ours deliberately narrows stock's return type (still a subtype of it).
NARROWED = {
    ("SessionSerializer", "dumps"): "str",  # stock's URLSafeTimedSerializer.dumps: _TSerialized, which is str there
    ("SecureCookieSessionInterface", "get_signing_serializer"): "SessionSerializer | None",
}


def _plain(annotation) -> str:
    """An annotation string without module prefixes (``t.Any`` and ``Any`` name one type here)."""
    return re.sub(r"\b\w+\.", "", str(annotation))


def _spelled(parameters) -> list[tuple[str, object, str, object]]:
    return [(p.name, p.kind, _plain(p.annotation), p.default) for p in parameters.values()]


@pytest.mark.parametrize("ours, stock", PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_public_methods_are_annotated_as_stock(ours, stock):
    """Every public method ours defines has stock's parameters and annotations."""
    checked = 0
    for name in sorted(vars(ours)):
        if name.startswith("_") or not callable(getattr(ours, name)) or isinstance(vars(ours)[name], type):
            continue
        mine = inspect.signature(_python_function(ours, name))
        theirs = inspect.signature(getattr(stock, name))
        assert _spelled(mine.parameters) == _spelled(theirs.parameters), (ours.__name__, name)
        expected = NARROWED.get((ours.__name__, name), theirs.return_annotation)
        assert _plain(mine.return_annotation) == _plain(expected), (ours.__name__, name, mine.return_annotation)
        checked += 1
    assert checked or ours in (itsdangerous_rs.URLSafeSerializer, itsdangerous_rs.URLSafeTimedSerializer)
