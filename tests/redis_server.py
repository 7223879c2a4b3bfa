"""A real Redis for the tests: Debian's ``redis-server`` on a free loopback port.

``RedisServer`` starts it in a temporary directory with no persistence
(``--save '' --appendonly no``) and can stop and start it again on the same
port, for the fault tests.  The ``redis_server`` fixture gives one per test
module and stops it at the end.  Without ``redis-server`` installed (``.ci/run``
installs it) the tests that need it are skipped with the reason.  The
helpers the revocation tests share (``app_builder``, ``wait_until``,
``run_in_threads``) are here too.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="itsdangerous-rs-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self._dir.name,
                "--daemonize", "no", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self._process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not answer PING within 10 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


def start_redis() -> RedisServer:
    if not shutil.which("redis-server") and not shutil.os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is missing (apt-get install redis-server): Redis tests not run")
    server = RedisServer()
    server.start()
    return server


@pytest.fixture(scope="module")
def redis_server():
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def own_redis_server():
    """A Redis of the test's own, which the test may stop and start."""
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


def app_builder(request, kind, make):
    """A generator for a ``store_app`` fixture: yields ``build()``, which gives
    ``(app, store)`` from ``make(redis_url, **options)``, and closes every
    Redis store made when the test ends.

    ``kind="memory"``: one app and one in-process store, which every call
    returns (one process stands for every server). ``kind="redis"``: a new
    app per call on this module's real Redis under one key prefix, so two
    apps share their revocations as two servers do.
    """
    made = []
    if kind == "memory":
        app, store = make(None)
        made.append(store)

        def build():
            return app, store
    else:
        url = request.getfixturevalue("redis_server").url
        prefix = f"test:{uuid.uuid4().hex}"

        def build():
            app, store = make(url, prefix=prefix)
            made.append(store)
            return app, store
    yield build
    for store in made:
        close = getattr(store, "close", None)  # RedisRevocations; memory stores hold nothing
        if close is not None:
            close()


def wait_until(predicate, timeout=5.0):
    """Poll ``predicate`` until true or ``timeout`` passes; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = predicate()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.005)


def run_in_threads(worker, failures, count=8):
    """Run ``worker(index)`` on ``count`` threads at once and wait for them all.

    An exception ends that worker and goes into ``failures`` as
    ``("error", repr(exc))``, so the test's ``assert failures == []`` shows it.
    """

    def guarded(index):
        try:
            worker(index)
        except Exception as exc:  # noqa: BLE001 - reported through failures
            failures.append(("error", repr(exc)))

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
