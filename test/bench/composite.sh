#!/usr/bin/env bash
# make bench, composite part: the whole composite (each leaf scored by its
# rule relative to all units, then arithmetic means up a 4-level tree: 100
# leaves under 20 main indicators under 4 pillars) on 100,000 units x 100
# leaves = 10 million leaf rows, min-max and z-score variants, serial and
# with 2 parallel workers, side by side in one run:
#   floor      SELECT u, sum(v) FROM leaf GROUP BY u
#   one scan   the fast form docs/scoring.md and docs/rollup.md show first:
#              leaf_vector() GROUP BY unit once (a materialized CTE), the
#              statistics over the vectors, composite(fw, stats, vector) per
#              unit; its three parts are also timed alone (over a table of
#              the vectors), for their shares
#   composite  leaf_stats() over all rows as an initial subplan, then
#              composite() GROUP BY unit, in one statement (the two-pass
#              form of dti 0.9.0, self-contained states); each pass is also
#              timed alone, for its share
#   score+rollup  yesterday's best dti form: indicator_stats() per leaf into
#              a table, then score() joined to it inside rollup()
#   window, CTE   the forms the docs showed first before (one run each:
#              they are slow)
#   plain SQL  the baseline, fixed: the statistics per leaf into a table
#              (min/max, or avg/stddev_samp), then a GROUP BY chain up the
#              tree, both statements counted
# Every timed query consumes its aggregate's result (sum(root_value(sc))):
# under a bare count(*) the planner drops an unused aggregate and times
# only the scan.  Medians of BENCH_RUNS runs (default 3) after a warm-up,
# the queries of a mode taking turns.  PERF (default 1) scales the units
# (PERF=0.2: 20,000 units) while iterating.  Writes its section of
# docs/benchmarks.md (BENCH_OUT elsewhere) with the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

PERF=${PERF:-1}
NUNITS=$(awk -v p="$PERF" 'BEGIN { printf "%d", 100000 * p }')
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-docs/benchmarks.md}
DB=dti_bench_composite

make -s all >/dev/null
install_build >/dev/null

cluster_start "shared_buffers = '2GB'
work_mem = '1GB'
jit = off
max_parallel_workers_per_gather = 2"
trap cluster_stop EXIT
createdb $DB
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1"; }
q 'CREATE EXTENSION dti'

echo "bench composite: generating $NUNITS units x 100 leaves"
psql -X -q -v ON_ERROR_STOP=1 -v n="$NUNITS" -d $DB <<'SQL'
CREATE TABLE fw(code text primary key, parent text, lvl int, w float8);
INSERT INTO fw VALUES ('R', NULL, 0, 1);
INSERT INTO fw SELECT 'P' || p, 'R', 1, 1 FROM generate_series(1, 4) p;
INSERT INTO fw SELECT 'P' || p || '.' || m, 'P' || p, 2, 1 FROM generate_series(1, 4) p, generate_series(1, 5) m;
INSERT INTO fw SELECT 'P' || p || '.' || m || '.' || l, 'P' || p || '.' || m, 3, 1
	FROM generate_series(1, 4) p, generate_series(1, 5) m, generate_series(1, 5) l;
SELECT setseed(0.42);
CREATE TABLE leaf AS SELECT u, f.code, f.code::indicator_code icode, random() v
	FROM generate_series(1, :n) u, fw f WHERE f.lvl = 3;
VACUUM ANALYZE leaf;
ANALYZE fw;
CREATE TABLE fwc AS SELECT framework_compile(array_agg(code::indicator_code ORDER BY code),
	array_agg(parent::indicator_code ORDER BY code), array_agg(NULL::float8 ORDER BY code),
	weights => array_agg(CASE WHEN parent IS NULL THEN NULL ELSE w END ORDER BY code),
	methods => array_agg(CASE WHEN lvl < 3 THEN 'amean' END ORDER BY code)) AS fw FROM fw;
-- the same tree carrying each leaf's rule, one framework per variant
CREATE TABLE fwr AS
	SELECT r.variant, framework_rules((SELECT fw FROM fwc), array_agg(f.code::indicator_code), array_agg(r.rule)) AS fw
	FROM fw f, (VALUES ('minmax', 'minmax(0, 100)'::scoring_rule), ('zscore', 'zscore'::scoring_rule)) r(variant, rule)
	WHERE f.lvl = 3 GROUP BY r.variant;
SQL

time_once() {
	psql -X -q -v ON_ERROR_STOP=1 -d $DB -o /dev/null -c "$1" -c '\timing on' -c "$2" |
		awk '/^Time:/ { s += $2 } END { if (NR == 0) exit 1; printf "%.1f\n", s }'
}
median() {
	tr ' ' '\n' | awk 'NF' | sort -g | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}
plan_kind() {
	if psql -X -q -At -d $DB -c "$1" -c "EXPLAIN (COSTS OFF) $2" | grep -q Partial; then echo parallel; else echo serial; fi
}

FLOOR_Q="SELECT count(*), sum(s) FROM (SELECT u, sum(v) s FROM leaf GROUP BY u) x"
# per variant: the rule, the plain SQL statistics and the plain SQL score
declare -A RULE STATS_SQL NORM_SQL
RULE[minmax]="minmax(0, 100)"
STATS_SQL[minmax]="min(v) a, max(v) b"
NORM_SQL[minmax]="100 * (l.v - st.a) / (st.b - st.a)"
RULE[zscore]="zscore"
STATS_SQL[zscore]="avg(v) a, stddev_samp(v) b"
NORM_SQL[zscore]="(l.v - st.a) / st.b"

composite_q() {	# the documented form: one statement, the statistics as an initial subplan
	echo "SELECT count(*), sum(root_value(sc)) FROM (
	SELECT u, composite((SELECT fw FROM fwr WHERE variant = '$1'),
		(SELECT leaf_stats((SELECT fw FROM fwr WHERE variant = '$1'), icode, v) FROM leaf),
		icode, v) AS sc
	FROM leaf GROUP BY u) s"
}
onescan_q() {	# the fast form: the vectors once, statistics over them, scoring
	echo "WITH v AS MATERIALIZED (SELECT u, leaf_vector((SELECT fw FROM fwr WHERE variant = '$1'), icode, v) AS lv FROM leaf GROUP BY u),
	s AS (SELECT leaf_stats((SELECT fw FROM fwr WHERE variant = '$1'), lv) AS st FROM v)
SELECT count(*), sum(root_value(composite((SELECT fw FROM fwr WHERE variant = '$1'), (SELECT st FROM s), lv))) FROM v"
}
vec_pass_q() {
	echo "SELECT count(*), sum(leaf_count(lv)) FROM (SELECT u, leaf_vector((SELECT fw FROM fwr WHERE variant = '$1'), icode, v) AS lv FROM leaf GROUP BY u) s"
}
vec_stats_q() {
	echo "SELECT pg_column_size(leaf_stats((SELECT fw FROM fwr WHERE variant = '$1'), lv)) FROM v_$1"
}
vec_score_q() {
	echo "SELECT count(*), sum(root_value(composite((SELECT fw FROM fwr WHERE variant = '$1'), (SELECT st FROM st_$1), lv))) FROM v_$1"
}
stats_pass_q() {
	echo "SELECT pg_column_size(leaf_stats((SELECT fw FROM fwr WHERE variant = '$1'), icode, v)) FROM leaf"
}
score_pass_q() {
	echo "SELECT count(*), sum(root_value(sc)) FROM (
	SELECT u, composite((SELECT fw FROM fwr WHERE variant = '$1'), (SELECT st FROM st_$1), icode, v) AS sc
	FROM leaf GROUP BY u) s"
}
rollup_q() {
	echo "DROP TABLE IF EXISTS st_t; CREATE TABLE st_t AS SELECT icode, indicator_stats(v) st FROM leaf GROUP BY icode; ANALYZE st_t;
SELECT count(*), sum(root_value(sc)) FROM (SELECT l.u, rollup((SELECT fw FROM fwc), l.icode, score('${RULE[$1]}', l.v, st.st)) sc
	FROM leaf l JOIN st_t st USING (icode) GROUP BY l.u) s"
}
window_q() {
	echo "SELECT count(*), sum(root_value(sc)) FROM (SELECT u, rollup((SELECT fw FROM fwc), icode, f) sc FROM (
	SELECT u, icode, score('${RULE[$1]}', v, indicator_stats(v) OVER (PARTITION BY icode)) f FROM leaf) x GROUP BY u) s"
}
cte_q() {
	echo "WITH s AS (SELECT icode, indicator_stats(v) st FROM leaf GROUP BY icode)
SELECT count(*), sum(root_value(sc)) FROM (SELECT l.u, rollup((SELECT fw FROM fwc), l.icode, score('${RULE[$1]}', l.v, s.st)) sc
	FROM leaf l JOIN s USING (icode) GROUP BY l.u) x"
}
sql_q() {
	echo "DROP TABLE IF EXISTS st_p; CREATE TABLE st_p AS SELECT code, ${STATS_SQL[$1]} FROM leaf GROUP BY code; ANALYZE st_p;
WITH n AS (SELECT l.u, l.code, ${NORM_SQL[$1]} v FROM leaf l JOIN st_p st USING (code)),
	l2 AS (SELECT l.u, f.parent code, avg(l.v) v FROM n l JOIN fw f USING (code) GROUP BY l.u, f.parent),
	l1 AS (SELECT l.u, f.parent code, avg(l.v) v FROM l2 l JOIN fw f USING (code) GROUP BY l.u, f.parent),
	l0 AS (SELECT l.u, f.parent code, avg(l.v) v FROM l1 l JOIN fw f USING (code) GROUP BY l.u, f.parent)
SELECT count(*), sum(v) FROM (SELECT * FROM l2 UNION ALL SELECT * FROM l1 UNION ALL SELECT * FROM l0) x"
}

# Agreement: composite() equals score() + rollup() given the same
# statistics, scorecard by scorecard, as text (serial: the same bits), on
# the first 5,000 units (test/pgtap/composite.sql compares every node).
agree=()
for v in minmax zscore; do
	q "CREATE TABLE st_$v AS SELECT leaf_stats((SELECT fw FROM fwr WHERE variant = '$v'), icode, v) AS st FROM leaf"
	same=$(psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "SET max_parallel_workers_per_gather = 0" -c "
	WITH a AS (SELECT u, composite((SELECT fw FROM fwr WHERE variant = '$v'), (SELECT st FROM st_$v), icode, v)::text sc FROM leaf WHERE u <= 5000 GROUP BY u),
	b AS (SELECT u, rollup((SELECT fw FROM fwr WHERE variant = '$v'), icode,
		score('${RULE[$v]}', v, leaf_stats_of((SELECT st FROM st_$v), (SELECT fw FROM fwr WHERE variant = '$v'), icode)))::text sc FROM leaf WHERE u <= 5000 GROUP BY u)
	SELECT count(*) FILTER (WHERE a.sc = b.sc) || ' of ' || count(*) FROM a JOIN b USING (u)")
	q "CREATE TABLE v_$v AS SELECT u, leaf_vector((SELECT fw FROM fwr WHERE variant = '$v'), icode, v) AS lv FROM leaf GROUP BY u; ANALYZE v_$v"
	same_v=$(psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "SET max_parallel_workers_per_gather = 0" -c "
	WITH a AS (SELECT u, composite((SELECT fw FROM fwr WHERE variant = '$v'), (SELECT st FROM st_$v), icode, v)::text sc FROM leaf WHERE u <= 5000 GROUP BY u),
	b AS (SELECT u, composite((SELECT fw FROM fwr WHERE variant = '$v'), (SELECT st FROM st_$v), lv)::text sc FROM v_$v WHERE u <= 5000)
	SELECT count(*) FILTER (WHERE a.sc = b.sc) || ' of ' || count(*) FROM a JOIN b USING (u)")
	o_sum=$(q "$(onescan_q $v)" | cut -d'|' -f2)
	agree+=("$v: composite(fw, stats, vector) gives the scorecards of composite(fw, stats, code, value) on $same_v units compared (sum of all roots in one scan: $o_sum)")
	echo "bench composite: ${agree[-1]}"
	c_sum=$(q "$(composite_q $v)" | cut -d'|' -f2)
	agree+=("$v: composite() gives the scorecards of score() + rollup() on $same units compared (sum of all roots: $c_sum)")
	echo "bench composite: ${agree[-1]}"
done

SERIAL="SET max_parallel_workers_per_gather = 0"
PARALLEL="SET max_parallel_workers_per_gather = 2"
rows=()
for v in minmax zscore; do
	CASES=("floor|$FLOOR_Q" "one scan|$(onescan_q $v)" "part 1: leaf_vector() GROUP BY unit|$(vec_pass_q $v)"
		"part 2: leaf_stats(fw, vector)|$(vec_stats_q $v)" "part 3: composite(fw, stats, vector)|$(vec_score_q $v)"
		"composite|$(composite_q $v)" "pass 1: leaf_stats()|$(stats_pass_q $v)"
		"pass 2: composite()|$(score_pass_q $v)" "score() + rollup()|$(rollup_q $v)" "plain SQL|$(sql_q $v)")
	SLOW=("window form|$(window_q $v)" "CTE form|$(cte_q $v)")
	for mode in serial parallel; do
		if [ $mode = serial ]; then set=$SERIAL; else set=$PARALLEL; fi
		times=()
		for i in "${!CASES[@]}"; do
			time_once "$set" "${CASES[$i]#*|}" >/dev/null
			times[$i]=""
		done
		for ((r = 0; r < RUNS; r++)); do
			for i in "${!CASES[@]}"; do
				times[$i]="${times[$i]} $(time_once "$set" "${CASES[$i]#*|}")"
			done
		done
		for i in "${!CASES[@]}"; do
			name=${CASES[$i]%%|*}
			t=$(echo "${times[$i]}" | median)
			query=${CASES[$i]#*|}
			kind=$(plan_kind "$set" "${query##*;}")
			echo "bench composite: $v, $mode, $name: $t ms ($kind; runs:${times[$i]})"
			rows+=("$v|$mode|$name|$t|$kind")
		done
		if [ "${COMPOSITE_SLOW_FORMS:-1}" = 1 ]; then
			for c in "${SLOW[@]}"; do
				t=$(time_once "$set" "${c#*|}")
				echo "bench composite: $v, $mode, ${c%%|*}: $t ms (one run)"
				rows+=("$v|$mode|${c%%|*} (one run)|$t|")
			done
		fi
	done
done

# The plan of the documented form with 2 workers: the statistics are an
# initial subplan computed once (loops=1) before the workers start.
explain=$(psql -X -q -At -d $DB -c "$PARALLEL" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(composite_q minmax)")
echo "$explain"
initplan_loops=$(echo "$explain" | awk '/InitPlan/ { getline; while ($0 !~ /Partial Aggregate/ && getline) ; print; exit }')
explain_v=$(psql -X -q -At -d $DB -c "$PARALLEL" -c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) $(onescan_q minmax)")
echo "$explain_v"
lv_size=$(q "SELECT round(avg(pg_column_size(lv))) FROM v_minmax")
cs_size=$(q "SELECT pg_column_size(composite_step(NULL, (SELECT fw FROM fwr WHERE variant = 'minmax'), (SELECT st FROM st_minmax), 'P1.1.1', 0.5))")

section=$(mktemp)
{
	echo "<!-- composite:start -->"
	echo "## The whole composite: leaf rules, statistics and roll-up"
	echo
	echo "Generated by \`test/bench/composite.sh\` (part of \`make bench\`) in one run. $NUNITS units x"
	echo "100 leaves = $((NUNITS * 100)) leaf rows (seeded random values), each leaf scored by a relative"
	echo "rule (\`minmax(0, 100)\`, or \`zscore\`), then arithmetic means up a 4-level tree (100 leaves,"
	echo "20 main indicators, 4 pillars, the index). Median of $RUNS runs after a warm-up, milliseconds, the"
	echo "queries of a variant and mode taking turns; the window and CTE forms one run each. Every"
	echo "query consumes its aggregate's result (\`sum(root_value(sc))\`). work_mem = 1GB, jit off,"
	echo "serial = \`max_parallel_workers_per_gather = 0\`, 2 workers = 2."
	echo
	echo "- Machine: $(nproc) vCPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB, shared with"
	echo "  other work: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end of the run."
	echo "- PostgreSQL: $(q 'SHOW server_version'); dti $(q "SELECT extversion FROM pg_extension WHERE extname = 'dti'")."
	echo
	echo "| variant | workers | form | ms | plan | / floor |"
	echo "|---|---|---|---:|---|---:|"
	for r in "${rows[@]}"; do
		IFS='|' read -r v m name t kind <<<"$r"
		f=
		for r2 in "${rows[@]}"; do
			IFS='|' read -r v2 m2 n2 t2 _ <<<"$r2"
			[ "$v2" = "$v" ] && [ "$m2" = "$m" ] && [ "$n2" = floor ] && f=$t2
		done
		echo "| $v | $m | $name | $t | $kind | $(awk -v a="$t" -v b="$f" 'BEGIN { printf "%.2f", a / b }') |"
	done
	echo
	echo "Targets: the whole composite at most 2.5 times the floor (aim 1.5), the plain SQL at"
	echo "least 4 times its time. The one-scan form over leaf vectors (dti 0.10.0):"
	echo
	for v in minmax zscore; do
		for m in serial parallel; do
			printf '%s\n' "${rows[@]}" | awk -F'|' -v v=$v -v m=$m '
				$1 == v && $2 == m { t[$3] = $4 }
				END {
					c = t["one scan"]; p1 = t["part 1: leaf_vector() GROUP BY unit"]; p2 = t["part 2: leaf_stats(fw, vector)"]; p3 = t["part 3: composite(fw, stats, vector)"]; p = p1 + p2 + p3
					printf "- %s, %s: one scan %.2f x the floor (target <= 2.5: %s; aim 1.5: %s); plain SQL %.2f x one scan (target >= 4: %s); parts alone: vectors %.0f ms (%.0f%%), statistics over them %.0f ms (%.0f%%), scoring and roll-up %.0f ms (%.0f%%).\n",
						v, (m == "serial" ? "serial" : "2 workers"), c / t["floor"], (c / t["floor"] <= 2.5 ? "met" : "NOT met"), (c / t["floor"] <= 1.5 ? "met" : "not met"),
						t["plain SQL"] / c, (t["plain SQL"] / c >= 4 ? "met" : "NOT met"), p1, 100 * p1 / p, p2, 100 * p2 / p, p3, 100 * p3 / p
				}'
		done
	done
	echo
	echo "The two-pass form of dti 0.9.0 (composite(fw, stats, code, value), self-contained states), for comparison:"
	echo
	for v in minmax zscore; do
		for m in serial parallel; do
			printf '%s\n' "${rows[@]}" | awk -F'|' -v v=$v -v m=$m '
				$1 == v && $2 == m { t[$3] = $4 }
				END {
					c = t["composite"]; s1 = t["pass 1: leaf_stats()"]; s2 = t["pass 2: composite()"]
					printf "- %s, %s: composite %.2f x the floor; plain SQL %.2f x composite; passes alone: leaf_stats() %.0f ms (%.0f%%), composite() %.0f ms (%.0f%%).\n",
						v, (m == "serial" ? "serial" : "2 workers"), c / t["floor"],
						t["plain SQL"] / c, s1, 100 * s1 / (s1 + s2), s2, 100 * s2 / (s1 + s2)
				}'
		done
	done
	echo
	echo "Agreement (serial): ${agree[0]}; ${agree[1]}; ${agree[2]}; ${agree[3]}."
	echo
	echo "With 2 workers the statistics are an initial subplan computed once, before the workers"
	echo "start (EXPLAIN ANALYZE of the min-max form: \`$(echo "$explain" | grep -B1 -m1 'Finalize Aggregate' | head -1 | sed 's/^ *//')\`, then"
	echo "\`$(echo "$explain" | grep -m1 'Finalize Aggregate' | sed 's/^ *//')\`). The second pass's partial states"
	echo "carry the tree they roll up through (the framework's binary form, about 3 kB for these 125"
	echo "nodes, next to 0.9 kB of values), so that they are self-contained: $(echo "$explain" | grep -A0 'Gather (actual' | tail -1 | sed 's/.*rows=\([0-9]*\).*/\1/') partial states of"
	echo "about 4 kB cross from the workers to the leader, which then evaluates every scorecard alone;"
	echo "that is what keeps the parallel second pass from scaling like the floor."
	echo
	echo "The one-scan form's partial states are leaf vectors, values only: $lv_size bytes on average"
	echo "here, against $cs_size bytes for a composite_state of one leaf (EXPLAIN ANALYZE of the min-max"
	echo "form with 2 workers: \`$(echo "$explain_v" | grep -m1 'Gather (actual' | sed 's/^ *//')\`). The tree is"
	echo "needed only where the vectors are evaluated, after the workers' part."
	echo "<!-- composite:end -->"
} >"$section"
replace_section composite "$section" "$OUT"
rm -f "$section"
echo "bench composite: wrote its section of $OUT"
