"""Shared helpers for the differential tests: random values and outcomes."""

from __future__ import annotations

import contextlib
import math
import random
import time
import typing as t

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "ABCxyz0123456789 _-.",
    "\"\\/\b\f\n\r\t\x00\x1f\x7f",
    "éüßñ€\u2028\u2029\u00a0",
    "漢字かなカナ한국어",
    "😀🎉𝄞\U0010ffff",
]

SPECIAL_FLOATS = [0.0, -0.0, 1e-05, 1e-4, 1e16, 1e15, 1.5e300, 5e-324, 1.7976931348623157e308,
                  0.1, 1 / 3, 123456789.125, float("inf"), float("-inf"), float("nan")]


def random_text(rng: random.Random, max_len: int = 12) -> str:
    alphabet = rng.choice(ALPHABETS)
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))


def random_scalar(rng: random.Random) -> t.Any:
    kind = rng.randrange(9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randint(-1000, 1000)
    if kind == 3:
        return rng.choice([2**63, -(2**63) - 1, 2**64, 10**30, -(10**40), 2**63 - 1])
    if kind == 4:
        return rng.choice(SPECIAL_FLOATS)
    if kind == 5:
        return rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30)
    return random_text(rng)


def random_json(rng: random.Random, depth: int = 0) -> t.Any:
    """A JSON-able value: unicode, floats, big ints, nested containers."""
    if depth >= 4 or rng.random() < 0.35:
        return random_scalar(rng)
    if rng.random() < 0.5:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {random_text(rng, 8): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def same_value(a: t.Any, b: t.Any) -> bool:
    """Equality that treats NaN as equal to NaN and tuples as lists only where equal."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return a == b


@contextlib.contextmanager
def clock_frozen_at(now: float) -> t.Iterator[None]:
    """``time.time()`` answers ``now`` inside; for module-scoped fixtures, where monkeypatch is not available."""
    real = time.time
    time.time = lambda: now
    try:
        yield
    finally:
        time.time = real


RECURSION = "maximum recursion depth exceeded"


def outcome(fn: t.Callable[[], t.Any]) -> tuple[str, t.Any]:
    """The result, or the exception's class and every attribute callers read."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - comparing every kind of failure
        attrs = {k: getattr(e, k) for k in ("payload", "date_signed") if hasattr(e, k)}
        original = getattr(e, "original_error", None)
        message = str(original) if original else None
        if isinstance(original, RecursionError) and message.startswith(RECURSION):
            # CPython 3.9 and 3.10 add " while calling a Python object" (or
            # the like) when the limit trips at a C-level call rather than a
            # Python one: which call that is depends on how deep the caller's
            # stack already was, not on the input, so only the prefix is kept.
            message = RECURSION
        return "error", (type(e), str(e), attrs, type(original), message)


def same_outcome(a: tuple[str, t.Any], b: tuple[str, t.Any]) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "ok":
        return same_value(a[1], b[1])
    return a[1] == b[1]


def mutate(rng: random.Random, token: str) -> str:
    """A tampered token: flipped, dropped, doubled or appended characters."""
    chars = list(token)
    kind = rng.randrange(7)
    if kind == 0 and chars:
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("AZaz09-_.=+/!ñ")
    elif kind == 1 and chars:
        del chars[rng.randrange(len(chars)):]
    elif kind == 2:
        chars.append(rng.choice(["=", "==", "ñ", ".", "..", "\x00"]))
    elif kind == 3 and chars:
        i = rng.randrange(len(chars))
        chars.insert(i, chars[i])
    elif kind == 4:
        chars = list(token.replace(".", "..", 1))
    elif kind == 5 and chars:
        i = rng.randrange(len(chars))
        del chars[i]
    else:
        chars = list(token[::-1])
    return "".join(chars)
