"""Writes the seed corpus under fuzz/corpus/<target>/.

Real tokens from stock itsdangerous (and itsdangerous_rs when it is built,
which must give the same bytes), mutated tokens, zlib bombs and streams,
deep and odd JSON. Deterministic: run it again and the files are the same.

    python fuzz/make_corpus.py

Each file's name is a short hash of its content, so re-running replaces
nothing and adds nothing unless the generator changes. The prefixes each
target reads (see fuzz/checks.rs) are written here too:

* timestamp: 1 flag byte (bit 0: max_age given), 8 bytes max_age (LE),
  8 bytes now (LE), then the token;
* inflate: 2 bytes cap (LE), then the payload (`.`-prefixed base64 or a
  raw zlib stream: the target tries both readings);
* fernet_decrypt: 1 mode byte (bit 0: seal first, bit 1: flip a byte,
  bit 2: TTL, bit 3: second key, bits 5-7: which bit), 1 flip-position byte,
  then a token, or 8 timestamp bytes (LE), 16 IV bytes and a plaintext;
* unsign_and_load: 1 mode byte (bit 0: sign first, bit 1: Flask's signer,
  bit 2: max_age), then the token, or 5 timestamp bytes and a payload.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import struct
import zlib
from pathlib import Path

import itsdangerous
from itsdangerous.encoding import base64_encode

ROOT = Path(__file__).resolve().parent / "corpus"
NOW = 1_700_000_000


class FixedTimeSigner(itsdangerous.TimestampSigner):
    def get_timestamp(self) -> int:
        return NOW


def default_serializer() -> itsdangerous.URLSafeTimedSerializer:
    # checks.rs signer 0: key "secret-key", salt "itsdangerous", django-concat, SHA-1.
    return itsdangerous.URLSafeTimedSerializer("secret-key", signer=FixedTimeSigner)


def flask_serializer() -> itsdangerous.URLSafeTimedSerializer:
    # checks.rs signer 1: Flask's session signer with keys ["old", "dev"].
    return itsdangerous.URLSafeTimedSerializer(
        ["old", "dev"],
        salt="cookie-session",
        signer=FixedTimeSigner,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def real_tokens() -> list[bytes]:
    objs = [
        {"id": 42},
        {"user": "é", "n": [1, 2.5, None, True]},
        {"csrf": "a" * 40, "items": list(range(300))},  # long enough to compress
        [],
        "x" * 2000,
        {"_fresh": True, "_user_id": "1"},
    ]
    tokens = []
    for make in (default_serializer, flask_serializer):
        s = make()
        tokens += [s.dumps(o).encode() for o in objs]
    tokens.append(itsdangerous.Signer("secret-key").sign(b"my string"))
    tokens.append(FixedTimeSigner("secret-key").sign(b"value"))
    try:  # ours must give the very same bytes; add them when the extension is built
        import itsdangerous_rs
    except ImportError:
        pass
    else:
        assert itsdangerous_rs.Signer("secret-key").sign(b"my string") == tokens[-2]
    return tokens


def mutations(token: bytes, rng: random.Random) -> list[bytes]:
    out = []
    parts = token.split(b".")
    # one bit flip in each segment
    offset = 0
    for part in parts:
        if part:
            i = offset + rng.randrange(len(part))
            flipped = bytearray(token)
            flipped[i] ^= 1 << rng.randrange(7)
            out.append(bytes(flipped))
        offset += len(part) + 1
    out += [
        token[: len(token) // 2],
        token[:-1],
        token + b"=",
        token + b"==",
        token + "ñ".encode(),
        token.replace(b".", b"..", 1),
        token.replace(b".", b"..") ,
        "é".encode() + token,
        token + b"\x00\xff",
    ]
    return out


def signed_payloads() -> list[bytes]:
    """Payloads (the part before the timestamp) a signer would carry."""
    b64 = base64_encode
    payloads = [
        b64(b"\xff\xfe not utf-8"),
        b64(b"{not json"),
        b64(b"NaN"),
        b64(b'{"a": NaN, "b": -Infinity}'),
        b64(b"1" * 5000),
        b64(b"[" * 10_000 + b"]" * 10_000),
        b64(b'{"a":' * 300 + b"1" + b"}" * 300),
        b64(b'"\\ud800"'),
        b64(b'{" t":[1,2]}'),
        b64(b'{" di":{" t":1}}'),
        b64(b'{" b":"not base64!"}'),
        b64(b'{" d":"not a date"}'),
        b"." + b64(b"not zlib at all"),
        b"." + b64(zlib.compress(b'{"a":1}')[:-3]),  # truncated stream
        b"." + b64(zlib.compress(b'{"a":1}') + b"trailing"),
        b"." + b64(zlib.compress(b"[" + b"0," * 100_000 + b"0]", 9)),
        b"." + b64(zlib.compress(b"\x00" * (2 << 20), 9)),  # 2 MiB bomb
        b"." + b64(zlib.compress(b"[" * 20_000 + b"]" * 20_000, 9)),
        b"..",
        b".",
        b"",
        b"====",
        b"a",
    ]
    return payloads


def zlib_streams() -> list[bytes]:
    bomb = zlib.compress(b"\x00" * (4 << 20), 9)
    ok = zlib.compress(json.dumps({"k": list(range(50))}).encode())
    return [
        bomb,
        ok,
        ok[:-1],
        ok[:2],
        ok + b"garbage after the stream",
        zlib.compress(b""),
        zlib.compress(b"x" * 70_000, 1),
        b"\x78\x9c",
        b"\x78\xda\x03\x00",
        b"\x78\x9c\xff\xff",
        b"\x78\xbb\x00\x00\x00\x01",  # preset dictionary flag
        bytes(range(256)),
        zlib.compress(b"hello")[:-4] + b"\x00\x00\x00\x00",  # bad checksum
    ]


def json_docs() -> list[bytes]:
    return [
        b"[" * 10_000 + b"]" * 10_000,
        b"[" * 200 + b"]" * 200,
        b"[" * 201 + b"]" * 201,
        b'{"a":' * 250 + b"null" + b"}" * 250,
        b"1" * 4300,
        b"1" * 4301,
        b"-" + b"9" * 30,
        b"[NaN, Infinity, -Infinity, -0.0, 1e400, 5e-324, 1.7976931348623157e308]",
        b'"\\ud83d\\ude00 \\ud800 \\u0000 \\"\\\\\\/\\b\\f\\n\\r\\t"',
        '"é😀"'.encode(),
        b'{"a":1,"a":2,"b":[true,false,null]}',
        b" \t\r\n[1 , 2 ]\n",
        b"\xef\xbb\xbf{}",
        b'{"a":1}x',
        b"[1,]",
        b'"\x01"',
        b"01",
        b"1.",
        b"-",
        b"tru",
        b'{" t":[1,{" b":"AAEC"}]}',
        b'{" d":"Tue, 14 Nov 2023 22:13:20 GMT"," u":"0123456789abcdef0123456789abcdef"}',
        b"\xff",
        b"",
    ]


def le(value: int, n: int) -> bytes:
    return (value % (1 << (8 * n))).to_bytes(n, "little")


def write(target: str, items: list[bytes]) -> None:
    directory = ROOT / target
    directory.mkdir(parents=True, exist_ok=True)
    seen = set()
    for item in items:
        name = hashlib.sha1(item).hexdigest()[:16]
        if name in seen:
            continue
        seen.add(name)
        (directory / name).write_bytes(item)
    print(f"{target}: {len(seen)} files")


def main() -> None:
    rng = random.Random(1234)
    tokens = real_tokens()
    mutated = [m for tok in tokens[::2] for m in mutations(tok, rng)]
    junk = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))) for _ in range(4)]

    write("token_split_base64", tokens + rng.sample(mutated, 20) + junk + [b"", b".", b"a.b.c", b"=" * 8])

    stamp_heads = [
        b"\x00" + le(0, 8) + le(NOW, 8),
        b"\x01" + le(10, 8) + le(NOW + 5, 8),
        b"\x01" + le(10, 8) + le(NOW + 11, 8),
        b"\x01" + le(0, 8) + le(NOW - 1, 8),
        b"\x01" + le(-1, 8) + le(-(1 << 63), 8),
        b"\x01" + le((1 << 63) - 1, 8) + le((1 << 63) - 1, 8),
    ]
    stamps = [b"ZVPxAA", b"", b"AAAAAAAAAAAA", b"_________w", b"__________8", b"A", b"ZVPxAA=="]
    stamp_tokens = tokens[:3] + [b"v." + s + b".sig" for s in stamps] + stamps
    write("timestamp", [rng.choice(stamp_heads) + t for t in stamp_tokens] + [h + t for h, t in zip(stamp_heads, stamps)])

    caps = [le(c, 2) for c in (0, 1, 100, 4096, 65535)]
    inflate_inputs = [p for p in signed_payloads() if p.startswith(b".")] + zlib_streams()
    # Plain text for the compress side: session-like JSON of growing size, up
    # to just past 65273 bytes, where the Rust deflate hands over to libz.
    texts = [json.dumps({"k": list(range(n)), "s": "é" * (n % 50)}).encode() for n in (10, 300, 2000)]
    texts.append(bytes(rng.randrange(32, 127) for _ in range(65_274)))
    write(
        "inflate",
        [rng.choice(caps) + p for p in inflate_inputs]
        + [caps[-1] + p for p in signed_payloads()[:6]]
        + [caps[-1] + t for t in texts],
    )

    load_inputs = []
    for tok in tokens[:12]:  # real tokens, plain, then with max_age
        load_inputs.append(b"\x00" + tok if tok in tokens[:6] else b"\x02" + tok)
    load_inputs += [b"\x04" + tokens[0], b"\x00" + mutated[0], b"\x00" + mutated[5]]
    for p in signed_payloads():  # signed garbage payloads
        load_inputs.append(b"\x01" + le(NOW, 5) + p)
    load_inputs.append(b"\x07" + le(NOW + 100, 5) + signed_payloads()[0])
    write("unsign_and_load", load_inputs)

    write("json_reader", json_docs())
    write("fernet_decrypt", fernet_inputs(rng))


def fernet_inputs(rng: random.Random) -> list[bytes]:
    """Tokens under the target's two keys (cryptography's Fernet, or ours,
    which gives the same bytes), their mutations, and sealing inputs."""
    try:
        from cryptography.fernet import Fernet
    except ImportError:
        from itsdangerous_rs.fernet import Fernet
    keys = [Fernet(base64.urlsafe_b64encode(bytes([b]) * 32)) for b in (0x11, 0x22)]
    tokens = [
        key._encrypt_from_parts(plain, NOW + delta, bytes(range(i, i + 16)))
        for i, (key, plain, delta) in enumerate(
            [(keys[0], b"", 0), (keys[1], b"x" * 15, 0), (keys[0], b'{"a":1}', -7200), (keys[0], b"y" * 16, 120),
             (keys[1], json.dumps({"_user_id": "alice", "csrf_token": "f" * 40}).encode(), 0)]
        )
    ]
    other = Fernet(base64.urlsafe_b64encode(b"\x33" * 32))._encrypt_from_parts(b"other key", NOW, bytes(16))
    inputs = [b"\x00\x00" + t for t in tokens] + [b"\x04\x00" + t for t in tokens] + [b"\x00\x00" + other]
    inputs += [b"\x00\x00" + m for t in tokens[:2] for m in mutations(t, rng)[:6]]
    inputs += [b"\x00\x00" + tokens[1] + b"\n", b"\x00\x00" + tokens[0].rstrip(b"="), b"\x00\x00" + b"gAAAA" * 30]
    for mode, plain in [(0x01, b""), (0x05, b"z" * 33), (0x09, b"\xff" * 16), (0x03, b"flip"), (0xE3, b"flip high bit"), (0x0B, b"k2")]:
        inputs.append(bytes([mode, 7]) + le(NOW, 8) + bytes(range(16)) + plain)
    return inputs


if __name__ == "__main__":
    main()
