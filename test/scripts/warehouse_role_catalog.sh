#!/usr/bin/env bash
# Every role as its users run it, derived from the catalog.  For each of
# dti_loader, dti_verifier, dti_reader and dti_admin, a freshly created LOGIN
# member connects with psql -U (no SET ROLE) to a warehouse holding 2023 for
# the 63 provinces (verified and refreshed), and:
#   - reads every relation of schema dti it may SELECT with SELECT * ... LIMIT 1
#     (no error), and gets 42501 from every one it may not;
#   - calls every function and procedure of schema dti it may EXECUTE with
#     valid arguments (the sample calls below, one transaction each, rolled
#     back), and gets 42501 from every one it may not (called with NULLs
#     from sub-selects: NULL constants would let the planner fold a STRICT
#     call away before any privilege check; CALL takes plain NULLs).
# Relations and functions come from the catalog: a new one is covered
# without editing this script; a new function the role may execute needs a
# sample call here, else the script fails naming it.  Trigger functions are
# not called (PostgreSQL calls them only as triggers); those not granted
# still must refuse with 42501.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_role_catalog
roles="cat_loader cat_verifier cat_reader cat_admin"
cleanup() {
	dropdb --if-exists $db >/dev/null 2>&1 || true
	for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
cleanup
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
CREATE ROLE cat_loader LOGIN IN ROLE dti_loader;
CREATE ROLE cat_verifier LOGIN IN ROLE dti_verifier;
CREATE ROLE cat_reader LOGIN IN ROLE dti_reader;
CREATE ROLE cat_admin LOGIN IN ROLE dti_admin;
SELECT dti.grant_unit('cat_loader', '01');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source, note)
SELECT u.code, '2023', c.c, round((0.2 + ((u.code::int * 7 + c.i * 13) % 70) / 100.0)::numeric, 4)::text, 'fixture', 'fixture'
FROM dti.unit u, unnest('{CQS,KTS,XHS,NL,NT,HT,TC,ATTT}'::text[]) WITH ORDINALITY c(c, i)
WHERE u.level = 'province' AND u.valid_from <= '2023-12-31' AND u.valid_to >= '2023-12-31';
SELECT dti.load_staging('role catalog fixture');
SELECT dti.verify_unit(u.code, '2023') FROM dti.unit u
WHERE u.level = 'province' AND u.valid_from <= '2023-12-31' AND u.valid_to >= '2023-12-31';
CALL dti.refresh();
-- a draft of unit 01 for 2022 that any role that may change statuses moves to submitted
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, status) VALUES ('01', '2022', 'CQS', '0.5', 'draft');

-- Sample calls with valid arguments, one per function of schema dti.
CREATE TABLE public.sample_call (fn text PRIMARY KEY, call text NOT NULL, accepted_sqlstate text);
INSERT INTO public.sample_call VALUES
	('dti.add_grading_system(text,integer,text,text)', $$SELECT dti.add_grading_system('01', 2024, '01.2', 'Hệ thống thử')$$, NULL),
	('dti.create_grading_scale(text,integer,text,text,numeric,text)', $$SELECT dti.create_grading_scale('role-test', 2030, 'Thang thử')$$, NULL),
	('dti.freeze_grading_scale(integer,text)', $$SELECT dti.freeze_grading_scale((SELECT min(id) FROM dti.grading_scale), 'role test')$$, NULL),
	('dti.grading_grade(integer,numeric)', $$SELECT dti.grading_grade(2024, 64.99)$$, NULL),
	('dti.load_grading(text)', $$SELECT * FROM dti.load_grading('role test')$$, NULL),
	('dti.open_grading(integer)', $$SELECT dti.open_grading(2024)$$, NULL),
	('dti.unit_system_grade(integer,text)', $$SELECT * FROM dti.unit_system_grade(1, '2024')$$, NULL),
	('dti.verify_grading(bigint,text,text)', $$SELECT dti.verify_grading((SELECT max(id) FROM dti.load))$$, NULL),
	('dti.add_ministry(text,text,text,boolean,date,text)', $$SELECT dti.add_ministry('BTEST', 'Bộ Thử', 'Test ministry', true)$$, NULL),
	('dti.analyze_results()', $$SELECT dti.analyze_results()$$, NULL),
	('dti.ascii_name(text)', $$SELECT dti.ascii_name('Đắk Lắk')$$, NULL),
	('dti.build_score_wide(text)', $$SELECT dti.build_score_wide()$$, NULL),
	('dti.carried_value(integer,text,indicator_code)',
		$$SELECT * FROM dti.carried_value((SELECT id FROM dti.unit WHERE code = '79' AND level = 'province' AND valid_from = '2025-07-01'), '2023', 'DTI')$$, NULL),
	('dti.complete_points(text,jsonb)',
		$$SELECT dti.complete_points('405-province', '{"NT": 125, "TC": 125, "HT": 125, "NL": 125, "ATTT": 125, "CQS": 125, "KTS": 125, "XHS": 125}')$$, NULL),
	('dti.explain_across(integer,scorecard,integer,scorecard)', $$SELECT count(*) FROM dti.explain_across(:fid, NULL, :fid, NULL)$$, NULL),
	('dti.points_missing(integer)', $$SELECT dti.points_missing((SELECT id FROM dti.framework WHERE code = '405-province'))$$, NULL),
	('dti.check_status_where(bigint,text,text)', $$SELECT dti.check_status_where(NULL, '01', '2023')$$, NULL),
	('dti.clip(text)', $$SELECT dti.clip('abc')$$, NULL),
	('dti.compute_period(text,integer,bigint)', $$SELECT * FROM dti.compute_period('2023', :fid, 1)$$, NULL),
	('dti.compute_ranks(text,integer,integer[])', $$SELECT dti.compute_ranks('2023', :fid)$$, NULL),
	('dti.compute_scorecards(text,integer,integer[],bigint)', $$SELECT dti.compute_scorecards('2023', :fid, NULL, 1)$$, NULL),
	('dti.create_framework(text,text,integer[],text,text,text,double precision,text)',
		$$SELECT dti.create_framework('role-test', 'province', ARRAY[2040], 'Khung thử', max_points => 100)$$, NULL),
	('dti.create_roles()', $$SELECT dti.create_roles()$$, NULL),
	('dti.dissolve_boundaries(text,text,date)', $$SELECT dti.dissolve_boundaries('geoboundaries', 'role-test', '2025-07-01')$$, NULL),
	('dti.dissolve_regions(text,text,date)', $$SELECT dti.dissolve_regions('geoboundaries', 'role-test', '2024-12-31')$$, NULL),
	('dti.find_units(text,date)', $$SELECT * FROM dti.find_units('Hà Nội', '2023-12-31')$$, NULL),
	('dti.fold_case(text)', $$SELECT dti.fold_case('Hà Nội')$$, NULL),
	('dti.framework_is_relative(integer)', $$SELECT dti.framework_is_relative(:fid)$$, NULL),
	('dti.framework_tree(integer)', $$SELECT dti.framework_tree(:fid)$$, NULL),
	('dti.freeze_framework(integer,text)', $$SELECT dti.freeze_framework(:fid, 'role test')$$, NULL),
	('dti.grade_problem(scoring_rule,text)', $$SELECT dti.grade_problem('bool', '1')$$, NULL),
	('dti.grant_unit(name,text)', $$SELECT dti.grant_unit('cat_loader', '79')$$, NULL),
	('dti.has_group(name)', $$SELECT dti.has_group('dti_reader')$$, NULL),
	('dti.load_boundaries(text,jsonb,date,text,text)',
		$$SELECT dti.load_boundaries('role-test', jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(jsonb_build_object(
			'type', 'Feature', 'properties', jsonb_build_object('shapeName', 'Hà Nội'), 'geometry',
			ST_AsGeoJSON(ST_GeomFromText('MULTIPOLYGON(((105.8 21.0,105.9 21.0,105.9 21.1,105.8 21.0)))', 4326))::jsonb))), '2023-12-31')$$, NULL),
	('dti.load_boundary_layer(text,jsonb,date,text,text)',
		$$SELECT dti.load_boundary_layer('role-test', jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(jsonb_build_object(
			'type', 'Feature', 'properties', jsonb_build_object('shapeName', 'Hà Nội'), 'geometry',
			ST_AsGeoJSON(ST_GeomFromText('MULTIPOLYGON(((105.8 21.0,105.9 21.0,105.9 21.1,105.8 21.0)))', 4326))::jsonb))), '2023-12-31')$$, NULL),
	('dti.load_staging(text)', $$SELECT * FROM dti.load_staging('role test')$$, NULL),
	('dti.lock_period(text,text)', $$SELECT dti.lock_period('2023', 'role test')$$, NULL),
	('dti.map_geojson(text,text,text,text,boolean)', $$SELECT dti.map_geojson('2023')$$, NULL),
	('dti.may_read_all()', $$SELECT dti.may_read_all()$$, NULL),
	('dti.may_write_all()', $$SELECT dti.may_write_all()$$, NULL),
	('dti.my_unit_codes()', $$SELECT dti.my_unit_codes()$$, NULL),
	('dti.name_variants(text)', $$SELECT dti.name_variants('Thành phố Hồ Chí Minh')$$, NULL),
	('dti.neighbours(text,text,text,text)', $$SELECT * FROM dti.neighbours('Hà Nội', '2023')$$, NULL),
	('dti.new_framework_version(integer,text)', $$SELECT dti.new_framework_version(:fid, 'role test')$$, NULL),
	('dti.normalize_name(text)', $$SELECT dti.normalize_name('TP. Hồ Chí Minh')$$, NULL),
	('dti.parse_number(text)', $$SELECT dti.parse_number('0.5')$$, NULL),
	('dti.period_end(text)', $$SELECT dti.period_end('2023-Q2')$$, NULL),
	('dti.period_kind(text)', $$SELECT dti.period_kind('2023-03')$$, NULL),
	('dti.period_start(text)', $$SELECT dti.period_start('2023')$$, NULL),
	('dti.previous_period(text)', $$SELECT dti.previous_period('2023')$$, NULL),
	('dti.publication_queue(text,text)', $$SELECT count(*) FROM dti.publication_queue('2023', 'province')$$, NULL),
	('dti.publish(text,text,text)', $$SELECT dti.publish('2023', 'province', 'role test')$$, NULL),
	('dti.ranked_nodes(text,integer)', $$SELECT count(*) FROM dti.ranked_nodes('2023', :fid)$$, NULL),
	('dti.leaf_statistics(text,integer)', $$SELECT count(*) FROM dti.leaf_statistics('2023', :fid)$$, NULL),
	('dti.keep_leaf_ranges(text,integer,integer[])', $$SELECT dti.keep_leaf_ranges('2023', :fid, ARRAY[1])$$, NULL),
	('dti.stage_period(text,integer,indicator_code[],scoring_rule[],indicator_stats[],boolean)',
		$$SELECT dti.stage_period('2023', :fid, ARRAY['NL']::indicator_code[], ARRAY['ratio']::scoring_rule[], NULL, false)
		  + dti.stage_period('2023', :fid, ARRAY['NL']::indicator_code[], ARRAY['ratio']::scoring_rule[], NULL, true)$$, NULL),
	('dti.framework_rules(integer,indicator_code[],scoring_rule[])',
		$$SELECT dti.framework_rules(:fid, ARRAY['NL']::indicator_code[], ARRAY['ratio']::scoring_rule[]) IS NOT NULL$$, NULL),
	-- (score the vectors, rank the scorecards staged earlier in the
	-- transaction: none here)
	('dti.stage_composites(integer,indicator_code[],scoring_rule[],leaf_stats,text,bigint)',
		$$SELECT dti.stage_composites(:fid, ARRAY['NL']::indicator_code[], ARRAY['ratio']::scoring_rule[], NULL, NULL, 1)$$, '42P01'),
	('dti.staged_nodes(text)', $$SELECT * FROM dti.staged_nodes('2023')$$, '42P01'),
	('dti.staged_ranks(text,integer)', $$SELECT count(*) FROM dti.staged_ranks('2023', :fid)$$, '42P01'),
	('dti.rebuild_current_values()', $$SELECT dti.rebuild_current_values()$$, NULL),
	('dti.refresh(text,integer)', $$CALL dti.refresh()$$, NULL),
	('dti.refresh_plan(text,integer)', $$SELECT (SELECT count(*) FROM dti.refresh_plan('2023', NULL))
		+ (SELECT count(*) FROM dti.refresh_plan(NULL, :fid)) + (SELECT count(*) FROM dti.refresh_plan(NULL, NULL))$$, NULL),
	('dti.resolve_current(text[],integer[],text[])', $$SELECT * FROM dti.resolve_current('{2023}', ARRAY[(SELECT id FROM dti.unit WHERE code = '01' AND level = 'province' AND valid_to >= '2023-12-31' ORDER BY valid_from LIMIT 1)], '{CQS}')$$, NULL),
	('dti.revoke_unit(name,text)', $$SELECT dti.revoke_unit('cat_loader', '01')$$, NULL),
	('dti.rollup_method(text)', $$SELECT dti.rollup_method('mean')$$, NULL),
	-- pg_cron works only in the database cron.database_name names, not here
	('dti.schedule_refresh(text)', $$SELECT dti.schedule_refresh()$$, '0A000'),
	('dti.set_status(bigint,text,text)', $$SELECT dti.set_status((SELECT max(id) FROM dti.current_submission WHERE status = 'draft'), 'submitted')$$, NULL),
	('dti.set_status_where(bigint,text,text,text,text)', $$SELECT dti.set_status_where(NULL, '01', '2023', 'rejected', 'role test')$$, NULL),
	('dti.set_succession_rule(text,text,text)', $$SELECT dti.set_succession_rule('01', 'mean')$$, NULL),
	('dti.submitted_periods()', $$SELECT dti.submitted_periods()$$, NULL),
	('dti.tone_style(text,text)', $$SELECT dti.tone_style('Hòa Bình', 'new')$$, NULL),
	('dti.unit_code(text,date,text)', $$SELECT dti.unit_code('Hà Nội', '2023-12-31')$$, NULL),
	('dti.unlock_period(text)', $$SELECT dti.unlock_period('2023')$$, NULL),
	('dti.unschedule_refresh()', $$SELECT dti.unschedule_refresh()$$, NULL),
	('dti.use_framework(integer,integer[])', $$SELECT dti.use_framework(:fid, ARRAY[2023])$$, NULL),
	('dti.validation_query(text,boolean,boolean)', $$SELECT length(dti.validation_query('SELECT 1', true, false))$$, NULL),
	('dti.value_class(numeric)', $$SELECT dti.value_class(0.6)$$, NULL),
	('dti.verified_values(text,integer[])', $$SELECT count(*) FROM dti.verified_values('2023')$$, NULL),
	('dti.verify_load(bigint,text,text)', $$SELECT dti.verify_load((SELECT max(id) FROM dti.load), 'rejected', 'role test')$$, NULL),
	('dti.verify_unit(text,text,text,text)', $$SELECT dti.verify_unit('01', '2023', 'rejected', 'role test')$$, NULL),
	('dti.withdraw_load(bigint,text)', $$SELECT dti.withdraw_load((SELECT load_id FROM dti.load_staging('to withdraw')), 'role test')$$, NULL);
GRANT SELECT ON public.sample_call TO PUBLIC;
SQL
fid=$(psql -X -At -d $db -c "SELECT framework_id FROM dti.framework_in_use WHERE level = 'province' AND year = 2023")

# run ROLE STATEMENT: prints "ok" or the SQLSTATE of the error
run() {
	local out
	if out=$(psql -X -q -At -U "$1" -d $db -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate \
			-c 'SET client_min_messages = error' -c 'BEGIN' -c "$2" -c 'ROLLBACK' 2>&1 >/dev/null); then
		echo ok
	else
		sed -n 's/^.*ERROR: *\([0-9A-Z]\{5\}\).*$/\1/p' <<<"$out" | head -1
	fi
}

failures=0 checks=0
check() { # check ROLE WHAT WANT GOT
	checks=$((checks + 1))
	if [ "$3" != "$4" ]; then
		failures=$((failures + 1))
		echo "FAIL $1: $2: want $3, got ${4:-no error code}"
	fi
}

for r in $roles; do
	grp=dti_${r#cat_}
	nrel=0 nfn=0
	# relations: SELECT * ... LIMIT 1, or 42501
	while IFS='|' read -r rel may; do
		got=$(run "$r" "SELECT * FROM $rel LIMIT 1")
		if [ "$may" = t ]; then check "$r" "SELECT * FROM $rel LIMIT 1" ok "$got"; else check "$r" "SELECT * FROM $rel" 42501 "$got"; fi
		nrel=$((nrel + 1))
	done < <(psql -X -At -d $db -c "SELECT c.oid::regclass, has_table_privilege('$r', c.oid, 'SELECT')
		FROM pg_class c WHERE c.relnamespace = 'dti'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1")
	# functions and procedures: the sample call, or 42501 called with NULLs
	while IFS='|' read -r fn may kind trig nulls call accepted; do
		if [ "$may" = t ]; then
			[ "$trig" = t ] && continue
			if [ -z "$call" ]; then check "$r" "$fn" "a sample call in test/scripts/warehouse_role_catalog.sh" "none"; continue; fi
			got=$(run "$r" "${call//:fid/$fid}")
			[ -n "$accepted" ] && [ "$got" = "$accepted" ] && got=ok
			check "$r" "$call" ok "$got"
		else
			if [ "$kind" = p ]; then got=$(run "$r" "CALL $nulls"); else got=$(run "$r" "SELECT $nulls"); fi
			check "$r" "$fn called without the privilege" 42501 "$got"
		fi
		nfn=$((nfn + 1))
	done < <(psql -X -At -d $db -c "SELECT p.oid::regprocedure, has_function_privilege('$r', p.oid, 'EXECUTE'), p.prokind,
			p.prorettype = 'trigger'::regtype,
			format('%s(%s)', p.oid::regproc, (SELECT string_agg(format(CASE p.prokind WHEN 'p' THEN 'NULL::%s' ELSE '(SELECT NULL::%s)' END, format_type(t, NULL)), ', ' ORDER BY i)
											  FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY x(t, i))),
			replace(s.call, E'\n', ' '), s.accepted_sqlstate
		FROM pg_proc p LEFT JOIN public.sample_call s ON s.fn = p.oid::regprocedure::text
		WHERE p.pronamespace = 'dti'::regnamespace ORDER BY 1")
	echo "$r (member of $grp): $nrel relations, $nfn functions checked"
done

# the documented workflow of each role, end to end
wf() { # wf ROLE SQL: must succeed; prints the output
	psql -X -q -At -U "$1" -d $db -v ON_ERROR_STOP=1 -c "$2" 2>&1 || { echo "FAIL workflow of $1: $2"; failures=$((failures + 1)); }
}
csv=$(mktemp); trap 'rm -f "$csv"; cleanup' EXIT
printf '%s\n' "unit_code,year,indicator_code,raw_value,source,note" "01,2022,NL,0.51,portal,ok" \
	"01,2022,KTS,0.52,portal,too,many" "79,2022,NL,0.5,portal,not granted" >"$csv"
# loader: the two documented commands, then its own loads and rejects
got=$(psql -X -q -At -U cat_loader -d $db -v ON_ERROR_STOP=1 \
	-c "\\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM PROGRAM 'tools/dti-clean-text $csv' CSV HEADER" \
	-c "SELECT staged, accepted, rejected FROM dti.load_staging('workflow')" \
	-c "SELECT string_agg(file_line || ':' || reason_code, ',' ORDER BY file_line) FROM dti.reject WHERE load_id = (SELECT max(id) FROM dti.load)" 2>/dev/null) || true
checks=$((checks + 1))
[ "$got" = "$(printf '3|1|2\n3:malformed_line,4:not_granted')" ] || { echo "FAIL loader workflow: $got"; failures=$((failures + 1)); }
load=$(psql -X -At -d $db -c "SELECT max(id) FROM dti.load WHERE loaded_by = 'cat_loader'")
# the same file again adds no revision; a new value can be withdrawn before a verifier acts
got=$(psql -X -q -At -U cat_loader -d $db -v ON_ERROR_STOP=1 \
	-c "\\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM PROGRAM 'tools/dti-clean-text $csv' CSV HEADER" \
	-c "SELECT staged, accepted, rejected, reasons->>'unchanged' FROM dti.load_staging('workflow again')" \
	-c "INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('01', '2022', 'HT', '0.4')" \
	-c "SELECT dti.withdraw_load((SELECT load_id FROM dti.load_staging('to take back')), 'wrong file')" 2>/dev/null) || true
checks=$((checks + 1))
[ "$got" = "$(printf '3|0|3|1\n1')" ] || { echo "FAIL loader: the same file twice, then a withdrawal: $got"; failures=$((failures + 1)); }
# verifier: verifies the loader's load in one call; admin: refreshes; reader: reads it
checks=$((checks + 3))
[ "$(wf cat_verifier "SELECT dti.verify_load($load)")" = 1 ] || { echo "FAIL verifier workflow"; failures=$((failures + 1)); }
wf cat_admin "CALL dti.refresh()" >/dev/null
[ "$(wf cat_reader "SELECT count(*) FROM dti.score_long WHERE unit_code = '01' AND period = '2022' AND code = 'NL'")" = 1 ] ||
	{ echo "FAIL reader workflow: 2022 not published"; failures=$((failures + 1)); }
[ "$(run cat_loader "SELECT dti.withdraw_load($load, 'too late')")" = 55000 ] ||
	{ echo "FAIL loader could withdraw a verified load"; failures=$((failures + 1)); }

echo "role catalog: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
