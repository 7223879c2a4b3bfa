"""Build release wheels for every supported CPython and test each one installed.

    python scripts/build_wheels.py                      # 3.9 3.10 3.11 3.12 3.13
    python scripts/build_wheels.py --pythons 3.9,3.13   # or ITSDANGEROUS_RS_WHEEL_PYTHONS="3.9 3.13"
    python scripts/build_wheels.py --no-test            # build only

One `maturin build --release --zig --compatibility manylinux2014` call builds a
wheel per interpreter into wheelhouse/. zig (the `ziglang` package from PyPI)
links against glibc 2.17's symbols, so the wheels carry the
manylinux2014 (manylinux_2_17) tag and install on any x86_64 Linux with glibc
2.17 or newer, whatever glibc the build machine has; `auditwheel show` checks
each wheel's tag against the symbols it really uses. maturin, ziglang and
auditwheel go into a build venv of their own (wheelhouse/.venvs/build).

Each wheel is then installed into a fresh venv of its own Python with the
packages the tests need, and three subsets run from a copy of tests/ (so the
source tree's python/ directory, which holds a development build, is never on
sys.path; the script checks that itsdangerous_rs._core loads from the venv):

- itsdangerous 2.2.0's own test suite with our classes swapped in;
- Flask 3.1.3's own tests selected by ``-k session``, our session interface
  swapped in;
- the differential tests (tests/test_differential_*.py; Starlette's from 3.11) against stock, with
  fewer random cases than the main suite (ITSDANGEROUS_RS_DIFF_CASES and
  ITSDANGEROUS_RS_FLASK_SESSIONS, default 1000 and 300 here) to keep the
  matrix short; the main test run does the full counts.

A Python whose interpreter is missing (looked for in ~/.pyenv/versions and on
PATH) is skipped with a message. The script ends with a table and exits
non-zero if a build or any subset failed. Standard library only; it runs on
any supported Python.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
BUILD_TOOLS = ["maturin>=1.5,<2", "ziglang", "auditwheel"]
# What the three subsets import (a subset of pyproject's test extra; Flask's
# test modules import asgiref, dotenv and blinker at collection time).
TEST_REQUIREMENTS = [
    "pytest>=8,<9",
    "flask>=3.1,<3.2",
    "freezegun>=1.4",
    "asgiref>=3.2",
    "python-dotenv>=1",
    "blinker>=1.9",
    # tests/test_differential_starlette.py (skipped where Starlette 1.x is not: < 3.11).
    "starlette>=1.8,<2; python_version >= '3.11'",
    "hypothesis>=6; python_version >= '3.11'",
]
UPSTREAM = {
    "itsdangerous": ("itsdangerous", "2.2.0", "swap_itsdangerous"),
    "flask-sessions": ("flask", "3.1.3", "swap_flask", "-k", "session", "--ignore-glob=*type_check*"),
}
DIFF_ENV = {"ITSDANGEROUS_RS_DIFF_CASES": "1000", "ITSDANGEROUS_RS_FLASK_SESSIONS": "300"}
SUBSETS = ["itsdangerous", "flask-sessions", "differential"]

# Run inside a wheel's venv with the tests copy as the working directory:
# tests/test_upstream.py's run_upstream runs the upstream suite with our classes
# swapped in and fails only on a test that passes with stock.
UPSTREAM_DRIVER = """
import json, re, sys
import test_upstream
output = test_upstream.run_upstream(*sys.argv[1:])
summary = [line for line in output.splitlines() if re.search(r" in [0-9.]+s", line)][-1]
counts = {k: int(n) for n, k in re.findall(r"(\\d+) (passed|failed|errors?|skipped|deselected)", summary)}
print("RESULT " + json.dumps({"counts": counts, "summary": summary.strip(" =")}))
"""


def log(message: str) -> None:
    print(f"build_wheels: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], **kwargs)


def python_version(exe: str) -> str | None:
    try:
        proc = run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                   capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def find_python(version: str) -> str | None:
    """An interpreter of ``version``: pyenv's newest patch release, else PATH."""
    candidates = sorted(
        glob.glob(str(pyenv_root() / "versions" / f"{version}.*" / "bin" / f"python{version}")),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in re.split(r"[.]", Path(p).parent.parent.name)],
        reverse=True,
    )
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for exe in candidates:
        # A pyenv shim exists for every installed version but fails for one
        # that is not selected; ask the interpreter itself.
        if python_version(exe) == version:
            return exe
    return None


def build_venv(out: Path) -> Path:
    venv = out / ".venvs" / "build"
    py = venv / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", venv], check=True)
    check = run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *BUILD_TOOLS])
    if check.returncode != 0:
        raise SystemExit("build_wheels: could not install the build tools " + " ".join(BUILD_TOOLS))
    return venv


def build(out: Path, pythons: dict[str, str]) -> dict[str, Path]:
    venv = build_venv(out)
    for old in out.glob("itsdangerous_rs-*.whl"):
        old.unlink()
    cmd = [venv / "bin" / "maturin", "build", "--release", "--zig", "--compatibility", "manylinux2014",
           "--out", out, "--manifest-path", ROOT / "Cargo.toml"]
    for exe in pythons.values():
        cmd += ["-i", exe]
    # maturin runs zig as `python -m ziglang` with the first python on PATH.
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    log("building: " + " ".join(str(c) for c in cmd))
    started = time.monotonic()
    proc = run(cmd, cwd=ROOT, env=env)
    log(f"maturin finished in {time.monotonic() - started:.0f}s with exit code {proc.returncode}")
    wheels = {}
    for version in pythons:
        tag = "cp" + version.replace(".", "")
        found = sorted(out.glob(f"itsdangerous_rs-*-{tag}-{tag}-*.whl"))
        if found:
            wheels[version] = found[-1]
    return wheels


def auditwheel_tag(out: Path, wheel: Path) -> str:
    proc = run([out / ".venvs" / "build" / "bin" / "auditwheel", "show", wheel], capture_output=True, text=True)
    match = re.search(r'consistent with the following platform tag:\s*"([^"]+)"', proc.stdout)
    return match.group(1) if match else "auditwheel: " + (proc.stdout + proc.stderr).strip()[-200:]


def test_wheel(version: str, exe: str, wheel: Path, out: Path) -> dict:
    """Install ``wheel`` into a fresh venv of ``exe`` and run the three subsets."""
    result: dict = {"subsets": {}, "log": out / f"test-{version}.log"}
    work = out / ".work" / version
    shutil.rmtree(work, ignore_errors=True)
    venv, tests = work / "venv", work / "tests"
    shutil.copytree(ROOT / "tests", tests, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache"))
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with open(result["log"], "w") as logf:
        def step(cmd, **kwargs):
            logf.write("$ " + " ".join(str(c) for c in cmd) + "\n")
            logf.flush()
            return run(cmd, cwd=tests, env={**env, **kwargs.pop("extra_env", {})}, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, **kwargs)

        started = time.monotonic()
        for cmd in ([exe, "-m", "venv", venv],
                    [py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, *TEST_REQUIREMENTS]):
            proc = step(cmd)
            logf.write(proc.stdout)
            if proc.returncode != 0:
                result["error"] = f"setup failed: {cmd[1:3]}"
                return result
        where = step([py, "-c", "import itsdangerous_rs._core as c, sys; print(c.__file__); print(sys.version.split()[0])"])
        logf.write(where.stdout)
        lines = where.stdout.split()
        if where.returncode != 0 or not lines or not lines[0].startswith(str(venv)):
            result["error"] = "itsdangerous_rs._core did not load from the wheel: " + where.stdout.strip()[-300:]
            return result
        result["core"], result["patch"] = lines[0], lines[1]
        result["setup_s"] = time.monotonic() - started

        for subset in SUBSETS:
            t0 = time.monotonic()
            if subset == "differential":
                files = sorted(p.name for p in tests.glob("test_differential_*.py"))
                diff_env = {k: os.environ.get(k, v) for k, v in DIFF_ENV.items()}
                proc = step([py, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *files], extra_env=diff_env)
                summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
                counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary)}
                info = {"counts": counts, "summary": summary.strip(" =")}
            else:
                proc = step([py, "-c", UPSTREAM_DRIVER, *UPSTREAM[subset]])
                found = re.findall(r"^RESULT (.*)$", proc.stdout, re.M)
                info = json.loads(found[-1]) if found else {"counts": {}, "summary": ""}
            logf.write(proc.stdout)
            counts = info["counts"]
            ok = proc.returncode == 0 and counts.get("passed", 0) > 0
            result["subsets"][subset] = {
                "ok": ok,
                "passed": counts.get("passed", 0),
                "failed": counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0),
                "skipped": counts.get("skipped", 0),
                "summary": info["summary"],
                "seconds": time.monotonic() - t0,
            }
            if not ok:
                tail = "\n".join(proc.stdout.splitlines()[-40:])
                log(f"{version} {subset} FAILED (full log: {result['log']}):\n{tail}")
        result["seconds"] = time.monotonic() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pythons", default=os.environ.get("ITSDANGEROUS_RS_WHEEL_PYTHONS", " ".join(VERSIONS)),
                        help="versions to build, comma or space separated (default: %(default)s)")
    parser.add_argument("--out", default=str(ROOT / "wheelhouse"), help="wheel directory (default: wheelhouse/)")
    parser.add_argument("--no-test", action="store_true", help="build the wheels only")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="wheels tested at once (default: %(default)s)")
    args = parser.parse_args()
    started = time.monotonic()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    versions = [v for v in re.split(r"[,\s]+", args.pythons) if v]
    unknown = [v for v in versions if v not in VERSIONS]
    if unknown:
        parser.error(f"unsupported version(s) {unknown}; supported: {VERSIONS}")
    pythons: dict[str, str] = {}
    skipped = []
    for version in versions:
        exe = find_python(version)
        if exe:
            pythons[version] = exe
            log(f"CPython {version}: {exe}")
        else:
            skipped.append(version)
            log(f"SKIPPED CPython {version}: no interpreter (looked in {pyenv_root()}/versions/{version}.* and for python{version} on PATH)")
    if not pythons:
        log("no interpreter found for any requested version")
        return 1

    t0 = time.monotonic()
    wheels = build(out, pythons)
    build_seconds = time.monotonic() - t0
    tags = {v: auditwheel_tag(out, w) for v, w in wheels.items()}

    results: dict[str, dict] = {}
    if not args.no_test and wheels:
        # Fetch the upstream sdists once, before wheels are tested in parallel.
        sys.path.insert(0, str(ROOT / "tests"))
        from upstream.fetch import fetch_sdist
        for name, version, *_ in UPSTREAM.values():
            fetch_sdist(name, version)
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = {v: pool.submit(test_wheel, v, pythons[v], w, out) for v, w in wheels.items()}
            for version, future in futures.items():
                results[version] = future.result()
                log(f"CPython {version}: tested in {results[version].get('seconds', 0):.0f}s")

    failed = False
    rows = [["python", "wheel", "auditwheel", *SUBSETS, "time"]]
    for version in versions:
        if version in skipped:
            rows.append([version, "SKIPPED: no interpreter", "", *[""] * len(SUBSETS), ""])
            continue
        wheel = wheels.get(version)
        if wheel is None:
            failed = True
            rows.append([version, "BUILD FAILED", "", *[""] * len(SUBSETS), ""])
            continue
        if not tags[version].startswith("manylinux"):
            failed = True
        res = results.get(version)
        cells = []
        for subset in SUBSETS:
            if args.no_test:
                cells.append("not run")
            elif res is None or subset not in res["subsets"]:
                failed = True
                cells.append("FAILED: " + (res or {}).get("error", "not run"))
            else:
                s = res["subsets"][subset]
                failed |= not s["ok"]
                skips = f", {s['skipped']} skipped" if s["skipped"] else ""
                cells.append(f"{'ok' if s['ok'] else 'FAILED'} {s['passed']} passed, {s['failed']} failed{skips} ({s['seconds']:.0f}s)")
        label = version + (f" ({res['patch']})" if res and "patch" in res else "")
        rows.append([label, wheel.name, tags[version], *cells, f"{res['seconds']:.0f}s" if res and "seconds" in res else ""])

    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nwheels in {out}; build {build_seconds:.0f}s; total {time.monotonic() - started:.0f}s")
    if skipped:
        print("skipped (no interpreter): " + ", ".join(skipped))
    print("build_wheels: " + ("FAILED" if failed else "all wheels built" + ("" if args.no_test else " and passed")))
    if not args.no_test:
        # The plain closing line CI reads: every subset's tests, over all wheels.
        ran = [s for res in results.values() for s in res.get("subsets", {}).values()]
        print(f"wheels: {sum(s['passed'] for s in ran)} passed, {sum(s['failed'] for s in ran)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
