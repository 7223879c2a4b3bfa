"""``python -m itsdangerous_rs``: the self-check passes on this build."""

from __future__ import annotations

import subprocess
import sys


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
