#!/usr/bin/env bash
# Bad input at scale: a CSV of ROWS rows (default 1,000,000) of which 1% are
# malformed - unknown unit, unknown indicator code, bad numbers (12,5, NaN,
# Infinity, empty, 80%, 1e999, abc), NUL bytes (in the value, the unit code
# or the note), a duplicate of the row before - plus two values of 10 MB,
# goes through the loading path: tools/dti-clean-text (marks NUL bytes and
# bytes that are not UTF-8, which COPY would refuse for the whole file),
# \copy into dti.staging, dti.load_staging().  Every good row must load, and
# every bad row must be in dti.reject with the reason it was made for
# (counted per reason).  The source column of each row names what it is.
#
#   test/reliability/bad_input.sh [ROWS]
#
# Runs against the cluster of PGHOST/PGPORT/PGUSER with the extensions
# installed (test/reliability/run.sh; make test runs 10,000 rows through
# test/scripts/reliability_bad_input.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
db=dti_rel_bad_input
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }

# 63 provinces x 12 months of 2024 x N indicators (every 10th a grade rule)
nind=$(( (rows + 63 * 12 - 1) / (63 * 12) ))
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
BEGIN;
SELECT dti.create_framework('bad-input', 'province', ARRAY[2024], 'Khung kiểm tra dữ liệu xấu', max_points => $nind);
INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('L', 'Nhóm chỉ số', $nind);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max)
SELECT ('L.' || i)::indicator_code, 'Chỉ số ' || i, 1,
	   CASE WHEN i % 10 = 0 THEN 'grade(A:1, B:0.75, C:0.5, D:0.25, E:0)'::scoring_rule ELSE 'target(80)'::scoring_rule END,
	   CASE WHEN i % 10 = 0 THEN NULL ELSE 0 END, CASE WHEN i % 10 = 0 THEN NULL ELSE 100 END
FROM generate_series(1, $nind) AS i;
COMMIT;
SQL
q "SELECT string_agg(code, ' ' ORDER BY code) FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30'" >"$work/units"

t0=$(date +%s.%N)
ROWS=$rows NIND=$nind UNITS="$(cat "$work/units")" perl -e '
	use strict; use warnings;
	binmode STDOUT;
	print "unit_code,year,indicator_code,raw_value,source,note\n";
	my ($rows, $nind) = ($ENV{ROWS}, $ENV{NIND});
	my @units = split / /, $ENV{UNITS};
	my @bad_numbers = ("12,5", "NaN", "Infinity", "", "80%", "1e999", "abc");
	my %n;
	my $big = 2;  # values of 10 MB
	my @prev;
	my $k = 0;
	for my $line (1 .. $rows) {
		my $u = $units[int($k / ($nind * 12)) % @units];
		my $m = sprintf("2024-%02d", 1 + int($k / $nind) % 12);
		my $i = 1 + $k % $nind;
		$k++;
		my $grade = ($i % 10 == 0);
		my $v = $grade ? (qw(A B C D E))[$line % 5] : sprintf("%.2f", ($line * 7919) % 10000 / 100);
		my ($unit, $ind, $note, $src) = ($u, "L.$i", "", "good");
		if ($line % 100 == 50) {
			my $c = (qw(unknown_unit unknown_indicator unparseable_value invalid_text duplicate))[int($line / 100) % 5];
			$src = "bad:$c";
			if ($c eq "unknown_unit") { $unit = "99" }
			elsif ($c eq "unknown_indicator") { $ind = "Z.$i" }
			elsif ($c eq "unparseable_value") {
				if ($big > 0) { $v = "1" x (10 * 1024 * 1024); $big--; $src = "bad:unparseable_value:10MB" }
				else { $v = $bad_numbers[int($line / 100) % @bad_numbers] }
			}
			elsif ($c eq "invalid_text") {
				my $w = int($line / 500) % 3;
				if ($w == 0) { $v = "5\x000" } elsif ($w == 1) { $unit = "0\x001" } else { $note = "ghi\x00chú" }
			}
			else { ($unit, $m, $ind, $v) = @prev; $k--; }
			$n{$c}++;
		}
		@prev = ($unit, $m, $ind, $v);
		my $q = ($v =~ /[",\n]/ || $v eq "") ? "\"$v\"" : $v;
		$q = "" if $src eq "bad:unparseable_value" && $v eq "";   # an empty (NULL) value
		print join(",", $unit, $m, $ind, $q, $src, $note), "\n";
	}
	open(my $c, ">", "'"$work"'/counts") or die;
	print $c "$_ $n{$_}\n" for sort keys %n;
' >"$work/load.csv"
t1=$(date +%s.%N)
bad=$(awk '{ s += $2 } END { print s }' "$work/counts")
dups=$(awk '$1 == "duplicate" { print $2 }' "$work/counts")
good=$((rows - bad - dups))
echo "generated $rows rows ($(du -h "$work/load.csv" | cut -f1)) in $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s: $bad malformed ($(tr '\n' ' ' <"$work/counts")), 2 of them 10 MB values; $good rows should load"

# the loading path
psql -X -q -v ON_ERROR_STOP=1 -d $db <<SQL
\\timing on
\\echo copy (through dti-clean-text) into dti.staging:
\\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM PROGRAM '$PWD/tools/dti-clean-text $work/load.csv' (FORMAT csv, HEADER true)
\\echo load_staging:
SELECT staged, accepted, rejected, reasons FROM dti.load_staging('bad input at scale');
SQL

# every good row loaded, every bad one rejected with the reason it was made for
expected=$(awk -v d="$dups" '{ printf "%s\"%s\": %d", (NR > 1 ? ", " : "{"), $1, ($1 == "duplicate" ? 2 * $2 : $2) } END { print "}" }' "$work/counts")
psql -X -q -At -v ON_ERROR_STOP=1 -d $db <<SQL
SET client_min_messages = warning;
SELECT format('loaded %s submissions (%s good rows made), %s rejects', (SELECT count(*) FROM dti.submission),
	$good, (SELECT count(*) FROM dti.reject));
SELECT format('rejects per reason: %s; expected %s', (SELECT reasons FROM dti.load), '$expected');
DO \$\$
DECLARE
	wrong text;
BEGIN
	IF (SELECT count(*) FROM dti.submission) <> $good
	   OR (SELECT count(*) FROM dti.submission WHERE source <> 'good') > 0 THEN
		RAISE EXCEPTION 'good rows: % loaded, % expected; % bad rows loaded', (SELECT count(*) FROM dti.submission), $good,
			(SELECT count(*) FROM dti.submission WHERE source <> 'good');
	END IF;
	IF (SELECT reasons FROM dti.load) <> '$expected'::jsonb THEN
		RAISE EXCEPTION 'rejects per reason differ from what was injected';
	END IF;
	-- each reject has the reason its row was made for (the row before a
	-- duplicate is rejected with it, as its other copy)
	SELECT string_agg(format('line %s (%s): %s', line, source, reason_code), '; ') INTO wrong FROM (
		SELECT * FROM dti.reject
		WHERE CASE WHEN source = 'good' THEN reason_code <> 'duplicate'
				   ELSE split_part(source, ':', 2) <> reason_code END
		   OR nullif(reason, '') IS NULL LIMIT 10) r;
	IF wrong IS NOT NULL THEN
		RAISE EXCEPTION 'rejects with another reason than the injected one: %', wrong;
	END IF;
	IF (SELECT count(*) FROM dti.reject WHERE source = 'good') <> $dups THEN
		RAISE EXCEPTION 'the first copies of duplicates are not all rejected';
	END IF;
	-- nothing lost: a 10 MB value is kept whole, and quoted short in the reason
	IF (SELECT count(*) FROM dti.reject WHERE length(raw_value) = 10485760 AND length(reason) < 300) <> 2 THEN
		RAISE EXCEPTION 'the 10 MB values are not kept whole with a short reason';
	END IF;
	IF EXISTS (SELECT 1 FROM dti.staging) THEN
		RAISE EXCEPTION 'staging not emptied';
	END IF;
END \$\$;
SELECT 'a 10 MB value is rejected as: ' || reason FROM dti.reject WHERE length(raw_value) > 1000 LIMIT 1;
SELECT 'a NUL byte is rejected as: ' || reason FROM dti.reject WHERE reason_code = 'invalid_text' LIMIT 1;
SQL
echo "bad input check passed: $rows rows, $good loaded, $((bad + dups)) rejected with their reasons"
