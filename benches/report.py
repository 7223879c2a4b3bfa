"""Turn one pytest-benchmark JSON file into a ratio table and a bar chart.

    python benches/report.py benches/results.json [--png benches/results.png]

Prints markdown: per case, stock median / ours median and whether the
target is met; then the session overhead per request (the request minus the
same app's request with no cookie and no session use). Writes a PNG bar chart
of the stock and ours medians (next to the JSON unless ``--png`` says where).

The medians are pytest-benchmark's, per call, from the one run in the file.
With ``--bench-passes N`` each side's time is the median of its N pass
medians, and the speed-up is the ratio of those.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

SIZES = ("small", "medium", "large")

#: (case, title) in table order.
CASES = [
    ("flask_dumps", "Flask-format dumps"),
    ("flask_loads", "Flask-format loads"),
    ("plain_dumps", "URLSafeTimedSerializer dumps"),
    ("plain_loads", "URLSafeTimedSerializer loads"),
    ("permanent_dumps", "Permanent session re-signed unchanged, dumps side"),
    ("request_counter", "Whole request, session counter +1"),
    ("permanent_request", "Whole request, permanent session re-signed unchanged"),
    ("request_untouched", "Whole request, cookie sent, session untouched"),
    ("request_baseline", "Whole request, no cookie, session untouched"),
]

#: Minimum speed-up (stock median / ours median) per (case, size).
TARGETS: dict[tuple[str, str], float] = {
    ("flask_dumps", "small"): 10,
    ("flask_dumps", "medium"): 8,
    ("flask_dumps", "large"): 8,
    ("flask_loads", "small"): 15,
    ("flask_loads", "medium"): 5,
    ("flask_loads", "large"): 5,
    ("plain_dumps", "small"): 5,
    ("plain_loads", "small"): 10,
    **{("permanent_dumps", size): 20 for size in SIZES},
    **{("request_counter", size): 2.5 for size in SIZES},
    **{("permanent_request", size): 2.5 for size in SIZES},
}

#: Requests whose session overhead (minus the no-cookie request) is targeted:
#: 10x lower than stock for the small and medium sessions, 5x for the large.
OVERHEAD_TARGETS = {"small": 10.0, "medium": 10.0, "large": 5.0}
OVERHEAD_CASES = [
    ("request_counter", "Session counter +1", OVERHEAD_TARGETS),
    ("permanent_request", "Permanent session re-signed unchanged", OVERHEAD_TARGETS),
    ("request_untouched", "Cookie sent, session untouched (opened only)", None),
]


#: A request case's neighbouring no-cookie request is stored as case + this.
BASELINE_SUFFIX = ":baseline"


def load(path: Path) -> tuple[dict, dict]:
    """(run info, {(case, size, impl): summary}) from a pytest-benchmark JSON file.

    With ``--bench-passes N`` a case has N medians per side; its summary
    median is the median of those.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    runs: dict[tuple[str, str, str], dict[int, dict]] = {}
    for bench in data.get("benchmarks", []):
        info = bench.get("extra_info") or {}
        if not {"case", "size", "impl"} <= info.keys():
            continue  # not one of ours
        case = info["case"] + (BASELINE_SUFFIX if info.get("variant") == "baseline" else "")
        key = (case, info["size"], info["impl"])
        runs.setdefault(key, {})[info.get("bench_pass", 0)] = {**bench["stats"], "rust_path": info.get("rust_path")}
    results: dict[tuple[str, str, str], dict] = {}
    for key, passes in runs.items():
        results[key] = {
            "median": statistics.median(p["median"] for p in passes.values()),
            "passes": {n: p["median"] for n, p in passes.items()},
            "rust_path": None if any(p["rust_path"] is None for p in passes.values())
            else all(p["rust_path"] for p in passes.values()),
        }
    return data, results


def speedup(stock: dict, ours: dict) -> float:
    return stock["median"] / ours["median"]


def pass_range(stock: dict, ours: dict) -> str:
    """Lowest and highest stock/ours ratio of a single pass (the pair ran back to back).

    The spread shows how much the machine moved during the run: a speed-up
    near its target with a wide range could have gone either way.
    """
    ratios = [stock["passes"][n] / ours["passes"][n] for n in stock["passes"] if n in ours["passes"]]
    if len(ratios) < 2:
        return "—"
    return f"{min(ratios):.1f}–{max(ratios):.1f}"


def us(seconds: float) -> str:
    value = seconds * 1e6
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ratio_text(ratio: float) -> str:
    if math.isinf(ratio):
        return "∞"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def verdict(ratio: float | None, target: float | None) -> tuple[str, str]:
    if target is None:
        return "—", "—"
    if ratio is None:
        return f"≥ {target:g}×", "not measured"
    return f"≥ {target:g}×", "met" if ratio >= target else "**not met**"


def sizes_of(results: dict, case: str) -> list[str]:
    present = {size for (c, size, _) in results if c == case}
    return [s for s in SIZES if s in present] + sorted(present - set(SIZES))


def run_header(data: dict) -> str:
    machine = data.get("machine_info") or {}
    commit = data.get("commit_info") or {}
    cpu = machine.get("cpu") or {}
    parts = [f"run {data.get('datetime', '?')}"]
    if commit.get("id"):
        parts.append(f"commit {commit['id'][:10]}{' (dirty tree)' if commit.get('dirty') else ''}")
    parts.append(f"{machine.get('python_implementation', 'Python')} {machine.get('python_version', '?')}")
    if cpu.get("brand_raw"):
        parts.append(f"{cpu['brand_raw']}, {cpu.get('count', '?')} logical CPUs")
    versions = machine.get("package_versions") or {}
    if versions:
        parts.append(", ".join(f"{k} {v}" for k, v in versions.items()))
    load_start, load_end = machine.get("loadavg_start"), machine.get("loadavg_end")
    if load_start or load_end:
        fmt = lambda load: f"{load[0]:.1f}" if load else "?"  # noqa: E731
        parts.append(f"1-min load average {fmt(load_start)} at start, {fmt(load_end)} at end")
    parts.append(f"{machine.get('bench_passes', 1)} pass(es)")
    return "; ".join(parts)


def chart_subtitle(data: dict) -> str:
    machine = data.get("machine_info") or {}
    commit = (data.get("commit_info") or {}).get("id") or "?"
    load = machine.get("loadavg_start")
    parts = [str(data.get("datetime", "?"))[:16].replace("T", " "), f"commit {commit[:10]}",
             f"{machine.get('bench_passes', 1)} pass(es)"]
    if load:
        parts.append(f"load average {load[0]:.1f} on {(machine.get('cpu') or {}).get('count', '?')} CPUs")
    return ", ".join(parts)


def ratio_table(results: dict) -> tuple[list[str], list[str], list[str], list[tuple[str, str, float, float]]]:
    lines = [
        "| Case | Sample | Stock median (µs) | Ours median (µs) | Speed-up | Per-pass range | Target | Status |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    fallbacks: list[str] = []
    unverified: list[str] = []
    bars: list[tuple[str, str, float, float]] = []
    for case, title in CASES:
        for size in sizes_of(results, case):
            stock = results.get((case, size, "stock"))
            ours = results.get((case, size, "ours"))
            target = TARGETS.get((case, size))
            if stock is None or ours is None:
                want, status = verdict(None, target)
                lines.append(f"| {title} | {size} | {us(stock['median']) if stock else '—'} | "
                             f"{us(ours['median']) if ours else '—'} | — | — | {want} | {status} |")
                continue
            ratio = speedup(stock, ours)
            want, status = verdict(ratio, target)
            mark = ""
            if ours.get("rust_path") is False:
                mark = " †"
                fallbacks.append(f"{title}, {size}")
            elif ours.get("rust_path") is None and case != "request_baseline":
                # The benchmark could not tell which path ours took.
                mark = " ?"
                unverified.append(f"{title}, {size}")
            lines.append(f"| {title} | {size} | {us(stock['median'])} | {us(ours['median'])}{mark} | "
                         f"{ratio_text(ratio)} | {pass_range(stock, ours)} | {want} | {status} |")
            bars.append((title + mark, size, stock["median"], ours["median"]))
    return lines, fallbacks, unverified, bars


def overheads(results: dict, case: str, size: str) -> tuple[float, float] | None:
    """(stock, ours) session overhead of a request case, in seconds, or None.

    With the neighbouring baselines in the run: per pass, the request's median
    minus the no-cookie request timed right after it; then the median over
    passes. Runs without them fall back to the separate ``request_baseline``.
    """
    found = []
    for impl in ("stock", "ours"):
        request = results.get((case, size, impl))
        if request is None:
            return None
        adjacent = results.get((case + BASELINE_SUFFIX, size, impl))
        if adjacent is not None:
            diffs = [t - adjacent["passes"][n] for n, t in request["passes"].items() if n in adjacent["passes"]]
            found.append(statistics.median(diffs))
            continue
        base = results.get(("request_baseline", "no-cookie", impl))
        if base is None:
            return None
        found.append(request["median"] - base["median"])
    return found[0], found[1]


def overhead_ratio(stock_over: float, ours_over: float) -> float:
    return stock_over / ours_over if ours_over > 0 else math.inf  # ours within noise of no session


def overhead_table(results: dict) -> list[str]:
    lines = [
        "| Request | Sample | Stock overhead (µs) | Ours overhead (µs) | Stock / ours | Target | Status |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for case, title, target in OVERHEAD_CASES:
        for size in sizes_of(results, case):
            found = overheads(results, case, size)
            if found is None:
                lines.append(f"| {title} | {size} | — | — | — | — | no baseline in this run |")
                continue
            ratio = overhead_ratio(*found)
            want, status = verdict(ratio, None if target is None else target.get(size))
            lines.append(f"| {title} | {size} | {us(found[0])} | {us(found[1])} | "
                         f"{ratio_text(ratio)} | {want} | {status} |")
    return lines


def summary(results: dict) -> str:
    met = total = 0
    for (case, size), target in TARGETS.items():
        stock, ours = results.get((case, size, "stock")), results.get((case, size, "ours"))
        if stock and ours:
            total += 1
            met += speedup(stock, ours) >= target
    for case, _, target in OVERHEAD_CASES:
        if target is None:
            continue
        for size in SIZES:
            found = overheads(results, case, size)
            if found is not None and size in target:
                total += 1
                met += overhead_ratio(*found) >= target[size]
    return f"Targets met: {met} of {total}."


def write_chart(bars: list[tuple[str, str, float, float]], png: Path, subtitle: str) -> None:
    try:
        import matplotlib
    except ImportError:
        sys.exit("report.py: --png needs matplotlib: pip install -e '.[bench]'")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{title} ({size})" for title, size, _, _ in bars]
    stock = [b[2] * 1e6 for b in bars]
    ours = [b[3] * 1e6 for b in bars]
    n = len(bars)
    height = 0.38
    fig, ax = plt.subplots(figsize=(11, 0.42 * n + 1.6))
    ys = range(n)
    ax.barh([y - height / 2 for y in ys], stock, height, label="stock (itsdangerous / Flask)", color="#9e9e9e")
    ax.barh([y + height / 2 for y in ys], ours, height, label="ours (itsdangerous_rs)", color="#d9480f")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median time per call, µs (log scale)")
    right = max(stock + ours) * 2.5
    ax.set_xlim(right=right)
    for y, s, o in zip(ys, stock, ours):
        ax.text(max(s, o) * 1.15, y, f"{s / o:.1f}×", va="center", fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
    if any("†" in label for label in labels):
        fig.text(0.01, 0.005, "† the Rust engine declined the session data: ours used the stock Python serializer", fontsize=7)
    ax.set_title(f"itsdangerous_rs against stock: pytest-benchmark medians\n{subtitle}", fontsize=9)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="pytest-benchmark --benchmark-json output")
    parser.add_argument("--png", type=Path, help="bar chart to write (default: the JSON path with .png)")
    parser.add_argument("--no-png", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)

    data, results = load(args.json)
    if not results:
        print(f"{args.json}: no benches/test_bench.py results in this file", file=sys.stderr)
        return 1
    header = run_header(data)
    lines, fallbacks, unverified, bars = ratio_table(results)
    note = "Speed-up is stock median / ours median; higher is better."
    if (data.get("machine_info") or {}).get("bench_passes", 1) > 1:
        note = ("Times are the median of the passes' medians; speed-up is stock median / ours median; "
                "higher is better. Per-pass range: the lowest and highest stock/ours ratio of a single "
                "pass, in which the pair ran back to back.")
    out = [f"_{header}_", "", note, "", *lines]
    if fallbacks:
        out += ["", f"† In these {len(fallbacks)} of {len(bars)} rows the Rust engine declined the session "
                "data, so ours serialized it with the stock Python code: the row measures that fallback "
                "(request rows still use ours' cookie lookup and Set-Cookie writing)."]
    if unverified:
        out += ["", f"? In these {len(unverified)} of {len(bars)} rows the benchmark could not check "
                "whether ours took the Rust path (its check reads private attributes of itsdangerous_rs)."]
    out += ["", "Session overhead per request: the request's time minus the same app's time for a "
            "request with no cookie to a view that does not use the session. Each pass times that "
            "no-cookie request right after the request, and the overhead is the median over passes "
            "of the difference (runs without those neighbours use the separate no-cookie row).",
            "", *overhead_table(results)]
    out += ["", summary(results)]
    print("\n".join(out))

    if not args.no_png:
        png = args.png or args.json.with_suffix(".png")
        write_chart(bars, png, chart_subtitle(data))
        print(f"\nChart: {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
