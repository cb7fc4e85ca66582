#!/usr/bin/env bash
# The warehouse as its users run it, timed (part of make bench):
#   1. a loader (a LOGIN member of dti_loader, granted 62 of the 63
#      provinces) loads a portal file of ROWS lines (default 1,000,000) with
#      1% bad lines, with the two documented commands: \copy dti.staging
#      through tools/dti-clean-text, then dti.load_staging(); bad lines are
#      wrong field counts, invalid UTF-8, NUL bytes, unparseable and out of
#      range values, unknown indicators and the ungranted province;
#   2. a verifier (a LOGIN member of dti_verifier) verifies a load of
#      VERIFY_ROWS revisions (default 25,000) with one dti.verify_load() call.
# Prints rows per second, the peak memory of the server process and of the
# filter, and writes them with the machine to docs/benchmarks.md (its
# section warehouse-roles; BENCH_OUT to put it elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rows=${BENCH_LOAD_ROWS:-1000000}
vrows=${BENCH_VERIFY_ROWS:-25000}
OUT=${BENCH_OUT:-docs/benchmarks.md}
. test/cluster.sh

make -s all >/dev/null && install_build >/dev/null
cluster_start "work_mem = '64MB'
maintenance_work_mem = '256MB'
shared_buffers = '256MB'"
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; cluster_stop' EXIT
db=dti_bench_roles
createdb $db

# 63 provinces x 12 months of 2024 x N indicators (every 10th a grade rule).
nind=$(( (rows + 63 * 12 - 1) / (63 * 12) ))
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
BEGIN;
SELECT dti.create_framework('bench-province', 'province', ARRAY[2024], 'Khung đo tốc độ', max_points => $nind) > 0;
INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('L', 'Nhóm chỉ số', $nind);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max)
SELECT ('L.' || i)::indicator_code, 'Chỉ số ' || i, 1,
	   CASE WHEN i % 10 = 0 THEN 'grade(A:1, B:0.75, C:0.5, D:0.25, E:0)'::scoring_rule ELSE 'target(80)'::scoring_rule END,
	   CASE WHEN i % 10 = 0 THEN NULL ELSE 0 END, CASE WHEN i % 10 = 0 THEN NULL ELSE 100 END
FROM generate_series(1, $nind) AS i;
COMMIT;
CREATE ROLE bench_loader LOGIN IN ROLE dti_loader;
CREATE ROLE bench_verifier LOGIN IN ROLE dti_verifier;
SELECT count(dti.grant_unit('bench_loader', code)) FROM dti.unit
WHERE level = 'province' AND valid_to = '2025-06-30' AND code <> '96';
-- the file: every 100th line is bad, in seven ways
\copy (SELECT CASE WHEN n % 100 = 1 THEN g.code || ',' || g.label || ',L.' || i || ',50,bench,too,many' WHEN n % 100 = 2 THEN g.code || ',' || g.label || ',L.' || i || ',50' WHEN n % 100 = 3 THEN '96,' || g.label || ',L.' || i || ',50,bench,' WHEN n % 100 = 4 THEN g.code || ',' || g.label || ',X.' || i || ',50,bench,' WHEN n % 100 = 5 THEN g.code || ',' || g.label || ',L.' || i || ',120,bench,' WHEN n % 100 = 6 THEN g.code || ',' || g.label || ',L.' || i || ',12@5,bench,' WHEN n % 100 = 7 THEN g.code || ',' || g.label || ',L.' || i || ',50,bench,@BADUTF8@' ELSE g.code || ',' || g.label || ',L.' || i || ',' || CASE WHEN i % 10 = 0 THEN (ARRAY['A','B','C','D','E'])[1 + n % 5] ELSE ((n * 7919) % 10000 / 100.0)::text END || ',bench,' END FROM (SELECT row_number() OVER () AS n, u.code, m.label, i FROM (SELECT code FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30') u, (SELECT label FROM dti.period WHERE kind = 'month' AND year = 2024) m, generate_series(1, $nind) i LIMIT $rows) g) TO '$work/body.txt'
SQL
# a header, and bytes COPY refuses: invalid UTF-8 and NUL in every 100th line
{ echo "unit_code,year,indicator_code,raw_value,source,note"; sed -e 's/@BADUTF8@/bad \xff\xfe byte/' -e 's/12@5/12\x005/' "$work/body.txt"; } >"$work/portal.csv"
rm "$work/body.txt"
lines=$(($(wc -l <"$work/portal.csv") - 1))
echo "generated $lines lines ($(du -h "$work/portal.csv" | cut -f1)), every 100th bad"

# 1. the loader
cd "$work"
ln -s "$root/tools" tools
cat >load.sql <<'SQL'
\set ON_ERROR_STOP 1
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND_PID :pid
SELECT clock_timestamp() AS t0 \gset
\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM PROGRAM '/usr/bin/time -f "filter peak memory: %M kB" tools/dti-clean-text portal.csv' (FORMAT csv, HEADER)
SELECT clock_timestamp() AS t1 \gset
SELECT staged, accepted, rejected, reasons FROM dti.load_staging('bench') \gset
SELECT clock_timestamp() AS t2 \gset
\echo staged :staged accepted :accepted rejected :rejected reasons :reasons
SELECT format('copy %s s, load_staging %s s, total %s s',
	round(extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)::numeric, 1),
	round(extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz)::numeric, 1),
	round(extract(epoch FROM :'t2'::timestamptz - :'t0'::timestamptz)::numeric, 1)) AS times,
	extract(epoch FROM :'t2'::timestamptz - :'t0'::timestamptz) AS secs \gset
\echo :times
\echo secs :secs
\! echo "server peak memory: $(sed -n 's/^VmHWM:[[:space:]]*//p' /proc/$BACKEND_PID/status)"
SQL
if [ -x /usr/bin/time ]; then filter_time=yes; else filter_time=no; sed -i "s|'/usr/bin/time -f \"filter peak memory: %M kB\" tools|'tools|" load.sql; fi
out=$(psql -X -q -At -U bench_loader -d $db -f load.sql 2>&1)
echo "$out"
cd "$root"
secs=$(sed -n 's/^secs //p' <<<"$out")
load_line=$(grep '^staged' <<<"$out")
times=$(grep '^copy' <<<"$out")
server_mem=$(sed -n 's/^server peak memory: //p' <<<"$out")
filter_mem=$(sed -n 's/^filter peak memory: //p' <<<"$out")
rate=$(awk -v n="$lines" -v s="$secs" 'BEGIN { printf "%d", n / s }')

# 2. the verifier: a load of VERIFY_ROWS revisions of 2024, verified in one call
psql -X -q -v ON_ERROR_STOP=1 -U bench_loader -d $db >/dev/null <<SQL
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
SELECT g.code, '2024', 'L.' || i, CASE WHEN i % 10 = 0 THEN 'B' ELSE '55.5' END, 'bench verify'
FROM (SELECT code FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30' AND code <> '96') g,
	 generate_series(1, $nind) i
LIMIT $vrows;
SELECT dti.load_staging('bench verify');
SQL
vload=$(psql -X -At -d $db -c "SELECT max(id) FROM dti.load WHERE note = 'bench verify'")
vout=$(psql -X -q -At -U bench_verifier -d $db -c '\timing on' -c "SELECT dti.verify_load($vload)" 2>&1)
vn=$(head -1 <<<"$vout")
vms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$vout")
echo "verify_load: $vn revisions verified in $vms ms"

machine="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2 / 1048576}' /proc/meminfo)"
server="$("$PG_BINDIR/postgres" --version); fsync off, synchronous_commit off (throwaway cluster); work_mem 64MB, shared_buffers 256MB"
echo "machine: $machine"
echo "server: $server"

section=$(mktemp)
cat >"$section" <<EOF
<!-- warehouse-roles:start -->
## The warehouse as its users run it (test/bench/warehouse_roles.sh)

A LOGIN member of \`dti_loader\` (granted 62 of the 63 provinces) loads a
portal file of $lines lines, every 100th of them bad (a field too many, a
field too few, the ungranted province, an unknown indicator, a value out of
range, a NUL byte, bytes that are not UTF-8), with the two documented
commands: \`\\copy dti.staging ... FROM PROGRAM 'tools/dti-clean-text FILE'\`
and \`SELECT * FROM dti.load_staging()\`. Then a LOGIN member of
\`dti_verifier\` verifies a load of $vn revisions with one
\`dti.verify_load()\` call.

| Step | Result |
|---|---|
| load as a loader | $(sed 's/|/\\|/g' <<<"$load_line") |
| time | $times |
| rows per second (file lines / total) | $rate |
| peak memory of the server process (VmHWM) | $server_mem |
| peak memory of dti-clean-text | ${filter_mem:-not measured (no /usr/bin/time)} |
| dti.verify_load() of $vn revisions as a verifier | $vms ms |

Machine: $machine. Server: $server.
<!-- warehouse-roles:end -->
EOF
replace_section warehouse-roles "$section" "$OUT"
rm -f "$section"
echo "wrote the section warehouse-roles of $OUT"
