"""``python -m itsdangerous_rs``: the self-check passes on this build."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_main_quick_reports_identical():
    proc = subprocess.run(
        [sys.executable, "-m", "itsdangerous_rs", "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "DIFFERENT" not in out
    assert "All tokens and cookies are byte-identical to stock" in out
    for name in ("small", "medium", "large"):
        assert f"  {name} " in out
    assert "Timing" in out and "speed-up" in out
    if _starlette_supported():
        assert out.count("Set-Cookie and Vary identical  ours opens stock's: yes  stock opens ours: yes") == 3, out
        for name in ("small", "medium", "large"):
            assert f"Starlette request read+write, {name}" in out
    else:
        assert "the SessionMiddleware comparison is skipped" in out


def _starlette_supported() -> bool:
    try:
        import itsdangerous_rs.starlette  # noqa: F401
    except (ImportError, RuntimeError):
        return False
    return True


def test_main_fails_when_a_starlette_header_differs(monkeypatch, capsys):
    """The Starlette comparison counts in the exit status."""
    if not _starlette_supported():
        pytest.skip("needs a supported Starlette (1.8 up to 2, Python 3.11+)")
    import itsdangerous_rs.starlette
    from itsdangerous_rs import __main__ as main_module

    class Secure(itsdangerous_rs.starlette.SessionMiddleware):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, https_only=True, **kwargs)

    monkeypatch.setattr(itsdangerous_rs.starlette, "SessionMiddleware", Secure)
    assert main_module.main(["--no-timing"]) == 1
    out = capsys.readouterr().out
    assert "Set-Cookie and Vary DIFFERENT" in out
    assert "DIFFERENT from stock: Starlette response headers, small" in out
    # The cookie itself is the same, so each side still opens the other's.
    assert "Starlette response headers, small" in out and "opens stock's Starlette cookie" not in out


def test_main_skips_starlette_when_absent(monkeypatch, capsys):
    from itsdangerous_rs import __main__ as main_module

    monkeypatch.setitem(sys.modules, "starlette", None)  # import starlette raises ImportError
    monkeypatch.delitem(sys.modules, "itsdangerous_rs.starlette", raising=False)
    assert main_module.main(["--no-timing"]) == 0
    out = capsys.readouterr().out
    assert "Starlette is not installed: the SessionMiddleware comparison is skipped." in out
    assert "Starlette request" not in out


def test_main_skips_an_unsupported_starlette(monkeypatch, capsys):
    if not _starlette_supported():
        pytest.skip("needs an installed Starlette to pretend it is another version")
    import starlette

    from itsdangerous_rs import __main__ as main_module

    monkeypatch.setattr(starlette, "__version__", "0.46.2")
    monkeypatch.delitem(sys.modules, "itsdangerous_rs.starlette")  # re-run its version check
    assert main_module.main(["--no-timing"]) == 0
    out = capsys.readouterr().out
    assert "is not supported: the SessionMiddleware comparison is skipped" in out
    assert "0.46.2" in out


def test_main_fails_when_a_token_differs(monkeypatch, capsys):
    """The exit status really depends on the comparison."""
    import itsdangerous_rs
    from itsdangerous_rs import __main__ as main_module

    class Skewed(itsdangerous_rs.URLSafeTimedSerializer):
        def dumps(self, obj, salt=None):
            return super().dumps(obj, salt) + "x"

    monkeypatch.setattr(itsdangerous_rs, "URLSafeTimedSerializer", Skewed)
    assert main_module.main(["--no-timing"]) == 1
    assert "DIFFERENT" in capsys.readouterr().out


def test_help_is_plain_text():
    proc = subprocess.run(
        [sys.executable, "-m", "itsdangerous_rs", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "``" not in out and ":mod:" not in out and "`" not in out, out
    assert "usage: python -m itsdangerous_rs" in out
    assert "byte-identical" in out and "--no-timing" in out


def test_version_is_the_package_metadata():
    from importlib import metadata

    import itsdangerous_rs

    assert itsdangerous_rs.__version__ == metadata.version("itsdangerous-rs")
    assert isinstance(itsdangerous_rs.__version__, str) and itsdangerous_rs.__version__[0].isdigit()
