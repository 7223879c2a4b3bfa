"""CI smoke for the fuzz targets (fuzz/).

* Always (when cargo is on PATH): the targets' bodies replay every input of
  the committed corpus, fuzz/corpus/<target>/, as a plain `cargo test` on the
  stable toolchain — no nightly, no cargo-fuzz.
* When cargo-fuzz is installed: each libFuzzer target also runs for
  ITSDANGEROUS_RS_FUZZ_SECONDS (default 10; 0 skips) through fuzz/run.sh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["token_split_base64", "timestamp", "inflate", "unsign_and_load", "json_reader"]
FUZZ_SECONDS = int(os.environ.get("ITSDANGEROUS_RS_FUZZ_SECONDS", "10"))


def _cargo_fuzz_available() -> bool:
    if shutil.which("cargo") is None:
        return False
    probe = subprocess.run(["cargo", "fuzz", "--help"], capture_output=True, cwd=ROOT)
    return probe.returncode == 0


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed: cannot replay the fuzz corpus")
def test_corpus_replays_as_cargo_test():
    for target in TARGETS:
        assert any((ROOT / "fuzz" / "corpus" / target).iterdir()), f"empty corpus for {target}"
    result = subprocess.run(
        ["cargo", "test", "-p", "itsdangerous-core", "--test", "fuzz_corpus", "--", "--nocapture"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "replayed" in result.stdout


@pytest.mark.skipif(FUZZ_SECONDS <= 0, reason="ITSDANGEROUS_RS_FUZZ_SECONDS=0: libFuzzer smoke run disabled")
@pytest.mark.skipif(not _cargo_fuzz_available(), reason="cargo-fuzz is not installed (cargo install cargo-fuzz)")
def test_libfuzzer_smoke():
    with tempfile.TemporaryDirectory() as work:
        result = subprocess.run(
            ["bash", str(ROOT / "fuzz" / "run.sh"), str(FUZZ_SECONDS)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
            env={**os.environ, "FUZZ_WORK": work, "JOBS": "1"},
        )
        report = result.stdout + result.stderr[-3000:]
        assert result.returncode == 0, report
        print(result.stdout)
        for target in TARGETS:
            line = next(l for l in result.stdout.splitlines() if l.startswith(target))
            executions = line.split()[1]
            assert executions.isdigit() and int(executions) > 0, line
