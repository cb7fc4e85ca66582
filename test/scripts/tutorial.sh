#!/usr/bin/env bash
# docs/tutorial.md as a test: every ```sql block of the page, in order, run
# with psql (ON_ERROR_STOP) as the role its first line names ("-- as ROLE";
# postgres is the superuser), on a cluster of its own set up for pg_cron as
# the tutorial's step 1 says (cron.database_name = 'dti_tutorial').  A block
# right after a line "<!-- not run by the tutorial test: ... -->" is skipped.
# psql runs in a directory laid out like the checkout's top (tools/ and
# demo/tutorial_data.sql linked, demo/out/ empty), so the files the tutorial
# writes and reads stay there.  A block that fails, or prints a WARNING,
# fails the test; so does a block without its role.  At the end the reader
# sees the 2024 ranking of the 63 provinces.  TUTORIAL_VERBOSE=1 prints what
# each block printed.  The tutorial's set-up runs CREATE EXTENSION pg_cron,
# so the suite without pg_cron (make test-versions) leaves this test out.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
. test/cluster.sh
work=$(mktemp -d)
trap 'cluster_stop; rm -rf "$work"' EXIT
cluster_start "cron.database_name = 'dti_tutorial'" >/dev/null
mkdir -p "$work/demo/out" "$work/blocks"
ln -s "$root/tools" "$work/tools"
ln -s "$root/demo/tutorial_data.sql" "$work/demo/tutorial_data.sql"

# blocks/NNN.sql and blocks/NNN.role, in the page's order
python3 - "$root/docs/tutorial.md" "$work/blocks" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read().split('\n')
out = sys.argv[2]
n, skip, i = 0, False, 0
while i < len(text):
    line = text[i]
    if line.startswith('<!-- not run by the tutorial test:'):
        skip = True
    elif line.strip() == '```sql':
        j = i + 1
        while text[j].strip() != '```':
            j += 1
        body = text[i + 1:j]
        i = j
        if skip:
            skip = False
        else:
            n += 1
            m = re.match(r'^-- as ([a-z_][a-z0-9_]*)\b', body[0]) if body else None
            open(f'{out}/{n:03d}.role', 'w').write(m.group(1) if m else '')
            open(f'{out}/{n:03d}.sql', 'w', encoding='utf-8').write('\n'.join(body) + '\n')
    elif line.strip():
        skip = skip and line.startswith('<!--')
    i += 1
print(n, 'blocks')
PY

cd "$work"
ran=0
for f in blocks/*.sql; do
	role=$(cat "${f%.sql}.role")
	[ -n "$role" ] || { echo "block $(basename "$f"): its first line does not say who runs it (-- as ROLE)"; cat "$f"; exit 1; }
	db=dti_tutorial
	grep -q 'CREATE DATABASE' "$f" && db=postgres
	if ! out=$(psql -X -v ON_ERROR_STOP=1 -U "$role" -d $db -f "$f" 2>&1) || grep -q 'WARNING' <<<"$out"; then
		echo "block $(basename "$f") as $role failed:"; cat "$f"; echo "---"; echo "$out" | tail -20
		exit 1
	fi
	echo "block $(basename "$f") as $role: ok ($(grep -c . <<<"$out") lines of output)"
	[ "${TUTORIAL_VERBOSE:-0}" = 1 ] && echo "$out"
	ran=$((ran + 1))
done
n=$(psql -X -At -U tut_reader -d dti_tutorial -c "SELECT count(*) FROM dti.province_ranking WHERE period = '2024' AND framework = 'my-dti'")
[ "$n" = 63 ] || { echo "the reader sees $n provinces ranked in 2024, not 63"; exit 1; }
g=$(psql -X -At -U tut_reader -d dti_tutorial -c "SELECT count(*) FROM dti.system_grade WHERE year = 2024 AND unit_level = 'province' AND grade IS NOT NULL")
[ "$g" = 63 ] || { echo "the reader sees $g provincial systems graded in 2024, not 63"; exit 1; }
echo "tutorial: $ran blocks ran as their roles; the reader sees 63 provinces ranked and 63 systems graded in 2024"
