# make test-citus, the warehouse part (sourced by test/citus/run.sh, on its
# cluster): CREATE EXTENSION dti_warehouse CASCADE on the Citus coordinator,
# the pipeline fixture loaded and refreshed there, and the rankings compared
# with one server's: the same fixture in a database of the coordinator's
# server without Citus.  The warehouse's tables stay local tables of the
# coordinator (see docs/scale-out.md for what distributing them would mean).

wh_out=$(on C -c "SET client_min_messages = warning" -c "CREATE EXTENSION dti_warehouse CASCADE" 2>&1)
wh_rc=$?
echo "CREATE EXTENSION dti_warehouse CASCADE: $wh_out" >>"$LOG"
check "CREATE EXTENSION dti_warehouse CASCADE on the coordinator" "$([ $wh_rc -eq 0 ] && echo yes || echo no)" "$wh_out"
got=$(on C -c "SELECT string_agg(result, ' ') FROM run_command_on_workers(\$\$SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname IN ('dti', 'postgis')\$\$)")
check "the workers have dti and postgis, as Citus propagated them ($got)" \
	"$([ "$got" = "dti,postgis dti,postgis" ] && echo yes || echo no)"

wh_results() {  # wh_results DB: rankings and scorecards after a refresh
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$C_DIR" -p "$C_PORT" -d "$1" <<'SQL'
SELECT r.period, u.code, f.code, r.scorecard, r.root_value FROM dti.result_scorecard r
	JOIN dti.unit u ON u.id = r.unit_id JOIN dti.framework f ON f.id = r.framework_id ORDER BY 1, 2, 3;
SELECT r.period, u.code, r.code, r.level, r.value, r.rank, r.group_rank FROM dti.result_rank r
	JOIN dti.unit u ON u.id = r.unit_id ORDER BY 1, 2, 3;
SELECT period, unit_code, rank, value, rank_prev, rank_change, region_rank FROM dti.ranking ORDER BY 1, 2;
SQL
}
if [ $wh_rc -eq 0 ]; then
	psql -X -q -h "$C_DIR" -p "$C_PORT" -d postgres -c "CREATE DATABASE single" >>"$LOG" 2>&1
	psql -X -q -v ON_ERROR_STOP=1 -h "$C_DIR" -p "$C_PORT" -d single \
		-c "SET client_min_messages = warning" -c "CREATE EXTENSION dti_warehouse CASCADE" >>"$LOG" 2>&1
	ok=yes
	for db in postgres single; do
		psql -X -q -v ON_ERROR_STOP=1 -h "$C_DIR" -p "$C_PORT" -d $db -f test/scripts/pipeline_fixture.sql >>"$LOG" 2>&1 || ok=no
		out=$(psql -X -q -v ON_ERROR_STOP=1 -h "$C_DIR" -p "$C_PORT" -d $db -c "CALL dti.refresh()" 2>&1) || ok=no
		echo "CALL dti.refresh() in $db: $out" >>"$LOG"
	done
	check "the pipeline fixture loads and CALL dti.refresh() runs on the coordinator" $ok "$(tail -3 "$LOG")"
	wh_results postgres >test/citus/results.citus.log 2>&1
	wh_results single >test/citus/results.single.log 2>&1
	n=$(grep -c . test/citus/results.single.log)
	check "CALL dti.refresh() on the coordinator: rankings and scorecards equal one server's ($n lines)" \
		"$([ "$n" -gt 0 ] && cmp -s test/citus/results.citus.log test/citus/results.single.log && echo yes || echo no)" \
		"$(diff test/citus/results.single.log test/citus/results.citus.log | head -6)"
fi
