"""A BI tool's driver reading the warehouse as a LOGIN member of dti_reader
(run by test/scripts/bi_driver_read.sh): SELECT * from every relation of
schema dti the role may read, every row, through psycopg 3 in the binary
protocol and in text, each value loaded into the Python type of its column
(dates as datetime.date, numbers as Decimal, ...), as BI drivers do.  Any
value the driver cannot read fails the check (up to dti_warehouse 0.8.0 the
infinite validity dates of dti.unit, shown in dti.province, dti."đơn_vị" and
dti.series, made every row of those views unreadable: Python's and .NET's
date types have no infinity).  Connection from the PG* environment
variables; the database and the role are the arguments.
Exits non-zero on any failure."""
import sys

import psycopg

db, role = sys.argv[1], sys.argv[2]
conn = psycopg.connect(dbname=db, user=role, autocommit=True)
rels = [r[0] for r in conn.execute(
    "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'dti' AND c.relkind IN ('r', 'v', 'm') AND has_table_privilege(c.oid, 'SELECT') "
    "ORDER BY 1").fetchall()]
# the BI views and the reference data a reader must be able to read
must = {'dti.province', 'dti."đơn_vị"', 'dti.series', 'dti.province_series', 'dti.nation_series',
        'dti.ranking', 'dti.score_long', 'dti.score_map'}
failures = ["%s: not readable by %s" % (r, role) for r in sorted(must - set(rels))]
rows_read = 0
# dti.unit is a table that keeps -infinity and infinity (the views above
# show them as NULL); a driver reading it needs its own date loader
skip = {'dti.unit'}
for rel in rels:
    if rel in skip:
        continue
    for binary in (True, False):
        try:
            with conn.cursor(binary=binary) as cur:
                cur.execute("SELECT * FROM %s" % rel)
                rows = cur.fetchall()
                if rel in must and not rows:
                    failures.append("%s: no rows to read" % rel)
                rows_read += len(rows)
        except psycopg.Error as e:
            failures.append("%s (%s): %s: %s" % (rel, "binary" if binary else "text", type(e).__name__,
                                                 str(e).splitlines()[0]))
conn.close()
print("%d relations, %d rows read in binary and text" % (len(rels) - len(skip & set(rels)), rows_read // 2))
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("bi_driver_read: every value read")
