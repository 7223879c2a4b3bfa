"""Where a session's dumps or loads spends its time, by part. Not a test.

For each case (Flask session serializer and plain URLSafeTimedSerializer,
dumps and loads), with the apps, sessions and tokens of benches/test_bench.py:

1. timeit of the whole call, stock and ours interleaved round by round
   (each round the best of 5 x N calls; the report gives the median round,
   and each side's fastest round, which shows its fast state on this
   machine's fast/slow switching);
2. ``perf record --call-graph dwarf`` of a loop of ours alone, and each
   sample inside the loop (under ``iter(call, sentinel)``'s C iterator, so
   imports and setup are left out) goes to the innermost frame that matches
   a part below (a sample in SHA-1 counts as HMAC, not as the token code
   that called it; one in CPython's allocator counts as the Rust part that
   called it, and one in the interpreter as Python code).

The share of samples times ours' fastest round gives each part in
microseconds, in the fast state (the shares themselves hardly move between
the two states). dwarf unwinding copies 64 KiB of stack per sample: the
deflate's frame is larger than perf's usual 8 KiB, and a shorter copy would
lose those samples' callers. Needs ``perf`` (Debian: linux-perf).

    python scripts/profile_split.py [--size small] [--calls 150000] [--rounds 30] [--timing-only] [CASE ...]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
import typing as t
from pathlib import Path

CASES = ("flask_dumps", "flask_loads", "plain_dumps", "plain_loads")
IMPLS = ("stock", "ours")

# Checked innermost frame first; the first part that matches takes the sample.
PARTS = [
    ("inflate", r"codec::inflate::|codec::compress::decompress"),
    ("deflate", r"codec::deflate::|codec::compress::compress"),
    ("JSON to or from Python objects", r"itsdangerous_rs::json::|codec::json::"),
    ("HMAC-SHA1", r"sha1::|hmac::|protocol::signing::"),
    ("base64", r"base64|protocol::encoding::"),
    ("token split, timestamp and payload", r"protocol::token::|protocol::payload::|protocol::serializer::"),
    ("context checks (stock re-run)", r"itsdangerous_rs::context_vars::"),
    # The payload memo's code is inlined into the engine's methods: it counts here.
    ("engine: arguments, memo, buffers, result", r"itsdangerous_rs::engine::(?!.*__pymethod_)"),
    ("method call: attach, binding, time.time()", r"itsdangerous_rs::methods::|__pymethod_|itsdangerous_rs::clock::"),
    ("Python code: the class's methods, the lambda", r"_PyEval_EvalFrameDefault"),
    # The loop's own frame: what is left is calling into the lambda.
    ("the loop's calls", r"calliter_iternext"),
]
BOUNDARY = "calliter_iternext"


def workloads(size: str) -> dict[tuple[str, str], tuple[t.Callable[[], t.Any], t.Callable[[], t.ContextManager[t.Any]]]]:
    """Per (case, side): the call the benchmarks time, and what makes the context it runs in.

    The apps, the 256 changed sessions and their tokens come from
    benches/test_bench.py, so this splits exactly what the benchmarks measure.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benches"))
    import test_bench as bench

    sessions = bench.changed_sessions(size)
    flask_tokens = [bench.stock_cookie(session) for session in sessions]
    stock_plain = bench.plain_serializer("stock")
    plain_tokens = [stock_plain.dumps(session) for session in sessions]
    flask_max_age = bench.flask_max_age()

    def ring(items):
        return itertools.cycle(items).__next__

    calls = {}
    for impl in IMPLS:
        app = bench.APPS[impl]
        session_serializer = bench.flask_serializer(impl)
        plain_serializer = bench.plain_serializer(impl)
        # As in the benchmarks: Flask's calls inside an app context, plain ones outside.
        calls["flask_dumps", impl] = (
            lambda s=session_serializer, nxt=ring(sessions): s.dumps(nxt()), app.app_context)
        calls["flask_loads", impl] = (
            lambda s=session_serializer, nxt=ring(flask_tokens): s.loads(nxt(), max_age=flask_max_age),
            app.app_context)
        calls["plain_dumps", impl] = (
            lambda s=plain_serializer, nxt=ring(sessions): s.dumps(nxt()), contextlib.nullcontext)
        calls["plain_loads", impl] = (
            lambda s=plain_serializer, nxt=ring(plain_tokens): s.loads(nxt(), max_age=bench.PLAIN_MAX_AGE),
            contextlib.nullcontext)
    return calls


def whole_call_us(size: str, cases: list[str], rounds: int) -> dict[tuple[str, str], list[float]]:
    """Per round, the best of 5 x n calls, stock and ours alternating."""
    calls = workloads(size)
    times: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
    for _ in range(rounds):
        for impl in IMPLS:
            for case in cases:
                call, context = calls[case, impl]
                n = 1000 if impl == "ours" else 200
                with context():
                    best = min(timeit.repeat(call, number=n, repeat=5))
                times[case, impl].append(best / n * 1e6)
    return times


def run_loop(size: str, case: str, calls: int) -> None:
    """The profiled process: ours alone, warmed up, then `calls` calls."""
    call, context = workloads(size)[case, "ours"]
    with context():
        for _ in range(2000):
            call()
        # iter(callable, sentinel): a C iterator whose frame marks the loop's samples.
        collections.deque(itertools.islice(iter(call, object()), calls), maxlen=0)


def part_shares(size: str, case: str, calls: int) -> tuple[collections.Counter, int]:
    patterns = [(name, re.compile(pattern)) for name, pattern in PARTS]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        subprocess.run(
            ["perf", "record", "-q", "-F", "2000", "--call-graph", "dwarf,65528", "-o", data, "--",
             sys.executable, __file__, "--loop", case, "--size", size, "--calls", str(calls)],
            check=True,
        )
        script = subprocess.run(["perf", "script", "-i", data], check=True, capture_output=True, text=True).stdout
    counts: collections.Counter = collections.Counter()
    inside = 0
    for sample in script.split("\n\n"):
        frames = [line.split(None, 1)[1] for line in sample.splitlines()[1:] if len(line.split(None, 1)) == 2]
        if not any(BOUNDARY in frame for frame in frames):
            continue  # warm-up, imports, setup
        inside += 1
        # Always found: the boundary frame itself matches the loop's part,
        # which therefore also takes any frame a renamed module no longer matches.
        part = next(name for frame in frames for name, pattern in patterns if pattern.search(frame))
        counts[part] += 1
    return counts, inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of {', '.join(CASES)} (default: all)")
    parser.add_argument("--size", default="small", choices=("small", "medium", "large"))
    parser.add_argument("--calls", type=int, default=150_000, help="calls in each profiled loop")
    # Fewer rounds can miss stock's fast state altogether.
    parser.add_argument("--rounds", type=int, default=30, help="timeit rounds per side")
    parser.add_argument("--timing-only", action="store_true", help="the interleaved timeit, no perf")
    parser.add_argument("--loop", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop:
        return run_loop(args.size, args.loop, args.calls)

    cases = args.cases or list(CASES)
    if not args.timing_only and shutil.which("perf") is None:
        parser.error("perf is not installed (Debian: apt install linux-perf); --timing-only runs without it")
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; expected any of {', '.join(CASES)}")
    whole = whole_call_us(args.size, cases, args.rounds)
    for case in cases:
        stock, ours = (statistics.median(whole[case, impl]) for impl in IMPLS)
        # Noise only adds time, so each side's fastest round shows its fast state.
        stock_min, ours_min = (min(whole[case, impl]) for impl in IMPLS)
        print(f"\n{case}, {args.size} session: stock {stock:.2f} us, ours {ours:.2f} us, ratio {stock / ours:.2f}x "
              f"(fastest rounds: {stock_min:.2f} and {ours_min:.2f} us, {stock_min / ours_min:.2f}x)")
        if args.timing_only:
            continue
        counts, inside = part_shares(args.size, case, args.calls)
        print(f"  ({inside} perf samples inside the loop; microseconds of the fastest round)")
        for part, count in counts.most_common():
            share = count / inside
            print(f"  {part:44s} {100 * share:5.1f} %  {share * ours_min:5.2f} us")


if __name__ == "__main__":
    main()
