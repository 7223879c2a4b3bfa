"""zlib_compress must return exactly zlib.compress(data) (level 6) for any
input, and zlib_decompress must accept and reject what zlib.decompress does.

Inputs come from seeded generators so failures reproduce; each failure
message names the generator, seed and length.
"""

import base64
import json
import random
import string
import zlib

import pytest

from itsdangerous_rs import _core

# The Rust port is exact up to this size and falls back to libz above it.
EXACT_LIMIT = 65273

WORDS = [
    "user", "id", "name", "csrf_token", "_fresh", "_permanent", "true", "false",
    "cart", "items", "price", "qty", "session", "flash", "message", "the", "a",
    "of", "and", "é", "日本", "\u2603",
]


def random_bytes(rng, n):
    return rng.randbytes(n)


def small_alphabet(rng, n):
    alphabet = rng.choice([b"a", b"ab", b"abc", b"abcd", string.ascii_lowercase[:12].encode()])
    return bytes(rng.choices(alphabet, k=n))


def text(rng, n):
    words = []
    size = 0
    while size < n:
        word = rng.choice(WORDS) + rng.choice(" ,.\n ")
        words.append(word)
        size += len(word.encode())
    return "".join(words).encode()[:n]


def json_like(rng, n):
    items = []
    size = 2
    while size < n:
        key = rng.choice(WORDS) + str(rng.randrange(100))
        kind = rng.randrange(5)
        if kind == 0:
            value = rng.randrange(10**12)
        elif kind == 1:
            value = rng.randbytes(rng.randrange(1, 24)).hex()
        elif kind == 2:
            value = [rng.randrange(100) for _ in range(rng.randrange(6))]
        elif kind == 3:
            value = {" t": [rng.random(), rng.choice([True, False, None])]}
        else:
            value = rng.choice(WORDS)
        item = json.dumps(key) + ":" + json.dumps(value, separators=(",", ":"))
        items.append(item)
        size += len(item) + 1
    return ("{" + ",".join(items) + "}").encode()[:n]


def base64_like(rng, n):
    return base64.urlsafe_b64encode(rng.randbytes(n))[:n]


def repetitive(rng, n):
    unit = rng.randbytes(rng.randrange(1, 40))
    data = bytearray((unit * (n // len(unit) + 1))[:n])
    for _ in range(rng.randrange(8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def weighted(rng, n):
    # Skewed byte frequencies give deep Huffman trees (code-length overflow).
    values = rng.sample(range(256), rng.randrange(2, 256))
    weights = [rng.randrange(1, 1000) * rng.randrange(1, 5) ** rng.randrange(6) for _ in values]
    return bytes(rng.choices(values, weights, k=n))


def mixed(rng, n):
    parts = []
    size = 0
    while size < n:
        part = rng.choice(GENERATORS[:-1])(rng, min(n - size, rng.randrange(1, 512)))
        parts.append(part)
        size += len(part)
    return b"".join(parts)[:n]


GENERATORS = [
    random_bytes, small_alphabet, text, json_like, base64_like, repetitive, weighted, mixed,
]


def check(data, what):
    ours = _core.zlib_compress(data)
    expected = zlib.compress(data)
    if ours != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(ours, expected)) if a != b),
            min(len(ours), len(expected)),
        )
        pytest.fail(
            f"{what}: {len(data)} input bytes, ours {len(ours)} bytes, "
            f"zlib {len(expected)} bytes, first difference at byte {first}"
        )
    assert _core.zlib_decompress(ours, len(data)) == data, what


def test_empty_and_tiny():
    check(b"", "empty")
    for n in range(1, 9):
        for byte in (b"\0", b"a", b"\xff"):
            check(byte * n, f"run of {byte!r} x{n}")
    rng = random.Random(1)
    for i in range(3000):
        gen = rng.choice(GENERATORS)
        check(gen(rng, rng.randrange(40)), f"tiny #{i} {gen.__name__}")


@pytest.mark.parametrize("gen", GENERATORS, ids=lambda g: g.__name__)
def test_random_inputs_up_to_8k(gen):
    rng = random.Random(f"identity-{gen.__name__}")
    for i in range(2500):
        # Mostly cookie-sized, some up to 8 KiB.
        n = rng.randrange(8192) if i % 4 == 0 else rng.randrange(4096)
        check(gen(rng, n), f"{gen.__name__} #{i} seed identity-{gen.__name__}")


def test_session_like_payloads():
    # What Flask actually compresses: compact JSON of a session dict.
    rng = random.Random(2)
    for i in range(2000):
        session = {"_fresh": rng.choice([True, False]), "csrf_token": rng.randbytes(20).hex()}
        for _ in range(rng.randrange(12)):
            session[rng.choice(WORDS) + str(i % 7)] = rng.choice(
                [rng.randrange(10**9), rng.choice(WORDS), [1, 2, 3], {" b": rng.randbytes(8).hex()}]
            )
        data = json.dumps(session, separators=(",", ":"), sort_keys=True).encode()
        check(data, f"session #{i}")


def test_multi_block_and_limit_edges():
    # Blocks close every 16383 symbols; the exact port stops at EXACT_LIMIT.
    rng = random.Random(3)
    sizes = [16382, 16383, 16384, 16385, 32768, 40000]
    sizes += [EXACT_LIMIT - 1, EXACT_LIMIT, EXACT_LIMIT + 1, EXACT_LIMIT + 2, 70000, 140000]
    for n in sizes:
        for gen in GENERATORS:
            check(gen(rng, n), f"{gen.__name__} size {n}")


def test_long_runs():
    for n in (258, 259, 260, 261, 262, 263, 517, 1000, 65000, 65273, 65274, 100000):
        check(b"\0" * n, f"zeros x{n}")
        check(b"ab" * (n // 2), f"ab x{n // 2}")


def test_decompress_cap():
    rng = random.Random(4)
    for i in range(300):
        data = rng.choice(GENERATORS)(rng, rng.randrange(1, 5000))
        packed = zlib.compress(data)
        assert _core.zlib_decompress(packed, len(data)) == data
        assert _core.zlib_decompress(packed, len(data) + 1) == data
        with pytest.raises(ValueError):
            _core.zlib_decompress(packed, len(data) - 1)
    with pytest.raises(ValueError):
        _core.zlib_decompress(zlib.compress(b"\0" * 10_000_000), 1024)


def zlib_accepts(data):
    try:
        return zlib.decompress(data)
    except zlib.error:
        return None


def core_accepts(data):
    try:
        return _core.zlib_decompress(data, 1 << 30)
    except ValueError:
        return None


def compress_small_window(data: bytes) -> bytes:
    """``zlib.compress(data, wbits=9)``, which needs Python 3.11."""
    packer = zlib.compressobj(wbits=9)
    return packer.compress(data) + packer.flush()


def test_decompress_accepts_and_rejects_like_zlib():
    rng = random.Random(5)
    good = zlib.compress(b"hello world hello world hello world" * 3)
    cases = [
        b"",
        good,
        good + b"junk",
        good + good,
        b"\x78\x9c",
        b"\x78\xbb\0\0\0\x01\x03\0",  # needs a preset dictionary
        compress_small_window(b"x"),  # smaller window in the header
    ]
    cases += [good[:cut] for cut in range(len(good))]
    for _ in range(3000):
        data = bytearray(zlib.compress(rng.choice(GENERATORS)(rng, rng.randrange(300))))
        action = rng.randrange(4)
        if action == 0:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif action == 1:
            del data[rng.randrange(len(data)) :]
        elif action == 2:
            data += rng.randbytes(rng.randrange(1, 10))
        else:
            data[rng.randrange(len(data))] = rng.randrange(256)
        cases.append(bytes(data))
    for data in cases:
        assert core_accepts(data) == zlib_accepts(data), data.hex()
