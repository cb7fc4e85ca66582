#!/usr/bin/env bash
# make bench, refresh part: REFRESH_UNITS units (default 10,000 communes) x
# 100 leaves x 10 periods (10 million verified submissions), refreshed in one
# run by a released dti_warehouse (REFRESH_BASE, default 0.8.0, the last
# released version) and by the current version, side by side on the same data:
#   the data are generated once, in a database with the warehouse at that version
#   (installed from the released scripts); a copy of it (CREATE DATABASE ...
#   TEMPLATE) is updated to the current version.  Then each step runs in
#   both, the released version first, and the results of the two are compared row by row
#   (every scorecard and every rank row; the script fails unless none differ)
#   after the full refreshes and at the end:
#   1. a full refresh of results never computed (a refresh after the load);
#   2. the same full refresh again over the published results (a nightly
#      run over unchanged data);
#   3. an incremental refresh after one unit's revision (absolute rules);
#   4. a relative rule: one leaf becomes minmax(0, 1) over all units of the
#      period, which queues every period of its years whole (170 periods,
#      quarters and months among them); first the planning of that run alone
#      (dti.refresh_plan() in a transaction rolled back, median of 3, the
#      versions taking turns), then the full refresh that follows;
#   5. one unit's revision within that leaf's range (neither end moves), then
#   6. one that raises its maximum (every unit's score of that leaf moves),
#      each followed by an incremental refresh.
# Writes its section of docs/benchmarks.md between the refresh markers
# (BENCH_OUT elsewhere).  The data come from test/bench/warehouse_data.sql
# (shared with scale.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

UNITS=${REFRESH_UNITS:-10000}
OUT=${BENCH_OUT:-docs/benchmarks.md}
BASE=${REFRESH_BASE:-0.8.0}
OLD=dti_bench_refresh_${BASE//./}
NEW=dti_bench_refresh
say() { echo "bench refresh: $*"; }

make -s all >/dev/null
install_build >/dev/null
cluster_start "shared_buffers = '2GB'
work_mem = '256MB'
maintenance_work_mem = '1GB'
max_parallel_workers_per_gather = 2"
work=$(mktemp -d)
trap 'rm -rf "$work"; cluster_stop' EXIT
qd() { local db=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
createdb $OLD
qd $OLD "SET client_min_messages = warning; CREATE EXTENSION dti_warehouse VERSION '$BASE' CASCADE"
version=$(qd $OLD "SELECT default_version FROM pg_available_extensions WHERE name = 'dti_warehouse'")

say "generating $UNITS units x 100 leaves x 10 periods"
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v units="$UNITS" -d $OLD -f test/bench/warehouse_data.sql >/dev/null
say "generated in $(($(date +%s) - t0)) s: $(qd $OLD "SELECT count(*) FROM dti.submission") submissions"
createdb -T $OLD $NEW
qd $NEW "SET client_min_messages = warning; ALTER EXTENSION dti_warehouse UPDATE"
qd $NEW "VACUUM ANALYZE"
qd $OLD "VACUUM ANALYZE"
[ "$(qd $NEW "SELECT extversion FROM pg_extension WHERE extname = 'dti_warehouse'")" = "$version" ] ||
	{ say "the copy is not at $version"; exit 1; }
fid=$(qd $NEW "SELECT id FROM dti.framework WHERE code = 'bench-commune'")
rows=$(qd $NEW "SELECT count(*) FROM dti.submission")

# seconds of one command in one database, 3 decimals
timed() {
	local a b
	a=$(date +%s.%N)
	qd "$1" "$2"
	b=$(date +%s.%N)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}
last_log() {
	qd "$1" "SELECT outcome || ', periods ' || array_to_string(periods, ',')
		|| coalesce(' (whole ' || nullif(array_to_string(whole_periods, ','), '') || ')', '') || ', '
		|| scorecards || ' scorecard(s), ' || ranks || ' rank rows written or changed'
		FROM dti.refresh_log ORDER BY id DESC LIMIT 1"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# step NAME SQL: run SQL (a refresh) in both databases, $BASE first; the
# times, logs and load averages go to $work/NAME.*
step() {
	local name=$1 sql=$2 db
	for db in $OLD $NEW; do
		load >"$work/$name.$db.load"
		timed $db "$sql" >"$work/$name.$db.time"
		[ "$(qd $db "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = ok ] ||
			{ say "$name: refresh failed in $db: $(last_log $db)"; exit 1; }
		last_log $db >"$work/$name.$db.log"
		say "$name, $db: $(cat "$work/$name.$db.time") s ($(cat "$work/$name.$db.log"); load average $(cat "$work/$name.$db.load"))"
	done
}
both() { qd $OLD "$1"; qd $NEW "$1"; }
# every scorecard (its binary form's digest) and every rank row of each
# database, in key order; prints the number of lines that differ
compare() {
	local db
	for db in $OLD $NEW; do
		psql -X -q -v ON_ERROR_STOP=1 -d $db -c "COPY (
			SELECT 'card', period, unit_id, framework_id, md5(scorecard_send(scorecard)), root_value
			FROM dti.result_scorecard ORDER BY period, unit_id) TO STDOUT" >"$work/$db.results"
		psql -X -q -v ON_ERROR_STOP=1 -d $db -c "COPY (
			SELECT 'rank', period, unit_id, code::text, framework_id, level, value, rank, group_rank
			FROM dti.result_rank ORDER BY period, unit_id, code::text COLLATE \"C\") TO STDOUT" >>"$work/$db.results"
	done
	if cmp -s "$work/$OLD.results" "$work/$NEW.results"; then
		echo 0
	else
		diff "$work/$OLD.results" "$work/$NEW.results" | grep -c '^[<>]' || true
	fi
}
checked() { # checked WHEN: compare, fail on a difference
	local n lines
	n=$(compare)
	lines=$(wc -l <"$work/$NEW.results")
	say "$1: $lines result rows (scorecards and rank rows) in each; $n lines differ" >&2
	[ "$n" = 0 ] || { diff "$work/$OLD.results" "$work/$NEW.results" | head -5 >&2; say "the results differ from $BASE's" >&2; exit 1; }
	echo "$lines"
}
revise() { # revise UNIT LEAF VALUE (in 2024)
	both "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('$1', '2024', '$2', '$3', 'benchmark revision')"
	both "SELECT dti.set_status((SELECT max(id) FROM dti.submission), 'verified')" >/dev/null
}

# 1, 2: full refreshes
step fresh "CALL dti.refresh(framework_id => $fid)"
lines_fresh=$(checked "after the first full refresh" | tail -1)
step again "CALL dti.refresh(framework_id => $fid)"
# 3. incremental: one unit changes one leaf in 2024
revise X00042 P1.1.1 0.99
step incremental "CALL dti.refresh()"
lines_abs=$(checked "after the absolute rules' refreshes" | tail -1)

# 4. a relative rule
both "UPDATE dti.framework_indicator SET rule = 'minmax(0, 1)' WHERE framework_id = $fid AND code = 'P1.1.1'"
# the planning of the next run alone, rolled back: the median of 3
queued=$(qd $NEW "SELECT count(*) FROM dti.refresh_queue")
q_plan="BEGIN; CREATE TEMP TABLE timed_plan AS SELECT * FROM dti.refresh_plan(NULL, NULL); ROLLBACK"
for db in $OLD $NEW; do load >"$work/plan.$db.load"; done
for i in 1 2 3; do
	for db in $OLD $NEW; do timed $db "$q_plan" >"$work/plan.$db.$i"; done
done
for db in $OLD $NEW; do
	sort -g "$work/plan.$db".[123] | sed -n 2p >"$work/plan.$db.time"
	echo "$(qd $db "BEGIN; SELECT count(*) || ' (period, framework) pairs from $queued queue rows' FROM dti.refresh_plan(NULL, NULL); ROLLBACK") (times $(cat "$work/plan.$db".[123] | paste -sd/) s)" >"$work/plan.$db.log"
	say "plan, $db: $(cat "$work/plan.$db.time") s ($(cat "$work/plan.$db.log"); load average $(cat "$work/plan.$db.load"))"
done
step relative "CALL dti.refresh()"
range=$(qd $NEW "SELECT lo || '-' || hi || ' (' || cardinality(lo_units) || ' and ' || cardinality(hi_units) || ' units at the ends)'
	FROM dti.result_leaf_range WHERE period = '2024' AND code = 'P1.1.1'")
# a unit whose value of P1.1.1 lies strictly within the range
unit=$(qd $NEW "SELECT u.code FROM dti.current_value v JOIN dti.unit u ON u.id = v.unit_id
	JOIN dti.result_leaf_range g ON g.period = v.period AND g.code = v.indicator
	WHERE v.period = '2024' AND v.indicator = 'P1.1.1' AND v.value > g.lo AND v.value < g.hi
	ORDER BY u.code LIMIT 1")
own=$(qd $NEW "SELECT value FROM dti.current_value v JOIN dti.unit u ON u.id = v.unit_id
	WHERE u.code = '$unit' AND v.period = '2024' AND v.indicator = 'P1.1.1'")
# 5. within the range: that unit's value moves inside it
revise "$unit" P1.1.1 50.5
step relative_inside "CALL dti.refresh()"
# 6. beyond the maximum: every unit's score of that leaf changes
revise "$unit" P1.1.1 150
step relative_beyond "CALL dti.refresh()"
rel_spread=$(qd $NEW "SELECT count(*) FROM dti.result_scorecard WHERE period = '2024'")
lines_rel=$(checked "after the relative rule's refreshes" | tail -1)

top=$(qd $NEW "SELECT string_agg(unit_code || ' ' || value, ', ' ORDER BY rank) FROM (SELECT * FROM dti.ranking WHERE period = '2024' ORDER BY rank LIMIT 3) s")
# reading the published results, in both versions: a warm-up, then the
# median of 3 runs, the two versions taking turns
q_top="SELECT * FROM dti.ranking WHERE period = '2024' ORDER BY rank LIMIT 10"
q_hist="SELECT * FROM dti.score_long WHERE unit_code = 'X00042' AND level <= 2 ORDER BY period, code"
read_ms() { # read_ms DB QUERY: milliseconds of one run
	psql -X -q -d "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
read_median() { # read_median QUERY: "old new" medians of 3
	local i a=() b=()
	read_ms $OLD "$1" >/dev/null
	read_ms $NEW "$1" >/dev/null
	for i in 1 2 3; do
		a+=("$(read_ms $OLD "$1")")
		b+=("$(read_ms $NEW "$1")")
	done
	echo "$(printf '%s\n' "${a[@]}" | sort -g | sed -n 2p) $(printf '%s\n' "${b[@]}" | sort -g | sed -n 2p)"
}
read -r t_top_old t_top < <(read_median "$q_top")
read -r t_hist_old t_hist < <(read_median "$q_hist")
sizes() {
	qd "$1" "SELECT string_agg(c.relname || ' ' || pg_size_pretty(pg_total_relation_size(c.oid)), ', ' ORDER BY c.relname)
		FROM pg_class c WHERE c.relnamespace = 'dti'::regnamespace AND c.relname IN ('result_scorecard', 'result_rank')"
}
cpus="$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1 | awk '{ print $1, $2 }'))"
row() { # row NAME DESCRIPTION
	echo "| $2 | $(cat "$work/$1.$OLD.time") | $(cat "$work/$1.$NEW.time") | $(awk -v a="$(cat "$work/$1.$OLD.time")" -v b="$(cat "$work/$1.$NEW.time")" 'BEGIN { printf "%.1f", a / b }') | $BASE: $(cat "$work/$1.$OLD.log"); $version: $(cat "$work/$1.$NEW.log"); load average $(cat "$work/$1.$OLD.load") / $(cat "$work/$1.$NEW.load") |"
}
met() { awk -v t="$(cat "$work/$1.$NEW.time")" -v lim="$2" 'BEGIN { print (t < lim) ? "met" : "not met" }'; }

section=$(mktemp)
{
	echo "<!-- refresh:start -->"
	echo "## dti.refresh(): full and incremental"
	echo
	echo "Generated by \`test/bench/refresh.sh\` (part of \`make bench\`): $UNITS units x 100 leaves x"
	echo "10 periods = $rows verified submissions (synthetic communes, absolute rules: ratio,"
	echo "target, steps, linear, piecewise), a 4-level framework. $cpus, shared with other work"
	echo "while it ran (load average over 1, 5 and 15 minutes before each refresh, $BASE's / $version's);"
	echo "shared_buffers 2GB, work_mem 256MB, up to 2 parallel workers. One run: the data are"
	echo "generated once with dti_warehouse $BASE (the last released version), the database is copied"
	echo "and the copy updated to $version; each refresh then runs in both, $BASE first."
	echo
	echo "| run | $BASE s | $version s | ratio | what each did |"
	echo "|---|---:|---:|---:|---|"
	row fresh "full refresh, nothing published yet (all 10 periods, whole)"
	row again "the same full refresh again over the published results"
	row incremental "incremental refresh after one unit's revision"
	row plan "relative rule: its planning alone, \`dti.refresh_plan()\` after the framework change (median of 3, rolled back)"
	row relative "relative rule: full refresh after a leaf became \`minmax(0, 1)\`"
	row relative_inside "relative rule: incremental refresh after a revision within the leaf's range"
	row relative_beyond "relative rule: incremental refresh after a revision beyond its maximum"
	echo
	echo "Every scorecard and rank row of $version equals $BASE's after the full refreshes"
	echo "($lines_fresh rows), after the absolute rules' refreshes ($lines_abs) and at the end ($lines_rel):"
	echo "compared by the script, which fails on any difference."
	echo
	echo "Targets for $version: full refresh under 20 s ($(met fresh 20) from nothing, $(met again 20) over"
	echo "published results), incremental under 0.2 s ($(met incremental 0.2); under the relative rule"
	echo "$(met relative_inside 0.2) within the range)."
	echo "Under the relative rule a revision reaches other units only through the statistics: the"
	echo "rule scores a value against the minimum and maximum over all units of the period (2024:"
	echo "$range; $unit's value was $own, revised to 50.5, then to 150). A revision that"
	echo "leaves both ends where they are re-scores its unit alone and re-ranks the units it passes;"
	echo "one that moves an end rescores every unit of the period ($rel_spread in 2024)."
	echo
	echo "Reading the published results (median of 3 after a warm-up, the versions taking turns,"
	echo "$BASE / $version): top 10 of 2024 from \`dti.ranking\` $t_top_old / $t_top ms; one unit's"
	echo "history from \`dti.score_long\` $t_hist_old / $t_hist ms. Top 3 of 2024: $top."
	echo "Sizes at the end: $BASE $(sizes $OLD); $version $(sizes $NEW)."
	echo "<!-- refresh:end -->"
} >"$section"
replace_section refresh "$section" "$OUT"
rm -f "$section"
say "wrote its section of $OUT"
