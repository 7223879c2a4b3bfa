"""dudect-style constant-time check of signature verification. Not a test.

Two classes of wrong signatures for the same value, both the right length:

* "prefix": the correct MAC with only its last byte changed (every byte but
  one matches, so an early-exit comparison would run longest);
* "early": the correct MAC with its first byte changed (an early-exit
  comparison would stop at once).

Measurements of the two classes are interleaved in random order, timed in
small batches with ``perf_counter_ns``, and compared with Welch's t-test, on
the raw timings and cropped at several percentiles as dudect does. |t| above
4.5 is the usual threshold for "the timing depends on the secret".

Measured paths:

* ``engine``: the Rust engine's ``unsign`` alone (``Mac::verify_slice``;
  returns NotImplemented on a mismatch, no exception);
* ``Signer.unsign``: the whole public call, exception included (after the
  Rust mismatch, stock itsdangerous runs ``hmac.compare_digest`` and raises).

    python scripts/timing_dudect.py [--samples 200000] [--batch 8]
"""

from __future__ import annotations

import argparse
import math
import random
import time

import itsdangerous
from itsdangerous.encoding import base64_encode

import itsdangerous_rs


def welch_t(a: list[float], b: list[float]) -> float:
    na, nb = len(a), len(b)
    ma, mb = sum(a) / na, sum(b) / nb
    va = sum((x - ma) ** 2 for x in a) / (na - 1)
    vb = sum((x - mb) ** 2 for x in b) / (nb - 1)
    return (ma - mb) / math.sqrt(va / na + vb / nb)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(call_a, call_b, samples: int, batch: int, seed: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    a: list[float] = []
    b: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(samples):
        cls = rng.random() < 0.5
        call = call_a if cls else call_b
        start = clock()
        for _ in range(batch):
            call()
        elapsed = (clock() - start) / batch
        (a if cls else b).append(elapsed)
    return a, b


def report(label: str, a: list[float], b: list[float]) -> float:
    worst = 0.0
    print(f"\n{label}: {len(a)} prefix-class and {len(b)} early-class samples")
    print(f"  medians: prefix {percentile(a, 0.5):.1f} ns, early {percentile(b, 0.5):.1f} ns")
    both = a + b
    for crop in (None, 0.99, 0.9, 0.5):
        if crop is None:
            xa, xb, name = a, b, "raw"
        else:
            limit = percentile(both, crop)
            xa = [x for x in a if x <= limit]
            xb = [x for x in b if x <= limit]
            name = f"below p{int(crop * 100)}"
        t = welch_t(xa, xb)
        worst = max(worst, abs(t))
        print(f"  {name:>10}: t = {t:+.2f}")
    verdict = "no evidence of a timing leak" if worst < 4.5 else "POSSIBLE TIMING LEAK"
    print(f"  max |t| = {worst:.2f}: {verdict}")
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--value-size", type=int, default=64)
    args = parser.parse_args()

    value = b"v" * args.value_size
    ours = itsdangerous_rs.Signer("secret-key")
    engine = ours._rs_engine(False)
    assert engine is not None, "the default Signer must run in Rust"
    mac = itsdangerous.Signer("secret-key").get_signature(value)
    from itsdangerous.encoding import base64_decode

    raw = base64_decode(mac)
    prefix = value + b"." + base64_encode(raw[:-1] + bytes([raw[-1] ^ 0x01]))
    early = value + b"." + base64_encode(bytes([raw[0] ^ 0x01]) + raw[1:])
    assert len(prefix) == len(early)
    assert engine.unsign(value + b"." + mac) == value
    assert engine.unsign(prefix) is NotImplemented and engine.unsign(early) is NotImplemented

    def public(token):
        def call():
            try:
                ours.unsign(token)
            except itsdangerous.BadSignature:
                pass
        return call

    # warm-up
    measure(lambda: engine.unsign(prefix), lambda: engine.unsign(early), 20_000, args.batch, 0)

    results = {}
    a, b = measure(lambda: engine.unsign(prefix), lambda: engine.unsign(early), args.samples, args.batch, 1)
    results["engine"] = report("Rust engine unsign (HMAC-SHA1, 20-byte MAC)", a, b)
    a, b = measure(public(prefix), public(early), max(args.samples // 4, 1000), args.batch, 2)
    results["Signer.unsign"] = report("itsdangerous_rs.Signer.unsign (mismatch raises BadSignature)", a, b)
    print("\nsummary: " + ", ".join(f"{k} max|t|={v:.2f}" for k, v in results.items()))


if __name__ == "__main__":
    main()
