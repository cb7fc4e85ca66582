#!/usr/bin/env bash
# make bench, aggregates against a released version: each aggregate whose
# state changed type since dti 0.8.0 (the weighted means, indicator_stats()
# and, in 0.11.0, the quantiles, all kept in internal states in 0.8.0) is
# timed against the plain SQL that computes the same result, in the current
# build and in dti 0.8.0 (installed from its released scripts in a second
# database of the same cluster, with the same data), serial and with 2
# parallel workers.  For each the ratio dti time / plain-SQL time is taken
# in both versions, and the ratio of the two ratios is the figure: target
# <= 1.10 (the current build within 10% of what 0.8.0 achieved against the
# same SQL).  The four queries of an aggregate (dti and SQL in each version)
# take turns, a warm-up of each then BENCH_AGG_RUNS rounds (default 9), so
# that other work on the machine slows them alike.  A run is the fastest of
# BENCH_AGG_REPEAT executions in a row in one session (default 3): a burst of
# other work on a shared machine lasts longer than a query and would
# otherwise land on one of the four queries of a round.  Each time is the median,
# and so is the ratio of ratios of each round (the four queries of a round
# ran within seconds of each other), which is the figure held to the target.
# The results of the two versions are compared bit for bit first.
#
# Data: BENCH_AGG_ROWS rows (default 1,000,000) over 100 indicators
# (test/bench/generate.sql), grouped by indicator.  BENCH_BASELINE_DTI names
# another released version to compare with; BENCH_AGG_MODES=serial or
# parallel runs one of the two modes only.  Writes its section of
# docs/benchmarks.md between the agg-versions markers (BENCH_OUT elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

ROWS=${BENCH_AGG_ROWS:-1000000}
RUNS=${BENCH_AGG_RUNS:-9}
REPEAT=${BENCH_AGG_REPEAT:-3}
MODES=${BENCH_AGG_MODES:-serial parallel}	# or one of them
# the section of the page: one mode alone has its own
SECTION=agg-versions
[ "$MODES" = "serial parallel" ] || SECTION=agg-versions-$(echo $MODES | tr ' ' '-')
# serial runs timed by the backend's processor time where the kernel keeps it
CPU=$([ -r /proc/self/schedstat ] && echo yes || echo no)
OUT=${BENCH_OUT:-docs/benchmarks.md}
BASE=${BENCH_BASELINE_DTI:-0.8.0}
CUR_DB=dti_bench_agg_cur
OLD_DB=dti_bench_agg_old

make -s all >/dev/null
install_build >/dev/null
CUR=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" dti.control)

cluster_start "shared_buffers = '1GB'
work_mem = '1GB'
max_parallel_workers_per_gather = 2"
trap cluster_stop EXIT

createdb $CUR_DB
psql -X -q -v ON_ERROR_STOP=1 -d $CUR_DB -c 'CREATE EXTENSION dti' >/dev/null
echo "bench agg-versions: generating $ROWS rows over 100 indicators"
psql -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -d $CUR_DB -f test/bench/generate.sql >/dev/null
# the same data in a copy, where the released version is installed instead
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $OLD_DB TEMPLATE $CUR_DB" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $OLD_DB -c "DROP EXTENSION dti" -c "CREATE EXTENSION dti VERSION '$BASE'" >/dev/null
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
echo "bench agg-versions: dti $(q $CUR_DB "SELECT extversion FROM pg_extension WHERE extname = 'dti'") in $CUR_DB," \
	"dti $(q $OLD_DB "SELECT extversion FROM pg_extension WHERE extname = 'dti'") in $OLD_DB"

# the state type of an aggregate in a database
state_type() { q "$1" "SELECT string_agg(DISTINCT aggtranstype::regtype::text, ', ') FROM pg_aggregate WHERE aggfnoid::regproc::text = '$2'"; }

time_once() {  # DB SET QUERY: milliseconds, the fastest of REPEAT runs in one session
	local args=() k
	for ((k = 0; k < REPEAT; k++)); do args+=(-c "$3"); done
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -o /dev/null -c "$2" -c '\timing on' "${args[@]}" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -g | head -1
}
# DB SET QUERY: milliseconds of processor time the backend spent on the
# query (the first field of its /proc/self/schedstat, in nanoseconds, read
# before and after), the least of REPEAT runs in one session.  A serial
# query runs in the backend alone, so this is its work whatever else the
# machine does, where the time on the clock grows with every other process
# that shares the two cores.
cpu_once() {
	local k cpu="SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)"
	{
		echo "$2;"
		for ((k = 0; k < REPEAT; k++)); do
			echo "$cpu;"
			echo '\o /dev/null'
			echo "$3;"
			echo '\o'
			echo "$cpu;"
		done
	} | psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" | awk 'NF' |
		awk 'NR % 2 == 1 { a = $1 } NR % 2 == 0 { printf "%.3f\n", ($1 - a) / 1e6 }' | sort -g | head -1
}
median() {
	tr ' ' '\n' | awk 'NF' | sort -g | awk '{ t[NR] = $1 } END { if (NR == 0) { print "bench agg-versions: a query printed no time" > "/dev/stderr"; exit 1 } print t[int((NR + 1) / 2)] }'
}
plan_kind() {  # DB SET QUERY
	if psql -X -q -At -d "$1" -c "$2" -c "EXPLAIN (COSTS OFF) $3" | grep -q Partial; then echo parallel; else echo serial; fi
}

# The plain-SQL weighted quantile with the C definition (test/bench/run.sh
# has the median): sort by (x, w), centres c_i = cumulative weight - w_i / 2,
# target at q between the first and last centre, interpolate between the
# neighbours of the target.
quantile_sql_lines() {  # Q
	cat <<SQL
SELECT indicator, x + coalesce((t - c) / (nc - c) * (nx - x), 0) AS qv
FROM (
	SELECT *, c1 + $1 * (cn - c1) AS t
	FROM (
		SELECT indicator, x, c,
			lead(x) OVER o AS nx, lead(c) OVER o AS nc,
			first_value(c) OVER o AS c1, last_value(c) OVER o AS cn
		FROM (
			SELECT indicator, x, w,
				sum(w) OVER (PARTITION BY indicator ORDER BY x, w ROWS UNBOUNDED PRECEDING) - w / 2 AS c
			FROM bench_data WHERE w > 0
		) a
		WINDOW o AS (PARTITION BY indicator ORDER BY x, w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
	) b
) e
WHERE c <= t AND (nc > t OR nc IS NULL)
SQL
}
# (on one line: the cases below are read line by line)
quantile_sql() { quantile_sql_lines "$1" | tr '\n\t' '  '; }

# name|aggregate (whose state type is shown)|dti query|plain-SQL query, grouped by indicator
CASES=(
	"weighted_mean(x, w)|weighted_mean|SELECT indicator, weighted_mean(x, w) FROM bench_data GROUP BY indicator|SELECT indicator, sum(x * w) / sum(w) FROM bench_data GROUP BY indicator"
	"weighted_geomean(x, w)|weighted_geomean|SELECT indicator, weighted_geomean(x, w) FROM bench_data GROUP BY indicator|SELECT indicator, exp(sum(w * ln(x)) / sum(w)) FROM bench_data GROUP BY indicator"
	"weighted_harmonic(x, w)|weighted_harmonic|SELECT indicator, weighted_harmonic(x, w) FROM bench_data GROUP BY indicator|SELECT indicator, sum(w) / sum(w / x) FROM bench_data GROUP BY indicator"
	"indicator_stats(x)|indicator_stats|SELECT indicator, indicator_stats(x) FROM bench_data GROUP BY indicator|SELECT indicator, count(x), min(x), max(x), avg(x), stddev_samp(x) FROM bench_data GROUP BY indicator"
	"weighted_median(x, w)|weighted_median|SELECT indicator, weighted_median(x, w) FROM bench_data GROUP BY indicator|$(quantile_sql 0.5)"
	"weighted_quantile(x, w, 0.25)|weighted_quantile|SELECT indicator, weighted_quantile(x, w, 0.25) FROM bench_data GROUP BY indicator|$(quantile_sql 0.25)"
	"weighted_median(x, 1)|weighted_median|SELECT indicator, weighted_median(x, 1) FROM bench_data GROUP BY indicator|SELECT indicator, percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM bench_data GROUP BY indicator"
)

# The two versions give the same bits (serial plans), and the SQL the same
# results within rounding.
same=0 total=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name agg cq sq <<<"$c"
	a=$(q $CUR_DB "SET max_parallel_workers_per_gather = 0; SELECT md5(string_agg(r::text, ',' ORDER BY r::text)) FROM ($cq) r")
	b=$(q $OLD_DB "SET max_parallel_workers_per_gather = 0; SELECT md5(string_agg(r::text, ',' ORDER BY r::text)) FROM ($cq) r")
	total=$((total + 1))
	[ "$a" = "$b" ] && same=$((same + 1))
done
ok_bits=$([ $same = $total ] && echo yes || echo NO)
med_diff=$(q $CUR_DB "SELECT max(abs(c.m - s.qv) / abs(s.qv)) FROM
	(SELECT indicator, weighted_median(x, w) AS m FROM bench_data GROUP BY indicator) c JOIN ($(quantile_sql 0.5)) s USING (indicator)")
echo "bench agg-versions: $same of $total aggregates give the same results in both versions; weighted median vs its SQL: max relative difference $med_diff"

SERIAL="SET max_parallel_workers_per_gather = 0"
PARALLEL="SET max_parallel_workers_per_gather = 2"
rows=()
for mode in $MODES; do
	if [ $mode = serial ]; then set=$SERIAL; else set=$PARALLEL; fi
	declare -A times=()
	# warm-up, then RUNS rounds: every query of every aggregate once per round
	for ((r = 0; r <= RUNS; r++)); do
		for i in "${!CASES[@]}"; do
			IFS='|' read -r name agg cq sq <<<"${CASES[$i]}"
			for k in cur_c cur_s old_c old_s; do
				case $k in cur_*) db=$CUR_DB ;; *) db=$OLD_DB ;; esac
				case $k in *_c) query=$cq ;; *) query=$sq ;; esac
				if [ $mode = serial ] && [ "$CPU" = yes ]; then t=$(cpu_once $db "$set" "$query"); else t=$(time_once $db "$set" "$query"); fi
				[ $r -eq 0 ] || times[$i.$k]="${times[$i.$k]:-} $t"
			done
		done
	done
	for i in "${!CASES[@]}"; do
		IFS='|' read -r name agg cq sq <<<"${CASES[$i]}"
		cc=$(echo "${times[$i.cur_c]}" | median) cs=$(echo "${times[$i.cur_s]}" | median)
		oc=$(echo "${times[$i.old_c]}" | median) os=$(echo "${times[$i.old_s]}" | median)
		kind_c=$(plan_kind $CUR_DB "$set" "$cq") kind_o=$(plan_kind $OLD_DB "$set" "$cq")
		# the ratio of ratios of each round, then their median
		rr=$(paste -d' ' <(echo "${times[$i.cur_c]}" | tr ' ' '\n' | awk 'NF') <(echo "${times[$i.cur_s]}" | tr ' ' '\n' | awk 'NF') \
			<(echo "${times[$i.old_c]}" | tr ' ' '\n' | awk 'NF') <(echo "${times[$i.old_s]}" | tr ' ' '\n' | awk 'NF') |
			awk '{ printf "%.4f ", ($1 / $2) / ($3 / $4) }' | median)
		# and the ratio of ratios of the fastest run of each query
		best=$(for k in cur_c cur_s old_c old_s; do echo "${times[$i.$k]}" | tr ' ' '\n' | awk 'NF' | sort -g | head -1; done |
			paste -sd' ' | awk '{ printf "%.2f", ($1 / $2) / ($3 / $4) }')
		line="$mode|$name|$(state_type $CUR_DB $agg)|$kind_c|$cc|$cs|$(state_type $OLD_DB $agg)|$kind_o|$oc|$os|$rr|$best"
		rows+=("$line")
		echo "bench agg-versions: $mode, $name: $CUR ${cc} ms / SQL ${cs} ms; $BASE ${oc} ms / SQL ${os} ms (runs: ${times[$i.cur_c]} |${times[$i.cur_s]} |${times[$i.old_c]} |${times[$i.old_s]})"
	done
	unset times
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

section=$(mktemp)
{
	echo "<!-- $SECTION:start -->"
	echo "## The aggregates against plain SQL, dti $CUR and dti $BASE side by side$([ "$SECTION" = agg-versions ] || echo ", $MODES runs only")"
	echo
	echo "Generated by \`test/bench/agg_versions.sh\` (part of \`make bench\`). $ROWS rows over 100"
	echo "indicators (test/bench/generate.sql), grouped by indicator. dti $CUR and dti $BASE (installed"
	echo "from its released scripts, the states of these aggregates still \`internal\` there) in two"
	echo "databases of one cluster with the same data; both versions give the same results: $ok_bits ($same of"
	echo "$total aggregates, the same text of every group's result); the SQL weighted median is within"
	echo "$med_diff (relative) of \`weighted_median\`. Median of $RUNS runs after a warm-up, milliseconds,"
	echo "a run being the fastest of $REPEAT executions in a row in one session; the four queries of an"
	echo "aggregate (dti and SQL, in each version) take turns, one run of each per round. $(
		[ "$CPU" = yes ] && echo "Serial runs are
the processor time the backend spent on the query (its \`/proc/self/schedstat\`, read before and
after): a serial query runs in the backend alone, so this is its work whatever else the shared
machine does. Parallel runs are time on the clock, which other work on the machine lengthens." ||
		echo "Times on the clock.")"
	echo "work_mem = 1GB. The machine (2 cores) is shared with other work: load average $load at the end"
	echo "of the run."
	echo
	echo "| mode | aggregate | $CUR state | plan | $CUR ms | SQL ms | $CUR / SQL | $BASE state | $BASE ms | SQL ms | $BASE / SQL | ratio of the ratios | of the fastest runs | median of each round's ratio of ratios (target <= 1.10) |"
	echo "|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
	for r in "${rows[@]}"; do
		IFS='|' read -r mode name st kind cc cs ost okind oc os rr best <<<"$r"
		awk -v m="$mode" -v n="$name" -v st="$st" -v k="$kind" -v cc="$cc" -v cs="$cs" -v ost="$ost" -v oc="$oc" -v os="$os" -v rr="$rr" -v best="$best" 'BEGIN {
			rc = cc / cs; ro = oc / os
			printf "| %s | `%s` | %s | %s | %s | %s | %.2f | %s | %s | %s | %.2f | %.2f | %s | %.2f %s |\n", m, n, st, k, cc, cs, rc, ost, oc, os, ro, rc / ro, best, rr, (rr <= 1.10 ? "met" : "NOT met")
		}'
	done
	echo
	echo "The target is held to the median of the rounds' ratios of ratios: the four queries of a round"
	echo "ran within seconds of each other, where the medians of the times may come from different rounds."
	echo "A ratio of ratios below 1 means the current build does better against the same SQL than"
	echo "dti $BASE did. The plain SQL of the weighted median and quantile sorts each group with window"
	echo "functions (test/bench/run.sh), that of \`weighted_median(x, 1)\` is \`percentile_cont(0.5)\`."
	echo "<!-- $SECTION:end -->"
} >"$section"
replace_section "$SECTION" "$section" "$OUT"
rm -f "$section"
echo "bench agg-versions: wrote its section of $OUT"
