"""Differential test against the installed itsdangerous.

For every serializer class x digest, CASES random values (unicode, floats,
big ints, nested containers), cycling through the four key derivations and
drawing new salts, key lists and separators every 250 cases: under one frozen clock both give the same token bytes, each
loads the other's token, and tampered tokens give the same outcome, exception
class, message, payload and date_signed included.
"""

from __future__ import annotations

import hashlib
import os
import random
import time

import itsdangerous
import pytest
from differential import mutate
from differential import outcome
from differential import random_json
from differential import random_text
from differential import same_outcome

import itsdangerous_rs

CASES = int(os.environ.get("ITSDANGEROUS_RS_DIFF_CASES", "10000"))
NOW = 1_700_000_000.25
CLASSES = ["Serializer", "TimedSerializer", "URLSafeSerializer", "URLSafeTimedSerializer"]
DIGESTS = [hashlib.sha1, hashlib.sha224, hashlib.sha256, hashlib.sha384, hashlib.sha512]
DERIVATIONS = ["concat", "django-concat", "hmac", "none"]
SEPARATORS = [b".", ".", b"!", "|", b"::"]


@pytest.fixture()
def frozen_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


def make_pair(rng: random.Random, cls_name: str, digest, derivation: str):
    keys = [random_text(rng, 10) or "k" for _ in range(rng.randint(1, 3))]
    secret = keys[0] if len(keys) == 1 and rng.random() < 0.5 else keys
    salt = rng.choice([None, b"itsdangerous", "activate", random_text(rng, 6).encode("utf-8")])
    signer_kwargs = {"digest_method": digest, "key_derivation": derivation}
    if rng.random() < 0.3:
        signer_kwargs["sep"] = rng.choice(SEPARATORS)
    stock = getattr(itsdangerous, cls_name)(secret, salt=salt, signer_kwargs=dict(signer_kwargs))
    ours = getattr(itsdangerous_rs, cls_name)(secret, salt=salt, signer_kwargs=dict(signer_kwargs))
    return stock, ours


@pytest.mark.parametrize("digest", DIGESTS, ids=lambda d: d.__name__.replace("openssl_", ""))
@pytest.mark.parametrize("cls_name", CLASSES)
def test_serializers_agree(frozen_clock, cls_name, digest):
    rng = random.Random(f"{cls_name}-{digest.__name__}")
    timed = "Timed" in cls_name
    for case in range(CASES):
        if case % 250 == 0:
            stock, ours = make_pair(rng, cls_name, digest, DERIVATIONS[case // 250 % 4])
            assert ours._rs_engine(None) is not None, "this configuration must run in Rust"
        value = random_json(rng)
        stock_token = outcome(lambda: stock.dumps(value))
        our_token = outcome(lambda: ours.dumps(value))
        assert same_outcome(stock_token, our_token), (value, stock_token, our_token)
        if stock_token[0] != "ok":
            continue
        token = stock_token[1]
        load_kwargs = {"max_age": rng.choice([None, 0, 10])} if timed else {}
        expected = outcome(lambda: stock.loads(token, **load_kwargs))
        assert same_outcome(expected, outcome(lambda: ours.loads(token, **load_kwargs)))
        assert same_outcome(expected, outcome(lambda: stock.loads(our_token[1], **load_kwargs)))
        tampered = mutate(rng, token)
        assert same_outcome(
            outcome(lambda: stock.loads(tampered, **load_kwargs)),
            outcome(lambda: ours.loads(tampered, **load_kwargs)),
        ), tampered


@pytest.mark.parametrize("derivation", DERIVATIONS)
@pytest.mark.parametrize("digest", DIGESTS, ids=lambda d: d.__name__.replace("openssl_", ""))
@pytest.mark.parametrize("cls_name", ["Signer", "TimestampSigner"])
def test_signers_agree(frozen_clock, cls_name, digest, derivation):
    rng = random.Random(f"{cls_name}-{digest.__name__}-{derivation}")
    for case in range(CASES // 10):
        keys = [random_text(rng, 10).encode("utf-8") or b"k" for _ in range(rng.randint(1, 3))]
        kwargs = {"salt": rng.choice([None, b"s", "salt"]), "digest_method": digest, "key_derivation": derivation}
        if rng.random() < 0.3:
            kwargs["sep"] = rng.choice(SEPARATORS)
        stock = getattr(itsdangerous, cls_name)(keys, **kwargs)
        ours = getattr(itsdangerous_rs, cls_name)(keys, **kwargs)
        value = random_text(rng, 30)
        token = stock.sign(value)
        assert ours.sign(value) == token
        unsign_kwargs = {"max_age": rng.choice([None, 5]), "return_timestamp": rng.random() < 0.5} if cls_name == "TimestampSigner" else {}
        for candidate in (token, mutate(rng, token.decode("utf-8", "replace"))):
            assert same_outcome(
                outcome(lambda: stock.unsign(candidate, **unsign_kwargs)),
                outcome(lambda: ours.unsign(candidate, **unsign_kwargs)),
            ), candidate


def test_clock_and_expiry_messages(monkeypatch):
    stock = itsdangerous.URLSafeTimedSerializer("secret")
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)
    token = ours.dumps({"id": 42})
    assert token == stock.dumps({"id": 42})
    for now in (1_700_000_011.0, 1_699_999_999.0):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        assert same_outcome(outcome(lambda: stock.loads(token, max_age=10)), outcome(lambda: ours.loads(token, max_age=10)))
        with pytest.raises(itsdangerous.SignatureExpired):
            ours.loads(token, max_age=10)


def test_isinstance_and_exceptions_are_stock():
    s = itsdangerous_rs.URLSafeTimedSerializer("k")
    assert isinstance(s, itsdangerous.URLSafeTimedSerializer)
    assert isinstance(s, itsdangerous.TimedSerializer)
    assert isinstance(s, itsdangerous_rs.TimedSerializer)
    assert isinstance(s.make_signer(), itsdangerous.TimestampSigner)
    assert itsdangerous_rs.BadSignature is itsdangerous.BadSignature
    with pytest.raises(itsdangerous.BadSignature):
        s.loads("garbage.token.here")


def test_unsupported_configurations_use_stock():
    import pickle

    s = itsdangerous_rs.Serializer("k", serializer=pickle)
    assert s._rs_engine(None) is None
    assert s.loads(s.dumps({1, 2})) == {1, 2}

    class Custom(itsdangerous_rs.URLSafeSerializer):
        def dump_payload(self, obj):
            return super().dump_payload(obj) + b"x"

    assert Custom("k")._rs_engine(None) is None

    s = itsdangerous_rs.URLSafeSerializer("k")
    assert s._rs_engine(None) is not None
    s.signer = itsdangerous.NoneAlgorithm  # any reassignment drops the prepared engine
    assert "_rs_default_engine" not in s.__dict__


def test_repeated_dumps_match_stock_across_clock_ticks(monkeypatch):
    # The engine remembers encoded payloads; re-signing the same JSON later
    # must still give stock's bytes for the new timestamp.
    stock = itsdangerous.URLSafeTimedSerializer("secret")
    ours = itsdangerous_rs.URLSafeTimedSerializer("secret")
    session = {"_user_id": "7", "_fresh": True, "csrf_token": "ab" * 20, "flashes": ["hi"] * 30}
    for now in range(1_700_000_000, 1_700_000_050, 7):
        monkeypatch.setattr(time, "time", lambda now=now: float(now))
        for value in (session, {**session, "n": now}, session):
            token = ours.dumps(value)
            assert token == stock.dumps(value)
            assert token.startswith(".")


def test_repeated_loads_build_fresh_objects():
    # Verified payloads are remembered as JSON bytes; every loads builds new objects.
    s = itsdangerous_rs.URLSafeTimedSerializer("secret")
    token = s.dumps({"cart": [1, 2, 3], "pad": "x" * 200})
    first, second = s.loads(token), s.loads(token)
    assert first == second and first is not second and first["cart"] is not second["cart"]
    first["cart"].append(4)
    assert s.loads(token)["cart"] == [1, 2, 3]


def test_oversized_inflate_is_bad_payload_every_time():
    import zlib

    from itsdangerous.encoding import base64_encode

    s = itsdangerous_rs.URLSafeSerializer("secret")
    s.max_decompressed_size = 1000
    bomb = b"." + base64_encode(zlib.compress(b"[" + b"0," * 5000 + b"0]"))
    token = s.make_signer().sign(bomb).decode()
    for _ in range(2):
        with pytest.raises(itsdangerous.BadPayload) as info:
            s.loads(token)
        assert str(info.value) == "Could not zlib decompress the payload before decoding the payload"
        assert isinstance(info.value.original_error, ValueError)
    assert itsdangerous.URLSafeSerializer("secret").loads(token) == [0] * 5001  # stock has no cap
