"""Two sessions of one loader role, loading at once (run by
test/scripts/load_staging_race.sh).  Connection from the PG* environment
variables; database and role names from the arguments.

1. Session B stages a row and keeps its transaction open; session A stages a
   row, commits it and calls dti.load_staging(), which is held on a lock of
   dti.reject (taken by a third session) while B commits.  B's row was not
   read by A's load: it must still be staged afterwards, and B's own load
   must load it (up to dti_warehouse 0.8.0 A's load deleted it, unloaded:
   it emptied every staged row of the role up to the highest line it had
   seen, and B's row had a lower line).
2. A stages a row; A and B both call dti.load_staging() while the lock is
   held.  The row must be loaded once, by one of them (up to 0.8.0 both
   loaded it: two revisions of one value, in two loads).
3. Both again with dti.load_grading(), which reads the same staging.
Exits non-zero on any failed check."""
import sys
import threading
import time

import psycopg

db, role = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok     " if ok else "FAILED ") + what)
    if not ok:
        failures.append(what)


def connect(user=None, autocommit=True):
    return psycopg.connect(dbname=db, user=user, autocommit=autocommit) if user else \
        psycopg.connect(dbname=db, autocommit=autocommit)


su = connect()
holder = connect()
a = connect(role)
b = connect(role)
stage = ("INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source) "
         "VALUES (%s, '2023', %s, %s, 'race')")


def waiting(conn):
    """Wait (10 s at most) until the session of conn waits for a lock."""
    pid = conn.info.backend_pid
    for _ in range(100):
        if su.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                      (pid,)).fetchone()[0]:
            return
        time.sleep(0.1)
    raise SystemExit("timed out waiting for session %d to wait for a lock" % pid)


def load(conn, note, out):
    out[note] = conn.execute("SELECT staged, accepted FROM dti.load_staging(%s)", (note,)).fetchone()


def submissions(unit, indicator):
    return su.execute("SELECT count(*) FROM dti.submission WHERE unit_code = %s AND period = '2023' "
                      "AND indicator = %s::indicator_code", (unit, indicator)).fetchone()[0]


# 1. a row committed while another session's load runs is not lost
b.autocommit = False
b.execute(stage, ('79', 'NT', '0.25'))            # B: staged, not committed
a.execute(stage, ('01', 'NT', '0.5'))             # A: staged, committed
holder.autocommit = False
holder.execute("LOCK TABLE dti.reject IN EXCLUSIVE MODE")
out = {}
t = threading.Thread(target=load, args=(a, 'a1', out))
t.start()
waiting(a)
b.commit()                                        # B's row commits while A's load runs
b.autocommit = True
holder.commit()
t.join()
check(out['a1'] == (1, 1), "A's load took its own row only: %r" % (out['a1'],))
staged = su.execute("SELECT count(*) FROM dti.staging WHERE staged_by = %s AND unit_code = '79'",
                    (role,)).fetchone()[0]
check(staged == 1, "B's row, committed during A's load, is still staged (%d)" % staged)
load(b, 'b1', out)
check(out['b1'] == (1, 1), "B's load loads it: %r" % (out['b1'],))
check(submissions('79', 'NT') == 1, "B's value is a submission")

# 2. two loads of one role at once load each row once
a.execute(stage, ('01', 'TC', '0.75'))
holder.execute("LOCK TABLE dti.reject IN EXCLUSIVE MODE")
threads = [threading.Thread(target=load, args=(c, n, out), daemon=True) for c, n in ((a, 'a2'), (b, 'b2'))]
threads[0].start()
waiting(a)
threads[1].start()
waiting(b)
holder.commit()
for t in threads:
    t.join(30)
check(all(n in out for n in ('a2', 'b2')), "both loads returned")
accepted = sum(out.get(n, (0, 0))[1] for n in ('a2', 'b2'))
check(accepted == 1, "the row was accepted once (a2 %r, b2 %r)" % (out.get('a2'), out.get('b2')))
check(submissions('01', 'TC') == 1, "one submission of the row (%d)" % submissions('01', 'TC'))
left = su.execute("SELECT count(*) FROM dti.staging WHERE staged_by = %s", (role,)).fetchone()[0]
check(left == 0, "nothing left staged (%d)" % left)

# 3. the same for dti.load_grading(): one row staged for each session, the
# second committed during the first's load; then two loads at once
def load_grading(conn, note, out):
    out[note] = conn.execute("SELECT staged, accepted FROM dti.load_grading(%s)", (note,)).fetchone()


def scores(unit):
    return su.execute("SELECT count(*) FROM dti.grading_score g JOIN dti.grading_system s ON s.id = g.system_id "
                      "WHERE s.code = %s AND s.year = 2024", (unit,)).fetchone()[0]


grading = ("INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source) "
           "VALUES (%s, '2024', 'CN', %s, 'race')")
b.autocommit = False
b.execute(grading, ('79', '45'))
a.execute(grading, ('01', '40'))
holder.execute("LOCK TABLE dti.reject IN EXCLUSIVE MODE")
t = threading.Thread(target=load_grading, args=(a, 'ga1', out))
t.start()
waiting(a)
b.commit()
b.autocommit = True
holder.commit()
t.join()
check(out['ga1'] == (1, 1), "grading: A's load took its own row only: %r" % (out['ga1'],))
load_grading(b, 'gb1', out)
check(out['gb1'] == (1, 1) and scores('79') == 1, "grading: B's row stayed staged and B's load loads it: %r" % (out['gb1'],))
a.execute(grading, ('01', '41'))
holder.execute("LOCK TABLE dti.reject IN EXCLUSIVE MODE")
threads = [threading.Thread(target=load_grading, args=(c, n, out), daemon=True) for c, n in ((a, 'ga2'), (b, 'gb2'))]
threads[0].start()
waiting(a)
threads[1].start()
waiting(b)
holder.commit()
for t in threads:
    t.join(30)
accepted = sum(out.get(n, (0, 0))[1] for n in ('ga2', 'gb2'))
check(accepted == 1 and scores('01') == 2,
      "grading: two loads at once load the row once (ga2 %r, gb2 %r)" % (out.get('ga2'), out.get('gb2')))

for c in (a, b, holder, su):
    c.close()
if failures:
    print("%d failed" % len(failures))
    sys.exit(1)
print("load_staging_race: every check passed")
