"""Record the versions being compared in the benchmark JSON's machine_info."""

from __future__ import annotations

from importlib import metadata


def pytest_benchmark_update_machine_info(config, machine_info):
    versions = {}
    for dist in ("itsdangerous", "itsdangerous-rs", "flask", "werkzeug"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    machine_info["package_versions"] = versions
