"""Fetch an upstream sdist from PyPI at test time and unpack its tests.

Nothing from upstream is committed: the sdist is downloaded into a cache
directory and extracted there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

CACHE = Path(os.environ.get("ITSDANGEROUS_RS_UPSTREAM_CACHE", Path.home() / ".cache" / "itsdangerous-rs-upstream"))


def fetch_sdist(name: str, version: str) -> Path:
    """The extracted source tree of ``name==version``."""
    root = CACHE / f"{name}-{version}"
    if (root / "tests").is_dir():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "--disable-pip-version-check", "-q", "-d", str(CACHE), f"{name}=={version}"],
        check=True,
    )
    archive = CACHE / f"{name}-{version}.tar.gz"
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return root
