"""The judges of itsdangerous_rs.fernet, fetched at test time, never copied:

- cryptography's own Fernet test module, from the cryptography sdist on PyPI
  of the installed version, run with our classes swapped in (upstream/swap_fernet.py);
- the Fernet spec's vectors (generate, verify, invalid) that the
  cryptography-vectors package ships under ``cryptography_vectors/fernet/``.
"""

from __future__ import annotations

import datetime
import json

import pytest

from itsdangerous_rs.fernet import Fernet
from itsdangerous_rs.fernet import InvalidToken
from test_upstream import passed
from test_upstream import run_pytest
from upstream.fetch import fetch_sdist_members

cryptography = pytest.importorskip("cryptography")
vectors = pytest.importorskip("cryptography_vectors")
pytest.importorskip("pretend")  # the upstream module imports it

TEST_FILES = ["tests/__init__.py", "tests/conftest.py", "tests/utils.py", "tests/test_fernet.py"]


def test_cryptography_fernet_suite():
    version = cryptography.__version__
    root = fetch_sdist_members("cryptography", version, [f"cryptography-{version}/{path}" for path in TEST_FILES])
    output, failed = run_pytest(root, "swap_fernet")
    assert "swapped for itsdangerous_rs" in output, output[-3000:]
    assert not failed, output[-6000:]
    assert passed(output) >= 40, output[-2000:]


def load_vectors(name: str) -> list[dict]:
    with vectors.open_vector_file(f"fernet/{name}", "r") as file:
        return json.load(file)


def timestamp(iso: str) -> int:
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def test_spec_generate_vectors():
    cases = load_vectors("generate.json")
    assert cases
    for case in cases:
        token = Fernet(case["secret"])._encrypt_from_parts(case["src"].encode(), timestamp(case["now"]), bytes(case["iv"]))
        assert token == case["token"].encode()


def test_spec_verify_vectors():
    cases = load_vectors("verify.json")
    assert cases
    for case in cases:
        plaintext = Fernet(case["secret"]).decrypt_at_time(case["token"], case["ttl_sec"], timestamp(case["now"]))
        assert plaintext == case["src"].encode()


def test_spec_invalid_vectors():
    cases = load_vectors("invalid.json")
    assert len(cases) >= 8
    for case in cases:
        with pytest.raises(InvalidToken):
            Fernet(case["secret"]).decrypt_at_time(case["token"], case["ttl_sec"], timestamp(case["now"]))
        # and the same token with the time check of the case's own clock, via decrypt(ttl=...)
        with pytest.raises(InvalidToken):
            Fernet(case["secret"]).decrypt_at_time(case["token"].encode(), case["ttl_sec"], timestamp(case["now"]))
