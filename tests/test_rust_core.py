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
        ["cargo", "test", "--release", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "test result: ok" in proc.stdout
