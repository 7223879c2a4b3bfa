"""Would releasing the GIL during HMAC + inflate help large loads? Not a test.

Times `loads` of large tokens from 1 thread doing 2N calls against 2 threads
doing N calls each, for payloads of different shapes. With the GIL held for
the whole call the two take about the same wall time; any part of the call
that runs without the GIL can overlap with the other thread.

The engine as shipped holds the GIL throughout. If the extension was built
with the experimental `_core._set_detach(on, min_len)` switch (a throwaway
patch that wraps verify + payload decode in `py.detach`), both modes are
measured with the same binary; otherwise only the shipped mode.

    python scripts/gil_experiment.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time

import itsdangerous_rs
from itsdangerous_rs import _core


def payloads() -> dict[str, object]:
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    return {
        "4 KiB session": {"user": "é" * 10, "items": list(range(600)), "csrf": "c" * 40},
        "1 MiB string (compresses ~1.6x)": {"blob": "".join(rng.choice("abcdefghijklmnop") for _ in range(1 << 20))},
        "8 MiB string (compresses ~1.6x)": {"blob": "".join(rng.choice("abcdefghijklmnop") for _ in range(8 << 20))},
        "256 KiB of small objects": [{"w": rng.choice(words), "n": i} for i in range(12_000)],
    }


def timed_run(serializer, token, calls: int, threads: int) -> float:
    per_thread = calls // threads
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(per_thread):
            serializer.loads(token)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    start = time.perf_counter()
    barrier.wait()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    serializer = itsdangerous_rs.URLSafeSerializer("secret")
    modes = [("GIL held (shipped)", False)]
    if hasattr(_core, "_set_detach"):
        modes.append(("GIL released for verify+inflate", True))
    for label, obj in payloads().items():
        token = serializer.dumps(obj)
        assert serializer.loads(token) == obj
        start = time.perf_counter()
        serializer.loads(token)
        one = time.perf_counter() - start
        calls = max(4, min(400, int(0.4 / max(one, 1e-6))) // 2 * 2)
        print(f"\n{label}: token {len(token) / 1024:.0f} KiB, {one * 1e3:.2f} ms per loads, {calls} calls per run")
        for mode, detach in modes:
            if hasattr(_core, "_set_detach"):
                _core._set_detach(detach, 0)
            serial, parallel = [], []
            for _ in range(args.rounds):
                serial.append(timed_run(serializer, token, calls, 1))
                parallel.append(timed_run(serializer, token, calls, 2))
            s, p = statistics.median(serial), statistics.median(parallel)
            print(f"  {mode:<34} 1 thread {s * 1e3 / calls:7.3f} ms/call, 2 threads {p * 1e3 / calls:7.3f} ms/call, speed-up x{s / p:.2f}")
    if hasattr(_core, "_set_detach"):
        _core._set_detach(False, 0)


if __name__ == "__main__":
    main()
