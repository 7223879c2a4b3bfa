"""The benchmarks' check that "ours" took the Rust path.

benches/test_bench.py records, per case, whether itsdangerous_rs's engine
handled the sample (``rust_path``); the report marks rows where it did not or
could not tell. The check reads private attributes, so it is tested here, where
a renamed attribute fails instead of quietly turning every answer into
"unknown" (as it once did for the Flask serializer cases).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH_FILE = Path(__file__).resolve().parent.parent / "benches" / "test_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("itsdangerous_rs_bench_module", BENCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_every_check_sees_the_rust_path(bench, size):
    data = bench.changed_sessions(size)[0]
    cookie = bench.stock_cookie(data)
    max_age = bench.flask_max_age()
    plain_token = bench.plain_serializer("stock").dumps(data)
    assert bench.rust_path_flask(dump_obj=data, token=cookie, max_age=max_age) is True
    assert bench.rust_path_interface(dump_obj=data, token=cookie, max_age=max_age) is True
    assert bench.rust_path_plain(dump_obj=data, token=plain_token, max_age=bench.PLAIN_MAX_AGE) is True


def test_flask_check_says_no_when_the_app_context_rules_the_engine_out(bench):
    data = bench.changed_sessions("small")[0]
    app = bench.APPS["ours"]
    app.json.sort_keys = False  # stock then writes unsorted JSON: the engine must stand aside
    try:
        assert bench.rust_path_flask(dump_obj=data) is False
    finally:
        app.json.sort_keys = True
    assert bench.rust_path_flask(dump_obj=data) is True


def test_plain_check_says_no_for_data_the_engine_declines(bench):
    # A set is not JSON: the engine returns NotImplemented and stock raises.
    assert bench.rust_path_plain(dump_obj={"tags": {1, 2}}) is False
