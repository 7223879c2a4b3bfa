"""Hostile input: ours against stock itsdangerous 2.2 and Flask 3.1.

A session cookie is attacker-controlled. For random bytes and text, mutated
valid tokens, correctly signed garbage payloads and huge timestamps, every
signer, serializer and the Flask session interface must give what stock gives:
the same value, or the same exception class, message, payload, date_signed
and original error. Never another exception type, never a crash or a hang.

Intentional differences (asserted as such, see README):

* a zlib bomb that inflates past ``max_decompressed_size`` (16 MiB for the
  serializers) raises ``BadPayload("Could not zlib decompress the payload
  before decoding the payload")`` at once, where stock inflates it all and
  then loads it or fails on its JSON;
* the Flask interface opens every signed cookie it cannot use (a bomb past
  its 4 MiB cap, bad base64, zlib, JSON or tags, JSON that is not a mapping)
  as an empty session, where stock's ``open_session`` raises (a 500).

Deep nesting is *not* a difference: the Rust reader hands anything deeper than
200 levels to stock, which raises ``BadPayload`` (RecursionError as its
original error) from the serializers and Flask alike; both are checked here.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import os
import time
import zlib

import flask
import flask.sessions
import itsdangerous
import pytest
from differential import clock_frozen_at
from differential import outcome
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from itsdangerous.encoding import base64_encode

import itsdangerous_rs
import itsdangerous_rs.flask

NOW = 1_700_000_000.5
KEY = "secret-key"
#: Differential cases run per kind, printed at the end (pytest -s).
COUNTS: collections.Counter[str] = collections.Counter()

#: Examples per hypothesis test; raise it for a longer local soak.
EXAMPLES = int(os.environ.get("ITSDANGEROUS_RS_HOSTILE_EXAMPLES", "150"))
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def frozen_clock():
    # Hypothesis dislikes function-scoped fixtures; patch for the whole module.
    with clock_frozen_at(NOW):
        yield
    print("\nhostile-input differential cases:", dict(sorted(COUNTS.items())), "total", sum(COUNTS.values()))


def same_value(a, b) -> bool:
    """`differential.same_value` without recursion, for 900-deep values."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            if not (math.isnan(x) and math.isnan(y)) and not (x == y and math.copysign(1, x) == math.copysign(1, y)):
                return False
        elif isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif x != y:
            return False
    return True


def same_outcome(a, b) -> bool:
    if a[0] != b[0]:
        return False
    return same_value(a[1], b[1]) if a[0] == "ok" else a[1] == b[1]


# --- the objects under test, stock and ours, configured alike ---------------

def _pairs():
    signer_kwargs = {"key_derivation": "hmac", "digest_method": hashlib.sha256}
    return {
        "Signer": (itsdangerous.Signer(KEY), itsdangerous_rs.Signer(KEY)),
        "TimestampSigner": (itsdangerous.TimestampSigner(KEY), itsdangerous_rs.TimestampSigner(KEY)),
        "Serializer": (itsdangerous.Serializer(KEY), itsdangerous_rs.Serializer(KEY)),
        "TimedSerializer": (itsdangerous.TimedSerializer(KEY), itsdangerous_rs.TimedSerializer(KEY)),
        "URLSafeSerializer": (itsdangerous.URLSafeSerializer(KEY), itsdangerous_rs.URLSafeSerializer(KEY)),
        "URLSafeTimedSerializer": (
            itsdangerous.URLSafeTimedSerializer(KEY),
            itsdangerous_rs.URLSafeTimedSerializer(KEY),
        ),
        "URLSafeTimedSerializer-hmac-sha256-rotated": (
            itsdangerous.URLSafeTimedSerializer(["old", KEY], salt="s", signer_kwargs=signer_kwargs),
            itsdangerous_rs.URLSafeTimedSerializer(["old", KEY], salt="s", signer_kwargs=signer_kwargs),
        ),
    }


PAIRS = _pairs()
TIMED = {"TimestampSigner", "TimedSerializer", "URLSafeTimedSerializer", "URLSafeTimedSerializer-hmac-sha256-rotated"}


def _load_calls(name: str):
    """Ways to read a token: (label, kwargs) for loads/unsign."""
    if name in TIMED:
        return [{}, {"max_age": 3600}, {"max_age": 0, "return_timestamp": True}]
    return [{}]


def _read(obj, token, kwargs):
    if isinstance(obj, itsdangerous.Signer):
        return obj.unsign(token, **kwargs)
    return obj.loads(token, **kwargs)


def assert_same_everywhere(token, kind: str, names=None) -> None:
    """Every pair reads `token` (and its other type, str/bytes) identically."""
    variants = [token]
    if isinstance(token, bytes):
        try:
            variants.append(token.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    elif isinstance(token, str):
        try:
            variants.append(token.encode("utf-8"))
        except UnicodeEncodeError:
            pass
    for name in names or PAIRS:
        stock, ours = PAIRS[name]
        for kwargs in _load_calls(name):
            for tok in variants:
                expected = outcome(lambda: _read(stock, tok, kwargs))
                got = outcome(lambda: _read(ours, tok, kwargs))
                assert same_outcome(expected, got), (name, kwargs, tok[:200], expected, got)
                COUNTS[kind] += 1


# --- Flask --------------------------------------------------------------------

def _app(interface) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = "dev"
    app.config["SECRET_KEY_FALLBACKS"] = ["old-dev"]
    app.session_interface = interface
    return app


STOCK_APP = _app(flask.sessions.SecureCookieSessionInterface())
OUR_APP = _app(itsdangerous_rs.flask.SecureCookieSessionInterface())


def _open_session(app, cookie_header: str):
    with app.test_request_context(environ_base={"HTTP_COOKIE": cookie_header}):
        request = flask.request._get_current_object()
        session = app.session_interface.open_session(app, request)
        return None if session is None else (type(session).__name__, dict(session))


def flask_sign(payload: bytes) -> str:
    """A cookie whose signature is right, carrying an arbitrary payload."""
    with STOCK_APP.app_context():
        serializer = STOCK_APP.session_interface.get_signing_serializer(STOCK_APP)
        return serializer.make_signer().sign(payload).decode("ascii")


EMPTY_SESSION = ("ok", ("SecureCookieSession", {}))


def assert_same_session(cookie: str, kind: str) -> None:
    """Ours opens what stock opens; where stock raises (a 500), ours opens an empty session."""
    header = f"theme=dark; session={cookie}"
    expected = outcome(lambda: _open_session(STOCK_APP, header))
    got = outcome(lambda: _open_session(OUR_APP, header))
    if expected[0] == "error":
        assert got == EMPTY_SESSION, (cookie[:200], expected, got)
        COUNTS[kind + " (stock raises, ours opens empty)"] += 1
        return
    assert same_outcome(expected, got), (cookie[:200], expected, got)
    COUNTS[kind] += 1


# --- token material ---------------------------------------------------------

VALUES = [{"id": 42}, {"user": "é", "n": [1, 2.5, None, True]}, list(range(200)), "x" * 300, []]


def valid_tokens() -> list[str | bytes]:
    tokens: list[str | bytes] = []
    for name, (stock, _) in PAIRS.items():
        if isinstance(stock, itsdangerous.Signer):
            tokens += [stock.sign(b"my string"), stock.sign("é.x")]
        else:
            tokens += [stock.dumps(v) for v in VALUES]
    return tokens


def valid_cookies() -> list[str]:
    cookies = []
    for session in [{"a": 1, "b": (1, 2)}, {"csrf": "t" * 40, "items": list(range(100))}, {"b": b"\x00\xff"}]:
        with STOCK_APP.test_request_context():
            cookies.append(STOCK_APP.session_interface.get_signing_serializer(STOCK_APP).dumps(session))
    return cookies


TOKENS = valid_tokens()
COOKIES = valid_cookies()


def mutate(token: str, op: int, where: int, arg: int) -> str:
    """One hostile edit of a token: the operations the brief lists."""
    if not token:
        return "."
    segments = token.split(".")
    seg = where % len(segments)
    start = sum(len(s) + 1 for s in segments[:seg])
    seg_len = max(len(segments[seg]), 1)
    i = min(start + arg % seg_len, len(token) - 1)
    if op == 0:  # bit flip inside one segment (every segment reachable)
        return token[:i] + chr(ord(token[i]) ^ (1 << (arg % 7))) + token[i + 1:]
    if op == 1:  # truncation
        return token[: arg % len(token)]
    if op == 2:  # appended padding
        return token + "=" * (1 + arg % 4)
    if op == 3:  # non-ASCII inserted
        return token[:i] + "ñé\u2028😀"[arg % 4] + token[i:]
    if op == 4:  # doubled separator
        k = arg % max(token.count("."), 1)
        parts = token.split(".")
        return ".".join(parts[: k + 1]) + ".." + ".".join(parts[k + 1:]) if len(parts) > 1 else token + ".."
    if op == 5:  # separators only / swapped segments
        return ".".join(reversed(segments))
    if op == 6:  # a character dropped
        return token[:i] + token[i + 1:]
    return token + token[i:]  # op 7: duplicated tail


# --- hypothesis: random input -------------------------------------------------

@HYPOTHESIS
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_random_input(data):
    assert_same_everywhere(data, "random")
    # WSGI environ strings are latin-1 decoded bytes.
    assert_same_session(data.decode("latin-1") if isinstance(data, bytes) else data, "flask-random")


@HYPOTHESIS
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120))
def test_random_cookie_headers(header):
    """Printable-ASCII headers, where our cookie lookup replaces Werkzeug's parser."""
    for full in (header, "session=" + header, header + "; session=abc.def"):
        expected = outcome(lambda: _open_session(STOCK_APP, full))
        got = outcome(lambda: _open_session(OUR_APP, full))
        assert same_outcome(expected, got), (full, expected, got)
        COUNTS["flask-header"] += 1


@HYPOTHESIS
@given(
    st.sampled_from(range(len(TOKENS))),
    st.integers(0, 7),
    st.integers(0, 3),
    st.integers(0, 10_000),
    st.booleans(),
)
def test_mutated_tokens(index, op, where, arg, as_bytes):
    token = TOKENS[index]
    text = token.decode("utf-8") if isinstance(token, bytes) else token
    tampered = mutate(text, op, where, arg)
    assert_same_everywhere(tampered.encode("utf-8") if as_bytes else tampered, "mutated")


@HYPOTHESIS
@given(st.sampled_from(range(len(COOKIES))), st.integers(0, 7), st.integers(0, 3), st.integers(0, 10_000))
def test_mutated_cookies(index, op, where, arg):
    assert_same_session(mutate(COOKIES[index], op, where, arg), "flask-mutated")


def test_every_single_character_edit():
    """Exhaustive: every position of one token of each kind, every edit."""
    for name in ("URLSafeTimedSerializer", "TimestampSigner"):
        stock, _ = PAIRS[name]
        token = stock.dumps({"id": 42}) if name.endswith("Serializer") else stock.sign(b"v").decode()
        for i in range(len(token)):
            for repl in ("A", "-", ".", "=", "ñ", ""):
                assert_same_everywhere(token[:i] + repl + token[i + 1:], "single-edit", names=[name])


# --- correctly signed garbage -----------------------------------------------

b64 = base64_encode


def deep(n: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * n + close * n


GARBAGE_JSON = {
    "invalid utf-8": b"\xff\xfe\x80",
    "invalid utf-8 in a string": b'{"a":"ok","b":"\xc3\x28"}',
    "invalid utf-8 in a key": b'{"a":1,"\xff":2}',
    "invalid utf-8 after a tag": b'{" u":"0123456789abcdef0123456789abcdef","x":"\xe2\x82"}',
    "overlong utf-8": b'["x","\xc0\xaf"]',
    "utf-8 surrogate": b'{"a":"\xed\xa0\x80"}',
    "lone surrogate escape": b'"\\ud800"',
    "invalid json": b"{not json",
    "trailing data": b'{"a":1}x',
    "NaN": b"NaN",
    "Infinity list": b"[NaN,Infinity,-Infinity,-0.0,1e400]",
    "4300-digit int": b"9" * 4300,
    "4301-digit int": b"9" * 4301,
    "10^6-digit int": b"1" * 10**6,
    "10^6-digit float": b"1." + b"0" * 10**6,
    "200-deep": deep(200),
    "201-deep": deep(201),
    "900-deep list": deep(900),
    "10000-deep list": deep(10_000),
    "10000-deep dict": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "400-deep dict": b'{"a":' * 400 + b"1" + b"}" * 400,
    "BOM": b"\xef\xbb\xbf{}",
    "control char": b'"\x01"',
    "empty": b"",
    "duplicate keys": b'{"a":1,"a":2}',
    "flask tags": b'{" t":[1,{" b":"AAEC"}]," u":"0123456789abcdef0123456789abcdef"}',
    "flask bad tags": b'{" b":"!!","x":{" d":"not a date"}," m":1}',
    "flask bad uuid": b'{" u":"xyz"}',
    "flask di": b'{" di":{" t":[1]}}',
}

GARBAGE_PAYLOADS = {
    "bad base64": b"a",
    "bad base64 compressed": b".a",
    "not zlib": b"." + b64(b"not zlib at all"),
    "truncated zlib": b"." + b64(zlib.compress(b'{"a":1}')[:-3]),
    "zlib + trailing": b"." + b64(zlib.compress(b'{"a":1}') + b"trailing"),
    "zlib bad checksum": b"." + b64(zlib.compress(b'{"a":1}')[:-4] + b"\x00\x00\x00\x00"),
    "empty compressed": b".",
    "dot dot": b"..",
    "small bomb (0.5 MiB zeros)": b"." + b64(zlib.compress(b"\x00" * (512 << 10), 9)),
    "small bomb (64 KiB JSON)": b"." + b64(zlib.compress(b"[" + b"0," * (32 << 10) + b"0]", 9)),
    "compressed deep": b"." + b64(zlib.compress(deep(20_000), 9)),
}


def signed_tokens(payload_json: bytes, url_safe_payload: bytes | None = None):
    """(pair name, token) with a correct signature around the given payload."""
    encoded = b64(payload_json) if url_safe_payload is None else url_safe_payload
    out = []
    for name, (stock, _) in PAIRS.items():
        if isinstance(stock, itsdangerous.Signer):
            continue
        payload = encoded if "URLSafe" in name else payload_json
        if url_safe_payload is not None and "URLSafe" not in name:
            continue
        out.append((name, stock.make_signer().sign(payload)))
    return out


@pytest.mark.parametrize("label", list(GARBAGE_JSON))
def test_signed_garbage_json(label):
    payload = GARBAGE_JSON[label]
    for name, token in signed_tokens(payload):
        assert_same_everywhere(token, "signed-garbage", names=[name])
    cookie = flask_sign(b64(payload))
    assert_same_session(cookie, "flask-signed-garbage")
    if len(payload) < 100_000:
        assert_same_session(flask_sign(b"." + b64(zlib.compress(payload))), "flask-signed-garbage")


@pytest.mark.parametrize("label", list(GARBAGE_PAYLOADS))
def test_signed_garbage_payload(label):
    payload = GARBAGE_PAYLOADS[label]
    for name, token in signed_tokens(b"", payload):
        assert_same_everywhere(token, "signed-garbage", names=[name])
    assert_same_session(flask_sign(payload), "flask-signed-garbage")


@HYPOTHESIS
@given(st.binary(max_size=300), st.booleans())
def test_signed_random_payloads(payload, compressed):
    """Arbitrary bytes under a valid signature: as JSON, and as a zlib stream."""
    data = b"." + b64(payload) if compressed else b64(payload)
    for name, token in signed_tokens(payload):
        if "URLSafe" not in name:
            assert_same_everywhere(token, "signed-random", names=[name])
    for name, token in signed_tokens(b"", data):
        assert_same_everywhere(token, "signed-random", names=[name])
    assert_same_session(flask_sign(data), "flask-signed-random")


JSON_ATOMS = st.recursive(
    st.one_of(
        st.sampled_from([b"null", b"true", b"NaN", b"-Infinity", b"1e999", b"-0", b'"\\ud800"', b'" t"', b'" b"']),
        st.integers().map(lambda i: str(i).encode()),
        st.floats(allow_nan=True).map(lambda f: repr(f).encode()),
        st.text(max_size=8).map(lambda s: ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"').encode("utf-8", "surrogatepass")),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda xs: b"[" + b",".join(xs) + b"]"),
        st.lists(st.tuples(st.sampled_from([b'" t"', b'" b"', b'" m"', b'" u"', b'" d"', b'" di"', b'"k"']), children), max_size=3).map(
            lambda kv: b"{" + b",".join(k + b":" + v for k, v in kv) + b"}"
        ),
    ),
    max_leaves=12,
)


@settings(HYPOTHESIS, max_examples=max(EXAMPLES * 2 // 3, 1))
@given(JSON_ATOMS)
def test_signed_near_json(doc):
    """Almost-valid JSON (tags, surrogates, odd numbers) under a valid signature."""
    for name, token in signed_tokens(doc):
        assert_same_everywhere(token, "signed-json", names=[name])
    assert_same_session(flask_sign(b64(doc)), "flask-signed-json")


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz", "mon"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo", "feb"]
HTTP_DATES = st.builds(
    "{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} {}".format,
    st.sampled_from(DAYS),
    st.integers(0, 39),
    st.sampled_from(MONTHS),
    st.sampled_from([0, 1, 69, 70, 99, 100, 1900, 1970, 2000, 2023, 2024, 2100, 9999]) | st.integers(0, 9999),
    st.integers(0, 29),
    st.integers(0, 69),
    st.integers(0, 69),
    st.sampled_from(["GMT", "UTC", "+0000", "gmt", ""]),
)


@HYPOTHESIS
@given(
    st.one_of(
        HTTP_DATES.map(lambda d: ("d", d)),
        st.text(alphabet="0123456789abcdefABCDEF-{}urn:", max_size=45).map(lambda u: ("u", u)),
        st.text(alphabet="ABCDabcd0123+/=-_ \n!", max_size=24).map(lambda b: ("b", b)),
    )
)
def test_signed_flask_tag_values(tagged):
    """Near-valid tag values: dates (Rust fast path vs werkzeug.parse_date), UUIDs, base64."""
    tag, text = tagged
    doc = json.dumps({"x": {" " + tag: text}}, separators=(",", ":")).encode()
    assert_same_session(flask_sign(b64(doc)), "flask-tag-values")


# --- timestamps ---------------------------------------------------------------

TIMESTAMPS = [
    0, 1, int(NOW) - 3601, int(NOW) - 3600, int(NOW), int(NOW) + 1,
    253_402_300_799, 253_402_300_800, 2**40, 2**63 - 1, 2**63, 2**64 - 1,
]


@pytest.mark.parametrize("ts", TIMESTAMPS)
def test_huge_timestamps(ts):
    raw = ts.to_bytes(8, "big").lstrip(b"\x00")
    for ts_bytes in (b64(raw), b64(b"\x00" + raw), b64(b"\x01" * 9), b"!", b""):
        for name in TIMED:
            stock = PAIRS[name][0]
            signer = stock if isinstance(stock, itsdangerous.Signer) else stock.make_signer()
            sep = signer.sep
            value = b"eyJpZCI6NDJ9"  # {"id":42}
            token = itsdangerous.Signer.sign(signer, value + sep + ts_bytes)
            assert_same_everywhere(token, "timestamp", names=[name])
        assert_same_session(flask_sign(b"eyJpZCI6NDJ9." + ts_bytes), "flask-timestamp")


@pytest.mark.parametrize("max_age", [2**63 - 1, 2**63, 10**20, -(2**63), -(2**63) - 1, -(10**20)])
def test_max_age_outside_i64(max_age):
    """Any int is a valid max_age for stock; ours must not raise OverflowError."""
    for name in TIMED:
        stock, ours = PAIRS[name]
        token = stock.sign(b"v") if isinstance(stock, itsdangerous.Signer) else stock.dumps({"id": 1})
        for kwargs in ({"max_age": max_age}, {"max_age": max_age, "return_timestamp": True}):
            expected = outcome(lambda: _read(stock, token, kwargs))
            got = outcome(lambda: _read(ours, token, kwargs))
            assert same_outcome(expected, got), (name, kwargs, expected, got)
            COUNTS["max-age-range"] += 1


@pytest.mark.parametrize("clock", [2.0**63, 2.0**64, 1e30, -1.0, -(2.0**63) - 4096])
def test_clock_outside_i64(clock):
    """A (mocked) clock outside i64: same tokens, values and errors as stock."""
    tokens = {
        name: stock.sign(b"v") if isinstance(stock, itsdangerous.Signer) else stock.dumps({"id": 1})
        for name, (stock, _) in PAIRS.items()
    }  # signed at NOW
    saved = time.time
    time.time = lambda: clock
    try:
        for name, (stock, ours) in PAIRS.items():
            if isinstance(stock, itsdangerous.Signer):
                expected, got = outcome(lambda: stock.sign(b"v")), outcome(lambda: ours.sign(b"v"))
            else:
                expected, got = outcome(lambda: stock.dumps({"id": 1})), outcome(lambda: ours.dumps({"id": 1}))
            assert same_outcome(expected, got), (name, clock, expected, got)
            for kwargs in _load_calls(name):
                expected = outcome(lambda: _read(stock, tokens[name], kwargs))
                got = outcome(lambda: _read(ours, tokens[name], kwargs))
                assert same_outcome(expected, got), (name, clock, kwargs, expected, got)
                COUNTS["clock-range"] += 1
    finally:
        time.time = saved


def test_non_token_types():
    for junk in (None, 42, 4.5, ["a.b"], "\ud800.abc", bytearray(b"a.b"), memoryview(b"a.b")):
        assert_same_everywhere(junk, "types")


# --- the documented differences -----------------------------------------------

def test_zlib_bomb_over_the_cap_is_bad_payload():
    """Ours stops at the cap with BadPayload; stock inflates it all."""
    limit = itsdangerous_rs.URLSafeSerializer.max_decompressed_size
    bomb_json = b'"' + b"a" * limit + b'"'  # valid JSON just over the cap
    bomb = b"." + b64(zlib.compress(bomb_json, 9))
    stock, ours = PAIRS["URLSafeSerializer"]
    token = stock.make_signer().sign(bomb)
    assert len(stock.loads(token)) == limit  # stock inflates and loads it all
    start = time.perf_counter()
    with pytest.raises(itsdangerous.BadPayload) as info:
        ours.loads(token)
    assert time.perf_counter() - start < 5
    assert str(info.value) == "Could not zlib decompress the payload before decoding the payload"
    assert isinstance(info.value.original_error, ValueError)
    COUNTS["documented-difference"] += 1

    # Flask: 4 MiB cap. Stock loads a 5 MiB session (a ~6.8 KB cookie no
    # browser keeps); ours opens an empty session.
    flask_bomb = b"." + b64(zlib.compress(b'{"k":"' + b"a" * (5 << 20) + b'"}', 9))
    cookie = flask_sign(flask_bomb)
    header = f"session={cookie}"
    assert len(_open_session(STOCK_APP, header)[1]["k"]) == 5 << 20
    assert _open_session(OUR_APP, header) == EMPTY_SESSION[1]
    # Stock's 2 MiB session from before is served by ours too.
    two_mib = b"." + b64(zlib.compress(b'{"k":"' + b"a" * (2 << 20) + b'"}', 9))
    served = f"session={flask_sign(two_mib)}"
    assert _open_session(OUR_APP, served) == _open_session(STOCK_APP, served)
    COUNTS["documented-difference"] += 1


def test_gigantic_bomb_is_refused_quickly():
    """A 64 MiB bomb (~85 KB token): rejected after at most cap bytes of work."""
    bomb = b"." + b64(zlib.compress(b"\x00" * (64 << 20), 9))
    stock, ours = PAIRS["URLSafeTimedSerializer"]
    token = stock.make_signer().sign(bomb)
    start = time.perf_counter()
    with pytest.raises(itsdangerous.BadPayload, match="zlib decompress"):
        ours.loads(token, max_age=3600)
    assert time.perf_counter() - start < 5
    start = time.perf_counter()
    assert _open_session(OUR_APP, f"session={flask_sign(bomb)}") == EMPTY_SESSION[1]
    assert time.perf_counter() - start < 5
    COUNTS["documented-difference"] += 2


def test_unsigned_bomb_costs_nothing():
    """Without the key, a bomb is rejected at the signature, before any inflate."""
    bomb = "." + b64(zlib.compress(b"\x00" * (64 << 20), 9)).decode() + ".ZVPxAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert_same_everywhere(bomb, "unsigned-bomb", names=["URLSafeTimedSerializer", "URLSafeSerializer"])
    assert_same_session(bomb, "flask-unsigned-bomb")
