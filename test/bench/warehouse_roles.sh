#!/usr/bin/env bash
# The warehouse as its users run it, timed (part of make bench):
#   1. a loader (a LOGIN member of dti_loader, granted 62 of the 63
#      provinces) loads a portal file of ROWS lines (default 1,000,000) with
#      1% bad lines, with the two documented commands: \copy dti.staging
#      through tools/dti-clean-text, then dti.load_staging(); bad lines are
#      wrong field counts, invalid UTF-8, NUL bytes, unparseable and out of
#      range values, unknown indicators and the ungranted province;
#   2. a verifier (a LOGIN member of dti_verifier) verifies a load of
#      VERIFY_ROWS revisions (default 25,000) with one dti.verify_load() call,
#      three loads in turn (each of other units and indicators), median of
#      the three.
# Unless BENCH_BASELINE=no, a second database runs the same with the
# released dti_warehouse BENCH_BASELINE_VERSION (default 0.6.0, the latest
# release; installed from the released scripts): the same file
# loaded by the same loader, the same verifications, taken in turns with
# those of the current version, so that both meet the same load of the
# machine.  Prints rows per second, the peak memory of the server process
# and of the filter, the verification times and the machine's load average,
# and writes them with the machine to docs/benchmarks.md (its section
# warehouse-roles; BENCH_OUT to put it elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rows=${BENCH_LOAD_ROWS:-1000000}
vrows=${BENCH_VERIFY_ROWS:-25000}
baseline=${BENCH_BASELINE:-yes}
bver=${BENCH_BASELINE_VERSION:-0.6.0}
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
base=dti_bench_roles_base
createdb $db

# 63 provinces x 12 months of 2024 x N indicators (every 10th a grade rule);
# three loads of VERIFY_ROWS to verify need 3 * VERIFY_ROWS / 62 of them.
nind=$(( (rows + 63 * 12 - 1) / (63 * 12) ))
vind=$(( (3 * vrows + 61) / 62 ))
[ "$nind" -ge "$vind" ] || nind=$vind
# setup DB [VERSION]: the warehouse, the framework, the LOGIN roles (the
# first database creates them: the extension creates their groups) and the
# loader's grants
setup() {
psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse ${2:+VERSION '$2'} CASCADE;
BEGIN;
SELECT dti.create_framework('bench-province', 'province', ARRAY[2024], 'Khung đo tốc độ', max_points => $nind) > 0;
INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('L', 'Nhóm chỉ số', $nind);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max)
SELECT ('L.' || i)::indicator_code, 'Chỉ số ' || i, 1,
	   CASE WHEN i % 10 = 0 THEN 'grade(A:1, B:0.75, C:0.5, D:0.25, E:0)'::scoring_rule ELSE 'target(80)'::scoring_rule END,
	   CASE WHEN i % 10 = 0 THEN NULL ELSE 0 END, CASE WHEN i % 10 = 0 THEN NULL ELSE 100 END
FROM generate_series(1, $nind) AS i;
COMMIT;
DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_loader') THEN
		CREATE ROLE bench_loader LOGIN IN ROLE dti_loader;
		CREATE ROLE bench_verifier LOGIN IN ROLE dti_verifier;
	END IF;
END \$\$;
SELECT count(dti.grant_unit('bench_loader', code)) FROM dti.unit
WHERE level = 'province' AND valid_to = '2025-06-30' AND code <> '96';
SQL
}
setup $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL
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
if [ "$baseline" = yes ]; then
	# the same file into a warehouse of the released version
	(cd "$root" && createdb $base && setup $base "$bver")
	base_out=$(psql -X -q -At -U bench_loader -d $base -f load.sql 2>&1)
	echo "dti_warehouse $bver: $(grep '^copy' <<<"$base_out")"
fi
cd "$root"
secs=$(sed -n 's/^secs //p' <<<"$out")
load_line=$(grep '^staged' <<<"$out")
times=$(grep '^copy' <<<"$out")
server_mem=$(sed -n 's/^server peak memory: //p' <<<"$out")
filter_mem=$(sed -n 's/^filter peak memory: //p' <<<"$out")
rate=$(awk -v n="$lines" -v s="$secs" 'BEGIN { printf "%d", n / s }')

# 2. the verifier: three loads of VERIFY_ROWS revisions of 2024 (other
# units and indicators each), each verified in one call; with the baseline,
# in turns: the current version, then the released one, for each load
dbs=$db
[ "$baseline" = yes ] && dbs="$db $base"
for d in $dbs; do
	for k in 0 1 2; do
		psql -X -q -v ON_ERROR_STOP=1 -U bench_loader -d $d >/dev/null <<SQL
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
SELECT g.code, '2024', 'L.' || g.i, CASE WHEN g.i % 10 = 0 THEN 'B' ELSE '55.5' END, 'bench verify'
FROM (SELECT u.code, i, row_number() OVER (ORDER BY i, u.code) AS n
	  FROM (SELECT code FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30' AND code <> '96') u,
		   generate_series(1, $nind) i) g
WHERE g.n > $k * $vrows AND g.n <= ($k + 1) * $vrows;
SELECT dti.load_staging('bench verify $k');
SQL
	done
	psql -X -q -d $d -c 'VACUUM ANALYZE' >/dev/null
done
# verify DB K: milliseconds of dti.verify_load() of load K, as the verifier
verify() {
	local vload vout
	vload=$(psql -X -At -d "$1" -c "SELECT max(id) FROM dti.load WHERE note = 'bench verify $2'")
	vout=$(psql -X -q -At -U bench_verifier -d "$1" -c '\timing on' -c "SELECT dti.verify_load($vload)" 2>&1)
	vn=$(head -1 <<<"$vout")
	[ "$vn" = "$vrows" ] || { echo "verify_load of load $2 in $1: $vout" >&2; exit 1; }
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$vout"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
new_ms=() base_ms=()
load_avg=()
for k in 0 1 2; do
	load_avg+=("$(cut -d' ' -f1 /proc/loadavg)")
	new_ms+=("$(verify $db $k)")
	echo "verify_load of $vrows revisions, current version: ${new_ms[-1]} ms (load average ${load_avg[-1]})"
	if [ "$baseline" = yes ]; then
		base_ms+=("$(verify $base $k)")
		echo "verify_load of $vrows revisions, dti_warehouse $bver: ${base_ms[-1]} ms"
	fi
done
vms=$(median "${new_ms[@]}")
vlist=$(echo "${new_ms[*]}" | sed "s/ /, /g")
if [ "$baseline" = yes ]; then
	bms=$(median "${base_ms[@]}")
	blist=$(echo "${base_ms[*]}" | sed 's/ /, /g')
fi
loads=$(echo "${load_avg[*]}" | sed 's/ /, /g')
base_row=
[ "$baseline" = yes ] && base_row="| the same with dti_warehouse $bver, median of 3 | $bms ms ($blist) |"$'\n'
echo "verify_load: median $vms ms${bms:+ (dti_warehouse $bver: $bms ms)}"

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
\`dti_verifier\` verifies three loads of $vrows revisions (other units and
indicators each), each with one \`dti.verify_load()\` call$( [ "$baseline" = yes ] && echo ", in turns with
the same verifications in a second database of dti_warehouse $bver (the
released scripts) loaded with the same file").

| Step | Result |
|---|---|
| load as a loader | $(sed 's/|/\\|/g' <<<"$load_line") |
| time | $times |
| rows per second (file lines / total) | $rate |
| peak memory of the server process (VmHWM) | $server_mem |
| peak memory of dti-clean-text | ${filter_mem:-not measured (no /usr/bin/time)} |
| dti.verify_load() of $vrows revisions as a verifier, median of 3 | $vms ms ($vlist) |
${base_row}| load average of the machine before each verification | $loads |

Machine: $machine. Server: $server.
<!-- warehouse-roles:end -->
EOF
replace_section warehouse-roles "$section" "$OUT"
rm -f "$section"
echo "wrote the section warehouse-roles of $OUT"
