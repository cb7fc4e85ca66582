"""Every dti type through every interface, and the recv functions fed bad bytes.

Run by test/scripts/binary_io.sh against a database that has dti.  With
Debian's psycopg 3 (python3-psycopg) it moves indicator_code, scoring_rule,
indicator_stats, framework and scorecard values (NULLs included) through:

  text        output, then input of that text (the cast through text);
  binary      a binary cursor reads each value with its send function, and
              the bytes go back as binary parameters of an INSERT (the
              extended protocol's Bind calls the recv function);
  COPY        COPY TO STDOUT and COPY FROM STDIN, in text and binary format;
  version 1   the binary form dti 0.7.0 wrote (a version byte and the text
              form) is still read, by COPY and as a parameter;

and compares every value with the original as text.  pg_dump/pg_restore is
the shell script's part.

Then the recv corpus: for each type, every truncation of valid binary values,
values with bytes appended, and seeded random payloads, each sent alone
through COPY FROM STDIN (FORMAT binary) and as a binary parameter.  Each must
be refused with SQLSTATE 22P03 or 08P01, and the same session must answer
afterwards.  (The server log is searched for crashed backends by the shell
script.)
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
TYPES = ["indicator_code", "scoring_rule", "indicator_stats", "framework", "scorecard"]
COLS = ["code", "rule", "st", "fw", "sc"]

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


SETUP = """
CREATE TABLE rt (id int PRIMARY KEY, code indicator_code, rule scoring_rule,
                 st indicator_stats, fw framework, sc scorecard);
CREATE TEMP TABLE fws AS
SELECT 1 AS k, framework_compile(
        '{DTI,A,B,A.1,A.2,B.1}', '{NULL,DTI,DTI,A,A,B}', '{NULL,NULL,NULL,60,40,100}') AS fw
UNION ALL
SELECT 2, framework_compile(
        '{IDX,P1,P2,P3,P1.a,P1.b,P2.a,P3.x_1}', '{NULL,IDX,IDX,IDX,P1,P1,P2,P3}',
        '{NULL,NULL,NULL,NULL,10,NULL,NULL,NULL}', '{NULL,0.5,0.25,0.25,NULL,3,1,2.5}',
        '{gmean,hmean,amean,amean,NULL,NULL,NULL,NULL}', '{0.5,NULL,0.75,NULL,NULL,NULL,NULL,NULL}',
        '{drop,zero,NULL,drop,NULL,NULL,NULL,NULL}')
UNION ALL
SELECT 3, framework_compile('{X}', '{NULL}', '{NULL}', '{1}');
INSERT INTO rt VALUES
(1, 'CQS.3.2', 'steps(50:0.5, 100:1)',
       (SELECT indicator_stats(g::float8) FROM generate_series(1, 10) g),
       (SELECT fw FROM fws WHERE k = 1),
       (SELECT rollup(f.fw, l.code, l.v) FROM fws f,
               (VALUES ('A.1'::indicator_code, 1.0::float8), ('A.2', 0.5), ('B.1', 0.25)) l(code, v)
        WHERE f.k = 1)),
(2, '1.10', 'grade("Rất tốt":1, "x ""y"" z":0.5, B:0)',
       (SELECT indicator_stats(v) FROM (VALUES (0.1::float8), (2.5), (-3)) t(v)),
       (SELECT fw FROM fws WHERE k = 2),
       (SELECT rollup(f.fw, l.code, l.v) FROM fws f,
               (VALUES ('P1.a'::indicator_code, 0.3::float8), ('P2.a', 0.9), ('P3.x_1', NULL)) l(code, v)
        WHERE f.k = 2)),
(3, 'a_b.C9.zz', 'minmax(lower)', '(n=0,min=0,max=0,mean=0,sd=0)',
       (SELECT fw FROM fws WHERE k = 3),
       (SELECT rollup(f.fw, 'X', 0.125) FROM fws f WHERE f.k = 3)),
(4, 'Z', 'goalposts(-1.7e308, 1.7e308, lower)', '(n=1,min=5e-324,max=5e-324,mean=5e-324,sd=0)',
       (SELECT fw FROM fws WHERE k = 2),
       (SELECT rollup(f.fw, 'P1.b', 1e-300) FROM fws f WHERE f.k = 2)),
(5, NULL, NULL, NULL, NULL, NULL),
(6, 'K', 'zscore', NULL, NULL,
       (SELECT rollup(f.fw, l.code, l.v) FROM fws f,
               (VALUES ('P1.a'::indicator_code, 0.5::float8), ('P1.b', 0.25), ('P2.a', 1), ('P3.x_1', 0.75)) l(code, v)
        WHERE f.k = 2));
"""

TEXT_OF = "SELECT id, " + ", ".join(f"{c}::text" for c in COLS) + " FROM {} ORDER BY id"


def rows_as_text(conn, table):
    return conn.execute(sql.SQL(TEXT_OF).format(sql.Identifier(table))).fetchall()


def main():
    conn = psycopg.connect(dbname=DB, autocommit=True)
    conn.execute(SETUP)
    original = rows_as_text(conn, "rt")
    check(len(original) == 6, "six rows in the fixture")
    oids = {t: conn.execute("SELECT %s::regtype::oid", [t]).fetchone()[0] for t in TYPES}

    # text: output, then input of that text
    for col, typ in zip(COLS, TYPES):
        bad = conn.execute(sql.SQL(
            "SELECT count(*) FROM rt WHERE ({c}::text::{t})::text IS DISTINCT FROM {c}::text"
        ).format(c=sql.Identifier(col), t=sql.Identifier(typ))).fetchone()[0]
        check(bad == 0, f"text round trip of {typ}: {bad} rows differ")

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
        check(rows_as_text(conn, table) == original, f"COPY {fmt} round trip")

    # binary cursor and binary parameters
    conn.execute("CREATE TABLE bin_params (LIKE rt)")
    cur = conn.cursor(binary=True)
    cur.execute("SELECT id, " + ", ".join(COLS) + " FROM rt ORDER BY id")
    fetched = cur.fetchall()
    check(cur.pgresult.fformat(1) == 1, "the cursor reads in binary")
    for row in fetched:
        for value, typ in zip(row[1:], TYPES):
            if value is not None:
                check(isinstance(value, bytes), f"{typ} arrives as binary bytes")
                version = 2 if typ in ("framework", "scorecard") else 1
                check(value[0] == version, f"{typ} binary form starts with version {version}")
    ins = conn.cursor()
    classes = {t: type(t, (Raw,), {}) for t in TYPES}
    for t in TYPES:
        ins.adapters.register_dumper(classes[t], raw_dumper(oids[t]))
    for row in fetched:
        params = [row[0]] + [None if v is None else classes[t](v) for v, t in zip(row[1:], TYPES)]
        ins.execute("INSERT INTO bin_params VALUES (%s, %b, %b, %b, %b, %b)", params)
    check(rows_as_text(conn, "bin_params") == original, "binary cursor and binary parameters round trip")

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

    # the recv corpus
    rng = random.Random(20261202)
    valid = {t: [] for t in TYPES}
    for row in fetched:
        for value, t in zip(row[1:], TYPES):
            if value is not None and value not in valid[t]:
                valid[t].append(value)
    conn.execute("CREATE TABLE corpus_target (v text)")
    total = 0
    for t in TYPES:
        cases = corpus(valid[t], rng)
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
        print(f"recv corpus {t}: {len(cases)} payloads; {summary}")
    check(conn.execute("SELECT count(*) FROM corpus_framework").fetchone()[0] == 0, "no bad payload stored")
    print(f"recv corpus: {total} payloads, each by COPY and as a parameter")
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


def corpus(valid, rng):
    """Truncated, extended and random payloads derived from valid ones."""
    cases = []
    for v in valid:
        lengths = range(len(v)) if len(v) <= 64 else sorted(set(
            list(range(12)) + [len(v) - k for k in range(1, 12)] + rng.sample(range(len(v)), 40)))
        cases += [("truncated", v[:n]) for n in lengths]
        cases += [("extended", v + bytes(rng.randrange(256) for _ in range(k))) for k in (1, 2, 8)]
        cases += [("extended", v + v)]
    for _ in range(120):
        n = rng.randrange(16, 300)
        cases.append(("random", bytes(rng.randrange(256) for _ in range(n))))
    for _ in range(40):
        # a plausible start (the version byte of every form) and random rest
        n = rng.randrange(16, 200)
        cases.append(("random", bytes([rng.choice((1, 2))]) + bytes(rng.randrange(256) for _ in range(n))))
    return cases


if __name__ == "__main__":
    main()
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("binary_io: every check passed")
