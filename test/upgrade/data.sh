#!/usr/bin/env bash
# Upgrade check with data.  For every released version of each extension:
# install it, store data of the types and tables it has, update to the
# current version, and check that
#   - every stored value reads back the same (text, binary send, and the
#     functions of that version applied to it), and every row of the
#     warehouse's tables is still there, unchanged;
#   - the warehouse's results after a refresh are the same as before the
#     update (0.2.0 on) and the same as a fresh install with the same data;
#   - the database's objects equal those of a fresh install of the current
#     version loaded with the same data (test/upgrade/lib/dump_objects.sh,
#     shared with test/upgrade/check.sh).
# Runs against the cluster described by PGHOST/PGPORT/PGUSER; DTI_EXTENSIONS
# limits it as it does test/upgrade/check.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/upgrade/lib/dump_objects.sh
work=$(mktemp -d)
old=dti_upgrade_data_old fresh=dti_upgrade_data_fresh
cleanup() { rm -rf "$work"; dropdb --if-exists $old >/dev/null 2>&1 || true; dropdb --if-exists $fresh >/dev/null 2>&1 || true; }
trap cleanup EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
newer_or_same() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$2" ]; }   # $1 >= $2
fail() { echo "FAILED: $*"; exit 1; }
compare() {  # compare FILE1 FILE2 WHAT
	if ! diff -u "$1" "$2" >"$work/diff"; then head -40 "$work/diff"; fail "$3"; fi
}

# --- dti: values of each type of version v, read back after the update ---
core_load() {  # DB VERSION
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
CREATE TABLE up_code (id integer PRIMARY KEY, c indicator_code);
INSERT INTO up_code SELECT n, c::indicator_code FROM unnest(ARRAY['DTI', 'CQS', 'CQS.1', 'CQS.1.a', 'CQS.2', 'CQS.9', 'CQS.10',
	'KTS.3.b_2', 'XHS.10.1', 'NT.01.a', 'A.B.C.D.E.F.G.H']) WITH ORDINALITY AS t(c, n);
CREATE INDEX ON up_code (c);
SQL
	if newer_or_same "$2" 0.2.0; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
CREATE TABLE up_rule (id integer PRIMARY KEY, r scoring_rule, v float8, g text);
INSERT INTO up_rule VALUES (1, 'ratio', 0.4, NULL), (2, 'target(80)', 60, NULL), (3, 'linear(10, 20)', 12, NULL),
	(4, 'steps(50:0.5, 100:1)', 70, NULL), (5, 'piecewise(0:0, 50:0.6, 100:1)', 75, NULL), (6, 'bool', 1, NULL),
	(7, 'grade(A:1, B:0.75, C:0.5)', NULL, 'B'), (8, 'target(5, lower)', 10, NULL);
CREATE TABLE up_stats AS SELECT indicator_stats(x::float8) AS s FROM generate_series(1, 10) x;
SQL
	fi
	if newer_or_same "$2" 0.3.0; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
CREATE TABLE up_fw AS SELECT framework_compile(
	ARRAY['DTI', 'CQS', 'KTS', 'CQS.1', 'CQS.2', 'KTS.1']::indicator_code[],
	ARRAY[NULL, 'DTI', 'DTI', 'CQS', 'CQS', 'KTS']::indicator_code[],
	ARRAY[NULL, NULL, NULL, 60, 40, 100]::float8[]) AS fw;
CREATE TABLE up_card AS SELECT u.unit, rollup(fw, l.code, l.v) AS sc
FROM up_fw, (VALUES ('a', 'CQS.1'::indicator_code, 1.0::float8), ('a', 'CQS.2', 0.5), ('a', 'KTS.1', 0.25),
	('b', 'CQS.1', 0.2), ('b', 'KTS.1', 0.9)) l(unit, code, v), LATERAL (SELECT l.unit) u GROUP BY u.unit;
SQL
	fi
}
core_read() {  # DB VERSION: every stored value and what that version's functions say of it
	{
		q "$1" "SELECT id, c, nlevel(c), parent(c), encode(indicator_code_send(c), 'hex') FROM up_code ORDER BY c"
		q "$1" "SET enable_seqscan = off; SELECT string_agg(c::text, ' ' ORDER BY c) FROM up_code WHERE c <@ 'CQS'"
		if newer_or_same "$2" 0.2.0; then
			q "$1" "SELECT id, r, encode(scoring_rule_send(r), 'hex'), CASE WHEN g IS NULL THEN score(r, v) ELSE score(r, g) END FROM up_rule ORDER BY id"
			q "$1" "SELECT s, encode(indicator_stats_send(s), 'hex') FROM up_stats"
		fi
		if newer_or_same "$2" 0.3.0; then
			q "$1" "SELECT fw, encode(framework_send(fw), 'hex') FROM up_fw"
			q "$1" "SELECT unit, sc, root_value(sc), sc -> 'CQS', coverage(sc, 'DTI'), encode(scorecard_send(sc), 'hex') FROM up_card ORDER BY unit"
		fi
	} >"$work/core.$3"
}

checked=0
current=$(current_version dti)
for v in $(released_versions dti); do
	for db in $old $fresh; do dropdb --if-exists $db >/dev/null 2>&1; createdb $db; done
	q $old "CREATE EXTENSION dti VERSION '$v'"
	core_load $old "$v"
	core_read $old "$v" before
	q $old "ALTER EXTENSION dti UPDATE"
	core_read $old "$v" after
	compare "$work/core.before" "$work/core.after" "dti $v -> $current: stored values read differently after the update"
	q $fresh "CREATE EXTENSION dti"
	core_load $fresh "$v"
	dump_objects $old "$work/old.sql"; dump_objects $fresh "$work/fresh.sql"
	compare "$work/fresh.sql" "$work/old.sql" "dti $v -> $current with data: objects differ from a fresh install"
	echo "dti: $v -> $current with data: $(grep -c . "$work/core.after") lines of stored values and results identical; same objects as a fresh install"
	checked=$((checked + 1))
done

# --- dti_warehouse: a loaded warehouse, updated, refreshed ---
case " ${DTI_EXTENSIONS:-dti_warehouse} " in
*" dti_warehouse "*) ;;
*) echo "dti_warehouse: not checked (DTI_EXTENSIONS=$DTI_EXTENSIONS)"; exit 0 ;;
esac
wh_load() {  # DB: the scenario fixture, a load with rejects, a revision, a rejection
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f test/scripts/pipeline_fixture.sql >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source) VALUES
	('92', '2031', 'A.1', '70', 'portal'), ('92', '2031', 'B', '0.4', 'portal'), ('92', '2031', 'A.2', '1', 'portal'),
	('99', '2031', 'A.1', '70', 'portal'), ('79', '2031', 'B', '12,5', 'portal'), ('79', '2031', 'Q', '1', 'portal');
SELECT * FROM dti.load_staging('upgrade check load');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('48', '2030', 'B', '0.95', 'appeal');
SELECT dti.set_status(id, 'verified') FROM dti.submission WHERE status = 'submitted' AND id NOT IN (SELECT submission_id FROM dti.submission_status) ORDER BY id;
SELECT dti.set_status((SELECT max(id) FROM dti.submission WHERE unit_code = '01' AND period = '2031'), 'rejected', 'no evidence');
SQL
}
wh_tables() {  # DB: the registered tables and their columns, as "table|col,col,..." (not the queue)
	q "$1" "SELECT c.oid::regclass, string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum)
		FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE e.extname = 'dti_warehouse' AND c.relkind = 'r' AND c.relname <> 'refresh_queue' GROUP BY c.oid ORDER BY 1"
}
wh_rows() {  # DB TABLES-FILE: every row of those tables (those columns), as "table row", sorted
	while IFS='|' read -r t cols; do
		q "$1" "SELECT '$t ' || ROW($cols)::text FROM $t"
	done <"$2" | LC_ALL=C sort
}
wh_results() {  # DB: the published results, without run ids
	q "$1" "SELECT r.period, u.code, f.code, r.scorecard, r.root_value FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id JOIN dti.framework f ON f.id = r.framework_id ORDER BY 1, 2"
	q "$1" "SELECT r.period, u.code, r.code, r.level, r.value, r.rank, r.group_rank FROM dti.result_rank r JOIN dti.unit u ON u.id = r.unit_id ORDER BY 1, 2, 3"
	q "$1" "SELECT period, unit_code, rank, value, rank_prev, rank_change, region_rank FROM dti.ranking ORDER BY 1, 2"
}

current=$(current_version dti_warehouse)
for v in $(released_versions dti_warehouse); do
	for db in $old $fresh; do dropdb --if-exists $db >/dev/null 2>&1; createdb $db; done
	q $old "SET client_min_messages = warning; CREATE EXTENSION dti_warehouse VERSION '$v' CASCADE"
	wh_load $old
	refreshed_before=no
	if q $old "SELECT to_regprocedure('dti.refresh(text, integer)') IS NOT NULL" | grep -qx t; then
		q $old "CALL dti.refresh()"
		wh_results $old >"$work/results.before"
		refreshed_before=yes
	fi
	wh_tables $old >"$work/tables"
	wh_rows $old "$work/tables" >"$work/rows.before"
	had_publication=$(q $old "SELECT to_regclass('dti.publication') IS NOT NULL")
	q $old "SET client_min_messages = warning; ALTER EXTENSION dti_warehouse UPDATE"
	[ "$(q $old "SELECT extversion FROM pg_extension WHERE extname = 'dti_warehouse'")" = "$current" ] || fail "dti_warehouse $v did not update to $current"
	wh_rows $old "$work/tables" >"$work/rows.after"
	# every row is still there, unchanged; an update may add shipped rows
	# (reference data that came with the new version)
	LC_ALL=C comm -23 "$work/rows.before" "$work/rows.after" >"$work/rows.lost"
	[ ! -s "$work/rows.lost" ] || { head -20 "$work/rows.lost"; fail "dti_warehouse $v -> $current: rows changed or lost by the update"; }
	added=$(LC_ALL=C comm -13 "$work/rows.before" "$work/rows.after" | wc -l)
	if [ $refreshed_before = yes ]; then
		wh_results $old >"$work/results.after"
		compare "$work/results.before" "$work/results.after" "dti_warehouse $v -> $current: published results changed by the update"
		# the update to 0.5.0 (which brought dti.publication) publishes every
		# period and level with results, as they stand, with the revisions
		# of the values they used; later updates leave publications alone
		if [ "$had_publication" = f ] && [ "$(q $old "SELECT to_regclass('dti.publication') IS NOT NULL")" = t ]; then
			pubs=$(q $old "SELECT (SELECT count(*) FROM (SELECT DISTINCT r.period, u.level FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id) x)
				|| ' ' || (SELECT count(*) FROM dti.publication)
				|| ' ' || (SELECT count(*) FROM dti.publication p WHERE p.units = (SELECT count(*) FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id WHERE r.period = p.period AND u.level = p.level) AND p.inputs > 0)")
			set -- $pubs
			[ "$1" -gt 0 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ] || fail "dti_warehouse $v -> $current: the update published $2 of $1 periods and levels ($3 complete)"
		fi
		q $old "CALL dti.refresh(period => '2030'); CALL dti.refresh(period => '2031')"
	else
		q $old "CALL dti.refresh()"
	fi
	wh_results $old >"$work/results.upgraded"
	[ $refreshed_before = no ] || compare "$work/results.before" "$work/results.upgraded" "dti_warehouse $v -> $current: a recompute after the update gives other results"
	q $fresh "SET client_min_messages = warning; CREATE EXTENSION dti_warehouse CASCADE"
	wh_load $fresh
	q $fresh "CALL dti.refresh()"
	wh_results $fresh >"$work/results.fresh"
	compare "$work/results.fresh" "$work/results.upgraded" "dti_warehouse $v -> $current: results differ from a fresh install with the same data"
	# (sequence positions of the registered sequences differ with the history)
	dump_objects $old "$work/old.sql"; dump_objects $fresh "$work/fresh.sql"
	sed -i '/^SELECT pg_catalog.setval(/d' "$work/old.sql" "$work/fresh.sql"
	compare "$work/fresh.sql" "$work/old.sql" "dti_warehouse $v -> $current with data: objects differ from a fresh install"
	echo "dti_warehouse: $v -> $current with data: $(wc -l <"$work/rows.before") rows of $(wc -l <"$work/tables") tables unchanged ($added shipped rows added);" \
		"results ($(grep -c . "$work/results.upgraded") lines) $( [ $refreshed_before = yes ] && echo "same before and after, ")same as a fresh install; same objects"
	checked=$((checked + 1))
done
# --- dti updated under the warehouse's views: the aggregates change their
# state types (the means, indicator_stats and rollup in 0.9.0, the quantiles
# in 0.11.0) beneath views that use them; the views keep working and
# give the same results, and a refresh after the update the same results ---
dti_prev=$(released_versions dti | tail -1)
wh_prev=$(released_versions dti_warehouse | tail -1)
if [ -n "$dti_prev" ] && [ -n "$wh_prev" ]; then
	dropdb --if-exists $old >/dev/null 2>&1; createdb $old
	q $old "CREATE EXTENSION dti VERSION '$dti_prev'"
	q $old "SET client_min_messages = warning; CREATE EXTENSION dti_warehouse VERSION '$wh_prev' CASCADE"
	wh_load $old
	q $old "CALL dti.refresh()"
	# views of a user on every aggregate whose state changes, over warehouse data
	psql -X -q -v ON_ERROR_STOP=1 -d $old >/dev/null <<'SQL'
CREATE TABLE up_leaf AS SELECT u.id AS unit_id, l.code, (0.5 + (u.id * 7 + length(l.code::text) * 13) % 97)::float8 AS v,
	(1 + u.id % 5)::float8 AS w
	FROM dti.unit u, dti.framework_indicator l WHERE l.framework_id = (SELECT min(id) FROM dti.framework) AND u.id <= 30;
CREATE VIEW up_means AS SELECT code, weighted_mean(v, w) wm, weighted_geomean(v, w) wg, weighted_harmonic(v, w) wh,
	indicator_stats(v) st FROM up_leaf GROUP BY code;
CREATE VIEW up_window AS SELECT unit_id, code, indicator_stats(v) OVER (PARTITION BY code) st FROM up_leaf;
CREATE VIEW up_quantiles AS SELECT code, weighted_median(v, w) wmed, weighted_quantile(v, w, 0.25) wq,
	weighted_quantile(v, 1, 0.9) wq1, float8send(weighted_median(v, w)) bits FROM up_leaf GROUP BY code;
CREATE VIEW up_quantiles_all AS SELECT weighted_median(v, w) FILTER (WHERE unit_id % 2 = 0) wmed, weighted_quantile(v, w, 0.75) wq FROM up_leaf;
CREATE VIEW up_cards AS SELECT unit_id, rollup(dti.framework_tree((SELECT min(id) FROM dti.framework)), code, v / 100) sc
	FROM up_leaf GROUP BY unit_id;
SQL
	views() {
		q $old "SELECT * FROM up_means ORDER BY code"
		q $old "SELECT * FROM up_window ORDER BY unit_id, code"
		q $old "SELECT * FROM up_quantiles ORDER BY code"
		q $old "SELECT * FROM up_quantiles_all"
		q $old "SELECT unit_id, sc, root_value(sc) FROM up_cards ORDER BY unit_id"
		q $old "SELECT * FROM dti.published_comparison ORDER BY 1, 2, 3"
	}
	views >"$work/views.before"
	wh_results $old >"$work/results.before"
	q $old "ALTER EXTENSION dti UPDATE"
	views >"$work/views.after"
	compare "$work/views.before" "$work/views.after" "dti $dti_prev -> $(current_version dti) under dti_warehouse $wh_prev: views read differently after the update"
	[ "$(q $old "SELECT count(*) FROM pg_aggregate WHERE aggtranstype = 'internal'::regtype AND aggfnoid::regproc::text IN ('weighted_mean', 'weighted_geomean', 'weighted_harmonic', 'indicator_stats', 'rollup', 'weighted_quantile', 'weighted_median')")" = 0 ] ||
		fail "dti $dti_prev -> $(current_version dti): an aggregate still has an internal state"
	q $old "CALL dti.refresh()"
	wh_results $old >"$work/results.after"
	compare "$work/results.before" "$work/results.after" "dti $dti_prev -> $(current_version dti) under dti_warehouse $wh_prev: a refresh after the update gives other results"
	echo "dti: $dti_prev -> $(current_version dti) under dti_warehouse $wh_prev: $(grep -c . "$work/views.after") lines of views (means, stats as window, quantiles, scorecards, published comparison) identical; refresh results ($(grep -c . "$work/results.after") lines) identical"
	checked=$((checked + 1))
fi
echo "upgrade paths checked with data: $checked"
