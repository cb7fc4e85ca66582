#!/usr/bin/env bash
# make bench: the C aggregates and score() against the best plain SQL for the
# same results, on the same generated data, serial and with 2 parallel
# workers, grouped by indicator and over the whole table.  Each time is the
# median of BENCH_RUNS runs (default 3) after one warm-up run.  Writes the
# table and the machine description to docs/benchmarks.md, keeping the
# sections the other benchmark scripts wrote there (BENCH_OUT to put
# it elsewhere).  BENCH_ROWS (default 10000000) makes a quick run smaller.
#
# Installs the extension and runs a throwaway cluster, holding the install
# lock the test harness uses, so it never races another build.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

ROWS=${BENCH_ROWS:-10000000}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-docs/benchmarks.md}
DB=dti_bench

make -s all >/dev/null
install_build >/dev/null

# Enough memory that neither side spills: the SQL median sorts, the C
# quantiles keep every (x, w) pair, 16 bytes each.
SETTINGS="shared_buffers = '2GB'
work_mem = '1GB'
max_parallel_workers_per_gather = 2"
cluster_start "$SETTINGS"
sections=
trap 'cluster_stop; rm -f "${sections:-}" "$OUT.tmp"' EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $DB -c 'CREATE EXTENSION dti' >/dev/null
echo "bench: generating $ROWS rows over 100 indicators"
psql -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -d $DB -f test/bench/generate.sql >/dev/null

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1"; }

# Milliseconds of one run of a query under the given SET commands.
time_once() {
	psql -X -q -v ON_ERROR_STOP=1 -d $DB -o /dev/null \
		-c "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}

# Median of RUNS timed runs, after a warm-up run.
time_median() {
	local i times=()
	time_once "$1" "$2" >/dev/null
	for ((i = 0; i < RUNS; i++)); do
		times+=("$(time_once "$1" "$2")")
	done
	printf '%s\n' "${times[@]}" | sort -g | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

# "yes" when the plan aggregates in parallel workers.
parallel_plan() {
	if psql -X -q -At -d $DB -c "$1" -c "EXPLAIN (COSTS OFF) $2" | grep -q 'Partial'; then
		echo yes
	else
		echo no
	fi
}

SERIAL="SET max_parallel_workers_per_gather = 0"
PARALLEL="SET max_parallel_workers_per_gather = 2"

# The plain-SQL weighted median with the same definition as the C one: sort
# by (x, w), centres c_i = cumulative weight - w_i / 2, target halfway
# between the first and last centre, interpolate between the neighbours of
# the target.  One sort serves every window function.
median_sql() {
	local part=$1 sel=$2
	cat <<SQL
SELECT $sel x + coalesce((t - c) / (nc - c) * (nx - x), 0) AS median
FROM (
	SELECT *, c1 + 0.5 * (cn - c1) AS t
	FROM (
		SELECT indicator, x, c,
			lead(x) OVER o AS nx, lead(c) OVER o AS nc,
			first_value(c) OVER o AS c1, last_value(c) OVER o AS cn
		FROM (
			SELECT indicator, x, w,
				sum(w) OVER (${part}ORDER BY x, w ROWS UNBOUNDED PRECEDING) - w / 2 AS c
			FROM bench_data WHERE w > 0
		) a
		WINDOW o AS (${part}ORDER BY x, w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
	) b
) e
WHERE c <= t AND (nc > t OR nc IS NULL)
SQL
}

# name|C expression|plain-SQL expression (aggregates; the median is special)
CASES=(
	"weighted_mean|weighted_mean(x, w)|sum(x * w) / sum(w)"
	"weighted_geomean|weighted_geomean(x, w)|exp(sum(w * ln(x)) / sum(w))"
	"weighted_harmonic|weighted_harmonic(x, w)|sum(w) / sum(w / x)"
	"weighted_median|weighted_median(x, w)|(window functions, see below)"
)

# score(): absolute rules against CASE expressions, summed over all rows.
SCORE_CASES=(
	"score target(80)|sum(score('target(80)'::scoring_rule, x))|sum(CASE WHEN x <= 0 THEN 0 WHEN x >= 80 THEN 1 ELSE x / 80 END)"
	"score piecewise(0:0, 50:0.5, 100:1)|sum(score('piecewise(0:0, 50:0.5, 100:1)'::scoring_rule, x))|sum(CASE WHEN x <= 0 THEN 0 WHEN x <= 50 THEN 0.5 * x / 50 WHEN x <= 100 THEN 0.5 + 0.5 * (x - 50) / 50 ELSE 1 END)"
	"score steps(10:0.5, 20:1)|sum(score('steps(10:0.5, 20:1)'::scoring_rule, x))|sum(CASE WHEN x >= 20 THEN 1 WHEN x >= 10 THEN 0.5 ELSE 0 END)"
)

rows_md=()
verdicts=()

# Times one C query and one SQL query in one configuration; adds a row.
bench_pair() {
	local name=$1 scope=$2 mode=$3 set=$4 cq=$5 sq=$6 target=$7
	local ct st ratio cp sp met
	ct=$(time_median "$set" "$cq")
	st=$(time_median "$set" "$sq")
	cp=$(parallel_plan "$set" "$cq")
	sp=$(parallel_plan "$set" "$sq")
	ratio=$(awk -v c="$ct" -v s="$st" 'BEGIN { printf "%.2f", c / s }')
	met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (t == "" ? "" : (r <= t ? "yes" : "NO")) }')
	rows_md+=("| $name | $scope | $mode | $ct | $cp | $st | $sp | $ratio | ${target:+<= $target} | $met |")
	echo "bench: $name, $scope, $mode: C $ct ms, SQL $st ms, C/SQL $ratio"
	[ "$met" = "NO" ] && verdicts+=("$name ($scope, $mode): C/SQL $ratio, target <= $target")
	return 0
}

for mode in serial parallel; do
	if [ $mode = serial ]; then set=$SERIAL; else set=$PARALLEL; fi
	for c in "${CASES[@]}"; do
		IFS='|' read -r name cexpr sexpr <<<"$c"
		case $name in
		weighted_mean) target=1.30 ;;
		weighted_median) target=0.33 ;;
		*) target= ;;
		esac
		if [ "$name" = weighted_median ]; then
			bench_pair "$name" "by indicator" $mode "$set" \
				"SELECT indicator, $cexpr FROM bench_data GROUP BY indicator" \
				"$(median_sql 'PARTITION BY indicator ' 'indicator,')" "$target"
			bench_pair "$name" "whole table" $mode "$set" \
				"SELECT $cexpr FROM bench_data" \
				"$(median_sql '' '')" "$target"
		else
			bench_pair "$name" "by indicator" $mode "$set" \
				"SELECT indicator, $cexpr FROM bench_data GROUP BY indicator" \
				"SELECT indicator, $sexpr FROM bench_data GROUP BY indicator" "$target"
			bench_pair "$name" "whole table" $mode "$set" \
				"SELECT $cexpr FROM bench_data" \
				"SELECT $sexpr FROM bench_data" "$target"
		fi
	done
done

# score() comes from the scoring_rule work; skip it cleanly until it exists.
score_note=
if [ -n "$(q "SELECT to_regtype('scoring_rule')")" ] &&
	[ -n "$(q "SELECT to_regprocedure('score(scoring_rule, float8)')")" ]; then
	for c in "${SCORE_CASES[@]}"; do
		IFS='|' read -r name cexpr sexpr <<<"$c"
		same=$(q "SELECT abs($cexpr - $sexpr) <= 1e-9 * greatest(1, abs($sexpr)) FROM bench_data")
		[ "$same" = t ] || verdicts+=("$name: score() and the CASE expression disagree")
		for mode in serial parallel; do
			if [ $mode = serial ]; then set=$SERIAL; else set=$PARALLEL; fi
			bench_pair "$name" "by indicator" $mode "$set" \
				"SELECT indicator, $cexpr FROM bench_data GROUP BY indicator" \
				"SELECT indicator, $sexpr FROM bench_data GROUP BY indicator" 1.50
			bench_pair "$name" "whole table" $mode "$set" \
				"SELECT $cexpr FROM bench_data" "SELECT $sexpr FROM bench_data" 1.50
		done
	done
else
	score_note="score(scoring_rule, float8) does not exist in this build yet (it comes with the scoring_rule type); the score() rows were skipped."
	echo "bench: skipped score(): $score_note"
fi

# Correctness on the benchmark data: the C mean against the same formula
# over numeric, and the C median against the SQL median.
echo "bench: checking weighted_mean against numeric over $ROWS rows"
mean_check=$(q "SELECT abs(weighted_mean(x, w)::numeric - sum(x::numeric * w::numeric) / sum(w::numeric))
	/ abs(sum(x::numeric * w::numeric) / sum(w::numeric)) FROM bench_data")
mean_ok=$(q "SELECT $mean_check::numeric < 1e-12")
median_check=$(q "SELECT max(abs(c.m - s.median) / abs(s.median)) FROM
	(SELECT indicator, weighted_median(x, w) AS m FROM bench_data GROUP BY indicator) c
	JOIN ($(median_sql 'PARTITION BY indicator ' 'indicator,')) s USING (indicator)")
[ "$mean_ok" = t ] || verdicts+=("weighted_mean differs from the numeric reference by $mean_check relative")

# Machine and settings.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
pgver=$(q "SELECT version()")
pgset=$(q "SELECT string_agg(name || ' = ' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings
	WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'max_parallel_workers',
		'parallel_leader_participation', 'jit', 'max_worker_processes')")
dtiver=$(q "SELECT extversion FROM pg_extension WHERE extname = 'dti'")

mkdir -p "$(dirname "$OUT")"
# The sections the other benchmark scripts wrote (between their markers)
# are kept after this script's part.
sections=$(mktemp)
[ -f "$OUT" ] && sed -n '/^<!-- [a-z0-9_-]*:start -->$/,$p' "$OUT" >"$sections"
{
	echo "# Benchmarks"
	echo
	echo "Generated by \`make bench\` (test/bench/run.sh); rerun it to refresh this file."
	echo "$ROWS rows over 100 indicators from test/bench/generate.sql (seeded, the same on"
	echo "every run), each C aggregate or \`score()\` against the best plain SQL for the same"
	echo "result, on the same table, without parallel workers (serial) and with up to 2"
	echo "(parallel).  Times are wall-clock milliseconds as psql reports them, the median of"
	echo "$RUNS runs after one warm-up run (the table is cached).  *C/SQL* is the C time"
	echo "divided by the SQL time; the targets: weighted_mean <= 1.30, weighted_median <= 0.33"
	echo "(3x faster), score() <= 1.50.  *par.* says whether the plan aggregated in parallel"
	echo "workers (Partial Aggregate)."
	echo
	echo "## Machine"
	echo
	echo "- CPUs (nproc): $(nproc); model: $cpu"
	echo "- Memory: $mem"
	echo "- PostgreSQL: $pgver"
	echo "- dti: $dtiver"
	echo "- Settings: $pgset; fsync off (throwaway cluster)"
	echo
	echo "## Results"
	echo
	echo "| computation | scope | workers | C ms | par. | plain SQL ms | par. | C/SQL | target | met |"
	echo "|---|---|---|---:|---|---:|---|---:|---|---|"
	printf '%s\n' "${rows_md[@]}"
	echo
	[ -n "$score_note" ] && { echo "$score_note"; echo; }
	echo "## Plain SQL used"
	echo
	echo "- weighted_mean: \`sum(x * w) / sum(w)\`"
	echo "- weighted_geomean: \`exp(sum(w * ln(x)) / sum(w))\`"
	echo "- weighted_harmonic: \`sum(w) / sum(w / x)\`"
	echo "- score(): CASE expressions (target: clamp of x / 80; piecewise: linear pieces; steps:"
	echo "  highest threshold reached), checked equal to score() on every row before timing."
	echo "- weighted_median (by indicator; the whole-table form drops PARTITION BY):"
	echo
	echo '```sql'
	median_sql 'PARTITION BY indicator ' 'indicator,'
	echo '```'
	echo
	echo "## Correctness on the benchmark data"
	echo
	echo "- weighted_mean against \`sum(x::numeric * w::numeric) / sum(w::numeric)\` over all"
	echo "  $ROWS rows: relative difference $mean_check (< 1e-12: $mean_ok)."
	echo "- weighted_median against the SQL median above, per indicator: largest relative"
	echo "  difference $median_check."
	echo
	if [ ${#verdicts[@]} -gt 0 ]; then
		echo "## Missed"
		echo
		printf -- '- %s\n' "${verdicts[@]}"
	else
		echo "Every target was met in this run."
	fi
	if [ -s "$sections" ]; then
		echo
		cat "$sections"
	fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "bench: wrote $OUT"
if [ ${#verdicts[@]} -gt 0 ]; then
	printf 'bench: missed: %s\n' "${verdicts[@]}"
fi
