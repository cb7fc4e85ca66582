#!/usr/bin/env bash
# make bench, refresh part: REFRESH_UNITS units (default 10,000 communes) x
# 100 leaves x 10 periods (10 million verified submissions), refreshed in one
# run by dti_warehouse 0.5.0 and by the current version on the same data:
#   1. the data generated with the warehouse at 0.5.0 (installed from the
#      released scripts), a full refresh by 0.5.0 (before), its results kept
#      in bench tables;
#   2. ALTER EXTENSION dti_warehouse UPDATE, the results emptied, a full
#      refresh by the current version (after), every scorecard and rank row
#      compared with 0.5.0's (the mismatch count; the script fails unless 0);
#   3. an incremental refresh after one unit's revision (absolute rules);
#   4. a relative rule: one leaf of the framework becomes minmax(0, 1) over
#      all units of the period, which queues every period whole; the full
#      refresh that follows (results already published), then an incremental
#      refresh after one unit's revision, which recomputes its period whole.
# Writes its section of docs/benchmarks.md between the refresh markers
# (BENCH_OUT elsewhere).  The data come from test/bench/warehouse_data.sql
# (shared with scale.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

UNITS=${REFRESH_UNITS:-10000}
OUT=${BENCH_OUT:-docs/benchmarks.md}
DB=dti_bench_refresh
say() { echo "bench refresh: $*"; }

make -s all >/dev/null
install_build >/dev/null
cluster_start "shared_buffers = '2GB'
work_mem = '256MB'
maintenance_work_mem = '1GB'
max_parallel_workers_per_gather = 2"
trap cluster_stop EXIT
createdb $DB
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1"; }
q "SET client_min_messages = warning; CREATE EXTENSION dti_warehouse VERSION '0.5.0' CASCADE"
version=$(q "SELECT default_version FROM pg_available_extensions WHERE name = 'dti_warehouse'")

say "generating $UNITS units x 100 leaves x 10 periods"
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v units="$UNITS" -d $DB -f test/bench/warehouse_data.sql >/dev/null
say "generated in $(($(date +%s) - t0)) s: $(q "SELECT count(*) FROM dti.submission") submissions"
fid=$(q "SELECT id FROM dti.framework WHERE code = 'bench-commune'")
rows=$(q "SELECT count(*) FROM dti.submission")

# seconds of one command, 3 decimals
timed() {
	local a b
	a=$(date +%s.%N)
	q "$1"
	b=$(date +%s.%N)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}
last_log() {
	q "SELECT outcome || ', periods ' || array_to_string(periods, ',') || ', ' || scorecards || ' scorecard(s), '
		|| ranks || ' rank rows written or changed' FROM dti.refresh_log ORDER BY id DESC LIMIT 1"
}
ok() { [ "$(q "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = ok ] || { say "refresh failed: $(last_log)"; exit 1; }; }

# 1. before: 0.5.0
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
full_050=$(timed "CALL dti.refresh(framework_id => $fid)"); ok
log_050=$(last_log)
say "0.5.0 full refresh $full_050 s ($log_050; load average before $load_before)"
q "CREATE SCHEMA bench;
CREATE UNLOGGED TABLE bench.card AS SELECT period, unit_id, framework_id, scorecard_send(scorecard) AS sc, root_value FROM dti.result_scorecard;
CREATE UNLOGGED TABLE bench.rank AS SELECT * FROM dti.result_rank;"

# 2. after: the current version, from empty results
q "SET client_min_messages = warning; ALTER EXTENSION dti_warehouse UPDATE"
q "TRUNCATE dti.result_scorecard, dti.result_rank"
q "VACUUM ANALYZE dti.result_scorecard, dti.result_rank"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
full=$(timed "CALL dti.refresh(framework_id => $fid)"); ok
full_log=$(last_log)
rate=$(awk -v r="$rows" -v t="$full" 'BEGIN { printf "%.0f", r / t }')
say "$version full refresh $full s ($full_log; load average before $load_after)"
mismatch=$(q "SELECT (SELECT count(*) FROM (
		(SELECT period, unit_id, framework_id, scorecard_send(scorecard), root_value FROM dti.result_scorecard
		 EXCEPT ALL SELECT * FROM bench.card)
		UNION ALL
		(SELECT * FROM bench.card
		 EXCEPT ALL SELECT period, unit_id, framework_id, scorecard_send(scorecard), root_value FROM dti.result_scorecard)) d)
	|| ' ' || (SELECT count(*) FROM (
		(SELECT * FROM dti.result_rank EXCEPT ALL SELECT * FROM bench.rank)
		UNION ALL (SELECT * FROM bench.rank EXCEPT ALL SELECT * FROM dti.result_rank)) d)")
say "rows differing from 0.5.0's: scorecards ${mismatch% *}, rank rows ${mismatch#* }"
[ "$mismatch" = "0 0" ] || { say "the results differ from 0.5.0's"; exit 1; }
q "DROP SCHEMA bench CASCADE"

# 3. incremental: one unit changes one leaf in 2024
revise() {
	q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('X00042', '2024', 'P1.1.1', '$1', 'benchmark revision')"
	q "SELECT dti.set_status((SELECT max(id) FROM dti.submission), 'verified')" >/dev/null
}
revise 0.99
inc=$(timed "CALL dti.refresh()"); ok
inc_log=$(last_log)
say "incremental refresh $inc s ($inc_log)"

# 4. a relative rule
q "UPDATE dti.framework_indicator SET rule = 'minmax(0, 1)' WHERE framework_id = $fid AND code = 'P1.1.1'"
rel_full=$(timed "CALL dti.refresh()"); ok
rel_full_log=$(last_log)
say "relative rule: full refresh $rel_full s ($rel_full_log)"
# a revision that raises the maximum of P1.1.1 in 2024: every unit's score
# of that leaf changes
revise 1.5
rel_inc=$(timed "CALL dti.refresh()"); ok
rel_inc_log=$(last_log)
rel_spread=$(q "SELECT count(*) FROM dti.result_rank WHERE period = '2024' AND code = 'P1'")
say "relative rule: incremental refresh $rel_inc s ($rel_inc_log)"

top=$(q "SELECT string_agg(unit_code || ' ' || value, ', ' ORDER BY rank) FROM (SELECT * FROM dti.ranking WHERE period = '2024' ORDER BY rank LIMIT 3) s")
t_top=$( { psql -X -q -d $DB -c '\timing on' -c "SELECT * FROM dti.ranking WHERE period = '2024' ORDER BY rank LIMIT 10" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; } )
t_hist=$( { psql -X -q -d $DB -c '\timing on' -c "SELECT * FROM dti.score_long WHERE unit_code = 'X00042' AND level <= 2 ORDER BY period, code" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; } )
sizes=$(q "SELECT string_agg(c.relname || ' ' || pg_size_pretty(pg_total_relation_size(c.oid)), ', ' ORDER BY c.relname)
	FROM pg_class c WHERE c.relnamespace = 'dti'::regnamespace AND c.relname IN ('submission', 'submission_status', 'result_scorecard')")
rank_size=$(q "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c
	WHERE c.oid = 'dti.result_rank'::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'dti.result_rank'::regclass)")
cpus="$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1 | awk '{ print $1, $2 }'))"

section=$(mktemp)
{
	echo "<!-- refresh:start -->"
	echo "## dti.refresh(): full and incremental"
	echo
	echo "Generated by \`test/bench/refresh.sh\` (part of \`make bench\`): $UNITS units x 100 leaves x"
	echo "10 periods = $rows verified submissions (synthetic communes, absolute rules: ratio,"
	echo "target, steps, linear, piecewise), a 4-level framework. $cpus, shared with other work"
	echo "while it ran (load average over 1, 5 and 15 minutes before each full refresh below);"
	echo "shared_buffers 2GB, work_mem 256MB, up to 2 parallel workers. One run: the data are"
	echo "generated with dti_warehouse 0.5.0, refreshed by it, then the extension is updated to"
	echo "$version, the results emptied, and refreshed again on the same data."
	echo
	echo "| run | seconds | what it did |"
	echo "|---|---:|---|"
	echo "| full refresh by 0.5.0 (all 10 periods, whole) | $full_050 | $log_050; load average $load_before |"
	echo "| full refresh by $version (the same) | $full | $full_log; $rate submissions/s; load average $load_after |"
	echo "| incremental refresh after one unit's revision | $inc | $inc_log |"
	echo "| relative rule: full refresh after a leaf became \`minmax(0, 1)\` (results published) | $rel_full | $rel_full_log |"
	echo "| relative rule: incremental refresh after one unit's revision | $rel_inc | $rel_inc_log |"
	echo
	echo "Every scorecard and rank row of the $version refresh equals 0.5.0's (rows differing:"
	echo "scorecards ${mismatch% *}, rank rows ${mismatch#* }; checked by the script). Under the relative rule a revision"
	echo "recomputes its whole period ($rel_spread units of 2024): the rule scores every unit against the"
	echo "minimum and maximum over all units of the period, which the revision may move."
	echo
	echo "Targets: full refresh under 20 s, incremental under 0.2 s. Reading the published results:"
	echo "top 10 of 2024 from \`dti.ranking\` $t_top ms; one unit's history from \`dti.score_long\`"
	echo "$t_hist ms. Top 3 of 2024: $top. Sizes: $sizes, result_rank with its tables $rank_size."
	echo "<!-- refresh:end -->"
} >"$section"
replace_section refresh "$section" "$OUT"
rm -f "$section"
say "wrote its section of $OUT"
