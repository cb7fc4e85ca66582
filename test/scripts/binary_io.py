"""Every dti type through every interface, and the recv functions fed bad bytes.

Run by test/scripts/binary_io.sh against a database that has dti.  With
Debian's psycopg 3 (python3-psycopg) it moves values of every base type of
dti (TYPES; the script fails when the extension has a base type that is not
listed), NULLs included, through:

  text        output, then input of that text (the cast through text);
  binary      a binary cursor reads each value with its send function, and
              the bytes go back as binary parameters of an INSERT (the
              extended protocol's Bind calls the recv function);
  COPY        COPY TO STDOUT and COPY FROM STDIN, in text and binary format;
  version 1   the binary form dti 0.7.0 wrote of frameworks and scorecards
              (a version byte and the text form) is still read, by COPY and
              as a parameter;

and compares every value with the original as text, and what is computed
from the values that came through (DERIVED: aggregate states finalised and
combined with the state of the rest of their group, leaf vectors and
composite states scored through their framework, ...) with what the
originals give.  The aggregate states are made by the aggregates'
transition functions (partial aggregates, as a table of partial states
holds them), the scorecards and leaf vectors by the aggregates.
pg_dump/pg_restore is the shell script's part: "binary_io.py snapshot"
prints the values and DERIVED of a database for it to compare.

Then the recv corpus: for each type, every truncation of valid binary values,
values with bytes appended, with a wrong version byte, and seeded random
payloads, each sent alone through COPY FROM STDIN (FORMAT binary) and as a
binary parameter.  Each must be refused with SQLSTATE 22P03 or 08P01, and
the same session must answer afterwards.  (The server log is searched for
crashed backends by the shell script.)
"""
import os
import random
import re
import struct
import sys

import psycopg
from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.pq import Format

DB = os.environ["BINARY_IO_DATABASE"]
# column of the fixture, type, the version bytes its binary forms start with
TYPES = [
    ("code", "indicator_code", {1}),
    ("rule", "scoring_rule", {1}),
    ("st", "indicator_stats", {1}),
    ("fw", "framework", {1, 2}),           # 1: a framework carrying rules
    ("sc", "scorecard", {2}),
    ("iss", "indicator_stats_state", {2}),
    ("wms", "weighted_mean_state", {3}),
    ("wqs", "weighted_quantile_state", {2}),
    ("rs", "rollup_state", {1}),
    ("ls", "leaf_stats", {1}),
    ("cs", "composite_state", {1}),
    ("lv", "leaf_vector", {1}),
]
COLS = [c for c, _, _ in TYPES]

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAILED:", what)


class Raw:
    """Bytes to send as the binary form of a dti type."""

    def __init__(self, data):
        self.data = data


def raw_dumper(oid):
    class RawDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj):
            return obj.data

    RawDumper.oid = oid
    return RawDumper


def cursor_for(conn, oid):
    cur = conn.cursor()
    cur.adapters.register_dumper(Raw, raw_dumper(oid))
    return cur


# The fixture: one row of rt per unit (id < 100), and for the units whose
# leaves or observations come in two parts, a row id + 100 with the partial
# states of the second part.  fws holds the frameworks: 1 points, 2 means
# with thresholds and missing rules, 3 one node, 4 the first with a scoring
# rule on each leaf, 5 1,011 nodes (10 x 10 x 9 leaves), 6 a small one whose
# unit has no values, given a weight and a threshold of -0 (a leaf value of
# unit 11 is -0: the text forms of frameworks and scorecards have no -0).  A unit's states are of the framework of its row (the
# fw column; row 6 keeps them without it).  leaves: the leaf values of a
# unit, obs: the values, weights and quantile behind its weighted and
# statistics states.  ls is the leaf_stats of all units of the framework,
# of one part; cs is scored under the statistics of both parts.
SETUP = """
CREATE AGGREGATE iss_partial(float8) (SFUNC = indicator_stats_step, STYPE = indicator_stats_state);
CREATE AGGREGATE wmean_partial(float8, float8) (SFUNC = weighted_mean_step, STYPE = weighted_mean_state);
CREATE AGGREGATE wharmonic_partial(float8, float8) (SFUNC = weighted_harmonic_step, STYPE = weighted_mean_state);
CREATE AGGREGATE wquantile_partial(float8, float8, float8) (
        SFUNC = weighted_quantile_step, STYPE = weighted_quantile_state);
CREATE AGGREGATE rollup_partial(framework, indicator_code, float8) (SFUNC = rollup_step, STYPE = rollup_state);
CREATE AGGREGATE composite_partial(framework, leaf_stats, indicator_code, float8) (
        SFUNC = composite_step, STYPE = composite_state);

CREATE TABLE fws (k int PRIMARY KEY, fw framework);
INSERT INTO fws VALUES
(1, framework_compile('{DTI,A,B,A.1,A.2,B.1}', '{NULL,DTI,DTI,A,A,B}', '{NULL,NULL,NULL,60,40,100}')),
(2, framework_compile(
        '{IDX,P1,P2,P3,P1.a,P1.b,P2.a,P3.x_1}', '{NULL,IDX,IDX,IDX,P1,P1,P2,P3}',
        '{NULL,NULL,NULL,NULL,10,NULL,NULL,NULL}', '{NULL,0.5,0.25,0.25,NULL,3,1,2.5}',
        '{gmean,hmean,amean,amean,NULL,NULL,NULL,NULL}', '{0.5,NULL,0.75,NULL,NULL,NULL,NULL,NULL}',
        '{drop,zero,NULL,drop,NULL,NULL,NULL,NULL}')),
(3, framework_compile('{X}', '{NULL}', '{NULL}', '{1}')),
(6, framework_compile('{R,L1,L2,L3}', '{NULL,R,R,R}', '{NULL,NULL,NULL,NULL}', '{NULL,0.1,0.2,-0}',
        '{hmean,NULL,NULL,NULL}', '{-0,NULL,NULL,NULL}', '{zero,NULL,NULL,NULL}'));
INSERT INTO fws SELECT 4, framework_rules(fw, '{A.1,A.2,B.1}', '{"minmax(0, 100)",zscore(lower),"steps(1:0.5, 2:1)"}')
        FROM fws WHERE k = 1;
INSERT INTO fws SELECT 5, framework_compile(array_agg(code ORDER BY o), array_agg(parent ORDER BY o),
        array_agg(pts ORDER BY o), array_agg(w ORDER BY o), array_agg(m ORDER BY o),
        array_agg(th ORDER BY o), array_agg(mi ORDER BY o))
FROM (SELECT 0 AS o, 'IDX'::indicator_code AS code, NULL::indicator_code AS parent, NULL::float8 AS pts,
             NULL::float8 AS w, 'amean' AS m, NULL::float8 AS th, NULL AS mi
      UNION ALL
      SELECT i, ('M' || i)::indicator_code, 'IDX', NULL, i / 3.0,
             (ARRAY['amean', 'gmean', 'hmean'])[i % 3 + 1], NULL, (ARRAY['drop', 'zero'])[i % 2 + 1]
      FROM generate_series(1, 10) i
      UNION ALL
      SELECT 100 * i + j, ('M' || i || '.S' || j)::indicator_code, ('M' || i)::indicator_code,
             NULL, 1.0 / j, 'amean', CASE WHEN j % 4 = 0 THEN 0.5 END, 'drop'
      FROM generate_series(1, 10) i, generate_series(1, 10) j
      UNION ALL
      SELECT 10000 * i + 100 * j + l, ('M' || i || '.S' || j || '.L' || l)::indicator_code,
             ('M' || i || '.S' || j)::indicator_code, NULL, l * 0.1, NULL, NULL, NULL
      FROM generate_series(1, 10) i, generate_series(1, 10) j, generate_series(1, 9) l) n;

CREATE TABLE units (id int PRIMARY KEY, k int, keep_fw bool);
INSERT INTO units VALUES (1, 1, true), (2, 2, true), (3, 3, true), (4, 2, true), (6, 2, false),
        (7, 4, true), (8, 5, true), (9, 6, true), (10, 4, true), (11, 1, true);
CREATE TABLE leaves (id int, part int, code indicator_code, v float8);
INSERT INTO leaves VALUES
(1, 0, 'A.1', 1.0), (1, 0, 'A.2', 0.5), (1, 1, 'B.1', 0.25),
(2, 0, 'P1.a', 0.3), (2, 0, 'P2.a', 0.9), (2, 1, 'P3.x_1', NULL),
(3, 0, 'X', 0.125),
(4, 0, 'P1.b', 1e-300),
(6, 0, 'P1.a', 0.5), (6, 0, 'P1.b', 0.25), (6, 1, 'P2.a', 1), (6, 1, 'P3.x_1', 0.75),
(7, 0, 'A.1', 55), (7, 0, 'A.2', 3), (7, 1, 'B.1', 1.5),
(9, 0, 'L1', NULL), (9, 1, 'L2', NULL),
(10, 0, 'A.1', 0), (10, 1, 'A.2', -4.5e7), (10, 1, 'B.1', 2.5),
(11, 0, 'A.1', '-0'), (11, 1, 'B.1', 0.1);
INSERT INTO leaves SELECT 8, n % 2, code, CASE WHEN n % 13 <> 0 THEN ((n * 37) % 100 + 1) / 100.0 END
FROM (SELECT code, row_number() OVER (ORDER BY code) AS n
      FROM fws, framework_nodes(fw) WHERE k = 5 AND is_leaf) l;
CREATE TABLE obs (id int, part int, x float8, w float8, q float8);
INSERT INTO obs SELECT 1, g % 2, g, g / 10.0, 0.3 FROM generate_series(1, 10) g;
INSERT INTO obs VALUES (2, 0, 0.1, 1, 0.5), (2, 0, 2.5, 1, 0.5), (2, 1, -3, 1, 0.5),
        (3, 0, 7, 0.5, 0), (3, 1, 7, 0.5, 0),
        (6, 0, 1e308, 1e-300, 1), (6, 0, -1e308, 1e300, 1), (6, 1, 5e-324, 5e-324, 1),
        (9, 0, 1, 0, 0.5), (9, 1, 2, 0, 0.5),
        (10, 0, 1.7e308, 1, 0.25), (10, 1, 1.6e308, 1, 0.25);
-- a quantile state of 20,000 pairs
INSERT INTO obs SELECT 8, g % 3 / 2, sin(g) * 1000, (g % 7 + 1) / 3.0, 0.9 FROM generate_series(1, 20000) g;
INSERT INTO obs SELECT 4, g % 2, g * 1.5, 2, 0.75 FROM generate_series(1, 50) g;

CREATE TABLE rt (id int PRIMARY KEY, code indicator_code, rule scoring_rule, st indicator_stats,
                 fw framework, sc scorecard, iss indicator_stats_state, wms weighted_mean_state,
                 wqs weighted_quantile_state, rs rollup_state, ls leaf_stats, cs composite_state,
                 lv leaf_vector);
INSERT INTO rt (id, code, rule, st) VALUES
(1, 'CQS.3.2', 'steps(50:0.5, 100:1)', (SELECT indicator_stats(g::float8) FROM generate_series(1, 10) g)),
(2, '1.10', 'grade("Rất tốt":1, "x ""y"" z":0.5, B:0)',
        (SELECT indicator_stats(v) FROM (VALUES (0.1::float8), (2.5), (-3)) t(v))),
(3, 'a_b.C9.zz', 'minmax(lower)', '(n=0,min=0,max=0,mean=0,sd=0)'),
(4, 'Z', 'goalposts(-1.7e308, 1.7e308, lower)', '(n=1,min=5e-324,max=5e-324,mean=5e-324,sd=0)'),
(5, NULL, NULL, NULL),
(6, 'K', 'zscore', NULL),
(7, 'A.1', 'minmax(0, 100)', NULL),
(8, 'M10.S10.L9', NULL, (SELECT indicator_stats(v) FROM leaves WHERE id = 8)),
(9, NULL, 'piecewise(0:0, 50:0.8, 100:1)', '(n=0,min=0,max=0,mean=0,sd=0)'),
(10, NULL, NULL, NULL),
(11, NULL, NULL, NULL);
INSERT INTO rt (id) SELECT DISTINCT id + 100 FROM (SELECT id FROM leaves WHERE part = 1
                                                   UNION SELECT id FROM obs WHERE part = 1) p;
UPDATE rt SET
    fw = CASE WHEN u.keep_fw AND rt.id < 100 THEN f.fw END,
    sc = CASE WHEN rt.id < 100 THEN (
        SELECT CASE WHEN u.k = 4 THEN composite(f.fw, (SELECT leaf_stats(f.fw, a.code, a.v) FROM units b
                                                       JOIN leaves a USING (id) WHERE b.k = u.k),
                                                l.code, l.v)
                    ELSE rollup(f.fw, l.code, l.v) END
        FROM leaves l WHERE l.id = u.id) END,
    rs = (SELECT rollup_partial(f.fw, l.code, l.v) FROM leaves l WHERE l.id = u.id AND l.part = rt.id / 100),
    lv = (SELECT leaf_vector(f.fw, l.code, l.v) FROM leaves l WHERE l.id = u.id AND l.part = rt.id / 100),
    ls = (SELECT leaf_stats(f.fw, l.code, l.v) FROM units b JOIN leaves l USING (id)
          WHERE b.k = u.k AND l.part = rt.id / 100),
    cs = (SELECT composite_partial(f.fw, (SELECT leaf_stats(f.fw, a.code, a.v) FROM units b
                                          JOIN leaves a USING (id) WHERE b.k = u.k), l.code, l.v)
          FROM leaves l WHERE l.id = u.id AND l.part = rt.id / 100),
    wms = (SELECT coalesce(wharmonic_partial(x, w) FILTER (WHERE o.id = 4), wmean_partial(x, w) FILTER (WHERE o.id <> 4))
           FROM obs o WHERE o.id = u.id AND o.part = rt.id / 100),
    wqs = (SELECT wquantile_partial(x, w, q) FROM obs o WHERE o.id = u.id AND o.part = rt.id / 100),
    iss = (SELECT iss_partial(x) FROM obs o WHERE o.id = u.id AND o.part = rt.id / 100)
FROM units u JOIN fws f USING (k) WHERE u.id = rt.id % 100;
-- an indicator_stats_state of no values (the transition function leaves
-- NULL until the first value; the input accepts it)
UPDATE rt SET iss = ('02' || repeat('0', 16) || 'fffffbb4' || repeat('0', 96))::indicator_stats_state WHERE id = 109;
"""

TEXT_OF = "SELECT id, " + ", ".join(f"{c}::text" for c in COLS) + " FROM {} ORDER BY id"

# What is computed from the values of a table: the row a, and b, the row of
# the rest of a's group (the partial states of the second part).
DERIVED = """
SELECT a.id, nlevel(a.code), parent(a.code)::text, scoring_rule_kind(a.rule), stats_sd(a.st),
    indicator_stats_final(a.iss)::text, indicator_stats_final(indicator_stats_combine(a.iss, b.iss))::text,
    weighted_mean_final(a.wms), CASE WHEN a.id % 100 = 4 THEN weighted_harmonic_final(a.wms) END,
    weighted_mean_final(weighted_mean_combine(a.wms, b.wms)),
    weighted_quantile_final(a.wqs), weighted_quantile_final(weighted_quantile_combine(a.wqs, b.wqs)),
    rollup_final(a.rs)::text, rollup_final(rollup_combine(a.rs, b.rs))::text,
    composite_final(a.cs)::text, composite_final(composite_combine(a.cs, b.cs))::text,
    leaf_count(a.lv), rollup(a.fw, a.lv)::text, rollup(a.fw, leaf_vector_combine(a.lv, b.lv))::text,
    leaf_stats_combine(a.ls, b.ls)::text,
    CASE WHEN a.fw IS NOT NULL THEN
        composite(a.fw, leaf_stats_combine(a.ls, b.ls), leaf_vector_combine(a.lv, b.lv))::text END,
    (SELECT string_agg(concat_ws(' ', n.code, framework_rule(a.fw, n.code), leaf_stats_of(a.ls, a.fw, n.code)),
                       ', ' ORDER BY n.code)
     FROM framework_nodes(a.fw) n WHERE n.is_leaf),
    root_value(a.sc), (SELECT count(*) FROM framework_nodes(a.fw))
FROM {t} a LEFT JOIN {t} b ON b.id = a.id + 100
ORDER BY a.id
"""

# What the fixture must give, so that DERIVED compares something: the
# partial states of a group combined give the group's aggregate.
FIXTURE_CHECKS = [
    ("combined rollup states give the unit's scorecard",
     "SELECT count(*) FROM rt a LEFT JOIN rt b ON b.id = a.id + 100 JOIN units u ON u.id = a.id "
     "WHERE u.k <> 4 AND rollup_final(rollup_combine(a.rs, b.rs))::text IS DISTINCT FROM a.sc::text", 0),
    ("combined leaf vectors give the unit's scorecard",
     "SELECT count(*) FROM rt a LEFT JOIN rt b ON b.id = a.id + 100 JOIN units u ON u.id = a.id "
     "WHERE u.k <> 4 AND u.keep_fw AND "
     "rollup(a.fw, coalesce(leaf_vector_combine(a.lv, b.lv), a.lv, b.lv))::text IS DISTINCT FROM a.sc::text", 0),
    ("combined composite states give the unit's composite scorecard",
     "SELECT count(*) FROM rt a JOIN rt b ON b.id = a.id + 100 JOIN units u ON u.id = a.id "
     "WHERE u.k = 4 AND composite_final(composite_combine(a.cs, b.cs))::text IS DISTINCT FROM a.sc::text", 0),
    ("the vector form of composite() gives the same scorecard",
     "SELECT count(*) FROM rt a JOIN rt b ON b.id = a.id + 100 JOIN units u ON u.id = a.id "
     "WHERE u.k = 4 AND composite(a.fw, leaf_stats_combine(a.ls, b.ls), leaf_vector_combine(a.lv, b.lv))::text"
     " IS DISTINCT FROM a.sc::text", 0),
    ("combined weighted mean states give weighted_mean()",
     "SELECT count(*) FROM rt a LEFT JOIN rt b ON b.id = a.id + 100 WHERE a.id IN (1, 2, 3, 6, 8, 10) AND "
     "weighted_mean_final(weighted_mean_combine(a.wms, b.wms)) IS DISTINCT FROM "
     "(SELECT weighted_mean(x, w) FROM obs WHERE obs.id = a.id)", 0),
    ("combined quantile states give weighted_quantile()",
     "SELECT count(*) FROM rt a LEFT JOIN rt b ON b.id = a.id + 100 WHERE a.id < 100 AND a.wqs IS NOT NULL AND "
     "weighted_quantile_final(weighted_quantile_combine(a.wqs, b.wqs)) IS DISTINCT FROM "
     "(SELECT weighted_quantile(x, w, q) FROM obs WHERE obs.id = a.id)", 0),
    ("combined statistics states give indicator_stats()",
     "SELECT count(*) FROM rt a LEFT JOIN rt b ON b.id = a.id + 100, "
     "LATERAL (SELECT indicator_stats_final(indicator_stats_combine(a.iss, b.iss)) AS c, "
     "                (SELECT indicator_stats(x) FROM obs WHERE obs.id = a.id) AS o) s "
     "WHERE a.id < 100 AND a.id <> 9 AND a.iss IS NOT NULL AND (stats_n(c), stats_min(c), stats_max(c), stats_mean(c)) "
     "IS DISTINCT FROM (stats_n(o), stats_min(o), stats_max(o), stats_mean(o)) "
     "OR abs(stats_sd(c) - stats_sd(o)) > 1e-12 * stats_sd(o)", 0),
    ("the large framework has 1,011 nodes", "SELECT count(*) FROM fws, framework_nodes(fw) WHERE k = 5", 1011),
    ("a quantile state of 20,000 pairs",
     "SELECT (SELECT count(*) FROM obs WHERE id = 8 AND part = 0 AND w > 0) + "
     "(SELECT count(*) FROM obs WHERE id = 8 AND part = 1 AND w > 0)", 20000),
    ("empty states: no values, zero weights",
     "SELECT count(*) FROM rt WHERE id = 9 AND leaf_count(lv) = 0 AND rollup_final(rs)::text LIKE '%\"present\": 0%' "
     "AND weighted_mean_final(wms) IS NULL AND weighted_quantile_final(wqs) IS NULL AND ls IS NOT NULL", 1),
]


# What is done with a value of each type ({v}), with the other columns of
# the row it came from (r) and of that row's partner (p): a mutated payload
# that recv accepts must then be usable, each expression run alone
# (errors of the data, such as 22023, are fine; an internal error is not).
USE = {
    "indicator_code": ["nlevel({v})", "parent({v})", "{v} < 'M'", "(SELECT count(*) FROM ancestors({v}, true))"],
    "scoring_rule": ["scoring_rule_kind({v})", "{v}::text::scoring_rule = {v}", "score({v}, 'B')",
                     "score({v}, 0.5::float8, '(n=3,min=0,max=1,mean=0.5,sd=0.5)')"],
    "indicator_stats": ["stats_sd({v})", "score('zscore', 1, {v})", "score('minmax', 1, {v})"],
    "framework": ["(SELECT count(*) FROM framework_nodes({v}))",
                  "(SELECT rollup({v}, l.code, l.v) FROM leaves l WHERE l.id = r.id %% 100)",
                  "(SELECT composite({v}, NULL, l.code, l.v) FROM leaves l WHERE l.id = r.id %% 100)",
                  "(SELECT leaf_vector({v}, l.code, l.v) FROM leaves l WHERE l.id = r.id %% 100)"],
    "scorecard": ["root_value({v})", "(SELECT count(*) FROM scorecard_nodes({v}))",
                  "(SELECT sum(contribution) FROM explain_change({v}, {v}))",
                  "(SELECT sum(contribution) FROM explain_change({v}, r.sc))"],
    "indicator_stats_state": ["indicator_stats_final({v})",
                              "indicator_stats_final(indicator_stats_combine({v}, {v}))",
                              "indicator_stats_final(indicator_stats_combine({v}, r.iss))",
                              "indicator_stats_final(indicator_stats_step({v}, 1))"],
    "weighted_mean_state": ["weighted_mean_final({v})", "weighted_geomean_final({v})",
                            "weighted_harmonic_final({v})", "weighted_mean_final(weighted_mean_combine({v}, {v}))",
                            "weighted_mean_final(weighted_mean_step({v}, 1, 1))"],
    "weighted_quantile_state": ["weighted_quantile_final({v})",
                                "weighted_quantile_final(weighted_quantile_combine({v}, {v}))",
                                "weighted_quantile_final(weighted_quantile_combine({v}, r.wqs))"],
    "rollup_state": ["rollup_final({v})", "rollup_final(rollup_combine({v}, p.rs))",
                     "rollup_final(rollup_combine(p.rs, {v}))"],
    "leaf_stats": ["(SELECT string_agg(leaf_stats_of({v}, r.fw, n.code)::text, ',') "
                   "FROM framework_nodes(r.fw) n WHERE n.is_leaf)",
                   "leaf_stats_combine({v}, {v})", "leaf_stats_combine({v}, r.ls)",
                   "CASE WHEN r.fw IS NOT NULL THEN composite(r.fw, {v}, r.lv) END"],
    "composite_state": ["composite_final({v})", "composite_final(composite_combine({v}, p.cs))"],
    "leaf_vector": ["leaf_count({v})", "rollup(r.fw, {v})",
                    "CASE WHEN r.fw IS NOT NULL THEN composite(r.fw, r.ls, {v}) END",
                    "leaf_vector_combine({v}, p.lv)", "(SELECT leaf_stats(r.fw, x) FROM (VALUES ({v})) t(x))"],
}


def use_query(typ, expr):
    e = expr.format(v=f"%(v)b::{typ}")
    return f"SELECT ({e})::text FROM rt r LEFT JOIN rt p ON p.id = r.id + 100 WHERE r.id = %(id)s"


def rows_as_text(conn, table):
    return conn.execute(sql.SQL(TEXT_OF).format(sql.Identifier(table))).fetchall()


def derived(conn, table):
    return conn.execute(sql.SQL(DERIVED).format(t=sql.Identifier(table))).fetchall()


def snapshot(conn):
    """The values of rt as text and what is computed from them, one line each."""
    for row in rows_as_text(conn, "rt") + derived(conn, "rt"):
        print(repr(row))


def check_every_type_listed(conn):
    listed = sorted(t for _, t, _ in TYPES)
    have = [r[0] for r in conn.execute(
        "SELECT t.typname FROM pg_type t JOIN pg_depend d ON d.classid = 'pg_type'::regclass "
        "AND d.objid = t.oid AND d.deptype = 'e' JOIN pg_extension e ON e.oid = d.refobjid "
        # (not their array types, which PostgreSQL 17 on records as
        # members of the extension too)
        "WHERE e.extname = 'dti' AND t.typtype = 'b' AND t.typcategory <> 'A' ORDER BY 1")]
    check(have == listed, f"the base types of dti are those listed: {have}")


def main():
    conn = psycopg.connect(dbname=DB, autocommit=True)
    check_every_type_listed(conn)
    conn.execute(SETUP)
    for what, query, want in FIXTURE_CHECKS:
        got = conn.execute(query).fetchone()[0]
        check(got == want, f"fixture: {what}: {got}, expected {want}")
    original = rows_as_text(conn, "rt")
    computed = derived(conn, "rt")
    nulls = sum(v is None for row in original for v in row[1:])
    values = sum(v is not None for row in original for v in row[1:])
    print(f"fixture: {len(original)} rows, {values} values and {nulls} NULLs of {len(TYPES)} types, "
          f"{len(computed)} x {len(computed[0]) - 1} results computed from them")
    oids = {t: conn.execute("SELECT %s::regtype::oid", [t]).fetchone()[0] for _, t, _ in TYPES}

    def same_as_original(table, what):
        check(rows_as_text(conn, table) == original, f"{what}: values")
        check(derived(conn, table) == computed, f"{what}: results computed from the values")

    # text: output, then input of that text
    for col, typ, _ in TYPES:
        bad = conn.execute(sql.SQL(
            "SELECT count(*) FROM rt WHERE ({c}::text::{t})::text IS DISTINCT FROM {c}::text"
        ).format(c=sql.Identifier(col), t=sql.Identifier(typ))).fetchone()[0]
        check(bad == 0, f"text round trip of {typ}: {bad} rows differ")
    conn.execute("CREATE TABLE via_text AS SELECT id, " + ", ".join(
        f"{c}::text::{t} AS {c}" for c, t, _ in TYPES) + " FROM rt")
    same_as_original("via_text", "text round trip")

    # COPY text and binary
    for fmt in ("text", "binary"):
        table = f"copy_{fmt}"
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE rt)").format(sql.Identifier(table)))
        opts = sql.SQL("(FORMAT {})").format(sql.SQL(fmt))
        data = bytearray()
        with conn.cursor().copy(sql.SQL("COPY rt TO STDOUT {}").format(opts)) as cp:
            for chunk in cp:
                data += chunk
        with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN {}").format(sql.Identifier(table), opts)) as cp:
            cp.write(bytes(data))
        same_as_original(table, f"COPY {fmt} round trip")

    # binary cursor and binary parameters
    conn.execute("CREATE TABLE bin_params (LIKE rt)")
    cur = conn.cursor(binary=True)
    cur.execute("SELECT id, " + ", ".join(COLS) + " FROM rt ORDER BY id")
    fetched = cur.fetchall()
    check(cur.pgresult.fformat(1) == 1, "the cursor reads in binary")
    for row in fetched:
        for value, (_, typ, versions) in zip(row[1:], TYPES):
            if value is not None:
                check(isinstance(value, bytes), f"{typ} arrives as binary bytes")
                check(value[0] in versions, f"{typ} binary form starts with version {sorted(versions)}")
                if typ == "framework":
                    # version 1 (the text form) for a framework carrying rules
                    check(value[0] == (1 if row[0] % 100 in (7, 10) else 2),
                          f"framework of row {row[0]}: binary version {value[0]}")
    ins = conn.cursor()
    classes = {t: type(t, (Raw,), {}) for _, t, _ in TYPES}
    for _, t, _ in TYPES:
        ins.adapters.register_dumper(classes[t], raw_dumper(oids[t]))
    for row in fetched:
        params = [row[0]] + [None if v is None else classes[t](v) for v, (_, t, _) in zip(row[1:], TYPES)]
        ins.execute("INSERT INTO bin_params VALUES (%s" + ", %b" * len(TYPES) + ")", params)
    same_as_original("bin_params", "binary cursor and binary parameters round trip")

    # version 1 of framework and scorecard: a version byte and the text form
    for col, typ in (("fw", "framework"), ("sc", "scorecard")):
        texts = conn.execute(sql.SQL("SELECT id, {c}::text FROM rt WHERE {c} IS NOT NULL ORDER BY id")
                             .format(c=sql.Identifier(col))).fetchall()
        c1 = cursor_for(conn, oids[typ])
        for rid, text in texts:
            back = c1.execute(sql.SQL("SELECT %b::{t}::text").format(t=sql.Identifier(typ)),
                              [Raw(b"\x01" + text.encode())]).fetchone()[0]
            check(back == text, f"{typ} version 1 parameter of row {rid}")
        payloads = [b"\x01" + t.encode() for _, t in texts]
        conn.execute(sql.SQL("CREATE TABLE v1_{} (v {})").format(sql.SQL(col), sql.Identifier(typ)))
        with conn.cursor().copy(sql.SQL("COPY v1_{} FROM STDIN (FORMAT binary)").format(sql.SQL(col))) as cp:
            cp.write(copy_binary_file(payloads))
        got = [r[0] for r in conn.execute(sql.SQL("SELECT v::text FROM v1_{}").format(sql.SQL(col)))]
        check(got == [t for _, t in texts], f"{typ} version 1 through COPY binary")
        bad = b"\x01" + texts[0][1][:-1].encode()
        try:
            c1.execute(sql.SQL("SELECT %b::{t}").format(t=sql.Identifier(typ)), [Raw(bad)])
            check(False, f"{typ} version 1 with broken text is refused")
        except psycopg.Error as e:
            check(e.sqlstate == "22P03", f"{typ} version 1 with broken text: 22P03, got {e.sqlstate}")
    # a -0 in the binary form of a framework or a scorecard (its text form
    # has none) reads as 0, so that the value reads back from its text
    for col, typ, rid, number in (("fw", "framework", 9, 0.2), ("sc", "scorecard", 3, 0.125)):
        b = next(row[COLS.index(col) + 1] for row in fetched if row[0] == rid)
        check(b.count(struct.pack("!d", number)) == 1, f"{typ} of row {rid} has {number} once")
        c0 = cursor_for(conn, oids[typ])
        got = [c0.execute(sql.SQL("SELECT %b::{t}::text").format(t=sql.Identifier(typ)),
                          [Raw(b.replace(struct.pack("!d", number), struct.pack("!d", z)))]).fetchone()[0]
               for z in (0.0, -0.0)]
        check(got[0] == got[1] and "-0" not in got[1],
              f"a {typ} with -0 in its binary form reads as with 0: {got}")

    paths = 5 + 1   # text, COPY text, COPY binary, binary cursor + parameters, version 1; pg_dump in the shell
    print(f"interfaces: {values} values of {len(TYPES)} types and {nulls} NULLs through text, COPY text, "
          f"COPY binary and binary cursor with binary parameters, each compared as text with "
          f"{len(computed) * (len(computed[0]) - 1)} results computed from them; frameworks and "
          f"scorecards also in version 1 ({paths} paths with pg_dump)")

    # the recv corpus
    rng = random.Random(20261202)
    valid = {t: [] for _, t, _ in TYPES}
    source = {}     # (type, value): the id of the first row that has it
    for row in fetched:
        for value, (_, t, _) in zip(row[1:], TYPES):
            if value is not None and value not in valid[t]:
                valid[t].append(value)
                source[(t, value)] = row[0]
    total = 0
    for _, t, versions in TYPES:
        cases = corpus(valid[t], versions, rng)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS corpus_{t}; CREATE TABLE corpus_{t} (v {ty})")
                     .format(t=sql.SQL(t), ty=sql.Identifier(t)))
        pc = cursor_for(conn, oids[t])
        states = {}
        for kind, payload in cases:
            total += 1
            for path in ("copy", "param"):
                try:
                    if path == "copy":
                        with conn.cursor().copy(sql.SQL("COPY corpus_{t} FROM STDIN (FORMAT binary)")
                                                .format(t=sql.SQL(t))) as cp:
                            cp.write(copy_binary_file([payload]))
                    else:
                        pc.execute(sql.SQL("SELECT %b::{ty}").format(ty=sql.Identifier(t)), [Raw(payload)])
                    state = "accepted"
                except psycopg.errors.Error as e:
                    state = e.sqlstate
                label = kind
                if t == "indicator_code" and valid_code(payload):
                    # a prefix of a code, or a code with letters appended, is a code
                    label = kind + " valid"
                    check(state == "accepted", f"{t} {payload!r} is a valid code, by {path}: {state}")
                else:
                    check(state in ("22P03", "08P01"),
                          f"{t} {kind} payload {payload[:24].hex()}... by {path}: {state}")
                states[(label, path, state)] = states.get((label, path, state), 0) + 1
                alive = conn.execute("SELECT 1").fetchone()[0]
                check(alive == 1, "the session answers after a bad payload")
        summary = ", ".join(f"{k} {p} {s}: {n}" for (k, p, s), n in sorted(states.items()))
        print(f"recv corpus {t}: {len(cases)} payloads from {len(valid[t])} values; {summary}")
        if t != "indicator_code":
            stored = conn.execute(sql.SQL("SELECT count(*) FROM corpus_{t}").format(t=sql.SQL(t))).fetchone()[0]
            check(stored == 0, f"no bad payload of {t} stored: {stored}")
    print(f"recv corpus: {total} payloads of {len(TYPES)} types, each by COPY and as a parameter")

    # Mutants: valid values with one byte changed.  Many are values still
    # (another number, another code); recv must refuse the others, and what
    # it accepts must be a value like any other: its text reads back, its
    # binary form reads back to the same text, and USE runs on it without
    # an internal error.
    total = accepted = 0
    for _, t, _ in TYPES:
        pc = cursor_for(conn, oids[t])
        bc = conn.cursor(binary=True)
        bc.adapters.register_dumper(Raw, raw_dumper(oids[t]))
        kinds = {}
        for v in valid[t]:
            for _ in range(int(os.environ.get("BINARY_IO_MUTANTS", "24"))):
                at = rng.randrange(1, len(v)) if len(v) > 1 else 0
                b = v[at] ^ (1 << rng.randrange(8)) if rng.random() < 0.5 else rng.choice(
                    [x for x in range(256) if x != v[at]])
                payload = v[:at] + bytes([b]) + v[at + 1:]
                total += 1
                try:
                    text = pc.execute(sql.SQL("SELECT %b::{ty}::text").format(ty=sql.Identifier(t)),
                                      [Raw(payload)]).fetchone()[0]
                except psycopg.errors.Error as e:
                    check(e.sqlstate in ("22P03", "08P01"), f"{t} mutant {payload[:24].hex()}... by param: {e.sqlstate}")
                    kinds[e.sqlstate] = kinds.get(e.sqlstate, 0) + 1
                    continue
                accepted += 1
                kinds["accepted"] = kinds.get("accepted", 0) + 1
                what = f"{t} mutant accepted ({payload[:24].hex()}... at byte {at})"
                back = conn.execute(sql.SQL("SELECT %s::{ty}::text").format(ty=sql.Identifier(t)),
                                    [text]).fetchone()[0]
                check(back == text, f"{what}: its text reads back")
                sent = bc.execute(sql.SQL("SELECT %b::{ty}").format(ty=sql.Identifier(t)),
                                  [Raw(payload)]).fetchone()[0]
                again = pc.execute(sql.SQL("SELECT %b::{ty}::text").format(ty=sql.Identifier(t)),
                                   [Raw(sent)]).fetchone()[0]
                check(again == text, f"{what}: its binary form reads back")
                for expr in USE[t]:
                    try:
                        pc.execute(use_query(t, expr), {"v": Raw(payload), "id": source[(t, v)]}).fetchall()
                    except psycopg.errors.Error as e:
                        check(e.sqlstate is not None and e.sqlstate[:2] not in ("XX", "08", "57", "58"),
                              f"{what}: {expr}: {e.sqlstate} {e}")
                    check(conn.execute("SELECT 1").fetchone()[0] == 1, "the session answers after a mutant")
        print(f"mutants {t}: " + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())))
    print(f"mutants: {total} payloads with one byte changed, {accepted} accepted and used")
    conn.close()


CODE = re.compile(rb"[A-Za-z0-9_]{1,63}(\.[A-Za-z0-9_]{1,63}){0,31}")


def valid_code(payload):
    """The binary form of a valid indicator_code: version 1 and a code."""
    return payload[:1] == b"\x01" and CODE.fullmatch(payload[1:]) is not None


def copy_binary_file(payloads):
    """A COPY binary file with one one-column row per payload."""
    out = bytearray(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
    for p in payloads:
        out += struct.pack("!hi", 1, len(p)) + p
    out += struct.pack("!h", -1)
    return bytes(out)


def corpus(valid, versions, rng):
    """Truncated, extended, wrongly versioned and random payloads derived from valid ones."""
    cases = []
    for v in valid:
        lengths = range(len(v)) if len(v) <= 64 else sorted(set(
            list(range(12)) + [len(v) - k for k in range(1, 12)] + rng.sample(range(len(v)), 40)))
        cases += [("truncated", v[:n]) for n in lengths]
        cases += [("extended", v + bytes(rng.randrange(256) for _ in range(k))) for k in (1, 2, 8)]
        cases += [("extended", v + v)]
        cases += [("version", bytes([b]) + v[1:])
                  for b in sorted(({0, max(versions) + 1, 0x7f, 0xff} | {x - 1 for x in versions}) - versions)]
    for _ in range(120):
        n = rng.randrange(16, 300)
        cases.append(("random", bytes(rng.randrange(256) for _ in range(n))))
    for _ in range(40):
        # a plausible start (a version byte of the type) and random rest
        n = rng.randrange(16, 200)
        cases.append(("random", bytes([rng.choice(sorted(versions))]) + bytes(rng.randrange(256) for _ in range(n))))
    return cases


if __name__ == "__main__":
    if sys.argv[1:] == ["snapshot"]:
        snapshot(psycopg.connect(dbname=DB, autocommit=True))
        sys.exit(0)
    main()
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("binary_io: every check passed")
