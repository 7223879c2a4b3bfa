"""The Rust JSON engine against stock Python, value for value and byte for byte.

``_core.json_dumps`` / ``_core.json_loads`` return ``NotImplemented`` where the
caller must run the stock path. The rule checked everywhere: the Rust result is
either ``NotImplemented`` or exactly what stock produces, and it is never a
value where stock raises. For inputs the engine is meant to handle natively
the tests also insist that it does not fall back.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import decimal
import enum
import json
import math
import uuid

import pytest
from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from itsdangerous_rs import _core

NI = NotImplemented
SETTINGS = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------
# Helpers


class MyStr(str):
    def __str__(self):  # the encoder must ignore this
        return "nope"


class MyInt(int):
    def __repr__(self):  # and this
        return "nope"


class MyFloat(float):
    def __repr__(self):
        return "nope"


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


Point = collections.namedtuple("Point", "x y")


class HasHtml:
    def __init__(self, s):
        self.s = s

    def __html__(self):
        return self.s


def same(a, b) -> bool:
    """Equal, with the same types all the way down (NaN equals NaN, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dt.datetime):
        # The UTC singleton must stay the singleton; a fixed offset is a new
        # timezone object on every call, stock's as well as ours.
        utc = a.tzinfo is dt.timezone.utc or b.tzinfo is dt.timezone.utc
        return repr(a) == repr(b) and (a.tzinfo is b.tzinfo if utc else type(a.tzinfo) is type(b.tzinfo))
    return a == b


def stock_result(call):
    """What the stock ``call()`` returns, or the exception it raises."""
    try:
        return call()
    except Exception as e:  # noqa: BLE001 - any stock failure means "must fall back"
        return e


def assert_stock_or_fallback(subject, got, want, must_be_native=False):
    """The module's rule: Rust's ``got`` is NotImplemented or the same as stock's
    ``want``, and never a value where stock raised."""
    if isinstance(want, Exception):
        assert got is NI, (subject, want)
        return
    if must_be_native:
        assert got is not NI, subject
    if got is not NI:
        assert same(got, want), (subject, got, want)


def stock_dumps(obj, ensure_ascii, sort_keys, compact):
    seps = (",", ":") if compact else (", ", ": ")
    return stock_result(
        lambda: json.dumps(obj, ensure_ascii=ensure_ascii, sort_keys=sort_keys, separators=seps).encode()
    )


def check_dumps(obj, ensure_ascii, sort_keys, compact, must_be_native=False):
    want = stock_dumps(obj, ensure_ascii, sort_keys, compact)
    got = _core.json_dumps(obj, ensure_ascii, sort_keys, compact, False)
    assert_stock_or_fallback(obj, got, want, must_be_native)


def check_loads(data: bytes, must_be_native=False):
    want = stock_result(lambda: json.loads(data.decode("utf-8")))
    got = _core.json_loads(data, False)
    assert_stock_or_fallback(data, got, want, must_be_native)


# ---------------------------------------------------------------------------
# Strategies

floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e16, 1e-5, 1e-4, 1234567890123456.0, 1.5e300, 5e-324, 2.0**53, 0.1]
)
ints = st.integers() | st.integers(min_value=-(10**60), max_value=10**60) | st.sampled_from(
    [2**63 - 1, -(2**63), 2**63, 2**64, -(2**64) - 1]
)
# Unicode without surrogates (these can always be UTF-8 encoded), astral included.
text = (
    st.text(max_size=12)
    | st.text(st.characters(min_codepoint=0x10000), max_size=4)
    | st.text(st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\x80\xff\u2028\u2029\ufeff\uffff'), max_size=6)
    | st.sampled_from(["", "a", "_user_id", "csrf_token", "_fresh"])
)
surrogate_text = st.text(
    st.characters(codec=None, categories=None) | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    max_size=6,
)

native_scalars = st.none() | st.booleans() | ints | floats | text
native_json = st.recursive(
    native_scalars,
    lambda c: st.lists(c, max_size=6)
    | st.tuples(c, c)
    | st.dictionaries(text, c, max_size=6),
    max_leaves=20,
)
subclass_scalars = (
    st.builds(MyStr, text)
    | st.builds(MyInt, ints)
    | st.builds(MyFloat, floats)
    | st.sampled_from(list(Color))
)
any_key = text | ints | floats | st.booleans() | st.none() | st.builds(MyStr, text) | st.builds(MyInt, ints)
wild_json = st.recursive(
    native_scalars | subclass_scalars | surrogate_text | st.binary(max_size=4),
    lambda c: st.lists(c, max_size=5)
    | st.tuples(c)
    | st.builds(Point, c, c)
    | st.dictionaries(any_key, c, max_size=5)
    | st.builds(collections.OrderedDict, st.dictionaries(text, c, max_size=3)),
    max_leaves=15,
)
flags = st.tuples(st.booleans(), st.booleans(), st.booleans())
ALL_FLAGS = [(a, s, c) for a in (True, False) for s in (True, False) for c in (True, False)]


# ---------------------------------------------------------------------------
# Plain json.dumps


@SETTINGS
@given(native_json)
def test_dumps_native_identity(obj):
    for f in ALL_FLAGS:
        check_dumps(obj, *f, must_be_native=True)


@SETTINGS
@given(wild_json)
def test_dumps_wild_identity_or_fallback(obj):
    for f in ALL_FLAGS:
        check_dumps(obj, *f)


@SETTINGS
@given(st.lists(floats, min_size=1, max_size=50))
def test_float_repr(values):
    assert _core.json_dumps(values, True, False, True, False) == json.dumps(values, separators=(",", ":")).encode()


@SETTINGS
@given(st.integers(min_value=1, max_value=2**53), st.integers(min_value=-1074, max_value=970))
def test_float_repr_dyadic(m, e):
    # Values with few significant bits are where shortest-repr ties happen.
    v = math.ldexp(m, e)
    if math.isfinite(v):
        assert _core.json_dumps(v, True, False, True, False) == repr(v).encode()


def test_dumps_specific_cases():
    for obj in [
        "\x7f\u2028\u2029",
        "\ud800",
        "a\udfffb\U0001f600",
        {1: 2, 2.5: 3, True: 4, None: 5, float("nan"): 6, -float("inf"): 7, 10**30: 8},
        {"b": 1, "a": 2, "é": 3, "\U0001f600": 4, "\uffff": 5, "": 6},
        [MyStr("x"), MyInt(5), MyFloat(2.5), Color.RED],
        {MyStr("k"): 1, MyInt(3): 2},
        Point(1, 2),
        10**4000,
        -(10**4299),
    ]:
        for f in ALL_FLAGS:
            check_dumps(obj, *f)
    # Things stock rejects or handles in ways only it can reproduce.
    circular = []
    circular.append(circular)
    d = {}
    d["d"] = d
    for obj in [10**5000, circular, d, {(1, 2): 3}, {1: 1, "a": 2}, set(), b"x", object(), decimal.Decimal("1.5")]:
        for f in ALL_FLAGS:
            check_dumps(obj, *f)
    # Deep but legitimate nesting: stock handles it, Rust falls back.
    deep = []
    for _ in range(300):
        deep = [deep]
    check_dumps(deep, True, False, False)
    assert _core.json_dumps(10**5000, True, False, False, False) is NI
    assert _core.json_dumps({1: 1, "a": 2}, True, True, False, False) is NI


# ---------------------------------------------------------------------------
# Plain json.loads

ws = st.sampled_from(["", " ", "\n", "\t", "\r", "  \n "])


@st.composite
def json_documents(draw):
    """A document from stock json.dumps, optionally re-spaced."""
    obj = draw(native_json)
    ensure_ascii, sort_keys, compact = draw(flags)
    doc = json.dumps(obj, ensure_ascii=ensure_ascii, sort_keys=sort_keys, separators=(",", ":") if compact else None)
    return (draw(ws) + doc + draw(ws)).encode()


@SETTINGS
@given(json_documents())
def test_loads_native_identity(data):
    check_loads(data, must_be_native=True)


json_alphabet = st.sampled_from(
    list(b'{}[]",:\\/ \t\n\r0123456789.-+eEabfnrtuINaNy') + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xED, 0xA0, 0x80, 0xEF, 0xBB, 0xBF, 0xFF]
)


@st.composite
def mutated_documents(draw):
    data = bytearray(draw(json_documents()))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        pos = draw(st.integers(min_value=0, max_value=len(data)))
        if op == "insert":
            data[pos:pos] = bytes([draw(json_alphabet)])
        elif op == "delete" and pos < len(data):
            del data[pos]
        elif pos < len(data):
            data[pos] = draw(json_alphabet)
    return bytes(data)


@SETTINGS
@given(mutated_documents())
def test_loads_mutated_identity_or_fallback(data):
    check_loads(data)


@SETTINGS
@given(st.binary(max_size=40) | st.lists(json_alphabet, max_size=30).map(bytes))
def test_loads_garbage_identity_or_fallback(data):
    check_loads(data)


@SETTINGS
@given(st.text(st.characters(codec=None, categories=None)) | surrogate_text)
def test_loads_escaped_strings(s):
    # Every way stock writes a string (lone surrogates included) reads back the same.
    for ensure_ascii in (True, False):
        doc = json.dumps(s, ensure_ascii=ensure_ascii)
        try:
            data = doc.encode()
        except UnicodeEncodeError:
            continue
        check_loads(data)


def test_loads_specific_cases():
    accept = [
        b"null", b" true ", b"-0", b"-0.0", b"1E+2", b"1e400", b"-1e-400", b"NaN", b"-Infinity",
        b"123456789012345678901234567890", b'"\\ud83d\\ude00"', b'{"a":1,"b":2,"a":3}',
        b'"\x7f\xe2\x80\xa8"', b"[" * 150 + b"]" * 150, b"9" * 4300, b'"\xef\xbb\xbf"',
    ]
    for data in accept:
        check_loads(data, must_be_native=True)
    got = _core.json_loads(b'{"a":1,"b":2,"a":3}', False)
    assert list(got.items()) == [("a", 3), ("b", 2)]
    reject = [
        b"", b" ", b"\xef\xbb\xbf{}", b"01", b"1.", b".5", b"[1,]", b"{'a':1}", b'"\t"', b"nan",
        b"\x0b1", b"\xc2\xa01", b"[1]x", b'"\\x41"', b'"\\ud800\\uZZZZ"', b"\xff", b'"\xed\xa0\x80"',
        b"9" * 4301, b"[" * 300 + b"]" * 300, b'"\\ud800"', b'"\\udc00"', b'"\\ud800\\u0041"',
        b"[" * 100000,
    ]
    for data in reject:
        check_loads(data)
    # The int digit limit is the interpreter's current one, both ways.
    import sys

    old_limit = sys.get_int_max_str_digits()
    try:
        for limit in (640, 0):
            sys.set_int_max_str_digits(limit)
            for data in [b"1" + b"0" * 700, b"-" + b"9" * 5000]:
                check_loads(data)
            for obj in [10**700, -(10**5000)]:
                check_dumps(obj, True, False, False)
    finally:
        sys.set_int_max_str_digits(old_limit)
    # Lone surrogates, huge ints and deep nesting: Python accepts, Rust falls back.
    for data in [b'"\\ud800"', b"9" * 4301, b"[" * 300 + b"]" * 300]:
        assert _core.json_loads(data, False) is NI


# ---------------------------------------------------------------------------
# Flask's TaggedJSONSerializer

app = Flask(__name__)
serializer = TaggedJSONSerializer()
TAGS = [" di", " t", " b", " m", " u", " d"]


@pytest.fixture(autouse=True)
def _app_context():
    with app.app_context():
        yield


fixed_offsets = st.builds(
    dt.timezone,
    st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59)),
)
datetimes = st.datetimes(timezones=st.none() | st.just(dt.timezone.utc) | fixed_offsets)
canonical_datetimes = st.datetimes(
    min_value=dt.datetime(100, 1, 1), timezones=st.none() | st.just(dt.timezone.utc)
)
tag_scalars = (
    st.binary(max_size=20)
    | st.builds(Markup, text)
    | st.uuids()
    | canonical_datetimes
)
flask_native = st.recursive(
    native_scalars | tag_scalars,
    lambda c: st.lists(c, max_size=5)
    | st.tuples(c, c)
    | st.dictionaries(text | st.sampled_from(TAGS), c, max_size=5)
    | st.builds(lambda k, v: {k: v}, st.sampled_from(TAGS), c),
    max_leaves=15,
)
flask_wild = st.recursive(
    native_scalars
    | tag_scalars
    | datetimes
    | subclass_scalars
    | surrogate_text
    | st.builds(HasHtml, text)
    | st.dates()
    | st.decimals(allow_nan=False)
    | st.sets(st.integers(), max_size=2),
    lambda c: st.lists(c, max_size=4)
    | st.tuples(c)
    | st.builds(Point, c, c)
    | st.dictionaries(any_key | st.sampled_from(TAGS), c, max_size=4)
    | st.builds(lambda k, v: {k: v}, st.sampled_from(TAGS) | st.builds(MyStr, st.sampled_from(TAGS)), c),
    max_leaves=15,
)


def check_flask_dumps(obj, must_be_native=False):
    """Checks the Rust dumps against Flask's; returns Flask's token (or its exception)."""
    want = stock_result(lambda: serializer.dumps(obj).encode())
    got = _core.json_dumps(obj, True, True, True, True)
    assert_stock_or_fallback(obj, got, want, must_be_native)
    return want


def check_flask_loads(data: bytes, must_be_native=False):
    want = stock_result(lambda: serializer.loads(data.decode("utf-8")))
    got = _core.json_loads(data, True)
    assert_stock_or_fallback(data, got, want, must_be_native)


@SETTINGS
@given(flask_native)
def test_flask_dumps_native_identity(obj):
    data = check_flask_dumps(obj, must_be_native=True)
    check_flask_loads(data, must_be_native=True)


@SETTINGS
@given(flask_wild)
def test_flask_wild_identity_or_fallback(obj):
    data = check_flask_dumps(obj)
    if not isinstance(data, Exception):
        check_flask_loads(data)


tag_payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | text | st.sampled_from(
        [
            "AP8=", "AP8", "AP9=", "A===", "", "YWJj\n", "!!", "\u00e9",
            "Wed, 01 Jan 2020 00:00:00 GMT", "Wed, 29 Feb 2021 00:00:00 GMT", "Mon, 01 Jan 0099 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 +0100", "06 Nov 1994 08:49:37 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 2001 24:00:00 GMT", "Mon, 01 Jan 2001 00:00:60 GMT", "garbage",
            "75722c0cf9024d38adf87c9881653eea", "{75722c0c-f902-4d38-adf8-7c9881653eea}", "<b>",
            " t__", " di__",
        ]
    ),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(text | st.sampled_from(TAGS + [k + "__" for k in TAGS]), c, max_size=3)
    | st.builds(lambda k, v: {k: v}, st.sampled_from(TAGS + [k + "__" for k in TAGS] + ["", "__"]), c),
    max_leaves=12,
)


@SETTINGS
@given(tag_payloads)
def test_flask_loads_handcrafted_tags(obj):
    data = json.dumps(obj, sort_keys=True).encode()
    check_flask_loads(data)


def test_flask_specific_cases():
    naive = dt.datetime(2020, 1, 1, 12, 30, 45, 123456)
    for obj in [
        {"_user_id": "1", "_fresh": True, "_id": "a" * 128, "csrf_token": "b" * 40},
        {"_flashes": [("message", "Logged in"), ("error", Markup("<b>x</b>"))]},
        {" t": 1},
        {" di": {" t": 1}},
        {" t__": 1},
        {"a": (1, (2, b"\x00"))},
        Point(1, b"x"),
        [naive, naive.replace(tzinfo=dt.timezone.utc), naive.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))],
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59),
        uuid.UUID(int=0),
        HasHtml("<i>"),
        HasHtml(5),
        MyStr("plain"),
        Markup("\ud800"),
        {MyStr(" t"): 1},
        {1: "int key"},
        {1: "a", 2: "b"},
        dt.date(2020, 1, 1),
        decimal.Decimal("1.1"),
        {"x": {1, 2}},
        collections.OrderedDict(a=1),
    ]:
        check_flask_dumps(obj)
    circular = []
    circular.append(circular)
    assert _core.json_dumps(circular, True, True, True, True) is NI
    # The session-shaped values are handled natively.
    for obj in [
        {"_user_id": "1", "_fresh": True, "_id": "a" * 128},
        {"_flashes": [("message", "Logged in"), ("error", Markup("<b>x</b>"))]},
        {"when": naive, "id": uuid.UUID(int=5), "raw": b"\x01"},
    ]:
        data = check_flask_dumps(obj, must_be_native=True)
        check_flask_loads(data, must_be_native=True)
    # Untagging edge cases: Python raises or returns odd values; Rust matches or falls back.
    for data in [
        b'{" t": "abc"}', b'{" t": {"a": 1}}', b'{" t": 5}', b'{" b": "AP8"}', b'{" b": 5}', b'{" b": "AP9="}',
        b'{" m": 5}', b'{" m": [1]}', b'{" u": "bad"}', b'{" d": 5}', b'{" d": "garbage"}', b'{" d": null}',
        b'{" di": {}}', b'{" di": [1]}', b'{" di": "ab"}', b'{" di": {"a": 1, "b": 2}}', b'{" di": {"x": 1}}',
        b'{" di": {" t": [1]}}', b'{" t": [1], "x": 2}', b'{" x": 1}', b'{"  t": 1}',
        b'{" b": "' + base64.b64encode(bytes(range(256))) + b'"}',
    ]:
        check_flask_loads(data)


# ---------------------------------------------------------------------------
# Cheap seeded fuzzing: many more examples than hypothesis can generate in
# the time budget, from a plain random generator.

_CHARS = "aZ09 _-\"\\/\b\f\n\r\t\x00\x1f\x7f\x80\xe9\xff\u0100\u2028\ufeff\uffff\U0001f600\U0010ffff"


def _rand_text(r):
    return "".join(r.choice(_CHARS) for _ in range(r.randrange(8)))


def _rand_scalar(r, flask):
    k = r.randrange(12 if flask else 8)
    if k == 0:
        return r.choice([None, True, False])
    if k == 1:
        return r.randint(-(2**70), 2**70) if r.random() < 0.3 else r.randint(-1000, 1000)
    if k == 2:
        return r.choice([r.random() * 10.0 ** r.randint(-30, 30), float("nan"), float("inf"), -0.0, math.ldexp(r.randint(1, 2**20), r.randint(-60, 60))])
    if k == 3:
        return r.choice([MyStr(_rand_text(r)), MyInt(r.randint(-5, 5)), MyFloat(r.random()), Color.BLUE])
    if k < 8:
        return _rand_text(r)
    if k == 8:
        return r.randbytes(r.randrange(10))
    if k == 9:
        return Markup(_rand_text(r))
    if k == 10:
        return uuid.UUID(int=r.getrandbits(128))
    tz = r.choice([None, dt.timezone.utc, dt.timezone(dt.timedelta(minutes=r.randint(-1439, 1439)))])
    return dt.datetime(r.randint(1, 9999), r.randint(1, 12), r.randint(1, 28), r.randrange(24), r.randrange(60), r.randrange(60), r.randrange(10**6), tzinfo=tz)


def _rand_value(r, flask, depth=0):
    k = r.randrange(10)
    if depth > 4 or k < 5:
        return _rand_scalar(r, flask)
    n = r.randrange(5)
    if k == 5:
        return [_rand_value(r, flask, depth + 1) for _ in range(n)]
    if k == 6:
        return tuple(_rand_value(r, flask, depth + 1) for _ in range(n))
    if k == 7 and flask:
        return {r.choice(TAGS): _rand_value(r, flask, depth + 1)}
    return {_rand_text(r) if r.random() < 0.95 else r.randint(0, 3): _rand_value(r, flask, depth + 1) for _ in range(n)}


def test_random_fuzz_plain():
    import random

    r = random.Random(20240611)
    for _ in range(25000):
        obj = _rand_value(r, False)
        f = r.choice(ALL_FLAGS)
        check_dumps(obj, *f)
        data = stock_dumps(obj, *f)
        if isinstance(data, bytes):
            check_loads(data, must_be_native=True)


def test_random_fuzz_flask():
    import random

    r = random.Random(20240612)
    native = 0
    for _ in range(25000):
        obj = _rand_value(r, True)
        data = check_flask_dumps(obj)
        if isinstance(data, bytes):
            check_flask_loads(data)
            native += _core.json_dumps(obj, True, True, True, True) is not NI
    assert native > 12000
