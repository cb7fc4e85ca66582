#!/usr/bin/env bash
# The refresh of this version publishes exactly what dti_warehouse 0.5.0
# published: the same seeded data in two databases, one with the warehouse
# at 0.5.0 (installed from the released scripts) and one with the current
# version, a full refresh in each, then every scorecard (as text: shortest
# exact float forms) and every rank row compared.  The data: the bench
# framework (test/bench/warehouse_data.sql, absolute rules) for 60 communes
# over 10 years, and two province frameworks on random values with ties,
# ranked nationally and within regions: minmax rules beside absolute ones
# (2033), and a zscore rule (2034).  Then, in the current database, a second full
# refresh (results already published: rewritten only where they changed)
# and a revision of one province followed by an incremental refresh both
# leave results equal to a recompute from scratch.
set -euo pipefail
cd "$(dirname "$0")/../.."
old=dti_scenario_same_050
new=dti_scenario_same_cur
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists $old >/dev/null 2>&1; dropdb --if-exists $new >/dev/null 2>&1' EXIT
fail() { echo "refresh_same_as_050: $*"; exit 1; }

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
SELECT setseed(0.22);
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT u.code, c.period, c.code,
	   CASE WHEN c.code IN ('A.2', 'B') THEN (0.05 * floor(random() * 21))::text ELSE (5 * floor(random() * 21))::text END
FROM (SELECT DISTINCT code FROM dti.unit WHERE level = 'province' AND valid_from <= '2033-12-31'
	  AND (valid_to IS NULL OR valid_to >= '2033-01-01')) u,
	 (VALUES ('2033', 'A.1'), ('2033', 'A.2'), ('2033', 'B.1'), ('2033', 'B.2'), ('2034', 'A'), ('2034', 'B')) c(period, code)
ORDER BY 1, 2, 3;
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period IN ('2033', '2034') ORDER BY s.id; END $$;
SQL
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "TRUNCATE dti.refresh_queue" -c "CALL dti.refresh(period => '2033')" \
		-c "CALL dti.refresh(period => '2034')" \
		-c "CALL dti.refresh(framework_id => $(fw "$1"))"
}
fw() { psql -X -At -d "$1" -c "SELECT id FROM dti.framework WHERE code = 'bench-commune'"; }
# Values as text (their shortest exact form), except under the z-score
# framework: its statistics (mean, standard deviation) depend on the order
# the values are accumulated in, which 0.5.0 left to a window's sort; there,
# values to 9 decimals (they agree to about 1e-15 relative).
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
mismatches() { # mismatches FILE FILE: lines in one and not the other
	diff "$1" "$2" | grep -c '^[<>]' || true
}

createdb $old
psql -X -q -v ON_ERROR_STOP=1 -d $old -c "SET client_min_messages = warning" \
	-c "CREATE EXTENSION dti_warehouse VERSION '0.5.0' CASCADE"
createdb $new
psql -X -q -v ON_ERROR_STOP=1 -d $new -c "SET client_min_messages = warning" -c "CREATE EXTENSION dti_warehouse CASCADE"
[ "$(psql -X -At -d $new -c "SELECT extversion FROM pg_extension WHERE extname = 'dti_warehouse'")" != 0.5.0 ] ||
	fail "the current version is still 0.5.0"
fixture $old
fixture $new
results $old >"$work/old.txt"
results $new >"$work/new.txt"
cards=$(grep -c '^card' "$work/new.txt"); ranks=$(grep -c '^rank' "$work/new.txt")
[ "$cards" -gt 600 ] && [ "$ranks" -gt 15000 ] || fail "too few results: $cards scorecards, $ranks rank rows"
n=$(mismatches "$work/old.txt" "$work/new.txt")
echo "refresh_same_as_050: full refresh, $cards scorecards and $ranks rank rows: $n lines differ from 0.5.0"
[ "$n" = 0 ] || { diff "$work/old.txt" "$work/new.txt" | head -20; fail "results differ from 0.5.0"; }
# A second full refresh over published results, then a revision of one
# province under the relative rules with an incremental refresh: both equal
# a recompute from scratch.
psql -X -q -v ON_ERROR_STOP=1 -d $new -c "INSERT INTO dti.refresh_queue (period, whole, reason) VALUES (NULL, true, 'test')" \
	-c "CALL dti.refresh()"
results $new >"$work/again.txt"
n=$(mismatches "$work/new.txt" "$work/again.txt")
echo "refresh_same_as_050: a second full refresh: $n lines changed"
[ "$n" = 0 ] || fail "a second full refresh changed the results"
psql -X -q -v ON_ERROR_STOP=1 -d $new >/dev/null <<'SQL'
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2033', 'A.1', '1000', 'late revision');
DO $$ BEGIN PERFORM dti.set_status((SELECT max(id) FROM dti.submission), 'verified'); END $$;
CALL dti.refresh();
SQL
results $new >"$work/incremental.txt"
changed=$(diff "$work/again.txt" "$work/incremental.txt" | grep '^>' | grep -c '^> card 2033' || true)
[ "$changed" -gt 1 ] || fail "one province's revision under a relative rule changed $changed scorecard(s), not every province's"
psql -X -q -v ON_ERROR_STOP=1 -d $new -c "TRUNCATE dti.result_scorecard, dti.result_rank" -c "CALL dti.refresh(period => '2033')" \
	-c "CALL dti.refresh(period => '2034')" \
	-c "CALL dti.refresh(framework_id => $(fw $new))"
results $new >"$work/scratch.txt"
n=$(mismatches "$work/incremental.txt" "$work/scratch.txt")
echo "refresh_same_as_050: one province's revision changed $changed scorecards of 2033; after the incremental refresh $n lines differ from a recompute from scratch"
[ "$n" = 0 ] || { diff "$work/incremental.txt" "$work/scratch.txt" | head; fail "the incremental refresh differs from a recompute"; }
echo "refresh_same_as_050: passed"
