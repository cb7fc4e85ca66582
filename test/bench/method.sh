#!/usr/bin/env bash
# make bench, method part: sobol_sensitivity() over 63 units x 100 leaves x
# 4 levels (index -> 4 pillars -> 20 main indicators -> 100 leaves, the
# framework of test/bench/ranking.sh) with 4 uncertainty sources (the
# weights of levels 2 and 3, the methods of level 2, and a data source of
# two normalisations: the leaf values and their square roots), 1,000 base
# samples (6,000 model runs) and 200 bootstrap resamples, against the
# 2-second target on one core.  Median of BENCH_RUNS runs after a warm-up
# run.  Then pipeline(): PIPELINE_UNITS units (100,000 by default) x 100
# leaves plus a population, 10.1M raw rows with the default, through
# denominate (5 leaves by the population), impute (mean; 5 leaves with 1%
# NULL values, one with 0.5% absent rows), treat outliers (one heavy-tailed
# leaf), normalise (minmax) and aggregate, scorecards held in memory and
# audit rows written, next to the floor sum(value) GROUP BY unit over the
# same rows, with parallel workers for both.  Writes its section of docs/benchmarks.md between the method
# markers (BENCH_OUT elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

BASE=${SOBOL_BASE:-1000}
UNITS=${PIPELINE_UNITS:-100000}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-docs/benchmarks.md}
DB=dti_bench_method

make -s all >/dev/null
install_build >/dev/null

cluster_start "max_parallel_workers_per_gather = 0"
trap cluster_stop EXIT
createdb $DB
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1"; }
q 'CREATE EXTENSION dti'

psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
CREATE TABLE node (code indicator_code PRIMARY KEY, parent indicator_code, max_points float8);
INSERT INTO node VALUES ('IDX', NULL, NULL);
INSERT INTO node SELECT ('P' || p)::indicator_code, 'IDX', NULL FROM generate_series(1, 4) p;
INSERT INTO node SELECT ('P' || p || '.' || m)::indicator_code, ('P' || p)::indicator_code, NULL
	FROM generate_series(1, 4) p, generate_series(1, 5) m;
INSERT INTO node SELECT ('P' || p || '.' || m || '.' || l)::indicator_code, ('P' || p || '.' || m)::indicator_code, 2 + (p * 7 + m * 3 + l) % 9
	FROM generate_series(1, 4) p, generate_series(1, 5) m, generate_series(1, 5) l;
CREATE TABLE fw AS SELECT framework_compile(array_agg(code), array_agg(parent), array_agg(max_points)) AS fw FROM node;
CREATE TABLE bench_leaf (up int, code indicator_code, value float8);
INSERT INTO bench_leaf
SELECT up, l.code, 0.001 + ((up * 7919 + row_number() OVER (PARTITION BY up ORDER BY l.code) * 104729) % 1000) / 1000.0
FROM generate_series(1, 63) up, node l WHERE l.max_points IS NOT NULL;
CREATE TABLE cards AS SELECT up, rollup((SELECT fw FROM fw), code, value) AS sc FROM bench_leaf GROUP BY up;
CREATE TABLE cards_sqrt AS SELECT up, rollup((SELECT fw FROM fw), code, sqrt(value)) AS sc FROM bench_leaf GROUP BY up;
SQL

time_once() {
	psql -X -q -v ON_ERROR_STOP=1 -d $DB -o /dev/null -c '\timing on' -c "$1" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
time_median() {
	local i times=()
	time_once "$1" >/dev/null
	for ((i = 0; i < RUNS; i++)); do times+=("$(time_once "$1")"); done
	printf '%s\n' "${times[@]}" | sort -g | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

ARGS="(SELECT fw FROM fw), (SELECT array_agg(up::text ORDER BY up) FROM cards), (SELECT array_agg(sc ORDER BY up) FROM cards)"
SOURCES="'{weights:2,weights:3,methods:2,data:normalisation}'"
sobol() {
	echo "SELECT count(*), sum(total_effect) FROM sobol_sensitivity($ARGS, $SOURCES, $BASE, 2026,
		bootstrap => $1, variants => (SELECT array_agg(sc ORDER BY up) FROM cards_sqrt), variant_counts => '{2}')"
}
t_full=$(time_median "$(sobol 200)")
t_noboot=$(time_median "$(sobol 0)")
met=$(awk -v t="$t_full" 'BEGIN { print (t < 2000) ? "yes" : "NO" }')
shift_row=$(q "SELECT string_agg(source || ' ' || round(first_order::numeric, 3) || ' [' || round(first_low::numeric, 3) || ', ' || round(first_high::numeric, 3) || '] / ' || round(total_effect::numeric, 3) || ' [' || round(total_low::numeric, 3) || ', ' || round(total_high::numeric, 3) || ']', '; ')
	FROM sobol_sensitivity($ARGS, $SOURCES, $BASE, 2026, variants => (SELECT array_agg(sc ORDER BY up) FROM cards_sqrt), variant_counts => '{2}')
	WHERE measure = 'mean_abs_rank_shift'")
echo "bench method: sobol_sensitivity, $BASE base samples, 4 sources: $t_full ms with 200 bootstrap resamples, $t_noboot ms without (under 2 s: $met)"
echo "bench method: mean absolute rank shift, S [95%] / ST [95%]: $shift_row"

# pipeline(): the raw rows (leaf k: 1-5 counts denominated by POP, 6-10 with
# 1% NULL values, 11 heavy-tailed, 13 with 0.5% absent rows, the rest uniform)
psql -X -q -v ON_ERROR_STOP=1 -v units="$UNITS" -d $DB <<'SQL'
CREATE TABLE pl_leaf AS SELECT code, row_number() OVER (ORDER BY code)::int AS k FROM node WHERE max_points IS NOT NULL;
CREATE TABLE pl_fw AS SELECT framework_rules(fw, (SELECT array_agg(code) FROM pl_leaf),
	(SELECT array_agg('minmax'::scoring_rule) FROM pl_leaf)) AS fw FROM fw;
CREATE TABLE pl_raw (unit text, code indicator_code, value float8);
INSERT INTO pl_raw
SELECT 'u' || u, l.code,
	   CASE WHEN l.k <= 5 THEN (1000 + (u::bigint * 7919) % 100000) * (1 + ((u::bigint * 7919 + l.k * 104729) % 1000) / 1000.0)
			WHEN l.k <= 10 AND (u * 31 + l.k) % 100 = 0 THEN NULL
			WHEN l.k = 11 THEN exp(((u::bigint * 7919 + l.k) % 1000) / 100.0)
			ELSE ((u::bigint * 7919 + l.k * 104729) % 1000) / 1000.0 END
FROM generate_series(1, :units) u, pl_leaf l
WHERE NOT (l.k = 13 AND u % 200 = 0)
UNION ALL
SELECT 'u' || u, 'POP', 1000 + (u::bigint * 7919) % 100000 FROM generate_series(1, :units) u;
VACUUM ANALYZE pl_raw;
CREATE TABLE pl_audit (step integer, name text, parameters jsonb, effects jsonb,
	unit text, code text, original float8, value float8, note text);
SQL
raw_rows=$(q "SELECT count(*) FROM pl_raw")
# The floor and the pipeline take turns, each once as a warm-up, then RUNS
# times; medians.  The pipeline's scorecards stay in memory (work_mem large
# enough for its result, about 7.7 kB a scorecard), and its phases' times
# come from its DEBUG1 line.
PAR="SET max_parallel_workers_per_gather = 2;"
FLOOR="$PAR SELECT count(*) FROM (SELECT unit, sum(value) FROM pl_raw GROUP BY unit) x"
PIPE="SELECT count(*), sum(root_value(p.sc)) FROM pl_fw,
	pipeline(fw, 'pl_raw', 'pl_audit', (SELECT array_agg(code) FROM pl_leaf WHERE k <= 5),
		array_fill('POP'::indicator_code, ARRAY[5]), array_fill(1000::float8, ARRAY[5]), 'mean') p"
pipe_once() {	# prints "total read denominate impute treat_outliers normalise aggregate audit_cells"
	psql -X -q -v ON_ERROR_STOP=1 -d $DB -o /dev/null -c "TRUNCATE pl_audit" \
		-c "$PAR SET work_mem = '2GB'; SET client_min_messages = debug1" -c '\timing on' -c "$PIPE" 2>&1 |
		awk '/^Time:/ { t = $2 } /pipeline: ms/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.;]+$/ && n < 7) { sub(";", "", $i); ph[++n] = $i } }
			 END { printf "%s", t; for (i = 1; i <= 7; i++) printf " %s", ph[i]; print "" }'
}
time_once "$FLOOR" >/dev/null
pipe_once >/dev/null
floors=() pipes=()
for ((i = 0; i < RUNS; i++)); do
	floors+=("$(time_once "$FLOOR")")
	pipes+=("$(pipe_once)")
done
t_floor=$(printf '%s\n' "${floors[@]}" | sort -g | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
# the pipeline run of median total time, with its phases
pipe_row=$(printf '%s\n' "${pipes[@]}" | sort -g | awk '{ r[NR] = $0 } END { print r[int((NR + 1) / 2)] }')
read -r t_pipe ph_read ph_den ph_imp ph_treat ph_norm ph_agg ph_audit <<<"$pipe_row"
audit_rows=$(q "SELECT count(*) FROM pl_audit")
audit_cells=$(q "SELECT string_agg(name || ' ' || (effects ->> 'cells'), ', ' ORDER BY step) FROM pl_audit WHERE unit IS NULL AND effects ? 'cells'")
ratio=$(awk -v a="$t_pipe" -v b="$t_floor" 'BEGIN { printf "%.1f", a / b }')
pmet=$(awk -v r="$ratio" 'BEGIN { print (r <= 4) ? "yes" : "NO" }')
ph_rest=$(awk -v t="$t_pipe" -v a="$ph_read" -v b="$ph_den" -v c="$ph_imp" -v d="$ph_treat" -v e="$ph_norm" -v f="$ph_agg" 'BEGIN { printf "%.1f", t - a - b - c - d - e - f }')
share() { awk -v a="$1" -v t="$t_pipe" 'BEGIN { printf "%.0f%%", 100 * a / t }'; }
load_pipe=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench method: pipeline on $raw_rows raw rows: $t_pipe ms, floor $t_floor ms: ${ratio}x (within 4x: $pmet); audit rows $audit_rows ($audit_cells)"
echo "bench method: pipeline phases (ms): read $ph_read, denominate $ph_den, impute $ph_imp, treat_outliers $ph_treat, normalise $ph_norm, aggregate $ph_agg (of which writing cell rows $ph_audit); runs: floor ${floors[*]}; pipeline $(printf '%s\n' "${pipes[@]}" | cut -d' ' -f1 | tr '\n' ' ')"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
load=$(cut -d' ' -f1-3 /proc/loadavg)
section=$(mktemp)
{
	echo "<!-- method:start -->"
	echo "## Method: Sobol sensitivity analysis"
	echo
	echo "Generated by \`test/bench/method.sh\` (part of \`make bench\`). Median of $RUNS runs after a"
	echo "warm-up, milliseconds, one backend (max_parallel_workers_per_gather = 0; the function"
	echo "runs on one core). Machine: $(nproc) CPUs ($cpu), $mem, PostgreSQL $(pg_config --version | cut -d' ' -f2);"
	echo "load average $load when the section was written (the machine is shared)."
	echo
	echo "63 units x 100 leaves x 4 levels (the framework of the ranking section); 4 uncertainty"
	echo "sources: weights:2 (4 inputs), weights:3 (20 inputs), methods:2, data:normalisation (2"
	echo "variants: the leaf values and their square roots); $BASE base samples, that is"
	echo "$((BASE * 6)) model runs of 63 units each; seed 2026. Target: under 2 seconds on one core."
	echo
	echo "| computation | ms |"
	echo "|---|---:|"
	echo "| sobol_sensitivity(), 200 bootstrap resamples | $t_full |"
	echo "| sobol_sensitivity(), no bootstrap | $t_noboot |"
	echo
	echo "Target met: $met. Indices of the mean absolute rank shift, first order [95%] / total"
	echo "effect [95%]: $shift_row."
	echo
	echo "### Method: the pipeline from raw rows to scorecards"
	echo
	echo "\`pipeline()\` on $raw_rows raw rows ($UNITS units x 100 leaves and a population): denominate"
	echo "(5 leaves by the population, scale 1000), impute (mean; 5 leaves with 1% NULL values, one"
	echo "with 0.5% absent rows), treat outliers (one heavy-tailed leaf, log_ct: all its cells), normalise"
	echo "(minmax) and aggregate; the scorecards counted in the query, held in memory (work_mem 2GB for"
	echo "the function's result, about 7.7 kB a scorecard), the audit rows written to a table."
	echo "The floor: \`SELECT count(*) FROM (SELECT unit, sum(value) FROM pl_raw GROUP BY unit) x\`."
	echo "Both with max_parallel_workers_per_gather = 2 (the floor uses two workers; the pipeline reads"
	echo "the rows in its own backend). The floor and the pipeline take turns in one run, a warm-up each,"
	echo "then $RUNS runs each; medians. Load average $load_pipe after these runs."
	echo
	echo "| computation | ms |"
	echo "|---|---:|"
	echo "| floor: sum(value) GROUP BY unit | $t_floor |"
	echo "| pipeline(): denominate, impute, treat outliers, normalise, aggregate | $t_pipe |"
	echo
	echo "Ratio ${ratio}x; target within 4x: $pmet. Audit rows written: $audit_rows ($audit_cells cells)."
	echo
	echo "Where the pipeline's time goes (the run of median time; its DEBUG1 line; each step includes"
	echo "writing its audit rows):"
	echo
	echo "| phase | ms | share |"
	echo "|---|---:|---:|"
	echo "| read the raw rows (one statement, rows into the in-memory matrix) | $ph_read | $(share "$ph_read") |"
	echo "| denominate | $ph_den | $(share "$ph_den") |"
	echo "| impute | $ph_imp | $(share "$ph_imp") |"
	echo "| treat outliers | $ph_treat | $(share "$ph_treat") |"
	echo "| normalise (statistics) | $ph_norm | $(share "$ph_norm") |"
	echo "| aggregate (scorecards into the result) | $ph_agg | $(share "$ph_agg") |"
	echo "| (within denominate, impute and treat outliers: writing the audit's cell rows) | $ph_audit | $(share "$ph_audit") |"
	echo "| the rest (sorting the units, summary rows, the query around the call) | $ph_rest | $(share "$ph_rest") |"
	echo "<!-- method:end -->"
} >"$section"

replace_section method "$section" "$OUT"
rm -f "$section"
echo "bench method: wrote its section of $OUT"
