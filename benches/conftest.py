"""Options for the benchmarks, and run conditions recorded in the JSON's machine_info."""

from __future__ import annotations

import os
from importlib import metadata

_load_at_start: tuple[float, float, float] | None = None


def pytest_addoption(parser):
    parser.addoption(
        "--bench-passes",
        type=int,
        default=1,
        help="run every stock/ours pair this many times, alternating which goes first "
        "(report.py takes the median over passes); helps on a busy machine",
    )


def pytest_sessionstart(session):
    global _load_at_start
    if hasattr(os, "getloadavg"):
        _load_at_start = os.getloadavg()


def pytest_benchmark_update_machine_info(config, machine_info):
    versions = {}
    for dist in ("itsdangerous", "itsdangerous-rs", "flask", "werkzeug"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    machine_info["package_versions"] = versions
    machine_info["bench_passes"] = config.getoption("bench_passes", 1)
    # Other processes on the machine skew the numbers; say how busy it was.
    machine_info["loadavg_start"] = _load_at_start
    machine_info["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
