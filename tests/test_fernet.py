"""itsdangerous_rs.fernet against cryptography.fernet: the same tokens, each
side reading the other's, and the same errors for the same bad arguments."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from itsdangerous_rs import fernet as ours

cf = pytest.importorskip("cryptography.fernet")

KEY = base64.urlsafe_b64encode(bytes(range(32)))
IV = bytes(range(100, 116))


def outcome(call, *args, **kwargs):
    """What a call gives: ("ok", value) or (exception kind, message)."""
    try:
        return ("ok", call(*args, **kwargs))
    except (cf.InvalidToken, ours.InvalidToken):
        return ("InvalidToken", "")
    except Exception as error:  # noqa: BLE001 - the kind is what we compare
        return (type(error).__name__, str(error))


def both(method, *args, key=KEY, **kwargs):
    """The outcome of ``method`` on cryptography's Fernet and on ours."""
    theirs = outcome(lambda: getattr(cf.Fernet(key), method)(*args, **kwargs))
    mine = outcome(lambda: getattr(ours.Fernet(key), method)(*args, **kwargs))
    return theirs, mine


@given(data=st.binary(max_size=100), timestamp=st.integers(0, 2**64 - 1), iv=st.binary(min_size=16, max_size=16))
@settings(max_examples=300, deadline=None)
def test_tokens_are_byte_identical_and_interchangeable(data, timestamp, iv):
    theirs = cf.Fernet(KEY)._encrypt_from_parts(data, timestamp, iv)
    mine = ours.Fernet(KEY)._encrypt_from_parts(data, timestamp, iv)
    assert mine == theirs
    assert ours.Fernet(KEY).decrypt(theirs) == data
    assert cf.Fernet(KEY).decrypt(ours.Fernet(KEY).encrypt(data)) == data
    assert ours.Fernet(KEY).extract_timestamp(theirs) == timestamp


BAD_TOKENS = [
    b"", b"x", "nonsensetoken", b"\x00", "é" * 100, 3, None, bytearray(b"gAAAA"), memoryview(b"gAAAA"),
    base64.urlsafe_b64encode(b"\x81" + bytes(80)), base64.urlsafe_b64encode(b"\x80abc"),
]


@pytest.mark.parametrize("token", BAD_TOKENS, ids=repr)
@pytest.mark.parametrize("method", ["decrypt", "extract_timestamp", "_get_unverified_token_data"])
def test_bad_tokens_fail_alike(method, token):
    theirs, mine = both(method, token)
    assert theirs[0] != "ok"
    assert mine == theirs


def good_token(data=b"payload", timestamp=1_000_000):
    return cf.Fernet(KEY)._encrypt_from_parts(data, timestamp, IV)


def spellings(token: bytes):
    """Other ways to write a token: the ones cryptography accepts and the ones it refuses."""
    text = token.decode()
    yield token + b"\n"
    yield b" " + token + b"\r\n"
    yield text[:20] + "\t" + text[20:]
    yield token.rstrip(b"=")
    yield token + b"="
    yield token + b"\x0b"
    yield token.replace(b"-", b"+").replace(b"_", b"/")
    yield token[:-5]
    yield token + b"AAAA"
    yield text[:10] + "=" + text[10:]


@pytest.mark.parametrize("data", [b"", b"abc", b"0123456789abcdef"])
def test_token_spellings_read_as_cryptography_reads_them(data):
    for spelling in spellings(good_token(data)):
        theirs, mine = both("decrypt", spelling)
        assert mine == theirs, spelling


@given(mutation=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(b"Aa0-_=\n =+/.\x00\xff")), max_size=3))
@settings(max_examples=300, deadline=None)
def test_mutated_tokens_fail_alike(mutation):
    token = bytearray(good_token(b"some data"))
    for at, byte in mutation:
        token[at % (len(token) + 1):at % (len(token) + 1)] = bytes([byte])
    theirs, mine = both("decrypt", bytes(token))
    assert mine == theirs


@pytest.mark.parametrize(
    "call",
    [
        ("decrypt", (good_token(), 1.5), {}),
        ("decrypt", (b"x", 1.5), {}),
        ("decrypt", (good_token(), "1"), {}),
        ("decrypt", (good_token(), 2**70), {}),
        ("decrypt", (good_token(), -1), {}),
        ("decrypt_at_time", (good_token(), None, 1_000_000), {}),
        ("decrypt_at_time", (good_token(), 10, 1_000_010), {}),
        ("decrypt_at_time", (good_token(), 10, 1_000_011), {}),
        ("decrypt_at_time", (good_token(), 10, 999_940), {}),
        ("decrypt_at_time", (good_token(), 10, 999_939), {}),
        ("decrypt_at_time", (good_token(), 10, 2**70), {}),
        ("decrypt_at_time", (good_token(), 10, 1.5), {}),
        ("decrypt_at_time", (b"x", None, 1), {}),
        ("encrypt", ("text",), {}),
        ("encrypt", (3,), {}),
        ("encrypt", (None,), {}),
        ("encrypt_at_time", (b"x", -1), {}),
        ("encrypt_at_time", (b"x", 2**64), {}),
        ("encrypt_at_time", (b"x", 1.5), {}),
        ("encrypt_at_time", (b"x", "1"), {}),
        ("_encrypt_from_parts", (b"x", 1, b"\0" * 15), {}),
        ("_encrypt_from_parts", (b"x", 1, b"\0" * 17), {}),
        ("_encrypt_from_parts", (b"x", 1, "0" * 16), {}),
        ("_encrypt_from_parts", (b"x", 1, None), {}),
        ("_encrypt_from_parts", (bytearray(b"x"), True, bytearray(16)), {}),
        ("_encrypt_from_parts", (memoryview(b"xy"), 2**64 - 1, IV), {}),
    ],
    ids=lambda call: f"{call[0]}{call[1][1:]!r}"[:60],
)
def test_arguments_are_checked_alike(call):
    method, args, kwargs = call
    theirs, mine = both(method, *args, **kwargs)
    assert mine == theirs


@pytest.mark.parametrize(
    "key",
    [b"x", "x", 3, None, KEY.decode(), KEY.rstrip(b"="), KEY + b"\n", b" " + KEY, KEY.replace(b"-", b"+"),
     base64.urlsafe_b64encode(b"a" * 31), base64.urlsafe_b64encode(b"a" * 33), "é" * 44, bytearray(KEY)],
    ids=repr,
)
def test_keys_are_read_alike(key):
    theirs = outcome(lambda: cf.Fernet(key).encrypt_at_time(b"x", 1) and None)
    mine = outcome(lambda: ours.Fernet(key).encrypt_at_time(b"x", 1) and None)
    assert mine == theirs


def test_multifernet_matches():
    old = cf.Fernet(KEY)
    token = old.encrypt_at_time(b"secret", 1_000)
    assert ours.MultiFernet([ours.Fernet(KEY)]).decrypt(token) == b"secret"
    ours_new = ours.Fernet(base64.urlsafe_b64encode(os.urandom(32)))
    multi = ours.MultiFernet(iter([ours_new, ours.Fernet(KEY)]))
    rotated = multi.rotate(token)
    assert ours_new.decrypt(rotated) == b"secret"
    assert ours_new.extract_timestamp(rotated) == 1_000
    assert multi.extract_timestamp(token) == 1_000
    assert multi.decrypt_at_time(token, 10, 1_005) == b"secret"
    with pytest.raises(ours.InvalidToken):
        multi.decrypt_at_time(token, 10, 1_011)
    with pytest.raises(ours.InvalidToken):
        ours.MultiFernet([ours_new]).decrypt(token)
    with pytest.raises(TypeError):
        ours.MultiFernet([old])  # cryptography's Fernet is not ours, as cryptography refuses ours
    for bad in ([], None, [object()]):
        assert outcome(ours.MultiFernet, bad) == outcome(cf.MultiFernet, bad)


def test_clock_is_read_from_time_time(monkeypatch):
    token = good_token(timestamp=5_000)
    monkeypatch.setattr(time, "time", lambda: 5_005.9)
    assert ours.Fernet(KEY).decrypt(token, ttl=5) == b"payload"
    monkeypatch.setattr(time, "time", lambda: 5_006.0)
    with pytest.raises(cf.InvalidToken):
        ours.Fernet(KEY).decrypt(token, ttl=5)
    assert ours.Fernet(KEY).extract_timestamp(ours.Fernet(KEY).encrypt(b"")) == 5_006


def test_generate_key_is_random_and_usable():
    keys = {ours.Fernet.generate_key() for _ in range(20)}
    assert len(keys) == 20
    for key in keys:
        assert len(base64.urlsafe_b64decode(key)) == 32
        assert cf.Fernet(key).decrypt(ours.Fernet(key).encrypt(b"k")) == b"k"


def test_invalid_token_subclasses_cryptography_when_installed():
    assert issubclass(ours.InvalidToken, cf.InvalidToken)
    with pytest.raises(cf.InvalidToken):
        ours.Fernet(KEY).decrypt(b"garbage")
    with pytest.raises(ours.InvalidToken):
        ours.MultiFernet([ours.Fernet(KEY)]).rotate(b"garbage")


BLOCK_CRYPTOGRAPHY = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "cryptography" or name.startswith("cryptography."):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
"""


def test_works_without_cryptography():
    code = BLOCK_CRYPTOGRAPHY + """
from itsdangerous_rs.fernet import Fernet, MultiFernet, InvalidToken
assert InvalidToken.__bases__ == (Exception,), InvalidToken.__bases__
assert "cryptography" not in sys.modules
f = Fernet(Fernet.generate_key())
assert f.decrypt(f.encrypt(b"abc"), ttl=60) == b"abc"
try:
    f.decrypt(b"garbage")
except InvalidToken:
    print("caught")
try:
    import cryptography.fernet
except ImportError:
    print("blocked")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["caught", "blocked"]


def test_hkdf_matches_cryptography():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from itsdangerous_rs import _core

    for ikm, salt, info in [(b"secret", b"salt", b"info"), (b"", b"", b""), (os.urandom(100), os.urandom(70), os.urandom(300))]:
        expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)
        assert _core.hkdf_sha256(ikm, salt, info) == expected


def iv_of(token: bytes) -> bytes:
    return ours.Fernet._get_unverified_token_data(token)[1][9:25]


def test_ivs_are_fresh_across_calls():
    f = ours.Fernet(KEY)
    ivs = {iv_of(f.encrypt(b"x")) for _ in range(2000)}  # spans several refills of the IV buffer
    assert len(ivs) == 2000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_never_reuses_the_parents_ivs():
    """IVs come from a buffer of OS randomness; a child must not replay it."""
    f = ours.Fernet(KEY)
    f.encrypt(b"x")  # the buffer is filled and partly used before the fork
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write_end, b"".join(iv_of(f.encrypt(b"x")) for _ in range(4)))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read_end, 64)
    parent = b"".join(iv_of(f.encrypt(b"x")) for _ in range(4))
    assert len(child) == 64
    assert {child[i : i + 16] for i in range(0, 64, 16)}.isdisjoint({parent[i : i + 16] for i in range(0, 64, 16)})
