#!/usr/bin/env bash
# make bench, refresh part: a full refresh of REFRESH_UNITS units (default
# 10,000 communes) x 100 leaves x 10 periods (10 million verified
# submissions), then an incremental refresh after one unit changes in a
# period whose framework has absolute rules only.  Writes its section of
# docs/benchmarks.md between the refresh markers (BENCH_OUT elsewhere).
# The submissions are inserted with triggers off (session_replication_role)
# to keep the set-up short, then dti.rebuild_current_values() derives the
# current values; loading through dti.load_staging() is measured by
# test/bench/warehouse_load.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

UNITS=${REFRESH_UNITS:-10000}
OUT=${BENCH_OUT:-docs/benchmarks.md}
DB=dti_bench_refresh

make -s all >/dev/null
install_build >/dev/null
cluster_start "shared_buffers = '2GB'
work_mem = '256MB'
maintenance_work_mem = '1GB'
max_parallel_workers_per_gather = 2"
trap cluster_stop EXIT
createdb $DB
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1"; }
q "SET client_min_messages = warning; CREATE EXTENSION dti_warehouse CASCADE"

echo "bench refresh: generating $UNITS units x 100 leaves x 10 periods"
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v units="$UNITS" -d $DB >/dev/null <<'SQL'
BEGIN;
SELECT dti.create_framework('bench-commune', 'commune', ARRAY(SELECT generate_series(2015, 2024)), 'Khung đo hiệu năng (tổng hợp)');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule)
SELECT ('P' || p)::indicator_code, 'Trụ cột ' || p, 0, NULL::scoring_rule FROM generate_series(1, 4) p
UNION ALL
SELECT ('P' || p || '.' || m)::indicator_code, 'Chỉ số ' || p || '.' || m, 0, NULL FROM generate_series(1, 4) p, generate_series(1, 5) m
UNION ALL
SELECT ('P' || p || '.' || m || '.' || l)::indicator_code, 'Thành phần ' || p || '.' || m || '.' || l, 2 + (p * 7 + m * 3 + l) % 9,
	(ARRAY['ratio', 'target(80)', 'steps(20:0.5, 60:1)', 'linear(0, 100)', 'piecewise(0:0, 50:0.6, 100:1)'])[1 + l % 5]::scoring_rule
FROM generate_series(1, 4) p, generate_series(1, 5) m, generate_series(1, 5) l;
COMMIT;
INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, parent_id)
SELECT 'X' || lpad(n::text, 5, '0'), 'commune', 'commune', 'Xã tổng hợp ' || n, 'Xã tổng hợp ' || n,
	(SELECT id FROM dti.unit WHERE level = 'province' AND code = '01' ORDER BY valid_from LIMIT 1)
FROM generate_series(1, :units) n;
SET session_replication_role = replica;
INSERT INTO dti.submission (unit_code, unit_id, period, indicator, raw_value)
SELECT u.code, u.id, y::text, i.code,
	CASE WHEN i.rule::text = 'ratio' THEN ((u.id * 7 + y * 13 + i.max_points::int * 31) % 101 / 100.0)::text
		 ELSE ((u.id * 7 + y * 13 + i.max_points::int * 31) % 101)::text END
FROM generate_series(2015, 2024) y,
	 (SELECT id, code FROM dti.unit WHERE level = 'commune') u,
	 (SELECT i.code, i.rule, i.max_points FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
	  WHERE f.code = 'bench-commune' AND i.rule IS NOT NULL) i;
INSERT INTO dti.submission_status (submission_id, status) SELECT id, 'verified' FROM dti.submission;
SET session_replication_role = origin;
-- the triggers were off: derive the current values from the history
SELECT dti.rebuild_current_values();
TRUNCATE dti.refresh_queue;
VACUUM ANALYZE;
SQL
echo "bench refresh: generated in $(($(date +%s) - t0)) s: $(q "SELECT count(*) FROM dti.submission") submissions"
fid=$(q "SELECT id FROM dti.framework WHERE code = 'bench-commune'")

s0=$(date +%s.%N)
q "CALL dti.refresh(framework_id => $fid)"
s1=$(date +%s.%N)
full=$(awk -v a=$s0 -v b=$s1 'BEGIN { printf "%.1f", b - a }')
full_log=$(q "SELECT outcome || ', ' || scorecards || ' scorecards, ' || ranks || ' rank rows, ' || cardinality(periods) || ' periods' FROM dti.refresh_log ORDER BY id DESC LIMIT 1")
echo "bench refresh: full refresh $full s ($full_log)"
rows=$(q "SELECT count(*) FROM dti.submission")
rate=$(awk -v r=$rows -v t=$full 'BEGIN { printf "%.0f", r / t }')

# one unit changes one leaf in 2024
q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('X00042', '2024', 'P1.1.1', '0.99', 'benchmark revision')"
q "SELECT dti.set_status((SELECT max(id) FROM dti.submission), 'verified')" >/dev/null
i0=$(date +%s.%N)
q "CALL dti.refresh()"
i1=$(date +%s.%N)
inc=$(awk -v a=$i0 -v b=$i1 'BEGIN { printf "%.3f", b - a }')
inc_log=$(q "SELECT outcome || ', periods ' || array_to_string(periods, ',') || ', ' || scorecards || ' scorecard(s), ' || ranks || ' rank rows changed' FROM dti.refresh_log ORDER BY id DESC LIMIT 1")
echo "bench refresh: incremental refresh $inc s ($inc_log)"
top=$(q "SELECT string_agg(unit_code || ' ' || value, ', ' ORDER BY rank) FROM (SELECT * FROM dti.ranking WHERE period = '2024' ORDER BY rank LIMIT 3) s")
t_top=$( { psql -X -q -d $DB -c '\timing on' -c "SELECT * FROM dti.ranking WHERE period = '2024' ORDER BY rank LIMIT 10" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; } )
t_hist=$( { psql -X -q -d $DB -c '\timing on' -c "SELECT * FROM dti.score_long WHERE unit_code = 'X00042' AND level <= 2 ORDER BY period, code" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; } )
sizes=$(q "SELECT string_agg(c.relname || ' ' || pg_size_pretty(pg_total_relation_size(c.oid)), ', ' ORDER BY c.relname)
	FROM pg_class c WHERE c.relnamespace = 'dti'::regnamespace AND c.relname IN ('submission', 'submission_status', 'result_scorecard', 'result_rank')")

section=$(mktemp)
{
	echo "<!-- refresh:start -->"
	echo "## dti.refresh(): full and incremental"
	echo
	echo "Generated by \`test/bench/refresh.sh\` (part of \`make bench\`): $UNITS units x 100 leaves x"
	echo "10 periods = $rows verified submissions (synthetic communes, absolute rules: ratio,"
	echo "target, steps, linear, piecewise), a 4-level framework. Same machine as above;"
	echo "shared_buffers 2GB, work_mem 256MB, up to 2 parallel workers."
	echo
	echo "| run | seconds | what it did |"
	echo "|---|---:|---|"
	echo "| full refresh (all 10 periods, whole) | $full | $full_log; $rate submissions/s |"
	echo "| incremental refresh after one unit's revision | $inc | $inc_log |"
	echo
	echo "Target: the incremental refresh under 1 second. Reading the published results: top 10 of"
	echo "2024 from \`dti.ranking\` $t_top ms; one unit's history from \`dti.score_long\` $t_hist ms."
	echo "Top 3 of 2024: $top. Sizes: $sizes."
	echo "<!-- refresh:end -->"
} >"$section"
touch "$OUT"
awk -v sec="$section" '
	BEGIN { while ((getline l < sec) > 0) s = s l "\n" }
	/<!-- refresh:start -->/ { skip = 1; printf "%s", s; done = 1; next }
	/<!-- refresh:end -->/ { skip = 0; next }
	!skip { print }
	END { if (!done) printf "\n%s", s }
' "$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
rm -f "$section"
echo "bench refresh: wrote its section of $OUT"
