#!/usr/bin/env bash
# make test-citus: dti on a real Citus cluster.  Starts a coordinator and two
# workers (throwaway clusters on free loopback ports, removed on exit) with
# Citus preloaded, creates dti on the coordinator (Citus creates it on the
# workers), loads the same leaf values into a table distributed by unit, a
# table distributed by row and a local table, and checks
#   - every aggregate's results equal the local table's (one server's), grouped
#     by the distribution column and not: bit-identical, except the means and
#     standard deviations, whose compensated sums are combined in another
#     order on Citus: within 1e-12 relative;
#   - EXPLAIN shows the aggregates not grouped by the distribution column
#     split into partial aggregates on the workers (worker_partial_agg) and
#     their combination on the coordinator (coord_combine_agg), and rollup()
#     grouped by the distribution column pushed down whole;
#   - leaf_vector() grouped by unit, on the table distributed by unit (pushed
#     down whole) and by row (split: partial vectors on the workers, merged
#     on the coordinator), rolled up bit-identical to one server's rollup(),
#     and the one-scan composite over vectors within 1e-12;
#   - rollup() with its framework as a literal, a query parameter, a scalar
#     subquery on a local and on a reference table, and a joined reference
#     table's column;
#   - frameworks, scorecards and the aggregates' states cross the nodes both
#     in Citus's binary protocol and in text (citus.enable_binary_protocol);
#   - CREATE EXTENSION dti_warehouse CASCADE on the coordinator, and
#     CALL dti.refresh() there ranks as one server does.
# Citus: the server's installed one, else built from the release beside the
# checkout (../shared/vendor/ relative to the checkout's directory) with the
# build script there; the target fails when neither is possible.
# Prints one line per check and "N passed, N failed"; exits non-zero on a
# failure.  CITUS_TEST_UNITS (default 400) sets the number of units.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

UNITS=${CITUS_TEST_UNITS:-400}
LOG=test/citus/citus.log
: >"$LOG"

# --- Citus: installed, or built from the vendored release -------------------
if [ ! -f "$(${PG_CONFIG:-pg_config} --pkglibdir)/citus.so" ]; then
	vendor=$(cd .. && pwd)/shared/vendor
	if [ ! -f "$vendor/build-citus.sh" ] || [ ! -f "$vendor/citus-13.2.2.tar.gz" ]; then
		echo "citus: not installed, and no $vendor/build-citus.sh with citus-13.2.2.tar.gz beside the checkout"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "citus: not installed; building it with $vendor/build-citus.sh (5 to 10 minutes)"
	if ! bash "$vendor/build-citus.sh" >>"$LOG" 2>&1 || [ ! -f "$(${PG_CONFIG:-pg_config} --pkglibdir)/citus.so" ]; then
		tail -20 "$LOG"
		echo "citus: the build failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

test/deps.sh || exit 1
if ! make -s all >test/citus/build.log 2>&1 || ! install_build >>test/citus/build.log 2>&1; then
	cat test/citus/build.log
	echo "build: 0 passed, 1 failed"
	exit 1
fi

trap cluster_stop_all EXIT
export CLUSTER_PRELOAD=citus,pg_cron
for n in C W1 W2; do
	cluster_start "max_connections = 200
citus.shard_count = 8" || { echo "0 passed, 1 failed"; exit 1; }
	eval "${n}_DIR=\$CLUSTER_DIR ${n}_PORT=\$PGPORT"
done
echo "coordinator on port $C_PORT, workers on ports $W1_PORT and $W2_PORT"

# psql on a node (C, W1, W2); SQL in the arguments or on stdin
on() {
	local dir port
	eval "dir=\$${1}_DIR port=\$${1}_PORT"
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres "$@"
}

passed=0 failed=0
failures=()
check() {  # check NAME yes|no [DETAIL]
	if [ "$2" = yes ]; then
		passed=$((passed + 1))
		echo "citus $1 ... ok"
	else
		failed=$((failed + 1))
		failures+=("$1")
		echo "citus $1 ... FAILED"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | head -8 | cut -c1-240 | sed 's/^/    /'
	fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

for n in W1 W2; do
	on $n -c "CREATE EXTENSION citus" >>"$LOG" 2>&1 || { check "CREATE EXTENSION citus on a worker" no "$(tail -3 "$LOG")"; finish; }
done
if ! on C -v c="$C_PORT" -v w1="$W1_PORT" -v w2="$W2_PORT" >>"$LOG" 2>&1 <<'SQL'
CREATE EXTENSION citus;
SELECT citus_set_coordinator_host('127.0.0.1', :c);
SELECT citus_add_node('127.0.0.1', :w1);
SELECT citus_add_node('127.0.0.1', :w2);
CREATE EXTENSION dti;
SQL
then
	check "cluster set-up" no "$(tail -5 "$LOG")"
	finish
fi
want=$(current_version() { sed -n "s/^default_version *= *'\(.*\)'/\1/p" dti.control; }; current_version)
got=$(on C -c "SELECT string_agg(result, ' ') FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'dti'\$\$)")
check "CREATE EXTENSION dti on the coordinator creates dti $want on both workers ($got)" \
	"$([ "$got" = "$want $want" ] && echo yes || echo no)"

# --- data: a 4-level framework of 100 leaves, UNITS units ---------------------
if ! on C -v units="$UNITS" -f test/citus/data.sql >>"$LOG" 2>&1; then
	check "data set-up" no "$(tail -5 "$LOG")"
	finish
fi
FW=$(on C -c "SELECT fw::text FROM fw_local")
FWR=$(on C -c "SELECT fw::text FROM fwr_local")

# --- the statements: each on the local table (one server) and on Citus --------
AGGS="weighted_mean(v, w) AS wm, weighted_geomean(v, w) AS wg, weighted_harmonic(v, w) AS wh,
	weighted_median(v, w) AS wmed, weighted_quantile(v, w, 0.25) AS wq, indicator_stats(v) AS st"
RULE="'piecewise(0:0, 50:0.6, 100:1)'::scoring_rule"
stmt() {  # stmt NAME TABLE: the SQL of a statement on a table (leaf_local or leaf)
	local t=$1 tr=leaf_rid
	[ "$2" = leaf_local ] && tr=leaf_local
	case $1 in
	by_code) echo "SELECT code, $AGGS FROM $2 GROUP BY code" ;;
	by_unit) echo "SELECT unit, $AGGS FROM $2 GROUP BY unit" ;;
	overall) echo "SELECT 1 AS k, $AGGS FROM $2" ;;
	by_code_rid) echo "SELECT code, $AGGS FROM $tr GROUP BY code" ;;
	fw_literal) echo "SELECT unit, rollup(:'fw'::framework, code, score($RULE, v)) AS sc FROM $2 GROUP BY unit" ;;
	fw_subquery) echo "SELECT unit, rollup((SELECT fw FROM fw_local), code, score($RULE, v)) AS sc FROM $2 GROUP BY unit" ;;
	fw_reference) echo "SELECT unit, rollup((SELECT fw FROM fw_ref WHERE id = 1), code, score($RULE, v)) AS sc FROM $2 GROUP BY unit" ;;
	fw_join) echo "SELECT l.unit, rollup(f.fw, l.code, score($RULE, l.v)) AS sc FROM $2 l JOIN fw_ref f ON f.id = 1 GROUP BY l.unit" ;;
	fw_split) echo "SELECT unit, rollup(:'fw'::framework, code, score($RULE, v)) AS sc FROM $tr GROUP BY unit" ;;
	fw_split_ref) echo "SELECT unit, rollup((SELECT fw FROM fw_ref WHERE id = 1), code, score($RULE, v)) AS sc FROM $tr GROUP BY unit" ;;
	relative) echo "SELECT l.unit, rollup(:'fw'::framework, l.code, score('minmax'::scoring_rule, l.v, s.st)) AS sc
		FROM $2 l JOIN (SELECT code, indicator_stats(v) AS st FROM $2 GROUP BY code) s USING (code) GROUP BY l.unit" ;;
	lv_unit) echo "SELECT unit, rollup(:'fw'::framework, leaf_vector(:'fw'::framework, code, score($RULE, v))) AS sc FROM $2 GROUP BY unit" ;;
	lv_split) echo "SELECT unit, rollup(:'fw'::framework, leaf_vector(:'fw'::framework, code, score($RULE, v))) AS sc FROM $tr GROUP BY unit" ;;
	lv_composite) echo "WITH vv AS MATERIALIZED (SELECT unit, leaf_vector(:'fwr'::framework, code, v) AS lv FROM $2 GROUP BY unit),
		s AS (SELECT leaf_stats(:'fwr'::framework, lv) AS st FROM vv)
		SELECT unit, composite(:'fwr'::framework, (SELECT st FROM s), lv) AS sc FROM vv" ;;
	lv_composite_split) echo "WITH vv AS MATERIALIZED (SELECT unit, leaf_vector(:'fwr'::framework, code, v) AS lv FROM $tr GROUP BY unit),
		s AS (SELECT leaf_stats(:'fwr'::framework, lv) AS st FROM vv)
		SELECT unit, composite(:'fwr'::framework, (SELECT st FROM s), lv) AS sc FROM vv" ;;
	ranks) echo "SELECT unit, rv, rank_rounded(rv, 4) OVER (ORDER BY unit) AS r0, rank_rounded(rv, 4) OVER () AS r
		FROM (SELECT unit, root_value(rollup(:'fw'::framework, code, score($RULE, v))) AS rv FROM $2 GROUP BY unit) s" ;;
	esac
}
STMTS="by_code by_unit overall by_code_rid fw_literal fw_subquery fw_reference fw_join fw_split fw_split_ref relative ranks lv_unit lv_split lv_composite lv_composite_split"
for s in $STMTS; do echo "CREATE TABLE r_${s}_l AS $(stmt $s leaf_local);"; done | on C -v fw="$FW" -v fwr="$FWR" >>"$LOG" 2>&1 ||
	{ check "statements on one server" no "$(tail -3 "$LOG")"; finish; }

# a parameter: the framework bound to $1 of a prepared statement
param_sql="PREPARE p(framework) AS SELECT unit, rollup(\$1, code, score($RULE, v)) AS sc FROM leaf_rid GROUP BY unit;
CREATE TABLE r_fw_param_PROTO AS EXECUTE p(:'fw');"

for proto in on off; do
	errs=
	for s in $STMTS; do
		out=$(echo "CREATE TABLE r_${s}_${proto} AS $(stmt $s leaf);" |
			PGOPTIONS="-c citus.enable_binary_protocol=$proto" on C -v fw="$FW" -v fwr="$FWR" 2>&1) || errs="$errs $s: $out"
	done
	out=$(echo "${param_sql//PROTO/$proto}" | PGOPTIONS="-c citus.enable_binary_protocol=$proto" on C -v fw="$FW" 2>&1) ||
		errs="$errs fw_param: $out"
	check "every statement runs on Citus, binary protocol $proto" "$([ -z "$errs" ] && echo yes || echo no)" "$errs"
done

# --- the comparisons ------------------------------------------------------------
# cls(a, b): 0 bit-identical, 1 within 1e-12 relative, 2 different
on C >>"$LOG" 2>&1 <<'SQL'
CREATE FUNCTION cls(a float8, b float8) RETURNS int LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN a IS NULL AND b IS NULL THEN 0 WHEN a IS NULL OR b IS NULL THEN 2
	WHEN float8send(a) = float8send(b) THEN 0
	WHEN abs(a - b) <= 1e-12 * greatest(abs(a), abs(b)) THEN 1 ELSE 2 END $$;
SQL
cmp_aggs() {  # cmp_aggs NAME KEY PROTO: "column identical within different" per aggregate
	on C -F ' ' -c "SELECT m, count(*) FILTER (WHERE c = 0), count(*) FILTER (WHERE c = 1), count(*) FILTER (WHERE c = 2)
	FROM r_${1}_l l FULL JOIN r_${1}_$3 d USING ($2),
	LATERAL (VALUES ('weighted_mean', cls(l.wm, d.wm)), ('weighted_geomean', cls(l.wg, d.wg)),
		('weighted_harmonic', cls(l.wh, d.wh)), ('weighted_median', cls(l.wmed, d.wmed)),
		('weighted_quantile', cls(l.wq, d.wq)), ('stats.n', cls(stats_n(l.st), stats_n(d.st))),
		('stats.min', cls(stats_min(l.st), stats_min(d.st))), ('stats.max', cls(stats_max(l.st), stats_max(d.st))),
		('stats.mean', cls(stats_mean(l.st), stats_mean(d.st))), ('stats.sd', cls(stats_sd(l.st), stats_sd(d.st)))) x(m, c)
	GROUP BY m ORDER BY m"
}
for proto in on off; do
	for s in "by_code code" "by_unit unit" "overall k" "by_code_rid code"; do
		set -- $s
		bad= summary=
		while read -r m ident within diff; do
			# sums may differ in their last bits with the order of the combination
			case $m in weighted_mean | weighted_geomean | weighted_harmonic | stats.mean | stats.sd) ok_within=yes ;; *) ok_within=no ;; esac
			if [ "$diff" -ne 0 ] || { [ "$within" -ne 0 ] && [ $ok_within = no ]; }; then bad="$bad $m($ident/$within/$diff)"; fi
			summary="$summary $m:$ident+$within"
		done < <(cmp_aggs "$1" "$2" "$proto")
		check "$1 (GROUP BY $2) equals one server, binary protocol $proto" \
			"$([ -z "$bad" ] && [ -n "$summary" ] && echo yes || echo no)" "differ (identical/within 1e-12/different):$bad"
		echo "    $1 $proto: bit-identical+within 1e-12:$summary" >>"$LOG"
	done
	for s in fw_literal fw_subquery fw_reference fw_join fw_split fw_split_ref fw_param relative; do
		ref=$s
		case $s in fw_subquery | fw_reference | fw_join | fw_split | fw_split_ref | fw_param) ref=fw_literal ;; esac
		n=$(on C -c "SELECT count(*) FILTER (WHERE l.sc::text IS NOT DISTINCT FROM d.sc::text) || '/' || count(*)
			FROM r_${ref}_l l FULL JOIN r_${s}_${proto} d USING (unit)")
		check "rollup() $s: scorecards text-identical to one server's ($n), binary protocol $proto" \
			"$([ "${n%/*}" = "${n#*/}" ] && [ "${n#*/}" -gt 0 ] && echo yes || echo no)"
	done
	for s in lv_unit lv_split; do
		n=$(on C -c "SELECT count(*) FILTER (WHERE l.sc::text IS NOT DISTINCT FROM d.sc::text
				AND scorecard_send(l.sc) IS NOT DISTINCT FROM scorecard_send(d.sc)) || '/' || count(*)
			FROM r_fw_literal_l l FULL JOIN r_${s}_${proto} d USING (unit)")
		check "rollup(fw, leaf_vector()) $s: scorecards bit-identical to one server's rollup(fw, code, value) ($n), binary protocol $proto" \
			"$([ "${n%/*}" = "${n#*/}" ] && [ "${n#*/}" -gt 0 ] && echo yes || echo no)"
	done
	for s in lv_composite lv_composite_split; do
		# the statistics are sums combined in another order: within 1e-12
		n=$(on C -c "SELECT count(*) FILTER (WHERE ok) || '/' || count(*) FROM (
			SELECT unit, bool_and(x.code = y.code AND cls(x.value, y.value) <= 1 AND x.present = y.present) AS ok
			FROM r_lv_composite_l l FULL JOIN r_${s}_${proto} d USING (unit),
				LATERAL (SELECT * FROM scorecard_nodes(l.sc) WITH ORDINALITY) x
				JOIN LATERAL (SELECT * FROM scorecard_nodes(d.sc) WITH ORDINALITY) y USING (ordinality)
			GROUP BY unit) s")
		check "composite(fw, leaf_stats(fw, vectors), vector) $s: every node within 1e-12 of one server's ($n units), binary protocol $proto" \
			"$([ "${n%/*}" = "${n#*/}" ] && [ "${n#*/}" -eq "$UNITS" ] && echo yes || echo no)"
	done
	n=$(on C -c "SELECT count(*) FILTER (WHERE cls(l.rv, d.rv) = 0 AND l.r = d.r AND l.r0 = d.r0) || '/' || count(*)
		FROM r_ranks_l l FULL JOIN r_ranks_${proto} d USING (unit)")
	check "ranks of the per-unit root values equal one server's ($n), binary protocol $proto" \
		"$([ "${n%/*}" = "${n#*/}" ] && [ "${n#*/}" -gt 0 ] && echo yes || echo no)"
done
# the one-server variants agree among themselves
n=$(on C -c "SELECT count(*) FILTER (WHERE a.sc::text = b.sc::text AND a.sc::text = c.sc::text AND a.sc::text = d.sc::text) || '/' || count(*)
	FROM r_fw_literal_l a JOIN r_fw_subquery_l b USING (unit) JOIN r_fw_reference_l c USING (unit) JOIN r_fw_join_l d USING (unit)")
check "one server: the framework as literal, subquery, reference and join give the same scorecards ($n)" \
	"$([ "${n%/*}" = "${n#*/}" ] && [ "${n#*/}" -gt 0 ] && echo yes || echo no)"

# --- values crossing the nodes: stored frameworks, scorecards and states ---------
for proto in on off; do
	n=$(PGOPTIONS="-c citus.enable_binary_protocol=$proto" on C -c "SELECT
		(SELECT count(*) FROM card_dist d JOIN card_local l USING (unit) WHERE d.sc::text = l.sc::text AND d.fw::text = l.fw::text
			AND scorecard_send(d.sc) = scorecard_send(l.sc) AND framework_send(d.fw) = framework_send(l.fw)
			AND weighted_mean_state_send(d.wms) = weighted_mean_state_send(l.wms)
			AND indicator_stats_state_send(d.iss) = indicator_stats_state_send(l.iss)
			AND rollup_state_send(d.rs) = rollup_state_send(l.rs)
			AND leaf_vector_send(d.lv) = leaf_vector_send(l.lv) AND d.lv::text = l.lv::text
			AND weighted_quantile_state_send(d.wqs) = weighted_quantile_state_send(l.wqs) AND d.wqs::text = l.wqs::text
			AND weighted_quantile_final(d.wqs) = weighted_quantile_final(l.wqs)) || '/' || (SELECT count(*) FROM card_local)")
	check "stored frameworks, scorecards, aggregate states and leaf vectors read back from the workers unchanged ($n), binary protocol $proto" \
		"$([ "${n%/*}" = "${n#*/}" ] && [ "${n#*/}" -gt 0 ] && echo yes || echo no)"
done

# --- plan shapes ----------------------------------------------------------------
explain() { echo "EXPLAIN (VERBOSE, COSTS OFF) $1" | on C -v fw="$FW" -v fwr="$FWR" 2>&1 | sed -E "s/'\[\{[^']*'/'[framework]'/g"; }
for a in "weighted_mean(v, w)" "weighted_geomean(v, w)" "weighted_harmonic(v, w)" "indicator_stats(v)" "weighted_median(v, w)" "weighted_quantile(v, w, 0.25)"; do
	plan=$(explain "SELECT code, $a FROM leaf GROUP BY code")
	echo "$plan" >>"$LOG"
	check "$a GROUP BY code (not the distribution column): partial aggregates on the workers, combined on the coordinator" \
		"$(grep -q 'worker_partial_agg' <<<"$plan" && grep -q 'coord_combine_agg' <<<"$plan" && echo yes || echo no)" "$plan"
done
plan=$(explain "$(stmt fw_split leaf)")
echo "$plan" >>"$LOG"
check "rollup() GROUP BY unit on a table distributed by row: partial rollup() on the workers, combined on the coordinator" \
	"$(grep -q 'worker_partial_agg' <<<"$plan" && grep -q 'coord_combine_agg' <<<"$plan" && echo yes || echo no)" "$plan"
plan=$(explain "$(stmt lv_split leaf)")
echo "$plan" >>"$LOG"
check "leaf_vector() GROUP BY unit on a table distributed by row: partial leaf_vector() on the workers, combined on the coordinator" \
	"$(grep -q 'worker_partial_agg' <<<"$plan" && grep -q 'coord_combine_agg' <<<"$plan" && grep -q 'leaf_vector' <<<"$plan" && echo yes || echo no)" "$plan"
plan=$(explain "$(stmt lv_unit leaf)")
echo "$plan" >>"$LOG"
check "leaf_vector() GROUP BY unit (the distribution column): pushed down whole" \
	"$(grep -Eq 'Query: SELECT unit, [a-z_.]*rollup\(.*leaf_vector\(' <<<"$plan" && ! grep -q 'worker_partial_agg' <<<"$plan" && echo yes || echo no)" "$plan"
plan=$(explain "$(stmt fw_literal leaf)")
echo "$plan" >>"$LOG"
check "rollup() GROUP BY unit (the distribution column): pushed down whole" \
	"$(grep -Eq 'Query: SELECT unit, [a-z_.]*rollup\(' <<<"$plan" && ! grep -q 'worker_partial_agg' <<<"$plan" && echo yes || echo no)" "$plan"
# with Citus's coordinator aggregation disabled, the aggregates still run
out=$(PGOPTIONS="-c citus.coordinator_aggregation_strategy=disabled" on C -c \
	"SELECT count(*) FROM (SELECT code, weighted_mean(v, w), indicator_stats(v), weighted_geomean(v, w), weighted_median(v, w),
		weighted_quantile(v, w, 0.25) FROM leaf GROUP BY code) s" 2>&1)
check "the aggregates run with citus.coordinator_aggregation_strategy = disabled ($out codes)" \
	"$([ "$out" = 100 ] && echo yes || echo no)" "$out"

# --- the warehouse on the coordinator --------------------------------------------
. test/citus/warehouse.sh

finish
