#!/usr/bin/env bash
# The refresh of this version publishes exactly what a released
# dti_warehouse publishes, step after step:
#   test/scripts/refresh_same_as_released.sh [VERSION...]
# compares with each released VERSION given (without one, with every
# released version whose refresh it checks: 0.5.0, 0.6.0, 0.7.0 and 0.8.0, the
# versions since the refresh was rewritten).  For each: the same seeded data
# in two databases, one with the warehouse at VERSION (installed from the
# released scripts) and one with the current version, the same changes made
# in both, and after each refresh every scorecard and every rank row
# compared.  The data: the bench framework (absolute rules) for 60 communes
# over 10 years, and three province frameworks with ties: min-max rules
# beside absolute ones (2033), a z-score rule (2034), a grade rule beside a
# min-max one (2035, scored row by row).  The steps: full refreshes (nothing
# published yet, then over published results), a commune's revision, a
# commune rule become min-max (which queues every period of its years,
# quarters and months without submissions among them), under the min-max
# rules revisions that leave the ranges as they were (this
# version re-scores that province alone: checked in its log) and ones that
# move them (a province at an end, a value beyond it), a z-score revision,
# a grade revision and a value beyond the range beside a grade rule,
# and a correction in a locked period (left pending, then applied after
# the unlock).
#   Before each refresh, the plan of the run is compared too: what
# dti.refresh_plan() returns, in a transaction rolled back, for the queue
# as it is and for each framework and some periods asked for (the
# (period, framework) pairs, their units, whether whole, and the queue rows
# each answers), in the order returned, as units' codes and the queue rows'
# contents: the same as VERSION's refresh_plan() (from 0.7.0 on: before,
# a framework with min-max rules took every revision's period whole).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -eq 0 ]; then
	for v in 0.5.0 0.6.0 0.7.0 0.8.0; do
		bash "$0" "$v"
	done
	exit 0
fi
if [ $# -gt 1 ]; then
	for v in "$@"; do
		bash "$0" "$v"
	done
	exit 0
fi
released=$1
grep -q " sql/dti_warehouse--\([0-9.]*--\)\?${released//./\\.}\.sql$" test/released_scripts.sha256 ||
	{ echo "refresh_same_as_released: $released is not a released version of dti_warehouse"; exit 1; }
tag=${released//./}
old=dti_scenario_same_$tag
new=dti_scenario_same_cur_$tag
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists $old >/dev/null 2>&1; dropdb --if-exists $new >/dev/null 2>&1' EXIT
fail() { echo "refresh_same_as_released $released: $*"; exit 1; }

fixture() { # fixture DB: the seeded data, refreshed whole
	psql -X -q -v ON_ERROR_STOP=1 -v units=60 -d "$1" -f test/bench/warehouse_data.sql >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
SET client_min_messages = warning;
BEGIN;
SELECT dti.create_framework('same-province', 'province', ARRAY[2033], 'Khung so sánh', max_points => 100);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Nhóm A', 50, NULL),
	('A.1', 'Tương đối', 20, 'minmax(0, 100)'),
	('A.2', 'Tỷ lệ', 30, 'ratio'),
	('B', 'Nhóm B', 50, NULL),
	('B.1', 'Mục tiêu', 30, 'target(80)'),
	('B.2', 'Tương đối ngược', 20, 'minmax(0, 1, lower)');
COMMIT;
BEGIN;
SELECT dti.create_framework('same-zscore', 'province', ARRAY[2034], 'Khung so sánh z', max_points => 100);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Chuẩn hoá', 60, 'zscore(50, 10)'),
	('B', 'Tỷ lệ', 40, 'ratio');
COMMIT;
BEGIN;
SELECT dti.create_framework('same-grade', 'province', ARRAY[2035], 'Khung so sánh xếp loại', max_points => 100);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Xếp loại', 40, 'grade(A:1, B:0.75, C:0.5)'),
	('B', 'Tương đối', 60, 'minmax(0, 100)');
COMMIT;
SELECT setseed(0.22);
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT u.code, c.period, c.code,
	   CASE WHEN c.code IN ('A.2', 'B') THEN (0.05 * floor(random() * 21))::text ELSE (5 * floor(random() * 21))::text END
FROM (SELECT DISTINCT code FROM dti.unit WHERE level = 'province' AND valid_from <= '2033-12-31'
	  AND (valid_to IS NULL OR valid_to >= '2033-01-01')) u,
	 (VALUES ('2033', 'A.1'), ('2033', 'A.2'), ('2033', 'B.1'), ('2033', 'B.2'), ('2034', 'A'), ('2034', 'B')) c(period, code)
ORDER BY 1, 2, 3;
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT u.code, '2035', c.code,
	   CASE c.code WHEN 'A' THEN (ARRAY['A', 'B', 'C'])[1 + floor(random() * 3)::int] ELSE (5 * floor(random() * 21))::text END
FROM (SELECT DISTINCT code FROM dti.unit WHERE level = 'province' AND valid_from <= '2035-12-31'
	  AND (valid_to IS NULL OR valid_to >= '2035-01-01')) u, (VALUES ('A'), ('B')) c(code)
ORDER BY 1, 2, 3;
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period IN ('2033', '2034', '2035') ORDER BY s.id; END $$;
SQL
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "TRUNCATE dti.refresh_queue" \
		-c "INSERT INTO dti.refresh_queue (period, whole, reason) VALUES (NULL, true, 'test')"
	plan "$1" >"$work/plan.$1"
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "CALL dti.refresh()"
}
# plan DB: what the next run would do, as text: dti.refresh_plan() for each
# framework, for some periods (with submissions, without, not a period),
# then for the queue, in one transaction rolled back (planning turns the
# queue's "everything" rows into rows per period)
plan() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "BEGIN" -c "SET LOCAL client_min_messages = warning" \
		-c "CREATE FUNCTION pg_temp.plan_text(p text, f integer) RETURNS SETOF text LANGUAGE sql AS \$\$
			SELECT concat_ws(' | ', 'plan(' || coalesce(p, '-') || ', ' || coalesce((SELECT code FROM dti.framework WHERE id = f), '-') || ')',
				x.period, coalesce(fw.code, '(none)'),
				(SELECT string_agg(u.code, ',' ORDER BY o) FROM unnest(x.unit_ids) WITH ORDINALITY a(id, o) JOIN dti.unit u ON u.id = a.id),
				x.whole,
				(SELECT string_agg(concat_ws('/', q.period, u.code, q.whole, q.reason), ',' ORDER BY o)
				 FROM unnest(x.queue_ids) WITH ORDINALITY a(id, o) JOIN dti.refresh_queue q ON q.id = a.id
				 LEFT JOIN dti.unit u ON u.id = q.unit_id))
			FROM dti.refresh_plan(p, f) WITH ORDINALITY x LEFT JOIN dti.framework fw ON fw.id = x.framework_id
			ORDER BY x.ordinality \$\$" \
		-c "SELECT t FROM (SELECT NULL::text AS p, f.id AS f, f.code AS o FROM dti.framework f
			UNION ALL SELECT p, NULL, p FROM unnest('{2020,2033,2034,2035,2033-Q2,2099}'::text[]) p) a,
			LATERAL pg_temp.plan_text(a.p, a.f) t ORDER BY a.o" \
		-c "SELECT pg_temp.plan_text(NULL, NULL)" -c "ROLLBACK"
}
# Values as text (their shortest exact form), except under the z-score
# framework: its statistics (mean, standard deviation) depend on the order
# the values are accumulated in; there, values to 9 decimals.
num() { echo "CASE WHEN f.code = 'same-zscore' THEN round($1::numeric, 9)::text ELSE $1::text END"; }
card="CASE WHEN f.code = 'same-zscore' THEN (SELECT string_agg(concat_ws('/', n.code, round(n.value::numeric, 9),
	round(n.points::numeric, 9), n.max_points, n.weight, n.present, n.expected), ',') FROM scorecard_nodes(r.scorecard) n)
	ELSE r.scorecard::text END"
results() { # results DB: every scorecard and rank row as text, sorted
	psql -X -At -v ON_ERROR_STOP=1 -d "$1" \
		-c "SELECT concat_ws(' ', 'card', r.period, u.code, f.code, $card, $(num r.root_value))
			FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id JOIN dti.framework f ON f.id = r.framework_id ORDER BY 1" \
		-c "SELECT concat_ws(' ', 'rank', r.period, u.code, f.code, r.code, r.level, $(num r.value), r.rank, r.group_rank)
			FROM dti.result_rank r JOIN dti.unit u ON u.id = r.unit_id JOIN dti.framework f ON f.id = r.framework_id ORDER BY 1"
}
both() { # both SQL...: the same statements in each database; before a refresh, the plans compared
	local db s planned=
	for db in $old $new; do
		for s in "$@"; do
			case $s in "CALL dti.refresh("*) plan $db >"$work/plan.$db"; planned=1 ;; esac
			psql -X -q -v ON_ERROR_STOP=1 -d $db -c "SET client_min_messages = warning" -c "$s" >/dev/null
		done
	done
	[ -z "$planned" ] || same_plan
}
same_plan() { # the plans of the last run in both databases equal
	local n
	[ "$released" != 0.5.0 ] && [ "$released" != 0.6.0 ] || return 0
	n=$(diff "$work/plan.$old" "$work/plan.$new" | grep -c '^[<>]' || true)
	plans=$((plans + 1))
	[ "$n" = 0 ] && [ -s "$work/plan.$new" ] ||
		{ diff "$work/plan.$old" "$work/plan.$new" | head -20; fail "the plan of refresh $plans differs from $released's ($n lines)"; }
	plan_lines=$((plan_lines + $(wc -l <"$work/plan.$new")))
}
plans=0 plan_lines=0
same() { # same STEP: every result row equal in both databases
	local n
	results $old >"$work/old.txt"
	results $new >"$work/new.txt"
	n=$(diff "$work/old.txt" "$work/new.txt" | grep -c '^[<>]' || true)
	echo "refresh_same_as_released $released: $1: $(grep -c '^card' "$work/new.txt") scorecards, $(grep -c '^rank' "$work/new.txt") rank rows, $n lines differ from $released"
	[ "$n" = 0 ] || { diff "$work/old.txt" "$work/new.txt" | head -20; fail "$1: the results differ from $released's"; }
}
whole() { # whole: the periods the last run of the current version recomputed whole
	psql -X -At -d $new -c "SELECT array_to_string(whole_periods, ',') FROM dti.refresh_log ORDER BY id DESC LIMIT 1"
}
revise() { # revise UNIT PERIOD CODE VALUE: a verified revision
	both "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('$1', '$2', '$3', '$4', 'revision')" \
		"SELECT dti.set_status((SELECT max(id) FROM dti.submission), 'verified')"
}
value() { # value UNIT PERIOD CODE: its current value in the current version
	psql -X -At -d $new -c "SELECT v.value FROM dti.current_value v JOIN dti.unit u ON u.id = v.unit_id
		WHERE u.code = '$1' AND v.period = '$2' AND v.indicator = '$3'"
}

createdb $old
psql -X -q -v ON_ERROR_STOP=1 -d $old -c "SET client_min_messages = warning" \
	-c "CREATE EXTENSION dti_warehouse VERSION '$released' CASCADE"
createdb $new
psql -X -q -v ON_ERROR_STOP=1 -d $new -c "SET client_min_messages = warning" -c "CREATE EXTENSION dti_warehouse CASCADE"
[ "$(psql -X -At -d $new -c "SELECT extversion FROM pg_extension WHERE extname = 'dti_warehouse'")" != "$released" ] ||
	fail "the current version is still $released"
fixture $old
fixture $new
same_plan
same "full refresh"
[ "$(grep -c '^card' "$work/new.txt")" -gt 600 ] && [ "$(grep -c '^rank' "$work/new.txt")" -gt 15000 ] ||
	fail "too few results"
both "INSERT INTO dti.refresh_queue (period, whole, reason) VALUES (NULL, true, 'test')" "CALL dti.refresh()"
same "a second full refresh over published results"
revise X00007 2020 P2.3.4 33
both "CALL dti.refresh()"
same "a commune's revision"
# a rule of the commune framework becomes min-max: every period of the
# years it assesses queued whole, most of them without submissions
both "UPDATE dti.framework_indicator SET rule = 'minmax(0, 1)'
	WHERE framework_id = (SELECT id FROM dti.framework WHERE code = 'bench-commune') AND code = 'P1.1.1'" "CALL dti.refresh()"
[ "$(whole)" = 2015,2016,2017,2018,2019,2020,2021,2022,2023,2024 ] || fail "the min-max rule recomputed $(whole) whole"
same "a commune rule become min-max (its periods whole)"

# min-max rules of 2033: a province strictly within both ranges (neither
# end) moves within them: the current version re-scores it alone
lo_hi=$(psql -X -At -F' ' -d $new -c "SELECT lo, hi FROM dti.result_leaf_range g JOIN dti.framework f ON f.id = g.framework_id
	WHERE f.code = 'same-province' AND g.period = '2033' AND g.code = 'A.1'")
[ -n "$lo_hi" ] || fail "no range stored for A.1 in 2033"
inside=$(psql -X -At -d $new -c "SELECT u.code FROM dti.current_value v JOIN dti.unit u ON u.id = v.unit_id
	JOIN dti.result_leaf_range a ON a.period = v.period AND a.code = 'A.1'
	JOIN dti.current_value w ON w.period = v.period AND w.unit_id = v.unit_id AND w.indicator = 'B.2'
	JOIN dti.result_leaf_range b ON b.period = v.period AND b.code = 'B.2'
	WHERE v.period = '2033' AND v.indicator = 'A.1' AND v.value > a.lo AND v.value < a.hi
	  AND w.value > b.lo AND w.value < b.hi ORDER BY u.code LIMIT 1")
[ -n "$inside" ] || fail "no province within both ranges"
revise "$inside" 2033 A.1 47.5
both "CALL dti.refresh()"
[ "$(whole)" = "" ] || fail "a revision within the ranges recomputed $(whole) whole"
same "a revision within the min-max ranges (re-scored alone)"
# a revision to one end of the range: still within it
revise "$inside" 2033 A.1 "${lo_hi#* }"
both "CALL dti.refresh()"
[ "$(whole)" = "" ] || fail "a revision to the end of a range recomputed $(whole) whole"
same "a revision to the maximum (re-scored alone)"
# the province now holds the maximum: moving it recomputes the period
revise "$inside" 2033 A.1 20
both "CALL dti.refresh()"
[ "$(whole)" = 2033 ] || fail "a revision of a province at an end did not recompute 2033 whole ($(whole))"
same "a revision of the province at the maximum (2033 whole)"
# beyond the maximum: every province's score moves
revise "$inside" 2033 A.1 1000
both "CALL dti.refresh()"
[ "$(whole)" = 2033 ] || fail "a revision beyond the range did not recompute 2033 whole ($(whole))"
same "a revision beyond the maximum (2033 whole)"
# withdrawn: the value is gone (it held the maximum)
both "SELECT dti.set_status((SELECT max(id) FROM dti.submission), 'rejected', 'typing error')"
both "CALL dti.refresh()"
same "the maximum's revision rejected"
# the z-score rule: every revision recomputes the period
revise "$inside" 2034 A 65
both "CALL dti.refresh()"
[ "$(whole)" = 2034 ] || fail "a z-score revision did not recompute 2034 whole ($(whole))"
same "a z-score revision"
# a grade rule beside a min-max rule (2035: each value scored row by row):
# a grade revised, then a value beyond the maximum (the period whole,
# scored against the statistics)
revise "$inside" 2035 A C
both "CALL dti.refresh()"
same "a grade revision beside a min-max rule"
revise "$inside" 2035 B 1000
both "CALL dti.refresh()"
[ "$(whole)" = 2035 ] || fail "a revision beyond the range did not recompute 2035 whole ($(whole))"
same "a revision beyond the maximum beside a grade rule (2035 whole)"

# a correction in a locked period: pending, then applied after the unlock
both "SELECT dti.lock_period('2033', 'announced')"
other=$(psql -X -At -d $new -c "SELECT u.code FROM dti.unit u WHERE u.level = 'province' AND u.code <> '$inside'
	AND EXISTS (SELECT 1 FROM dti.result_scorecard r WHERE r.unit_id = u.id AND r.period = '2033') ORDER BY u.code LIMIT 1")
revise "$other" 2033 B.1 "$(awk -v v="$(value "$other" 2033 B.1)" 'BEGIN { print v + 1 }')"
both "CALL dti.refresh()"
[ "$(psql -X -At -d $new -c "SELECT array_to_string(pending_periods, ',') FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = 2033 ] ||
	fail "a correction in a locked period was not left pending"
same "a correction in a locked period (pending)"
both "SELECT dti.unlock_period('2033')" "CALL dti.refresh()"
same "the correction applied after the unlock"

# and a recompute from scratch gives the same
psql -X -q -v ON_ERROR_STOP=1 -d $new -c "TRUNCATE dti.result_scorecard, dti.result_rank, dti.result_leaf_range" \
	-c "INSERT INTO dti.refresh_queue (period, whole, reason) VALUES (NULL, true, 'test')" -c "CALL dti.refresh()" >/dev/null
same "the current version recomputed from scratch"
[ "$plans" = 0 ] || echo "refresh_same_as_released $released: the plans of $plans refreshes equal ($plan_lines lines)"
echo "refresh_same_as_released $released: passed"
