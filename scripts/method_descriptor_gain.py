"""What the C-level dumps/loads (src/methods.rs) save over the Python methods
they stand in front of (kept as ``_dumps_python``/``_loads_python``):
interleaved medians, small sample, 256 distinct sessions so no memo helps.
Run from the repository root: ``python scripts/method_descriptor_gain.py``.
"""

import json
import statistics
import time
from importlib import resources
import itsdangerous_rs
small = json.loads(resources.files("itsdangerous_rs.samples").joinpath("small.json").read_text())
s = itsdangerous_rs.URLSafeTimedSerializer("secret")
datas = [dict(small, counter=i) for i in range(256)]
toks = [s.dumps(d) for d in datas]
def t(fn, n=3000):
    t0=time.perf_counter()
    for i in range(n): fn(i & 255)
    return (time.perf_counter()-t0)/n*1e6
cases = {
 "loads C": lambda i: s.loads(toks[i], max_age=3600),
 "loads py": lambda i: s._loads_python(toks[i], max_age=3600),
 "dumps C": lambda i: s.dumps(datas[i]),
 "dumps py": lambda i: s._dumps_python(datas[i]),
}
res = {k: [] for k in cases}
for r in range(21):
    for k in (list(cases) if r % 2 else list(cases)[::-1]):
        res[k].append(t(cases[k]))
m = {k: statistics.median(v) for k, v in res.items()}
for k,v in m.items(): print(f"{k}: {v:.2f} us")
print(f"loads: descriptor saves {m['loads py']-m['loads C']:.2f} us ({(m['loads py']/m['loads C']-1)*100:.1f}%); dumps: {m['dumps py']-m['dumps C']:.2f} us ({(m['dumps py']/m['dumps C']-1)*100:.1f}%)")
