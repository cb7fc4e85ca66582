#!/usr/bin/env bash
# make test-scale: the same SQL on three PostgreSQL servers.  Starts a
# coordinator and two shards (throwaway clusters on free loopback ports),
# creates dti on all three, partitions a leaf table by hash of the unit with
# one foreign partition (postgres_fdw, server option extensions 'dti') on
# each shard, and checks from EXPLAIN VERBOSE and from the results that
#   - the per-unit rollup() (GROUP BY the partition key, partitionwise
#     aggregation on) runs whole on the shards, in the Remote SQL;
#   - per-indicator statistics (GROUP BY code, not the partition key) are
#     aggregated partially per partition and combined on the coordinator
#     (PostgreSQL 15 never ships a partial aggregate to a shard);
#   - every result equals the single-node result on the same rows;
#   - without the extensions option or without partitionwise aggregation
#     nothing is pushed (the preconditions are real).
# Prints one line per check and "N passed, N failed"; exits non-zero on a
# failure.  SCALE_TEST_UNITS (default 300) sets the number of units.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

UNITS=${SCALE_TEST_UNITS:-300}
LOG=test/scale/scale.log
: >"$LOG"

test/deps.sh || exit 1

# The clusters load the installed build: install_build (test/cluster.sh)
# takes the install lock until this script exits, like make test, or
# installs into the private tree of DTI_PG_TREE.
if ! make -s all >test/scale/build.log 2>&1 || ! install_build >>test/scale/build.log 2>&1; then
	cat test/scale/build.log
	echo "build: 0 passed, 1 failed"
	exit 1
fi

trap cluster_stop_all EXIT
cluster_start || exit 1
C_DIR=$CLUSTER_DIR C_PORT=$PGPORT
cluster_start || exit 1
S1_DIR=$CLUSTER_DIR S1_PORT=$PGPORT
cluster_start || exit 1
S2_DIR=$CLUSTER_DIR S2_PORT=$PGPORT
echo "coordinator on port $C_PORT, shards on ports $S1_PORT and $S2_PORT"

# psql on one of the servers; SQL on stdin, psql variables from the arguments.
on() {
	local dir=$1 port=$2
	shift 2
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres "$@"
}
coord() { on "$C_DIR" "$C_PORT" -v fw="$FW" "$@"; }

for s in "$S1_DIR $S1_PORT" "$S2_DIR $S2_PORT"; do
	on $s -f test/scale/shard.sql >>"$LOG" 2>&1 || { cat "$LOG"; echo "shard set-up: 0 passed, 1 failed"; exit 1; }
done
FW=
on "$C_DIR" "$C_PORT" -v shard1="$S1_PORT" -v shard2="$S2_PORT" -v units="$UNITS" -f test/scale/coordinator.sql >>"$LOG" 2>&1 ||
	{ cat "$LOG"; echo "coordinator set-up: 0 passed, 1 failed"; exit 1; }
FW=$(on "$C_DIR" "$C_PORT" -c "SELECT fw::text FROM fw")

passed=0 failed=0
failures=()
check() {
	local name=$1 ok=$2 detail=${3:-}
	if [ "$ok" = yes ]; then
		passed=$((passed + 1))
		echo "scale $name ... ok"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "scale $name ... FAILED"
		[ -n "$detail" ] && printf '%s\n' "$detail" | sed 's/^/    /'
	fi
}
# yes when the text matches the extended regular expression
has() { grep -Eq -- "$2" <<<"$1" && echo yes || echo no; }
hasnt() { grep -Eq -- "$2" <<<"$1" && echo no || echo yes; }
count() { grep -Ec -- "$2" <<<"$1"; }

# --- the shards have what the coordinator has ------------------------------
want=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" dti.control)
v_c=$(on "$C_DIR" "$C_PORT" -c "SELECT extversion FROM pg_extension WHERE extname = 'dti'")
v_1=$(on "$S1_DIR" "$S1_PORT" -c "SELECT extversion FROM pg_extension WHERE extname = 'dti'")
v_2=$(on "$S2_DIR" "$S2_PORT" -c "SELECT extversion FROM pg_extension WHERE extname = 'dti'")
check "dti $want on the coordinator and both shards" \
	"$([ "$v_c" = "$want" ] && [ "$v_1" = "$want" ] && [ "$v_2" = "$want" ] && echo yes || echo no)" \
	"coordinator $v_c, shard1 $v_1, shard2 $v_2, dti.control $want"
n_1=$(on "$S1_DIR" "$S1_PORT" -c "SELECT count(*) FROM leaf_part")
n_2=$(on "$S2_DIR" "$S2_PORT" -c "SELECT count(*) FROM leaf_part")
n_all=$(on "$C_DIR" "$C_PORT" -c "SELECT count(*) FROM leaf_local")
check "rows routed to both shards ($n_1 + $n_2 = $n_all)" \
	"$([ "$n_1" -gt 0 ] && [ "$n_2" -gt 0 ] && [ $((n_1 + n_2)) -eq "$n_all" ] && echo yes || echo no)"

# --- per unit: rollup() runs on the shards ---------------------------------
PW="SET enable_partitionwise_aggregate = on;"
rollup_q() {
	echo "SELECT unit, period, rollup(:'fw'::framework, code, score('piecewise(0:0, 50:0.6, 100:1)'::scoring_rule, value)) AS sc
FROM $1 GROUP BY unit, period"
}
plan=$(coord <<<"$PW EXPLAIN (VERBOSE, COSTS OFF) $(rollup_q leaf)" 2>&1)
echo "$plan" >>"$LOG"
remote=$(grep 'Remote SQL:' <<<"$plan")
check "per-unit rollup: one aggregate pushed to each shard" \
	"$([ "$(count "$plan" 'Relations: Aggregate on \(public\.leaf_shard[12] leaf')" -eq 2 ] && echo yes || echo no)" "$plan"
check "per-unit rollup: no aggregation left on the coordinator" \
	"$(hasnt "$plan" '^ *(-> +)?(Partial |Finalize )?(Hash|Group|Mixed)?Aggregate')" "$plan"
check "per-unit rollup: Remote SQL calls rollup() and score() with the framework and rule as typed constants" \
	"$([ "$(count "$remote" "public\.rollup\('\[\{\"code\": \"DTI\".*'::public\.framework, code, public\.score\('piecewise\(0:0, 50:0\.6, 100:1\)'::public\.scoring_rule, value\)\).* GROUP BY 1, 2")" -eq 2 ] && echo yes || echo no)" "$remote"

# every scorecard, byte for byte (text form), and the ranks on top of them
diff_cards=$(coord <<<"$PW SELECT count(*) FILTER (WHERE d.sc::text IS DISTINCT FROM l.sc::text) || ' of ' || count(*)
FROM ($(rollup_q leaf)) d FULL JOIN ($(rollup_q leaf_local)) l USING (unit, period)" 2>&1)
check "per-unit rollup: every scorecard equals the single-node one ($diff_cards differ)" \
	"$([ "$diff_cards" = "0 of $((UNITS * 2))" ] && echo yes || echo no)" "$diff_cards"
rank_q() {
	echo "SELECT unit, period, root_value(sc) AS v, rank_rounded(root_value(sc), 4) OVER (PARTITION BY period) AS r
FROM ($(rollup_q "$1")) s"
}
diff_ranks=$(coord <<<"$PW SELECT count(*) FILTER (WHERE (d.v, d.r) IS DISTINCT FROM (l.v, l.r)) || ' of ' || count(*)
	|| ', ' || count(DISTINCT l.r) || ' distinct ranks'
FROM ($(rank_q leaf)) d FULL JOIN ($(rank_q leaf_local)) l USING (unit, period)" 2>&1)
check "per-unit rollup: index values and ranks equal the single-node ones ($diff_ranks)" \
	"$(has "$diff_ranks" "^0 of $((UNITS * 2)), ")" "$diff_ranks"

# --- per indicator: partial states combined on the coordinator -------------
stats_q() {
	echo "SELECT code, indicator_stats(value) AS st, weighted_mean(value, weight) AS wm,
	weighted_median(value, weight) AS wmed, weighted_geomean(value + 1, weight) AS wg
FROM $1 GROUP BY code"
}
plan=$(coord <<<"$PW EXPLAIN (VERBOSE, COSTS OFF) $(stats_q leaf)" 2>&1)
echo "$plan" >>"$LOG"
remote=$(grep 'Remote SQL:' <<<"$plan")
check "per-indicator statistics: one Finalize aggregate on the coordinator" \
	"$([ "$(count "$plan" '^ *(-> +)?Finalize (Hash|Group)Aggregate')" -eq 1 ] && echo yes || echo no)" "$plan"
check "per-indicator statistics: a Partial aggregate over each shard's foreign scan" \
	"$([ "$(count "$plan" '^ *-> +Partial (Hash|Group)Aggregate')" -eq 2 ] &&
	   [ "$(count "$plan" 'Output: .*PARTIAL indicator_stats\(leaf(_[0-9])?\.value\), PARTIAL weighted_mean')" -eq 2 ] && echo yes || echo no)" "$plan"
check "per-indicator statistics: the shards only scan (no aggregate in the Remote SQL)" \
	"$([ "$(count "$remote" '^ *Remote SQL: SELECT code, value, weight FROM public\.leaf_part$')" -eq 2 ] && echo yes || echo no)" "$remote"
diff_stats=$(coord <<<"$PW WITH d AS ($(stats_q leaf)), l AS ($(stats_q leaf_local))
SELECT count(*) FILTER (WHERE NOT (
		stats_n(d.st) = stats_n(l.st) AND stats_min(d.st) = stats_min(l.st) AND stats_max(d.st) = stats_max(l.st)
		AND abs(stats_mean(d.st) - stats_mean(l.st)) <= 1e-12 * greatest(1, abs(stats_mean(l.st)))
		AND abs(stats_sd(d.st) - stats_sd(l.st)) <= 1e-12 * greatest(1, abs(stats_sd(l.st)))
		AND abs(d.wm - l.wm) <= 1e-12 * greatest(1, abs(l.wm))
		AND abs(d.wg - l.wg) <= 1e-12 * greatest(1, abs(l.wg))
		AND d.wmed = l.wmed))
	|| ' of ' || count(*) || '; largest difference of mean, sd, weighted means '
	|| coalesce(max(greatest(abs(stats_mean(d.st) - stats_mean(l.st)), abs(stats_sd(d.st) - stats_sd(l.st)),
		abs(d.wm - l.wm), abs(d.wg - l.wg)))::text, 'none')
FROM d FULL JOIN l USING (code)" 2>&1)
check "per-indicator statistics: equal to the single-node ones within 1e-12 ($diff_stats)" \
	"$(has "$diff_stats" '^0 of 36;')" "$diff_stats"

# --- the preconditions are real --------------------------------------------
plan=$(coord <<<"SET enable_partitionwise_aggregate = off; EXPLAIN (VERBOSE, COSTS OFF) $(rollup_q leaf)" 2>&1)
echo "$plan" >>"$LOG"
check "without enable_partitionwise_aggregate the rollup stays on the coordinator" \
	"$([ "$(count "$plan" 'Relations: Aggregate')" -eq 0 ] && [ "$(count "$plan" 'Aggregate')" -ge 1 ] && echo yes || echo no)" "$plan"
plan=$(coord <<<"ALTER SERVER shard1 OPTIONS (DROP extensions);
$PW EXPLAIN (VERBOSE, COSTS OFF) $(rollup_q leaf);
ALTER SERVER shard1 OPTIONS (ADD extensions 'dti');" 2>&1)
echo "$plan" >>"$LOG"
check "without extensions 'dti' on a server its partition is aggregated on the coordinator" \
	"$([ "$(count "$plan" 'Relations: Aggregate on \(public\.leaf_shard2')" -eq 1 ] &&
	   [ "$(count "$plan" 'Relations: Aggregate on \(public\.leaf_shard1')" -eq 0 ] &&
	   [ "$(count "$plan" 'Remote SQL: SELECT unit, period, code, value FROM public\.leaf_part')" -eq 1 ] && echo yes || echo no)" "$plan"

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (plans and set-up output in $LOG)"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
