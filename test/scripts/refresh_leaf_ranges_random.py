"""One seeded random lifecycle of a period under min-max and best rules
(test/scripts/refresh_leaf_ranges_random.sh sets the database up): after
every refresh of the open period, no scorecard or rank differs from the
views card_mismatch and rank_mismatch (a computation from scratch).
Usage: refresh_leaf_ranges_random.py DATABASE SEED STEPS"""
import random
import subprocess
import sys

db, seed, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)


def q(sql):
    """Run sql; its output, or 'ERROR: ...' (a refused step is a step too)."""
    r = subprocess.run(['psql', '-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db,
                        '-c', 'SET client_min_messages = warning', '-c', sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return 'ERROR: ' + (r.stderr.strip().splitlines() or ['?'])[0]
    return r.stdout.strip()


def revise(value):
    unit = rng.choice(units)
    leaf = rng.choice(['A.1', 'A.2', 'B.1', 'B.2'])
    return f"revise {unit} {leaf} {value}: " + q(
        f"""INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
            SELECT u.code, '2035', '{leaf}', '{value}', 'correction' FROM dti.unit u WHERE u.id = {unit};
            SELECT dti.set_status((SELECT max(s.id) FROM dti.submission s), 'verified')""")


units = q("SELECT id FROM prov ORDER BY id").split()
locked = False
log = []
refreshes = alone = 0
for step in range(steps):
    op = rng.choices(['revise', 'beyond', 'reject', 'publish', 'lock', 'unlock', 'rule', 'refresh'],
                     [30, 5, 8, 6, 2, 3, 3, 20])[0]
    if op == 'revise':
        what = revise(5 * rng.randint(0, 20))
    elif op == 'beyond':
        what = revise(rng.choice([-10, 150]))
    elif op == 'reject':
        # a current revision with an earlier one, rejected: the earlier is back
        keys = q("""SELECT c.submission_id FROM dti.current_value c WHERE c.period = '2035'
            AND EXISTS (SELECT 1 FROM dti.submission s WHERE s.period = c.period AND s.unit_id = c.unit_id
                        AND s.indicator = c.indicator AND s.id < c.submission_id)
            ORDER BY c.submission_id""").split()
        what = 'reject: ' + (q(f"SELECT dti.set_status({rng.choice(keys)}, 'rejected', 'random step')")
                             if keys else 'nothing to reject')
    elif op == 'publish':
        # announced, and mostly opened again at once for corrections
        what = 'publish: ' + q("SELECT dti.publish('2035', 'province', 'random step')")
        locked = not what.startswith('publish: ERROR')
        if locked and rng.random() < 0.7:
            what += '; unlock: ' + q("SELECT dti.unlock_period('2035')")
            locked = False
    elif op == 'lock':
        what = 'lock: ' + q("SELECT dti.lock_period('2035', 'random step')")
        locked = True
    elif op == 'unlock':
        what = 'unlock: ' + q("SELECT dti.unlock_period('2035')")
        locked = False
    elif op == 'rule':
        leaf = rng.choice(['A.1', 'A.2', 'B.1', 'B.2'])
        rule = rng.choice(['minmax', 'best', 'minmax(lower)', 'best(lower)', 'minmax(0, 100)', 'target(80)'])
        # in place, or in a new version when the framework in use is frozen
        what = f"rule {leaf} {rule}: " + q(f"""DO $$
            DECLARE
                cur integer := (SELECT fu.framework_id FROM dti.framework_in_use fu
                                WHERE fu.year = 2035 AND fu.level = 'province');
                nv integer;
            BEGIN
                IF EXISTS (SELECT 1 FROM dti.frozen_framework z WHERE z.framework_id = cur) THEN
                    nv := dti.new_framework_version(cur);
                    UPDATE dti.framework_indicator SET rule = '{rule}' WHERE framework_id = nv AND code = '{leaf}';
                    PERFORM dti.use_framework(nv, ARRAY[2035]);
                ELSE
                    UPDATE dti.framework_indicator SET rule = '{rule}' WHERE framework_id = cur AND code = '{leaf}';
                END IF;
            END $$""")
    else:
        q("CALL dti.refresh()")
        refreshes += 1
        whole = q("""SELECT coalesce(array_to_string(whole_periods, ','), '') || '|' || coalesce(scorecards, 0)
                     FROM dti.refresh_log WHERE requested_period IS NULL ORDER BY id DESC LIMIT 1""")
        what = f"refresh (whole, scorecards): {whole}"
        if not locked:
            if whole.split('|')[0] == '' and whole.split('|')[1] != '0':
                alone += 1
            m = q("SELECT (SELECT count(*) FROM card_mismatch) || ' ' || (SELECT count(*) FROM rank_mismatch)")
            what += f"; scorecards and ranks differing from scratch: {m}"
            if m != '0 0':
                log.append(what)
                print('\n'.join(log[-20:]))
                sys.exit(f"refresh_leaf_ranges_random: seed {seed}, step {step}: the results differ from a computation from scratch")
    log.append(what)
print(f"refresh_leaf_ranges_random: seed {seed}: {steps} steps, {refreshes} refreshes, "
      f"{alone} of them re-scoring revised units alone, every result as from scratch")
