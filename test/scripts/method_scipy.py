"""skewness(), kurtosis() and winsorise() against SciPy on seeded data.

Each sample is drawn with numpy's seeded generator, loaded into a table and
aggregated in the database; SciPy's skew and kurtosis with bias=False (the
adjusted G1 and the excess G2) must agree to 1e-9 (relative above 1,
absolute below).  winsorise() is
compared with the rule written out here again in Python (COINr's: winsorise
at the end the skewness points to while |skew| > 2 and kurtosis > 3.5, up
to 5 steps, else log(x - min + 0.01 (max - min)) of the original values).
"""
import os
import sys

import numpy as np
import psycopg2
from scipy import stats

conn = psycopg2.connect(dbname=os.environ["METHOD_DATABASE"])
cur = conn.cursor()
rng = np.random.default_rng(20261202)

samples = {
    "normal": rng.normal(50, 10, 200),
    "lognormal": rng.lognormal(0, 1.2, 150),
    "exponential": rng.exponential(3.0, 63),
    "left_skewed": 100 - rng.lognormal(0, 1, 80),
    "pareto": rng.pareto(1.5, 63) + 1,
    "heavy_tail": rng.pareto(0.6, 300) + 1,
    "tiny": np.array([3.0, 1.0, 4.0, 1.5]),
    "shifted": rng.normal(0, 1, 50) + 1e6,
}

cur.execute("CREATE TABLE s (name text, x float8)")
for name, xs in samples.items():
    cur.executemany("INSERT INTO s VALUES (%s, %s)", [(name, float(x)) for x in xs])
cur.execute("SELECT name, skewness(x), kurtosis(x) FROM s GROUP BY name")
got = {r[0]: (r[1], r[2]) for r in cur.fetchall()}


def rel(a, b):
    """Relative difference, absolute below 1 (a skewness near 0)."""
    return abs(a - b) / max(abs(b), 1.0)


def shape(x):
    return stats.skew(x, bias=False), stats.kurtosis(x, fisher=True, bias=False)


def treat(x, winmax=5, st=2.0, kt=3.5):
    """The treatment rule, written again independently of the C code."""
    x = np.array(x, dtype=float)
    s, k = shape(x)
    if not (abs(s) > st and k > kt):
        return x, "none"
    w = x.copy()
    steps = 0
    while steps < winmax and abs(s) > st and k > kt:
        if s > 0:
            ext = w.max()
            rest = w[w < ext]
            if rest.size == 0:
                break
            w[w == ext] = rest.max()
        else:
            ext = w.min()
            rest = w[w > ext]
            if rest.size == 0:
                break
            w[w == ext] = rest.min()
        steps += 1
        s, k = shape(w)
    if not (abs(s) > st and k > kt):
        return w, "winsorised"
    lo, hi = x.min(), x.max()
    return np.log(x - lo + 0.01 * (hi - lo)), "log_ct"


failures = 0
checks = 0
for name, xs in samples.items():
    s, k = shape(xs)
    gs, gk = got[name]
    for what, a, b in (("skewness", gs, s), ("kurtosis", gk, k)):
        checks += 1
        if rel(a, b) > 1e-9:
            failures += 1
            print(f"{name}: {what} {a!r} in the database, {b!r} in SciPy")
    cur.execute("SELECT winsorise(%s), (winsorise_report(%s)).treatment", ([float(v) for v in xs],) * 2)
    vals, how = cur.fetchone()
    want, want_how = treat(xs)
    checks += 1
    if how != want_how or max(rel(a, b) for a, b in zip(vals, want)) > 1e-12:
        failures += 1
        print(f"{name}: winsorise gave {how}, the Python rule {want_how}")
    print(f"{name}: n={len(xs)} skewness {gs:.6f} kurtosis {gk:.6f} treatment {how}")

print(f"{checks - failures} of {checks} checks agree with SciPy")
sys.exit(1 if failures else 0)
