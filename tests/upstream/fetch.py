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
        if hasattr(tarfile, "data_filter"):
            tar.extractall(CACHE, filter="data")
        else:  # Python < 3.9.17, 3.10.12, 3.11.4: no extraction filters
            tar.extractall(CACHE)
    return root


def fetch_sdist_members(name: str, version: str, members: list[str]) -> Path:
    """Only ``members`` (paths inside the sdist) of ``name==version``, extracted.

    For sdists that ``pip download --no-binary`` would build just to read
    their metadata (cryptography is a Rust build): the file comes from the
    index's JSON API (PEP 691), the one pip reads, and its sha256 is checked.
    """
    root = CACHE / f"{name}-{version}"
    if all((CACHE / member).exists() for member in members):
        return root
    import hashlib
    import json
    import urllib.request

    CACHE.mkdir(parents=True, exist_ok=True)
    filename = f"{name}-{version}.tar.gz"
    archive = CACHE / filename
    if not archive.exists():
        request = urllib.request.Request(
            f"https://pypi.org/simple/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            index = json.load(response)
        (entry,) = [f for f in index["files"] if f["filename"] == filename]
        with urllib.request.urlopen(entry["url"], timeout=300) as response:
            data = response.read()
        if hashlib.sha256(data).hexdigest() != entry["hashes"]["sha256"]:
            raise RuntimeError(f"{filename}: sha256 does not match the index")
        archive.write_bytes(data)
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, members=[tar.getmember(m) for m in members], filter="data")
    return root
