#!/usr/bin/env bash
# make bench, composite() and how it is given its statistics: the row form
# composite(fw, stats, code, value) GROUP BY unit and the vector form
# composite(fw, stats, vector), the statistics a literal, a parameter of a
# prepared statement (generic plan), an initial subquery (a stored value, the
# documented form), or a correlated subquery per row (each of two periods'
# own statistics), timed with the current library and with the library of
# earlier revisions, side by side in one run.
#
# composite() keeps each leaf's summary of the statistics it was given and
# checks, row by row, that the next row's statistics are the same (a
# subquery's next result can lie at the same address with other
# statistics); this bench shows what that check costs in each case.
#
# Each baseline revision (BENCH_BASELINE_LIBS, revisions separated by
# spaces; default: the last release, the commit that last recorded released
# scripts) is built from its own sources (git archive) in a temporary
# directory, and a database of its own gets the extension at that
# revision's version (from the released scripts of this checkout) with every
# C function pointing at that build.  The same data is generated in each
# database (seeded); the results are compared across libraries.  The
# queries take turns, database after database, a warm-up of each then
# BENCH_RUNS rounds (default 7); each figure is the median, serial plans.
#
# Data: BENCH_STATS_UNITS units (default 10,000) x 100 leaves (1 million
# rows), min-max rules, the tree of test/bench/composite.sh.  Writes its
# section of docs/benchmarks.md (BENCH_OUT elsewhere) with the machine and
# its load.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

NUNITS=${BENCH_STATS_UNITS:-10000}
RUNS=${BENCH_RUNS:-7}
OUT=${BENCH_OUT:-docs/benchmarks.md}
BASE_REFS=${BENCH_BASELINE_LIBS:-$(git log -1 --format=%h -- test/released_scripts.sha256)}
CUR_REV=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- extension sql || echo "+changes")
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

make -s all >/dev/null
install_build >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dti-bench-libs.XXXXXX")
cleanup() { cluster_stop; rm -rf "$WORK"; }
trap cleanup EXIT
declare -A LIB VER
for ref in $BASE_REFS; do
	echo "bench composite-stats: building the library of $ref"
	mkdir -p "$WORK/$ref"
	git archive "$ref" | tar -x -C "$WORK/$ref"
	make -C "$WORK/$ref" -s all >"$WORK/$ref.log" 2>&1 || { cat "$WORK/$ref.log"; exit 1; }
	LIB[$ref]=$WORK/$ref/dti.so
	VER[$ref]=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$WORK/$ref/dti.control")
done
chmod -R a+rX "$WORK"

cluster_start "shared_buffers = '1GB'
work_mem = '512MB'
jit = off
max_parallel_workers_per_gather = 0"

gen_data() {	# DB: the same data in every database (seeded)
	psql -X -q -v ON_ERROR_STOP=1 -v n="$NUNITS" -d "$1" <<'SQL'
CREATE TABLE fw(code text primary key, parent text, lvl int, w float8);
INSERT INTO fw VALUES ('R', NULL, 0, 1);
INSERT INTO fw SELECT 'P' || p, 'R', 1, 1 FROM generate_series(1, 4) p;
INSERT INTO fw SELECT 'P' || p || '.' || m, 'P' || p, 2, 1 FROM generate_series(1, 4) p, generate_series(1, 5) m;
INSERT INTO fw SELECT 'P' || p || '.' || m || '.' || l, 'P' || p || '.' || m, 3, 1
	FROM generate_series(1, 4) p, generate_series(1, 5) m, generate_series(1, 5) l;
SELECT setseed(0.42);
-- two periods, the units taking turns
CREATE TABLE leaf AS SELECT u, u % 2 AS p, f.code::indicator_code icode, random() v
	FROM generate_series(1, :n) u, fw f WHERE f.lvl = 3 ORDER BY u, f.code;
VACUUM ANALYZE leaf;
CREATE TABLE fwc AS SELECT framework_compile(array_agg(code::indicator_code ORDER BY code),
	array_agg(parent::indicator_code ORDER BY code), array_agg(NULL::float8 ORDER BY code),
	weights => array_agg(CASE WHEN parent IS NULL THEN NULL ELSE w END ORDER BY code),
	methods => array_agg(CASE WHEN lvl < 3 THEN 'amean' END ORDER BY code)) AS fw FROM fw;
CREATE TABLE fwr AS SELECT framework_rules((SELECT fw FROM fwc), array_agg(code::indicator_code),
	array_agg('minmax(0, 100)'::scoring_rule)) AS fw FROM fw WHERE lvl = 3;
-- the statistics of all units as stored (TOAST as it decides), and per
-- period stored plain (a subquery's result in memory, as computed)
CREATE TABLE st AS SELECT leaf_stats((SELECT fw FROM fwr), icode, v) AS st FROM leaf;
CREATE TABLE st_p (p integer PRIMARY KEY, st leaf_stats);
ALTER TABLE st_p ALTER st SET STORAGE PLAIN;
INSERT INTO st_p SELECT p, leaf_stats((SELECT fw FROM fwr), icode, v) FROM leaf GROUP BY p;
CREATE TABLE vec AS SELECT u, p, leaf_vector((SELECT fw FROM fwr), icode, v) AS lv FROM leaf GROUP BY u, p ORDER BY u;
VACUUM ANALYZE st, st_p, vec;
SQL
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

CUR_DB=dti_bench_stats_cur
DBS=($CUR_DB)
declare -A DB_LABEL
DB_LABEL[$CUR_DB]="current ($CUR_REV)"
createdb $CUR_DB
q $CUR_DB 'CREATE EXTENSION dti'
echo "bench composite-stats: generating $NUNITS units x 100 leaves in each database"
gen_data $CUR_DB
i=0
for ref in $BASE_REFS; do
	i=$((i + 1))
	db=dti_bench_stats_base$i
	createdb $db
	q $db "CREATE EXTENSION dti VERSION '${VER[$ref]}'"
	# every C function of the extension from the baseline's library
	q $db "DO \$\$
DECLARE
	f oid;
BEGIN
	FOR f IN SELECT p.oid FROM pg_proc p
		JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
		JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
		WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
	LOOP
		EXECUTE replace(pg_get_functiondef(f), '''\$libdir/dti''', '''${LIB[$ref]}''');
	END LOOP;
END \$\$"
	left=$(q $db "SELECT count(*) FROM pg_proc WHERE probin = '\$libdir/dti'")
	[ "$left" = 0 ] || { echo "bench composite-stats: $left functions still use the current library in $db" >&2; exit 1; }
	gen_data $db
	DBS+=($db)
	DB_LABEL[$db]="$ref (dti ${VER[$ref]})"
	echo "bench composite-stats: $db: dti ${VER[$ref]} from the library of $ref"
done

LIT=$(q $CUR_DB "SELECT st::text FROM st")
st_form=$(q $CUR_DB "SELECT pg_column_size(st::text::leaf_stats) || ' bytes, stored '
	|| CASE WHEN pg_column_compression(st) IS NOT NULL THEN 'compressed' ELSE 'uncompressed' END
	|| CASE WHEN (SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'st') > 0
		THEN ' out of line (the subquery gives a TOAST pointer)' ELSE ' inline' END FROM st")

rows_q() {	# STATS-EXPRESSION
	echo "SELECT count(*), sum(root_value(sc)) FROM (SELECT l.u, composite((SELECT fw FROM fwr), $1, l.icode, l.v) AS sc FROM leaf l GROUP BY l.u) s"
}
vec_q() {
	echo "SELECT count(*), sum(root_value(composite((SELECT fw FROM fwr), $1, v.lv))) FROM vec v"
}
GENERIC="SET plan_cache_mode = force_generic_plan"
# name|set-up statement(s) before timing|timed statement
CASES=(
	"floor: SELECT u, sum(v) GROUP BY u|SELECT 1|SELECT count(*), sum(s) FROM (SELECT u, sum(v) s FROM leaf GROUP BY u) x"
	"rows, statistics a literal|SELECT 1|$(rows_q "'$LIT'::leaf_stats")"
	"rows, statistics a parameter (generic plan)|$GENERIC; PREPARE p(leaf_stats) AS $(rows_q '$1')|EXECUTE p('$LIT')"
	"rows, statistics an initial subquery (stored value)|SELECT 1|$(rows_q '(SELECT st FROM st)')"
	"rows, statistics a correlated subquery per row (2 periods)|SELECT 1|$(rows_q '(SELECT st_p.st FROM st_p WHERE st_p.p = l.p)')"
	"vectors, statistics a literal|SELECT 1|$(vec_q "'$LIT'::leaf_stats")"
	"vectors, statistics a parameter (generic plan)|$GENERIC; PREPARE p(leaf_stats) AS $(vec_q '$1')|EXECUTE p('$LIT')"
	"vectors, statistics an initial subquery (stored value)|SELECT 1|$(vec_q '(SELECT st FROM st)')"
	"vectors, statistics a correlated subquery per row (2 periods)|SELECT 1|$(vec_q '(SELECT st_p.st FROM st_p WHERE st_p.p = v.p)')"
)

time_once() {	# DB SETUP QUERY: milliseconds of QUERY
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -o /dev/null -c "$2" -c '\timing on' -c "$3" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
result_of() {	# DB SETUP QUERY
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2" -c "$3" | tail -1
}
median() {
	tr ' ' '\n' | awk 'NF' | sort -g | awk '{ t[NR] = $1 } END { if (NR == 0) { print "bench composite-stats: a query printed no time" > "/dev/stderr"; exit 1 } print t[int((NR + 1) / 2)] }'
}

# the same results from every library (the current one is the reference)
declare -A SAME
for c in "${CASES[@]}"; do
	IFS='|' read -r name setup query <<<"$c"
	ref_result=$(result_of $CUR_DB "$setup" "$query")
	for db in "${DBS[@]:1}"; do
		r=$(result_of "$db" "$setup" "$query")
		if [ "$r" = "$ref_result" ]; then SAME["$name|$db"]=same; else SAME["$name|$db"]="differs: $r, current $ref_result"; fi
		echo "bench composite-stats: $name, ${DB_LABEL[$db]}: ${SAME["$name|$db"]}"
	done
done

declare -A T
for c in "${CASES[@]}"; do
	IFS='|' read -r name setup query <<<"$c"
	for db in "${DBS[@]}"; do
		time_once "$db" "$setup" "$query" >/dev/null
		T["$name|$db"]=""
	done
done
for ((r = 0; r < RUNS; r++)); do
	for c in "${CASES[@]}"; do
		IFS='|' read -r name setup query <<<"$c"
		for db in "${DBS[@]}"; do
			T["$name|$db"]="${T["$name|$db"]} $(time_once "$db" "$setup" "$query")"
		done
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

section=$(mktemp)
{
	echo "<!-- composite-stats:start -->"
	echo "## composite() and how it is given its statistics"
	echo
	echo "Generated by \`test/bench/composite_stats.sh\` (part of \`make bench\`) in one run: $NUNITS units x"
	echo "100 leaves = $((NUNITS * 100)) rows, min-max rules, the tree of \`test/bench/composite.sh\`, serial plans,"
	echo "median of $RUNS runs after a warm-up, milliseconds; the queries take turns, database after"
	echo "database. Each baseline is the library built from that revision's sources, in a database of"
	echo "its own with the same data. The statistics of all units as stored: $st_form;"
	echo "those of each period (units taking turns) stored plain."
	echo
	echo "- Machine: $(nproc) vCPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB, shared with"
	echo "  other work: load average $load_start at the start of the run, $load_end at the end."
	echo "- PostgreSQL: $(q $CUR_DB 'SHOW server_version')."
	echo
	echo "*current / it*: the current library's time over the baseline's; *over floors*: the same, each"
	echo "time first divided by the floor measured in its own database (the floor does not depend on the"
	echo "library: how far its ratio is from 1 shows the noise of the machine)."
	echo
	hdr="| form, statistics given as | ${DB_LABEL[$CUR_DB]} |"
	sep="|---|---:|"
	for db in "${DBS[@]:1}"; do
		hdr="$hdr ${DB_LABEL[$db]} | current / it | over floors |"
		sep="$sep---:|---:|---:|"
	done
	echo "$hdr"
	echo "$sep"
	FLOOR_NAME=${CASES[0]%%|*}
	cur_floor=$(echo "${T["$FLOOR_NAME|$CUR_DB"]}" | median)
	for c in "${CASES[@]}"; do
		IFS='|' read -r name setup query <<<"$c"
		cur=$(echo "${T["$name|$CUR_DB"]}" | median)
		line="| $name | $cur |"
		for db in "${DBS[@]:1}"; do
			b=$(echo "${T["$name|$db"]}" | median)
			b_floor=$(echo "${T["$FLOOR_NAME|$db"]}" | median)
			note=
			[ "${SAME["$name|$db"]}" = same ] || note=" (other results)"
			line="$line $b$note | $(awk -v a="$cur" -v b="$b" 'BEGIN { printf "%.2f", a / b }') |"
			line="$line $(awk -v a="$cur" -v b="$b" -v fa="$cur_floor" -v fb="$b_floor" 'BEGIN { printf "%.2f", (a / fa) / (b / fb) }') |"
		done
		echo "$line"
	done
	echo
	for db in "${DBS[@]:1}"; do
		n_same=0 n_all=0
		for c in "${CASES[@]}"; do
			name=${c%%|*}
			n_all=$((n_all + 1))
			[ "${SAME["$name|$db"]}" = same ] && n_same=$((n_same + 1))
		done
		echo "- ${DB_LABEL[$db]}: the same results as the current library in $n_same of $n_all queries$(
			for c in "${CASES[@]}"; do name=${c%%|*}; [ "${SAME["$name|$db"]}" = same ] || printf '; %s: %s' "$name" "${SAME["$name|$db"]}"; done)."
	done
	echo "<!-- composite-stats:end -->"
} >"$section"
cat "$section"
replace_section composite-stats "$section" "$OUT"
rm -f "$section"
echo "bench composite-stats: wrote its section of $OUT"
