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

# Structure checks: 63 units, pillars A (4 leaves) and B (3 leaves), leaf
# values in [0, 1] built from a shared factor (A.4 a near-duplicate of A.3,
# B.3 against the factor), about 5% missing, ties from rounding to 2
# decimals.  Pearson and Spearman over pairwise-complete
# units against scipy.stats.pearsonr and spearmanr; Cronbach's alpha
# against the formula on numpy's sample variances (units complete for the
# node).
leaves = {"A": ["A.1", "A.2", "A.3", "A.4"], "B": ["B.1", "B.2", "B.3"]}
units = [f"u{i:02d}" for i in range(63)]
factor = rng.normal(0, 1, 63)
data = {}
raws = {}
for pillar, codes in leaves.items():
    for j, code in enumerate(codes):
        if code == "A.4":    # a near-duplicate of A.3
            raw = raws["A.3"] + rng.normal(0, 0.05, 63)
        elif code == "B.3":  # runs against its pillar
            raw = -0.7 * factor + rng.normal(0, 0.3, 63)
        elif code.startswith("B."):
            raw = 2.0 * factor + rng.normal(0, 1, 63)
        else:
            raw = factor * (1.0 + 0.5 * j) + rng.normal(0, 1, 63)
        raws[code] = raw
        x = np.round(1 / (1 + np.exp(-raw)), 2)
        x[rng.random(63) < 0.05] = np.nan
        data[code] = x
cur.execute("CREATE TABLE leaves (unit text, code indicator_code, v float8)")
rows = [(u, c, None if np.isnan(data[c][i]) else float(data[c][i]))
        for c in data for i, u in enumerate(units)]
cur.executemany("INSERT INTO leaves VALUES (%s, %s, %s)", rows)
cur.execute("""
    CREATE TABLE cards AS SELECT array_agg(sc ORDER BY unit) AS cards FROM (
        SELECT unit, rollup(framework_compile('{R,A,B,A.1,A.2,A.3,A.4,B.1,B.2,B.3}',
            '{NULL,R,R,A,A,A,A,B,B,B}', '{NULL,NULL,NULL,1,1,1,1,1,1,1}'), code, v) AS sc
        FROM leaves GROUP BY unit) t""")
cur.execute("SELECT u.unit, s.code::text, s.value FROM cards, unnest(cards) WITH ORDINALITY c(sc, i)"
            " JOIN (SELECT row_number() OVER (ORDER BY unit) AS i, unit FROM (SELECT DISTINCT unit FROM leaves) d) u USING (i),"
            " scorecard_nodes(c.sc) s")
node_values = {}
for unit, code, value in cur.fetchall():
    node_values.setdefault(code, {})[unit] = np.nan if value is None else value
col = {c: np.array([node_values[c][u] for u in units]) for c in node_values}
cur.execute("SELECT node::text, a::text, b::text, n, pearson, spearman FROM cards, structure_correlations(cards)")
pairs = cur.fetchall()
for node, a, b, n, pr, sp in pairs:
    ok = ~np.isnan(col[a]) & ~np.isnan(col[b])
    want_p = stats.pearsonr(col[a][ok], col[b][ok])[0]
    want_s = stats.spearmanr(col[a][ok], col[b][ok])[0]
    checks += 1
    if n != ok.sum() or rel(pr, want_p) > 1e-9 or rel(sp, want_s) > 1e-9:
        failures += 1
        print(f"{node} {a}~{b}: n {n} pearson {pr} spearman {sp}; SciPy n {ok.sum()} {want_p} {want_s}")
print(f"structure_correlations: {len(pairs)} pairs")
cur.execute("SELECT node::text, k, n, alpha FROM cards, cronbach_alpha(cards)")
for node, k, n, alpha in cur.fetchall():
    kids = [c for c in col if c.rsplit(".", 1)[0] == node and c != node] if node != "R" else ["A", "B"]
    m = np.column_stack([col[c] for c in kids])
    m = m[~np.isnan(m).any(axis=1)]
    want = len(kids) / (len(kids) - 1) * (1 - m.var(axis=0, ddof=1).sum() / m.sum(axis=1).var(ddof=1))
    checks += 1
    if k != len(kids) or n != len(m) or rel(alpha, want) > 1e-9:
        failures += 1
        print(f"alpha {node}: k {k} n {n} {alpha}; numpy k {len(kids)} n {len(m)} {want}")
    print(f"cronbach_alpha {node}: k={k} n={n} alpha {alpha:.6f}")
cur.execute("SELECT node::text, code::text, other::text, flag FROM cards, structure_report(cards)")
flags = cur.fetchall()
want_flags = sorted((nd, a, b, "negative correlation with parent" if b == nd else "near-duplicate sibling")
                    for nd, a, b, n, pr, sp in pairs
                    if (b == nd and pr < 0) or (b != nd and pr >= 0.9))
checks += 1
if sorted(flags) != want_flags:
    failures += 1
    print(f"structure_report: {flags}, expected {want_flags}")
print(f"structure_report: {flags}")
if not any(f[3] == "near-duplicate sibling" for f in flags) or not any(f[3] != "near-duplicate sibling" for f in flags):
    failures += 1
    print("the seeded data should raise both kinds of flag")

print(f"{checks - failures} of {checks} checks agree with SciPy")
sys.exit(1 if failures else 0)
