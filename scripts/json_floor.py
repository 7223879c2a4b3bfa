"""How close the engine's JSON-to-Python loader is to the cost of building
the objects at all.

``marshal.loads`` is CPython's fastest way to build a tree of dicts, lists,
strings and numbers from bytes (no parsing to speak of), so it is a floor for
any JSON loader that must hand Python the same objects. Times each loader on
the shipped samples as Starlette writes them (``json.dumps`` defaults) with a
counter added, interleaved rounds, medians; each call's result is dropped, so
freeing the tree is counted too, as it is in a request. Run from the
repository root: ``python scripts/json_floor.py``.
"""

from __future__ import annotations

import json
import marshal
import pickle
import statistics
import time
from importlib import resources

from itsdangerous_rs import _core

ROUNDS = 15
CALLS = 2000


def sample(size: str) -> dict:
    data = json.loads(resources.files("itsdangerous_rs.samples").joinpath(f"{size}.json").read_text("utf-8"))
    data["counter"] = 1
    return data


def per_call_ns(fn, arg) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        fn(arg)
    return (time.perf_counter() - start) / CALLS * 1e9


def main() -> None:
    print(f"ns per call, median of {ROUNDS} interleaved rounds of {CALLS} calls")
    print(f"{'sample':7} {'bytes':>6} {'ours':>7} {'json':>7} {'marshal':>8} {'pickle':>7}  ours/marshal  json/ours")
    for size in ("small", "medium", "large"):
        data = sample(size)
        text = json.dumps(data).encode("utf-8")
        loaders = {
            "ours": (lambda b: _core.json_loads(b, False), text),
            "json": (json.loads, text),
            "marshal": (marshal.loads, marshal.dumps(data)),
            "pickle": (pickle.loads, pickle.dumps(data, protocol=5)),
        }
        for fn, arg in loaders.values():
            assert fn(arg) == data
        times: dict[str, list[float]] = {name: [] for name in loaders}
        names = list(loaders)
        for round_index in range(ROUNDS):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(per_call_ns(*loaders[name]))
        med = {name: statistics.median(values) for name, values in times.items()}
        print(
            f"{size:7} {len(text):6} {med['ours']:7.0f} {med['json']:7.0f} {med['marshal']:8.0f} {med['pickle']:7.0f}"
            f"  {med['ours'] / med['marshal']:11.2f}  {med['json'] / med['ours']:8.2f}"
        )


if __name__ == "__main__":
    main()
