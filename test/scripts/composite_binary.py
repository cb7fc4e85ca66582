"""leaf_stats, composite_state, leaf_vector and a framework carrying rules through the
binary interfaces, and their recv functions fed bad bytes.

Run by test/scripts/composite_binary.sh.  Each value is read with a binary
cursor (its send function), sent back as a binary parameter (its recv
function) and compared with the original as text; then every truncation of
the valid values, values with bytes appended and seeded random payloads go
through COPY FROM STDIN (FORMAT binary) and as binary parameters, each
refused with SQLSTATE 22P03 or 08P01 with the session still answering.
The helpers are those of binary_io.py.
"""
import random
import sys

import psycopg
from psycopg import sql

from binary_io import DB, Raw, check, copy_binary_file, corpus, cursor_for, failures

SETUP = """
CREATE TABLE cb_fw AS SELECT framework_rules(framework_compile(
        '{DTI,A,B,A.1,A.2,B.1}', '{NULL,DTI,DTI,A,A,B}', '{NULL,NULL,NULL,60,40,100}'),
        '{A.1,A.2,B.1}', '{"minmax(0, 100)",zscore(lower),"steps(1:0.5, 2:1)"}') AS fw;
CREATE TABLE cb_leaf AS SELECT u, c::indicator_code AS code, (u * 7 % 11)::float8 AS v
    FROM generate_series(1, 5) u, unnest('{A.1,A.2,B.1}'::text[]) c;
CREATE TABLE cb (id int, st leaf_stats, cs composite_state, fw framework, lv leaf_vector);
INSERT INTO cb SELECT 1, (SELECT leaf_stats(fw, code, v) FROM cb_leaf), NULL, fw FROM cb_fw;
INSERT INTO cb SELECT 2, NULL, composite_step(NULL, fw, (SELECT st FROM cb WHERE id = 1), 'A.2', 3), NULL FROM cb_fw;
INSERT INTO cb SELECT 3, NULL, composite_step(NULL, fw, (SELECT st FROM cb WHERE id = 1), 'B.1', NULL), NULL FROM cb_fw;
INSERT INTO cb (id, lv) SELECT 3 + u, leaf_vector((SELECT fw FROM cb_fw), code, CASE WHEN u = 2 AND code = 'B.1' THEN NULL ELSE v END)
    FROM cb_leaf WHERE u <= 2 GROUP BY u;
"""
TYPES = [("st", "leaf_stats"), ("cs", "composite_state"), ("fw", "framework"), ("lv", "leaf_vector")]


def main():
    conn = psycopg.connect(dbname=DB, autocommit=True)
    conn.execute(SETUP)
    oids = {t: conn.execute("SELECT %s::regtype::oid", [t]).fetchone()[0] for _, t in TYPES}
    rng = random.Random(20261202)
    for col, typ in TYPES:
        texts = [r[0] for r in conn.execute(sql.SQL("SELECT {c}::text FROM cb WHERE {c} IS NOT NULL ORDER BY id")
                                            .format(c=sql.Identifier(col)))]
        cur = conn.cursor(binary=True)
        cur.execute(sql.SQL("SELECT {c} FROM cb WHERE {c} IS NOT NULL ORDER BY id").format(c=sql.Identifier(col)))
        values = [r[0] for r in cur.fetchall()]
        check(len(values) == len(texts) and len(values) > 0, f"{typ}: values read in binary")
        if typ == "framework":
            check(values[0][0] == 1, "a framework with rules is sent in binary version 1")
        pc = cursor_for(conn, oids[typ])
        for v, t in zip(values, texts):
            back = pc.execute(sql.SQL("SELECT %b::{t}::text").format(t=sql.Identifier(typ)), [Raw(v)]).fetchone()[0]
            check(back == t, f"{typ}: binary parameter round trip")
        if typ == "leaf_vector":
            # a vector sent back as a binary parameter evaluates to the scorecard of the original
            for v, i in zip(values, (4, 5)):
                got = pc.execute("SELECT rollup((SELECT fw FROM cb_fw), %b::leaf_vector)::text", [Raw(v)]).fetchone()[0]
                want = conn.execute("SELECT rollup((SELECT fw FROM cb_fw), lv)::text FROM cb WHERE id = %s", [i]).fetchone()[0]
                check(got == want and got is not None, "leaf_vector: a binary parameter evaluates to the same scorecard")
        conn.execute(sql.SQL("CREATE TABLE cb_copy_{c} (v {t})").format(c=sql.SQL(col), t=sql.Identifier(typ)))
        with conn.cursor().copy(sql.SQL("COPY cb_copy_{c} FROM STDIN (FORMAT binary)").format(c=sql.SQL(col))) as cp:
            cp.write(copy_binary_file(values))
        got = [r[0] for r in conn.execute(sql.SQL("SELECT v::text FROM cb_copy_{c}").format(c=sql.SQL(col)))]
        check(got == texts, f"{typ}: COPY binary round trip")
        if typ == "framework":
            continue
        cases = corpus(values, rng)
        refused = 0
        for kind, payload in cases:
            for path in ("copy", "param"):
                try:
                    if path == "copy":
                        with conn.cursor().copy(sql.SQL("COPY cb_copy_{c} FROM STDIN (FORMAT binary)")
                                                .format(c=sql.SQL(col))) as cp:
                            cp.write(copy_binary_file([payload]))
                    else:
                        pc.execute(sql.SQL("SELECT %b::{t}").format(t=sql.Identifier(typ)), [Raw(payload)])
                    state = "accepted"
                except psycopg.errors.Error as e:
                    state = e.sqlstate
                check(state in ("22P03", "08P01"), f"{typ} {kind} payload {payload[:24].hex()}... by {path}: {state}")
                refused += state in ("22P03", "08P01")
                check(conn.execute("SELECT 1").fetchone()[0] == 1, "the session answers after a bad payload")
        print(f"recv corpus {typ}: {len(cases)} payloads, {refused} of {2 * len(cases)} refusals with 22P03 or 08P01")
    conn.close()


if __name__ == "__main__":
    main()
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("composite_binary: every check passed")
