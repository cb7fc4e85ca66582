#!/usr/bin/env bash
# make bench, roll-up part: rollup() against plain-SQL formulations of the
# same tree computation, serial and with 2 parallel workers, and against a
# bare "sum(v) GROUP BY unit" over the same rows as the floor.
#
# Data: ROLLUP_GROUPS unit-periods (default 100,000) x 100 leaves = 10
# million rows, 4 levels (index -> 4 pillars -> 20 main indicators -> 100
# leaves), points method throughout, no missing values (so that every SQL
# formulation computes the same thing).  Each time is the median of
# BENCH_RUNS runs after a warm-up run, the queries of a mode taking turns.
# Writes its section of docs/benchmarks.md between the rollup markers
# (BENCH_OUT elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

NGROUPS=${ROLLUP_GROUPS:-100000}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-docs/benchmarks.md}
DB=dti_bench_rollup

make -s all >/dev/null
install_build >/dev/null

cluster_start "shared_buffers = '2GB'
work_mem = '2GB'
max_parallel_workers_per_gather = 2"
trap cluster_stop EXIT
createdb $DB
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1"; }
q 'CREATE EXTENSION dti'

echo "bench rollup: generating $NGROUPS unit-periods x 100 leaves"
psql -X -q -v ON_ERROR_STOP=1 -v groups="$NGROUPS" -d $DB <<'SQL'
-- the tree: P1..P4, each with 5 main indicators, each with 5 leaves
CREATE TABLE node (code indicator_code PRIMARY KEY, parent indicator_code, max_points float8);
INSERT INTO node VALUES ('IDX', NULL, NULL);
INSERT INTO node SELECT ('P' || p)::indicator_code, 'IDX', NULL FROM generate_series(1, 4) p;
INSERT INTO node SELECT ('P' || p || '.' || m)::indicator_code, ('P' || p)::indicator_code, NULL
	FROM generate_series(1, 4) p, generate_series(1, 5) m;
INSERT INTO node SELECT ('P' || p || '.' || m || '.' || l)::indicator_code, ('P' || p || '.' || m)::indicator_code, 2 + (p * 7 + m * 3 + l) % 9
	FROM generate_series(1, 4) p, generate_series(1, 5) m, generate_series(1, 5) l;
CREATE TABLE fw AS SELECT framework_compile(array_agg(code), array_agg(parent), array_agg(max_points)) AS fw FROM node;
-- leaf metadata for the SQL formulations
CREATE TABLE leaf AS SELECT n.code, n.max_points, n.parent AS main, m.parent AS pillar
	FROM node n JOIN node m ON m.code = n.parent WHERE n.max_points IS NOT NULL;
CREATE TABLE leaf_ancestor AS SELECT l.code, a AS ancestor, l.max_points FROM leaf l, ancestors(l.code) a
	UNION ALL SELECT code, 'IDX', max_points FROM leaf;
CREATE TABLE bench_leaf (up int, code indicator_code, value float8);
INSERT INTO bench_leaf
SELECT up, l.code, ((up * 7919 + row_number() OVER (PARTITION BY up ORDER BY l.code) * 104729) % 1000) / 1000.0
FROM generate_series(1, :groups) up, leaf l;
VACUUM ANALYZE;
SQL

time_once() {
	psql -X -q -v ON_ERROR_STOP=1 -d $DB -o /dev/null -c "$1" -c '\timing on' -c "$2" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
median() {
	tr ' ' '\n' | awk 'NF' | sort -g | awk '{ t[NR] = $1 } END { if (NR == 0) { print "bench rollup: a query printed no time" > "/dev/stderr"; exit 1 } print t[int((NR + 1) / 2)] }'
}
plan_kind() {
	if psql -X -q -At -d $DB -c "$1" -c "EXPLAIN (COSTS OFF) $2" | grep -q Partial; then echo parallel; else echo serial; fi
}
# Peak resident memory (VmHWM) of a fresh backend after running the query.
peak_memory() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d $DB -c "$1" -c "$2" \
		-c "SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s*([0-9]+ kB)')" | tail -1
}

FW="(SELECT fw FROM fw)"
C_Q="SELECT sum(root_value(sc)) FROM (SELECT up, rollup($FW, code, value) AS sc FROM bench_leaf GROUP BY up) s"
# the same scorecards through leaf vectors: collected without the tree, evaluated after the grouping
V_Q="SELECT sum(root_value(sc)) FROM (SELECT up, rollup($FW, leaf_vector($FW, code, value)) AS sc FROM bench_leaf GROUP BY up) s"
# 1. a GROUP BY chain, level by level
CHAIN_Q="WITH m AS (SELECT b.up, l.main, l.pillar, sum(b.value * l.max_points) AS pts, sum(l.max_points) AS mx
	FROM bench_leaf b JOIN leaf l USING (code) GROUP BY b.up, l.main, l.pillar),
p AS (SELECT up, pillar, sum(pts) AS pts, sum(mx) AS mx FROM m GROUP BY up, pillar),
r AS (SELECT up, sum(pts) AS pts, sum(mx) AS mx FROM p GROUP BY up)
SELECT (SELECT sum(pts / mx) FROM m) + (SELECT sum(pts / mx) FROM p) + (SELECT sum(pts / mx) FROM r)"
# 2. each leaf joined to each of its ancestors, grouped once
ANC_Q="SELECT sum(v) FROM (SELECT b.up, a.ancestor, sum(b.value * a.max_points) / sum(a.max_points) AS v
	FROM bench_leaf b JOIN leaf_ancestor a USING (code) GROUP BY b.up, a.ancestor) s"
# 3. GROUPING SETS over the leaf's main indicator and pillar
GS_Q="SELECT sum(v) FROM (SELECT sum(b.value * l.max_points) / sum(l.max_points) AS v
	FROM bench_leaf b JOIN leaf l USING (code) GROUP BY GROUPING SETS ((b.up), (b.up, l.pillar), (b.up, l.pillar, l.main))) s"
FLOOR_Q="SELECT sum(v) FROM (SELECT up, sum(value) AS v FROM bench_leaf GROUP BY up) s"

# The formulations agree on the sum of every inner node's value.
c_all=$(q "SELECT round(sum(n.value)::numeric, 6) FROM (SELECT rollup($FW, code, value) AS sc FROM bench_leaf GROUP BY up) s,
	LATERAL scorecard_nodes(sc) n WHERE n.method IS NOT NULL")
chain_all=$(q "SELECT round(($CHAIN_Q)::numeric, 6)")
anc_all=$(q "SELECT round(($ANC_Q)::numeric, 6)")
gs_all=$(q "SELECT round(($GS_Q)::numeric, 6)")
v_all=$(q "SELECT round(sum(n.value)::numeric, 6) FROM (SELECT rollup($FW, leaf_vector($FW, code, value)) AS sc FROM bench_leaf GROUP BY up) s,
	LATERAL scorecard_nodes(sc) n WHERE n.method IS NOT NULL")
v_same=$(q "SELECT count(*) FILTER (WHERE scorecard_send(a.sc) = scorecard_send(b.sc)) || ' of ' || count(*)
	FROM (SELECT up, rollup($FW, code, value) AS sc FROM bench_leaf WHERE up <= 5000 GROUP BY up) a
	JOIN (SELECT up, rollup($FW, leaf_vector($FW, code, value)) AS sc FROM bench_leaf WHERE up <= 5000 GROUP BY up) b USING (up)")
echo "bench rollup: sum of inner values: rollup $c_all, rollup(fw, leaf_vector()) $v_all, chain $chain_all, ancestors $anc_all, grouping sets $gs_all"
echo "bench rollup: rollup(fw, leaf_vector()) gives the same bits as rollup() on $v_same unit-periods compared"
agree=yes
[ "$c_all" = "$chain_all" ] && [ "$c_all" = "$anc_all" ] && [ "$c_all" = "$gs_all" ] && [ "$c_all" = "$v_all" ] || agree=NO

SERIAL="SET max_parallel_workers_per_gather = 0"
PARALLEL="SET max_parallel_workers_per_gather = 2"
# The queries of a mode take turns (a warm-up of each, then RUNS rounds of
# all of them), so that other work on the machine slows them alike.
CASES=("rollup()|$C_Q" "rollup(fw, leaf_vector())|$V_Q" "GROUP BY chain|$CHAIN_Q" "leaf-to-ancestor join|$ANC_Q" "GROUPING SETS|$GS_Q" "floor: sum(v) GROUP BY unit|$FLOOR_Q")
rows=()
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
		kind=$(plan_kind "$set" "${CASES[$i]#*|}")
		echo "bench rollup: $name, $mode: $t ms ($kind plan; runs:${times[$i]})"
		rows+=("$mode|$name|$t|$kind")
	done
done
mem_c=$(peak_memory "$SERIAL" "$C_Q")
mem_v=$(peak_memory "$SERIAL" "$V_Q")
mem_chain=$(peak_memory "$SERIAL" "$CHAIN_Q")
mem_floor=$(peak_memory "$SERIAL" "$FLOOR_Q")

# Assemble the section and put it between the markers of the output file.
section=$(mktemp)
{
	echo "<!-- rollup:start -->"
	echo "## rollup(): one pass over the index tree"
	echo
	echo "Generated by \`test/bench/rollup.sh\` (part of \`make bench\`). $NGROUPS unit-periods x 100"
	echo "leaves = $((NGROUPS * 100)) rows; 4 levels (index, 4 pillars, 20 main indicators, 100 leaves),"
	echo "points method. Every formulation computes every inner node; they agree on the sum of"
	echo "all inner values: $agree (rollup $c_all, rollup over leaf vectors $v_all, chain $chain_all, ancestor join $anc_all,"
	echo "GROUPING SETS $gs_all); rollup(fw, leaf_vector()) gives the same bits as rollup() on $v_same"
	echo "unit-periods compared. Median of $RUNS runs, milliseconds, the queries of a mode"
	echo "taking turns (one run of each per round) so that other work slows them alike;"
	echo "work_mem = 2GB so that nothing spills. Same machine and server settings as the tables above;"
	echo "the machine is shared with other work: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end of the run."
	echo
	echo "| mode | query | ms | plan | time / rollup() time |"
	echo "|---|---|---:|---|---:|"
	for mode in serial parallel; do
		ct=
		for r in "${rows[@]}"; do
			IFS='|' read -r m name t kind <<<"$r"
			[ "$m" = $mode ] && [ "$name" = "rollup()" ] && ct=$t
		done
		for r in "${rows[@]}"; do
			IFS='|' read -r m name t kind <<<"$r"
			[ "$m" = $mode ] || continue
			echo "| $mode | $name | $t | $kind | $(awk -v c="$ct" -v t="$t" 'BEGIN { printf "%.2f", t / c }') |"
		done
	done
	echo
	echo "Targets: every plain-SQL formulation at least 5 times rollup()'s time, and the floor at"
	echo "least 0.5 times it (rollup() within 2x of a bare scan-and-sum); with 2 workers, rollup over"
	echo "leaf vectors within 1.6 times the floor."
	echo
	for mode in serial parallel; do
		awk -F'|' -v m=$mode '
			$1 == m && $2 == "rollup()" { c = $3 }
			$1 == m && $2 ~ /^floor/ { f = $3 }
			$1 == m && $2 == "rollup(fw, leaf_vector())" { v = $3 }
			$1 == m && $2 !~ /^floor/ && $2 !~ /^rollup\(/ { if (b == "" || $3 + 0 < b + 0) { b = $3; n = $2 } }
			END {
				printf "- %s: the best plain SQL (%s) takes %.2f times rollup()'"'"'s time and %.2f times the floor'"'"'s;", m, n, b / c, b / f
				printf " rollup() takes %.2f times the floor'"'"'s, rollup(fw, leaf_vector()) %.2f times (target <= 1.6 with 2 workers: %s).\n", c / f, v / f, (m == "serial" ? "-" : (v / f <= 1.6 ? "met" : "NOT met"))
			}' < <(printf '%s\n' "${rows[@]}")
	done
	echo
	echo "A roll-up reads the same rows through the same hash aggregation as the floor, so it"
	echo "cannot be more times faster than the best plain SQL than the floor itself is: where"
	echo "the floor is less than 5 times faster than the best SQL, the 5x target is out of reach"
	echo "by construction, and the figure to watch is rollup()'s time over the floor's."
	echo
	echo "Peak resident memory of the backend (VmHWM, serial run, includes the shared buffers it"
	echo "touched): rollup() $mem_c, rollup(fw, leaf_vector()) $mem_v, GROUP BY chain $mem_chain, floor $mem_floor."
	echo "<!-- rollup:end -->"
} >"$section"

replace_section rollup "$section" "$OUT"
rm -f "$section"
echo "bench rollup: wrote its section of $OUT"
