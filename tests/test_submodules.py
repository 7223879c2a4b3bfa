"""Each itsdangerous submodule's public names import from the same itsdangerous_rs submodule.

A public name is one without a leading underscore bound to an object that
itsdangerous itself defines (its classes, functions and exceptions), not the
modules and standard-library names stock happens to import. Ours binds each
to this package's subclass where there is one, and to stock's very object
otherwise.
"""

from __future__ import annotations

import importlib

import itsdangerous
import pytest

import itsdangerous_rs

SUBMODULES = ["encoding", "exc", "signer", "serializer", "timed", "url_safe"]
OUR_CLASSES = {
    name: getattr(itsdangerous_rs, name)
    for name in ("Signer", "TimestampSigner", "Serializer", "TimedSerializer", "URLSafeSerializer", "URLSafeTimedSerializer")
}


def public_names(module) -> set[str]:
    return {
        name
        for name in dir(module)
        if not name.startswith("_") and getattr(getattr(module, name), "__module__", "").split(".")[0] == "itsdangerous"
    }


@pytest.mark.parametrize("sub", SUBMODULES)
def test_submodule_has_every_public_name_of_stock(sub):
    stock = importlib.import_module(f"itsdangerous.{sub}")
    ours = importlib.import_module(f"itsdangerous_rs.{sub}")
    names = public_names(stock)
    assert names, sub  # the rule finds stock's names
    assert names - set(dir(ours)) == set()
    for name in sorted(names):
        expected = OUR_CLASSES.get(name, getattr(stock, name))
        assert getattr(ours, name) is expected, (sub, name)
        if name in OUR_CLASSES:
            assert issubclass(expected, getattr(stock, name))


def test_top_level_has_every_public_name_of_stock():
    names = public_names(itsdangerous) | set(itsdangerous.__all__ if hasattr(itsdangerous, "__all__") else ())
    for name in sorted(names):
        assert getattr(itsdangerous_rs, name) is OUR_CLASSES.get(name, getattr(itsdangerous, name)), name


def test_submodule_imports_as_stock_code_writes_them():
    from itsdangerous_rs.encoding import bytes_to_int, int_to_bytes
    from itsdangerous_rs.signer import HMACAlgorithm, NoneAlgorithm, SigningAlgorithm
    from itsdangerous_rs.timed import TimedSerializer, TimestampSigner
    from itsdangerous_rs.url_safe import URLSafeSerializerMixin, URLSafeTimedSerializer

    assert bytes_to_int(int_to_bytes(1_700_000_000)) == 1_700_000_000
    assert issubclass(HMACAlgorithm, SigningAlgorithm) and issubclass(NoneAlgorithm, SigningAlgorithm)
    assert issubclass(URLSafeTimedSerializer, TimedSerializer) and issubclass(URLSafeTimedSerializer, URLSafeSerializerMixin)
    assert TimestampSigner("k").unsign(TimestampSigner("k").sign("v")) == b"v"
