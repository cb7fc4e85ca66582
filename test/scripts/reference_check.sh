#!/usr/bin/env bash
# docs/reference.md lists every type, function, window function, aggregate,
# procedure and view of both extensions: install them in a fresh database,
# read their signatures from the catalog (as regprocedure / regtype /
# regclass spell them) and check that each one appears in the page.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_reference
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION dti_warehouse CASCADE'
missing=0 n=0
while IFS= read -r sig; do
	n=$((n + 1))
	if ! grep -qF -- "\`$sig\`" docs/reference.md; then
		echo "docs/reference.md does not list $sig"
		missing=$((missing + 1))
	fi
done < <(psql -X -At -d $db -c "
	SELECT p.oid::regprocedure::text FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname IN ('dti', 'dti_warehouse')
	UNION ALL
	SELECT t.oid::regtype::text FROM pg_type t
	JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname IN ('dti', 'dti_warehouse')
		-- not the implicit types: the array of a type and the row type of a
		-- table or view (extension members on PostgreSQL 17, not on 15)
		AND NOT EXISTS (SELECT FROM pg_type a WHERE a.typarray = t.oid)
		AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
	UNION ALL
	SELECT c.oid::regclass::text FROM pg_class c
	JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname IN ('dti', 'dti_warehouse') AND c.relkind = 'v'
	ORDER BY 1")
echo "docs/reference.md: $((n - missing)) of $n objects listed"
[ "$n" -gt 100 ] || { echo "only $n objects found in the catalog"; missing=$((missing + 1)); }

# docs/warehouse.md, section "Roles and row-level security", names every
# SECURITY DEFINER function of the warehouse and says how many there are.
para=$(awk '/ functions are SECURITY DEFINER, each pinned/,/^$/' docs/warehouse.md)
words=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen)
secdef=$(psql -X -At -d $db -c "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'dti'::regnamespace AND p.prosecdef ORDER BY 1")
count=$(echo "$secdef" | grep -c .)
said=$(echo "$para" | sed -n '1s/^\([A-Za-z]*\) functions are SECURITY DEFINER.*/\1/p' | tr '[:upper:]' '[:lower:]')
if [ "$said" != "${words[$count]:-$count}" ]; then
	echo "docs/warehouse.md says \"$said\" SECURITY DEFINER functions; the catalog has $count"
	missing=$((missing + 1))
fi
for f in $secdef; do
	echo "$para" | grep -qF "\`dti.$f()\`" || { echo "docs/warehouse.md does not name the SECURITY DEFINER function dti.$f()"; missing=$((missing + 1)); }
done
echo "docs/warehouse.md: $count SECURITY DEFINER functions checked"
[ "$missing" -eq 0 ]
