"""Serializer.__init__ reuses the state it left for a (class, key, salt): the
reused state must be what stock's __init__ gives, and fresh per instance."""

from __future__ import annotations

import itsdangerous

import itsdangerous_rs
from itsdangerous_rs import serializer as serializer_module

KEY = "prepared init key"


def _stock_state(obj):
    return {k: v for k, v in vars(obj).items() if not k.startswith("_rs_")}


def test_reused_state_equals_stocks_and_is_per_instance():
    stock = itsdangerous.URLSafeTimedSerializer(KEY, salt="wtf-csrf-token")
    first = itsdangerous_rs.URLSafeTimedSerializer(KEY, salt="wtf-csrf-token")
    second = itsdangerous_rs.URLSafeTimedSerializer(KEY, salt="wtf-csrf-token")
    assert (type(first), KEY, "wtf-csrf-token", first.max_decompressed_size) in serializer_module._prepared_inits
    expected = dict(_stock_state(stock), signer=itsdangerous_rs.TimestampSigner)
    assert _stock_state(first) == expected and _stock_state(second) == expected
    assert list(vars(second)) == list(vars(first))  # same attribute order as stock's __init__
    for name in ("secret_keys", "signer_kwargs", "fallback_signers", "serializer_kwargs"):
        assert getattr(first, name) is not getattr(second, name), name
    # A key added to one instance in place signs that instance's tokens only.
    second.secret_keys.append(b"newer key")
    assert first.secret_keys == [KEY.encode()]
    assert itsdangerous.URLSafeTimedSerializer(b"newer key", salt="wtf-csrf-token").loads(second.dumps(1)) == 1
    assert stock.loads(first.dumps({"a": 1})) == {"a": 1}


def test_class_changes_after_the_first_instance_are_honoured(monkeypatch):
    class Mine(itsdangerous_rs.URLSafeTimedSerializer):
        pass

    Mine(KEY)  # leaves its state for reuse
    monkeypatch.setattr(Mine, "default_signer", itsdangerous.TimestampSigner)
    assert Mine(KEY).signer is itsdangerous.TimestampSigner
    monkeypatch.setattr(Mine, "default_fallback_signers", [{"digest_method": "sha512"}])
    assert Mine(KEY).fallback_signers == [{"digest_method": "sha512"}]
    monkeypatch.setattr(Mine, "max_decompressed_size", 10)
    engine = Mine(KEY)._rs_default_engine
    monkeypatch.undo()
    assert Mine(KEY)._rs_default_engine is not engine


def test_a_subclass_setattr_sees_every_attribute():
    seen = []

    class Watching(itsdangerous_rs.URLSafeSerializer):
        def __setattr__(self, name, value):
            seen.append(name)
            super().__setattr__(name, value)

    Watching(KEY)
    seen.clear()
    Watching(KEY)
    assert seen[:2] == ["secret_keys", "salt"] and "serializer_kwargs" in seen


def test_other_shapes_run_stocks_init():
    keys = ["old", "new"]
    s = itsdangerous_rs.URLSafeTimedSerializer(keys, salt=b"s", signer_kwargs={"digest_method": itsdangerous.signer._lazy_sha1})
    assert s.secret_keys == [b"old", b"new"] and s.salt == b"s"
    assert itsdangerous.URLSafeTimedSerializer(keys, salt=b"s").loads(s.dumps([1])) == [1]
