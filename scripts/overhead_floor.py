"""The floor under the session overhead: what a request with a session costs
over the no-cookie request when the interface does no session work at all.

``Floor`` opens a copy of a prebuilt dict and appends a prebuilt
``Set-Cookie``, so what remains is Flask's and Werkzeug's share (the session
object, the view's session access, the two extra headers): no interface can
get under it. Measured as benches/test_bench.py measures the overhead
(``request_counter`` minus the no-cookie request, interleaved medians), next
to stock and ours. Run from the repository root:
``python scripts/overhead_floor.py``.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

from flask.sessions import SecureCookieSession
from flask.sessions import SessionInterface

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benches"))
import test_bench as tb  # noqa: E402

class Floor(SessionInterface):
    def __init__(self, data, header):
        self.data, self.header = data, header
    def open_session(self, app, request):
        if "HTTP_COOKIE" not in request.environ:
            return SecureCookieSession()
        return SecureCookieSession(dict(self.data))
    def save_session(self, app, session, response):
        if session.accessed:
            response.headers._list.append(("Vary", "Cookie"))
        if session.modified:
            response.headers._list.append(("Set-Cookie", self.header))

def timeit(fn, n):
    t0 = time.perf_counter()
    for _ in range(n): fn()
    return (time.perf_counter() - t0) / n * 1e6

for size in ("small", "medium"):
    datas = [dict(tb.load_sample(size), counter=k) for k in range(64)]
    envs = [tb.build_environ("/counter", tb.stock_cookie(d)) for d in datas]
    floor_app = tb.make_app("stock")
    floor_app.session_interface = Floor(datas[0], "session=" + tb.stock_cookie(datas[1]) + "; HttpOnly; Path=/")
    apps = {"stock": tb.APPS["stock"], "ours": tb.APPS["ours"], "floor": floor_app}
    per = {(i, k): [] for i in apps for k in ("req", "base")}
    for r in range(15):
        for impl in (list(apps) if r % 2 == 0 else list(apps)[::-1]):
            app = apps[impl]; ring = itertools.cycle(envs)
            per[(impl, "req")].append(timeit(lambda: tb.wsgi_call(app, next(ring)), 300))
            per[(impl, "base")].append(timeit(lambda: tb.wsgi_call(app, tb.BASELINE_ENVIRON), 300))
    ov = {i: statistics.median([a - b for a, b in zip(per[(i, "req")], per[(i, "base")])]) for i in apps}
    print(f"{size}: stock {ov['stock']:.1f} µs, ours {ov['ours']:.1f} µs, floor (no session work) {ov['floor']:.1f} µs; "
          f"stock/ours {ov['stock']/ov['ours']:.2f}, stock/floor {ov['stock']/ov['floor']:.2f}")
