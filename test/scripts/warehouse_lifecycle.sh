#!/usr/bin/env bash
# Two years of the warehouse's life, each step run by a freshly created LOGIN
# member of the role that does it (psql -U, no SET ROLE): a framework, loads
# with bad lines, verification, refresh, publication (which locks the
# period), a correction after publication (pending, invisible to readers),
# a locked refresh, unlock, republication, a new framework version for the
# next year, and the 2025 merger (63 -> 34 units, ranks carried across it, a
# weighted succession rule).  Asserts that no verified value is lost and
# that every announced ranking can be computed again exactly from the
# revisions it recorded.
# Runs against the cluster described by PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_lifecycle
work=
roles="lc_admin lc_loader lc_verifier lc_reader"
cleanup() {
	[ -z "$work" ] || rm -rf "$work"
	dropdb --if-exists $db >/dev/null 2>&1 || true
	for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
cleanup
work=$(mktemp -d)
createdb $db
as() { local u=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -U "$u" -d $db "$@"; }
fail() { echo "lifecycle: $*"; exit 1; }
check() { # check WHAT EXPECTED ACTUAL
	if [ "$2" != "$3" ]; then fail "$1: expected $2, got $3"; fi
	echo "ok: $1 ($3)"
}

as postgres >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
CREATE ROLE lc_admin LOGIN IN ROLE dti_admin;
CREATE ROLE lc_loader LOGIN IN ROLE dti_loader;
CREATE ROLE lc_verifier LOGIN IN ROLE dti_verifier;
CREATE ROLE lc_reader LOGIN IN ROLE dti_reader;
SQL

# the admin: a framework for provinces in 2024 and 2025, the loader's units
# (the 63 provinces of 2024 and the 34 of 2025)
as lc_admin >/dev/null <<'SQL'
BEGIN;
SELECT dti.create_framework('lc', 'province', ARRAY[2024, 2025], 'Khung vòng đời', max_points => 100);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Hạ tầng', 40, 'ratio'), ('B', 'Dịch vụ', 30, 'target(80)'), ('C', 'Nhân lực', 30, 'ratio');
COMMIT;
SELECT dti.grant_unit('lc_loader', c) FROM (SELECT DISTINCT code FROM dti.unit WHERE level = 'province') u(c);
SQL

# load YEAR UNITS_AT: the loader stages every unit valid on UNITS_AT with
# three values, plus three bad lines, and loads them
load() {
	as lc_loader <<SQL
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
SELECT u.code, '$1', i.code,
	   CASE i.code WHEN 'B' THEN (20 + (u.id * 37 + $1) % 80)::text
				   ELSE round(((u.id * 13 + i.n * 7 + $1) % 100) / 100.0, 2)::text END, 'lifecycle'
FROM dti.unit u, (VALUES ('A', 1), ('B', 2), ('C', 3)) i(code, n)
WHERE u.level = 'province' AND '$2'::date BETWEEN u.valid_from AND u.valid_to;
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source) VALUES
	('01', '$1', 'Z', '0.5', 'bad: no such indicator'),
	('01', '$1', 'A', '0,5', 'bad: decimal comma'),
	('99', '$1', 'A', '0.5', 'bad: no such unit');
SELECT accepted || ' ' || rejected FROM dti.load_staging('lifecycle $1');
SQL
}
verify_all() {
	as lc_verifier -c "SELECT count(dti.set_status(s.id, 'verified')) FROM dti.current_submission s WHERE s.period = '$1' AND s.status = 'submitted'"
}

check "2024: loaded and rejected" "189 3" "$(load 2024 2024-12-31)"
check "2024: rejects kept with reasons" "unknown_indicator unknown_unit unparseable_value" \
	"$(as lc_loader -c "SELECT string_agg(reason_code, ' ' ORDER BY reason_code) FROM dti.reject r JOIN dti.load l ON l.id = r.load_id WHERE l.note = 'lifecycle 2024'")"
check "2024: verified" 189 "$(verify_all 2024)"
as lc_admin -c "CALL dti.refresh()"
pub1=$(as lc_admin -c "SELECT dti.publish('2024', 'province', 'DTI 2024 announced')")
as lc_reader -c "SELECT rank, unit_code, value FROM dti.province_ranking WHERE period = '2024' ORDER BY rank, unit_code" >"$work/announced1"
check "2024: the reader sees the announced ranking" 63 "$(wc -l <"$work/announced1")"

# a correction after the announcement: kept, pending, not shown to readers
as lc_loader >/dev/null <<'SQL'
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
VALUES ('01', '2024', 'A', '0.99', 'corrected after the announcement');
SQL
as lc_verifier -c "SELECT dti.set_status(s.id, 'verified') FROM dti.current_submission s WHERE s.period = '2024' AND s.status = 'submitted'" >/dev/null
as lc_admin -c "CALL dti.refresh(period => '2024')" 2>"$work/notice"
grep -q "locked periods left with queued changes: 2024" "$work/notice" || fail "the locked refresh did not report the pending period: $(cat "$work/notice")"
as lc_admin -c "CALL dti.refresh()" 2>/dev/null
check "pending: the correction is listed" "01 A 0.99" \
	"$(as lc_admin -c "SELECT unit_code || ' ' || code || ' ' || current_value FROM dti.unpublished_change")"
as lc_reader -c "SELECT rank, unit_code, value FROM dti.province_ranking WHERE period = '2024' ORDER BY rank, unit_code" >"$work/still"
cmp -s "$work/announced1" "$work/still" || fail "readers saw an unpublished correction"
echo "ok: readers still see the announced 2024 ranking"
check "publication status: announced, one value waiting" "announced 1" \
	"$(as lc_reader -c "SELECT status || ' ' || pending_changes FROM dti.publication_status WHERE period = '2024'")"
check "the reader's published values show the announced value" "$(as lc_reader -c "SELECT round(value::numeric, 2) FROM dti.score_long WHERE period = '2024' AND unit_code = '01' AND code = 'A'")" \
	"$(as lc_reader -c "SELECT round(\"giá_trị\"::numeric, 2) FROM dti.\"giá_trị_đã_xác_minh\" WHERE \"kỳ\" = '2024' AND \"mã_đơn_vị\" = '01' AND \"mã_chỉ_số\" = 'A'")"
if as lc_admin -c "UPDATE dti.publication SET note = 'rewritten'" 2>/dev/null; then fail "an admin rewrote the record of an announcement"; fi
echo "ok: the record of announcements is written by dti.publish() only"

# unlock, refresh (provisional again), republish: the correction reaches readers
as lc_admin -c "SELECT dti.unlock_period('2024')" >/dev/null
as lc_admin -c "CALL dti.refresh()"
pub2=$(as lc_admin -c "SELECT dti.publish('2024', 'province', 'DTI 2024 corrected')")
check "the correction reaches readers at the next publication" "0.99" \
	"$(as lc_reader -c "SELECT round(value::numeric, 2) FROM dti.score_long WHERE period = '2024' AND unit_code = '01' AND code = 'A'")"
check "nothing pending after it" 0 "$(as lc_admin -c "SELECT count(*) FROM dti.unpublished_change")"

# an old name at a later date: the reader gets the unit it became
out=$(as lc_reader -v VERBOSITY=verbose -c "SELECT dti.unit_code('Bình Dương', '2025-09-01')" 2>&1) && fail "an old name resolved at a later date"
case $out in *P0002*"became part of Hồ Chí Minh (code 79)"*) echo "ok: an old name at a later date names its successor" ;; *) fail "old name: $out" ;; esac
# nothing to publish for a year not loaded yet
out=$(as lc_admin -v VERBOSITY=verbose -c "SELECT dti.publish('2025', 'province', 'too early')" 2>&1) && fail "an empty period was published"
case $out in *P0002*"nothing to publish"*) echo "ok: an empty period is not published" ;; *) fail "empty publish: $out" ;; esac

# 2025: a new framework version (B weighs more), the 34 merged units
as lc_admin >/dev/null <<'SQL'
BEGIN;
SELECT dti.new_framework_version((SELECT id FROM dti.framework WHERE code = 'lc' AND version = 1), 'B weighs more');
UPDATE dti.framework_indicator SET max_points = 40 WHERE framework_id = (SELECT id FROM dti.framework WHERE code = 'lc' AND version = 2) AND code = 'B';
UPDATE dti.framework_indicator SET max_points = 30 WHERE framework_id = (SELECT id FROM dti.framework WHERE code = 'lc' AND version = 2) AND code = 'A';
SELECT dti.use_framework((SELECT id FROM dti.framework WHERE code = 'lc' AND version = 2), '{2025}');
COMMIT;
SQL
check "2025: loaded and rejected" "102 3" "$(load 2025 2025-12-31)"
check "2025: verified" 102 "$(verify_all 2025)"
as lc_admin -c "CALL dti.refresh()"
pub3=$(as lc_admin -c "SELECT dti.publish('2025', 'province', 'DTI 2025 announced')")
check "2025: 34 units ranked, each with a previous rank carried across the merger" "34 34" \
	"$(as lc_reader -c "SELECT count(*) || ' ' || count(rank_prev) FROM dti.province_ranking WHERE period = '2025'")"
check "2025: under the new framework version" "lc 2" \
	"$(as lc_reader -c "SELECT DISTINCT framework || ' ' || framework_version FROM dti.score_long WHERE period = '2025'")"
check "2024 keeps its announced results under version 1" "1 63" \
	"$(as lc_admin -c "SELECT f.version || ' ' || count(*) FROM dti.publication_scorecard s JOIN dti.publication p ON p.id = s.publication_id JOIN dti.framework f ON f.id = p.framework_id WHERE p.id = $pub2 GROUP BY f.version")"
# Hồ Chí Minh (79) = 79 + 74 + 77: its carried 2024 value is the mean of theirs
check "the carried value is the members' mean" t \
	"$(as lc_reader -c "SELECT abs(m.carried_value - (SELECT round(avg(value), 4) FROM dti.province_ranking WHERE period = '2024' AND unit_code IN ('79', '74', '77'))) < 0.0002 FROM dti.merged_series m WHERE m.unit_code = '79' AND m.period = '2024' AND m.code = 'DTI'")"
# a weighted succession rule takes effect
as lc_admin >/dev/null <<'SQL'
INSERT INTO dti.succession_weight (predecessor_id, successor_id, basis, weight)
SELECT s.predecessor_id, s.successor_id, 'population', CASE o.code WHEN '79' THEN 9.5 WHEN '74' THEN 2.8 ELSE 1.2 END
FROM dti.unit_succession s JOIN dti.unit o ON o.id = s.predecessor_id JOIN dti.unit n ON n.id = s.successor_id
WHERE n.code = '79' AND n.valid_from = '2025-07-01';
SELECT dti.set_succession_rule('79', 'weighted_mean', 'population');
SQL
check "a weighted succession rule changes the carried value" t \
	"$(as lc_reader -c "SELECT m.carry_rule = 'weighted_mean' AND abs(m.carried_value - (SELECT round(sum(value * CASE unit_code WHEN '79' THEN 9.5 WHEN '74' THEN 2.8 ELSE 1.2 END) / 13.5, 4) FROM dti.province_ranking WHERE period = '2024' AND unit_code IN ('79', '74', '77'))) < 0.0002 FROM dti.merged_series m WHERE m.unit_code = '79' AND m.period = '2024' AND m.code = 'DTI'")"

# no verified value lost: each unit, period and indicator has as current
# value its newest verified revision, and the last announcement of each
# period used exactly those
check "current values are the newest verified revisions" 0 "$(as postgres <<'SQL'
SELECT count(*) FROM (
	SELECT DISTINCT ON (r.period, r.unit_id, r.indicator) r.period, r.unit_id, r.indicator, r.id
	FROM dti.verified_revision r ORDER BY r.period, r.unit_id, r.indicator, r.id DESC) v
FULL JOIN dti.current_value c USING (period, unit_id, indicator)
WHERE v.id IS DISTINCT FROM c.submission_id;
SQL
)"
check "the last announcements used every current value" "291 291" "$(as postgres <<SQL
SELECT (SELECT count(*) FROM dti.current_value) || ' ' ||
	   (SELECT count(*) FROM dti.publication_input WHERE publication_id IN ($pub2, $pub3));
SQL
)"
# every announcement computed again from the revisions it recorded: the
# same scorecards, bit for bit, and the same ranks
check "every announced ranking is reproduced exactly" "0 0 0" "$(as postgres <<SQL
WITH again AS (
	SELECT p.id AS publication_id, s.unit_id,
		   rollup(dti.framework_tree(p.framework_id), s.indicator,
				  CASE WHEN i.rule IS NULL THEN s.value ELSE score(i.rule, s.value) END) AS sc
	FROM dti.publication p
	JOIN dti.publication_input pi ON pi.publication_id = p.id
	JOIN dti.submission s ON s.id = pi.submission_id
	JOIN dti.framework_indicator i ON i.framework_id = p.framework_id AND i.code = s.indicator
	GROUP BY p.id, s.unit_id
), ranked AS (
	SELECT a.publication_id, a.unit_id, rank_rounded(root_value(a.sc), 4) OVER (PARTITION BY a.publication_id) AS rank
	FROM again a
)
SELECT (SELECT count(*) FROM again a FULL JOIN dti.publication_scorecard ps USING (publication_id, unit_id)
		WHERE a.sc::text IS DISTINCT FROM ps.scorecard::text) || ' ' ||
	   (SELECT count(*) FROM ranked r
		FULL JOIN (SELECT * FROM dti.publication_rank WHERE code = 'DTI') pr
			ON pr.publication_id = r.publication_id AND pr.unit_id = r.unit_id
		WHERE r.rank IS DISTINCT FROM pr.rank) || ' ' ||
	   (SELECT count(*) FROM dti.publication WHERE id NOT IN ($pub1, $pub2, $pub3));
SQL
)"
check "the first announcement is kept as it was" "$(sed -n 's/^1|\(..\)|.*/\1/p' "$work/announced1" | head -1)" \
	"$(as postgres -c "SELECT u.code FROM dti.publication_rank r JOIN dti.unit u ON u.id = r.unit_id WHERE r.publication_id = $pub1 AND r.code = 'DTI' AND r.rank = 1 ORDER BY u.code LIMIT 1")"
echo "lifecycle: two years played as the roles; no verified value lost; 3 announcements reproduced exactly"
