#!/usr/bin/env bash
# Upgrade check: for every released version of dti (every version an upgrade
# script starts from), install it, run ALTER EXTENSION dti UPDATE, and compare the extension's
# objects with a fresh install of the current version.  Objects are compared
# through pg_dump --binary-upgrade, which dumps each member of an extension;
# only the OID-setting lines differ between the two databases and are dropped.
# Runs against the cluster described by PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."

current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" dti.control)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dump_objects() {
	pg_dump --schema-only --binary-upgrade --no-owner -d "$1" |
		grep -vE 'binary_upgrade_set_next|binary_upgrade_set_type_oids|^-- |^SET |^SELECT pg_catalog.set_config|^\\(un)?restrict |^$' >"$2"
}

dropdb --if-exists dti_fresh >/dev/null
createdb dti_fresh
psql -X -q -v ON_ERROR_STOP=1 -d dti_fresh -c "CREATE EXTENSION dti VERSION '$current'"
dump_objects dti_fresh "$work/fresh.sql"

checked=0
# every version that an upgrade script starts from
for v in $(ls sql/dti--*--*.sql | sed -n 's/^sql\/dti--\([0-9.]*\)--.*/\1/p' | sort -uV); do
	[ "$v" != "$current" ] || continue
	dropdb --if-exists dti_upgraded >/dev/null
	createdb dti_upgraded
	psql -X -q -v ON_ERROR_STOP=1 -d dti_upgraded \
		-c "CREATE EXTENSION dti VERSION '$v'" -c "ALTER EXTENSION dti UPDATE"
	got=$(psql -X -At -d dti_upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'dti'")
	[ "$got" = "$current" ] || { echo "upgrade from $v ended at version $got, not $current"; exit 1; }
	dump_objects dti_upgraded "$work/upgraded.sql"
	if ! diff -u "$work/fresh.sql" "$work/upgraded.sql"; then
		echo "upgrade from $v to $current: objects differ from a fresh install"
		exit 1
	fi
	echo "upgrade from $v to $current: same objects as a fresh install ($(grep -c . "$work/fresh.sql") dump lines)"
	checked=$((checked + 1))
done
dropdb --if-exists dti_upgraded >/dev/null
dropdb --if-exists dti_fresh >/dev/null
echo "upgrade paths checked: $checked"
